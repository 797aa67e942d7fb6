//! The `SIGPIPE` disposition of a test process.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::sys;

/// What a process does when a write hits a pipe or socket with no reader.
///
/// Rust's runtime sets `SIGPIPE` to `SIG_IGN` before `main`, in every re-executed child too, so
/// a child that must run with the C default has to ask for it with [`set_sigpipe`]. Every write
/// path of this workspace is tested at [`Default`](Self::Default) (STYLE.md 26).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigpipeDisposition {
    /// `SIG_DFL`: a `SIGPIPE` kills the process.
    Default,
    /// `SIG_IGN`: the signal is discarded and the write fails with `EPIPE` (Rust's default).
    Ignore,
    /// A handler that counts deliveries in [`sigpipe_count`]; the write fails with `EPIPE`.
    CountingHandler,
}

/// Deliveries seen by [`count_sigpipe`].
static SIGPIPE_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The counting handler. An atomic add is all it does, which is async-signal-safe.
pub(super) extern "C" fn count_sigpipe(_signal: libc::c_int) {
    // Relaxed: the count is the only data; no other memory is published through it.
    SIGPIPE_COUNT.fetch_add(1, Ordering::Relaxed);
}

/// Sets the process-wide disposition of `SIGPIPE` (`sigaction(2)`, with `SA_RESTART`).
///
/// It affects every thread of the process: call it in a re-executed child, not in the parent
/// test, whose harness runs other tests concurrently.
///
/// # Panics
///
/// If `sigaction` fails, which it cannot for `SIGPIPE` with these handlers.
///
/// # Examples
///
/// ```
/// use ipc_core::testing::{SigpipeDisposition, set_sigpipe, sigpipe_count};
/// use std::io::Write;
///
/// set_sigpipe(SigpipeDisposition::CountingHandler);
/// let (reader, mut writer) = std::io::pipe().unwrap();
/// drop(reader);
/// let before = sigpipe_count();
/// let err = writer.write_all(b"x").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
/// assert_eq!(sigpipe_count(), before + 1);
/// set_sigpipe(SigpipeDisposition::Ignore);
/// ```
///
/// # References
///
/// - [sigaction(2)](https://man7.org/linux/man-pages/man2/sigaction.2.html)
/// - [pipe(7), "I/O on pipes and FIFOs"](https://man7.org/linux/man-pages/man7/pipe.7.html)
#[doc(alias = "sigaction")]
pub fn set_sigpipe(disposition: SigpipeDisposition) {
    if let Err(err) = sys::set_sigpipe_action(disposition) {
        panic!("sigaction(SIGPIPE, {disposition:?}) failed: {err}");
    }
}

/// How many `SIGPIPE`s the [`CountingHandler`](SigpipeDisposition::CountingHandler) has seen in
/// this process.
///
/// # Examples
///
/// ```
/// // Nothing was counted: the handler was never installed in this process.
/// assert_eq!(ipc_core::testing::sigpipe_count(), 0);
/// ```
pub fn sigpipe_count() -> usize {
    // Relaxed: see `count_sigpipe`; a SIGPIPE raised by a write is delivered to the writing
    // thread before the write returns, so that thread reads its own count.
    SIGPIPE_COUNT.load(Ordering::Relaxed)
}
