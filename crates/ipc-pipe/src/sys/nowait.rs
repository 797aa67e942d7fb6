//! Reads and writes that never block, on a descriptor that stays in blocking mode.
//!
//! `preadv2(2)` and `pwritev2(2)` with `RWF_NOWAIT` and an offset of -1 ("the current file
//! offset is used and updated", which for a pipe means the stream) fail with `EAGAIN` instead
//! of blocking, without setting `O_NONBLOCK` on the open file description another process may
//! share. Pipes accept the flag; for a descriptor that does not, the call fails with
//! `EOPNOTSUPP` and the caller falls back to `poll`.
#![allow(
    unsafe_code,
    reason = "rustix's preadv2 takes an unsigned offset and cannot pass -1"
)]

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::io::Errno;

/// "If the offset argument is -1, then the current file offset is used and updated."
const CURRENT_OFFSET: libc::off_t = -1;

/// Reads into `buf` without blocking: `EAGAIN` when the pipe is empty and writers remain.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> rustix::io::Result<usize> {
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

/// Writes `bufs` without blocking: `EAGAIN` when the pipe has no room. A write of at most
/// `PIPE_BUF` bytes is still all or nothing.
pub(crate) fn write(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> rustix::io::Result<usize> {
    let count = i32::try_from(bufs.len()).map_err(|_| Errno::INVAL)?;
    // SAFETY: `bufs` is `count` iovecs (IoSlice is ABI-compatible with iovec), each valid for
    // reads of its length for the duration of the call.
    let n = unsafe {
        libc::pwritev2(
            fd.as_raw_fd(),
            bufs.as_ptr().cast(),
            count,
            CURRENT_OFFSET,
            libc::RWF_NOWAIT,
        )
    };
    result(n)
}

fn result(n: isize) -> rustix::io::Result<usize> {
    usize::try_from(n)
        .map_err(|_| Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO))
}
