//! The raw baseline's process-shared pthread objects: a mutex and a condition variable placed in
//! a [`RawMap`] and initialised with `pthread_*_init` and `PTHREAD_PROCESS_SHARED`, as a C program
//! puts them in shared memory.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls libc's pthread functions on objects in a shared mapping"
)]

use std::io;
use std::marker::PhantomData;
use std::ptr::NonNull;

use super::RawMap;

/// The type of a raw mutex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MutexType {
    /// What `ipc_shm::sync::Mutex` initialises: `PTHREAD_MUTEX_ROBUST` and
    /// `PTHREAD_MUTEX_ERRORCHECK` (with `PTHREAD_PROCESS_SHARED`), the like-for-like baseline.
    RobustErrorCheck,
    /// `PTHREAD_MUTEX_ROBUST` with the default (`PTHREAD_MUTEX_NORMAL`) type: what a C program
    /// that only asks for robustness gets; it shows what the error check costs.
    RobustNormal,
}

/// `result` (a pthread return value, 0 or an errno) as an `io::Result`.
fn check(result: libc::c_int) -> io::Result<()> {
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(result))
    }
}

/// A process-shared `pthread_mutex_t` in a mapping borrowed for `'m`.
#[derive(Clone, Copy)]
pub(crate) struct PthreadMutex<'m> {
    ptr: NonNull<libc::pthread_mutex_t>,
    _map: PhantomData<&'m RawMap>,
}

impl<'m> PthreadMutex<'m> {
    /// Initialises a robust, process-shared mutex of type `kind` at `offset` of `map`:
    /// `pthread_mutexattr_setpshared`, `_setrobust`, `_settype`, `pthread_mutex_init`.
    ///
    /// # Safety
    /// No thread or process uses the bytes at `offset` during the call (the creator initialises
    /// before the peer starts), and none was initialised there before.
    ///
    /// # Errors
    /// `InvalidInput` when the object does not fit aligned at `offset`; a `pthread_*` error.
    pub(crate) unsafe fn init(map: &'m RawMap, offset: usize, kind: MutexType) -> io::Result<Self> {
        let ptr = map.object_at::<libc::pthread_mutex_t>(offset)?;
        let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
        // SAFETY: `attr` is writable storage for one attribute object.
        check(unsafe { libc::pthread_mutexattr_init(attr.as_mut_ptr()) })?;
        let attr = attr.as_mut_ptr();
        let kind = match kind {
            MutexType::RobustErrorCheck => libc::PTHREAD_MUTEX_ERRORCHECK,
            MutexType::RobustNormal => libc::PTHREAD_MUTEX_NORMAL,
        };
        let result = (|| {
            // SAFETY: `attr` was initialised above and is destroyed after this closure.
            check(unsafe {
                libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED)
            })?;
            // SAFETY: as above.
            check(unsafe { libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST) })?;
            // SAFETY: as above.
            check(unsafe { libc::pthread_mutexattr_settype(attr, kind) })?;
            // SAFETY: `ptr` is an aligned `pthread_mutex_t` inside the live mapping that nobody
            // else uses (the caller's promise); `attr` is initialised.
            check(unsafe { libc::pthread_mutex_init(ptr.as_ptr(), attr) })
        })();
        // SAFETY: `attr` is initialised, and `pthread_mutex_init` does not keep it.
        unsafe { libc::pthread_mutexattr_destroy(attr) };
        result.map(|()| Self {
            ptr,
            _map: PhantomData,
        })
    }

    /// The mutex another process initialised at `offset` of `map`.
    ///
    /// # Safety
    /// A mutex was initialised there with [`PthreadMutex::init`] (in any process) and is not
    /// destroyed while `map` is borrowed.
    ///
    /// # Errors
    /// `InvalidInput` when the object does not fit aligned at `offset`.
    pub(crate) unsafe fn open(map: &'m RawMap, offset: usize) -> io::Result<Self> {
        Ok(Self {
            ptr: map.object_at(offset)?,
            _map: PhantomData,
        })
    }

    /// `pthread_mutex_lock`. A robust mutex whose owner died is locked and reported as
    /// `EOWNERDEAD`, an error here: the bench does not repair.
    ///
    /// # Errors
    /// The `pthread_mutex_lock` error.
    #[inline]
    pub(crate) fn lock(self) -> io::Result<()> {
        // SAFETY: `init`/`open` established an initialised mutex mapped for `'m`.
        check(unsafe { libc::pthread_mutex_lock(self.ptr.as_ptr()) })
    }

    /// `pthread_mutex_unlock`.
    ///
    /// # Errors
    /// The `pthread_mutex_unlock` error (`EPERM` when this thread does not hold it).
    #[inline]
    pub(crate) fn unlock(self) -> io::Result<()> {
        // SAFETY: as in `lock`.
        check(unsafe { libc::pthread_mutex_unlock(self.ptr.as_ptr()) })
    }
}

/// A process-shared `pthread_cond_t` in a mapping borrowed for `'m`.
#[derive(Clone, Copy)]
pub(crate) struct PthreadCond<'m> {
    ptr: NonNull<libc::pthread_cond_t>,
    _map: PhantomData<&'m RawMap>,
}

impl<'m> PthreadCond<'m> {
    /// Initialises a process-shared condition variable at `offset` of `map`:
    /// `pthread_condattr_setpshared`, `pthread_cond_init`.
    ///
    /// # Safety
    /// As for [`PthreadMutex::init`].
    ///
    /// # Errors
    /// `InvalidInput` when the object does not fit aligned at `offset`; a `pthread_*` error.
    pub(crate) unsafe fn init(map: &'m RawMap, offset: usize) -> io::Result<Self> {
        let ptr = map.object_at::<libc::pthread_cond_t>(offset)?;
        let mut attr = std::mem::MaybeUninit::<libc::pthread_condattr_t>::uninit();
        // SAFETY: `attr` is writable storage for one attribute object.
        check(unsafe { libc::pthread_condattr_init(attr.as_mut_ptr()) })?;
        let attr = attr.as_mut_ptr();
        let result = (|| {
            // SAFETY: `attr` was initialised above and is destroyed after this closure.
            check(unsafe {
                libc::pthread_condattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED)
            })?;
            // SAFETY: `ptr` is an aligned `pthread_cond_t` inside the live mapping that nobody
            // else uses (the caller's promise); `attr` is initialised.
            check(unsafe { libc::pthread_cond_init(ptr.as_ptr(), attr) })
        })();
        // SAFETY: `attr` is initialised, and `pthread_cond_init` does not keep it.
        unsafe { libc::pthread_condattr_destroy(attr) };
        result.map(|()| Self {
            ptr,
            _map: PhantomData,
        })
    }

    /// The condition variable another process initialised at `offset` of `map`.
    ///
    /// # Safety
    /// As for [`PthreadMutex::open`], with [`PthreadCond::init`].
    ///
    /// # Errors
    /// `InvalidInput` when the object does not fit aligned at `offset`.
    pub(crate) unsafe fn open(map: &'m RawMap, offset: usize) -> io::Result<Self> {
        Ok(Self {
            ptr: map.object_at(offset)?,
            _map: PhantomData,
        })
    }

    /// `pthread_cond_wait` with `mutex`, which this thread holds.
    ///
    /// # Errors
    /// The `pthread_cond_wait` error (`EOWNERDEAD` when the mutex's owner died meanwhile).
    #[inline]
    pub(crate) fn wait(self, mutex: PthreadMutex<'_>) -> io::Result<()> {
        // SAFETY: both objects are initialised and mapped (`init`/`open`). Waiting with a mutex
        // this thread does not hold is an error (`EPERM`), not undefined: every mutex here is
        // robust, and glibc checks a robust mutex's owner whatever its type.
        check(unsafe { libc::pthread_cond_wait(self.ptr.as_ptr(), mutex.ptr.as_ptr()) })
    }

    /// `pthread_cond_signal`.
    #[inline]
    pub(crate) fn signal(self) {
        // SAFETY: as in `wait`; it cannot fail on an initialised condition variable.
        unsafe { libc::pthread_cond_signal(self.ptr.as_ptr()) };
    }

    /// `pthread_cond_broadcast`.
    pub(crate) fn broadcast(self) {
        // SAFETY: as in `signal`.
        unsafe { libc::pthread_cond_broadcast(self.ptr.as_ptr()) };
    }
}
