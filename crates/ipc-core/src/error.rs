//! The one error type of the workspace.

use rustix::io::Errno;
use std::borrow::Cow;
use std::fmt;
use std::io;

use crate::errno::{default_kind, errno_name};
use crate::error_kind::ErrorKind;
use crate::limit::Limit;
use crate::object::Object;

mod conversion;

/// A specialised [`Result`](std::result::Result) whose error is [`Error`].
///
/// # Examples
///
/// ```
/// use ipc_core::{Error, ErrorKind, Result};
///
/// fn checked_len(len: usize) -> Result<usize> {
///     if len == 0 {
///         return Err(Error::new(ErrorKind::InvalidArgument, "checked_len"));
///     }
///     Ok(len)
/// }
/// assert_eq!(checked_len(3)?, 3);
/// assert_eq!(checked_len(0).unwrap_err().kind(), ErrorKind::InvalidArgument);
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
    transferred: Option<usize>,
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
                transferred: None,
                os: None,
            }),
        }
    }

    /// An error from an OS error number, with the kind chosen by the default table:
    ///
    /// | errno | kind | why |
    /// |---|---|---|
    /// | `ENOENT` | `NotFound` | |
    /// | `ENOTDIR` | `NotFound` | a component of the path is not a directory, so nothing can be found under it |
    /// | `EEXIST` | `AlreadyExists` | |
    /// | `EACCES`, `EPERM` | `PermissionDenied` | |
    /// | `EROFS` | `PermissionDenied` | a read-only filesystem refuses the change whoever asks |
    /// | `EAGAIN` | `WouldBlock` | |
    /// | `ETIMEDOUT` | `TimedOut` | |
    /// | `ENAMETOOLONG` | `InvalidName` | |
    /// | `EINVAL`, `EBADF`, `ERANGE` | `InvalidArgument` | |
    /// | `EMSGSIZE` | `MessageTooLarge` | |
    /// | `EPIPE`, `ECONNRESET`, `ENOTCONN`, `ENXIO` | `PeerGone` | |
    /// | `EMFILE`, `ENFILE` | `LimitReached` | with the [`Limit`] of [`Limit::for_descriptors`] |
    /// | `EISDIR` | `WrongObjectType` | a directory where an IPC object was expected |
    /// | `ENOSYS`, `EOPNOTSUPP` | `Unsupported` | |
    /// | `EOWNERDEAD`, `ENOTRECOVERABLE` | `CorruptSharedState` | a robust lock's owner died holding it: what it guarded may be half-written (`EOWNERDEAD`), or nobody repaired it and it is unusable (`ENOTRECOVERABLE`) |
    /// | anything else, `ENOSPC`, `ENOMEM` and `EDQUOT` among them | `Other` | which limit they hit depends on the call, and a limit error must name its knob |
    ///
    /// Call sites that know better use [`Error::from_errno_as`] (for `ENOSPC` from `mq_open`,
    /// say: `LimitReached` with `/proc/sys/fs/mqueue/queues_max`). A call whose `EMFILE` means
    /// another limit than `RLIMIT_NOFILE` replaces it with [`Error::with_limit`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// use rustix::io::Errno;
    ///
    /// assert_eq!(Error::from_errno("open", "/x", Errno::NOENT).kind(), ErrorKind::NotFound);
    /// assert_eq!(Error::from_errno("ftruncate", "/x", Errno::NOSPC).kind(), ErrorKind::Other);
    /// let err = Error::from_errno("pipe2", "pipe", Errno::MFILE);
    /// assert_eq!(err.kind(), ErrorKind::LimitReached);
    /// assert_eq!(err.limit().unwrap().knob(), "RLIMIT_NOFILE");
    /// ```
    pub fn from_errno(operation: &'static str, object: impl Into<Object>, errno: Errno) -> Self {
        Self::from_errno_as(default_kind(errno), operation, object, errno).with_default_limit(errno)
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
    /// Now that [`Error::from_errno`] attaches that limit itself, this is the same call; it
    /// stays because it says at the call site that descriptors are being made.
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
        Self::from_errno(operation, object, errno)
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
    ///      is 1048576; raise it there (sysctl fs.pipe-max-size)"
    /// );
    /// ```
    #[must_use]
    pub fn with_limit(mut self, limit: Limit) -> Self {
        self.inner.limit = Some(limit);
        self
    }

    /// Records that the failed call moved `bytes` bytes of data all the same: a receive that
    /// consumed them into the caller's buffer before the error was found (they are the
    /// buffer's first `bytes` bytes), or a send that had written them before it failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    ///
    /// let err = Error::new(ErrorKind::LimitReached, "recvmsg").with_transferred(1);
    /// assert_eq!(err.transferred(), Some(1));
    /// ```
    #[must_use]
    pub fn with_transferred(mut self, bytes: usize) -> Self {
        self.inner.transferred = Some(bytes);
        self
    }

    /// How many bytes of data the failed call moved all the same, when it moved any that the
    /// caller must not lose (see [`Error::with_transferred`]); `None` when it moved none or
    /// the operation does not say.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// assert_eq!(Error::new(ErrorKind::TimedOut, "read").transferred(), None);
    /// ```
    pub fn transferred(&self) -> Option<usize> {
        self.inner.transferred
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

    /// Attaches the limit the default table implies for `errno`: the descriptor limits for
    /// `EMFILE` and `ENFILE`, which are the only errors it maps to `LimitReached`.
    fn with_default_limit(self, errno: Errno) -> Self {
        match Limit::for_descriptors(errno) {
            Some(limit) if self.kind() == ErrorKind::LimitReached => self.with_limit(limit),
            _ => self,
        }
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
            write!(f, ": {limit}")?;
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
            .field("transferred", &inner.transferred)
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
            "mq_open /jobs: limit reached (EMFILE): per-user limit RLIMIT_MSGQUEUE is 819200; \
             raise it with setrlimit(RLIMIT_MSGQUEUE) or `ulimit -q`"
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
    fn unknown_errno_is_shown_by_number() {
        let sut = Error::from_errno("ioctl", Object::Fd(1), Errno::from_raw_os_error(4095));
        assert_eq!(sut.kind(), ErrorKind::Other);
        assert_eq!(sut.to_string(), "ioctl fd 1: error (os error 4095)");
    }

    #[test]
    fn every_limit_error_the_constructors_build_names_its_limit() {
        for code in 1..4096 {
            let errno = Errno::from_raw_os_error(code);
            let built = [
                Error::from_errno("op", "obj", errno),
                Error::from_errno_creating_fd("op", "obj", errno),
                Error::from_io("op", "obj", io::Error::from_raw_os_error(code)),
            ];
            for sut in built {
                if sut.kind() == ErrorKind::LimitReached {
                    assert!(sut.limit().is_some(), "{sut}");
                }
            }
        }
    }

    #[test]
    fn errors_that_name_no_knob_are_not_limit_errors() {
        for errno in [Errno::NOSPC, Errno::NOMEM, Errno::DQUOT] {
            let sut = Error::from_errno("op", "obj", errno);
            assert_eq!(sut.kind(), ErrorKind::Other, "{sut}");
            assert!(sut.limit().is_none());
        }
    }

    #[test]
    fn path_and_filesystem_errors_map_to_their_kinds() {
        for (errno, kind) in [
            (Errno::NOTDIR, ErrorKind::NotFound),
            (Errno::ROFS, ErrorKind::PermissionDenied),
            (Errno::ISDIR, ErrorKind::WrongObjectType),
        ] {
            assert_eq!(Error::from_errno("open", "/x", errno).kind(), kind);
        }
    }

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
