//! Options for reaching a mapped file by path: permissions of a new file, trusted owners.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, Object, OpenMode, Permissions, Result, TrustedOwner};

use super::mapped::{MappedFile, map_raw};
use super::node::{Node, OPEN, Reached, Request};
use crate::read_only::ReadOnlyRegion;

/// Options for reaching a mapped file: the permission bits of a new file, and whose existing
/// file is accepted.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// use ipc_core::Permissions;
/// use ipc_shm::MappedFile;
///
/// let dir = tempfile::tempdir()?;
/// let file = MappedFile::builder()
///     .permissions(Permissions::from_mode(0o640)?)
///     .create_new(dir.path().join("shared"), 4096)?;
/// let mode = std::fs::metadata(file.path().unwrap())?.permissions().mode();
/// assert_eq!(mode & 0o777, 0o640);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MappedFileBuilder {
    permissions: Permissions,
    owner: TrustedOwner,
}

impl MappedFileBuilder {
    /// The permission bits of a new file (default `0o600`), set exactly with `fchmod`.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = ipc_shm::MappedFile::builder()
    ///     .permissions(ipc_core::Permissions::from_mode(0o644)?);
    /// # let _ = builder;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// Accepts an existing file owned by `uid` (or root) instead of the caller's own user.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_shm::MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// let me = rustix::process::geteuid().as_raw();
    /// let _file = ipc_shm::MappedFile::builder().trust_owner(me).open(made.path().unwrap())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trust_owner(mut self, uid: u32) -> Self {
        self.owner = TrustedOwner::Uid(uid);
        self
    }

    /// Accepts an existing file whoever owns it. Its owner can truncate it under the mapping
    /// (see [`MappedFile`]'s `# SIGBUS`) or change its mode; use this only where that is the
    /// design.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_shm::MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// let _file = ipc_shm::MappedFile::builder().trust_any_owner().open(made.path().unwrap())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trust_any_owner(mut self) -> Self {
        self.owner = TrustedOwner::Any;
        self
    }

    /// Creates the file at `path` with `len` zero bytes and maps it; fails if anything exists
    /// there.
    ///
    /// # Errors
    ///
    /// As [`MappedFile::create_new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _file = ipc_shm::MappedFile::builder().create_new(dir.path().join("f"), 4096)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_new(self, path: impl Into<PathBuf>, len: usize) -> Result<MappedFile> {
        self.reach(path.into(), OpenMode::CreateNew, len)
    }

    /// Maps the existing file at `path`, whole.
    ///
    /// # Errors
    ///
    /// As [`MappedFile::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_shm::MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// assert_eq!(ipc_shm::MappedFile::builder().open(made.path().unwrap())?.len(), 4096);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(self, path: impl Into<PathBuf>) -> Result<MappedFile> {
        self.reach(path.into(), OpenMode::Open, 1)
    }

    /// Creates the file at `path` with `len` bytes, or maps the one already there (which must
    /// hold at least `len` bytes).
    ///
    /// # Errors
    ///
    /// As [`MappedFile::open_or_create`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _file = ipc_shm::MappedFile::builder().open_or_create(dir.path().join("f"), 4096)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_or_create(self, path: impl Into<PathBuf>, len: usize) -> Result<MappedFile> {
        self.reach(path.into(), OpenMode::OpenOrCreate, len)
    }

    /// Maps the existing file at `path`, whole and read-only.
    ///
    /// # Errors
    ///
    /// As [`MappedFile::open_read_only`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_shm::MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// let region = ipc_shm::MappedFile::builder().open_read_only(made.path().unwrap())?;
    /// assert_eq!(region.len(), 4096);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read_only(self, path: impl AsRef<Path>) -> Result<ReadOnlyRegion> {
        let path = path.as_ref();
        let reached = Node::reach(path.to_owned(), self.request(OpenMode::Open, false, 1))?;
        ReadOnlyRegion::map(
            reached.file.as_fd(),
            reached.len,
            "mmap",
            Object::from(path),
        )
    }

    fn request(self, mode: OpenMode, writable: bool, len: usize) -> Request {
        Request {
            mode,
            writable,
            len,
            permissions: self.permissions,
            owner: self.owner,
        }
    }

    fn reach(self, path: PathBuf, mode: OpenMode, len: usize) -> Result<MappedFile> {
        if len == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, OPEN)
                .with_object(path.as_path())
                .with_detail("a mapped file needs at least one byte"));
        }
        let object = Object::from(path.as_path());
        let Reached {
            mut node,
            file,
            len,
        } = Node::reach(path, self.request(mode, true, len))?;
        match map_raw(file.as_fd(), len, object.clone()) {
            Ok(map) => Ok(MappedFile::from_parts(map, object, file, Some(node))),
            Err(err) => {
                if node.ownership.take_removal() {
                    let _ = node.remove_if_ours();
                }
                Err(err)
            }
        }
    }
}
