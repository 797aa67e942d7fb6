//! Record locks on byte ranges, owned by the process or by the open file description, held by
//! an RAII guard.

use std::marker::PhantomData;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Object, Result, Wait};

use super::errors::{Call, lock_error};
use super::holder::Holder;
use super::mode::LockMode;
use super::owner::RecordOwner;
#[cfg(doc)]
use super::owner::{OfdLock, ProcessLock};
use super::range::ByteRange;
use super::request::{raw, set};
use crate::sys::lock as sys;

/// A record lock on a [`ByteRange`] of a file, released when the guard drops; `K` says who
/// owns it, and with that when it goes (see [`ProcessLock`], [`OfdLock`], and the table in the
/// [module docs](super)).
///
/// `F` is anything that has a descriptor: a borrow (`&File`, `BorrowedFd`) keeps the file
/// borrowed for the guard's life, an owned `File` or `OwnedFd` moves into the guard. A
/// [`Shared`](LockMode::Shared) lock needs a descriptor open for reading, an
/// [`Exclusive`](LockMode::Exclusive) one a descriptor open for writing.
///
/// # Guards do not nest
///
/// The kernel keeps, for each owner, one lock state per byte, not a count. A second lock by
/// the same owner on overlapping bytes replaces the first there (merging or splitting ranges),
/// and a guard's drop unlocks its whole range, whatever other guards of the same owner still
/// cover. The owner is the process for a [`ProcessLock`] (any descriptor, any thread) and the
/// description for an [`OfdLock`]. Keep one guard per owner and range.
///
/// # Conversion
///
/// [`downgrade`](Self::downgrade) and the `upgrade` family change the mode of the guard's range
/// in place: "If a process already holds a lock on a region, and it asks for a new lock of a
/// different type, the existing lock is converted" (fcntl(2) on `F_SETLK`), and Linux checks
/// for conflicts before it changes anything, so a conversion that fails leaves the old lock in
/// place. Unlike `flock`, no other process can come in between.
///
/// # Timeouts
///
/// The kernel has no timed `F_SETLKW`, so [`lock_timeout`](Self::lock_timeout) and
/// [`lock_deadline`](Self::lock_deadline) poll as [`Flock`](super::Flock#timeouts) does: a
/// release is noticed up to 4 ms late, a blocked waiter may go first, and, because the kernel
/// detects deadlocks only for blocking process-associated requests, a deadlock among bounded
/// waiters ends as a timeout rather than `EDEADLK`.
///
/// # Thread safety
///
/// The guard is `Send` and `Sync` when `F` is. A process-associated lock belongs to the
/// process, and an open-file-description lock to the description, which every thread reaches
/// through the same descriptor; so either may be released from any thread. A shared guard
/// allows only reading its range, mode and file.
///
/// # Crash behaviour
///
/// A process that dies releases its process-associated locks, and closes its descriptors,
/// which releases an open-file-description lock when it held the last descriptor of the
/// description.
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
///
/// let file = tempfile::NamedTempFile::new()?;
/// let mut guard = OfdLock::lock(file.as_file(), ByteRange::new(0, 8), LockMode::Exclusive)?;
/// guard.downgrade()?;
/// assert_eq!(guard.mode(), LockMode::Shared);
/// let reader = file.reopen()?;
/// let _shared = OfdLock::try_lock(&reader, ByteRange::new(0, 8), LockMode::Shared)?;
/// assert!(guard.try_upgrade().unwrap_err().is_would_block());
/// assert_eq!(guard.mode(), LockMode::Shared); // the failed upgrade kept the shared lock
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "Advisory record locking"
///   and "Open file description locks (non-POSIX)"
/// - [fcntl(3p)](https://man7.org/linux/man-pages/man3/fcntl.3p.html)
#[doc(alias = "fcntl")]
#[doc(alias = "F_SETLK")]
#[doc(alias = "F_OFD_SETLK")]
#[derive(Debug)]
pub struct RecordLock<F: AsFd, K: RecordOwner> {
    file: F,
    range: ByteRange,
    mode: LockMode,
    /// Cleared by [`unlock`](Self::unlock), so the drop does not unlock twice.
    locked: bool,
    owner: PhantomData<fn() -> K>,
}

impl<F: AsFd, K: RecordOwner> RecordLock<F, K> {
    /// Locks `range` of `file` in `mode`, waiting as long as another owner holds a conflicting
    /// lock on overlapping bytes (`F_SETLKW`, `F_OFD_SETLKW`). Interruptions by signals
    /// (`EINTR`) are retried.
    ///
    /// On an error `file` is dropped, so pass a borrow to keep it.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a range whose end does not fit an
    ///   `off_t`; (`EBADF`) when the descriptor's access mode does not allow `mode` (shared
    ///   needs read access, exclusive write access); (`EINVAL`) from a kernel older than 3.15
    ///   for an [`OfdLock`].
    /// - [`Other`](ErrorKind::Other) (`EDEADLK`), for a [`ProcessLock`] only: "the kernel
    ///   detected a deadlock", the holder waits for a lock this process holds.
    /// - [`LimitReached`](ErrorKind::LimitReached) (`ENOLCK`) when the kernel is out of memory
    ///   for lock records, or a remote lock manager (NFS) refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let guard = OfdLock::lock(&file, ByteRange::whole_file(), LockMode::Exclusive)?;
    /// assert_eq!(guard.range(), ByteRange::whole_file());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock(file: F, range: ByteRange, mode: LockMode) -> Result<Self> {
        Self::acquire(file, range, mode, Wait::Forever)
    }

    /// Locks `range` of `file` in `mode` if no other owner holds a conflicting lock on
    /// overlapping bytes now (`F_SETLK`, `F_OFD_SETLK`).
    ///
    /// # Errors
    ///
    /// - [`WouldBlock`](ErrorKind::WouldBlock) (`EAGAIN` or `EACCES`) when another owner
    ///   holds a conflicting lock.
    /// - The errors of [`lock`](Self::lock), except `EDEADLK`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, ProcessLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let _guard = ProcessLock::try_lock(&file, ByteRange::new(0, 1), LockMode::Shared)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_lock(file: F, range: ByteRange, mode: LockMode) -> Result<Self> {
        Self::acquire(file, range, mode, Wait::NonBlocking)
    }

    /// Locks `range` of `file` in `mode`, waiting at most `timeout` (see
    /// [Timeouts](Self#timeouts) for how).
    ///
    /// # Errors
    ///
    /// - [`TimedOut`](ErrorKind::TimedOut) when another owner still held a conflicting lock
    ///   after `timeout`.
    /// - The errors of [`try_lock`](Self::try_lock), except `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let range = ByteRange::new(0, 4);
    /// let _guard = OfdLock::lock_timeout(&file, range, LockMode::Exclusive, Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_timeout(
        file: F,
        range: ByteRange,
        mode: LockMode,
        timeout: Duration,
    ) -> Result<Self> {
        Self::acquire(file, range, mode, Wait::timeout(timeout))
    }

    /// Locks `range` of `file` in `mode`, waiting at most until `deadline` (see
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
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let _guard = OfdLock::lock_deadline(&file, ByteRange::new(8, 8), LockMode::Shared, deadline)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock_deadline(
        file: F,
        range: ByteRange,
        mode: LockMode,
        deadline: Instant,
    ) -> Result<Self> {
        Self::acquire(file, range, mode, Wait::deadline(deadline))
    }

    /// The lock that keeps a `mode` lock on `range` of `file` from being taken now by this
    /// owner, or `None` if it could be taken (`F_GETLK`, `F_OFD_GETLK`). Nothing is locked.
    ///
    /// The file is borrowed, not taken: closing a descriptor of the file would drop every
    /// process-associated lock this process holds on it (see [`ProcessLock`]).
    ///
    /// The answer may be stale at once: use it to say who holds a lock, never to decide whether
    /// to lock. A process never conflicts with its own
    /// process-associated locks, so a [`ProcessLock`] query does not report them; an
    /// [`OfdLock`] query reports locks of other descriptions, this process's included, and
    /// both report the other kind's conflicting locks.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a range whose end does not fit an
    ///   `off_t`, or (`EBADF`) a descriptor that is not open (`O_PATH`); (`EINVAL`) from a
    ///   kernel older than 3.15 for an [`OfdLock`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, ProcessLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// assert!(ProcessLock::holder(&file, ByteRange::whole_file(), LockMode::Exclusive)?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "F_GETLK")]
    #[doc(alias = "F_OFD_GETLK")]
    pub fn holder(file: &F, range: ByteRange, mode: LockMode) -> Result<Option<Holder>> {
        let fd = file.as_fd();
        let (command, operation) = K::GET;
        let answer = sys::fcntl_record(fd, command, raw(fd, operation, range, mode.fcntl_type())?)
            .map_err(|errno| lock_error(Call::Record, operation, Object::fd(fd), errno))?;
        // "If the lock could be placed, fcntl() does not actually place it, but returns F_UNLCK
        // in the l_type field of lock and leaves the other fields of the structure unchanged"
        // (fcntl(2)).
        let Some(mode) = LockMode::from_fcntl_type(answer.kind) else {
            return Ok(None);
        };
        let range = ByteRange::from_off_t(answer.start, answer.len).ok_or_else(|| {
            Error::new(ErrorKind::Other, operation)
                .with_object(Object::fd(fd))
                .with_detail("the kernel reported a negative range")
        })?;
        Ok(Some(Holder::new(mode, range, answer.pid)))
    }

    /// The locked range.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let guard = OfdLock::lock(&file, ByteRange::new(3, 4), LockMode::Shared)?;
    /// assert_eq!(guard.range(), ByteRange::new(3, 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn range(&self) -> ByteRange {
        self.range
    }

    /// The mode of the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let guard = OfdLock::lock(&file, ByteRange::new(3, 4), LockMode::Shared)?;
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
    /// use std::os::unix::fs::FileExt;
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let guard = OfdLock::lock(tempfile::tempfile()?, ByteRange::new(0, 5), LockMode::Exclusive)?;
    /// guard.get_ref().write_all_at(b"hello", 0)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.file
    }

    /// Turns an exclusive lock into a shared one, atomically; a shared lock stays as it is.
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ErrorKind::LimitReached) (`ENOLCK`) if the kernel needed a lock
    /// record it could not allocate; (`EBADF`)
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) for a descriptor not open for reading.
    /// The lock is unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let mut guard = OfdLock::lock(&file, ByteRange::new(0, 1), LockMode::Exclusive)?;
    /// guard.downgrade()?;
    /// assert_eq!(guard.mode(), LockMode::Shared);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn downgrade(&mut self) -> Result<()> {
        self.convert(LockMode::Shared, Wait::NonBlocking)
    }

    /// Turns a shared lock into an exclusive one, atomically, waiting as long as another
    /// owner holds a lock on overlapping bytes; an exclusive lock stays as it is.
    ///
    /// # Errors
    ///
    /// The errors of [`lock`](Self::lock); the shared lock is kept then. Two processes that
    /// both hold a shared [`ProcessLock`] and both upgrade deadlock, which the kernel detects
    /// (`EDEADLK`); two [`OfdLock`] holders doing so wait forever, since the kernel does not
    /// detect deadlocks among open-file-description locks.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let mut guard = OfdLock::lock(&file, ByteRange::new(0, 1), LockMode::Shared)?;
    /// guard.upgrade()?;
    /// assert_eq!(guard.mode(), LockMode::Exclusive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upgrade(&mut self) -> Result<()> {
        self.convert(LockMode::Exclusive, Wait::Forever)
    }

    /// Turns a shared lock into an exclusive one if no other owner holds a lock on overlapping
    /// bytes now.
    ///
    /// # Errors
    ///
    /// The errors of [`try_lock`](Self::try_lock), [`WouldBlock`](ErrorKind::WouldBlock)
    /// among them; the shared lock is kept then.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// let mut guard = OfdLock::lock(file.as_file(), ByteRange::new(0, 1), LockMode::Shared)?;
    /// guard.try_upgrade()?;
    /// assert_eq!(guard.mode(), LockMode::Exclusive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_upgrade(&mut self) -> Result<()> {
        self.convert(LockMode::Exclusive, Wait::NonBlocking)
    }

    /// Turns a shared lock into an exclusive one, waiting at most `timeout` (see
    /// [Timeouts](Self#timeouts) for how).
    ///
    /// # Errors
    ///
    /// The errors of [`lock_timeout`](Self::lock_timeout), [`TimedOut`](ErrorKind::TimedOut)
    /// among them; the shared lock is kept then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_shm::lock::{ByteRange, LockMode, ProcessLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// let mut guard = ProcessLock::lock(&file, ByteRange::new(0, 1), LockMode::Shared)?;
    /// guard.upgrade_timeout(Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn upgrade_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.convert(LockMode::Exclusive, Wait::timeout(timeout))
    }

    /// Releases the lock on the guard's range now (`F_UNLCK`), reporting an error the drop
    /// would have to ignore.
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ErrorKind::LimitReached) (`ENOLCK`): unlocking the middle of a
    /// larger lock of the same owner splits it in two, which needs a lock record the kernel
    /// may fail to allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::tempfile()?;
    /// OfdLock::lock(&file, ByteRange::new(0, 1), LockMode::Exclusive)?.unlock()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "F_UNLCK")]
    pub fn unlock(mut self) -> Result<()> {
        self.locked = false;
        let fd = self.file.as_fd();
        let (command, operation) = K::SET;
        let request = raw(fd, operation, self.range, libc::F_UNLCK)?;
        sys::fcntl_record(fd, command, request)
            .map(drop)
            .map_err(|errno| lock_error(Call::Record, operation, Object::fd(fd), errno))
    }

    fn acquire(file: F, range: ByteRange, mode: LockMode, wait: Wait) -> Result<Self> {
        set(file.as_fd(), range, mode, wait, K::SET, K::SET_WAIT)?;
        Ok(Self {
            file,
            range,
            mode,
            locked: true,
            owner: PhantomData,
        })
    }

    fn convert(&mut self, mode: LockMode, wait: Wait) -> Result<()> {
        if mode != self.mode {
            set(
                self.file.as_fd(),
                self.range,
                mode,
                wait,
                K::SET,
                K::SET_WAIT,
            )?;
            self.mode = mode;
        }
        Ok(())
    }
}

impl<F: AsFd, K: RecordOwner> Drop for RecordLock<F, K> {
    /// Releases the lock on the guard's range (`F_UNLCK`). An owned file is closed afterwards,
    /// which for a [`ProcessLock`] releases every lock this process holds on the file.
    fn drop(&mut self) {
        if self.locked {
            let fd = self.file.as_fd();
            let (command, operation) = K::SET;
            // The only failure for a range that could be locked is ENOLCK, when unlocking the
            // middle of a wider lock of the same owner must split it; a drop cannot report it.
            if let Ok(request) = raw(fd, operation, self.range, libc::F_UNLCK) {
                let _ = sys::fcntl_record(fd, command, request);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::os::fd::{BorrowedFd, OwnedFd};

    use super::*;
    use crate::lock::{OfdLock, ProcessLock};

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn guards_of_both_owners_are_send_and_sync_over_sendable_files() {
        assert_send_sync::<ProcessLock<File>>();
        assert_send_sync::<ProcessLock<&File>>();
        assert_send_sync::<OfdLock<OwnedFd>>();
        assert_send_sync::<OfdLock<BorrowedFd<'static>>>();
    }

    #[test]
    fn a_range_past_the_largest_offset_is_an_invalid_argument() {
        let file = tempfile::tempfile().unwrap();
        let range = ByteRange::new(u64::MAX, 1);
        let err = OfdLock::try_lock(&file, range, LockMode::Shared).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains("largest file offset"), "{err}");
    }

    #[test]
    fn an_exclusive_lock_on_a_read_only_descriptor_says_why_it_fails() {
        let named = tempfile::NamedTempFile::new().unwrap();
        let read_only = File::open(named.path()).unwrap();
        for err in [
            ProcessLock::try_lock(&read_only, ByteRange::whole_file(), LockMode::Exclusive)
                .unwrap_err(),
            OfdLock::try_lock(&read_only, ByteRange::whole_file(), LockMode::Exclusive)
                .unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(err.to_string().contains("open for writing"), "{err}");
        }
        OfdLock::try_lock(&read_only, ByteRange::whole_file(), LockMode::Shared).unwrap();
    }

    #[test]
    fn two_descriptions_in_one_process_contend_for_ofd_locks_but_not_for_process_locks() {
        let named = tempfile::NamedTempFile::new().unwrap();
        let other = named.reopen().unwrap();
        let range = ByteRange::new(0, 10);
        let _held = OfdLock::lock(named.as_file(), range, LockMode::Exclusive).unwrap();
        let err = OfdLock::try_lock(&other, range, LockMode::Exclusive).unwrap_err();
        assert!(err.is_would_block(), "{err}");
        assert_eq!(err.operation(), "fcntl(F_OFD_SETLK)");
        let holder = OfdLock::holder(&other, range, LockMode::Shared)
            .unwrap()
            .unwrap();
        assert_eq!(holder.pid(), None);
        // An OFD lock conflicts with a process lock even in the same process.
        let err = ProcessLock::try_lock(&other, range, LockMode::Shared).unwrap_err();
        assert!(err.is_would_block(), "{err}");
        let sut = ProcessLock::try_lock(&other, ByteRange::new(10, 10), LockMode::Exclusive);
        let also =
            ProcessLock::try_lock(named.as_file(), ByteRange::new(10, 10), LockMode::Exclusive);
        assert!(sut.is_ok() && also.is_ok());
    }

    #[test]
    fn a_guard_moved_to_another_thread_unlocks_there() {
        let named = tempfile::NamedTempFile::new().unwrap();
        let other = named.reopen().unwrap();
        let range = ByteRange::new(0, 1);
        let sut = OfdLock::lock(named.as_file(), range, LockMode::Exclusive).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(move || drop(sut));
        });
        OfdLock::try_lock(&other, range, LockMode::Exclusive).unwrap();
    }

    #[test]
    fn unlocking_reports_success_and_frees_the_range() {
        let named = tempfile::NamedTempFile::new().unwrap();
        let other = named.reopen().unwrap();
        let range = ByteRange::new(5, 5);
        let sut = OfdLock::lock(named.as_file(), range, LockMode::Exclusive).unwrap();
        sut.unlock().unwrap();
        assert!(
            OfdLock::holder(&other, range, LockMode::Exclusive)
                .unwrap()
                .is_none()
        );
    }
}
