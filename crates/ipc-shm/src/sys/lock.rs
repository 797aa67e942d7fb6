//! `flock` and the `fcntl` record-lock commands, wrapped once.
#![allow(
    unsafe_code,
    reason = "fcntl's lock commands take a pointer to a struct flock, which only libc offers"
)]

use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::fs::FlockOperation;
use rustix::io::Errno;

/// `flock(fd, operation)`.
pub(crate) fn flock(fd: BorrowedFd<'_>, operation: FlockOperation) -> Result<(), Errno> {
    rustix::fs::flock(fd, operation)
}

/// A record-lock request or answer, in the kernel's terms: `l_type`, `l_start`, `l_len` and
/// `l_pid`, always relative to the start of the file (`SEEK_SET`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawRecord {
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub(crate) kind: libc::c_int,
    pub(crate) start: libc::off_t,
    /// Zero: to the end of the file and beyond.
    pub(crate) len: libc::off_t,
    /// Zero in requests (as `F_OFD_*` demands); the holder's pid, or -1, in `F_*GETLK` answers.
    pub(crate) pid: libc::pid_t,
}

/// `fcntl(fd, command, &flock)` for one of the commands that take a `struct flock`
/// (`F_SETLK`, `F_SETLKW`, `F_GETLK` and their `F_OFD_` forms). Returns what the kernel left in
/// the struct, which only `F_*GETLK` changes.
pub(crate) fn fcntl_record(
    fd: BorrowedFd<'_>,
    command: libc::c_int,
    record: RawRecord,
) -> Result<RawRecord, Errno> {
    // SAFETY: `struct flock` is plain integers (and padding on some targets), for which all
    // zeroes is a valid value.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    // The lock types are 0..=2 on every Linux target, so they fit a short.
    lock.l_type = libc::c_short::try_from(record.kind).map_err(|_| Errno::INVAL)?;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = record.start;
    lock.l_len = record.len;
    lock.l_pid = record.pid;
    // SAFETY: `fd` is a live descriptor (a `BorrowedFd`), and `lock` is a valid, initialised
    // `struct flock` that outlives the call; the commands this is called with read it and, for
    // `F_*GETLK`, write it, and do nothing else with the pointer.
    let result = unsafe { libc::fcntl(fd.as_raw_fd(), command, &raw mut lock) };
    if result == -1 {
        return Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO));
    }
    Ok(RawRecord {
        kind: libc::c_int::from(lock.l_type),
        start: lock.l_start,
        len: lock.l_len,
        pid: lock.l_pid,
    })
}
