//! The raw baseline's file locks: `flock(2)` and `fcntl(2)` open-file-description record locks.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls libc's flock and fcntl directly"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `flock(fd, operation)`, with `operation` one of `LOCK_EX`, `LOCK_SH`, `LOCK_UN` (maybe with
/// `LOCK_NB`).
///
/// # Errors
/// The `flock` error (`EWOULDBLOCK` for a conflicting `LOCK_NB` request, `EINTR`).
#[inline]
pub(crate) fn flock(fd: BorrowedFd<'_>, operation: libc::c_int) -> io::Result<()> {
    // SAFETY: flock only acts on the open descriptor `fd`; it touches no memory of ours.
    if unsafe { libc::flock(fd.as_raw_fd(), operation) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `fcntl(fd, command, &lock)` with an open-file-description record lock of type `l_type`
/// (`F_WRLCK`, `F_RDLCK`, `F_UNLCK`) on `len` bytes from `start` (0 = to the end of the file);
/// `command` is `F_OFD_SETLK` or `F_OFD_SETLKW`.
///
/// # Errors
/// The `fcntl` error (`EAGAIN` for a conflicting `F_OFD_SETLK`).
#[inline]
pub(crate) fn ofd_lock(
    fd: BorrowedFd<'_>,
    command: libc::c_int,
    l_type: libc::c_int,
    start: libc::off_t,
    len: libc::off_t,
) -> io::Result<()> {
    // "the l_pid field must be set to zero" for OFD locks (fcntl(2)).
    let mut lock = libc::flock {
        l_type: l_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: start,
        l_len: len,
        l_pid: 0,
    };
    // SAFETY: `lock` is a live `struct flock` for the duration of the call, as the F_OFD_SETLK
    // and F_OFD_SETLKW commands expect; fcntl only reads it for these commands.
    if unsafe { libc::fcntl(fd.as_raw_fd(), command, &raw mut lock) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
