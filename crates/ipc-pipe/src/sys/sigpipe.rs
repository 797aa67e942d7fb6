//! Keeping `SIGPIPE` away from the process while a write may hit a pipe with no reader.
//!
//! `pipe(7)`: "If all file descriptors referring to the read end of a pipe have been closed,
//! then a write(2) will cause a SIGPIPE signal to be generated for the calling process." The
//! signal is thread-directed at the writer.
//!
//! Two ways to keep it harmless, chosen by [`SigpipeProtection`](crate::SigpipeProtection):
//!
//! - The mask dance: around each write the calling thread blocks `SIGPIPE`; a write that fails
//!   with `EPIPE` leaves the signal pending instead of delivering it, and it is consumed with a
//!   zero-timeout `sigtimedwait` before the old mask is restored. Two extra system calls per
//!   write (about 0.5 µs on the project's VMs, more than a 64-byte write costs).
//! - Nothing, when the disposition is `SIG_IGN`: `signal(7)` — an ignored signal is discarded
//!   when it is generated, so the write just fails with `EPIPE`. Rust programs start with
//!   `SIG_IGN` (the standard library sets it before `main`).
//!
//! Standard signals do not queue, so consuming one may also consume a `SIGPIPE` that some
//! other source had left pending on this thread at the same moment; the write's `EPIPE`
//! carries the same news.
#![allow(
    unsafe_code,
    reason = "sigaction, pthread_sigmask and sigtimedwait have no safe wrapper in rustix"
)]

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering};

use rustix::io::Errno;

/// The process-wide policy, one of the constants below.
static POLICY: AtomicU8 = AtomicU8::new(AUTO_UNKNOWN);
/// `Auto`, disposition not read yet.
const AUTO_UNKNOWN: u8 = 0;
/// `Auto`, disposition found `SIG_IGN`: writes go unguarded.
const AUTO_IGNORED: u8 = 1;
/// `Auto`, disposition found to be `SIG_DFL` or a handler: every write is guarded.
const AUTO_GUARDED: u8 = 2;
/// `Always`: every write is guarded whatever the disposition.
const ALWAYS: u8 = 3;

/// Sets the policy: `always` guards every write; otherwise the disposition decides, read anew
/// at the next write.
pub(crate) fn set_policy(always: bool) {
    // Relaxed: the policy is one word read on its own; no other memory depends on it.
    POLICY.store(
        if always { ALWAYS } else { AUTO_UNKNOWN },
        Ordering::Relaxed,
    );
}

/// Whether the policy guards every write (`Always`).
pub(crate) fn policy_is_always() -> bool {
    // Relaxed: see `set_policy`.
    POLICY.load(Ordering::Relaxed) == ALWAYS
}

/// Runs `write` so that `SIGPIPE` cannot hurt: directly when the disposition is `SIG_IGN` under
/// the `Auto` policy, otherwise with `SIGPIPE` blocked in the calling thread, consuming the
/// signal the write raised if it failed with `EPIPE`, and restoring the thread's mask.
#[inline]
pub(crate) fn without_sigpipe<T>(
    write: impl FnOnce() -> rustix::io::Result<T>,
) -> rustix::io::Result<T> {
    if !guard_needed() {
        let result = write();
        if matches!(result, Err(Errno::PIPE)) {
            recheck_after_epipe();
        }
        return result;
    }
    let blocked = Blocked::new();
    let result = write();
    if matches!(result, Err(Errno::PIPE)) {
        consume_pending();
    }
    drop(blocked);
    result
}

/// Whether writes need the mask dance now.
#[inline]
fn guard_needed() -> bool {
    // Relaxed: see `set_policy`.
    match POLICY.load(Ordering::Relaxed) {
        AUTO_IGNORED => false,
        AUTO_UNKNOWN => {
            let decided = if disposition_is_ignore() {
                AUTO_IGNORED
            } else {
                AUTO_GUARDED
            };
            // Only an undecided Auto policy is replaced; a concurrent set_policy wins.
            let _ = POLICY.compare_exchange(
                AUTO_UNKNOWN,
                decided,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            decided != AUTO_IGNORED
        }
        _ => true,
    }
}

/// After an unguarded write failed with `EPIPE`: if the disposition is no longer `SIG_IGN`
/// (the host changed it and a handler ran), guard every later write.
#[cold]
fn recheck_after_epipe() {
    if !disposition_is_ignore() {
        let _ = POLICY.compare_exchange(
            AUTO_IGNORED,
            AUTO_GUARDED,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
}

/// Whether `SIGPIPE`'s disposition is `SIG_IGN` now.
fn disposition_is_ignore() -> bool {
    let mut current = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only queries; `current` is valid for writes of a sigaction.
    let rc = unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), current.as_mut_ptr()) };
    if rc != 0 {
        return false;
    }
    // SAFETY: sigaction returned 0, so it wrote the current action into `current`.
    let current = unsafe { current.assume_init() };
    current.sa_sigaction == libc::SIG_IGN
}

/// `SIGPIPE` blocked in this thread until drop, unless it already was.
struct Blocked {
    /// The mask to restore, or `None` when `SIGPIPE` was already blocked (nothing to undo).
    previous: Option<libc::sigset_t>,
}

impl Blocked {
    #[inline]
    fn new() -> Self {
        let set = sigpipe_set();
        let mut previous = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `set` is an initialised sigset; `previous` is valid for writes of a sigset_t.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, previous.as_mut_ptr()) };
        // pthread_sigmask fails only for an invalid `how`, which SIG_BLOCK is not.
        debug_assert_eq!(rc, 0);
        // SAFETY: pthread_sigmask succeeded, so it wrote the old mask into `previous`.
        let previous = unsafe { previous.assume_init() };
        // SAFETY: `previous` is an initialised sigset and SIGPIPE a valid signal number.
        let was_blocked = unsafe { libc::sigismember(&previous, libc::SIGPIPE) } == 1;
        Self {
            previous: (!was_blocked).then_some(previous),
        }
    }
}

impl Drop for Blocked {
    #[inline]
    fn drop(&mut self) {
        if let Some(previous) = &self.previous {
            // SAFETY: `previous` is the initialised mask pthread_sigmask returned; a null old
            // set is allowed.
            let rc =
                unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, previous, std::ptr::null_mut()) };
            debug_assert_eq!(rc, 0);
        }
    }
}

/// A signal set holding only `SIGPIPE`.
#[inline]
fn sigpipe_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `set` is valid for writes of a sigset_t; sigemptyset initialises it.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    // SAFETY: sigemptyset above initialised the set.
    let mut set = unsafe { set.assume_init() };
    // SAFETY: `set` is an initialised sigset and SIGPIPE a valid signal number.
    unsafe { libc::sigaddset(&mut set, libc::SIGPIPE) };
    set
}

/// Takes a pending `SIGPIPE` off this thread (and the process), without waiting.
#[cold]
fn consume_pending() {
    let set = sigpipe_set();
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: `set` and `zero` are initialised; a null siginfo pointer is allowed.
        let rc = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        // sigtimedwait(2): "EINTR The wait was interrupted by a signal handler" — retry;
        // EAGAIN means nothing was pending (the signal was discarded as ignored).
        if rc == -1 && Errno::from_io_error(&std::io::Error::last_os_error()) == Some(Errno::INTR) {
            continue;
        }
        return;
    }
}
