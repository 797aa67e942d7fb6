//! How writes keep `SIGPIPE` from killing the process.

use ipc_core::{Error, ErrorKind, Result};

use crate::sys::{rw, sigpipe};

/// How this crate's writes keep `SIGPIPE` harmless on this kernel; see [`sigpipe_guard`].
///
/// Whatever the guard, a write to a pipe with no reader returns
/// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone). Under the default guards it never
/// raises `SIGPIPE`, whatever the disposition (`SIG_DFL`, `SIG_IGN` or a handler), now or after
/// the program changes it; under [`AssumedIgnored`](Self::AssumedIgnored) that holds for as
/// long as the program keeps its promise.
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
    /// The program promised, with [`assume_sigpipe_ignored`], that `SIGPIPE` stays ignored:
    /// blocking writes are plain `write(2)` calls, the kernel discarding the signal.
    AssumedIgnored,
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
    if rw::assume_ignored() {
        SigpipeGuard::AssumedIgnored
    } else if rw::nosignal_supported() {
        SigpipeGuard::NoSignalFlag
    } else {
        SigpipeGuard::SignalMask
    }
}

/// Promises that `SIGPIPE` stays ignored (`SIG_IGN`) in this process, so blocking writes may be
/// plain `write(2)` calls, as fast as a write can be.
///
/// The default guard, `RWF_NOSIGNAL`, takes the kernel's vectored write path, which costs about
/// 130 ns more per call than `write(2)` on the project's VMs; for a stream of small messages
/// that can slow throughput by more than half again (see `cargo xtask bench`). A program that
/// ignores `SIGPIPE` for its whole life — every Rust program that never changes it, since the
/// standard library sets `SIG_IGN` before `main` — loses nothing by promising it.
///
/// The promise is the program's to keep: the crate checks the disposition now, not at each
/// write. A program that later gives `SIGPIPE` another disposition must first call
/// [`revoke_sigpipe_assumption`]; otherwise a write to a pipe with no reader raises the signal
/// under the new disposition (and `SIG_DFL` ends the process). Non-blocking and bounded writes,
/// `splice`, `tee` and `vmsplice` keep their guards either way.
///
/// # Errors
///
/// [`ErrorKind::InvalidArgument`] when `SIGPIPE` is not ignored now; nothing changes.
///
/// # Examples
///
/// ```
/// // Rust programs start with SIGPIPE ignored.
/// ipc_pipe::assume_sigpipe_ignored()?;
/// assert_eq!(ipc_pipe::sigpipe_guard(), ipc_pipe::SigpipeGuard::AssumedIgnored);
/// let (reader, writer) = ipc_pipe::pipe()?;
/// drop(reader);
/// assert_eq!(writer.write(b"x").unwrap_err().kind(), ipc_core::ErrorKind::PeerGone);
/// ipc_pipe::revoke_sigpipe_assumption();
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub fn assume_sigpipe_ignored() -> Result<()> {
    if !sigpipe::is_ignored() {
        return Err(
            Error::new(ErrorKind::InvalidArgument, "assume_sigpipe_ignored")
                .with_object("SIGPIPE")
                .with_detail("the disposition is not SIG_IGN now, so the promise cannot be made"),
        );
    }
    rw::set_assume_ignored(true);
    Ok(())
}

/// Withdraws [`assume_sigpipe_ignored`]'s promise: writes are guarded again, whatever the
/// disposition. Call it before changing `SIGPIPE`'s disposition.
///
/// # Examples
///
/// ```
/// ipc_pipe::revoke_sigpipe_assumption();
/// assert_ne!(ipc_pipe::sigpipe_guard(), ipc_pipe::SigpipeGuard::AssumedIgnored);
/// ```
pub fn revoke_sigpipe_assumption() {
    rw::set_assume_ignored(false);
}
