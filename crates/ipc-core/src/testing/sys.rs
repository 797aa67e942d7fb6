//! The raw calls of the test support: descriptor placement in the child, adopting placed
//! descriptors, `sigaction` and `pidfd_send_signal`.
#![allow(
    unsafe_code,
    reason = "pre_exec, fcntl, dup2, from_raw_fd, sigaction and syscall are unsafe to call; \
              each is wrapped once here behind a safe function"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{self, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::sigpipe::{SigpipeDisposition, count_sigpipe};

/// Sources are moved to this number or above before any `dup2`, so a source can never sit at a
/// target that an earlier `dup2` overwrites. Targets are all below it.
const PARK_FD_MIN: RawFd = 256;

/// Spawns `cmd` with each descriptor of `fds` placed at its target number in the child, without
/// close-on-exec there.
///
/// The sources stay close-on-exec in this process, so children spawned concurrently by other
/// threads never inherit them. `fds` is borrowed for the whole call, so every source is open
/// when the child duplicates it.
pub(super) fn spawn_with_fds(
    cmd: &mut Command,
    fds: &[(OwnedFd, RawFd)],
) -> io::Result<process::Child> {
    let moves: Vec<(RawFd, RawFd)> = fds
        .iter()
        .map(|(source, target)| (source.as_raw_fd(), *target))
        .collect();
    // Allocated here, before the fork: the child only writes into it.
    let mut parked: Vec<RawFd> = vec![-1; moves.len()];
    let remap = move || remap_fds(&moves, &mut parked);
    // SAFETY: `pre_exec` requires the closure to be safe to run between `fork` and `exec` in a
    // copy of a multithreaded process. `remap_fds` calls only `fcntl` and `dup2`, both
    // async-signal-safe (signal-safety(7)), takes no lock and does not allocate: it writes into
    // `parked`, sized above before the fork, and builds an `io::Error` only from `errno`.
    unsafe { cmd.pre_exec(remap) };
    cmd.spawn()
}

/// Runs in the forked child: parks every source at `PARK_FD_MIN` or above, then `dup2`s each to
/// its target, which clears close-on-exec on the target ("The two file descriptors do not share
/// file descriptor flags (the close-on-exec flag). The close-on-exec flag for the duplicate
/// descriptor is off.", dup(2)). The parked copies are close-on-exec and vanish at `exec`.
///
/// A target may hold a descriptor of this process that is close-on-exec (say, std's pipe that
/// reports an `exec` failure); `dup2` replaces it in the child only, which costs at most the
/// detail of an `exec` error that never happens for the running binary.
fn remap_fds(moves: &[(RawFd, RawFd)], parked: &mut [RawFd]) -> io::Result<()> {
    for (slot, &(source, _)) in parked.iter_mut().zip(moves) {
        // SAFETY: `fcntl(F_DUPFD_CLOEXEC)` reads and writes none of our memory; a source that is
        // not open yields `EBADF`, which is returned.
        let moved = unsafe { libc::fcntl(source, libc::F_DUPFD_CLOEXEC, PARK_FD_MIN) };
        if moved < 0 {
            return Err(io::Error::last_os_error());
        }
        *slot = moved;
    }
    for (&moved, &(_, target)) in parked.iter().zip(moves) {
        // SAFETY: `dup2` reads and writes none of our memory. Replacing whatever is at `target`
        // is the point: this is the child, about to `exec`, and no Rust object in it will use
        // the old descriptor again.
        let placed = unsafe { libc::dup2(moved, target) };
        if placed < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::{Read, Write};

    #[test]
    fn remap_places_sources_that_sit_on_each_others_targets() {
        let (mut a_reader, a_writer) = std::io::pipe().unwrap();
        let (mut b_reader, b_writer) = std::io::pipe().unwrap();
        let (a, b) = (OwnedFd::from(a_writer), OwnedFd::from(b_writer));
        let (a_number, b_number) = (a.as_raw_fd(), b.as_raw_fd());
        // Swap: in-order dup2 without parking would overwrite b's source before copying it.
        // Every number involved is owned by this test, so no other test's descriptor is touched.
        let mut parked = [-1; 2];
        remap_fds(&[(a_number, b_number), (b_number, a_number)], &mut parked).unwrap();
        for fd in parked {
            assert!(fd >= PARK_FD_MIN);
            // SAFETY: `remap_fds` just made `fd` with F_DUPFD_CLOEXEC and nothing else knows it.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        // `b` now owns the number that holds a's write end, and `a` the one that holds b's.
        for fd in [&a, &b] {
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC).unwrap();
        }
        write!(File::from(b), "to a").unwrap();
        write!(File::from(a), "to b").unwrap();
        // Non-blocking reads: a wrong placement shows as wrong or missing bytes, never a hang.
        let read_now = |reader: &mut std::io::PipeReader| {
            rustix::fs::fcntl_setfl(&*reader, rustix::fs::OFlags::NONBLOCK).unwrap();
            let mut buf = [0_u8; 16];
            let n = reader.read(&mut buf).unwrap_or(0);
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        let (got_a, got_b) = (read_now(&mut a_reader), read_now(&mut b_reader));
        assert_eq!((got_a.as_str(), got_b.as_str()), ("to a", "to b"));
    }
}
