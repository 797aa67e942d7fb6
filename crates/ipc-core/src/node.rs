//! Filesystem nodes reached by name or received as descriptors: checking what one is and who
//! owns it before it is used, and removing one only while it is still the one a handle created.

use std::path::Path;

use rustix::fs::{FileType, Stat};

use crate::{Error, ErrorKind, Object, Result, TrustedOwner};

/// What an opened node must be before it is used: its file type and, for a node reached by
/// name in a shared namespace, an owner the caller trusts. [`check`](Self::check) applies it to
/// the node's `fstat`.
///
/// The file type is checked first: a node of another type is
/// [`WrongObjectType`](ErrorKind::WrongObjectType) (`is a directory, not a FIFO`). Then the owner
/// (`st_uid`), when [`owned_by`](Self::owned_by) names a policy: a node whose owner the policy
/// does not accept is [`PermissionDenied`](ErrorKind::PermissionDenied), and the error names
/// the uid and the builder method that trusts another user. Without `owned_by` any owner is
/// accepted, as for a descriptor another process handed over.
///
/// The type is named as `fstat` shows it; a FIFO seen through a descriptor
/// ([`Object::Fd`]) is called a "pipe or FIFO", because `fstat` cannot tell the two apart.
///
/// # Examples
///
/// ```
/// use ipc_core::{ErrorKind, NodeCheck, TrustedOwner};
/// use rustix::fs::FileType;
///
/// let dir = tempfile::tempdir()?;
/// let stat = rustix::fs::stat(dir.path())?;
/// let err = NodeCheck::new(FileType::Fifo, "a FIFO")
///     .owned_by(TrustedOwner::default(), "FifoBuilder::trust_owner")
///     .check(&stat, "open", dir.path())
///     .unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::WrongObjectType);
/// assert!(err.to_string().ends_with("is a directory, not a FIFO"), "{err}");
///
/// NodeCheck::new(FileType::Directory, "a directory").check(&stat, "open", dir.path())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`fstat(2)`](https://man7.org/linux/man-pages/man2/fstat.2.html)
/// - [`inode(7)`](https://man7.org/linux/man-pages/man7/inode.7.html) (the file types)
#[derive(Debug, Clone, Copy)]
#[must_use = "a NodeCheck does nothing until check() applies it"]
pub struct NodeCheck {
    file_type: FileType,
    called: &'static str,
    owner: TrustedOwner,
    trust_with: &'static str,
}

impl NodeCheck {
    /// A check that the node is of `file_type`, which errors call `called` (`"a FIFO"`,
    /// `"a memfd"`: the message reads `is a socket, not a memfd`). Any owner is accepted until
    /// [`owned_by`](Self::owned_by) says otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::NodeCheck;
    /// use rustix::fs::FileType;
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// let stat = rustix::fs::fstat(file.as_file())?;
    /// NodeCheck::new(FileType::RegularFile, "a regular file").check(&stat, "open", file.path())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(file_type: FileType, called: &'static str) -> Self {
        Self {
            file_type,
            called,
            owner: TrustedOwner::Any,
            trust_with: "",
        }
    }

    /// Requires an owner `owner` accepts; the error for another owner points to `trust_with`,
    /// the builder method that trusts one (`"FifoBuilder::trust_owner"`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, NodeCheck, TrustedOwner};
    /// use rustix::fs::FileType;
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// let mut stat = rustix::fs::fstat(file.as_file())?;
    /// stat.st_uid = 4242; // as if another user had made it
    /// let err = NodeCheck::new(FileType::RegularFile, "a regular file")
    ///     .owned_by(TrustedOwner::Uid(1000), "MappedFileBuilder::trust_owner")
    ///     .check(&stat, "open", file.path())
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    /// assert!(err.to_string().contains("uid 4242"), "{err}");
    /// assert!(err.to_string().contains("(see MappedFileBuilder::trust_owner)"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn owned_by(mut self, owner: TrustedOwner, trust_with: &'static str) -> Self {
        self.owner = owner;
        self.trust_with = trust_with;
        self
    }

    /// Checks the node `stat` describes (from `fstat` on the opened node), naming `operation`
    /// and `object` in the error.
    ///
    /// # Errors
    ///
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when the node is not of the file type
    ///   asked for.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when its owner is not accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use ipc_core::{ErrorKind, NodeCheck, Object};
    /// use rustix::fs::FileType;
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let stat = rustix::fs::fstat(&reader)?;
    /// let err = NodeCheck::new(FileType::RegularFile, "a memfd")
    ///     .check(&stat, "memfd_from_fd", Object::fd(reader.as_fd()))
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WrongObjectType);
    /// assert!(err.to_string().ends_with("is a pipe or FIFO, not a memfd"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(
        self,
        stat: &Stat,
        operation: &'static str,
        object: impl Into<Object>,
    ) -> Result<()> {
        let object = object.into();
        let found = FileType::from_raw_mode(stat.st_mode);
        if found != self.file_type {
            let found = describe(found, matches!(object, Object::Fd(_)));
            return Err(Error::new(ErrorKind::WrongObjectType, operation)
                .with_object(object)
                .with_detail(format!("is a {found}, not {}", self.called)));
        }
        if !self.owner.accepts(stat.st_uid) {
            return Err(Error::new(ErrorKind::PermissionDenied, operation)
                .with_object(object)
                .with_detail(format!(
                    "is owned by uid {}, a user this handle does not trust (see {})",
                    stat.st_uid, self.trust_with
                )));
        }
        Ok(())
    }
}

/// The name of a file type, for errors; `through_fd` when the node was reached through a
/// descriptor, where a FIFO may as well be an anonymous pipe.
fn describe(file_type: FileType, through_fd: bool) -> &'static str {
    match file_type {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Symlink => "symbolic link",
        FileType::Fifo if through_fd => "pipe or FIFO",
        FileType::Fifo => "FIFO",
        _ => "file of unknown type",
    }
}

/// Removes the node at `path` if it is still the node `identity` names (its `st_dev`,
/// `st_ino`); a node that replaced it is left alone and reported as
/// [`WrongObjectType`](ErrorKind::WrongObjectType).
///
/// A creator that removes its FIFO, file or shared memory object on drop must not remove a
/// stranger's node that took the name after ours was unlinked by someone else. Inode numbers are
/// reused as soon as a node is freed, so the caller keeps a descriptor of its node open (which
/// keeps the inode, and so the number, taken) for as long as it compares against `identity`.
/// The check and the `unlink` are two steps: a replacement made between them is still removed,
/// a window no path-based call can close.
///
/// `object` names the node in errors (a POSIX name like `/jobs` rather than its path under
/// `/dev/shm`, say).
///
/// # Errors
///
/// - [`NotFound`](ErrorKind::NotFound) when nothing is at `path` any more.
/// - [`WrongObjectType`](ErrorKind::WrongObjectType) when another node is there.
/// - [`PermissionDenied`](ErrorKind::PermissionDenied) when the directory forbids removal.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::MetadataExt;
/// use ipc_core::{ErrorKind, unlink_if_same};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("node");
/// std::fs::write(&path, b"ours")?;
/// let ours = std::fs::File::open(&path)?; // keeps the inode number taken
/// let identity = (ours.metadata()?.dev(), ours.metadata()?.ino());
///
/// std::fs::remove_file(&path)?;
/// std::fs::write(&path, b"a stranger's")?;
/// let err = unlink_if_same(&path, identity, "unlink", path.as_path()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::WrongObjectType);
/// assert!(path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unlink_if_same(
    path: &Path,
    identity: (u64, u64),
    operation: &'static str,
    object: impl Into<Object>,
) -> Result<()> {
    let object = object.into();
    let stat = match rustix::fs::lstat(path) {
        Ok(stat) => stat,
        Err(errno) => return Err(Error::from_errno(operation, object, errno)),
    };
    if (stat.st_dev, stat.st_ino) != identity {
        return Err(Error::new(ErrorKind::WrongObjectType, operation)
            .with_object(object)
            .with_detail("another node has replaced ours at this name; it was left alone"));
    }
    rustix::fs::unlink(path).map_err(|errno| Error::from_errno(operation, object, errno))
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn stat_of(path: &Path) -> Stat {
        rustix::fs::lstat(path).unwrap()
    }

    #[test]
    fn a_node_of_the_expected_type_and_a_trusted_owner_passes() {
        let dir = tempfile::tempdir().unwrap();
        let sut = NodeCheck::new(FileType::Directory, "a directory")
            .owned_by(TrustedOwner::CallerOrRoot, "Builder::trust_owner");
        sut.check(&stat_of(dir.path()), "open", dir.path()).unwrap();
    }

    #[test]
    fn a_node_of_another_type_is_the_wrong_object_type_and_says_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let sut = NodeCheck::new(FileType::RegularFile, "a regular file");
        let err = sut
            .check(&stat_of(dir.path()), "open", dir.path())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongObjectType);
        assert!(
            err.to_string()
                .ends_with(": wrong object type: is a directory, not a regular file"),
            "{err}"
        );
    }

    #[test]
    fn the_type_is_checked_before_the_owner() {
        let dir = tempfile::tempdir().unwrap();
        let stat = stat_of(dir.path());
        let stranger = stat.st_uid.wrapping_add(1).max(1);
        let sut = NodeCheck::new(FileType::Fifo, "a FIFO")
            .owned_by(TrustedOwner::Uid(stranger), "FifoBuilder::trust_owner");
        let err = sut.check(&stat, "open", dir.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    }

    #[test]
    fn an_untrusted_owner_is_permission_denied_naming_the_uid_and_the_remedy() {
        let dir = tempfile::tempdir().unwrap();
        let mut stat = stat_of(dir.path());
        stat.st_uid = 4242;
        let sut = NodeCheck::new(FileType::Directory, "a directory")
            .owned_by(TrustedOwner::Uid(1000), "FifoBuilder::trust_owner");
        let err = sut.check(&stat, "open", dir.path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(
            err.to_string().ends_with(
                "is owned by uid 4242, a user this handle does not trust \
                 (see FifoBuilder::trust_owner)"
            ),
            "{err}"
        );
        NodeCheck::new(FileType::Directory, "a directory")
            .check(&stat, "open", dir.path())
            .unwrap();
    }

    #[test]
    fn a_fifo_is_called_a_pipe_or_fifo_only_through_a_descriptor() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let stat = rustix::fs::fstat(&reader).unwrap();
        let sut = NodeCheck::new(FileType::RegularFile, "a memfd");
        let by_fd = sut
            .check(&stat, "open", Object::fd(reader.as_fd()))
            .unwrap_err();
        assert!(
            by_fd
                .to_string()
                .ends_with("is a pipe or FIFO, not a memfd"),
            "{by_fd}"
        );
        let by_name = sut.check(&stat, "open", "/jobs").unwrap_err();
        assert!(
            by_name.to_string().ends_with("is a FIFO, not a memfd"),
            "{by_name}"
        );
    }

    #[test]
    fn our_node_is_removed_and_a_missing_one_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node");
        std::fs::write(&path, b"x").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        unlink_if_same(&path, (meta.dev(), meta.ino()), "unlink", path.as_path()).unwrap();
        assert!(!path.exists());
        let err =
            unlink_if_same(&path, (meta.dev(), meta.ino()), "unlink", path.as_path()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
