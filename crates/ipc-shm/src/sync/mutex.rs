//! The robust, process-shared mutex.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytemuck::Pod;
#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Deadline, Result, SharedRegion};
use rustix::io::Errno;

use super::lock_error::{LockError, LockResult, OwnerDied};
use super::mutex_guard::MutexGuard;
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
/// `Mutex` is `Send` and `Sync` when the region is `Send` and `Sync` (it holds an `Arc` of
/// it): a process-shared mutex is made to be locked from any thread. A [`MutexGuard`] is not
/// `Send`: a pthread mutex must be unlocked by the thread that locked it, and the robust list
/// it is on is that thread's. Locking again from the thread that holds the lock fails with
/// [`InvalidArgument`](ErrorKind::InvalidArgument) (`EDEADLK`) instead of deadlocking.
///
/// # Leaks
///
/// The mutex holds a strong reference to its region, and the region stays mapped for as long
/// as a lock taken through it may still be held: leaking a guard (`mem::forget`, a reference
/// cycle) is safe. glibc keeps each robust mutex a thread holds on that thread's robust list,
/// a list threaded through the mutexes themselves; its later lock and unlock calls on that
/// thread, and the kernel when the thread exits, follow the list into every mutex still on it.
/// Unmapping a region holding one would send them into freed memory, so when a `Mutex` is
/// dropped while one of the guards it handed out was never dropped, it leaks its reference to
/// the region instead: the region is never dropped (a [`SharedMemory`](crate::SharedMemory)
/// creator does not remove its name either), and its mapping stays for the life of the
/// process. That is the whole cost of a forgotten guard; the lock itself stays held until the
/// thread exits, when the next locker gets [`LockError::OwnerDied`]. Leaking the `Mutex`
/// itself leaks its reference too, with the same effect.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use ipc_shm::AnonymousRegion;
/// use ipc_shm::sync::Mutex;
///
/// let region = Arc::new(AnonymousRegion::new(4096)?);
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
pub struct Mutex<R: ?Sized, T> {
    /// Keeps the mapping `raw` and `data` point into; leaked by `drop` after a forgotten guard.
    region: Arc<R>,
    pub(super) offset: usize,
    pub(super) raw: RawMutex,
    pub(super) data: Data<'static, T>,
    /// The guards handed out and not dropped yet: raised before a guard is returned, lowered
    /// after its unlock. Only this handle's guards count (another `Mutex` opened on the same
    /// slot has its own), which is enough: they are the ones whose robust-list entries lie in
    /// the mapping this handle keeps.
    pub(super) guards: AtomicUsize,
}

impl<R: SharedRegion + ?Sized, T: Pod> Mutex<R, T> {
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

    /// Places a new mutex guarding `initial` at `offset` of `region`, a multiple of 8 (or of `T`'s alignment when that is larger:
    /// [`SlotType::offset_align`](crate::slot::SlotType::offset_align)).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the offset is not a multiple of the slot's alignment,
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
    /// let region = std::sync::Arc::new(AnonymousRegion::new(4096)?);
    /// let sut = Mutex::init(&region, 64, [1_u32, 2])?;
    /// assert_eq!(sut.lock()?.get(), [1, 2]);
    /// assert!(Mutex::init(&region, 64, [0_u32, 0]).is_err()); // taken
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_init")]
    pub fn init(region: &Arc<R>, offset: usize, initial: T) -> Result<Self> {
        let slot = Slot::init(&**region, offset, Self::SLOT, |region, body| {
            let ptr = aligned_ptr(region, body, MUTEX_LEN, MUTEX_ALIGN)?;
            // SAFETY: `ptr` is aligned and inside the region (checked by `aligned_ptr`), which
            // stays mapped while `region` is borrowed; the slot's claim (just won by
            // `Slot::init`) means no other thread or process uses these bytes until the slot is
            // published.
            #[allow(unsafe_code, reason = "initialising a pthread mutex in the region")]
            let initialised = unsafe { pthread::init_mutex(ptr) };
            initialised
                .map_err(|errno| errno_error(region, "mutex::init", "mutex", offset, errno))?;
            Data::<T>::new(region, body + Self::DATA_OFFSET)?.store(&initial);
            Ok(())
        })?;
        Self::from_slot(region, slot.body_offset(), offset)
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
    /// let region = std::sync::Arc::new(AnonymousRegion::new(4096)?);
    /// Mutex::init(&region, 0, 7_u64)?;
    /// assert_eq!(Mutex::<_, u64>::open(&region, 0)?.lock()?.get(), 7);
    /// let wrong = Mutex::<_, [u64; 2]>::open(&region, 0).unwrap_err();
    /// assert_eq!(wrong.kind(), ErrorKind::CorruptSharedState);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(region: &Arc<R>, offset: usize) -> Result<Self> {
        let slot = Slot::open(&**region, offset, Self::SLOT)?;
        Self::from_slot(region, slot.body_offset(), offset)
    }

    /// The handle on the mutex whose slot at `offset` of `region` is ready, its body at `body`.
    fn from_slot(region: &Arc<R>, body: usize, offset: usize) -> Result<Self> {
        let ptr = aligned_ptr(&**region, body, MUTEX_LEN, MUTEX_ALIGN)?;
        let data = Data::<T>::new(&**region, body + Self::DATA_OFFSET)?;
        // SAFETY: the slot is ready and tagged as a mutex of this body length, so its creator
        // ran `init_mutex` at this aligned `ptr` before publishing it (the Acquire in
        // `Slot::open` pairs with its Release); the region stays mapped while the `RawMutex`
        // exists, because it lives in the `Mutex` below beside the `Arc` that keeps the region,
        // which is released (or leaked) only when the `Mutex` is dropped.
        #[allow(unsafe_code, reason = "naming an initialised pthread mutex")]
        let raw = unsafe { RawMutex::new(ptr) };
        // SAFETY: as for `raw`: `data` lives in the same `Mutex` as the `Arc` of its region.
        #[allow(unsafe_code, reason = "the Mutex keeps the region mapped itself")]
        let data = unsafe { data.unbound() };
        Ok(Self {
            region: Arc::clone(region),
            offset,
            raw,
            data,
            guards: AtomicUsize::new(0),
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_i32)?;
    /// sut.lock()?.set(&-1);
    /// assert_eq!(sut.lock()?.get(), -1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_lock")]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, R, T>> {
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8)?;
    /// assert_eq!(sut.try_lock()?.get(), 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_trylock")]
    pub fn try_lock(&self) -> LockResult<MutexGuard<'_, R, T>> {
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8)?;
    /// assert!(sut.lock_timeout(Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_mutex_clocklock")]
    pub fn lock_timeout(&self, timeout: Duration) -> LockResult<MutexGuard<'_, R, T>> {
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8)?;
    /// assert!(sut.lock_deadline(Instant::now() + Duration::from_millis(10)).is_ok());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn lock_deadline(&self, deadline: Instant) -> LockResult<MutexGuard<'_, R, T>> {
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
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
    ) -> LockResult<MutexGuard<'_, R, T>> {
        let guard = || MutexGuard::new(self);
        match locked {
            Ok(()) => Ok(guard()),
            // "If the owning thread terminates while holding the mutex lock, the next thread
            // that acquires the mutex is notified by the return value EOWNERDEAD", and holds it.
            Err(Errno::OWNERDEAD) => Err(LockError::OwnerDied(OwnerDied::new(guard()))),
            Err(errno) => Err(LockError::Failed(self.error(operation, errno))),
        }
    }

    pub(super) fn error(&self, operation: &'static str, errno: Errno) -> ipc_core::Error {
        errno_error(&*self.region, operation, "mutex", self.offset, errno)
    }
}

impl<R: ?Sized, T> Drop for Mutex<R, T> {
    fn drop(&mut self) {
        // Relaxed: `&mut self` means every borrow of this handle has ended, and whatever ended
        // them (possibly on other threads: a scope's join, a channel, an `Arc`'s release and
        // acquire of its count) happens before this point; so every `fetch_add` and
        // `fetch_sub` of the guards happens before this load, which by coherence reads the
        // last of them. No guard can be alive here (each borrows `self`), so a count above zero
        // is a guard that was never dropped.
        if self.guards.load(Ordering::Relaxed) != 0 {
            // A guard was forgotten: its mutex may still be on a thread's robust list, which
            // glibc's `DEQUEUE_MUTEX` (nptl/descr.h) follows into the neighbours of a mutex it
            // unlocks, and the kernel follows at thread exit to mark owners dead. Keep the
            // mapping for the life of the process by never releasing this reference; the
            // region's contract (`SharedRegion`'s promise 3) unmaps only in its `Drop`, which a
            // leaked `Arc` never runs.
            std::mem::forget(Arc::clone(&self.region));
        }
    }
}

impl<R: ?Sized, T> fmt::Debug for Mutex<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Weak};

    use super::*;
    use crate::AnonymousRegion;
    use crate::sync::Condvar;
    use ipc_core::ErrorKind;

    fn region() -> Arc<AnonymousRegion> {
        Arc::new(AnonymousRegion::new(4096).unwrap())
    }

    #[test]
    fn mutexes_are_send_and_sync_and_guards_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_sync<T: Sync>() {}
        assert_send_sync::<Mutex<AnonymousRegion, u64>>();
        assert_sync::<MutexGuard<'static, AnonymousRegion, u64>>();
    }

    #[test]
    fn locking_twice_from_one_thread_fails_instead_of_deadlocking() {
        let region = region();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        let _held = sut.lock().unwrap();
        for err in [sut.lock().unwrap_err(), sut.try_lock().unwrap_err()] {
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        }
    }

    #[test]
    fn a_held_mutex_makes_another_thread_wait_or_time_out() {
        let region = region();
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
        let region = region();
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

    /// Drops `mutex` and `region`, and tells whether the region is still alive (leaked).
    fn region_outlives(mutex: Mutex<AnonymousRegion, u32>, region: Arc<AnonymousRegion>) -> bool {
        let weak: Weak<AnonymousRegion> = Arc::downgrade(&region);
        drop(mutex);
        drop(region);
        weak.upgrade().is_some()
    }

    #[test]
    fn a_mutex_whose_guards_were_all_dropped_releases_its_region() {
        let region = region();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        drop(sut.lock().unwrap());
        drop(sut.try_lock().unwrap());
        drop(sut.lock_timeout(Duration::from_millis(10)).unwrap());
        assert!(sut.lock().unwrap().mark_consistent().is_err());
        assert!(!region_outlives(sut, region));
    }

    #[test]
    fn a_forgotten_guard_keeps_the_region_mapped_after_the_mutex_and_region_are_dropped() {
        let region = region();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        // On another thread, so that the thread's exit takes the mutex off its robust list
        // (the kernel marks it owner-died, in the mapping that is still there).
        std::thread::scope(|scope| {
            scope.spawn(|| std::mem::forget(sut.lock().unwrap()));
        });
        assert!(region_outlives(sut, region));
    }

    #[test]
    fn an_owner_died_guard_counts_like_any_other() {
        let region = region();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| std::mem::forget(sut.lock().unwrap()));
        });
        let died = sut.lock().unwrap_err();
        assert!(died.is_owner_died());
        drop(died);
        // One guard forgotten by the dead thread, one dropped: the region is kept.
        assert!(region_outlives(sut, region));
    }

    #[test]
    fn condvar_waits_leave_the_count_of_live_guards_as_they_found_it() {
        let region = region();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        let condvar = Condvar::init(&*region, 128).unwrap();
        let guard = sut.lock().unwrap();
        let (guard, result) = condvar
            .wait_timeout(guard, Duration::from_millis(1))
            .unwrap();
        assert!(result.timed_out());
        let guard = condvar.wait_while(guard, |&n| n != 0).unwrap();
        drop(guard);
        assert!(!region_outlives(sut, region));
    }

    #[test]
    fn a_lock_error_becomes_an_owned_error_for_a_boxed_question_mark() {
        fn try_it(
            sut: &Mutex<AnonymousRegion, u32>,
        ) -> std::result::Result<u32, Box<dyn std::error::Error>> {
            Ok(sut.try_lock().map_err(LockError::into_error)?.get())
        }
        let region = region();
        let sut = Mutex::init(&region, 0, 5_u32).unwrap();
        assert_eq!(try_it(&sut).unwrap(), 5);
        let _held = sut.lock().unwrap();
        let err = try_it(&sut).unwrap_err();
        let err = err.downcast_ref::<ipc_core::Error>().unwrap();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}
