//! The stream cases' raw calls: the `libc` read and write loops, descriptor hand-over to the
//! peer, and claiming the inherited descriptors in the peer.
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
pub(super) fn retry_on_eintr() -> io::Result<()> {
    let err = io::Error::last_os_error();
    if err.kind() == io::ErrorKind::Interrupted {
        Ok(())
    } else {
        Err(err)
    }
}

/// Arranges for the child of `cmd` to be killed with `SIGKILL` if the spawning thread dies
/// first, so a peer blocked on a FIFO open never outlives the bench.
pub(crate) fn die_with_parent(cmd: &mut Command) {
    // "the parent-death signal is sent upon subsequent termination of the parent thread"
    // (prctl(2), PR_SET_PDEATHSIG).
    let child_setup = || -> io::Result<()> {
        rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
        Ok(())
    };
    // SAFETY: `child_setup` makes one prctl call, async-signal-safe, and allocates nothing, as
    // `pre_exec` requires of code running between fork and exec.
    unsafe { cmd.pre_exec(child_setup) };
}

/// Takes ownership, in the peer, of descriptor `fd` that the parent handed over with
/// `ipc_core::ChildFds`, and marks it close-on-exec again.
///
/// # Errors
/// `EBADF` when `fd` is not open, i.e. this process was not started by the bench.
pub(crate) fn claim_inherited(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_GETFD only reads the descriptor flags; an unopened `fd` yields EBADF.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is open (checked just above) and nothing else in this process owns it: the
    // bench's parent placed it with ipc_core::ChildFds before exec and the peer claims each number once.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    rustix::io::fcntl_setfd(&owned, rustix::io::FdFlags::CLOEXEC)?;
    Ok(owned)
}
