//! The raw calls of the test support: adopting placed descriptors, `sigaction` and
//! `pidfd_send_signal`. Placing them is `crate::sys::child_fds`.
#![allow(
    unsafe_code,
    reason = "fcntl, from_raw_fd, sigaction and syscall are unsafe to call; \
              each is wrapped once here behind a safe function"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::sigpipe::{SigpipeDisposition, count_sigpipe};

/// Set once a process has adopted the descriptors its parent placed.
static ADOPTED: AtomicBool = AtomicBool::new(false);

/// The descriptors a parent placed in this (child) process, each handed out as an [`OwnedFd`]
/// at most once.
///
/// The type carries the precondition of `OwnedFd::from_raw_fd`: the numbers come from the
/// parent's list, nothing in this process owned them before (std knows nothing of them), only one
/// `InheritedFds` exists per process (`ADOPTED`), and `taken` records what was handed out.
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
    /// A message if this process already adopted its descriptors.
    pub(super) fn adopt(declared: Vec<RawFd>) -> Result<Self, String> {
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
        // (`declared`, checked above), and no one owns it: std never saw it, this is the only
        // `InheritedFds` (`adopt` checks `ADOPTED`), and `taken`, held locked, shows it was not
        // handed out before.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// Sets the process-wide disposition of `SIGPIPE`.
pub(super) fn set_sigpipe_action(disposition: SigpipeDisposition) -> io::Result<()> {
    let handler: libc::sighandler_t = match disposition {
        SigpipeDisposition::Default => libc::SIG_DFL,
        SigpipeDisposition::Ignore => libc::SIG_IGN,
        SigpipeDisposition::CountingHandler => {
            count_sigpipe as extern "C" fn(libc::c_int) as libc::sighandler_t
        }
    };
    // SAFETY: `libc::sigaction` is plain data (a handler address, a signal set, integer flags and
    // a restorer address) for which all zero bytes are valid: `SIG_DFL`, no flags, no restorer.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a live, writable `sigset_t` owned by this frame.
    unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
    // SAFETY: `action` is initialised above; its handler is `SIG_DFL`, `SIG_IGN` or
    // `count_sigpipe`, an `extern "C" fn(c_int)` that only does an atomic add, which is
    // async-signal-safe; a null old-action pointer is allowed ("If oldact is non-NULL, the
    // previous action is saved in oldact.", sigaction(2)).
    let rc = unsafe { libc::sigaction(libc::SIGPIPE, &raw const action, std::ptr::null_mut()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sends `signal` to the process behind `pidfd` (`pidfd_send_signal(2)`).
pub(super) fn send_signal(pidfd: BorrowedFd<'_>, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: pidfd_send_signal(2) takes a descriptor, a signal number, a `siginfo_t` pointer and
    // flags; "If info is NULL, this is equivalent to specifying a pointer to a siginfo_t buffer
    // whose fields match the values that are implicitly supplied when a signal is sent using
    // kill(2)", so with a null pointer it touches none of our memory.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            libc::c_long::from(pidfd.as_raw_fd()),
            libc::c_long::from(signal),
            std::ptr::null::<libc::siginfo_t>(),
            libc::c_long::from(0_u8),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
