//! The object an operation was applied to.

use std::fmt;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::path::Path;

/// The object an operation was applied to, as shown in an error.
///
/// # Examples
///
/// ```
/// use ipc_core::Object;
///
/// assert_eq!(Object::from("/jobs").to_string(), "/jobs");
/// assert_eq!(Object::Fd(7).to_string(), "fd 7");
/// assert_eq!(Object::Key(0x42).to_string(), "key 0x00000042");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// A POSIX object name or other textual identifier.
    Name(Box<str>),
    /// A filesystem path (a FIFO, a socket, a mapped file).
    Path(Box<Path>),
    /// A file descriptor.
    Fd(RawFd),
    /// A System V IPC key.
    Key(i32),
}

impl Object {
    /// The object for a borrowed descriptor.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    ///
    /// let stdin = std::io::stdin();
    /// assert_eq!(ipc_core::Object::fd(stdin.as_fd()).to_string(), "fd 0");
    /// ```
    pub fn fd(fd: BorrowedFd<'_>) -> Self {
        Self::Fd(fd.as_raw_fd())
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => f.write_str(name),
            Self::Path(path) => write!(f, "{}", path.display()),
            Self::Fd(fd) => write!(f, "fd {fd}"),
            Self::Key(key) => write!(f, "key {key:#010x}"),
        }
    }
}

impl From<&str> for Object {
    fn from(name: &str) -> Self {
        Self::Name(name.into())
    }
}

impl From<String> for Object {
    fn from(name: String) -> Self {
        Self::Name(name.into_boxed_str())
    }
}

impl From<&Path> for Object {
    fn from(path: &Path) -> Self {
        Self::Path(path.into())
    }
}

impl From<BorrowedFd<'_>> for Object {
    fn from(fd: BorrowedFd<'_>) -> Self {
        Self::fd(fd)
    }
}
