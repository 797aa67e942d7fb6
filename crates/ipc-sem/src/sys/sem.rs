//! The C library's `sem_*` functions, on a `sem_t` that lives in memory shared between
//! processes.
#![allow(
    unsafe_code,
    reason = "the sem_* functions take raw pointers to a sem_t in shared memory"
)]

use std::ptr::NonNull;

use ipc_core::Deadline;
use rustix::io::Errno;

/// The largest value a semaphore can hold: glibc's `SEM_VALUE_MAX`
/// (`bits/local_lim.h`: `#define SEM_VALUE_MAX (2147483647)`), which the `libc` crate does not
/// export for Linux.
pub(crate) const SEM_VALUE_MAX: u32 = 2_147_483_647;

/// The size of a `sem_t`: 32 bytes on the 64-bit Linux targets this crate builds for.
pub(crate) const SEM_SIZE: usize = size_of::<libc::sem_t>();

/// The alignment a `sem_t` needs. glibc's `sem_t` is a union with a `long int __align`
/// member, so it is aligned like a `long`; the `libc` crate declares it as bytes only, so the
/// alignment is stated here rather than taken from `align_of`.
pub(crate) const SEM_ALIGN: usize = align_of::<libc::c_long>();

// The crate is built for 64-bit Linux only, and says so here rather than in casts. A named
// semaphore's file is exactly one glibc `sem_t` (`struct new_sem`: a 64-bit word holding the
// value in its low half and the number of waiters in its high half, then `private` and a pad),
// 32 bytes, so that C programs calling `sem_open` share it; and the absolute times handed to
// `sem_clockwait` are built from rustix's 64-bit seconds without narrowing.
const _: () = assert!(SEM_SIZE == 32, "glibc's sem_t on 64-bit Linux is 32 bytes");
const _: () = assert!(SEM_ALIGN == 8, "a sem_t is aligned like a 64-bit long");
const _: () = assert!(
    size_of::<libc::time_t>() == size_of::<i64>(),
    "timespec seconds are built as i64"
);

#[cfg(target_env = "gnu")]
unsafe extern "C" {
    /// `sem_clockwait(3)`, glibc 2.30 and later; the `libc` crate does not declare it.
    fn sem_clockwait(
        sem: *mut libc::sem_t,
        clock: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

/// A pointer to an initialised, process-shared `sem_t`.
///
/// Every method is a thin wrapper of one `sem_*` call. The obligations of
/// [`from_ptr`](Self::from_ptr) make each call sound: the C library's semaphore operations are
/// thread-safe and act on the `sem_t` through atomic instructions and futexes, so other
/// threads and processes may use the same `sem_t` at the same time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SemPtr {
    sem: NonNull<libc::sem_t>,
}

impl SemPtr {
    /// Initialises the `sem_t` at `sem` as a process-shared semaphore holding `value`
    /// (`sem_init` with `pshared = 1`), and returns the pointer to it.
    ///
    /// # Safety
    ///
    /// `sem` is aligned to [`SEM_ALIGN`], points to [`SEM_SIZE`] writable bytes of shared
    /// memory that no process uses as a semaphore yet, and stays mapped for as long as the
    /// returned value (or a copy of it) is used.
    pub(crate) unsafe fn init(sem: NonNull<libc::sem_t>, value: u32) -> Result<Self, Errno> {
        // SAFETY: the caller promises writable, aligned memory that nobody uses yet.
        let rc = unsafe { libc::sem_init(sem.as_ptr(), 1, value) };
        check(rc)?;
        Ok(Self { sem })
    }

    /// The semaphore at `sem`, initialised by another process or an earlier call.
    ///
    /// # Safety
    ///
    /// `sem` is aligned to [`SEM_ALIGN`] and points to [`SEM_SIZE`] bytes of shared memory,
    /// mapped readable and writable for as long as the returned value (or a copy of it) is
    /// used, that an initialiser has published as a process-shared semaphore (by `sem_init`
    /// with `pshared = 1` or `sem_open`). Its contents may be changed by other processes; a
    /// corrupt `sem_t` makes the calls misbehave (wrong counts, spurious wake-ups, `EINVAL`)
    /// but not touch memory outside it.
    #[inline]
    pub(crate) unsafe fn from_ptr(sem: NonNull<libc::sem_t>) -> Self {
        Self { sem }
    }

    /// `sem_wait`: takes one, blocking while the value is 0. `EINTR` when a signal handler
    /// ran.
    #[inline]
    pub(crate) fn wait(self) -> Result<(), Errno> {
        // SAFETY: `from_ptr`/`init` established a live, initialised process-shared sem_t.
        check(unsafe { libc::sem_wait(self.sem.as_ptr()) })
    }

    /// `sem_trywait`: takes one, or fails with `EAGAIN` while the value is 0.
    #[inline]
    pub(crate) fn try_wait(self) -> Result<(), Errno> {
        // SAFETY: as in `wait`.
        check(unsafe { libc::sem_trywait(self.sem.as_ptr()) })
    }

    /// Takes one, blocking at most until `deadline`: `ETIMEDOUT` then.
    ///
    /// With glibc this is `sem_clockwait` on `CLOCK_MONOTONIC`, so stepping the wall clock
    /// moves nothing; the absolute time is computed here, from the time left, just before the
    /// call. Elsewhere it is `sem_timedwait` with the deadline converted to `CLOCK_REALTIME`
    /// at the same last moment.
    pub(crate) fn wait_deadline(self, deadline: Deadline) -> Result<(), Errno> {
        #[cfg(target_env = "gnu")]
        {
            let at = deadline.to_monotonic();
            let abstime = libc::timespec {
                tv_sec: at.tv_sec,
                tv_nsec: at.tv_nsec,
            };
            // SAFETY: as in `wait`; `abstime` is a valid timespec on the stack for the call.
            let rc = unsafe { sem_clockwait(self.sem.as_ptr(), libc::CLOCK_MONOTONIC, &abstime) };
            check(rc)
        }
        #[cfg(not(target_env = "gnu"))]
        {
            let at = deadline.to_realtime();
            let abstime = libc::timespec {
                tv_sec: at.tv_sec,
                tv_nsec: at.tv_nsec,
            };
            // SAFETY: as in `wait`; `abstime` is a valid timespec on the stack for the call.
            check(unsafe { libc::sem_timedwait(self.sem.as_ptr(), &abstime) })
        }
    }

    /// `sem_post`: gives one back, waking a waiter; `EOVERFLOW` at [`SEM_VALUE_MAX`].
    #[inline]
    pub(crate) fn post(self) -> Result<(), Errno> {
        // SAFETY: as in `wait`.
        check(unsafe { libc::sem_post(self.sem.as_ptr()) })
    }

    /// `sem_getvalue`: the value now (glibc never reports waiters as a negative value).
    pub(crate) fn value(self) -> Result<u32, Errno> {
        let mut value: libc::c_int = 0;
        // SAFETY: as in `wait`; `value` is a valid int on the stack for the call.
        check(unsafe { libc::sem_getvalue(self.sem.as_ptr(), &mut value) })?;
        Ok(value.max(0).unsigned_abs())
    }
}

/// The result of a call that returns 0 or -1 with `errno`.
fn check(rc: libc::c_int) -> Result<(), Errno> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO))
    }
}
