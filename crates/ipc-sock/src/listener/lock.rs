//! The lock file beside a listener's socket path: held for the listener's lifetime, so a
//! successor that can take it knows the previous listener is dead.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, NodeCheck, Permissions, Result, TrustedOwner, unlink_if_same};
use rustix::fs::{CWD, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

/// The end of the line a holder writes into the lock file once it holds the lock, after its
/// pid: a lock file that ends so was held by a listener of ours, which is dead if we could
/// take the lock.
const MARKER: &str = " ipc-sock listener\n";

/// How many bytes of a lock file are read for the marker; a longer file is no marker of ours.
const MARKER_MAX: usize = 64;

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
///
/// Whether a listener of ours held the path before is read from the file, not from who
/// created it: the holder writes `<pid> ipc-sock listener` into it once it holds the lock.
/// Who created the file proves nothing under concurrent binds (A creates the file, B opens
/// it as existing and takes the lock before A does), while a file that holds the marker was
/// held by a listener (a file can only be written by its owner, whom the caller trusts), and
/// an empty one counts as just created.
#[derive(Debug)]
pub(super) struct PathLock {
    path: PathBuf,
    /// Device and inode of the lock file, for the identity checks.
    identity: (u64, u64),
    /// Whether the file held a holder's marker when the lock was taken: then a listener of
    /// ours held the path before, and is dead.
    held_before: bool,
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
            let Some((fd, created, writable)) = open(&path, operation)? else {
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
            let held_before = has_marker(&read_head(&fd));
            if writable {
                // Best effort: a marker that cannot be written only makes the successor more
                // careful (it will not take a socket file as this listener's).
                write_marker(&fd);
            }
            return Ok(Self {
                path,
                identity,
                held_before,
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

    /// Whether a listener of ours held the lock before (the file held its marker), so a
    /// socket file at the path may be that dead listener's.
    pub(super) fn held_before(&self) -> bool {
        self.held_before
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

/// The first [`MARKER_MAX`] bytes of the lock file (fewer when it is shorter; none when it
/// cannot be read, which proves nothing either).
fn read_head(fd: &OwnedFd) -> Vec<u8> {
    let mut head = vec![0; MARKER_MAX + 1];
    let read = rustix::io::pread(fd, &mut head, 0).unwrap_or(0);
    head.truncate(read);
    head
}

/// Whether `content` is a holder's marker: a pid, then [`MARKER`], and nothing else.
fn has_marker(content: &[u8]) -> bool {
    if content.len() > MARKER_MAX {
        return false;
    }
    content
        .strip_suffix(MARKER.as_bytes())
        .is_some_and(|pid| !pid.is_empty() && pid.iter().all(u8::is_ascii_digit))
}

/// The marker this process writes: its pid and [`MARKER`].
fn marker() -> String {
    format!("{}{MARKER}", std::process::id())
}

/// Replaces the lock file's content with this process's [`marker`]. Failures are ignored
/// (see [`PathLock::acquire`]).
fn write_marker(fd: &OwnedFd) {
    let marker = marker();
    if rustix::fs::ftruncate(fd, 0).is_ok() {
        let _ = rustix::io::pwrite(fd, marker.as_bytes(), 0);
    }
}

/// Opens the lock file, creating it (mode `0o600`) if missing: the descriptor, whether it
/// was created and whether it is open for writing (an existing file we may not write is
/// opened read-only: the lock works all the same, but no marker is written), or `None` when
/// the file vanished between the two opens (try again).
fn open(path: &Path, operation: &'static str) -> Result<Option<(OwnedFd, bool, bool)>> {
    let flags = OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let refuse = |errno: Errno| match errno {
        Errno::LOOP => Error::from_errno_as(ErrorKind::PermissionDenied, operation, path, errno)
            .with_detail("is a symbolic link; it is not followed"),
        _ => Error::from_errno(operation, path, errno),
    };
    let mode = Mode::from_raw_mode(0o600);
    let create = flags | OFlags::RDWR | OFlags::CREATE | OFlags::EXCL;
    match rustix::fs::openat(CWD, path, create, mode) {
        Ok(fd) => return Ok(Some((fd, true, true))),
        Err(Errno::EXIST) => {}
        Err(errno) => return Err(refuse(errno)),
    }
    for (access, writable) in [(OFlags::RDWR, true), (OFlags::RDONLY, false)] {
        match rustix::fs::openat(CWD, path, flags | access, Mode::empty()) {
            Ok(fd) => return Ok(Some((fd, false, writable))),
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::ACCESS) if writable => {}
            Err(errno) => return Err(refuse(errno)),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_not_taken_twice_and_is_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        let sut = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap();
        assert!(!sut.held_before());
        let err = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
        let path = sut.path().to_owned();
        assert!(path.exists());
        drop(sut);
        assert!(!path.exists());
    }

    #[test]
    fn a_lock_file_left_behind_with_a_marker_is_taken_and_known_as_held_before() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        let path = PathLock::path_for(&socket);
        std::fs::write(&path, b"12345 ipc-sock listener\n").unwrap();
        let sut = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap();
        assert!(sut.held_before());
        assert_eq!(std::fs::read(&path).unwrap(), marker().as_bytes());
    }

    #[test]
    fn an_existing_empty_lock_file_proves_no_previous_listener() {
        // The race: another binder created the file and has not locked it yet; this one
        // opens it as existing and takes the lock first.
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s");
        let path = PathLock::path_for(&socket);
        std::fs::write(&path, b"").unwrap();
        let sut = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap();
        assert!(!sut.held_before());
        assert_eq!(std::fs::read(&path).unwrap(), marker().as_bytes());
        let err = PathLock::acquire(&socket, TrustedOwner::default(), "bind").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    }

    #[test]
    fn only_a_pid_then_the_marker_counts_as_a_marker() {
        assert!(has_marker(b"1 ipc-sock listener\n"));
        assert!(has_marker(marker().as_bytes()));
        for content in [
            &b""[..],
            b"ipc-sock listener\n",
            b" ipc-sock listener\n",
            b"12 ipc-sock listener",
            b"12 ipc-sock listener\nmore",
            b"x12 ipc-sock listener\n",
            b"some other program's lock",
        ] {
            assert!(!has_marker(content), "{content:?}");
        }
        let long = format!("{}{MARKER}", "1".repeat(MARKER_MAX));
        assert!(!has_marker(long.as_bytes()));
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
