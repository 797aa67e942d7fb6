//! The robust, process-shared mutex.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytemuck::Pod;
use ipc_core::{Deadline, Error, ErrorKind, Result, SharedRegion};
use rustix::io::Errno;

use super::lock_error::{LockError, LockResult, OwnerDied};
use super::mutex_guard::MutexGuard;
use super::place::{Data, errno_error, object_of};
use crate::RegionAccess;
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
/// be undefined behaviour in this process. Copies are made of atomic operations, so a peer
/// that writes the *value's* bytes at any time can make a copy wrong but not unsound; under
/// the lock, and with well-behaved peers, copies are also consistent. The pthread mutex
/// beside the value is another matter: see [Trust](#trust).
///
/// # Trust
///
/// Every process that can write the region must be trusted not to corrupt the mutex. glibc
/// keeps each robust mutex a thread holds on that thread's robust list, a doubly linked list
/// threaded through the `pthread_mutex_t`s themselves (`__list.__prev` and `__list.__next`,
/// addresses in the locking process). glibc's unlock (`DEQUEUE_MUTEX` in `nptl/descr.h`)
/// reads those two pointers from the shared bytes and writes through them, and the kernel
/// follows the list when the thread exits. So a peer that writes over the mutex while this
/// process holds it can make this process write to an address of the peer's choosing: not
/// just a wedged lock or a failed call, but memory corruption in this process, which no safe
/// code here can prevent. Share a region holding a `Mutex` only with processes trusted like
/// this one. By default that is the same-user boundary: regions are created `0o600` and
/// openers check the owner ([`TrustedOwner`](ipc_core::TrustedOwner)); widening the
/// permissions or trusting another owner widens it.
///
/// # Why glibc's robust mutex, not an own futex design
///
/// Chose glibc's robust pthread mutex, because detecting a dead owner at the moment it dies
/// needs the kernel's robust-futex list, and the kernel keeps one list head per thread
/// (`set_robust_list`), which glibc registers and owns for every thread it starts. An own
/// design cannot put its locks on that list without writing glibc's private layout, so it
/// would have to store the owner's thread id in the lock word and find a dead owner by
/// polling it from a bounded futex wait (guarding against reused ids): waiters would learn of
/// the death a poll interval late, and every lock would pay for the bookkeeping. Measured on
/// the development VM (glibc 2.36, 2 cores, one process, uncontended lock and unlock in a
/// shared mapping, 10⁷ pairs): 16–19 ns for glibc's robust, process-shared, error-checking
/// mutex, 6–9 ns for a bare compare-and-swap of the thread id on a futex word; about 10 ns
/// apart, small beside the futex calls of any handoff between processes. The price is the
/// [trust](#trust) boundary above, which an own design keeping no pointers in the region
/// would shrink to "a peer can wedge the lock": that is the main argument for replacing this
/// one with an own design later.
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
    pub(super) const SLOT: SlotType = SlotType::new(
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

    /// Places a new mutex guarding `initial` at `offset` of `region`, a multiple of 8 (or of
    /// `T`'s alignment when that is larger:
    /// [`SlotType::offset_align`](crate::slot::SlotType::offset_align)).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the offset is not a multiple of the
    ///   slot's alignment, or [`FOOTPRINT`](Self::FOOTPRINT) bytes do not fit there.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): something was placed there already.
    /// - [`Other`](ErrorKind::Other), whatever its errno: `pthread_mutex_init` failed (none of
    ///   its errors can come from the caller, whose attributes are fixed; glibc returns none
    ///   of them for these).
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
            let ptr = region.ptr_at_aligned(body, MUTEX_LEN, MUTEX_ALIGN)?;
            // SAFETY: `ptr` is aligned and inside the region (checked by `ptr_at_aligned`), which
            // stays mapped while `region` is borrowed; the slot's claim (just won by
            // `Slot::init`) means no other thread or process uses these bytes until the slot is
            // published.
            #[allow(unsafe_code, reason = "initialising a pthread mutex in the region")]
            let initialised = unsafe { pthread::init_mutex(ptr) };
            initialised.map_err(|errno| {
                Error::from_errno_as(
                    ErrorKind::Other,
                    "pthread_mutex_init",
                    object_of(region),
                    errno,
                )
                .with_detail(format!("initialising the mutex at offset {offset}"))
            })?;
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
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): `offset` is not a multiple of the
    ///   slot's alignment, or the slot does not fit at `offset`.
    /// - [`WouldBlock`](ErrorKind::WouldBlock): nothing is initialised there (yet), or the
    ///   process initialising it is (or may be) still at work.
    /// - [`PeerGone`](ErrorKind::PeerGone): the process that claimed the slot died before
    ///   publishing it; it will never be ready.
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
        let ptr = region.ptr_at_aligned(body, MUTEX_LEN, MUTEX_ALIGN)?;
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
        self.finish("pthread_mutex_lock", self.raw.lock())
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
        self.finish("pthread_mutex_trylock", self.raw.try_lock())
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
            "pthread_mutex_clocklock",
            self.raw.lock_until(Deadline::at(deadline).to_monotonic()),
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
            Err(Errno::OWNERDEAD) => {
                let error = Error::from_errno_as(
                    ErrorKind::CorruptSharedState,
                    operation,
                    object_of(&*self.region),
                    Errno::OWNERDEAD,
                )
                .with_detail(format!(
                    "the previous owner of the mutex at offset {} died holding it",
                    self.offset
                ));
                Err(LockError::OwnerDied(OwnerDied::new(guard(), error)))
            }
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
    use std::sync::Arc;

    use super::*;
    use crate::AnonymousRegion;
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
        let mut guard = died.into_guard();
        guard.mark_consistent().unwrap();
        drop(guard);
        drop(sut.lock().unwrap());
    }

    #[test]
    fn an_owner_died_lock_error_names_the_call_the_region_and_the_offset() {
        let region = region();
        let sut = Mutex::init(&region, 64, 0_u32).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| std::mem::forget(sut.lock().unwrap()));
        });
        let died = sut.lock().unwrap_err();
        assert!(died.is_owner_died());
        let shown = died.to_string();
        assert!(
            shown.contains("offset 64") && shown.contains("died"),
            "{shown}"
        );
        let err = died.into_error();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
        assert_eq!(err.operation(), "pthread_mutex_lock");
        assert_eq!(err.raw_os_error(), Some(libc::EOWNERDEAD));
        let shown = err.to_string();
        assert!(err.object().is_some(), "{shown}");
        assert!(
            shown.contains("offset 64") && shown.contains("not recoverable"),
            "{shown}"
        );
        let err = sut.lock().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
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
