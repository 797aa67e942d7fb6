//! The `SIGPIPE` disposition of a test process.

use super::signals::{self, InterruptedCalls};
use super::sys::{self, Action};

/// What a process does when a write hits a pipe or socket with no reader.
///
/// Rust's runtime sets `SIGPIPE` to `SIG_IGN` before `main`, in every re-executed child too, so
/// a child that must run with the C default has to ask for it with [`set_sigpipe`]. Every write
/// path of this workspace is tested at [`Default`](Self::Default) (STYLE.md 26).
///
/// # Examples
///
/// A child that must die of a broken pipe, as a C program would:
///
/// ```
/// use ipc_core::testing::{ChildContext, SigpipeDisposition, set_sigpipe};
///
/// if let Some(ctx) = ChildContext::current() {
///     set_sigpipe(SigpipeDisposition::Default);
///     ctx.report("writing");
///     // ... a write to a pipe without reader now kills this child with SIGPIPE.
/// }
/// assert_ne!(SigpipeDisposition::Default, SigpipeDisposition::Ignore);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigpipeDisposition {
    /// `SIG_DFL`: a `SIGPIPE` kills the process.
    Default,
    /// `SIG_IGN`: the signal is discarded and the write fails with `EPIPE` (Rust's default).
    Ignore,
    /// A handler that counts deliveries in [`sigpipe_count`]; the write fails with `EPIPE`.
    /// The handler is that of [`install_counting_handler`](super::install_counting_handler),
    /// with [`InterruptedCalls::Restart`](super::InterruptedCalls::Restart).
    CountingHandler,
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
    let installed = match disposition {
        SigpipeDisposition::Default => sys::set_action(libc::SIGPIPE, Action::Default),
        SigpipeDisposition::Ignore => sys::set_action(libc::SIGPIPE, Action::Ignore),
        SigpipeDisposition::CountingHandler => {
            signals::install_counting_handler(libc::SIGPIPE, InterruptedCalls::Restart)
        }
    };
    if let Err(err) = installed {
        panic!("sigaction(SIGPIPE, {disposition:?}) failed: {err}");
    }
}

/// How many `SIGPIPE`s the [`CountingHandler`](SigpipeDisposition::CountingHandler) has seen in
/// this process: [`signal_count`](super::signal_count)`(SIGPIPE)`.
///
/// # Examples
///
/// ```
/// // Nothing was counted: the handler was never installed in this process.
/// assert_eq!(ipc_core::testing::sigpipe_count(), 0);
/// ```
pub fn sigpipe_count() -> usize {
    signals::signal_count(libc::SIGPIPE)
}
