//! The raw calls of the test support: adopting placed descriptors and `sigaction`. Placing
//! them is `crate::sys::child_fds`.
#![allow(
    unsafe_code,
    reason = "fcntl, from_raw_fd and sigaction are unsafe to call; \
              each is wrapped once here behind a safe function"
)]

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::protocol::REPORT_FD;
use super::signals::count_signal;

/// Set once a process has adopted the descriptors its parent placed.
static ADOPTED: AtomicBool = AtomicBool::new(false);

/// The descriptors a parent placed in this (child) process, each handed out as an [`OwnedFd`]
/// at most once.
///
/// The type carries the precondition of `OwnedFd::from_raw_fd`: the numbers come from the
/// parent's list, each is a number the parent can place (3 to [`REPORT_FD`], so never std's
/// stdin, stdout or stderr) and appears once (both checked by `adopt`), nothing in this process
/// owned them before (std knows nothing of them), only one `InheritedFds` exists per process
/// (`ADOPTED`), and `taken` records what was handed out.
#[derive(Debug)]
pub(super) struct InheritedFds {
    declared: Vec<RawFd>,
    taken: Mutex<Vec<RawFd>>,
}

impl InheritedFds {
    /// Adopts the descriptors the parent declared, marking each close-on-exec so that they do not
    /// leak into this process's own children.
    ///
    /// # Errors
    ///
    /// A message if a number is outside 3 to [`REPORT_FD`] or appears twice, or if this process
    /// already adopted its descriptors.
    pub(super) fn adopt(declared: Vec<RawFd>) -> Result<Self, String> {
        for (i, &fd) in declared.iter().enumerate() {
            if fd > REPORT_FD {
                return Err(format!("descriptor {fd} is above REPORT_FD ({REPORT_FD})"));
            }
            crate::child_fds::check_target(fd).map_err(|err| err.to_string())?;
            if declared[..i].contains(&fd) {
                return Err(format!("descriptor {fd} is declared twice"));
            }
        }
        // Relaxed: the flag guards nothing but itself; the swap is the whole check.
        if ADOPTED.swap(true, Ordering::Relaxed) {
            return Err("the inherited descriptors were already adopted".to_owned());
        }
        for &fd in &declared {
            // SAFETY: `fcntl(F_SETFD)` reads and writes none of our memory; a descriptor that
            // is not open yields `EBADF`, ignored here and reported by `take`.
            let _ = unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        Ok(Self {
            declared,
            taken: Mutex::new(Vec::new()),
        })
    }

    /// Hands out the descriptor at `fd`, once.
    ///
    /// # Errors
    ///
    /// A message if the parent did not place `fd`, if it was already taken, or if it is not open.
    pub(super) fn take(&self, fd: RawFd) -> Result<OwnedFd, String> {
        if !self.declared.contains(&fd) {
            return Err(format!(
                "the parent placed no descriptor at {fd} (it placed {:?})",
                self.declared
            ));
        }
        let mut taken = self
            .taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if taken.contains(&fd) {
            return Err(format!("descriptor {fd} was already taken"));
        }
        // SAFETY: `fcntl(F_GETFD)` reads and writes none of our memory.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(format!(
                "descriptor {fd} is not open: {}",
                io::Error::last_os_error()
            ));
        }
        taken.push(fd);
        // SAFETY: `fd` is open (checked just above), the parent placed it for this process
        // (`declared`, checked above; `adopt` made sure it is not stdio and is listed once),
        // and no one owns it: std never saw it, this is the only
        // `InheritedFds` (`adopt` checks `ADOPTED`), and `taken`, held locked, shows it was not
        // handed out before.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// What [`set_action`] installs for a signal.
#[derive(Clone, Copy, Debug)]
pub(super) enum Action {
    /// `SIG_DFL`.
    Default,
    /// `SIG_IGN`.
    Ignore,
    /// `count_signal`, with `SA_RESTART` when `restart` is set.
    Count { restart: bool },
}

/// Sets the process-wide disposition of `signal` (`sigaction(2)`).
pub(super) fn set_action(signal: libc::c_int, action: Action) -> io::Result<()> {
    let (handler, flags) = match action {
        Action::Default => (libc::SIG_DFL, libc::SA_RESTART),
        Action::Ignore => (libc::SIG_IGN, libc::SA_RESTART),
        Action::Count { restart } => (
            count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            if restart { libc::SA_RESTART } else { 0 },
        ),
    };
    // SAFETY: `libc::sigaction` is plain data (a handler address, a signal set, integer flags and
    // a restorer address) for which all zero bytes are valid: `SIG_DFL`, no flags, no restorer.
    let mut sigaction: libc::sigaction = unsafe { std::mem::zeroed() };
    sigaction.sa_sigaction = handler;
    sigaction.sa_flags = flags;
    // SAFETY: `sigaction.sa_mask` is a live, writable `sigset_t` owned by this frame.
    unsafe { libc::sigemptyset(&raw mut sigaction.sa_mask) };
    // SAFETY: `sigaction` is initialised above; its handler is `SIG_DFL`, `SIG_IGN` or
    // `count_signal`, an `extern "C" fn(c_int)` that only does an atomic add, which is
    // async-signal-safe; a null old-action pointer is allowed ("If oldact is non-NULL, the
    // previous action is saved in oldact.", sigaction(2)).
    let rc = unsafe { libc::sigaction(signal, &raw const sigaction, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The handler address and flags installed for `signal`, for tests of [`set_action`].
#[cfg(test)]
pub(super) fn installed_action(
    signal: libc::c_int,
) -> io::Result<(libc::sighandler_t, libc::c_int)> {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: with a null new action, `sigaction` changes nothing and only writes the current
    // action into `old`, a live, writable `libc::sigaction` in this frame ("If act is non-NULL,
    // the new action for signal signum is installed from act. If oldact is non-NULL, the
    // previous action is saved in oldact.", sigaction(2)).
    let rc = unsafe { libc::sigaction(signal, std::ptr::null(), old.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `sigaction` returned 0, so it filled `old`.
    let old = unsafe { old.assume_init() };
    Ok((old.sa_sigaction, old.sa_flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopt_refuses_stdio_out_of_range_and_repeated_numbers() {
        // Each is refused before `ADOPTED` is touched, so this test adopts nothing.
        for declared in [vec![1], vec![2, 10], vec![REPORT_FD + 1], vec![10, 11, 10]] {
            let err = InheritedFds::adopt(declared.clone()).unwrap_err();
            assert!(!err.contains("already adopted"), "{declared:?}: {err}");
        }
        assert!(!ADOPTED.load(Ordering::Relaxed));
    }
}
