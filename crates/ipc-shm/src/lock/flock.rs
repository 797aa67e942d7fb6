//! `flock` locks on a whole file, held by an RAII guard.

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use ipc_core::{Object, Result, Wait};
use rustix::fs::FlockOperation;

use super::errors::{Call, lock_error};
use super::mode::LockMode;
use super::wait::acquire;
use crate::sys::lock as sys;

/// A `flock` lock on a whole file, released when the guard drops.
///
/// The lock belongs to the *open file description*, not to the descriptor or the process:
/// "Locks created by flock() are associated with an open file description (see open(2)). This
/// means that duplicate file descriptors (created by, for example, fork(2) or dup(2)) refer to
/// the same lock, and this lock may be modified or released using any of these file
/// descriptors" (flock(2)). So a child that inherits the descriptor shares the lock, and
/// "If a process uses open(2) (or similar) to obtain more than one file descriptor for the same
/// file, these file descriptors are treated independently by flock()": two separate opens in
/// one process contend like two processes. The lock goes when it is unlocked, or when the last
/// descriptor of the description closes: a process that dies (even by `SIGKILL`) releases it.
/// See the [module docs](super) for how this compares with record locks.
///
/// `F` is anything that has a descriptor: a borrow (`&File`, `BorrowedFd`) keeps the file
/// borrowed for the guard's life, an owned `File` or `OwnedFd` moves into the guard (a lock
/// file held for the life of a program), reachable with [`get_ref`](Self::get_ref). The file's
/// access mode does not matter. `std::fs::File::lock` takes the same kind of lock, so the two
/// interoperate.
///
/// # Guards do not nest
///
/// One description holds one `flock` lock. Two guards over the same description (the same
/// descriptor, or a duplicate) are the same lock, converted by the second call, and dropping
/// either unlocks it. Take one guard per description.
///
/// # No atomic conversion
///
/// This guard offers no upgrade or downgrade, because `flock` cannot convert atomically:
/// "Converting a lock (shared to exclusive, or vice versa) is not guaranteed to be atomic: the
/// existing lock is first removed, and then a new lock is established. Between these two
/// steps, a pending lock request by another process may be granted, with the result that the
/// conversion either blocks, or fails if LOCK_NB was specified" (flock(2)); a failed try would
/// leave no lock at all. To change modes, drop the guard and lock again, knowing another
/// process may come in between, or use a record lock ([`OfdLock`](super::OfdLock)), whose
/// conversions are atomic.
///
/// # Timeouts
///
/// The kernel has no timed `flock`, so [`lock_timeout`](Self::lock_timeout) and
/// [`lock_deadline`](Self::lock_deadline) poll: a non-blocking attempt, then sleeps from
/// 100 µs doubling up to 4 ms. A release is noticed up to 4 ms late, and a poller is not
/// queued: a waiter blocked in [`lock`](Self::lock), or another poller, may take the lock
/// first. The alternative, a blocking call cut short by a timer signal, would need a signal
/// handler installed without `SA_RESTART`, which a library has no business doing.
///
/// # Thread safety
///
/// The guard is `Send` and `Sync` when `F` is: the lock belongs to the open file description,
/// which every thread of the process reaches through the same descriptor, so it may be
/// released from any thread; a shared guard allows only reading its mode and file.
///
/// # Crash behaviour
///
/// A process that dies closes its descriptors; when it held the last descriptor of the
/// description, the lock is released at once. A child that inherited the descriptor keeps the
/// description, and the lock, alive after the parent's death.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use ipc_shm::lock::{Flock, LockMode};
///
/// let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-rs-doc-flock"));
/// let file = std::fs::File::create(&path)?;
/// {
///     let guard = Flock::lock(&file, LockMode::Exclusive)?;
///     assert_eq!(guard.mode(), LockMode::Exclusive);
///     (&file).write_all(b"Locked write\n")?;
/// } // unlocked here
///
/// // A second open of the file is a second description: it contends with the first.
/// let other = std::fs::File::open(&path)?;
/// let shared = Flock::try_lock(&file, LockMode::Shared)?;
/// let also_shared = Flock::try_lock(&other, LockMode::Shared)?;
/// drop(shared);
/// let err = Flock::try_lock(&file, LockMode::Exclusive).unwrap_err();
/// assert!(err.is_would_block());
/// drop(also_shared);
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [flock(2)](https://man7.org/linux/man-pages/man2/flock.2.html)
#[doc(alias = "flock")]
#[derive(Debug)]
pub struct Flock<F: AsFd> {
    file: F,
    mode: LockMode,
    /// Cleared by [`unlock`](Self::unlock), so the drop does not unlock twice.
    locked: bool,
}

impl<F: AsFd> Flock<F> {
    /// Takes a `mode` lock on `file`, waiting as long as another description holds a
    /// conflicting one. Interruptions by signals (`EINTR`) are retried.
    ///
    /// On an error `file` is dropped, so pass a borrow to keep it.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) (`EBADF`) for a descriptor
    ///   that cannot be locked, an `O_PATH` one say.
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) (`ENOLCK`) when the kernel is out
    ///   of memory for lock records.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let file = tempfile::tempfile()?;
    /// let guard = Flock::lock(&file, LockMode::Shared)?;
    /// drop(guard);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock(file: F, mode: LockMode) -> Result<Self> {
        Self::acquire(file, mode, Wait::Forever)
    }

    /// Takes a `mode` lock on `file` if no other description holds a conflicting one now.
    ///
    /// # Errors
    ///
    /// - [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) (`EWOULDBLOCK`) when another
    ///   description holds a conflicting lock.
    /// - The errors of [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let file = tempfile::tempfile()?;
    /// let guard = Flock::try_lock(&file, LockMode::Exclusive)?;
    /// # drop(guard);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_lock(file: F, mode: LockMode) -> Result<Self> {
        Self::acquire(file, mode, Wait::NonBlocking)
    }

    /// Takes a `mode` lock on `file`, waiting at most `timeout` (see
    /// [Timeouts](Self#timeouts) for how).
    ///
    /// # Errors
    ///
    /// - [`TimedOut`](ipc_core::ErrorKind::TimedOut) when another description still held a
    ///   conflicting lock after `timeout`.
    /// - The errors of [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let file = tempfile::tempfile()?;
    /// let guard = Flock::lock_timeout(&file, LockMode::Exclusive, Duration::from_secs(5))?;
    /// # drop(guard);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_timeout(file: F, mode: LockMode, timeout: Duration) -> Result<Self> {
        Self::acquire(file, mode, Wait::timeout(timeout))
    }

    /// Takes a `mode` lock on `file`, waiting at most until `deadline` (see
    /// [Timeouts](Self#timeouts) for how).
    ///
    /// # Errors
    ///
    /// As [`lock_timeout`](Self::lock_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let file = tempfile::tempfile()?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let guard = Flock::lock_deadline(&file, LockMode::Shared, deadline)?;
    /// # drop(guard);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_deadline(file: F, mode: LockMode, deadline: Instant) -> Result<Self> {
        Self::acquire(file, mode, Wait::deadline(deadline))
    }

    /// The mode of the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let guard = Flock::lock(tempfile::tempfile()?, LockMode::Shared)?;
    /// assert_eq!(guard.mode(), LockMode::Shared);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> LockMode {
        self.mode
    }

    /// The locked file, to read or write it under the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let guard = Flock::lock(tempfile::tempfile()?, LockMode::Exclusive)?;
    /// guard.get_ref().write_all(b"Locked write\n")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.file
    }

    /// Releases the lock now (`LOCK_UN`), reporting an error the drop would have to ignore.
    ///
    /// # Errors
    ///
    /// The OS error of `flock(LOCK_UN)`, which Linux does not return for a descriptor that
    /// could be locked.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{Flock, LockMode};
    ///
    /// let file = tempfile::tempfile()?;
    /// Flock::lock(&file, LockMode::Exclusive)?.unlock()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "LOCK_UN")]
    pub fn unlock(mut self) -> Result<()> {
        self.locked = false;
        let fd = self.file.as_fd();
        sys::flock(fd, FlockOperation::Unlock)
            .map_err(|errno| lock_error(Call::Flock, "flock", Object::fd(fd), errno))
    }

    fn acquire(file: F, mode: LockMode, wait: Wait) -> Result<Self> {
        let fd = file.as_fd();
        let (blocking, non_blocking) = match mode {
            LockMode::Shared => (
                FlockOperation::LockShared,
                FlockOperation::NonBlockingLockShared,
            ),
            LockMode::Exclusive => (
                FlockOperation::LockExclusive,
                FlockOperation::NonBlockingLockExclusive,
            ),
        };
        acquire(wait, |block| {
            sys::flock(fd, if block { blocking } else { non_blocking })
        })
        .map_err(|errno| lock_error(Call::Flock, "flock", Object::fd(fd), errno))?;
        Ok(Self {
            file,
            mode,
            locked: true,
        })
    }
}

impl<F: AsFd> Drop for Flock<F> {
    /// Releases the lock (`LOCK_UN`). An owned file is closed afterwards.
    fn drop(&mut self) {
        if self.locked {
            // Linux fails LOCK_UN only for a descriptor that could not have been locked.
            let result = sys::flock(self.file.as_fd(), FlockOperation::Unlock);
            debug_assert!(result.is_ok(), "flock(LOCK_UN) failed: {result:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::os::fd::{BorrowedFd, OwnedFd};

    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn guards_are_send_and_sync_over_sendable_files() {
        assert_send_sync::<Flock<File>>();
        assert_send_sync::<Flock<&File>>();
        assert_send_sync::<Flock<OwnedFd>>();
        assert_send_sync::<Flock<BorrowedFd<'static>>>();
    }

    #[test]
    fn a_guard_moved_to_another_thread_unlocks_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = File::create(&path).unwrap();
        let other = File::open(&path).unwrap();
        let sut = Flock::lock(&file, LockMode::Exclusive).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(move || drop(sut));
        });
        Flock::try_lock(&other, LockMode::Exclusive).unwrap();
    }

    #[test]
    fn two_opens_of_one_file_contend_inside_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let a = File::create(&path).unwrap();
        let b = File::open(&path).unwrap();
        let sut = Flock::try_lock(&a, LockMode::Exclusive).unwrap();
        let err = Flock::try_lock(&b, LockMode::Shared).unwrap_err();
        assert!(err.is_would_block(), "{err}");
        assert_eq!(err.operation(), "flock");
        sut.unlock().unwrap();
        Flock::try_lock(&b, LockMode::Shared).unwrap();
    }

    #[test]
    fn a_bounded_lock_times_out_while_another_description_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let a = File::create(&path).unwrap();
        let b = File::open(&path).unwrap();
        let _held = Flock::lock(&a, LockMode::Shared).unwrap();
        let timeout = Duration::from_millis(20);
        let start = Instant::now();
        let err = Flock::lock_timeout(&b, LockMode::Exclusive, timeout).unwrap_err();
        assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut, "{err}");
        assert!(start.elapsed() >= timeout);
    }
}
