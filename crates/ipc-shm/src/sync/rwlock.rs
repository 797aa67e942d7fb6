//! The process-shared read-write lock and its guards.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use bytemuck::Pod;
#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Deadline, Limit, LimitScope, Result, SharedRegion};
use rustix::io::Errno;

use super::place::{Data, errno_error};
use crate::RegionAccess;
use crate::slot::{Slot, SlotType};
use crate::sys::pthread::{self, RWLOCK_ALIGN, RWLOCK_LEN, RawRwLock};

/// The limit behind `EAGAIN` from a read lock: glibc counts readers in the bits of one
/// 32-bit word below its `PTHREAD_RWLOCK_READER_OVERFLOW` bit.
const READER_LIMIT: &str = "readers of one pthread_rwlock_t (glibc PTHREAD_RWLOCK_READER_OVERFLOW)";

/// A read-write lock in a shared region guarding a plain-old-data `T` beside it: many readers
/// or one writer, across processes (glibc's `pthread_rwlock_t`, `PTHREAD_PROCESS_SHARED`,
/// preferring writers so that a stream of readers cannot starve them).
///
/// Placed and opened like [`Mutex`](super::Mutex), and the guards reach the value by copy for
/// the same reasons.
///
/// # Crash behaviour
///
/// **Not robust.** glibc's read-write lock has no robust mode: a process that dies holding it
/// (reading or writing) **or waiting for it** leaves it held for good. A waiter counts because
/// glibc hands the lock over to waiters in the lock's own words: a writer killed while blocked
/// behind a reader is made the owner when that reader unlocks, and a reader killed while
/// blocked behind a writer is counted as a reader when that writer unlocks, so readers still
/// share the lock but no writer gets it again (glibc 2.36; the crate's tests
/// `a_writer_killed_while_waiting_…` and `a_reader_killed_while_waiting_…` show both). Nothing
/// records which process that is, so nobody can undo it.
///
/// [`read`](Self::read) and [`write`](Self::write) then wait forever; the timed forms
/// ([`read_timeout`](Self::read_timeout), [`write_timeout`](Self::write_timeout) and their
/// `_deadline` twins) return [`TimedOut`](ErrorKind::TimedOut) and never hang. That bounds
/// the caller's wait; it does not protect the lock: a peer killed *inside* a timed form wedges
/// it as surely as one killed holding it. Where a peer may be killed, use a
/// [`Mutex`](super::Mutex), which detects dead owners, or treat a `TimedOut` here as "the lock
/// may be lost" and rebuild it (a new region) rather than retry for ever.
///
/// # Threads
///
/// `RwLock` is `Send` and `Sync` when the region is `Sync`; its guards are not `Send`. A thread
/// that holds the write lock and asks for it (or a read lock) again gets
/// [`InvalidArgument`](ErrorKind::InvalidArgument) (`EDEADLK`); one that holds a read lock and
/// asks for another may deadlock when a writer waits in between (writers are preferred).
///
/// # Leaks
///
/// Leaking a guard (`mem::forget`) leaves the lock held for good, as a crash does, and nothing
/// else: unlike a robust mutex, glibc's read-write lock is on no per-thread list, so the region
/// may be unmapped afterwards. (glibc's `nptl/pthread_rwlock_common.c` keeps all of its state in
/// the lock's own words; the only trace of the holder is the writer's thread ID, stored in the
/// lock's `__cur_writer` to detect `EDEADLK`. The robust list is built only by the robust
/// mutex paths of `pthread_mutex_lock.c`, with `ENQUEUE_MUTEX` from `nptl/descr.h`.) So an
/// `RwLock` only borrows its region, where a [`Mutex`](super::Mutex) keeps a reference to it.
///
/// # Examples
///
/// ```
/// use ipc_shm::AnonymousRegion;
/// use ipc_shm::sync::RwLock;
///
/// let region = AnonymousRegion::new(4096)?;
/// let config = RwLock::init(&region, 0, [0_u32; 4])?;
/// config.write()?.set(&[1, 2, 3, 4]);
/// let a = config.read()?;
/// let b = config.try_read()?; // readers share
/// assert_eq!(a.get(), b.get());
/// assert!(config.try_write().is_err());
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [pthread_rwlockattr_setkind_np(3)](https://man7.org/linux/man-pages/man3/pthread_rwlockattr_setkind_np.3.html)
/// - [pthread_rwlock_rdlock(3p)](https://man7.org/linux/man-pages/man3/pthread_rwlock_rdlock.3p.html)
#[doc(alias = "pthread_rwlock_t")]
pub struct RwLock<'r, R: ?Sized, T> {
    region: &'r R,
    offset: usize,
    raw: RawRwLock<'r>,
    data: Data<'r, T>,
}

impl<'r, R: SharedRegion + ?Sized, T: Pod> RwLock<'r, R, T> {
    /// Where `T` starts, counted from the body.
    const DATA_OFFSET: usize = RWLOCK_LEN.next_multiple_of(align_of::<T>());
    /// The slot: the tag `RWL1`, a body of the pthread rwlock then `T`.
    const SLOT: SlotType = SlotType::new(
        "rwlock",
        *b"RWL1",
        Self::DATA_OFFSET + size_of::<T>(),
        if align_of::<T>() > RWLOCK_ALIGN {
            align_of::<T>()
        } else {
            RWLOCK_ALIGN
        },
    );
    /// The bytes a lock guarding a `T` occupies from its offset, for planning a layout.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_shm::sync::RwLock::<ipc_shm::AnonymousRegion, u64>::FOOTPRINT > 24);
    /// ```
    pub const FOOTPRINT: usize = Self::SLOT.footprint();

    /// Places a new lock guarding `initial` at `offset` of `region`, a multiple of 8 (or of
    /// `T`'s alignment when that is larger:
    /// [`SlotType::offset_align`](crate::slot::SlotType::offset_align)).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the offset is not a multiple of the
    ///   slot's alignment, or [`FOOTPRINT`](Self::FOOTPRINT) bytes do not fit there.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): something was placed there already, or
    ///   is being placed (also by a process that died doing it: openers then get
    ///   [`PeerGone`](ErrorKind::PeerGone)).
    /// - `pthread_rwlock_init` failing, by its errno: [`LimitReached`](ErrorKind::LimitReached)
    ///   (`EAGAIN`), [`PermissionDenied`](ErrorKind::PermissionDenied) (`EPERM`),
    ///   [`InvalidArgument`](ErrorKind::InvalidArgument) (`EINVAL`) or
    ///   [`Other`](ErrorKind::Other) (`ENOMEM`). glibc's never fails; POSIX allows these.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 8, 5_i64)?;
    /// assert_eq!(sut.read()?.get(), 5);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_init")]
    pub fn init(region: &'r R, offset: usize, initial: T) -> Result<Self> {
        let slot = Slot::init(region, offset, Self::SLOT, |region, body| {
            let ptr = region.ptr_at_aligned(body, RWLOCK_LEN, RWLOCK_ALIGN)?;
            // SAFETY: `ptr` is aligned and inside the region (checked by `ptr_at_aligned`), which
            // stays mapped while borrowed; the slot's claim (just won by `Slot::init`) means no
            // other thread or process uses these bytes until the slot is published.
            #[allow(unsafe_code, reason = "initialising a pthread rwlock in the region")]
            let initialised = unsafe { pthread::init_rwlock(ptr) };
            initialised.map_err(|errno| {
                errno_error(region, "pthread_rwlock_init", "rwlock", offset, errno)
            })?;
            Data::<T>::new(region, body + Self::DATA_OFFSET)?.store(&initial);
            Ok(())
        })?;
        Self::from_slot(&slot, offset)
    }

    /// Opens the lock at `offset` of `region`, checking that one guarding a `T`-sized value
    /// was placed there.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the slot does not fit at `offset`.
    /// - [`WouldBlock`](ErrorKind::WouldBlock): nothing is initialised there (yet), or a live
    ///   process is initialising it.
    /// - [`PeerGone`](ErrorKind::PeerGone): the process that claimed the slot died before
    ///   publishing it; it will never be ready.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState): something else is there.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// ipc_shm::sync::Mutex::init(&region, 0, 0_u64)?;
    /// let err = ipc_shm::sync::RwLock::<_, u64>::open(&*region, 0).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::CorruptSharedState); // a mutex
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(region: &'r R, offset: usize) -> Result<Self> {
        let slot = Slot::open(region, offset, Self::SLOT)?;
        Self::from_slot(&slot, offset)
    }

    fn from_slot(slot: &Slot<'r, R>, offset: usize) -> Result<Self> {
        let region = slot.region();
        let body = slot.body_offset();
        let ptr = region.ptr_at_aligned(body, RWLOCK_LEN, RWLOCK_ALIGN)?;
        // SAFETY: the slot is ready and tagged as an rwlock of this body length, so its
        // creator ran `init_rwlock` at this aligned `ptr` before publishing it (the Acquire in
        // `Slot::open` pairs with its Release); the region stays mapped for `'r`.
        #[allow(unsafe_code, reason = "naming an initialised pthread rwlock")]
        let raw = unsafe { RawRwLock::new(ptr) };
        Ok(Self {
            region,
            offset,
            raw,
            data: Data::new(region, body + Self::DATA_OFFSET)?,
        })
    }

    /// Takes a shared (read) lock, waiting as long as it takes: forever if a process died
    /// holding or waiting for the write lock (see the type's `# Crash behaviour`).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): this thread holds the write lock
    ///   (`EDEADLK`).
    /// - [`LimitReached`](ErrorKind::LimitReached): as many readers hold it as glibc counts
    ///   (`EAGAIN`); the error's [`limit`](ipc_core::Error::limit) names that fixed limit.
    ///
    /// # Signals
    ///
    /// `pthread_rwlock_rdlock` never fails with `EINTR`; a signal handler runs and the wait
    /// resumes (also in the timed forms, for the time left).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// assert_eq!(sut.read()?.get(), 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_rdlock")]
    pub fn read(&self) -> Result<RwLockReadGuard<'_, 'r, R, T>> {
        self.finish_read("pthread_rwlock_rdlock", self.raw.read(false))
    }

    /// Takes a shared lock if no writer holds it or waits for it.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read), and [`WouldBlock`](ErrorKind::WouldBlock) (`EBUSY`) when a
    /// writer holds it or waits for it; only the `try_` forms return `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// let _writing = sut.write()?;
    /// assert_eq!(sut.try_read().unwrap_err().kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_tryrdlock")]
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, 'r, R, T>> {
        self.finish_read("pthread_rwlock_tryrdlock", self.raw.read(true))
    }

    /// Takes a shared lock, waiting at most `timeout`; returns even when a dead process holds
    /// the lock or died waiting for it.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read), and [`TimedOut`](ErrorKind::TimedOut) (`ETIMEDOUT`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// assert!(sut.read_timeout(Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_clockrdlock")]
    pub fn read_timeout(&self, timeout: Duration) -> Result<RwLockReadGuard<'_, 'r, R, T>> {
        match Deadline::after(timeout).instant() {
            Some(deadline) => self.read_deadline(deadline),
            None => self.read(),
        }
    }

    /// Takes a shared lock, waiting until `deadline` (on `CLOCK_MONOTONIC`) at most.
    ///
    /// # Errors
    ///
    /// As [`read_timeout`](Self::read_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// assert!(sut.read_deadline(Instant::now() + Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read_deadline(&self, deadline: Instant) -> Result<RwLockReadGuard<'_, 'r, R, T>> {
        self.finish_read(
            "pthread_rwlock_clockrdlock",
            self.raw.read_until(Deadline::at(deadline).to_monotonic()),
        )
    }

    /// Takes the exclusive (write) lock, waiting as long as it takes: forever if a process
    /// died holding the lock or waiting for it (see the type's `# Crash behaviour`).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument): this thread holds the write lock
    /// (`EDEADLK`).
    ///
    /// # Signals
    ///
    /// `pthread_rwlock_wrlock` never fails with `EINTR`; a signal handler runs and the wait
    /// resumes (also in the timed forms, for the time left).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// sut.write()?.update(|v| *v += 1);
    /// assert_eq!(sut.read()?.get(), 2);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_wrlock")]
    pub fn write(&self) -> Result<RwLockWriteGuard<'_, 'r, R, T>> {
        self.finish_write("pthread_rwlock_wrlock", self.raw.write(false))
    }

    /// Takes the exclusive lock if nobody holds the lock.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write), and [`WouldBlock`](ErrorKind::WouldBlock) (`EBUSY`) when it
    /// is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// let _reading = sut.read()?;
    /// assert_eq!(sut.try_write().unwrap_err().kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_trywrlock")]
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, 'r, R, T>> {
        self.finish_write("pthread_rwlock_trywrlock", self.raw.write(true))
    }

    /// Takes the exclusive lock, waiting at most `timeout`; returns even when a dead process
    /// holds the lock or died waiting for it.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write), and [`TimedOut`](ErrorKind::TimedOut) (`ETIMEDOUT`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// let _reading = sut.read()?;
    /// let err = sut.write_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_rwlock_clockwrlock")]
    pub fn write_timeout(&self, timeout: Duration) -> Result<RwLockWriteGuard<'_, 'r, R, T>> {
        match Deadline::after(timeout).instant() {
            Some(deadline) => self.write_deadline(deadline),
            None => self.write(),
        }
    }

    /// Takes the exclusive lock, waiting until `deadline` (on `CLOCK_MONOTONIC`) at most.
    ///
    /// # Errors
    ///
    /// As [`write_timeout`](Self::write_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::RwLock::init(&region, 0, 1_u8)?;
    /// assert!(sut.write_deadline(Instant::now() + Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_deadline(&self, deadline: Instant) -> Result<RwLockWriteGuard<'_, 'r, R, T>> {
        self.finish_write(
            "pthread_rwlock_clockwrlock",
            self.raw.write_until(Deadline::at(deadline).to_monotonic()),
        )
    }

    /// The offset the lock was placed at.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// assert_eq!(ipc_shm::sync::RwLock::init(&region, 64, 0_u8)?.offset(), 64);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn finish_read(
        &self,
        operation: &'static str,
        locked: std::result::Result<(), Errno>,
    ) -> Result<RwLockReadGuard<'_, 'r, R, T>> {
        locked.map_err(|errno| {
            let err = errno_error(self.region, operation, "rwlock", self.offset, errno);
            if errno == Errno::AGAIN {
                // pthread_rwlock_rdlock(3p): "[EAGAIN] The read lock could not be acquired
                // because the maximum number of read locks for rwlock has been exceeded."
                err.with_limit(Limit::new(READER_LIMIT, LimitScope::Fixed))
            } else {
                err
            }
        })?;
        Ok(RwLockReadGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    fn finish_write(
        &self,
        operation: &'static str,
        locked: std::result::Result<(), Errno>,
    ) -> Result<RwLockWriteGuard<'_, 'r, R, T>> {
        locked
            .map_err(|errno| errno_error(self.region, operation, "rwlock", self.offset, errno))?;
        Ok(RwLockWriteGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }
}

impl<R: ?Sized, T> fmt::Debug for RwLock<'_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// A shared lock on an [`RwLock`], held until dropped; reads the value by copy.
///
/// # Examples
///
/// ```
/// let region = ipc_shm::AnonymousRegion::new(4096)?;
/// let lock = ipc_shm::sync::RwLock::init(&region, 0, 9_u32)?;
/// let sut = lock.read()?;
/// assert_eq!(sut.get(), 9);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, 'r, R: ?Sized, T> {
    lock: &'a RwLock<'r, R, T>,
    /// `!Send`: the locking thread releases it.
    _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl<R: SharedRegion + ?Sized, T: Pod> RwLockReadGuard<'_, '_, R, T> {
    /// A copy of the guarded value.
    ///
    /// # Examples
    ///
    /// See the type's example.
    pub fn get(&self) -> T {
        self.lock.data.load()
    }
}

/// The exclusive lock on an [`RwLock`], held until dropped; reaches the value by copy.
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: &T) {}
/// let region = ipc_shm::AnonymousRegion::new(4096).unwrap();
/// let sut = ipc_shm::sync::RwLock::init(&region, 0, 0_u8).unwrap();
/// assert_send(&sut.write().unwrap());
/// ```
///
/// # Examples
///
/// ```
/// let region = ipc_shm::AnonymousRegion::new(4096)?;
/// let lock = ipc_shm::sync::RwLock::init(&region, 0, 9_u32)?;
/// let sut = lock.write()?;
/// sut.set(&10);
/// assert_eq!(sut.update(|v| { *v += 1; *v }), 11);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, 'r, R: ?Sized, T> {
    lock: &'a RwLock<'r, R, T>,
    /// `!Send`: the locking thread releases it.
    _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl<R: SharedRegion + ?Sized, T: Pod> RwLockWriteGuard<'_, '_, R, T> {
    /// A copy of the guarded value.
    ///
    /// # Examples
    ///
    /// See the type's example.
    pub fn get(&self) -> T {
        self.lock.data.load()
    }

    /// Replaces the guarded value with a copy of `value`.
    ///
    /// # Examples
    ///
    /// See the type's example.
    pub fn set(&self, value: &T) {
        self.lock.data.store(value);
    }

    /// Copies the value out, lets `f` change the copy, and copies it back; returns what `f`
    /// returns. If `f` panics, nothing is written back.
    ///
    /// # Examples
    ///
    /// See the type's example.
    pub fn update<U>(&self, f: impl FnOnce(&mut T) -> U) -> U {
        let mut value = self.get();
        let result = f(&mut value);
        self.set(&value);
        result
    }
}

impl<R: ?Sized, T> Drop for RwLockReadGuard<'_, '_, R, T> {
    fn drop(&mut self) {
        let unlocked = self.lock.raw.unlock();
        debug_assert!(unlocked.is_ok(), "unlocking a held rwlock: {unlocked:?}");
    }
}

impl<R: ?Sized, T> Drop for RwLockWriteGuard<'_, '_, R, T> {
    fn drop(&mut self) {
        let unlocked = self.lock.raw.unlock();
        debug_assert!(unlocked.is_ok(), "unlocking a held rwlock: {unlocked:?}");
    }
}

impl<R: ?Sized, T> fmt::Debug for RwLockReadGuard<'_, '_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockReadGuard").finish_non_exhaustive()
    }
}

impl<R: ?Sized, T> fmt::Debug for RwLockWriteGuard<'_, '_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockWriteGuard").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnonymousRegion;
    use ipc_core::ErrorKind;

    #[test]
    fn rwlocks_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RwLock<'static, AnonymousRegion, u64>>();
    }

    #[test]
    fn a_writer_asking_again_is_refused_instead_of_deadlocking() {
        let region = AnonymousRegion::new(4096).unwrap();
        let sut = RwLock::init(&region, 0, 0_u32).unwrap();
        let _held = sut.write().unwrap();
        assert_eq!(sut.write().unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(sut.read().unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
