//! The guard of the robust mutex: the lock, held until dropped, and the count of live guards
//! that lets the mutex keep its region mapped when one is leaked.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::Ordering;

use bytemuck::Pod;
#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Result, SharedRegion};

#[cfg(doc)]
use super::lock_error::LockError;
use super::mutex::Mutex;

/// The lock on a [`Mutex`], held until dropped; reaches the value by copy.
///
/// Not `Send`: it must be dropped (unlocked) on the thread that locked. It may be leaked (see
/// [`Mutex`'s leaks](Mutex#leaks)).
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: &T) {}
/// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096).unwrap());
/// let sut = ipc_shm::sync::Mutex::init(&region, 0, 0_u8).unwrap();
/// assert_send(&sut.lock().unwrap());
/// ```
///
/// # Examples
///
/// ```
/// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
/// let mutex = ipc_shm::sync::Mutex::init(&region, 0, 1_u32)?;
/// let sut = mutex.lock()?;
/// sut.update(|n| *n *= 10);
/// assert_eq!(sut.get(), 10);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[must_use = "the mutex unlocks as soon as the guard is dropped"]
pub struct MutexGuard<'a, R: ?Sized, T> {
    mutex: &'a Mutex<R, T>,
    /// `!Send` (the locking thread must unlock) but `Sync` (`&self` only copies).
    _not_send: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl<'a, R: ?Sized, T> MutexGuard<'a, R, T> {
    /// The guard of `mutex`, which the calling thread has just locked.
    pub(super) fn new(mutex: &'a Mutex<R, T>) -> Self {
        // A plain load and store, not a read-modify-write: every change of the count is made
        // by the thread that holds the mutex (here, just after locking; in `drop`, just before
        // unlocking), so the mutex's own acquire and release order the changes one after
        // another and none can be lost. Relaxed: the count is only read in `Mutex::drop`, which
        // has `&mut` access; whatever ended this borrow before it (the end of a scope, a thread
        // join, an `Arc`'s last release) already orders every change before that read. (A
        // locked read-modify-write here cost about a tenth of an uncontended lock and unlock.)
        let count = mutex.guards.load(Ordering::Relaxed);
        mutex.guards.store(count + 1, Ordering::Relaxed);
        Self {
            mutex,
            _not_send: PhantomData,
        }
    }
}

impl<'a, R: SharedRegion + ?Sized, T: Pod> MutexGuard<'a, R, T> {
    /// A copy of the guarded value.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
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
    /// let region = std::sync::Arc::new(ipc_shm::AnonymousRegion::new(4096)?);
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
    /// It takes `&mut self`: the guard is `Sync` (its other methods only copy), but
    /// `pthread_mutex_consistent` is for the owning thread, and a guard, which is not `Send`,
    /// is reached mutably only from the thread that locked.
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
    /// let region = std::sync::Arc::new(AnonymousRegion::new(4096)?);
    /// let sut = Mutex::init(&region, 0, 0_u64)?;
    /// let mut guard = match sut.lock() {
    ///     Ok(guard) => guard,
    ///     Err(LockError::OwnerDied(died)) => {
    ///         let mut guard = died.into_guard();
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
    pub fn mark_consistent(&mut self) -> Result<()> {
        self.mutex
            .raw
            .make_consistent()
            .map_err(|errno| self.mutex.error("pthread_mutex_consistent", errno))
    }

    /// The mutex this guard locks.
    pub(crate) fn mutex(&self) -> &'a Mutex<R, T> {
        self.mutex
    }
}

impl<R: ?Sized, T> Drop for MutexGuard<'_, R, T> {
    fn drop(&mut self) {
        // The guard is not `Send`, so this is the locking thread, and a well-kept mutex does
        // not refuse the unlock. It can still fail: glibc's robust unlock first compares the
        // owner's thread id in the lock word with this thread's, and returns `EPERM` before it
        // takes the mutex off this thread's robust list if a peer wrote over that word. The
        // mutex is then still on the list, which glibc and the kernel follow into it, so the
        // count stays raised: `Mutex::drop` then keeps the mapping for the life of the process
        // (a leak, the safe direction). No assertion: the failure comes from a peer's bytes.
        //
        // The count is lowered while the mutex is still held (see `new` for why that keeps it
        // exact), and raised again if the unlock fails. Nothing can drop the `Mutex` between
        // the two steps: this guard borrows it.
        let count = self.mutex.guards.load(Ordering::Relaxed);
        self.mutex.guards.store(count - 1, Ordering::Relaxed);
        if self.mutex.raw.unlock().is_err() {
            // A read-modify-write: after a failed unlock the mutex may no longer exclude other
            // threads of this process (its word was overwritten), so their changes may race.
            self.mutex.guards.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<R: ?Sized, T> fmt::Debug for MutexGuard<'_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexGuard")
            .field("offset", &self.mutex.offset)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Weak};
    use std::time::Duration;

    use crate::slot::Slot;
    use crate::sync::{Condvar, Mutex};
    use crate::{AnonymousRegion, RegionAccess};

    fn region() -> Arc<AnonymousRegion> {
        Arc::new(AnonymousRegion::new(4096).unwrap())
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
        let mut guard = sut.lock().unwrap();
        assert_eq!(
            guard.mark_consistent().unwrap_err().operation(),
            "pthread_mutex_consistent"
        );
        drop(guard);
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
    fn a_guard_whose_unlock_fails_keeps_the_region_mapped() {
        let region = region();
        let sut = Mutex::init(&region, 0, 0_u32).unwrap();
        let body = Slot::open(&*region, 0, Mutex::<AnonymousRegion, u32>::SLOT)
            .unwrap()
            .body_offset();
        // On another thread, whose exit the kernel handles with the mutex still on its list.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let guard = sut.lock().unwrap();
                // A peer's scribble over the owner's thread id: glibc's unlock now refuses
                // (`EPERM`) and leaves the mutex on this thread's robust list.
                region.atomic_u32(body).unwrap().store(0, Ordering::Relaxed);
                drop(guard);
            });
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
}
