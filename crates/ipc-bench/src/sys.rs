//! The raw calls: the `libc` baseline loops, descriptor hand-over to the peer, and claiming the
//! inherited descriptors in the peer.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls libc::read/write directly, and descriptor hand-over needs pre_exec and from_raw_fd"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Reads exactly `buf.len()` bytes with plain `read(2)` calls, retrying `EINTR`: the baseline every
/// stream case's API side is compared with.
///
/// # Errors
/// `UnexpectedEof` when the peer closed its end first; otherwise the `read(2)` error.
#[inline]
pub(crate) fn read_exact(fd: BorrowedFd<'_>, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a live, writable slice of `buf.len()` bytes for the duration of the
        // call, and `fd` is a borrowed, open descriptor.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(_) => retry_on_eintr()?,
        }
    }
    Ok(())
}

/// Writes all of `buf` with plain `write(2)` calls, retrying `EINTR`.
///
/// The process ignores `SIGPIPE` (the Rust runtime sets `SIG_IGN` before `main`), so a vanished
/// peer shows up as `EPIPE` here rather than killing the bench.
///
/// # Errors
/// The `write(2)` error; `WriteZero` if the kernel accepted nothing.
#[inline]
pub(crate) fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a live, readable slice of `buf.len()` bytes for the duration of the
        // call, and `fd` is a borrowed, open descriptor.
        let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(_) => retry_on_eintr()?,
        }
    }
    Ok(())
}

/// `RWF_NOSIGNAL` from `<linux/fs.h>` (Linux 6.18).
const RWF_NOSIGNAL: libc::c_int = 0x100;

/// Writes all of `buf` with `pwritev2(fd, …, -1, RWF_NOSIGNAL)`: the raw call that gives the
/// guarantee `ipc_pipe::Writer` gives (no `SIGPIPE` whatever the disposition), as a second raw
/// baseline that separates the cost of that guarantee from the cost of the API around it.
///
/// # Errors
/// The `pwritev2(2)` error (`EOPNOTSUPP` on kernels without the flag); `WriteZero` if the
/// kernel accepted nothing.
#[inline]
pub(crate) fn write_all_nosignal(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let iov = [io::IoSlice::new(buf)];
        // SAFETY: `iov` is one iovec (IoSlice is ABI-compatible with iovec) over `buf`, live and
        // readable for the duration of the call; offset -1 means the current position.
        let n = unsafe { libc::pwritev2(fd.as_raw_fd(), iov.as_ptr().cast(), 1, -1, RWF_NOSIGNAL) };
        match usize::try_from(n) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(_) => retry_on_eintr()?,
        }
    }
    Ok(())
}

/// Returns `Ok` when the last call failed with `EINTR` (so the caller retries), else the error.
#[cold]
fn retry_on_eintr() -> io::Result<()> {
    let err = io::Error::last_os_error();
    if err.kind() == io::ErrorKind::Interrupted {
        Ok(())
    } else {
        Err(err)
    }
}

/// Arranges for the child of `cmd` to receive each `(from, to)` pair's descriptor `from` as
/// descriptor `to`, and to be killed with `SIGKILL` if the spawning thread dies first.
///
/// Every `from` must be greater than every `to` (the caller duplicates them above the targets
/// first), so no `dup2` overwrites a source a later pair still needs; `dup2` clears close-on-exec
/// on the target, so exactly these descriptors survive the `exec`.
pub(crate) fn hand_over_fds(cmd: &mut Command, moves: Vec<(RawFd, RawFd)>) {
    debug_assert!(
        moves
            .iter()
            .all(|&(from, _)| moves.iter().all(|&(_, to)| from > to))
    );
    // Runs in the forked child before exec: only async-signal-safe calls (dup2, prctl), no
    // allocation (`moves` was allocated before the fork and is only read here).
    let child_setup = move || -> io::Result<()> {
        for &(from, to) in &moves {
            // SAFETY: dup2 is async-signal-safe; `from` is open in the child (inherited from the
            // parent, which keeps it open until `spawn` returns) and `to` is a plain number.
            if unsafe { libc::dup2(from, to) } == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        // "the parent-death signal is sent upon subsequent termination of the parent thread"
        // (prctl(2), PR_SET_PDEATHSIG): a peer blocked on a FIFO open dies with the bench.
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
        Ok(())
    };
    // SAFETY: `child_setup` performs only async-signal-safe operations and allocates nothing, as
    // `pre_exec` requires of code running between fork and exec.
    unsafe { cmd.pre_exec(child_setup) };
}

/// Takes ownership, in the peer, of descriptor `fd` that the parent handed over with
/// [`hand_over_fds`], and marks it close-on-exec again.
///
/// # Errors
/// `EBADF` when `fd` is not open, i.e. this process was not started by the bench.
pub(crate) fn claim_inherited(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_GETFD only reads the descriptor flags; an unopened `fd` yields EBADF.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is open (checked just above) and nothing else in this process owns it: the
    // bench's parent installed it with dup2 before exec and the peer claims each number once.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    rustix::io::fcntl_setfd(&owned, rustix::io::FdFlags::CLOEXEC)?;
    Ok(owned)
}
