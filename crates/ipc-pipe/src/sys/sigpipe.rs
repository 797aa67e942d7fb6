//! Keeping `SIGPIPE` away from the process while a write may hit a pipe with no reader.
//!
//! `pipe(7)`: "If all file descriptors referring to the read end of a pipe have been closed,
//! then a write(2) will cause a SIGPIPE signal to be generated for the calling process." The
//! signal is thread-directed at the writer. So around each write the calling thread blocks
//! `SIGPIPE`; a write that fails with `EPIPE` then leaves the signal pending instead of
//! delivering it, and it is consumed with a zero-timeout `sigtimedwait` before the old mask is
//! restored. Standard signals do not queue, so consuming one may also consume a `SIGPIPE` that
//! some other source had left pending on this thread at the same moment; the write's `EPIPE`
//! carries the same news.
#![allow(
    unsafe_code,
    reason = "pthread_sigmask and sigtimedwait have no safe wrapper in rustix"
)]

use std::mem::MaybeUninit;

use rustix::io::Errno;

/// Runs `write` with `SIGPIPE` blocked in the calling thread, consuming the signal the write
/// raised if it failed with `EPIPE`, and restores the thread's mask.
#[inline]
pub(crate) fn without_sigpipe<T>(
    write: impl FnOnce() -> rustix::io::Result<T>,
) -> rustix::io::Result<T> {
    let blocked = Blocked::new();
    let result = write();
    if matches!(result, Err(Errno::PIPE)) {
        consume_pending();
    }
    drop(blocked);
    result
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
        // SAFETY: on success pthread_sigmask wrote the old mask into `previous`.
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
fn consume_pending() {
    let set = sigpipe_set();
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        // SAFETY: `set` and `zero` are initialised; a null siginfo pointer is allowed.
        let rc = unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        // `sigtimedwait(2)`: "EINTR The wait was interrupted by a signal handler" — retry;
        // EAGAIN means nothing was pending (the disposition was SIG_IGN, so none was queued).
        if rc == -1 && Errno::from_io_error(&std::io::Error::last_os_error()) == Some(Errno::INTR) {
            continue;
        }
        return;
    }
}
