//! `vmsplice(2)` from memory into a pipe.
#![allow(
    unsafe_code,
    reason = "rustix's vmsplice is unsafe because it can also write to memory"
)]

use std::io::IoSlice;
use std::os::fd::BorrowedFd;

use rustix::pipe::IoSliceRaw;
use rustix::pipe::SpliceFlags;

/// Maps the pages of `bufs` into the pipe behind the write end `fd` (no `SPLICE_F_GIFT`).
pub(crate) fn to_pipe(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    flags: SpliceFlags,
) -> rustix::io::Result<usize> {
    let raw: Vec<IoSliceRaw<'_>> = bufs.iter().map(|b| IoSliceRaw::from_slice(b)).collect();
    // `vmsplice(2)` picks the direction from the descriptor: "if the file is opened for
    // writing, data is moved into the pipe". A descriptor without write access would instead
    // copy pipe data into `bufs`, which are shared slices, so it is refused here.
    let access = rustix::fs::fcntl_getfl(fd)? & rustix::fs::OFlags::RWMODE;
    if access == rustix::fs::OFlags::RDONLY {
        return Err(rustix::io::Errno::BADF);
    }
    // SAFETY: rustix's contract: when the memory must not be mutated, `fd` must be a write end;
    // the check above established that `fd` is open for writing, so the kernel only reads from
    // `bufs`. GIFT is never passed, so no page alignment or hand-over obligation arises.
    unsafe { rustix::pipe::vmsplice(fd, &raw, flags & !SpliceFlags::GIFT) }
}
