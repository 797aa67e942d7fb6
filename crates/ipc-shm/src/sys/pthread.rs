//! Process-shared pthread mutexes (robust) and read-write locks, wrapped once.
//!
//! [`RawMutex`] and [`RawRwLock`] carry the one precondition of every call here (the pointer
//! is to an initialised pthread object inside a mapping that outlives the value), so their
//! methods are safe; only the initialisers, which need exclusive access, are `unsafe fn`.
//!
//! # Trust
//!
//! glibc reads and writes the objects' bytes with its own (mostly atomic) operations, and the
//! processes sharing a region are trusted to leave those bytes to glibc. For a read-write lock
//! a peer that writes over it can wedge it or make its calls fail. For a robust mutex it can do
//! more: glibc threads each robust mutex a thread holds onto that thread's robust list through
//! the mutex's own `__list.__prev` / `__list.__next`, and its unlock (`DEQUEUE_MUTEX`) reads
//! those pointers from the shared bytes and writes through them, so a peer that rewrites them
//! while this process holds the lock gets a write to an address of its choosing in this
//! process. The wrappers here are sound only for peers that keep to the protocol; the public
//! docs say so ([`Mutex`'s trust](crate::sync::Mutex#trust)).
#![allow(
    unsafe_code,
    reason = "the pthread calls take raw pointers to objects inside a shared mapping"
)]

use std::marker::PhantomData;
use std::ptr::NonNull;

use rustix::io::Errno;

/// `PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP` from glibc's `<pthread.h>` (the libc crate
/// does not export it for glibc): a waiting writer blocks new readers, so writers do not
/// starve; a thread may then not take a read lock it already holds a second time.
const PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP: libc::c_int = 2;

// The libc crate (0.2.191) does not declare the `CLOCK_MONOTONIC` lock calls. They are in glibc
// since 2.30 (bookworm ships 2.36) with these prototypes from `<pthread.h>`:
// `int pthread_mutex_clocklock(pthread_mutex_t *, clockid_t, const struct timespec *);` and the
// same shape for `pthread_rwlock_clockrdlock` and `pthread_rwlock_clockwrlock`.
unsafe extern "C" {
    fn pthread_mutex_clocklock(
        mutex: *mut libc::pthread_mutex_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
    fn pthread_rwlock_clockrdlock(
        rwlock: *mut libc::pthread_rwlock_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
    fn pthread_rwlock_clockwrlock(
        rwlock: *mut libc::pthread_rwlock_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

/// The bytes a `pthread_mutex_t` takes.
pub(crate) const MUTEX_LEN: usize = size_of::<libc::pthread_mutex_t>();
/// The alignment a `pthread_mutex_t` needs.
pub(crate) const MUTEX_ALIGN: usize = align_of::<libc::pthread_mutex_t>();
/// The bytes a `pthread_rwlock_t` takes.
pub(crate) const RWLOCK_LEN: usize = size_of::<libc::pthread_rwlock_t>();
/// The alignment a `pthread_rwlock_t` needs.
pub(crate) const RWLOCK_ALIGN: usize = align_of::<libc::pthread_rwlock_t>();

// The objects are shared with peers (rule 11): a peer built against the same glibc ABI must
// agree on every size and alignment, and the slot bodies (`Mutex::FOOTPRINT`, the rwlock's)
// are laid out from them. glibc's `__SIZEOF_PTHREAD_MUTEX_T` is 40 on x86-64 and 48 on
// AArch64, `__SIZEOF_PTHREAD_RWLOCK_T` 56 on both; the types are 8-byte aligned.
#[cfg(target_arch = "x86_64")]
const _: () = assert!(MUTEX_LEN == 40);
#[cfg(target_arch = "aarch64")]
const _: () = assert!(MUTEX_LEN == 48);
const _: () = assert!(MUTEX_ALIGN == 8);
const _: () = assert!(RWLOCK_LEN == 56);
const _: () = assert!(RWLOCK_ALIGN == 8);
// `timespec` below copies rustix's 64-bit seconds and nanoseconds field for field: this
// crate supports only targets with a 64-bit `time_t` and `long` (a 32-bit glibc's
// `pthread_mutex_clocklock` would want the `__timespec64` variant besides).
const _: () = assert!(size_of::<libc::time_t>() == 8);
const _: () = assert!(size_of::<libc::c_long>() == 8);

/// A pthread call's result: 0, or the error number it returned (pthread calls do not set
/// `errno`).
fn check(result: libc::c_int) -> Result<(), Errno> {
    if result == 0 {
        Ok(())
    } else {
        Err(Errno::from_raw_os_error(result))
    }
}

/// An absolute `CLOCK_MONOTONIC` time as libc's `timespec`: the same 64-bit fields (asserted
/// above), so no conversion can truncate.
fn timespec(at: rustix::time::Timespec) -> libc::timespec {
    libc::timespec {
        tv_sec: at.tv_sec,
        tv_nsec: at.tv_nsec,
    }
}

/// Initialises the mutex at `ptr`: process-shared, robust, error-checking.
///
/// # Safety
///
/// `ptr` is aligned for `pthread_mutex_t`, points at `MUTEX_LEN` writable bytes that stay
/// mapped for the call, and no thread of any process uses them during the call.
pub(crate) unsafe fn init_mutex(ptr: NonNull<u8>) -> Result<(), Errno> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    // SAFETY: `attr` is writable storage for an attribute object, initialised by this call.
    check(unsafe { libc::pthread_mutexattr_init(attr.as_mut_ptr()) })?;
    let attr = attr.as_mut_ptr();
    let result = (|| {
        // SAFETY: `attr` was initialised above and is destroyed only after this closure.
        check(unsafe { libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED) })?;
        // SAFETY: as above.
        check(unsafe { libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST) })?;
        // SAFETY: as above.
        check(unsafe { libc::pthread_mutexattr_settype(attr, libc::PTHREAD_MUTEX_ERRORCHECK) })?;
        // SAFETY: the caller promises an aligned, mapped, unused `pthread_mutex_t`; `attr` is
        // initialised.
        check(unsafe { libc::pthread_mutex_init(ptr.as_ptr().cast(), attr) })
    })();
    // SAFETY: `attr` is initialised, and `pthread_mutex_init` does not keep it.
    unsafe { libc::pthread_mutexattr_destroy(attr) };
    result
}

/// Initialises the read-write lock at `ptr`: process-shared, preferring writers.
///
/// # Safety
///
/// As for [`init_mutex`], for `RWLOCK_LEN` bytes aligned for `pthread_rwlock_t`.
pub(crate) unsafe fn init_rwlock(ptr: NonNull<u8>) -> Result<(), Errno> {
    let mut attr = std::mem::MaybeUninit::<libc::pthread_rwlockattr_t>::uninit();
    // SAFETY: `attr` is writable storage for an attribute object, initialised by this call.
    check(unsafe { libc::pthread_rwlockattr_init(attr.as_mut_ptr()) })?;
    let attr = attr.as_mut_ptr();
    let result = (|| {
        // SAFETY: `attr` was initialised above and is destroyed only after this closure.
        check(unsafe { libc::pthread_rwlockattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED) })?;
        // SAFETY: as above.
        check(unsafe {
            libc::pthread_rwlockattr_setkind_np(attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
        })?;
        // SAFETY: the caller promises an aligned, mapped, unused `pthread_rwlock_t`; `attr` is
        // initialised.
        check(unsafe { libc::pthread_rwlock_init(ptr.as_ptr().cast(), attr) })
    })();
    // SAFETY: `attr` is initialised, and `pthread_rwlock_init` does not keep it.
    unsafe { libc::pthread_rwlockattr_destroy(attr) };
    result
}

/// An initialised process-shared robust mutex, inside a mapping that its owner keeps mapped for
/// as long as this value exists (the [`Mutex`](crate::sync::Mutex) holding it owns a strong
/// reference to its region). Neither `Clone` nor `Copy`, so that no copy outlives that owner.
#[derive(Debug)]
pub(crate) struct RawMutex {
    ptr: NonNull<libc::pthread_mutex_t>,
}

#[allow(
    unsafe_code,
    reason = "a pointer to a pthread mutex states its Send bound"
)]
// SAFETY: a process-shared mutex is made to be locked from any thread of any process; the
// value is only its fixed address, valid while the value exists (see `new`), and a mapping
// belongs to the process, not to a thread. (Unlocking from the locking thread only is the
// guards' business: they are not `Send`.)
unsafe impl Send for RawMutex {}
#[allow(
    unsafe_code,
    reason = "a pointer to a pthread mutex states its Sync bound"
)]
// SAFETY: as for `Send`: every method is a pthread call meant for concurrent use.
unsafe impl Sync for RawMutex {}

impl RawMutex {
    /// The mutex at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is aligned for `pthread_mutex_t` and points at one that [`init_mutex`]
    /// initialised, inside a mapping that stays mapped for as long as the returned value
    /// exists.
    pub(crate) unsafe fn new(ptr: NonNull<u8>) -> Self {
        Self { ptr: ptr.cast() }
    }

    /// `pthread_mutex_lock`; `Err(OWNERDEAD)` means locked, and the previous owner died.
    pub(crate) fn lock(&self) -> Result<(), Errno> {
        // SAFETY: `new`'s caller promised an initialised mutex, mapped while `self` exists.
        check(unsafe { libc::pthread_mutex_lock(self.ptr.as_ptr()) })
    }

    /// `pthread_mutex_trylock`; `Err(BUSY)` when another thread holds it.
    pub(crate) fn try_lock(&self) -> Result<(), Errno> {
        // SAFETY: as in `lock`.
        check(unsafe { libc::pthread_mutex_trylock(self.ptr.as_ptr()) })
    }

    /// `pthread_mutex_clocklock(CLOCK_MONOTONIC, at)`; `Err(TIMEDOUT)` once `at` passed.
    pub(crate) fn lock_until(&self, at: rustix::time::Timespec) -> Result<(), Errno> {
        let abstime = timespec(at);
        // SAFETY: as in `lock`; `abstime` outlives the call.
        check(unsafe {
            pthread_mutex_clocklock(self.ptr.as_ptr(), libc::CLOCK_MONOTONIC, &raw const abstime)
        })
    }

    /// `pthread_mutex_consistent`, after a lock that returned `OWNERDEAD`.
    pub(crate) fn make_consistent(&self) -> Result<(), Errno> {
        // SAFETY: as in `lock`.
        check(unsafe { libc::pthread_mutex_consistent(self.ptr.as_ptr()) })
    }

    /// `pthread_mutex_unlock`; an error-checking mutex refuses (`EPERM`) a thread that does not
    /// hold it.
    pub(crate) fn unlock(&self) -> Result<(), Errno> {
        // SAFETY: as in `lock`.
        check(unsafe { libc::pthread_mutex_unlock(self.ptr.as_ptr()) })
    }
}

/// An initialised process-shared read-write lock in a mapping that lives for `'r`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawRwLock<'r> {
    ptr: NonNull<libc::pthread_rwlock_t>,
    _region: PhantomData<&'r ()>,
}

#[allow(
    unsafe_code,
    reason = "a pointer to a pthread rwlock states its Send bound"
)]
// SAFETY: as for `RawMutex`: a process-shared rwlock is made for any thread of any process.
unsafe impl Send for RawRwLock<'_> {}
#[allow(
    unsafe_code,
    reason = "a pointer to a pthread rwlock states its Sync bound"
)]
// SAFETY: as for `Send`.
unsafe impl Sync for RawRwLock<'_> {}

impl RawRwLock<'_> {
    /// The read-write lock at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` is aligned for `pthread_rwlock_t` and points at one that [`init_rwlock`]
    /// initialised, inside a mapping that stays mapped for `'r`.
    pub(crate) unsafe fn new(ptr: NonNull<u8>) -> Self {
        Self {
            ptr: ptr.cast(),
            _region: PhantomData,
        }
    }

    /// `pthread_rwlock_rdlock`, or `pthread_rwlock_tryrdlock` when `try_only`.
    pub(crate) fn read(&self, try_only: bool) -> Result<(), Errno> {
        if try_only {
            // SAFETY: `new`'s caller promised an initialised rwlock mapped for `'r`.
            check(unsafe { libc::pthread_rwlock_tryrdlock(self.ptr.as_ptr()) })
        } else {
            // SAFETY: as above.
            check(unsafe { libc::pthread_rwlock_rdlock(self.ptr.as_ptr()) })
        }
    }

    /// `pthread_rwlock_wrlock`, or `pthread_rwlock_trywrlock` when `try_only`.
    pub(crate) fn write(&self, try_only: bool) -> Result<(), Errno> {
        if try_only {
            // SAFETY: as in `read`.
            check(unsafe { libc::pthread_rwlock_trywrlock(self.ptr.as_ptr()) })
        } else {
            // SAFETY: as in `read`.
            check(unsafe { libc::pthread_rwlock_wrlock(self.ptr.as_ptr()) })
        }
    }

    /// `pthread_rwlock_clockrdlock(CLOCK_MONOTONIC, at)`.
    pub(crate) fn read_until(&self, at: rustix::time::Timespec) -> Result<(), Errno> {
        let abstime = timespec(at);
        // SAFETY: as in `read`; `abstime` outlives the call.
        check(unsafe {
            pthread_rwlock_clockrdlock(self.ptr.as_ptr(), libc::CLOCK_MONOTONIC, &raw const abstime)
        })
    }

    /// `pthread_rwlock_clockwrlock(CLOCK_MONOTONIC, at)`.
    pub(crate) fn write_until(&self, at: rustix::time::Timespec) -> Result<(), Errno> {
        let abstime = timespec(at);
        // SAFETY: as in `read`; `abstime` outlives the call.
        check(unsafe {
            pthread_rwlock_clockwrlock(self.ptr.as_ptr(), libc::CLOCK_MONOTONIC, &raw const abstime)
        })
    }

    /// `pthread_rwlock_unlock`.
    pub(crate) fn unlock(&self) -> Result<(), Errno> {
        // SAFETY: as in `read`.
        check(unsafe { libc::pthread_rwlock_unlock(self.ptr.as_ptr()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_locks_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RawMutex>();
        assert_send_sync::<RawRwLock<'static>>();
    }
}
