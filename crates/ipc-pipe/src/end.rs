//! What both ends of a pipe share: capacity, blocking mode, and the error vocabulary.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;

use ipc_core::{Error, ErrorKind, Limit, LimitScope, Object, Result};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// The system-wide ceiling for unprivileged pipe capacity.
pub(crate) const PIPE_MAX_SIZE: &str = "/proc/sys/fs/pipe-max-size";
/// The per-user hard ceiling, in pages, past which resizing is refused.
const PIPE_USER_PAGES_HARD: &str = "/proc/sys/fs/pipe-user-pages-hard";

/// The object of an error on a pipe end: its descriptor.
#[inline]
pub(crate) fn object(fd: BorrowedFd<'_>) -> Object {
    Object::Fd(fd.as_raw_fd())
}

/// `F_GETPIPE_SZ`: the pipe's capacity in bytes.
pub(crate) fn capacity(fd: BorrowedFd<'_>) -> Result<usize> {
    rustix::pipe::fcntl_getpipe_size(fd).map_err(|errno| {
        let err = Error::from_errno("pipe_capacity", object(fd), errno);
        if errno == Errno::BADF || errno == Errno::INVAL {
            err.with_detail("the descriptor is not a pipe")
        } else {
            err
        }
    })
}

/// `F_SETPIPE_SZ`: asks for at least `bytes` of capacity; returns what the kernel granted (a
/// power-of-two number of pages, never less than asked).
pub(crate) fn set_capacity(fd: BorrowedFd<'_>, bytes: usize) -> Result<usize> {
    rustix::pipe::fcntl_setpipe_size(fd, bytes).map_err(|errno| match errno {
        // fcntl(2): "EPERM: An attempt was made to increase the pipe capacity above the limit
        // specified by /proc/sys/fs/pipe-max-size" (or the per-user hard page limit).
        Errno::PERM => {
            let max = read_proc_number(PIPE_MAX_SIZE);
            let over_max = max.is_none_or(|max| bytes as u64 > max);
            let (knob, scope, current) = if over_max {
                (PIPE_MAX_SIZE, LimitScope::SystemWide, max)
            } else {
                (
                    PIPE_USER_PAGES_HARD,
                    LimitScope::PerUser,
                    read_proc_number(PIPE_USER_PAGES_HARD),
                )
            };
            let mut limit = Limit::new(knob, scope);
            if let Some(current) = current {
                limit = limit.with_current(current);
            }
            Error::from_errno_as(ErrorKind::LimitReached, "pipe_resize", object(fd), errno)
                .with_detail(format!("{bytes} bytes asked for"))
                .with_limit(limit)
        }
        // fcntl(2): "EBUSY: An attempt was made to decrease the pipe capacity below the amount
        // of space currently used to store data in the pipe."
        Errno::BUSY => {
            Error::from_errno_as(ErrorKind::InvalidArgument, "pipe_resize", object(fd), errno)
                .with_detail(format!(
                    "{bytes} bytes is less than the data the pipe holds now"
                ))
        }
        _ => Error::from_errno("pipe_resize", object(fd), errno)
            .with_detail(format!("{bytes} bytes asked for")),
    })
}

/// Sets or clears `O_NONBLOCK` on the open file description.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> Result<()> {
    let fail = |errno| Error::from_errno("fcntl_setfl", object(fd), errno);
    let flags = rustix::fs::fcntl_getfl(fd).map_err(fail)?;
    let flags = if nonblocking {
        flags | OFlags::NONBLOCK
    } else {
        flags & !OFlags::NONBLOCK
    };
    rustix::fs::fcntl_setfl(fd, flags).map_err(fail)
}

/// Whether `O_NONBLOCK` is set on the open file description.
pub(crate) fn is_nonblocking(fd: BorrowedFd<'_>) -> Result<bool> {
    rustix::fs::fcntl_getfl(fd)
        .map(|flags| flags.contains(OFlags::NONBLOCK))
        .map_err(|errno| Error::from_errno("fcntl_getfl", object(fd), errno))
}

/// Reads a number from a `/proc/sys` file, for limit errors.
pub(crate) fn read_proc_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// A second open file description of the same pipe, with `O_NONBLOCK`, private to one handle:
/// the non-blocking and bounded forms use it on descriptors that refuse `RWF_NOWAIT` (a FIFO's
/// ends, opened by path, do), so they never block and never change the blocking mode of the
/// description another process shares.
///
/// It is opened on first need through `/proc/self/fd/N` (which reaches the very pipe behind
/// `N`) and kept until the handle drops. It counts as one more reader or writer of the pipe
/// while it lives, alongside the handle's own descriptor, so end of input and `PeerGone` still
/// arrive exactly when every other process has closed its end.
#[derive(Debug, Default)]
pub(crate) struct NonBlockingTwin(OnceLock<OwnedFd>);

impl NonBlockingTwin {
    /// The twin, if it was opened before.
    #[inline]
    pub(crate) fn get(&self) -> Option<BorrowedFd<'_>> {
        self.0.get().map(OwnedFd::as_fd)
    }

    /// The twin of `fd`, opened now with `access` if it was not before.
    pub(crate) fn open(
        &self,
        fd: BorrowedFd<'_>,
        access: OFlags,
    ) -> rustix::io::Result<BorrowedFd<'_>> {
        if let Some(twin) = self.get() {
            return Ok(twin);
        }
        let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let twin = rustix::fs::open(
            link.as_str(),
            access | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        // A racing thread may have set it first; then ours is closed here and theirs is used.
        Ok(self.0.get_or_init(|| twin).as_fd())
    }
}
