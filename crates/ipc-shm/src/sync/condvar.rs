//! A process-shared condition variable: one futex sequence counter, no per-waiter state.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytemuck::Pod;
#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Deadline, Result, SharedRegion};
use rustix::io::Errno;

use super::lock_error::{LockError, LockResult};
use super::mutex_guard::MutexGuard;
use crate::RegionAccess;
use crate::slot::{Slot, SlotType};
use crate::sys::futex;

/// The slot: the tag `CND1`, a body of one 32-bit sequence counter.
const SLOT: SlotType = SlotType::new("condvar", *b"CND1", 4, 4);

/// A condition variable in a shared region, used with a [`Mutex`](super::Mutex) of any region.
///
/// Its state is one 32-bit sequence counter. A waiter reads it while holding the mutex,
/// unlocks, and sleeps on a process-shared futex until the counter moves; a notifier adds one
/// and wakes one or all sleepers. Nothing is recorded per waiter, so a waiter killed in
/// [`wait`](Self::wait) leaves nothing behind (glibc's process-shared `pthread_cond_t` keeps
/// waiter counts in the shared object, which a dead waiter can leave wrong).
///
/// # Spurious wakeups
///
/// A wait may return without a notification (a notification meant for an earlier waiter, the
/// counter wrapping around after 2³² notifications); check the condition again, or use
/// [`wait_while`](Self::wait_while) and its timed twins. A signal handler does not end a wait:
/// `EINTR` sends the waiter back to sleep, for the time left.
///
/// # Crash behaviour
///
/// A waiter that dies while asleep is gone from the futex; one that dies after relocking holds
/// the mutex, and the next locker gets [`LockError::OwnerDied`]. Each wait relocks with the
/// mutex's own rules, so a wait may also return [`LockError::OwnerDied`].
///
/// **A [`notify_one`](Self::notify_one) can be lost.** The futex wakes one sleeper; if that
/// waiter is killed before it relocks, nobody else is woken, and the others sleep on. Where a
/// waiter may be killed, use [`notify_all`](Self::notify_all), or wait with a timeout and
/// check the condition (the `_while` forms do).
///
/// # Waiting with an owner-died guard
///
/// A wait unlocks the mutex by dropping the guard. Waiting with the guard of a
/// [`LockError::OwnerDied`] that was not yet [marked
/// consistent](super::MutexGuard::mark_consistent) therefore unlocks it unrepaired, which makes
/// the mutex not recoverable for every process: the relock fails with
/// [`CorruptSharedState`](ErrorKind::CorruptSharedState). Repair the data and mark it
/// consistent before waiting.
///
/// # Examples
///
/// ```
/// use ipc_shm::AnonymousRegion;
/// use ipc_shm::sync::{Condvar, Mutex};
///
/// let region = std::sync::Arc::new(AnonymousRegion::new(4096)?);
/// let ready = Mutex::init(&region, 0, 0_u32)?; // keeps a reference to the region
/// let changed = Condvar::init(&*region, 128)?; // borrows it
/// std::thread::scope(|scope| {
///     scope.spawn(|| {
///         ready.lock().unwrap().set(&1);
///         changed.notify_all();
///     });
///     let guard = changed.wait_while(ready.lock().unwrap(), |&r| r == 0).unwrap();
///     assert_eq!(guard.get(), 1);
/// });
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [futex(2)](https://man7.org/linux/man-pages/man2/futex.2.html)
/// - [pthread_cond_wait(3p)](https://man7.org/linux/man-pages/man3/pthread_cond_wait.3p.html)
#[doc(alias = "pthread_cond_t")]
pub struct Condvar<'r> {
    seq: &'r AtomicU32,
    offset: usize,
}

/// Whether a timed wait returned because its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// `true` when the wait ended because the timeout elapsed (the condition may still have
    /// become true meanwhile: check it).
    ///
    /// # Examples
    ///
    /// See [`Condvar::wait_timeout`].
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl<'r> Condvar<'r> {
    /// The bytes a condition variable occupies from its offset, for planning a layout.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::sync::Condvar::FOOTPRINT, 20);
    /// ```
    pub const FOOTPRINT: usize = SLOT.footprint();

    /// Places a new condition variable at `offset` of `region`, a multiple of 8
    /// ([`SlotType::offset_align`](crate::slot::SlotType::offset_align)).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the offset is not a multiple of the
    ///   slot's alignment, or [`FOOTPRINT`](Self::FOOTPRINT) bytes do not fit there.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): something was placed there already, or
    ///   is being placed (also by a process that died doing it: openers then get
    ///   [`PeerGone`](ErrorKind::PeerGone)).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_shm::sync::Condvar::init(&region, 0)?;
    /// sut.notify_one(); // nobody waits: nothing happens
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn init<R: SharedRegion + ?Sized>(region: &'r R, offset: usize) -> Result<Self> {
        let slot = Slot::init(region, offset, SLOT, |region, body| {
            region.atomic_u32(body)?.store(0, Ordering::Relaxed);
            Ok(())
        })?;
        Self::from_slot(&slot, offset)
    }

    /// Opens the condition variable at `offset` of `region`.
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
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// ipc_shm::sync::Condvar::init(&region, 64)?;
    /// assert!(ipc_shm::sync::Condvar::open(&region, 64).is_ok());
    /// assert!(ipc_shm::sync::Condvar::open(&region, 0).is_err()); // nothing there
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open<R: SharedRegion + ?Sized>(region: &'r R, offset: usize) -> Result<Self> {
        let slot = Slot::open(region, offset, SLOT)?;
        Self::from_slot(&slot, offset)
    }

    fn from_slot<R: SharedRegion + ?Sized>(slot: &Slot<'r, R>, offset: usize) -> Result<Self> {
        Ok(Self {
            seq: slot.region().atomic_u32(slot.body_offset())?,
            offset,
        })
    }

    /// Unlocks `guard`'s mutex, sleeps until notified (or spuriously), and locks it again.
    ///
    /// # Errors
    ///
    /// Those of [`Mutex::lock`](super::Mutex::lock), from relocking: the mutex is held again
    /// on [`LockError::OwnerDied`] and not held on [`LockError::Failed`]:
    /// [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the mutex is not recoverable
    /// (see [waiting with an owner-died guard](Self#waiting-with-an-owner-died-guard)). The
    /// sleep itself has no error: `FUTEX_WAIT` fails only for a bad address, which a
    /// region's aligned word is not, and `EINTR` is retried.
    ///
    /// # Examples
    ///
    /// See the type's example, and [`wait_while`](Self::wait_while).
    #[doc(alias = "pthread_cond_wait")]
    pub fn wait<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        guard: MutexGuard<'a, R, T>,
    ) -> LockResult<MutexGuard<'a, R, T>> {
        self.wait_until(guard, None)
            .map_err(|err| match err {
                LockError::OwnerDied(died) => LockError::OwnerDied(died.map(|(guard, _)| guard)),
                LockError::Failed(err) => LockError::Failed(err),
            })
            .map(|(guard, _)| guard)
    }

    /// [`wait`](Self::wait), sleeping for at most `timeout`.
    ///
    /// The timeout bounds the sleep, not the relock: once woken or out of time, the wait
    /// relocks the mutex as [`Mutex::lock`](super::Mutex::lock) does, without a bound, so a
    /// live process that holds the mutex and never unlocks it keeps this call waiting (a dead
    /// one is detected: [`LockError::OwnerDied`]). A signal handler does not end the sleep;
    /// it sleeps again for the time left.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait); running out of time is not an error but
    /// [`WaitTimeoutResult::timed_out`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_shm::sync::{Condvar, Mutex};
    ///
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let mutex = Mutex::init(&region, 0, 0_u32)?;
    /// let sut = Condvar::init(&*region, 128)?;
    /// let (_guard, result) = sut.wait_timeout(mutex.lock()?, Duration::from_millis(10))?;
    /// assert!(result.timed_out());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_cond_timedwait")]
    pub fn wait_timeout<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        guard: MutexGuard<'a, R, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, R, T>, WaitTimeoutResult)> {
        self.wait_until(guard, Deadline::after(timeout).instant())
    }

    /// [`wait`](Self::wait), sleeping until `deadline` at most; the relock that follows has
    /// no bound (see [`wait_timeout`](Self::wait_timeout)).
    ///
    /// # Errors
    ///
    /// As [`wait_timeout`](Self::wait_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_shm::sync::{Condvar, Mutex};
    ///
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let mutex = Mutex::init(&region, 0, 0_u32)?;
    /// let sut = Condvar::init(&*region, 128)?;
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// let (_guard, result) = sut.wait_deadline(mutex.lock()?, deadline)?;
    /// assert!(result.timed_out() && Instant::now() >= deadline);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait_deadline<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        guard: MutexGuard<'a, R, T>,
        deadline: Instant,
    ) -> LockResult<(MutexGuard<'a, R, T>, WaitTimeoutResult)> {
        self.wait_until(guard, Some(deadline))
    }

    /// Waits while `condition` holds for a copy of the guarded value; returns the guard with
    /// the condition false. Spurious wakeups are absorbed.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait); on [`LockError::OwnerDied`] it returns at once, without
    /// checking the condition, so the caller repairs the data first.
    ///
    /// # Examples
    ///
    /// See the type's example.
    pub fn wait_while<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        mut guard: MutexGuard<'a, R, T>,
        mut condition: impl FnMut(&T) -> bool,
    ) -> LockResult<MutexGuard<'a, R, T>> {
        while condition(&guard.get()) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// Waits while `condition` holds for a copy of the guarded value, sleeping for at most
    /// `timeout` in all: each wakeup sleeps again only for the time left. Returns the guard and
    /// whether the time ran out with the condition still true.
    ///
    /// As with [`wait_timeout`](Self::wait_timeout), the relocks have no bound.
    ///
    /// # Errors
    ///
    /// As [`wait_while`](Self::wait_while).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_shm::sync::{Condvar, Mutex};
    ///
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let mutex = Mutex::init(&region, 0, 0_u32)?;
    /// let sut = Condvar::init(&*region, 128)?;
    /// let timeout = Duration::from_millis(10);
    /// let (guard, result) = sut.wait_timeout_while(mutex.lock()?, timeout, |&v| v == 0)?;
    /// assert!(result.timed_out() && guard.get() == 0); // nobody changed it
    /// let (_guard, result) = sut.wait_timeout_while(guard, timeout, |&v| v == 1)?;
    /// assert!(!result.timed_out()); // false at once: no wait
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait_timeout_while<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        guard: MutexGuard<'a, R, T>,
        timeout: Duration,
        condition: impl FnMut(&T) -> bool,
    ) -> LockResult<(MutexGuard<'a, R, T>, WaitTimeoutResult)> {
        self.wait_while_until(guard, Deadline::after(timeout).instant(), condition)
    }

    /// Waits while `condition` holds for a copy of the guarded value, sleeping until
    /// `deadline` at most. Returns the guard and whether the deadline passed with the
    /// condition still true.
    ///
    /// As with [`wait_deadline`](Self::wait_deadline), the relocks have no bound.
    ///
    /// # Errors
    ///
    /// As [`wait_while`](Self::wait_while).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_shm::sync::{Condvar, Mutex};
    ///
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
    /// let mutex = Mutex::init(&region, 0, 0_u32)?;
    /// let sut = Condvar::init(&*region, 128)?;
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// let (guard, result) = sut.wait_while_deadline(mutex.lock()?, deadline, |&v| v == 0)?;
    /// assert!(result.timed_out() && Instant::now() >= deadline && guard.get() == 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait_while_deadline<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        guard: MutexGuard<'a, R, T>,
        deadline: Instant,
        condition: impl FnMut(&T) -> bool,
    ) -> LockResult<(MutexGuard<'a, R, T>, WaitTimeoutResult)> {
        self.wait_while_until(guard, Some(deadline), condition)
    }

    /// Wakes one waiter, if any. Call it after changing the condition under the mutex (while
    /// holding it or after unlocking).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// ipc_shm::sync::Condvar::init(&region, 0)?.notify_one();
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_cond_signal")]
    pub fn notify_one(&self) {
        self.notify(1);
    }

    /// Wakes every waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// ipc_shm::sync::Condvar::init(&region, 0)?.notify_all();
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "pthread_cond_broadcast")]
    pub fn notify_all(&self) {
        self.notify(i32::MAX as u32);
    }

    /// The offset the condition variable was placed at.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// assert_eq!(ipc_shm::sync::Condvar::init(&region, 8)?.offset(), 8);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    fn notify(&self, count: u32) {
        // Relaxed: the waiter's load of `seq` happens before it unlocks the mutex, and the
        // change a notifier announces happens after that unlock (it takes the mutex), so by
        // coherence the waiter's load cannot see this increment: the futex then finds the
        // counter changed, or the waiter asleep. The futex call orders itself in the kernel.
        self.seq.fetch_add(1, Ordering::Relaxed);
        // FUTEX_WAKE fails only for a bad address, which a region's word is not.
        let woken = futex::wake(self.seq, count);
        debug_assert!(woken.is_ok(), "FUTEX_WAKE: {woken:?}");
    }

    /// The `_while` forms: waits until `condition` is false or `deadline` (`None`: never)
    /// passes, each sleep for the time left.
    fn wait_while_until<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        mut guard: MutexGuard<'a, R, T>,
        deadline: Option<Instant>,
        mut condition: impl FnMut(&T) -> bool,
    ) -> LockResult<(MutexGuard<'a, R, T>, WaitTimeoutResult)> {
        loop {
            if !condition(&guard.get()) {
                return Ok((guard, WaitTimeoutResult(false)));
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return Ok((guard, WaitTimeoutResult(true)));
            }
            (guard, _) = self.wait_until(guard, deadline)?;
        }
    }

    fn wait_until<'a, R: SharedRegion + ?Sized, T: Pod>(
        &self,
        guard: MutexGuard<'a, R, T>,
        deadline: Option<Instant>,
    ) -> LockResult<(MutexGuard<'a, R, T>, WaitTimeoutResult)> {
        let mutex = guard.mutex();
        // Relaxed: see `notify`; the mutex orders this load against the notifier's change.
        let seen = self.seq.load(Ordering::Relaxed);
        // Dropping the guard unlocks and lowers the mutex's count of live guards; the lock
        // below raises it again for the guard it returns (also on owner-died), so a wait leaves
        // the count as it found it, and a failed relock leaves it one lower, with no guard.
        drop(guard);
        let timed_out = loop {
            let timeout = deadline.map(|at| at.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                break true;
            }
            match futex::wait(self.seq, seen, timeout) {
                Err(Errno::TIMEDOUT) => break true,
                // A signal handler ran (futex(2): "EINTR The operation was interrupted by a
                // signal"): sleep again for the time left, on the same `seen`. Nothing is
                // lost: a notification meanwhile moved the counter, so the next FUTEX_WAIT
                // returns at once with `EAGAIN`.
                Err(Errno::INTR) => continue,
                // Woken, or the counter moved already (`EAGAIN`). The other errors (`EFAULT`,
                // `EINVAL`) need a bad address, which a region's aligned word is not; they
                // would only make a spurious wakeup.
                result => {
                    debug_assert!(
                        matches!(result, Ok(()) | Err(Errno::AGAIN)),
                        "FUTEX_WAIT: {result:?}"
                    );
                    break false;
                }
            }
        };
        match mutex.lock() {
            Ok(guard) => Ok((guard, WaitTimeoutResult(timed_out))),
            Err(LockError::OwnerDied(died)) => Err(LockError::OwnerDied(
                died.map(|guard| (guard, WaitTimeoutResult(timed_out))),
            )),
            Err(LockError::Failed(err)) => Err(LockError::Failed(err)),
        }
    }
}

impl fmt::Debug for Condvar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}
