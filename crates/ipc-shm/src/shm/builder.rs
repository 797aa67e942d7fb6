//! Options for creating and opening a POSIX shared memory object.

#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{ObjectName, Permissions, Result, TrustedOwner};

use super::memory::SharedMemory;
use super::object;
use super::read_only::ReadOnlySharedMemory;
use crate::sys::shm::How;

/// Options for a [`SharedMemory`]: the mode of a new object, whose existing objects are
/// trusted, the least size an opened object must have, and whether a new object's pages are
/// reserved.
///
/// # Examples
///
/// ```
/// use ipc_core::{ObjectName, Permissions};
/// use ipc_shm::SharedMemory;
///
/// let name = ObjectName::unique("builder-example")?;
/// let created = SharedMemory::builder()
///     .permissions(Permissions::from_mode(0o640)?)
///     .create_new(&name, 8192)?;
/// let opened = SharedMemory::builder().min_len(4096).open(&name)?;
/// assert_eq!(opened.len(), 8192);
/// # drop(created);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SharedMemoryBuilder {
    pub(super) permissions: Permissions,
    pub(super) owner: TrustedOwner,
    pub(super) min_len: usize,
    pub(super) reserve: bool,
}

impl Default for SharedMemoryBuilder {
    fn default() -> Self {
        Self {
            permissions: Permissions::default(),
            owner: TrustedOwner::default(),
            min_len: 1,
            reserve: true,
        }
    }
}

impl SharedMemoryBuilder {
    /// The permission bits of a new object (default `0o600`), set exactly with `fchmod` on its
    /// descriptor, so the umask neither widens nor narrows them. An existing object keeps its
    /// mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// use ipc_core::{ObjectName, Permissions};
    ///
    /// let name = ObjectName::unique("mode-example")?;
    /// let shm = ipc_shm::SharedMemory::builder()
    ///     .permissions(Permissions::from_mode(0o640)?)
    ///     .create_new(&name, 4096)?;
    /// let meta = std::fs::metadata(format!("/dev/shm{name}"))?;
    /// assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    /// # drop(shm);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// Accepts an existing object owned by `uid` (or root) instead of the caller's own user.
    ///
    /// # Examples
    ///
    /// ```
    /// let me = rustix::process::geteuid().as_raw();
    /// let name = ipc_core::ObjectName::unique("owner-example")?;
    /// let made = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// let _shm = ipc_shm::SharedMemory::builder().trust_owner(me).open(&name)?;
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn trust_owner(mut self, uid: u32) -> Self {
        self.owner = TrustedOwner::Uid(uid);
        self
    }

    /// Accepts an existing object whoever owns it. Its owner can change its mode, its size
    /// and its contents at any time; use it only where that is the design.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("any-owner-example")?;
    /// let made = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// let _shm = ipc_shm::SharedMemory::builder().trust_any_owner().open(&name)?;
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn trust_any_owner(mut self) -> Self {
        self.owner = TrustedOwner::Any;
        self
    }

    /// The least size in bytes an opened object must have (default 1: never an empty one). An
    /// object smaller than this is refused with
    /// [`CorruptSharedState`](ErrorKind::CorruptSharedState) before it is mapped; a new object
    /// smaller than this is refused with [`InvalidArgument`](ErrorKind::InvalidArgument).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    /// use ipc_shm::SharedMemory;
    ///
    /// let name = ObjectName::unique("min-len-example")?;
    /// let made = SharedMemory::create_new(&name, 100)?;
    /// let err = SharedMemory::builder().min_len(4096).open(&name).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn min_len(mut self, len: usize) -> Self {
        self.min_len = len.max(1);
        self
    }

    /// Whether a new object's pages are allocated when it is created (default `true`), with
    /// `fallocate`.
    ///
    /// tmpfs makes a page when it is first touched; when the filesystem is full by then, the
    /// touch raises `SIGBUS` and the process dies. Reserving at creation turns that into a
    /// [`LimitReached`](ErrorKind::LimitReached) error from the constructor, at the price of
    /// charging the whole size to memory now. Turn it off for a large, sparsely used object.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sparse-example")?;
    /// let shm = ipc_shm::SharedMemory::builder().reserve(false).create_new(&name, 1 << 20)?;
    /// assert_eq!(shm.len(), 1 << 20);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn reserve(mut self, reserve: bool) -> Self {
        self.reserve = reserve;
        self
    }

    /// Creates the object `name` of `len` bytes; fails if it exists.
    ///
    /// # Errors
    ///
    /// As [`SharedMemory::create_new`]; [`InvalidArgument`](ErrorKind::InvalidArgument) also
    /// when `len` is less than [`min_len`](Self::min_len).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("create-example")?;
    /// let shm = ipc_shm::SharedMemory::builder().create_new(&name, 4096)?;
    /// assert!(shm.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "shm_open")]
    pub fn create_new(self, name: &ObjectName, len: usize) -> Result<SharedMemory> {
        SharedMemory::from_opened(name, object::create_new(name, len, &self)?)
    }

    /// Opens the existing object `name` read-write and maps its whole current size.
    ///
    /// # Errors
    ///
    /// As [`SharedMemory::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("open-example")?;
    /// let made = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// let shm = ipc_shm::SharedMemory::builder().open(&name)?;
    /// assert!(!shm.was_created());
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(self, name: &ObjectName) -> Result<SharedMemory> {
        let opened = object::open(name, How::ReadWrite, self.min_len, &self)?;
        SharedMemory::from_opened(name, opened)
    }

    /// Creates the object `name` of `len` bytes, or opens the object already there.
    ///
    /// # Errors
    ///
    /// As [`SharedMemory::open_or_create`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("either-example")?;
    /// let shm = ipc_shm::SharedMemory::builder().open_or_create(&name, 4096)?;
    /// assert!(shm.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_or_create(self, name: &ObjectName, len: usize) -> Result<SharedMemory> {
        SharedMemory::from_opened(name, object::open_or_create(name, len, &self)?)
    }

    /// Opens the existing object `name` read-only and maps its whole current size.
    ///
    /// # Errors
    ///
    /// As [`SharedMemory::open_read_only`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("read-only-example")?;
    /// let made = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// let shm = ipc_shm::SharedMemory::builder().min_len(4096).open_read_only(&name)?;
    /// assert_eq!(shm.len(), 4096);
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_read_only(self, name: &ObjectName) -> Result<ReadOnlySharedMemory> {
        let opened = object::open(name, How::ReadOnly, self.min_len, &self)?;
        ReadOnlySharedMemory::from_opened(name, opened)
    }
}
