//! How writes keep `SIGPIPE` from killing the process.

use crate::sys::rw;

/// How this crate's writes keep `SIGPIPE` harmless on this kernel; see [`sigpipe_guard`].
///
/// Whatever the guard, a write to a pipe with no reader returns
/// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone) and never raises `SIGPIPE`, whatever
/// its disposition (`SIG_DFL`, `SIG_IGN` or a handler), now or after the program changes it.
///
/// # Examples
///
/// ```
/// use ipc_pipe::{SigpipeGuard, sigpipe_guard};
///
/// match sigpipe_guard() {
///     SigpipeGuard::NoSignalFlag => println!("writes use RWF_NOSIGNAL"),
///     SigpipeGuard::SignalMask => println!("writes block SIGPIPE around the call"),
///     _ => println!("another guard"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigpipeGuard {
    /// `pwritev2(…, RWF_NOSIGNAL)` (Linux 6.18 and later): the kernel raises no signal, and a
    /// write costs what `write(2)` costs.
    NoSignalFlag,
    /// Older kernels (or `IPC_PIPE_SIGPIPE_GUARD=mask` in the environment): each write blocks
    /// `SIGPIPE` in the calling thread for its duration and consumes the signal an `EPIPE`
    /// raised, at the price of two `rt_sigprocmask` calls per write. `splice`, `tee` and
    /// `vmsplice` always work this way: they have no such flag.
    SignalMask,
}

/// The guard this process's writes use: probed once, at the first write or call of this
/// function.
///
/// # Examples
///
/// ```
/// let guard = ipc_pipe::sigpipe_guard();
/// assert_eq!(guard, ipc_pipe::sigpipe_guard(), "probed once");
/// ```
pub fn sigpipe_guard() -> SigpipeGuard {
    if rw::nosignal_supported() {
        SigpipeGuard::NoSignalFlag
    } else {
        SigpipeGuard::SignalMask
    }
}
