//! The memfd handle: creating, sizing, sealing and mapping an anonymous file.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use ipc_core::{Error, ErrorKind, Object, Result};
use rustix::io::Errno;

use super::builder::MemfdBuilder;
use super::foreign::ForeignMemfd;
use super::region::MemfdRegion;
use super::seals::Seals;
use crate::mapping::Mapping;
use crate::read_only::ReadOnlyRegion;
use crate::size;
use crate::sys::memfd as sys;

/// An anonymous file in memory (`memfd_create`), shared with other processes by handing them
/// its descriptor, and protected from them by seals.
///
/// A memfd has no name in any namespace (the name is only a label, shown in
/// `/proc/<pid>/fd` as `memfd:<name>`), so nothing can be left behind: the memory goes with the
/// last descriptor and the last mapping. It reaches another process as a descriptor, inherited
/// at a fixed number ([`ipc_core::ChildFds`]) or sent over a Unix socket; the receiver checks
/// it with [`Memfd::from_fd`] or [`Memfd::foreign`] before mapping it.
///
/// # Seals
///
/// [`create`](Self::create) sizes the file and seals it against shrinking and growing
/// (`F_SEAL_SHRINK | F_SEAL_GROW`): no process can then change its size, so no mapping of it
/// can ever lose pages under a reader (an access past the end of a shrunk file raises
/// `SIGBUS`, which would kill the process). [`Memfd::builder`] can leave it growable or
/// unsealed. Once the contents are final, [`seal_write`](Self::seal_write) freezes them for
/// good, and [`seal_future_write`](Self::seal_future_write) lets this process keep writing
/// through the mapping it holds while every receiver can only map it read-only.
///
/// # Close-on-exec
///
/// The descriptor is created with `MFD_CLOEXEC`, so a program this process starts does not
/// inherit it unless it is placed on purpose ([`ipc_core::ChildFds`]). It is also created with
/// `MFD_ALLOW_SEALING` and, where the kernel has it (Linux 6.3), `MFD_NOEXEC_SEAL`.
///
/// # Examples
///
/// ```
/// use ipc_shm::{Memfd, RegionAccess, Seals};
///
/// let memfd = Memfd::create("frame", 4096)?;
/// let region = memfd.map()?;
/// region.write_at(0, b"pixels")?;
/// drop(region); // F_SEAL_WRITE needs every writable mapping gone
/// memfd.seal_write()?;
/// assert!(memfd.seals()?.contains(Seals::SHRINK | Seals::WRITE));
/// assert!(memfd.map().is_err());
/// let mut copy = [0u8; 6];
/// memfd.map_read_only()?.read_at(0, &mut copy)?;
/// assert_eq!(&copy, b"pixels");
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [memfd_create(2)](https://man7.org/linux/man-pages/man2/memfd_create.2.html)
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "File seals"
#[derive(Debug)]
pub struct Memfd {
    fd: OwnedFd,
    len: usize,
    object: Object,
}

impl Memfd {
    /// Creates a memfd of `len` bytes, zeroed, sealed against shrinking and growing.
    ///
    /// `name` is a label for `/proc/<pid>/fd` and for errors; it need not be unique.
    ///
    /// # Errors
    ///
    /// As [`MemfdBuilder::create`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, Seals};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// assert_eq!(memfd.len(), 4096);
    /// assert!(memfd.seals()?.contains(Seals::SHRINK | Seals::GROW));
    /// assert!(Memfd::create("example", 0).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "memfd_create")]
    pub fn create(name: &str, len: usize) -> Result<Self> {
        Self::builder(name, len).create()
    }

    /// Options for a memfd of `len` bytes named `name`: see [`MemfdBuilder`].
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::builder("example", 4096).growable().create()?;
    /// # let _ = memfd;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder(name: &str, len: usize) -> MemfdBuilder {
        MemfdBuilder::new(name, len)
    }

    /// Takes a memfd another process handed over, with the default checks of
    /// [`Memfd::foreign`]: it must be a sealable file (a memfd), sealed against shrinking, and
    /// at least one byte long.
    ///
    /// # Errors
    ///
    /// As [`ForeignMemfd::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::Memfd;
    ///
    /// let sent: OwnedFd = Memfd::create("example", 4096)?.into();
    /// assert_eq!(Memfd::from_fd(sent)?.len(), 4096);
    ///
    /// let unsealed: OwnedFd = Memfd::builder("example", 4096).unsealed().create()?.into();
    /// assert_eq!(Memfd::from_fd(unsealed).unwrap_err().kind(), ErrorKind::PermissionDenied);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        Self::foreign(fd).open()
    }

    /// Checks for a memfd another process handed over, to adjust before
    /// [`open`](ForeignMemfd::open): a minimum size, more required seals, or accepting an
    /// unsealed one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_shm::{Memfd, Seals};
    ///
    /// let sent: OwnedFd = Memfd::create("example", 4096)?.into();
    /// let memfd = Memfd::foreign(sent).min_len(4096).require_seals(Seals::GROW).open()?;
    /// assert_eq!(memfd.len(), 4096);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn foreign(fd: OwnedFd) -> ForeignMemfd {
        ForeignMemfd::new(fd)
    }

    /// A checked foreign memfd: the constructor [`ForeignMemfd::open`] ends in.
    pub(super) fn adopt(fd: OwnedFd, len: usize) -> Self {
        let object = Object::fd(fd.as_fd());
        Self { fd, len, object }
    }

    /// Checks that the memfd still holds [`len`](Self::len) bytes before it is mapped: always
    /// true of a memfd sealed against shrinking, but an unsealed one may have been truncated.
    fn check_size(&self) -> Result<()> {
        let stat = sys::stat(self.fd.as_fd())
            .map_err(|errno| Error::from_errno("fstat", self.object.clone(), errno))?;
        size::still_holds(&stat, self.len, "mmap", self.object.clone())
    }

    /// A new memfd of `len` bytes labelled `object`: the constructor the builder ends in.
    pub(super) fn from_parts(fd: OwnedFd, len: usize, object: Object) -> Self {
        Self { fd, len, object }
    }

    /// The size in bytes: the size this handle made or found, which no process can change
    /// unless the memfd was left growable or unsealed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::Memfd::create("example", 100)?.len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: a memfd this crate makes or accepts has at least one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_shm::Memfd::create("example", 1)?.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Maps the whole memfd shared, readable and writable.
    ///
    /// # Errors
    ///
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) (`EPERM`) when the memfd is sealed
    ///   against writes (`F_SEAL_WRITE` or `F_SEAL_FUTURE_WRITE`; map it read-only instead),
    ///   or (`EACCES`) when the descriptor was opened read-only.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) when an unsealed memfd has
    ///   shrunk below [`len`](Self::len) since this handle measured it.
    /// - [`Other`](ErrorKind::Other) (`ENOMEM`) when the address space is exhausted.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, RegionAccess};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// memfd.map()?.write_at(0, b"shared")?;
    /// let mut copy = [0u8; 6];
    /// memfd.map()?.read_at(0, &mut copy)?; // a second mapping sees the same bytes
    /// assert_eq!(&copy, b"shared");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mmap")]
    pub fn map(&self) -> Result<MemfdRegion> {
        self.check_size()?;
        let mapping = Mapping::of_fd(self.fd.as_fd(), self.len, true, "mmap", self.object.clone())
            .map_err(|err| match err.raw_os_error() {
                Some(libc::EPERM) => err.with_detail(
                    "the memfd is sealed against writes (F_SEAL_WRITE or F_SEAL_FUTURE_WRITE); \
                     map it read-only with map_read_only",
                ),
                Some(libc::EACCES) => err.with_detail(
                    "the descriptor is open read-only; map it read-only with map_read_only",
                ),
                _ => err,
            })?;
        Ok(MemfdRegion::new(mapping, self.object.clone()))
    }

    /// Maps the whole memfd read-only: shared (`MAP_SHARED`, `PROT_READ`), so this process
    /// sees what the writers store; or, once the memfd is sealed with `F_SEAL_WRITE`, private
    /// (`MAP_PRIVATE`, `PROT_READ`), which shows the same bytes since they can never change,
    /// and which every kernel allows (before Linux 6.7 a write-sealed memfd cannot be mapped
    /// `MAP_SHARED` at all, not even read-only).
    ///
    /// # Errors
    ///
    /// [`CorruptSharedState`](ErrorKind::CorruptSharedState) as for [`map`](Self::map);
    /// [`PermissionDenied`](ErrorKind::PermissionDenied) (`EACCES`) when the descriptor is not
    /// open for reading; [`Other`](ErrorKind::Other) (`ENOMEM`) when the address space is
    /// exhausted.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, RegionAccess};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// memfd.map()?.write_at(0, b"final")?;
    /// memfd.seal_write()?;
    /// let mut copy = [0u8; 5];
    /// memfd.map_read_only()?.read_at(0, &mut copy)?;
    /// assert_eq!(&copy, b"final");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mmap")]
    pub fn map_read_only(&self) -> Result<ReadOnlyRegion> {
        self.check_size()?;
        ReadOnlyRegion::map(self.fd.as_fd(), self.len, "mmap", self.object.clone())
    }

    /// The seals of the memfd (`F_GET_SEALS`).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) (`EINVAL`) only if the file cannot be
    /// sealed, which a `Memfd` rules out when it is made.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, Seals};
    /// assert!(Memfd::create("example", 1)?.seals()?.contains(Seals::SHRINK));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_GET_SEALS")]
    pub fn seals(&self) -> Result<Seals> {
        sys::seals(self.fd.as_fd())
            .map(Seals::from_bits)
            .map_err(|errno| Error::from_errno("F_GET_SEALS", self.object.clone(), errno))
    }

    /// Adds `seals` (`F_ADD_SEALS`); seals already present are kept, and no seal can ever be
    /// removed. [`Seals::SEAL`] forbids adding any more.
    ///
    /// # Errors
    ///
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) (`EPERM`) when the memfd is sealed
    ///   with `F_SEAL_SEAL`, or the descriptor is open read-only.
    /// - [`Other`](ErrorKind::Other) (`EBUSY`) when adding [`Seals::WRITE`] while a writable
    ///   shared mapping exists in any process: drop every [`MemfdRegion`] first, or use
    ///   [`Seals::FUTURE_WRITE`].
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) (`EINVAL`) for a seal this kernel does
    ///   not know.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::{Memfd, Seals};
    ///
    /// let memfd = Memfd::builder("example", 4096).growable().create()?;
    /// memfd.add_seals(Seals::GROW | Seals::SEAL)?;
    /// let err = memfd.add_seals(Seals::WRITE).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_ADD_SEALS")]
    pub fn add_seals(&self, seals: Seals) -> Result<()> {
        sys::add_seals(self.fd.as_fd(), seals.bits()).map_err(|errno| {
            let err = Error::from_errno("F_ADD_SEALS", self.object.clone(), errno);
            match errno {
                Errno::BUSY => err.with_detail(format!(
                    "cannot add {seals}: the memfd is mapped writable (by a MemfdRegion of this \
                     process or by another process); drop every writable mapping first, or \
                     seal with FUTURE_WRITE to keep them"
                )),
                Errno::PERM => err.with_detail(format!(
                    "cannot add {seals}: the seals are sealed (F_SEAL_SEAL), or the descriptor \
                     is open read-only"
                )),
                _ => err.with_detail(format!("cannot add {seals}")),
            }
        })
    }

    /// Seals the contents for good (`F_SEAL_WRITE`): no process can write them again, by
    /// `write` or through a mapping, and receivers can rely on them never changing.
    ///
    /// The kernel refuses the seal while any writable shared mapping of the memfd exists, in
    /// this process or another: drop every [`MemfdRegion`] first.
    ///
    /// # Errors
    ///
    /// [`Other`](ErrorKind::Other) (`EBUSY`) while a writable mapping exists, with a detail
    /// that says so; otherwise as [`add_seals`](Self::add_seals).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, RegionAccess};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// let region = memfd.map()?;
    /// region.write_at(0, b"final")?;
    /// let err = memfd.seal_write().unwrap_err();
    /// assert_eq!(err.raw_os_error(), Some(libc::EBUSY));
    /// drop(region);
    /// memfd.seal_write()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_SEAL_WRITE")]
    pub fn seal_write(&self) -> Result<()> {
        self.add_seals(Seals::WRITE)
    }

    /// Seals against future writes (`F_SEAL_FUTURE_WRITE`, Linux 5.1): `write` and new writable
    /// mappings fail in every process, but writable mappings that exist now keep working.
    ///
    /// This is the hand-off for a producer that keeps writing: it maps the memfd, seals it with
    /// this, and hands out the descriptor; receivers can only map it read-only and see what the
    /// producer writes next. Unlike [`seal_write`](Self::seal_write), the contents may still
    /// change, so receivers validate what they read.
    ///
    /// # Errors
    ///
    /// As [`add_seals`](Self::add_seals); [`InvalidArgument`](ErrorKind::InvalidArgument) on a
    /// kernel older than 5.1.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, RegionAccess};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// let region = memfd.map()?;
    /// memfd.seal_future_write()?;
    /// region.write_at(0, b"still mine")?; // the existing mapping keeps working
    /// assert!(memfd.map().is_err()); // no new writable mapping
    /// let mut copy = [0u8; 10];
    /// memfd.map_read_only()?.read_at(0, &mut copy)?;
    /// assert_eq!(&copy, b"still mine");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_SEAL_FUTURE_WRITE")]
    pub fn seal_future_write(&self) -> Result<()> {
        self.add_seals(Seals::FUTURE_WRITE)
    }

    /// Grows the memfd to `new_len` bytes (`ftruncate`); the new bytes are zero. Mappings made
    /// before keep their length; map again to reach the new bytes.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `new_len` is smaller than
    ///   [`len`](Self::len) (shrinking is what the seals exist to prevent).
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) (`EPERM`) when the memfd is sealed
    ///   against growing (the default; see [`MemfdBuilder::growable`]).
    /// - [`Other`](ErrorKind::Other) (`ENOSPC`, `ENOMEM`) when memory is short.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Memfd;
    ///
    /// let mut sealed = Memfd::create("example", 4096)?;
    /// assert!(sealed.grow(8192).is_err());
    /// let mut growable = Memfd::builder("example", 4096).growable().create()?;
    /// growable.grow(8192)?;
    /// assert_eq!(growable.map()?.len(), 8192);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "ftruncate")]
    pub fn grow(&mut self, new_len: usize) -> Result<()> {
        if new_len < self.len {
            return Err(Error::new(ErrorKind::InvalidArgument, "ftruncate")
                .with_object(self.object.clone())
                .with_detail(format!(
                    "{new_len} bytes is less than the {} the memfd has; a memfd only grows",
                    self.len
                )));
        }
        sys::set_len(self.fd.as_fd(), new_len as u64).map_err(|errno| {
            let err = set_len_error(self.object.clone(), errno);
            if errno == Errno::PERM {
                err.with_detail("the memfd is sealed against growing (F_SEAL_GROW)")
            } else {
                err
            }
        })?;
        self.len = new_len;
        Ok(())
    }

    /// A second handle on the same memfd, with its own close-on-exec descriptor: for handing
    /// one to another process while keeping this one.
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ErrorKind::LimitReached) when the process is out of descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{Memfd, RegionAccess};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// let copy = memfd.try_clone()?;
    /// memfd.map()?.write_at(0, b"same")?;
    /// let mut back = [0u8; 4];
    /// copy.map()?.read_at(0, &mut back)?;
    /// assert_eq!(&back, b"same");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "dup")]
    pub fn try_clone(&self) -> Result<Self> {
        let fd = sys::duplicate(self.fd.as_fd())
            .map_err(|errno| Error::from_errno("F_DUPFD_CLOEXEC", self.object.clone(), errno))?;
        Ok(Self {
            fd,
            len: self.len,
            object: self.object.clone(),
        })
    }
}

/// The error of an `ftruncate`: `EFBIG` (larger than a file may be) is a bad argument.
pub(super) fn set_len_error(object: Object, errno: Errno) -> Error {
    match errno {
        Errno::FBIG => Error::from_errno_as(ErrorKind::InvalidArgument, "ftruncate", object, errno)
            .with_detail("larger than a file may be"),
        _ => Error::from_errno("ftruncate", object, errno),
    }
}

impl AsFd for Memfd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Memfd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<Memfd> for OwnedFd {
    fn from(memfd: Memfd) -> Self {
        memfd.fd
    }
}

/// [`Memfd::from_fd`]: the default checks for a descriptor another process handed over.
impl TryFrom<OwnedFd> for Memfd {
    type Error = Error;

    fn try_from(fd: OwnedFd) -> Result<Self> {
        Self::from_fd(fd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memfd::builder::NAME_MAX;

    #[test]
    fn memfd_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Memfd>();
    }

    #[test]
    fn a_new_memfd_is_close_on_exec() {
        let sut = Memfd::create("test", 1).unwrap();
        let flags = rustix::io::fcntl_getfd(&sut).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
    }

    #[test]
    fn a_bad_name_is_an_invalid_name() {
        for name in ["a\0b".to_owned(), "x".repeat(NAME_MAX + 1)] {
            let err = Memfd::create(&name, 1).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidName, "{err}");
        }
        assert!(Memfd::create(&"x".repeat(NAME_MAX), 1).is_ok());
    }

    #[test]
    fn a_huge_length_is_an_invalid_argument() {
        let err = Memfd::create("test", usize::MAX).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }

    #[test]
    fn the_write_seal_error_tells_the_caller_to_drop_writable_regions() {
        let sut = Memfd::create("test", 4096).unwrap();
        let _region = sut.map().unwrap();
        let err = sut.seal_write().unwrap_err();
        assert!(
            err.to_string().contains("drop every writable mapping"),
            "{err}"
        );
    }
}
