//! How writes keep `SIGPIPE` from killing the process.

use crate::sys::sigpipe;

/// How this crate's writes keep `SIGPIPE` harmless; set process-wide with
/// [`set_sigpipe_protection`].
///
/// Whatever the policy, a write to a pipe with no reader returns
/// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone).
///
/// - [`Auto`](Self::Auto) (the default) reads `SIGPIPE`'s disposition once, at the first write
///   of the process. If it is `SIG_IGN` — as in every Rust program that has not changed it,
///   since the standard library ignores `SIGPIPE` before `main` — writes need no protection:
///   the kernel discards an ignored signal when it is generated, and writes cost what the raw
///   `write(2)` costs. Otherwise (`SIG_DFL`, or a handler) every write blocks `SIGPIPE` in the
///   calling thread for its duration and consumes the signal if the write failed with `EPIPE`.
///   A program that changes the disposition away from `SIG_IGN` **after** its first pipe write
///   must call [`set_sigpipe_protection`] again (with either policy) so the disposition is
///   read anew; until then an `EPIPE` would deliver the signal under the new disposition.
///   (If the new disposition is a handler, the first `EPIPE` after the change runs it once and
///   switches later writes to the guarded path; under `SIG_DFL` that first `EPIPE` is fatal.)
/// - [`Always`](Self::Always) guards every write whatever the disposition, for programs whose
///   signal setup changes at run time. It costs two `rt_sigprocmask` calls per write.
///
/// # Examples
///
/// ```
/// use ipc_pipe::{SigpipeProtection, set_sigpipe_protection, sigpipe_protection};
///
/// set_sigpipe_protection(SigpipeProtection::Always);
/// assert_eq!(sigpipe_protection(), SigpipeProtection::Always);
/// set_sigpipe_protection(SigpipeProtection::Auto);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SigpipeProtection {
    /// Guard writes unless `SIGPIPE` is ignored (read at the first write, and again after
    /// [`set_sigpipe_protection`]).
    #[default]
    Auto,
    /// Guard every write.
    Always,
}

/// Sets how every write of this crate, in every thread, keeps `SIGPIPE` harmless; under
/// [`SigpipeProtection::Auto`], the disposition is read again at the next write.
///
/// # Examples
///
/// ```
/// // A program that is about to restore SIGPIPE's default, for its own stdout:
/// ipc_pipe::set_sigpipe_protection(ipc_pipe::SigpipeProtection::Always);
/// ```
pub fn set_sigpipe_protection(protection: SigpipeProtection) {
    sigpipe::set_policy(protection == SigpipeProtection::Always);
}

/// The policy in force.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_pipe::sigpipe_protection(), ipc_pipe::SigpipeProtection::Auto);
/// ```
pub fn sigpipe_protection() -> SigpipeProtection {
    if sigpipe::policy_is_always() {
        SigpipeProtection::Always
    } else {
        SigpipeProtection::Auto
    }
}
