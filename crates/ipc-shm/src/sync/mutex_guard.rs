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
        // Relaxed: the count is only read in `Mutex::drop`, which has `&mut` access; whatever
        // ended this borrow before it (the end of a scope, a thread join, an `Arc`'s last
        // release) already orders every change made through the borrow before that read. The
        // read-modify-write cannot lose an update whatever the ordering.
        mutex.guards.fetch_add(1, Ordering::Relaxed);
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
    pub(crate) fn mutex(&self) -> &'a Mutex<R, T> {
        self.mutex
    }
}

impl<R: ?Sized, T> Drop for MutexGuard<'_, R, T> {
    fn drop(&mut self) {
        // The guard is not `Send`, so this is the locking thread, and the only failure of an
        // error-checking mutex's unlock (`EPERM`, not the owner) cannot happen.
        let unlocked = self.mutex.raw.unlock();
        debug_assert!(unlocked.is_ok(), "unlocking a held mutex: {unlocked:?}");
        // After the unlock, which took the mutex off this thread's robust list: from here the
        // mapping may go. Relaxed: see `new` and `Mutex::drop`. (Were the assertion
        // above to panic, the count would stay raised, and the mapping be kept: the safe way.)
        self.mutex.guards.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<R: ?Sized, T> fmt::Debug for MutexGuard<'_, R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexGuard")
            .field("offset", &self.mutex.offset)
            .finish_non_exhaustive()
    }
}
