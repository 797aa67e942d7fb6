//! The bridge to `std::io`: an [`Error`] from an `io::Error`, and back with `?`.

use std::io;

use rustix::io::Errno;

use super::Error;
use crate::errno::default_kind;
use crate::error_kind::ErrorKind;
use crate::object::Object;

impl Error {
    /// An error from a `std::io::Error`, keeping its OS code (if any) and mapping its kind: an
    /// OS code goes through the table of [`Error::from_errno`], limit included; an error
    /// without one maps its [`io::ErrorKind`] to the closest [`ErrorKind`].
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
        let errno = error.raw_os_error().map(Errno::from_raw_os_error);
        let kind = match errno {
            Some(errno) => default_kind(errno),
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
        match errno {
            Some(errno) => err.with_default_limit(errno),
            None => err,
        }
    }

    /// The OS error number of `error`, whether it came straight from the OS or is an [`Error`]
    /// converted with `?` (whose own [`io::Error::raw_os_error`] is `None`, see
    /// `From<Error> for io::Error`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::Error;
    ///
    /// let converted: std::io::Error = Error::from_errno("write", "fd 3", rustix::io::Errno::PIPE).into();
    /// assert_eq!(converted.raw_os_error(), None);
    /// assert_eq!(Error::raw_os_error_of(&converted), Some(libc::EPIPE));
    ///
    /// let plain = std::io::Error::from_raw_os_error(libc::EAGAIN);
    /// assert_eq!(Error::raw_os_error_of(&plain), Some(libc::EAGAIN));
    /// ```
    pub fn raw_os_error_of(error: &io::Error) -> Option<i32> {
        error.raw_os_error().or_else(|| {
            error
                .get_ref()?
                .downcast_ref::<Self>()
                .and_then(Self::raw_os_error)
        })
    }
}

/// Keeps the kind (mapped to the closest [`io::ErrorKind`]; [`ErrorKind::WouldBlock`] to
/// [`io::ErrorKind::WouldBlock`] exactly) and the whole [`Error`] as the payload.
///
/// The result is a custom `io::Error`, so its own `raw_os_error()` is `None`. The OS code is
/// reached through the payload: [`Error::raw_os_error_of`] does it in one call (and also
/// answers for an `io::Error` that came straight from the OS); by hand,
/// `io.get_ref()` downcast to [`Error`] gives [`Error::raw_os_error`], and `io.source()`
/// (which `io::Error` forwards to the payload's `source()`) is the OS `io::Error` itself.
///
/// # Examples
///
/// ```
/// use std::error::Error as _;
/// use ipc_core::Error;
///
/// let io: std::io::Error = Error::from_errno("read", "fd 3", rustix::io::Errno::AGAIN).into();
/// assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
/// assert_eq!(io.raw_os_error(), None);
/// assert_eq!(Error::raw_os_error_of(&io), Some(libc::EAGAIN));
/// let ours = io.get_ref().and_then(|e| e.downcast_ref::<Error>()).unwrap();
/// assert_eq!(ours.raw_os_error(), Some(libc::EAGAIN));
/// let os = io.source().and_then(|e| e.downcast_ref::<std::io::Error>()).unwrap();
/// assert_eq!(os.raw_os_error(), Some(libc::EAGAIN));
/// ```
impl From<Error> for io::Error {
    fn from(err: Error) -> Self {
        io::Error::new(err.kind().to_io(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

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
    fn descriptor_limits_are_attached_from_an_io_error_too() {
        let sut = Error::from_io(
            "accept",
            Object::Fd(3),
            io::Error::from_raw_os_error(libc::ENFILE),
        );
        assert_eq!(sut.kind(), ErrorKind::LimitReached);
        assert_eq!(sut.limit().unwrap().knob(), "/proc/sys/fs/file-max");
    }

    #[test]
    fn the_os_code_of_a_converted_error_is_reached_through_the_helper_and_source() {
        let io: io::Error = Error::from_errno("write", Object::Fd(3), Errno::PIPE).into();
        assert_eq!(io.raw_os_error(), None);
        assert_eq!(Error::raw_os_error_of(&io), Some(libc::EPIPE));
        let source = io.source().and_then(|e| e.downcast_ref::<io::Error>());
        assert_eq!(source.and_then(io::Error::raw_os_error), Some(libc::EPIPE));
        let other = io::Error::other("no code");
        assert_eq!(Error::raw_os_error_of(&other), None);
    }
}
