//! Reads and writes on pipe ends: `RWF_NOSIGNAL` writes, and `RWF_NOWAIT` for the forms that
//! must not block.
//!
//! `pwritev2(2)` and `preadv2(2)` take an offset of -1 to mean "the current file offset is used
//! and updated", which for a pipe is simply the stream. Their flags give two things a plain
//! `write(2)` lacks:
//!
//! - `RWF_NOSIGNAL` (Linux 6.18): a write to a pipe with no reader fails with `EPIPE` without
//!   raising `SIGPIPE`, whatever the disposition: the `MSG_NOSIGNAL` of pipes, in the same one
//!   system call. Where the kernel lacks it (it answers `EOPNOTSUPP` for an unknown flag), each
//!   write blocks `SIGPIPE` in the calling thread instead ([`super::sigpipe`]).
//! - `RWF_NOWAIT`: the call fails with `EAGAIN` instead of blocking, without setting
//!   `O_NONBLOCK` on the open file description another process may share.
#![allow(
    unsafe_code,
    reason = "rustix's preadv2/pwritev2 take an unsigned offset and cannot pass -1"
)]

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use rustix::io::Errno;

use super::sigpipe;

/// "If the offset argument is -1, then the current file offset is used and updated."
const CURRENT_OFFSET: libc::off_t = -1;

/// `RWF_NOSIGNAL` from `<linux/fs.h>` (Linux 6.18); the libc crate does not define it yet.
const RWF_NOSIGNAL: libc::c_int = 0x0000_0100;

/// Whether this kernel takes `RWF_NOSIGNAL`: one of the constants below.
static NOSIGNAL: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = 0;
const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;

/// Whether the program promised that `SIGPIPE` stays ignored (`assume_sigpipe_ignored`).
static ASSUME_IGNORED: AtomicBool = AtomicBool::new(false);

/// Records or withdraws the program's promise that `SIGPIPE` stays ignored.
pub(crate) fn set_assume_ignored(assume: bool) {
    // Relaxed: one flag read on its own; the promise orders no other memory.
    ASSUME_IGNORED.store(assume, Ordering::Relaxed);
}

/// Whether the program's promise is in force.
pub(crate) fn assume_ignored() -> bool {
    // Relaxed: see `set_assume_ignored`.
    ASSUME_IGNORED.load(Ordering::Relaxed)
}

/// Set in the environment to `mask` to use the signal-mask guard even where `RWF_NOSIGNAL`
/// exists, so tests and benchmarks can exercise the path older kernels take.
pub(crate) const GUARD_ENV: &str = "IPC_PIPE_SIGPIPE_GUARD";

/// Whether writes use `RWF_NOSIGNAL` (probed once per process).
pub(crate) fn nosignal_supported() -> bool {
    // Relaxed: the flag is one word computed the same way by every thread; it orders nothing.
    match NOSIGNAL.load(Ordering::Relaxed) {
        SUPPORTED => true,
        UNSUPPORTED => false,
        _ => {
            let supported =
                std::env::var_os(GUARD_ENV).is_none_or(|v| v != "mask") && probe_nosignal();
            NOSIGNAL.store(
                if supported { SUPPORTED } else { UNSUPPORTED },
                Ordering::Relaxed,
            );
            supported
        }
    }
}

/// Writes one byte with `RWF_NOSIGNAL` into a private pipe: success means the kernel knows the
/// flag ("EOPNOTSUPP: An unknown flag is specified in flags").
fn probe_nosignal() -> bool {
    let Ok((_reader, writer)) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC) else {
        return false;
    };
    pwritev2(
        std::os::fd::AsFd::as_fd(&writer),
        &[IoSlice::new(&[0])],
        RWF_NOSIGNAL,
    ) == Ok(1)
}

/// Writes `bufs`, never raising `SIGPIPE`; with `nowait`, fails with `EAGAIN` instead of
/// blocking (a write of at most `PIPE_BUF` bytes stays all or nothing).
#[inline]
pub(crate) fn write(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    nowait: bool,
) -> rustix::io::Result<usize> {
    if !nowait && ASSUME_IGNORED.load(Ordering::Relaxed) {
        // The program promised SIGPIPE stays ignored: the kernel discards the signal when it is
        // generated ("A signal may be … ignored", signal(7)), so a plain write suffices.
        return match bufs {
            [buf] => rustix::io::write(fd, buf),
            _ => rustix::io::writev(fd, bufs),
        };
    }
    let nowait = if nowait { libc::RWF_NOWAIT } else { 0 };
    if nosignal_supported() {
        pwritev2(fd, bufs, RWF_NOSIGNAL | nowait)
    } else {
        sigpipe::with_sigpipe_blocked(|| pwritev2(fd, bufs, nowait))
    }
}

/// Reads into `buf` without blocking: `EAGAIN` when the pipe is empty and writers remain.
pub(crate) fn read_nowait(fd: BorrowedFd<'_>, buf: &mut [u8]) -> rustix::io::Result<usize> {
    let iov = [IoSliceMut::new(buf)];
    // SAFETY: `iov` is one iovec (IoSliceMut is ABI-compatible with iovec) over `buf`, which
    // is valid for writes of its length for the duration of the call.
    let n = unsafe {
        libc::preadv2(
            fd.as_raw_fd(),
            iov.as_ptr().cast(),
            1,
            CURRENT_OFFSET,
            libc::RWF_NOWAIT,
        )
    };
    result(n)
}

fn pwritev2(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    flags: libc::c_int,
) -> rustix::io::Result<usize> {
    let count = i32::try_from(bufs.len()).map_err(|_| Errno::INVAL)?;
    // SAFETY: `bufs` is `count` iovecs (IoSlice is ABI-compatible with iovec), each valid for
    // reads of its length for the duration of the call.
    let n = unsafe {
        libc::pwritev2(
            fd.as_raw_fd(),
            bufs.as_ptr().cast(),
            count,
            CURRENT_OFFSET,
            flags,
        )
    };
    result(n)
}

fn result(n: isize) -> rustix::io::Result<usize> {
    usize::try_from(n)
        .map_err(|_| Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO))
}
