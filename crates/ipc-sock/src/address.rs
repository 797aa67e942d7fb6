//! The address of a Unix domain socket: a filesystem path or a name in the abstract namespace.

use std::fmt;
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, Object, Result, check_abstract_socket_name, check_socket_path};
use rustix::net::{SocketAddrAny, SocketAddrUnix};

/// The address of a Unix domain socket, validated so that it reaches the kernel whole.
///
/// - A [`path`](Self::path) in the filesystem: non-empty, no NUL, and short enough for
///   `sun_path` with its terminating NUL (at most 107 bytes). A longer path is refused with
///   [`ErrorKind::InvalidName`]; it is never truncated, as a C program that `strcpy`s into
///   `sun_path` would do, or worse, overflow.
/// - A name in Linux's [`abstract`](Self::abstract_name) namespace: 1 to 107 bytes, any
///   bytes. It lives in the network namespace rather than the filesystem, so it has no mode
///   and nothing to remove: the kernel frees it when the last socket bound to it closes.
///
/// `Display` shows a path as it is and an abstract name with a leading `@`, as `ss` does.
///
/// # Errors
///
/// The constructors return [`ErrorKind::InvalidName`], saying what is wrong.
///
/// # Examples
///
/// ```
/// use ipc_core::ErrorKind;
/// use ipc_sock::UnixAddress;
///
/// let path = UnixAddress::path("/run/app.sock")?;
/// assert_eq!(path.to_string(), "/run/app.sock");
/// let name = UnixAddress::abstract_name("app")?;
/// assert_eq!(name.to_string(), "@app");
///
/// let long = format!("/tmp/{}", "x".repeat(200));
/// assert_eq!(UnixAddress::path(long).unwrap_err().kind(), ErrorKind::InvalidName);
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), "Address format"
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnixAddress {
    kind: Kind,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Kind {
    Path(PathBuf),
    Abstract(Box<[u8]>),
}

impl UnixAddress {
    /// The filesystem path `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidName`] for an empty path, a NUL in it, or one of 108 bytes or more.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::UnixAddress::path("/tmp/a.sock")?;
    /// assert_eq!(sut.as_path(), Some(std::path::Path::new("/tmp/a.sock")));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn path(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        check_socket_path(&path)?;
        Ok(Self {
            kind: Kind::Path(path),
        })
    }

    /// The name `name` in the abstract namespace, given without the leading NUL that marks it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidName`] for an empty name or one longer than 107 bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::UnixAddress::abstract_name(b"jobs")?;
    /// assert_eq!(sut.as_abstract_name(), Some(&b"jobs"[..]));
    /// assert_eq!(sut.as_path(), None);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn abstract_name(name: impl AsRef<[u8]>) -> Result<Self> {
        let name = name.as_ref();
        check_abstract_socket_name(name)?;
        Ok(Self {
            kind: Kind::Abstract(name.into()),
        })
    }

    /// The filesystem path, or `None` for an abstract name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_sock::UnixAddress::abstract_name("x")?.as_path().is_none());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn as_path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Path(path) => Some(path),
            Kind::Abstract(_) => None,
        }
    }

    /// The abstract name (without its leading NUL), or `None` for a path.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_sock::UnixAddress::path("/tmp/s")?.as_abstract_name().is_none());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Path(_) => None,
            Kind::Abstract(name) => Some(name),
        }
    }

    /// The kernel's form of the address, for `bind` and `connect`.
    pub(crate) fn to_raw(&self, operation: &'static str) -> Result<SocketAddrUnix> {
        let raw = match &self.kind {
            Kind::Path(path) => SocketAddrUnix::new(path.as_path()),
            Kind::Abstract(name) => SocketAddrUnix::new_abstract_name(name),
        };
        // Both were checked against sun_path's size already; rustix checks again.
        raw.map_err(|errno| Error::from_errno_as(ErrorKind::InvalidName, operation, self, errno))
    }

    /// The address the kernel reported (`getsockname`, `getpeername`), or `None` for an
    /// unnamed socket or another family.
    pub(crate) fn from_raw(raw: SocketAddrAny) -> Option<Self> {
        let unix = SocketAddrUnix::try_from(raw).ok()?;
        if let Some(name) = unix.abstract_name() {
            return Self::abstract_name(name).ok();
        }
        use std::os::unix::ffi::OsStrExt;
        let bytes = unix.path_bytes()?;
        Self::path(std::ffi::OsStr::from_bytes(until_nul(bytes))).ok()
    }
}

/// The bytes of a path in `sun_path` before its terminating NUL (rustix includes the NUL, and
/// a path that fills `sun_path` may have none).
fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

impl fmt::Display for UnixAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Path(path) => write!(f, "{}", path.display()),
            Kind::Abstract(name) => write!(f, "@{}", name.escape_ascii()),
        }
    }
}

impl fmt::Debug for UnixAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Path(path) => f.debug_tuple("UnixAddress::Path").field(path).finish(),
            Kind::Abstract(name) => f
                .debug_tuple("UnixAddress::Abstract")
                .field(&name.escape_ascii().to_string())
                .finish(),
        }
    }
}

impl From<&UnixAddress> for Object {
    fn from(address: &UnixAddress) -> Self {
        match &address.kind {
            Kind::Path(path) => Object::Path(path.as_path().into()),
            Kind::Abstract(_) => Object::Name(address.to_string().into_boxed_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_of_107_bytes_fits_and_one_of_108_is_refused_not_truncated() {
        let fits = format!("/{}", "p".repeat(106));
        let sut = UnixAddress::path(&fits).unwrap();
        let raw = sut.to_raw("bind").unwrap();
        assert_eq!(until_nul(raw.path_bytes().unwrap()), fits.as_bytes());
        let too_long = format!("/{}", "p".repeat(107));
        let err = UnixAddress::path(too_long).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName);
    }

    #[test]
    fn empty_and_nul_paths_are_invalid_names() {
        for bad in ["", "/tmp/a\0b"] {
            let err = UnixAddress::path(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidName, "{bad:?}");
        }
    }

    #[test]
    fn abstract_names_take_any_bytes_up_to_107() {
        let sut = UnixAddress::abstract_name(b"a\0b").unwrap();
        assert_eq!(sut.to_string(), "@a\\x00b");
        assert_eq!(
            sut.to_raw("bind").unwrap().abstract_name(),
            Some(&b"a\0b"[..])
        );
        assert!(UnixAddress::abstract_name([b'n'; 107]).is_ok());
        let err = UnixAddress::abstract_name([b'n'; 108]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName);
        let err = UnixAddress::abstract_name(b"").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidName);
    }

    #[test]
    fn the_kernel_form_converts_back() {
        for sut in [
            UnixAddress::path("/tmp/x.sock").unwrap(),
            UnixAddress::abstract_name("x").unwrap(),
        ] {
            let raw = SocketAddrAny::from(sut.to_raw("bind").unwrap());
            assert_eq!(UnixAddress::from_raw(raw), Some(sut));
        }
        let unnamed = SocketAddrAny::from(SocketAddrUnix::new_unnamed());
        assert_eq!(UnixAddress::from_raw(unnamed), None);
    }

    #[test]
    fn errors_name_an_abstract_address_with_an_at_sign() {
        let sut = UnixAddress::abstract_name("jobs").unwrap();
        assert_eq!(Object::from(&sut).to_string(), "@jobs");
    }
}
