//! Checking a memfd that another process handed over before it is used.

use std::os::fd::{AsFd, OwnedFd};

use ipc_core::{Error, ErrorKind, NodeCheck, Object, Result};
use rustix::fs::FileType;
use rustix::io::Errno;

use super::handle::Memfd;
use super::seals::Seals;
use crate::size::mappable_size;
use crate::sys::memfd as sys;

/// The operation named in the errors of [`ForeignMemfd::open`].
const OPERATION: &str = "memfd_from_fd";

/// The checks a received memfd must pass before [`open`](Self::open) turns it into a
/// [`Memfd`]; made by [`Memfd::foreign`].
///
/// A descriptor from another process may be anything: a pipe, a regular file on disk, or a
/// memfd its sender can still shrink. Mapping a file that is later shrunk makes every access
/// past the new end raise `SIGBUS`, which kills the process, so by default `open` requires:
///
/// 1. a regular file (`fstat`) that supports seals (`F_GET_SEALS` succeeds): a memfd, or
///    another tmpfs or hugetlbfs file; anything else is
///    [`WrongObjectType`](ErrorKind::WrongObjectType);
/// 2. the seal [`Seals::SHRINK`], plus any seal named with [`require_seals`](Self::require_seals);
///    a missing one is [`PermissionDenied`](ErrorKind::PermissionDenied), and the error names it;
/// 3. a size of at least [`min_len`](Self::min_len) bytes (default 1); a smaller one is
///    [`CorruptSharedState`](ErrorKind::CorruptSharedState).
///
/// The descriptor is made close-on-exec (an inherited one may not be).
///
/// # Examples
///
/// ```
/// use std::os::fd::OwnedFd;
/// use ipc_core::ErrorKind;
/// use ipc_shm::{Memfd, Seals};
///
/// let received: OwnedFd = Memfd::create("example", 4096)?.into();
/// let err = Memfd::foreign(received.try_clone().unwrap())
///     .require_seals(Seals::WRITE)
///     .open()
///     .unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
/// assert!(err.to_string().contains("WRITE"), "{err}");
///
/// let memfd = Memfd::foreign(received).min_len(1024).open()?;
/// assert_eq!(memfd.len(), 4096);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a ForeignMemfd does nothing until open() checks it"]
pub struct ForeignMemfd {
    fd: OwnedFd,
    min_len: usize,
    required: Seals,
    accept_unsealed: bool,
}

impl ForeignMemfd {
    /// The default checks for `fd`.
    pub(super) fn new(fd: OwnedFd) -> Self {
        Self {
            fd,
            min_len: 1,
            required: Seals::empty(),
            accept_unsealed: false,
        }
    }

    /// Requires at least `len` bytes (a zero `len` still requires one byte: a mapping needs it).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_shm::Memfd;
    ///
    /// let received: OwnedFd = Memfd::create("example", 100)?.into();
    /// let err = Memfd::foreign(received).min_len(4096).open().unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::CorruptSharedState);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn min_len(mut self, len: usize) -> Self {
        self.min_len = len.max(1);
        self
    }

    /// Requires `seals` too, say [`Seals::WRITE`] for contents that can never change, or
    /// [`Seals::GROW`] for a size that cannot either.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_shm::{Memfd, Seals};
    ///
    /// let memfd = Memfd::create("example", 100)?;
    /// memfd.seal_write()?;
    /// let received: OwnedFd = memfd.into();
    /// let frozen = Memfd::foreign(received).require_seals(Seals::WRITE).open()?;
    /// assert!(frozen.map().is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn require_seals(mut self, seals: Seals) -> Self {
        self.required |= seals;
        self
    }

    /// Accepts a memfd that is not sealed against shrinking.
    ///
    /// # SIGBUS
    ///
    /// Any process holding the descriptor can then shrink the file, and an access to a page
    /// past the new end, through any mapping in any process, raises `SIGBUS`, which kills this
    /// process unless it handles the signal. Use this only when every holder of the descriptor
    /// is trusted not to shrink it. Seals named with [`require_seals`](Self::require_seals) are
    /// still required.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_shm::Memfd;
    ///
    /// let received: OwnedFd = Memfd::builder("example", 100).unsealed().create()?.into();
    /// let memfd = Memfd::foreign(received).accept_unsealed().open()?;
    /// assert_eq!(memfd.len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn accept_unsealed(mut self) -> Self {
        self.accept_unsealed = true;
        self
    }

    /// Runs the checks and, when they pass, returns the memfd, close-on-exec, with the size it
    /// has now.
    ///
    /// # Errors
    ///
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when the descriptor is not a regular
    ///   file that supports seals (a pipe, a socket, a file on disk).
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when a required seal is missing; the
    ///   error names the missing seals and those present.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the memfd is smaller than
    ///   [`min_len`](Self::min_len).
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when it is larger than the address
    ///   space, or the descriptor is not open (`EBADF`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::Memfd;
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let err = Memfd::foreign(reader.into()).open().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WrongObjectType);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(self) -> Result<Memfd> {
        let fd = self.fd.as_fd();
        let object = Object::fd(fd);
        // The seals are read before the size: once SHRINK is seen, the size can only grow, so
        // the `fstat` below gives a length every later size covers. Read the other way round,
        // a sender could shrink the memfd between the two calls and then seal it, leaving a
        // length the file no longer has (and accesses past its end raise SIGBUS).
        let seals = sys::seals(fd);
        let stat =
            sys::stat(fd).map_err(|errno| Error::from_errno(OPERATION, object.clone(), errno))?;
        NodeCheck::new(FileType::RegularFile, "a memfd").check(&stat, OPERATION, object.clone())?;
        let seals = match seals {
            Ok(bits) => Seals::from_bits(bits),
            Err(Errno::INVAL) => {
                return Err(Error::new(ErrorKind::WrongObjectType, OPERATION)
                    .with_object(object)
                    .with_detail(
                        "is a regular file that cannot be sealed (F_GET_SEALS: EINVAL), \
                         not a memfd",
                    ));
            }
            Err(errno) => return Err(Error::from_errno("F_GET_SEALS", object, errno)),
        };
        let required = if self.accept_unsealed {
            self.required
        } else {
            self.required | Seals::SHRINK
        };
        let missing = required.difference(seals);
        if !missing.is_empty() {
            let remedy = if missing.contains(Seals::SHRINK) {
                "; without SHRINK its holders can truncate it under every mapping (SIGBUS): \
                 the sender must seal it, or the receiver accept that with accept_unsealed"
            } else {
                ""
            };
            return Err(Error::new(ErrorKind::PermissionDenied, OPERATION)
                .with_object(object)
                .with_detail(format!(
                    "the memfd lacks the seals {missing} (it has {seals}){remedy}"
                )));
        }
        let len = mappable_size(&stat, self.min_len, OPERATION, object.clone())?;
        sys::set_cloexec(fd).map_err(|errno| Error::from_errno("F_SETFD", object, errno))?;
        Ok(Memfd::adopt(self.fd, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_on_disk_is_not_a_memfd() {
        let file = tempfile::tempfile().unwrap();
        let err = Memfd::foreign(file.into()).open().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    }

    #[test]
    fn an_adopted_descriptor_is_made_close_on_exec() {
        let memfd = Memfd::create("test", 1).unwrap();
        let fd = OwnedFd::from(memfd);
        rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::empty()).unwrap();
        let sut = Memfd::from_fd(fd).unwrap();
        let flags = rustix::io::fcntl_getfd(&sut).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
    }
}
