//! The robust, process-shared mutex and its guard.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use bytemuck::Pod;
#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Deadline, Result, SharedRegion};
use rustix::io::Errno;

use super::lock_error::{LockError, LockResult, OwnerDied};
use super::place::{Data, aligned_ptr, errno_error, monotonic};
use crate::slot::{Slot, SlotType};
use crate::sys::pthread::{self, MUTEX_ALIGN, MUTEX_LEN, RawMutex};

/// A mutex in a shared region guarding a plain-old-data `T` beside it: process-shared and
/// robust (glibc's `pthread_mutex_t` with `PTHREAD_PROCESS_SHARED`, `PTHREAD_MUTEX_ROBUST` and
/// `PTHREAD_MUTEX_ERRORCHECK`).
///
/// The creator places it with [`init`](Self::init) at an offset of the region (inside
/// [`Header::init`](crate::header::Header::init)'s initialiser for a structured region); every
/// other process [`open`](Self::open)s it there, which checks the [`slot`](crate::slot) tag and
/// the size of the body (the pthread mutex and `size_of::<T>()`).
///
/// # Data access by copy
///
/// The guard hands out copies ([`get`](MutexGuard::get), [`set`](MutexGuard::set),
/// [`update`](MutexGuard::update)), never a `&mut T` into the region. The lock protects the
/// value only from processes that follow the protocol; any process that maps the region can
/// write the bytes whenever it likes, and a reference to memory that changes under it would
/// be undefined behaviour in this process. Copies are made of atomic operations, so whatever a
/// peer does, safe code here stays sound; under the lock, and with well-behaved peers, they
/// are also consistent.
///
/// # Crash behaviour
///
/// A process (or thread) that dies holding the lock — killed, crashed, or exited without
/// unlocking — is detected by the kernel's robust-futex list. The next locker gets the lock
/// together with [`LockError::OwnerDied`]; it repairs the data and calls
/// [`MutexGuard::mark_consistent`]. If it drops the guard without doing so, the mutex becomes
/// not recoverable: every later lock, in every process, fails with
/// [`CorruptSharedState`](ErrorKind::CorruptSharedState).
///
/// # Threads
///
/// `Mutex` is `Send` and `Sync` when the region is `Sync`: a process-shared mutex is made to
/// be locked from any thread. A [`MutexGuard`] is not `Send`: a pthread mutex must be unlocked
/// by the thread that locked it, and the robust list it is on is that thread's. Locking again
/// from the thread that holds the lock fails with [`InvalidArgument`](ErrorKind::InvalidArgument)
/// (`EDEADLK`) instead of deadlocking.
///
/// # Leaking a guard
///
/// Do not `mem::forget` a guard and then unmap the region: glibc keeps a held robust mutex on
/// the thread's robust list, and its next robust-mutex operation on that thread follows the
/// list into the old address. A forgotten guard otherwise just keeps the lock held until the
/// thread exits, when the next locker gets [`LockError::OwnerDied`].
///
/// # Examples
///
/// ```
/// use ipc_shm::AnonymousRegion;
/// use ipc_shm::sync::Mutex;
///
/// let region = AnonymousRegion::new(4096)?;
/// let counter = Mutex::init(&region, 0, 0_u64)?;
/// counter.lock()?.update(|n| *n += 1);
///
/// let other = Mutex::<_, u64>::open(&region, 0)?; // as another process would
/// assert_eq!(other.lock()?.get(), 1);
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [pthread_mutexattr_setrobust(3)](https://man7.org/linux/man-pages/man3/pthread_mutexattr_setrobust.3.html)
/// - [pthread_mutex_consistent(3)](https://man7.org/linux/man-pages/man3/pthread_mutex_consistent.3.html)
/// - [robust-futexes](https://docs.kernel.org/locking/robust-futexes.html)
#[doc(alias = "pthread_mutex_t")]
pub struct Mutex<'r, R: ?Sized, T> {
    region: &'r R,
    offset: usize,
    raw: RawMutex<'r>,
    data: Data<'r, T>,
}

impl<'r, R: SharedRegion + ?Sized, T: Pod> Mutex<'r, R, T> {
    /// Where `T` starts, counted from the body.
    const DATA_OFFSET: usize = MUTEX_LEN.next_multiple_of(align_of::<T>());
    /// The slot: the tag `MTX1`, a body of the pthread mutex then `T`.
    const SLOT: SlotType = SlotType::new(
        "mutex",
        *b"MTX1",
        Self::DATA_OFFSET + size_of::<T>(),
        if align_of::<T>() > MUTEX_ALIGN {
            align_of::<T>()
        } else {
            MUTEX_ALIGN
        },
    );
    /// The bytes a mutex guarding a `T` occupies from its offset, for planning a layout.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::sync::Mutex;
    ///
    /// let footprint = Mutex::<AnonymousRegion, u64>::FOOTPRINT;
    /// assert!(footprint >= 16 + 8);
    /// ```
    pub const FOOTPRINT: usize = Self::SLOT.footprint();

    /// Places a new mutex guarding `initial` at `offset` (a multiple of 8) of `region`.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the offset is not a multiple of 8,
    ///   or [`FOOTPRINT`](Self::FOOTPRINT) bytes do not fit there.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): something was placed there already.
    /// - [`Other`](ErrorKind::Other): `pthread_mutex_init` failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::sync::Mutex;
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let sut = Mutex::init(&region, 64, [1_u32, 2])?;
    /// assert_eq!(sut.lock()?.get(), [1, 2]);
    /// assert!(Mutex::init(&region, 64, [0_u32, 0]).is_err()); // taken
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_init")]
    pub fn init(region: &'r R, offset: usize, initial: T) -> Result<Self> {
        let slot = Slot::init(region, offset, Self::SLOT, |region, body| {
            let ptr = aligned_ptr(region, body, MUTEX_LEN, MUTEX_ALIGN)?;
            // SAFETY: `ptr` is aligned and inside the region (checked by `aligned_ptr`), which
            // stays mapped while borrowed; the slot's claim (just won by `Slot::init`) means no
            // other thread or process uses these bytes until the slot is published.
            #[allow(unsafe_code, reason = "initialising a pthread mutex in the region")]
            let initialised = unsafe { pthread::init_mutex(ptr) };
            initialised
                .map_err(|errno| errno_error(region, "mutex::init", "mutex", offset, errno))?;
            Data::<T>::new(region, body + Self::DATA_OFFSET)?.store(&initial);
            Ok(())
        })?;
        Self::from_slot(&slot, offset)
    }

    /// Opens the mutex at `offset` of `region`, checking that one guarding a `T`-sized value
    /// was placed there.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the slot does not fit at `offset`.
    /// - [`WouldBlock`](ErrorKind::WouldBlock): nothing is initialised there (yet).
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState): something else is there (the
    ///   error names the field: the tag, or the body's length for another `T`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::sync::Mutex;
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// Mutex::init(&region, 0, 7_u64)?;
    /// assert_eq!(Mutex::<_, u64>::open(&region, 0)?.lock()?.get(), 7);
    /// let wrong = Mutex::<_, [u64; 2]>::open(&region, 0).unwrap_err();
    /// assert_eq!(wrong.kind(), ErrorKind::CorruptSharedState);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(region: &'r R, offset: usize) -> Result<Self> {
        let slot = Slot::open(region, offset, Self::SLOT)?;
        Self::from_slot(&slot, offset)
    }

    fn from_slot(slot: &Slot<'r, R>, offset: usize) -> Result<Self> {
        let region = slot.region();
        let body = slot.body_offset();
        let ptr = aligned_ptr(region, body, MUTEX_LEN, MUTEX_ALIGN)?;
        // SAFETY: the slot is ready and tagged as a mutex of this body length, so its creator
        // ran `init_mutex` at this aligned `ptr` before publishing it (the Acquire in
        // `Slot::open` pairs with its Release); the region stays mapped for `'r`.
        #[allow(unsafe_code, reason = "naming an initialised pthread mutex")]
        let raw = unsafe { RawMutex::new(ptr) };
        Ok(Self {
            region,
            offset,
            raw,
            data: Data::new(region, body + Self::DATA_OFFSET)?,
        })
    }

    /// Locks the mutex, waiting as long as it takes.
    ///
    /// # Errors
    ///
    /// - [`LockError::OwnerDied`]: locked, and the previous owner died holding it.
    /// - [`LockError::Failed`] with [`CorruptSharedState`](ErrorKind::CorruptSharedState): not
    ///   recoverable (an owner died and nobody marked it consistent), or
    ///   [`InvalidArgument`](ErrorKind::InvalidArgument): this thread holds it already.
    ///
    /// # Signals
    ///
    /// `pthread_mutex_lock` never fails with `EINTR`; a signal handler runs and the wait
    /// resumes.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_i32)?;
    /// sut.lock()?.set(&-1);
    /// assert_eq!(sut.lock()?.get(), -1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_lock")]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, 'r, R, T>> {
        self.finish("mutex::lock", self.raw.lock())
    }

    /// Locks the mutex if no one holds it.
    ///
    /// # Errors
    ///
    /// As [`lock`](Self::lock), and [`WouldBlock`](ErrorKind::WouldBlock) when it is held.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8)?;
    /// assert_eq!(sut.try_lock()?.get(), 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_trylock")]
    pub fn try_lock(&self) -> LockResult<MutexGuard<'_, 'r, R, T>> {
        self.finish("mutex::try_lock", self.raw.try_lock())
    }

    /// Locks the mutex, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`lock`](Self::lock), and [`TimedOut`](ErrorKind::TimedOut).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8)?;
    /// assert!(sut.lock_timeout(Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_clocklock")]
    pub fn lock_timeout(&self, timeout: Duration) -> LockResult<MutexGuard<'_, 'r, R, T>> {
        match Deadline::after(timeout).instant() {
            Some(deadline) => self.lock_deadline(deadline),
            None => self.lock(),
        }
    }

    /// Locks the mutex, waiting until `deadline` at most; measured on `CLOCK_MONOTONIC`
    /// (`pthread_mutex_clocklock`), so changes of the wall clock do not move it.
    ///
    /// # Errors
    ///
    /// As [`lock_timeout`](Self::lock_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8)?;
    /// assert!(sut.lock_deadline(Instant::now() + Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn lock_deadline(&self, deadline: Instant) -> LockResult<MutexGuard<'_, 'r, R, T>> {
        self.finish(
            "mutex::lock_deadline",
            self.raw.lock_until(monotonic(deadline)),
        )
    }

    /// The offset the mutex was placed at.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// assert_eq!(ipc_shm::sync::Mutex::init(&region, 128, 0_u8)?.offset(), 128);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The guard, the guard with [`LockError::OwnerDied`], or the error, from a lock call's
    /// result.
    fn finish(
        &self,
        operation: &'static str,
        locked: std::result::Result<(), Errno>,
    ) -> LockResult<MutexGuard<'_, 'r, R, T>> {
        let guard = || MutexGuard {
            mutex: self,
            _not_send: PhantomData,
        };
        match locked {
            Ok(()) => Ok(guard()),
            // "If the owning thread terminates while holding the mutex lock, the next thread
            // that acquires the mutex is notified by the return value EOWNERDEAD", and holds it.
            Err(Errno::OWNERDEAD) => Err(LockError::OwnerDied(OwnerDied::new(guard()))),
            Err(errno) => Err(LockError::Failed(self.error(operation, errno))),
        }
    }

    fn error(&self, operation: &'static str, errno: Errno) -> ipc_core::Error {
        errno_error(self.region, operation, "mutex", self.offset, errno)
    }
}

impl<R: ?Sized, T> fmt::Debug for Mutex<'_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// The lock on a [`Mutex`], held until dropped; reaches the value by copy.
///
/// Not `Send`: it must be dropped (unlocked) on the thread that locked.
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: &T) {}
/// let region = ipc_shm::AnonymousRegion::new(4096).unwrap();
/// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8).unwrap();
/// assert_send(&sut.lock().unwrap());
/// ```
///
/// # Examples
///
/// ```
/// let region = ipc_shm::AnonymousRegion::new(4096)?;
/// let mutex = ipc_shm::sync::Mutex::init(&region, 0, 1_u32)?;
/// let sut = mutex.lock()?;
/// sut.update(|n| *n *= 10);
/// assert_eq!(sut.get(), 10);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, 'r, R: ?Sized, T> {
    mutex: &'a Mutex<'r, R, T>,
    /// `!Send` (the locking thread must unlock) but `Sync` (`&self` only copies).
    _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl<'a, 'r, R: SharedRegion + ?Sized, T: Pod> MutexGuard<'a, 'r, R, T> {
    /// A copy of the guarded value.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let mutex = ipc_shm::sync::Mutex::init(&region, 0, 3_u16)?;
    /// assert_eq!(mutex.lock()?.get(), 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn get(&self) -> T {
        self.mutex.data.load()
    }

    /// Replaces the guarded value with a copy of `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let mutex = ipc_shm::sync::Mutex::init(&region, 0, 3_u16)?;
    /// mutex.lock()?.set(&4);
    /// assert_eq!(mutex.lock()?.get(), 4);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn set(&self, value: &T) {
        self.mutex.data.store(value);
    }

    /// Copies the value out, lets `f` change the copy, and copies it back; returns what `f`
    /// returns. If `f` panics, nothing is written back.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let mutex = ipc_shm::sync::Mutex::init(&region, 0, [0_u32; 4])?;
    /// let sum = mutex.lock()?.update(|slots| {
    ///     slots[2] = 5;
    ///     slots.iter().sum::<u32>()
    /// });
    /// assert_eq!(sum, 5);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn update<U>(&self, f: impl FnOnce(&mut T) -> U) -> U {
        let mut value = self.get();
        let result = f(&mut value);
        self.set(&value);
        result
    }

    /// Marks the mutex consistent again after [`LockError::OwnerDied`]: call it once the data
    /// is repaired, before dropping the guard, or the mutex becomes not recoverable for
    /// everyone.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when the mutex is not in the owner-died
    /// state (`EINVAL`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::sync::{LockError, Mutex};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let sut = Mutex::init(&region, 0, 0_u64)?;
    /// let guard = match sut.lock() {
    ///     Ok(guard) => guard,
    ///     Err(LockError::OwnerDied(died)) => {
    ///         let guard = died.into_guard();
    ///         guard.set(&0); // repair: here, start again
    ///         guard.mark_consistent()?;
    ///         guard
    ///     }
    ///     Err(LockError::Failed(err)) => return Err(err),
    /// };
    /// assert!(guard.mark_consistent().is_err()); // nobody died
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_consistent")]
    pub fn mark_consistent(&self) -> Result<()> {
        self.mutex
            .raw
            .make_consistent()
            .map_err(|errno| self.mutex.error("mutex::mark_consistent", errno))
    }

    /// The mutex this guard locks.
    pub(crate) fn mutex(&self) -> &'a Mutex<'r, R, T> {
        self.mutex
    }
}

impl<R: ?Sized, T> Drop for MutexGuard<'_, '_, R, T> {
    fn drop(&mut self) {
        // The guard is not `Send`, so this is the locking thread, and the only failure of an
        // error-checking mutex's unlock (`EPERM`, not the owner) cannot happen.
        let unlocked = self.mutex.raw.unlock();
        debug_assert!(unlocked.is_ok(), "unlocking a held mutex: {unlocked:?}");
    }
}

impl<R: ?Sized, T> fmt::Debug for MutexGuard<'_, '_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexGuard")
            .field("offset", &self.mutex.offset)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnonymousRegion;
    use ipc_core::ErrorKind;

    #[test]
    fn mutexes_are_send_and_sync_and_guards_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_sync<T: Sync>() {}
        assert_send_sync::<Mutex<'static, AnonymousRegion, u64>>();
        assert_sync::<MutexGuard<'static, 'static, AnonymousRegion, u64>>();
    }

    #[test]
    fn locking_twice_from_one_thread_fails_instead_of_deadlocking() {
        let region = AnonymousRegion::new(4096).unwrap();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        let _held = sut.lock().unwrap();
        for err in [sut.lock().unwrap_err(), sut.try_lock().unwrap_err()] {
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        }
    }

    #[test]
    fn a_held_mutex_makes_another_thread_wait_or_time_out() {
        let region = AnonymousRegion::new(4096).unwrap();
        let sut = Mutex::init(&region, 8, 0_u32).unwrap();
        let held = sut.lock().unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let err = sut.try_lock().unwrap_err();
                assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
                let start = Instant::now();
                let err = sut.lock_timeout(Duration::from_millis(50)).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
                assert!(start.elapsed() >= Duration::from_millis(50));
            });
        });
        drop(held);
    }

    #[test]
    fn a_thread_that_exits_holding_the_lock_leaves_it_owner_died() {
        let region = AnonymousRegion::new(4096).unwrap();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| std::mem::forget(sut.lock().unwrap()));
        });
        let Err(LockError::OwnerDied(died)) = sut.lock() else {
            panic!("expected owner-died");
        };
        let guard = died.into_guard();
        guard.mark_consistent().unwrap();
        drop(guard);
        drop(sut.lock().unwrap());
    }
}
