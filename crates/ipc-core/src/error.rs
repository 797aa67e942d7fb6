//! The one error type of the workspace.

use rustix::io::Errno;
use std::borrow::Cow;
use std::fmt;
use std::io;

use crate::errno::errno_name;
use crate::limit::Limit;
use crate::object::Object;

/// A specialised [`Result`](std::result::Result) whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in the terms a caller matches on.
///
/// The kind is chosen deliberately at each call site from the OS error (see
/// [`Error::from_errno`] for the default table); the OS error itself stays available as
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
    /// The named object does not exist (`ENOENT`).
    NotFound,
    /// The object exists and exclusive creation was asked for (`EEXIST`).
    AlreadyExists,
    /// The caller may not do this to the object (`EACCES`, `EPERM`), or the object was refused
    /// for safety (a symbolic link where an object was expected, a foreign owner).
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
    /// A system limit was reached; [`Error::limit`] names the knob that raises it.
    LimitReached,
    /// Memory shared with another process failed validation.
    CorruptSharedState,
    /// The kernel or the object does not support the operation (`ENOSYS`, `EOPNOTSUPP`).
    Unsupported,
    /// The object exists but is of the wrong type (a regular file where a FIFO was expected).
    WrongObjectType,
    /// Anything else; the OS error (if any) says more.
    Other,
}

impl ErrorKind {
    /// The lower-case phrase used in [`Error`]'s `Display`.
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
    fn to_io(self) -> io::ErrorKind {
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

/// The error of every fallible call in the workspace.
///
/// It carries the [`ErrorKind`], the operation (`"mq_open"`), the object when there is one, an
/// optional detail sentence, the [`Limit`] for limit errors, and the OS error as
/// [`source`](std::error::Error::source). `Display` reads like
/// `mq_open /jobs: permission denied (EACCES)`.
///
/// # Examples
///
/// ```
/// use ipc_core::{Error, ErrorKind};
/// use rustix::io::Errno;
///
/// let err = Error::from_errno("mq_open", "/jobs", Errno::ACCESS);
/// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
/// assert_eq!(err.to_string(), "mq_open /jobs: permission denied (EACCES)");
/// assert_eq!(err.raw_os_error(), Some(libc::EACCES));
///
/// // `?` works in io code, and the kind survives.
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: &'static str,
    object: Option<Object>,
    detail: Option<Cow<'static, str>>,
    limit: Option<Limit>,
    os: Option<io::Error>,
}

impl Error {
    /// An error of `kind` raised by `operation`, with no OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    ///
    /// let err = Error::new(ErrorKind::MessageTooLarge, "pipe_write_atomic")
    ///     .with_object("fd 4")
    ///     .with_detail("5000 bytes exceed PIPE_BUF (4096)");
    /// assert_eq!(
    ///     err.to_string(),
    ///     "pipe_write_atomic fd 4: message too large: 5000 bytes exceed PIPE_BUF (4096)"
    /// );
    /// ```
    pub fn new(kind: ErrorKind, operation: &'static str) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                object: None,
                detail: None,
                limit: None,
                os: None,
            }),
        }
    }

    /// An error from an OS error number, with the kind chosen by the default table:
    ///
    /// | errno | kind |
    /// |---|---|
    /// | `ENOENT` | `NotFound` |
    /// | `EEXIST` | `AlreadyExists` |
    /// | `EACCES`, `EPERM` | `PermissionDenied` |
    /// | `EAGAIN` | `WouldBlock` |
    /// | `ETIMEDOUT` | `TimedOut` |
    /// | `ENAMETOOLONG` | `InvalidName` |
    /// | `EINVAL`, `EBADF`, `ERANGE` | `InvalidArgument` |
    /// | `EMSGSIZE` | `MessageTooLarge` |
    /// | `EPIPE`, `ECONNRESET`, `ENOTCONN`, `ENXIO` | `PeerGone` |
    /// | `EMFILE`, `ENFILE`, `ENOSPC`, `ENOMEM`, `EDQUOT` | `LimitReached` |
    /// | `ENOSYS`, `EOPNOTSUPP` | `Unsupported` |
    /// | anything else | `Other` |
    ///
    /// Call sites that know better use [`Error::from_errno_as`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// use rustix::io::Errno;
    ///
    /// assert_eq!(Error::from_errno("open", "/x", Errno::NOENT).kind(), ErrorKind::NotFound);
    /// ```
    pub fn from_errno(operation: &'static str, object: impl Into<Object>, errno: Errno) -> Self {
        Self::from_errno_as(kind_of(errno), operation, object, errno)
    }

    /// An error from an OS error number with a kind chosen by the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// use rustix::io::Errno;
    ///
    /// let err = Error::from_errno_as(ErrorKind::PermissionDenied, "open", "/tmp/f", Errno::LOOP);
    /// assert_eq!(err.to_string(), "open /tmp/f: permission denied (ELOOP)");
    /// ```
    pub fn from_errno_as(
        kind: ErrorKind,
        operation: &'static str,
        object: impl Into<Object>,
        errno: Errno,
    ) -> Self {
        let mut err = Self::new(kind, operation).with_object(object);
        err.inner.os = Some(io::Error::from_raw_os_error(errno.raw_os_error()));
        err
    }

    /// [`Error::from_errno`] for a call that creates descriptors: `EMFILE` and `ENFILE` carry
    /// the [`Limit`] of [`Limit::for_descriptors`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// use rustix::io::Errno;
    ///
    /// let err = Error::from_errno_creating_fd("pipe2", "pipe", Errno::MFILE);
    /// assert_eq!(err.kind(), ErrorKind::LimitReached);
    /// assert_eq!(err.limit().unwrap().knob(), "RLIMIT_NOFILE");
    /// ```
    pub fn from_errno_creating_fd(
        operation: &'static str,
        object: impl Into<Object>,
        errno: Errno,
    ) -> Self {
        let err = Self::from_errno(operation, object, errno);
        match Limit::for_descriptors(errno) {
            Some(limit) => err.with_limit(limit),
            None => err,
        }
    }

    /// An error from a `std::io::Error`, keeping its OS code (if any) and mapping its kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    ///
    /// let io = std::io::Error::from_raw_os_error(libc::EPIPE);
    /// let err = Error::from_io("write", "fd 3", io);
    /// assert_eq!(err.kind(), ErrorKind::PeerGone);
    /// assert_eq!(err.raw_os_error(), Some(libc::EPIPE));
    /// ```
    pub fn from_io(operation: &'static str, object: impl Into<Object>, error: io::Error) -> Self {
        let kind = match error.raw_os_error() {
            Some(code) => kind_of(Errno::from_raw_os_error(code)),
            None => match error.kind() {
                io::ErrorKind::NotFound => ErrorKind::NotFound,
                io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
                io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
                io::ErrorKind::WouldBlock => ErrorKind::WouldBlock,
                io::ErrorKind::TimedOut => ErrorKind::TimedOut,
                io::ErrorKind::InvalidInput => ErrorKind::InvalidArgument,
                io::ErrorKind::BrokenPipe => ErrorKind::PeerGone,
                io::ErrorKind::UnexpectedEof => ErrorKind::UnexpectedEof,
                io::ErrorKind::Unsupported => ErrorKind::Unsupported,
                _ => ErrorKind::Other,
            },
        };
        let mut err = Self::new(kind, operation).with_object(object);
        err.inner.os = Some(error);
        err
    }

    /// An error from the calling thread's `errno`, for the `libc` calls that report through it.
    ///
    /// # Examples
    ///
    /// ```
    /// // A failed open leaves ENOENT in errno.
    /// assert!(std::fs::File::open("/nonexistent/ipc-core-doc").is_err());
    /// let err = ipc_core::Error::last_os_error("open", "/nonexistent/ipc-core-doc");
    /// assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
    /// ```
    pub fn last_os_error(operation: &'static str, object: impl Into<Object>) -> Self {
        Self::from_errno(
            operation,
            object,
            Errno::from_io_error(&io::Error::last_os_error()).unwrap_or(Errno::IO),
        )
    }

    /// Names the object the operation was applied to.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::NotFound, "shm_open").with_object("/cache");
    /// assert_eq!(err.object().map(|o| o.to_string()).as_deref(), Some("/cache"));
    /// ```
    #[must_use]
    pub fn with_object(mut self, object: impl Into<Object>) -> Self {
        self.inner.object = Some(object.into());
        self
    }

    /// Adds a sentence that says more than the kind (what was expected, what was found).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::WrongObjectType, "fifo_open").with_detail("is a regular file, not a FIFO");
    /// assert_eq!(err.detail(), Some("is a regular file, not a FIFO"));
    /// ```
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.inner.detail = Some(detail.into());
        self
    }

    /// Attaches the limit that was reached.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind, Limit, LimitScope};
    /// use rustix::io::Errno;
    ///
    /// let err = Error::from_errno_as(ErrorKind::LimitReached, "pipe_resize", ipc_core::Object::Fd(4), Errno::PERM)
    ///     .with_limit(Limit::new("/proc/sys/fs/pipe-max-size", LimitScope::SystemWide).with_current(1048576));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "pipe_resize fd 4: limit reached (EPERM): system-wide limit /proc/sys/fs/pipe-max-size \
    ///      is 1048576; raise it there"
    /// );
    /// ```
    #[must_use]
    pub fn with_limit(mut self, limit: Limit) -> Self {
        self.inner.limit = Some(limit);
        self
    }

    /// What went wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert_eq!(Error::new(ErrorKind::TimedOut, "read").kind(), ErrorKind::TimedOut);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operation that failed, as a C name or a short Rust name (`"mkfifo"`, `"frame_read"`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert_eq!(Error::new(ErrorKind::TimedOut, "read").operation(), "read");
    /// ```
    pub fn operation(&self) -> &'static str {
        self.inner.operation
    }

    /// The object the operation was applied to, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert!(Error::new(ErrorKind::TimedOut, "read").object().is_none());
    /// ```
    pub fn object(&self) -> Option<&Object> {
        self.inner.object.as_ref()
    }

    /// The detail sentence, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert!(Error::new(ErrorKind::TimedOut, "read").detail().is_none());
    /// ```
    pub fn detail(&self) -> Option<&str> {
        self.inner.detail.as_deref()
    }

    /// The limit that was reached, for [`ErrorKind::LimitReached`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert!(Error::new(ErrorKind::LimitReached, "pipe").limit().is_none());
    /// ```
    pub fn limit(&self) -> Option<&Limit> {
        self.inner.limit.as_ref()
    }

    /// The OS error number, if the error came from the OS.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::Error;
    /// let err = Error::from_errno("read", "fd 3", rustix::io::Errno::AGAIN);
    /// assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        self.inner.os.as_ref().and_then(io::Error::raw_os_error)
    }

    /// Whether this is a [`ErrorKind::WouldBlock`] error: the `try_` forms' "not now".
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert!(Error::new(ErrorKind::WouldBlock, "read").is_would_block());
    /// ```
    pub fn is_would_block(&self) -> bool {
        self.inner.kind == ErrorKind::WouldBlock
    }
}

/// The default errno-to-kind table documented on [`Error::from_errno`].
fn kind_of(errno: Errno) -> ErrorKind {
    match errno {
        Errno::NOENT => ErrorKind::NotFound,
        Errno::EXIST => ErrorKind::AlreadyExists,
        Errno::ACCESS | Errno::PERM => ErrorKind::PermissionDenied,
        Errno::AGAIN => ErrorKind::WouldBlock,
        Errno::TIMEDOUT => ErrorKind::TimedOut,
        Errno::NAMETOOLONG => ErrorKind::InvalidName,
        Errno::INVAL | Errno::BADF | Errno::RANGE => ErrorKind::InvalidArgument,
        Errno::MSGSIZE => ErrorKind::MessageTooLarge,
        Errno::PIPE | Errno::CONNRESET | Errno::NOTCONN | Errno::NXIO => ErrorKind::PeerGone,
        Errno::MFILE | Errno::NFILE | Errno::NOSPC | Errno::NOMEM | Errno::DQUOT => {
            ErrorKind::LimitReached
        }
        Errno::NOSYS | Errno::OPNOTSUPP => ErrorKind::Unsupported,
        _ => ErrorKind::Other,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.write_str(inner.operation)?;
        if let Some(object) = &inner.object {
            write!(f, " {object}")?;
        }
        write!(f, ": {}", inner.kind)?;
        if let Some(code) = self.raw_os_error() {
            match errno_name(code) {
                Some(name) => write!(f, " ({name})")?,
                None => write!(f, " (os error {code})")?,
            }
        }
        if let Some(detail) = &inner.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(limit) = &inner.limit {
            write!(f, ": {} limit {}", limit.scope(), limit.knob())?;
            if let Some(current) = limit.current() {
                write!(f, " is {current}")?;
            }
            f.write_str("; raise it there")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Error")
            .field("kind", &inner.kind)
            .field("operation", &inner.operation)
            .field("object", &inner.object)
            .field("detail", &inner.detail)
            .field("limit", &inner.limit)
            .field("os", &inner.os)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .os
            .as_ref()
            .map(|os| os as &(dyn std::error::Error + 'static))
    }
}

/// Keeps the kind (mapped to the closest [`io::ErrorKind`]) and the whole error as the payload,
/// so the OS code stays reachable: through `get_ref()` and [`Error::raw_os_error`], or through
/// `source()`, whose `io::Error` has `raw_os_error()`.
impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        io::Error::new(err.kind().to_io(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LimitScope;
    use std::error::Error as _;

    #[test]
    fn display_names_operation_object_kind_and_errno() {
        let sut = Error::from_errno("mq_open", "/jobs", Errno::ACCESS);
        assert_eq!(sut.to_string(), "mq_open /jobs: permission denied (EACCES)");
    }

    #[test]
    fn limit_error_names_the_knob_and_its_value() {
        let sut = Error::from_errno("mq_open", "/jobs", Errno::MFILE)
            .with_limit(Limit::new("RLIMIT_MSGQUEUE", LimitScope::PerUser).with_current(819200));
        assert_eq!(sut.kind(), ErrorKind::LimitReached);
        assert_eq!(
            sut.to_string(),
            "mq_open /jobs: limit reached (EMFILE): per-user limit RLIMIT_MSGQUEUE is 819200; raise it there"
        );
    }

    #[test]
    fn source_is_the_os_error() {
        let sut = Error::from_errno("write", Object::Fd(3), Errno::PIPE);
        let source = sut.source().expect("an OS error has a source");
        let io = source
            .downcast_ref::<io::Error>()
            .expect("the source is an io::Error");
        assert_eq!(io.raw_os_error(), Some(libc::EPIPE));
    }

    #[test]
    fn conversion_to_io_keeps_kind_and_os_code() {
        let sut = Error::from_errno("read", Object::Fd(3), Errno::AGAIN);
        let io: io::Error = sut.into();
        assert_eq!(io.kind(), io::ErrorKind::WouldBlock);
        let inner = io
            .get_ref()
            .and_then(|e| e.downcast_ref::<Error>())
            .expect("payload kept");
        assert_eq!(inner.raw_os_error(), Some(libc::EAGAIN));
    }

    #[test]
    fn unknown_errno_is_shown_by_number() {
        let sut = Error::from_errno("ioctl", Object::Fd(1), Errno::from_raw_os_error(4095));
        assert_eq!(sut.kind(), ErrorKind::Other);
        assert_eq!(sut.to_string(), "ioctl fd 1: error (os error 4095)");
    }

    #[test]
    fn io_error_without_os_code_maps_its_kind() {
        let sut = Error::from_io(
            "read_exact",
            Object::Fd(5),
            io::ErrorKind::UnexpectedEof.into(),
        );
        assert_eq!(sut.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(sut.raw_os_error(), None);
    }

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
