//! The kinds of error a caller matches on.

use std::fmt;
use std::io;

/// What went wrong, in the terms a caller matches on.
///
/// The kind is chosen deliberately at each call site from the OS error (see
/// [`Error::from_errno`](crate::Error::from_errno) for the default table); the OS error itself stays available as
/// [`std::error::Error::source`].
///
/// # Examples
///
/// ```
/// use ipc_core::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::InvalidArgument, "pipe_resize");
/// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The named object does not exist (`ENOENT`, or `ENOTDIR`: a component of its path is
    /// not a directory).
    NotFound,
    /// The object exists and exclusive creation was asked for (`EEXIST`).
    AlreadyExists,
    /// The caller may not do this to the object (`EACCES`, `EPERM`, `EROFS`), or the object was
    /// refused for safety (a symbolic link where an object was expected, a foreign owner).
    PermissionDenied,
    /// A non-blocking operation could not proceed now (`EAGAIN`). Converts to
    /// [`io::ErrorKind::WouldBlock`] exactly, which async readiness wrappers rely on.
    WouldBlock,
    /// A bounded operation ran out of time.
    TimedOut,
    /// An object name or path is malformed.
    InvalidName,
    /// An argument is out of range or does not fit the object.
    InvalidArgument,
    /// A message does not fit: larger than the atomic or configured maximum, or larger than the
    /// receiver's buffer. Nothing was sent or received.
    MessageTooLarge,
    /// The other side is gone: no reader for a write (`EPIPE`), no peer for an open (`ENXIO`).
    PeerGone,
    /// The input ended in the middle of a unit that must arrive whole (a frame, a record).
    UnexpectedEof,
    /// A system limit was reached; [`Error::limit`](crate::Error::limit) names the knob that raises it.
    ///
    /// Every error of this kind that `ipc-core`'s constructors build carries a [`Limit`](crate::Limit)
    /// (`EMFILE` and `ENFILE` get [`Limit::for_descriptors`](crate::Limit::for_descriptors)); a call site that chooses this
    /// kind itself with [`Error::from_errno_as`](crate::Error::from_errno_as) or [`Error::new`](crate::Error::new) attaches one with
    /// [`Error::with_limit`](crate::Error::with_limit). Errors that may or may not be a limit (`ENOSPC`, `ENOMEM`,
    /// `EDQUOT`) are [`ErrorKind::Other`] unless the call site knows the knob.
    LimitReached,
    /// Memory shared with another process failed validation.
    CorruptSharedState,
    /// The kernel or the object does not support the operation (`ENOSYS`, `EOPNOTSUPP`).
    Unsupported,
    /// The object exists but is of the wrong type (a regular file where a FIFO was expected, or
    /// a directory: `EISDIR`).
    WrongObjectType,
    /// Anything else; the OS error (if any) says more.
    Other,
}

impl ErrorKind {
    /// The lower-case phrase used in [`Error`](crate::Error)'s `Display`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::ErrorKind::PeerGone.as_str(), "peer gone");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::AlreadyExists => "already exists",
            Self::PermissionDenied => "permission denied",
            Self::WouldBlock => "would block",
            Self::TimedOut => "timed out",
            Self::InvalidName => "invalid name",
            Self::InvalidArgument => "invalid argument",
            Self::MessageTooLarge => "message too large",
            Self::PeerGone => "peer gone",
            Self::UnexpectedEof => "unexpected end of input",
            Self::LimitReached => "limit reached",
            Self::CorruptSharedState => "corrupt shared state",
            Self::Unsupported => "unsupported",
            Self::WrongObjectType => "wrong object type",
            Self::Other => "error",
        }
    }

    /// The closest [`io::ErrorKind`], used by `From<Error> for io::Error`.
    pub(crate) fn to_io(self) -> io::ErrorKind {
        match self {
            Self::NotFound => io::ErrorKind::NotFound,
            Self::AlreadyExists => io::ErrorKind::AlreadyExists,
            Self::PermissionDenied => io::ErrorKind::PermissionDenied,
            Self::WouldBlock => io::ErrorKind::WouldBlock,
            Self::TimedOut => io::ErrorKind::TimedOut,
            Self::InvalidName | Self::InvalidArgument | Self::MessageTooLarge => {
                io::ErrorKind::InvalidInput
            }
            Self::PeerGone => io::ErrorKind::BrokenPipe,
            Self::UnexpectedEof => io::ErrorKind::UnexpectedEof,
            Self::CorruptSharedState => io::ErrorKind::InvalidData,
            Self::Unsupported => io::ErrorKind::Unsupported,
            Self::LimitReached | Self::WrongObjectType | Self::Other => io::ErrorKind::Other,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
