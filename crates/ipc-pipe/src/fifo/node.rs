//! The FIFO node: creating it, validating it, and removing it.

use std::fmt;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use ipc_core::{
    Error, ErrorKind, NodeCheck, OpenMode, Ownership, Permissions, Result, TrustedOwner,
};
use rustix::fs::{CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// A FIFO (named pipe): a filesystem node through which unrelated processes reach one pipe.
///
/// A `Fifo` names the node; [`open_reader`](Self::open_reader) and
/// [`open_writer`](Self::open_writer) (and their `try_`, `_timeout` and `_deadline` forms) open
/// its ends as the same [`Reader`](crate::Reader) and [`Writer`](crate::Writer) an anonymous
/// pipe has: once open, a FIFO behaves exactly like a pipe.
///
/// Creating follows the workspace's vocabulary: [`create_new`](Self::create_new) fails if the
/// path exists, [`open_or_create`](Self::open_or_create) accepts an existing FIFO, and
/// [`open`](Self::open) requires one. A new node gets exactly mode `0o600` unless
/// [`Fifo::builder`] says otherwise, whatever the umask. The handle that created the node
/// removes it on drop unless [`persist`](Self::persist)ed; a handle that opened an existing
/// node never removes it.
///
/// The last component of the path is opened with `O_NOFOLLOW` and checked with `fstat` to be a
/// FIFO before any end is opened for reading or writing: a symbolic link planted there is
/// refused with [`ErrorKind::PermissionDenied`], a regular file or socket with
/// [`ErrorKind::WrongObjectType`]. Symbolic links among the directories that lead to it are
/// followed as usual, so the directory must be one that untrusted users cannot change.
/// Removing the node does not disturb ends already open.
///
/// # Examples
///
/// The FIFO program of the reference, with the writer a separate process (`sh` here):
///
/// ```
/// use std::io::Read;
/// use std::process::Command;
///
/// let dir = tempfile::tempdir()?;
/// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("myfifo"))?;
/// let mut child = Command::new("sh")
///     .arg("-c")
///     .arg(r#"printf 'Hello via FIFO!' > "$1""#)
///     .arg("sh")
///     .arg(fifo.path())
///     .spawn()?;
/// let mut reader = fifo.open_reader()?; // blocks until the child opens the FIFO to write
/// let mut text = String::new();
/// reader.read_to_string(&mut text)?;
/// assert_eq!(text, "Hello via FIFO!");
/// assert!(child.wait()?.success());
/// drop(fifo); // the creator removes the node
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`mkfifo(3)`](https://man7.org/linux/man-pages/man3/mkfifo.3.html)
/// - [`fifo(7)`](https://man7.org/linux/man-pages/man7/fifo.7.html)
pub struct Fifo {
    path: PathBuf,
    ownership: Ownership,
    /// The node's `O_PATH` descriptor, held for the handle's lifetime: it keeps the inode alive,
    /// so its number cannot be handed to a new node while `identity` is compared against it.
    _node: OwnedFd,
    /// Device and inode of the node, so a drop never removes a node that replaced ours.
    identity: (u64, u64),
    /// Who may own the node for this handle to use it.
    owner: TrustedOwner,
}

/// Options for creating a FIFO: the permission bits of a new node.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// use ipc_core::Permissions;
///
/// let dir = tempfile::tempdir()?;
/// let fifo = ipc_pipe::Fifo::builder()
///     .permissions(Permissions::from_mode(0o620)?)
///     .create_new(dir.path().join("shared"))?;
/// assert_eq!(std::fs::metadata(fifo.path())?.permissions().mode() & 0o777, 0o620);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FifoBuilder {
    permissions: Permissions,
    owner: TrustedOwner,
}

impl FifoBuilder {
    /// The permission bits of a new node (default `0o600`), set exactly with `fchmod` on the
    /// node's descriptor so the umask cannot change them.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = ipc_pipe::Fifo::builder().permissions(ipc_core::Permissions::from_mode(0o640)?);
    /// # let _ = builder;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// Accepts an existing FIFO owned by `uid` (or root) instead of the caller's own user, for
    /// a node another user's service made for this one to write into.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let me = rustix::process::geteuid().as_raw();
    /// let _fifo = ipc_pipe::Fifo::builder().trust_owner(me).open(made.path())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trust_owner(mut self, uid: u32) -> Self {
        self.owner = TrustedOwner::Uid(uid);
        self
    }

    /// Accepts an existing FIFO whoever owns it. Another user's FIFO can be read by them too,
    /// or replaced by them; use it only where that is the design.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let _fifo = ipc_pipe::Fifo::builder().trust_any_owner().open(made.path())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn trust_any_owner(mut self) -> Self {
        self.owner = TrustedOwner::Any;
        self
    }

    /// Takes the existing FIFO at `path`, with the owner this builder trusts.
    ///
    /// # Errors
    ///
    /// As [`Fifo::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let made = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let _fifo = ipc_pipe::Fifo::builder().open(made.path())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(self, path: impl Into<PathBuf>) -> Result<Fifo> {
        Fifo::make(path.into(), OpenMode::Open, self)
    }

    /// Creates the FIFO at `path`; fails if anything exists there.
    ///
    /// # Errors
    ///
    /// As [`Fifo::create_new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _fifo = ipc_pipe::Fifo::builder().create_new(dir.path().join("f"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_new(self, path: impl Into<PathBuf>) -> Result<Fifo> {
        Fifo::make(path.into(), OpenMode::CreateNew, self)
    }

    /// Creates the FIFO at `path`, or takes the FIFO already there (whose mode is left as it
    /// is, and whose owner must be one this builder trusts).
    ///
    /// # Errors
    ///
    /// As [`Fifo::open_or_create`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _fifo = ipc_pipe::Fifo::builder().open_or_create(dir.path().join("f"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_or_create(self, path: impl Into<PathBuf>) -> Result<Fifo> {
        Fifo::make(path.into(), OpenMode::OpenOrCreate, self)
    }
}

impl Fifo {
    /// Options for a new FIFO (its permission bits).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _fifo = ipc_pipe::Fifo::builder().create_new(dir.path().join("f"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> FifoBuilder {
        FifoBuilder::default()
    }

    /// Creates a FIFO at `path` with mode `0o600`; fails if anything exists there. The handle
    /// removes the node on drop unless [`persist`](Self::persist)ed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::AlreadyExists`] when the path exists (a symbolic link included: it is not
    /// followed); [`ErrorKind::NotFound`] when the directory does not exist;
    /// [`ErrorKind::PermissionDenied`] when the directory is not writable.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("jobs");
    /// let fifo = ipc_pipe::Fifo::create_new(&path)?;
    /// assert_eq!(ipc_pipe::Fifo::create_new(&path).unwrap_err().kind(), ErrorKind::AlreadyExists);
    /// drop(fifo);
    /// assert!(!path.exists(), "the creator removed the node");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "mkfifo")]
    pub fn create_new(path: impl Into<PathBuf>) -> Result<Self> {
        Self::builder().create_new(path)
    }

    /// Creates a FIFO at `path` with mode `0o600`, or takes the FIFO already there.
    ///
    /// When the node found there is removed by another process before it can be checked, the
    /// path is free again and a new node is made, three attempts in all.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WrongObjectType`] when something other than a FIFO is at the path;
    /// [`ErrorKind::PermissionDenied`] for a symbolic link; the errors of
    /// [`create_new`](Self::create_new).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("jobs");
    /// let first = ipc_pipe::Fifo::open_or_create(&path)?;
    /// let second = ipc_pipe::Fifo::open_or_create(&path)?; // takes the existing node
    /// drop(second);
    /// assert!(path.exists(), "only the creator removes the node");
    /// drop(first);
    /// assert!(!path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_or_create(path: impl Into<PathBuf>) -> Result<Self> {
        Self::builder().open_or_create(path)
    }

    /// Takes the existing FIFO at `path`, checked to be a FIFO, not a symbolic link, and owned
    /// by the caller's effective user or root ([`FifoBuilder::trust_owner`] names another). The
    /// handle never removes the node on drop.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] when nothing is at the path; [`ErrorKind::WrongObjectType`]
    /// when it is not a FIFO; [`ErrorKind::PermissionDenied`] for a symbolic link or a node
    /// owned by an untrusted user.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let file = dir.path().join("plain");
    /// std::fs::write(&file, b"")?;
    /// assert_eq!(ipc_pipe::Fifo::open(&file).unwrap_err().kind(), ErrorKind::WrongObjectType);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        Self::builder().open(path)
    }

    /// The node's path.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// assert!(fifo.path().ends_with("f"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the node in place when this handle drops.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let mut fifo = ipc_pipe::Fifo::create_new(dir.path().join("kept"))?;
    /// fifo.persist();
    /// let path = fifo.path().to_owned();
    /// drop(fifo);
    /// assert!(path.exists());
    /// ipc_pipe::Fifo::open(&path)?.unlink()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn persist(&mut self) {
        self.ownership.persist();
    }

    /// Removes the node now (whoever created it). Ends already open keep working; new opens
    /// fail with [`ErrorKind::NotFound`]. The drop then has nothing left to remove.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] when the node is already gone;
    /// [`ErrorKind::WrongObjectType`] when another node replaced it at the path (it is left
    /// alone); [`ErrorKind::PermissionDenied`] when the directory is not writable.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let mut fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// fifo.unlink()?;
    /// assert!(!fifo.path().exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unlink(&mut self) -> Result<()> {
        self.ownership.take_removal();
        self.remove_if_ours()
    }

    /// The shared body of the constructors.
    fn make(path: PathBuf, mode: OpenMode, options: FifoBuilder) -> Result<Self> {
        let operation = match mode {
            OpenMode::Open => "open",
            OpenMode::CreateNew => "create_new",
            OpenMode::OpenOrCreate => "open_or_create",
        };
        let mut attempt = 1;
        loop {
            let created = match mode {
                OpenMode::Open => None,
                OpenMode::CreateNew | OpenMode::OpenOrCreate => {
                    // Created owner-only; the exact bits are set below through the descriptor.
                    match rustix::fs::mkfifoat(CWD, &path, Mode::RUSR | Mode::WUSR) {
                        // The identity of the node made, for the cleanup below to recognise it.
                        Ok(()) => match rustix::fs::lstat(&path) {
                            Ok(stat) => Some((stat.st_dev, stat.st_ino)),
                            // Removed already by another process: make it again.
                            Err(_) if attempt < CREATE_ATTEMPTS => {
                                attempt += 1;
                                continue;
                            }
                            Err(errno) => {
                                return Err(Error::from_errno(operation, path.as_path(), errno));
                            }
                        },
                        Err(Errno::EXIST) if mode == OpenMode::OpenOrCreate => None,
                        Err(errno) => {
                            return Err(Error::from_errno(operation, path.as_path(), errno));
                        }
                    }
                }
            };
            let (node, stat) = match Self::validate(&path, options.owner, operation) {
                Ok(validated) => validated,
                // The node mkfifo found (EEXIST) was removed before it could be validated: the
                // path is free again, so create it.
                Err(err)
                    if created.is_none()
                        && mode == OpenMode::OpenOrCreate
                        && err.kind() == ErrorKind::NotFound
                        && attempt < CREATE_ATTEMPTS =>
                {
                    attempt += 1;
                    continue;
                }
                Err(err) => {
                    if let Some(ours) = created {
                        // The node we made must not outlive the failed constructor, and a node
                        // that replaced it must not be removed in its place.
                        let _ = unlink_if(&path, ours, operation);
                    }
                    return Err(err);
                }
            };
            let identity = (stat.st_dev, stat.st_ino);
            let created = match created {
                Some(ours) if ours == identity => true,
                // Another process replaced our node between mkfifo and the validation: the
                // node validated is theirs.
                Some(_) if mode == OpenMode::CreateNew => {
                    return Err(Error::new(ErrorKind::AlreadyExists, operation)
                        .with_object(path.as_path())
                        .with_detail(
                            "another process replaced the new FIFO before it could be checked",
                        ));
                }
                Some(_) | None => false,
            };
            if created
                && let Err(err) =
                    apply_permissions(&node, &path, identity, options.permissions, operation)
            {
                let _ = unlink_if(&path, identity, operation);
                return Err(err);
            }
            return Ok(Self {
                _node: node,
                path,
                ownership: Ownership::created(created),
                identity,
                owner: options.owner,
            });
        }
    }

    /// Opens the node at `path` as an `O_PATH` descriptor without following a symbolic link,
    /// and checks with `fstat` that it is a FIFO whose owner `owner` accepts. The descriptor
    /// pins the inode, so later opens through it reach exactly the node that was checked.
    fn validate(
        path: &Path,
        owner: TrustedOwner,
        operation: &'static str,
    ) -> Result<(OwnedFd, Stat)> {
        let node = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|errno| Error::from_errno_creating_fd(operation, path, errno))?;
        let stat =
            rustix::fs::fstat(&node).map_err(|errno| Error::from_errno(operation, path, errno))?;
        // Only an O_PATH | O_NOFOLLOW open meets the link itself; say why it is refused.
        if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink {
            return Err(Error::new(ErrorKind::PermissionDenied, operation)
                .with_object(path)
                .with_detail("is a symbolic link; FIFOs are opened with O_NOFOLLOW"));
        }
        NodeCheck::new(FileType::Fifo, "a FIFO")
            .owned_by(owner, "FifoBuilder::trust_owner")
            .check(&stat, operation, path)?;
        Ok((node, stat))
    }

    /// Validates the node again for this handle (`O_PATH` descriptor and `fstat`), for
    /// `operation`.
    pub(super) fn revalidate(&self, operation: &'static str) -> Result<(OwnedFd, Stat)> {
        Self::validate(&self.path, self.owner, operation)
    }

    /// Removes the node if the path still names the node this handle validated.
    fn remove_if_ours(&self) -> Result<()> {
        unlink_if(&self.path, self.identity, "unlink")
    }
}

/// How many times a constructor makes the node again when another process removes it between
/// two steps: a node removed that often is being fought over, which is an error to report.
const CREATE_ATTEMPTS: u32 = 3;

/// Removes the node at `path` if it is the node `identity` names (device, inode); one that
/// replaced it is left alone.
fn unlink_if(path: &Path, identity: (u64, u64), operation: &'static str) -> Result<()> {
    ipc_core::unlink_if_same(path, identity, operation, path)
}

impl Drop for Fifo {
    fn drop(&mut self) {
        if self.ownership.take_removal() {
            // A drop cannot report; a node that is already gone or was replaced is left as is.
            let _ = self.remove_if_ours();
        }
    }
}

impl fmt::Debug for Fifo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fifo")
            .field("path", &self.path)
            .field("ownership", &self.ownership)
            .finish()
    }
}

/// Sets exactly `permissions` on the new node. `fchmod(2)` refuses an `O_PATH` descriptor, so
/// the mode is set through the descriptor's `/proc/self/fd` link, which names the very inode
/// that was validated; without `/proc`, a non-blocking read-only open by path gives a
/// descriptor `fchmod` accepts (it cannot block, and nobody can be waiting on a node this call
/// created), once `fstat` shows it is the node `identity` names.
fn apply_permissions(
    node: &OwnedFd,
    path: &Path,
    identity: (u64, u64),
    permissions: Permissions,
    operation: &'static str,
) -> Result<()> {
    use std::os::fd::AsRawFd;
    let link = format!("/proc/self/fd/{}", node.as_raw_fd());
    match rustix::fs::chmod(link.as_str(), Mode::from_raw_mode(permissions.mode())) {
        Ok(()) => Ok(()),
        Err(Errno::NOENT) => {
            let fd = rustix::fs::open(
                path,
                OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|errno| Error::from_errno_creating_fd(operation, path, errno))?;
            let stat = rustix::fs::fstat(&fd)
                .map_err(|errno| Error::from_errno(operation, path, errno))?;
            if (stat.st_dev, stat.st_ino) != identity {
                return Err(replaced(operation, path));
            }
            permissions.apply(fd.as_fd(), operation, path)
        }
        Err(errno) => Err(Error::from_errno(operation, path, errno)),
    }
}

/// The error of an open that found another node at the path than the one validated.
pub(super) fn replaced(operation: &'static str, path: &Path) -> Error {
    Error::new(ErrorKind::WrongObjectType, operation)
        .with_object(path)
        .with_detail("another node replaced the FIFO at this path while it was being opened")
}
