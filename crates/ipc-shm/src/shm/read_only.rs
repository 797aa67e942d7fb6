//! A named POSIX shared memory object, opened and mapped read-only.

use std::fmt;
use std::ops::Deref;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Object, ObjectName, Result};

use super::object::{self, Opened};
use crate::read_only::ReadOnlyRegion;

/// A POSIX shared memory object opened `O_RDONLY` and mapped `PROT_READ`, made by
/// [`SharedMemory::open_read_only`](crate::SharedMemory::open_read_only): the
/// [`ReadOnlyRegion`] it dereferences to, with the object's name and descriptor.
///
/// It is not a [`SharedRegion`](ipc_core::SharedRegion) (whose users may write); reads go
/// through the region's copies out and atomic loads ([`ReadOnlyRegion::read_at`],
/// [`ReadOnlyRegion::load_pod`], …), reached through `Deref`. Other processes may still write
/// the bytes, so validate what is read. An opener never removes the name; remove it with
/// [`SharedMemory::unlink_name`](crate::SharedMemory::unlink_name) when this reader is the last
/// user.
///
/// # SIGBUS
///
/// As for [`SharedMemory`](crate::SharedMemory#sigbus): the size is checked before mapping, but
/// a writer may still shrink the object afterwards, and reads past the new end then raise
/// `SIGBUS`, which kills the process; [`check_size`](Self::check_size) detects the shrink. The
/// fault cannot be recovered safely (`siglongjmp` across Rust frames is undefined behaviour);
/// [`sigbus::install_diagnostic`](crate::sigbus::install_diagnostic) makes the death name the
/// object first (see the [`sigbus`](crate::sigbus) module).
///
/// # Close-on-exec
///
/// The descriptor is opened with `O_CLOEXEC` and kept open, like
/// [`SharedMemory`](crate::SharedMemory#close-on-exec)'s.
///
/// # Examples
///
/// ```
/// use ipc_core::ObjectName;
/// use ipc_shm::{RegionAccess, SharedMemory};
///
/// let name = ObjectName::unique("reader-example")?;
/// let writer = SharedMemory::create_new(&name, 4096)?;
/// writer.pod::<u32>(0)?.store(&42);
/// let sut = SharedMemory::open_read_only(&name)?;
/// assert_eq!(sut.load_pod::<u32>(0)?, 42);
/// assert_eq!(sut.name(), &name);
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`shm_open(3)`](https://man7.org/linux/man-pages/man3/shm_open.3.html), `O_RDONLY`
pub struct ReadOnlySharedMemory {
    region: ReadOnlyRegion,
    fd: OwnedFd,
    name: ObjectName,
}

impl ReadOnlySharedMemory {
    /// Maps what `opened` describes, read-only.
    pub(super) fn from_opened(name: &ObjectName, opened: Opened) -> Result<Self> {
        let region =
            ReadOnlyRegion::map(opened.fd.as_fd(), opened.len, "mmap", Object::from(name))?;
        Ok(Self {
            region,
            fd: opened.fd,
            name: name.clone(),
        })
    }

    /// The object's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("reader-name-example")?;
    /// let _writer = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// assert_eq!(ipc_shm::SharedMemory::open_read_only(&name)?.name(), &name);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn name(&self) -> &ObjectName {
        &self.name
    }

    /// The mapped length in bytes: the object's size when it was opened.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("reader-len-example")?;
    /// let _writer = ipc_shm::SharedMemory::create_new(&name, 100)?;
    /// assert_eq!(ipc_shm::SharedMemory::open_read_only(&name)?.len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.region.len()
    }

    /// Always `false`: an empty object is never mapped.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("reader-empty-example")?;
    /// let _writer = ipc_shm::SharedMemory::create_new(&name, 1)?;
    /// assert!(!ipc_shm::SharedMemory::open_read_only(&name)?.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The mapping, for code that takes a [`ReadOnlyRegion`] (`Deref` reaches it too).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("reader-region-example")?;
    /// let _writer = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// let reader = ipc_shm::SharedMemory::open_read_only(&name)?;
    /// assert_eq!(reader.region().len(), 4096);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn region(&self) -> &ReadOnlyRegion {
        &self.region
    }

    /// Checks with `fstat` that the object still holds every mapped byte.
    ///
    /// # Errors
    ///
    /// [`CorruptSharedState`](ErrorKind::CorruptSharedState) when a writer has shrunk it.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("reader-check-example")?;
    /// let _writer = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// ipc_shm::SharedMemory::open_read_only(&name)?.check_size()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn check_size(&self) -> Result<()> {
        object::check_still(self.fd.as_fd(), &self.name, self.len())
    }
}

impl Deref for ReadOnlySharedMemory {
    type Target = ReadOnlyRegion;

    fn deref(&self) -> &ReadOnlyRegion {
        &self.region
    }
}

/// The object's descriptor, open read-only, close-on-exec.
impl AsFd for ReadOnlySharedMemory {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for ReadOnlySharedMemory {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl fmt::Debug for ReadOnlySharedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOnlySharedMemory")
            .field("name", &self.name)
            .field("len", &self.len())
            .field("fd", &self.fd)
            .finish()
    }
}
