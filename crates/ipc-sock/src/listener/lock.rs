//! The lock file beside a listener's socket path: held for the listener's lifetime, so a
//! successor that can take it knows the previous listener is dead.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, NodeCheck, Permissions, Result, TrustedOwner, unlink_if_same};
use rustix::fs::{CWD, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

/// How many times the lock is taken again when its file was removed or replaced between our
/// `open` and our `flock` (the previous holder was dropping, and removed it).
const ATTEMPTS: u32 = 3;

/// An exclusive `flock` on `<socket path>.lock`, held until drop, which removes the file
/// (while still holding the lock, and only while the path still names our file).
///
/// `flock` locks belong to the open file description, so the kernel releases this one when
/// the process dies however it dies: a lock that can be taken proves that whoever held it is
/// gone. The file is opened with `O_NOFOLLOW | O_CLOEXEC` and checked with `fstat` (a
/// regular file, owned by a user the builder trusts), as every named object here.
#[derive(Debug)]
pub(super) struct PathLock {
    path: PathBuf,
    /// Device and inode of the lock file, for the identity checks.
    identity: (u64, u64),
    /// Whether this call created the file: then no listener of ours used the path before.
    created: bool,
    /// The locked descriptor; closing it releases the lock.
    _fd: OwnedFd,
}

impl PathLock {
    /// The lock file's path for `socket_path`: the same path with `.lock` appended.
    pub(super) fn path_for(socket_path: &Path) -> PathBuf {
        let mut name = OsString::from(socket_path.as_os_str());
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock beside `socket_path` without waiting.
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): a live listener holds it.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied): a symbolic link is at the lock
    ///   path, or the file belongs to a user `owner` does not accept, or the directory is not
    ///   writable.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType): something other than a regular file
    ///   is at the lock path.
    pub(super) fn acquire(
        socket_path: &Path,
        owner: TrustedOwner,
        operation: &'static str,
    ) -> Result<Self> {
        let path = Self::path_for(socket_path);
        for _ in 0..ATTEMPTS {
            let Some((fd, created)) = open(&path, operation)? else {
                continue;
            };
            let stat = rustix::fs::fstat(&fd)
                .map_err(|errno| Error::from_errno(operation, path.as_path(), errno))?;
            NodeCheck::new(FileType::RegularFile, "a lock file")
                .owned_by(owner, "UnixListenerBuilder::trust_owner")
                .check(&stat, operation, path.as_path())?;
            let identity = (stat.st_dev, stat.st_ino);
            if created {
                // Exactly 0o600 whatever the umask; a failure here leaves our new file behind
                // unless it is removed.
                if let Err(err) =
                    Permissions::OWNER_ONLY.apply(fd.as_fd(), operation, path.as_path())
                {
                    let _ = unlink_if_same(&path, identity, operation, path.as_path());
                    return Err(err);
                }
            }
            match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(Errno::WOULDBLOCK) => {
                    return Err(Error::new(ErrorKind::AlreadyExists, operation)
                        .with_object(socket_path)
                        .with_detail(format!(
                            "a live listener holds the lock {}; it is left alone",
                            path.display()
                        )));
                }
                Err(errno) => return Err(Error::from_errno(operation, path.as_path(), errno)),
            }
            // The previous holder removes the file while holding the lock and then closes it:
            // a lock taken on a file that no longer has our name proves nothing, so take it
            // again on whatever the name holds now.
            match rustix::fs::lstat(&path) {
                Ok(now) if (now.st_dev, now.st_ino) == identity => {
                    return Ok(Self {
                        path,
                        identity,
                        created,
                        _fd: fd,
                    });
                }
                Ok(_) | Err(Errno::NOENT) => {}
                Err(errno) => return Err(Error::from_errno(operation, path.as_path(), errno)),
            }
        }
        Err(Error::new(ErrorKind::Other, operation)
            .with_object(path.as_path())
            .with_detail(format!(
                "the lock file was removed or replaced {ATTEMPTS} times while it was being taken"
            )))
    }

    /// Whether this call created the lock file, so no listener of ours held the path before.
    pub(super) fn created(&self) -> bool {
        self.created
    }

    /// The lock file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PathLock {
    /// Removes the lock file while the lock is still held (the descriptor closes after), and
    /// only while the path still names our file. A failure cannot be reported from a drop; a
    /// file left behind is harmless, since the next listener takes its lock.
    fn drop(&mut self) {
        let _ = unlink_if_same(&self.path, self.identity, "unlink", self.path.as_path());
    }
}

/// Opens the lock file, creating it (mode `0o600`) if missing: the descriptor and whether it
/// was created, or `None` when the file vanished between the two opens (try again).
fn open(path: &Path, operation: &'static str) -> Result<Option<(OwnedFd, bool)>> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let refuse = |errno: Errno| match errno {
        Errno::LOOP => Error::from_errno_as(ErrorKind::PermissionDenied, operation, path, errno)
            .with_detail("is a symbolic link; it is not followed"),
        _ => Error::from_errno(operation, path, errno),
    };
    let mode = Mode::from_raw_mode(0o600);
    match rustix::fs::openat(CWD, path, flags | OFlags::CREATE | OFlags::EXCL, mode) {
        Ok(fd) => return Ok(Some((fd, true))),
        Err(Errno::EXIST) => {}
        Err(errno) => return Err(refuse(errno)),
    }
    match rustix::fs::openat(CWD, path, flags, Mode::empty()) {
        Ok(fd) => Ok(Some((fd, false))),
        Err(Errno::NOENT) => Ok(None),
        Err(errno) => Err(refuse(errno)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_not_taken_twice_and_is_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        let sut = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap();
        assert!(sut.created());
        let err = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
        let path = sut.path().to_owned();
        assert!(path.exists());
        drop(sut);
        assert!(!path.exists());
    }

    #[test]
    fn a_lock_file_left_behind_is_taken_and_known_as_old() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        std::fs::write(PathLock::path_for(&socket), b"").unwrap();
        let sut = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap();
        assert!(!sut.created());
    }

    #[test]
    fn a_symlink_at_the_lock_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        let target = dir.path().join("target");
        std::os::unix::fs::symlink(&target, PathLock::path_for(&socket)).unwrap();
        let err = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(!target.exists());
    }
}
