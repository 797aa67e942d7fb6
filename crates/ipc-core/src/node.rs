//! Removing a filesystem node only while it is still the one a handle created.

use std::path::Path;

use crate::{Error, ErrorKind, Object, Result};

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
    use std::os::unix::fs::MetadataExt;

    use super::*;

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
