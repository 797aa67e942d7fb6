//! Installing the `SIGBUS` diagnostic, once per process.

use std::sync::{Mutex, PoisonError};

use ipc_core::{Error, Object, Result};

#[cfg(doc)]
use ipc_core::ErrorKind;

use crate::sys::sigbus;

/// Whether this process installed the handler; held while installing, so two threads never
/// both keep an action as "the previous one".
static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Makes a `SIGBUS` in a shared mapping of this crate explain itself before the process dies:
/// installs, once per process, a `SIGBUS` handler that writes one line to standard error
/// naming the object, the address and the offset, then hands the signal to the action that was
/// installed before.
///
/// The line reads:
///
/// ```text
/// ipc-shm: SIGBUS at 0x7f3a2c001000 in the mapping of /jobs (offset 4096): the object shrank
/// under this mapping (a peer truncated it); see ipc_shm docs "SIGBUS"
/// ```
///
/// (on one line). The process still dies of `SIGBUS` as before (the
/// [module docs](crate::sigbus#why-the-fault-is-not-recovered) say why it is not recovered):
/// where the previous action was `SIG_DFL` the handler puts it back and returns, the faulting
/// access runs again and the default action ends the process with `SIGBUS` and its core; where
/// it was a handler (Rust's standard library installs one that reports stack overflows), that
/// handler is called with the same arguments. A `SIGBUS` at an address outside every
/// registered mapping, or one sent with `kill` or `raise`, is handed over the same way without
/// a line.
///
/// It changes a process-wide setting, so it is opt-in; call it early in `main`, before threads
/// install their own `SIGBUS` handlers. Calling it again does nothing. A handler installed
/// after this one replaces it unless it chains, and this function does not install it again.
///
/// # Errors
///
/// Whatever `sigaction` reports ([`InvalidArgument`](ErrorKind::InvalidArgument) or
/// [`Other`](ErrorKind::Other)); Linux refuses `SIGBUS` handlers for no reason, so in practice
/// it does not fail.
///
/// # Examples
///
/// ```
/// ipc_shm::sigbus::install_diagnostic()?;
/// ipc_shm::sigbus::install_diagnostic()?; // again: nothing changes
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html)
/// - [`signal-safety(7)`](https://man7.org/linux/man-pages/man7/signal-safety.7.html)
#[doc(alias = "sigaction")]
pub fn install_diagnostic() -> Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if *installed {
        return Ok(());
    }
    sigbus::install()
        .map_err(|errno| Error::from_errno("sigaction", Object::from("SIGBUS"), errno))?;
    *installed = true;
    Ok(())
}
