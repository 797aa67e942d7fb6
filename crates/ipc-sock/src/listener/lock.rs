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
    /// The lock file's owner (`st_uid`).
    owner: u32,
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
            let taken = lock(socket_path, &path, &fd, created, owner, operation);
            let (identity, uid) = match taken {
                Ok(Taken::Held { identity, owner }) => (identity, owner),
                Ok(Taken::Moved) => continue,
                Err((err, leave)) => {
                    if created {
                        leave.remove(&path, operation);
                    }
                    return Err(err);
                }
            };
            return Ok(Self {
                path,
                identity,
                created,
                owner: uid,
                _fd: fd,
            });
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

    /// The user that owns the lock file.
    pub(super) fn owner(&self) -> u32 {
        self.owner
    }
}

/// What became of a lock taken on an open lock file.
enum Taken {
    /// The lock is held on the file the path still names.
    Held {
        /// Its device and inode.
        identity: (u64, u64),
        /// Its owner (`st_uid`).
        owner: u32,
    },
    /// The file was removed or replaced before the lock was taken: try again.
    Moved,
}

/// What to do with a lock file this call created, when taking its lock failed.
#[derive(Debug, Clone, Copy)]
enum Leave {
    /// Remove it if the path still names this file (device and inode).
    Same((u64, u64)),
    /// Remove whatever the path names (`fstat` failed, so the identity is unknown; the name
    /// was ours a moment ago).
    Path,
    /// Leave it: another listener took its lock first, so it is that listener's lock now.
    Alone,
}

impl Leave {
    /// Removes a lock file this call created, as `self` says. A failure is not reported: the
    /// error that made the bind fail is.
    fn remove(self, path: &Path, operation: &'static str) {
        let _ = match self {
            Self::Same(identity) => unlink_if_same(path, identity, operation, path),
            Self::Path => {
                rustix::fs::unlink(path).map_err(|errno| Error::from_errno(operation, path, errno))
            }
            Self::Alone => Ok(()),
        };
    }
}

/// Checks the open lock file `fd` at `path`, gives a file this call `created` its exact mode,
/// and locks it. An error comes with what to do with a file this call created.
fn lock(
    socket_path: &Path,
    path: &Path,
    fd: &OwnedFd,
    created: bool,
    owner: TrustedOwner,
    operation: &'static str,
) -> std::result::Result<Taken, (Error, Leave)> {
    let stat = rustix::fs::fstat(fd)
        .map_err(|errno| (Error::from_errno(operation, path, errno), Leave::Path))?;
    let identity = (stat.st_dev, stat.st_ino);
    let same = |err: Error| (err, Leave::Same(identity));
    NodeCheck::new(FileType::RegularFile, "a lock file")
        .owned_by(owner, "UnixListenerBuilder::trust_owner")
        .check(&stat, operation, path)
        .map_err(same)?;
    if created {
        // Exactly 0o600 whatever the umask.
        Permissions::OWNER_ONLY
            .apply(fd.as_fd(), operation, path)
            .map_err(same)?;
    }
    match rustix::fs::flock(fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(Errno::WOULDBLOCK) => {
            let err = Error::new(ErrorKind::AlreadyExists, operation)
                .with_object(socket_path)
                .with_detail(format!(
                    "a live listener holds the lock {}; it is left alone",
                    path.display()
                ));
            return Err((err, Leave::Alone));
        }
        Err(errno) => return Err(same(Error::from_errno(operation, path, errno))),
    }
    // The previous holder removes the file while holding the lock and then closes it: a lock
    // taken on a file that no longer has our name proves nothing, so take it again on
    // whatever the name holds now.
    match rustix::fs::lstat(path) {
        Ok(now) if (now.st_dev, now.st_ino) == identity => Ok(Taken::Held {
            identity,
            owner: stat.st_uid,
        }),
        Ok(_) | Err(Errno::NOENT) => Ok(Taken::Moved),
        Err(errno) => Err(same(Error::from_errno(operation, path, errno))),
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
