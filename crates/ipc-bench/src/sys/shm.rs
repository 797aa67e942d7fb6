//! The raw baseline's POSIX shared memory objects: `shm_open`, `ftruncate` and `shm_unlink`
//! called as a C program would.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls libc's shm_open, ftruncate and shm_unlink directly"
)]

use std::ffi::CStr;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// Creates the shared memory object `name` (which must not exist) with mode `0o600` and sizes it
/// to `len` bytes: `shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600)` and
/// `ftruncate`. glibc's `shm_open` adds `O_NOFOLLOW` itself.
///
/// # Errors
/// The `shm_open` or `ftruncate` error (`EEXIST` when `name` exists).
pub(crate) fn shm_create(name: &CStr, len: usize) -> io::Result<OwnedFd> {
    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC;
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let fd = unsafe { libc::shm_open(name.as_ptr(), flags, 0o600) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `shm_open` just returned `fd`, open and owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let len = libc::off_t::try_from(len).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `fd` is an open descriptor of the object just created; ftruncate touches no memory
    // of this process.
    if unsafe { libc::ftruncate(std::os::fd::AsRawFd::as_raw_fd(&fd), len) } < 0 {
        let err = io::Error::last_os_error();
        let _ = shm_unlink(name);
        return Err(err);
    }
    Ok(fd)
}

/// Opens the existing shared memory object `name` read-write:
/// `shm_open(name, O_RDWR | O_CLOEXEC, 0)`.
///
/// # Errors
/// The `shm_open` error (`ENOENT` when `name` does not exist).
pub(crate) fn shm_open(name: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let fd = unsafe { libc::shm_open(name.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `shm_open` just returned `fd`, open and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Removes the name `name`: `shm_unlink(name)`.
///
/// # Errors
/// The `shm_unlink` error.
pub(crate) fn shm_unlink(name: &CStr) -> io::Result<()> {
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    if unsafe { libc::shm_unlink(name.as_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
