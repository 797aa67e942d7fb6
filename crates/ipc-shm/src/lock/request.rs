//! One record-lock request: the `struct flock` fields for a range, and setting a lock with an
//! owner's commands as a [`Wait`] says.

use std::os::fd::BorrowedFd;

use ipc_core::{Error, ErrorKind, Object, Result, Wait};

use super::errors::{Call, lock_error};
use super::mode::LockMode;
use super::range::ByteRange;
use super::wait::acquire;
use crate::sys::lock::{self as sys, RawRecord};

/// Sets a `mode` lock on `range` of `fd` as `wait` says, with the owner's non-blocking and
/// blocking commands.
pub(crate) fn set(
    fd: BorrowedFd<'_>,
    range: ByteRange,
    mode: LockMode,
    wait: Wait,
    (try_command, try_operation): (libc::c_int, &'static str),
    (wait_command, wait_operation): (libc::c_int, &'static str),
) -> Result<()> {
    let request = raw(fd, try_operation, range, mode.fcntl_type())?;
    let operation = if wait == Wait::Forever {
        wait_operation
    } else {
        try_operation
    };
    acquire(wait, |block| {
        let command = if block { wait_command } else { try_command };
        sys::fcntl_record(fd, command, request).map(drop)
    })
    .map_err(|errno| lock_error(Call::Record, operation, Object::fd(fd), errno))
}

/// The request for `kind` (`F_RDLCK`, `F_WRLCK`, `F_UNLCK`) on `range`, with `l_pid` 0 as
/// `F_OFD_*` demands: "When placing an OFD lock, l_pid must be set to zero" (fcntl(2)).
pub(crate) fn raw(
    fd: BorrowedFd<'_>,
    operation: &'static str,
    range: ByteRange,
    kind: libc::c_int,
) -> Result<RawRecord> {
    let (start, len) = range.to_off_t().ok_or_else(|| {
        Error::new(ErrorKind::InvalidArgument, operation)
            .with_object(Object::fd(fd))
            .with_detail(format!(
                "{range} ends past the largest file offset, i64::MAX"
            ))
    })?;
    Ok(RawRecord {
        kind,
        start,
        len,
        pid: 0,
    })
}
