//! Binding a socket to a filesystem path: clearing a provably stale leftover, and making the
//! socket file appear with at most the mode asked for, then exactly that mode.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, NodeCheck, Permissions, Result, unlink_if_same};
use rustix::fs::{CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use rustix::net::SocketAddrUnix;

use super::lock::PathLock;
use crate::socket::Socket;
use crate::sys::socket as sys;

/// The socket file a bound socket created: removed on drop, only while the path still names
/// it, unless [`persist`](Self::persist)ed.
#[derive(Debug)]
pub(super) struct SocketFile {
    path: PathBuf,
    /// Device and inode of the socket file.
    identity: (u64, u64),
    /// Whether the drop leaves the file in place.
    persisted: bool,
    /// An `O_PATH` descriptor of the file. The bound socket keeps the inode too; this one
    /// also serves to set the mode through `/proc/self/fd`.
    node: OwnedFd,
}

impl SocketFile {
    /// Leaves the socket file in place when this drops.
    pub(super) fn persist(&mut self) {
        self.persisted = true;
    }
}

impl Drop for SocketFile {
    /// Removes the socket file if the path still names it. A failure cannot be reported from a
    /// drop; what stays is a stale path the next listener reclaims.
    fn drop(&mut self) {
        if !self.persisted {
            let _ = unlink_if_same(&self.path, self.identity, "unlink", self.path.as_path());
        }
    }
}

/// What a bind to a path may do with what it finds there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reclaim {
    /// Remove a socket (or symbolic link) at the path even when no lock file of ours was
    /// beside it.
    pub(super) unlocked: bool,
}

/// Binds `socket` to `path` (`raw`), with the lock held, and gives the socket file exactly
/// `permissions`; the socket does not listen yet.
///
/// 1. A leftover at the path is removed when it is provably stale (see [`clear_leftover`]).
/// 2. The socket's own inode gets `permissions` with `fchmod` on its descriptor, before
///    anything exists at the path. Linux makes the socket file from that inode's mode:
///    `unix_bind_bsd` in `net/unix/af_unix.c` creates it with
///    `S_IFSOCK | (SOCK_INODE(sock)->i_mode & ~current_umask())`, so the file appears with
///    at most `permissions` (the umask can only narrow it). That matters because a bound
///    datagram socket can be sent to the moment the file exists, and a stream socket can be
///    connected to the moment it listens: no instant has a mode wider than asked for. The
///    address stays the real path, as `getsockname` and a peer's `recvfrom` report it.
/// 3. `bind(2)` creates the socket file; it never follows a symbolic link ("if the socket
///    pathname already exists, bind fails with EADDRINUSE", whatever is there).
/// 4. The file is opened `O_PATH | O_NOFOLLOW` and checked to be a socket of ours. If that
///    fails (no descriptor left, say), the file is unlinked by its path before the lock is
///    let go, so the path is not left holding a socket without a lock.
/// 5. The mode is made exact ([`set_mode`]), since the umask may have narrowed it.
pub(super) fn bind_path(
    socket: &Socket,
    path: &Path,
    raw: &SocketAddrUnix,
    lock: &PathLock,
    permissions: Permissions,
    reclaim: Reclaim,
    operation: &'static str,
) -> Result<SocketFile> {
    let (file, stat) = bind_at_most(socket, path, raw, lock, permissions, reclaim, operation)?;
    set_mode(&file, &stat, permissions, operation)?;
    Ok(file)
}

/// Steps 1 to 4 of [`bind_path`]: the socket file, with at most `permissions`, and what
/// `fstat` said of it.
fn bind_at_most(
    socket: &Socket,
    path: &Path,
    raw: &SocketAddrUnix,
    lock: &PathLock,
    permissions: Permissions,
    reclaim: Reclaim,
    operation: &'static str,
) -> Result<(SocketFile, Stat)> {
    clear_leftover(path, lock, reclaim, operation)?;
    permissions.apply(socket.fd(), operation, path)?;
    sys::bind(socket.fd(), raw).map_err(|errno| socket.error(operation, errno))?;
    let (node, stat) = match open_bound(path, operation) {
        Ok(opened) => opened,
        Err(err) => {
            // The lock is still held, so no listener of ours can have bound the path since:
            // what is there is the file our bind just made.
            let _ = rustix::fs::unlink(path);
            return Err(err);
        }
    };
    let file = SocketFile {
        path: path.to_owned(),
        identity: (stat.st_dev, stat.st_ino),
        persisted: false,
        node,
    };
    // From here on, dropping `file` removes what we bound.
    NodeCheck::new(FileType::Socket, "a socket").check(&stat, operation, path)?;
    if stat.st_uid != rustix::process::geteuid().as_raw() {
        return Err(Error::new(ErrorKind::PermissionDenied, operation)
            .with_object(path)
            .with_detail(format!(
                "the socket file just bound is owned by uid {}: another process replaced it; \
                 the directory must be one others cannot change",
                stat.st_uid
            )));
    }
    Ok((file, stat))
}

/// Opens the file at `path` `O_PATH | O_NOFOLLOW` and `fstat`s it.
fn open_bound(path: &Path, operation: &'static str) -> Result<(OwnedFd, Stat)> {
    let node = rustix::fs::openat(
        CWD,
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| Error::from_errno_creating_fd(operation, path, errno))?;
    let stat =
        rustix::fs::fstat(&node).map_err(|errno| Error::from_errno(operation, path, errno))?;
    Ok((node, stat))
}

/// Removes a stale leftover at `path`, or refuses to bind over what is there.
///
/// A leftover is removed only when it is a socket or a symbolic link (`unlink` removes the
/// link itself, never its target), and either `reclaim.unlocked` says to, or the lock file
/// at `<path>.lock` (whose lock we now hold) holds the marker a listener of ours wrote while
/// it held the lock ([`PathLock::held_before`]) and the leftover belongs to the lock file's
/// owner. Anything else (a regular file, a directory, a socket without such a lock file, or
/// one owned by another user than the lock file) is left alone and the bind fails with
/// `AlreadyExists`.
///
/// This rests on one assumption: a file at `<path>.lock` is this crate's lock for `path`.
/// A listener of ours holds its lock for as long as it lives, so a lock we could take proves
/// that listener dead. But a program that does not use this crate's lock, listening at
/// `path` under the same user as a stray `<path>.lock` file, is not protected by it: its
/// socket file is taken to be a dead listener's. The owner check only keeps another user's
/// stray lock file from vouching for a socket that is not its own.
fn clear_leftover(
    path: &Path,
    lock: &PathLock,
    reclaim: Reclaim,
    operation: &'static str,
) -> Result<()> {
    let stat = match rustix::fs::lstat(path) {
        Ok(stat) => stat,
        Err(Errno::NOENT) => return Ok(()),
        Err(errno) => return Err(Error::from_errno(operation, path, errno)),
    };
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if !matches!(file_type, FileType::Socket | FileType::Symlink) {
        return Err(Error::new(ErrorKind::AlreadyExists, operation)
            .with_object(path)
            .with_detail("is not a socket; it is left alone"));
    }
    if !reclaim.unlocked {
        if !lock.held_before() {
            return Err(Error::new(ErrorKind::AlreadyExists, operation)
                .with_object(path)
                .with_detail(format!(
                    "something is there without a lock file {} left by a listener of ours \
                     that would prove its listener dead (another program's listener, or a \
                     leftover); it is left \
                     alone (UnixListenerBuilder::reclaim_unlocked takes it over)",
                    lock.path().display()
                )));
        }
        if !lock_vouches_for(lock.owner(), stat.st_uid) {
            return Err(Error::new(ErrorKind::AlreadyExists, operation)
                .with_object(path)
                .with_detail(format!(
                    "is owned by uid {} but the lock file {} by uid {}, so the lock does not \
                     prove its listener dead; it is left alone \
                     (UnixListenerBuilder::reclaim_unlocked takes it over)",
                    stat.st_uid,
                    lock.path().display(),
                    lock.owner()
                )));
        }
    }
    match rustix::fs::unlink(path) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(errno) => Err(Error::from_errno(operation, path, errno)),
    }
}

/// Whether a lock file owned by `lock_uid` proves dead the listener whose socket file (or
/// symbolic link) at the path is owned by `file_uid`: only when they are the same user.
fn lock_vouches_for(lock_uid: u32, file_uid: u32) -> bool {
    lock_uid == file_uid
}

/// Makes the socket file's mode exactly `permissions`. Nothing is done when `stat` shows it
/// already is (the umask took nothing away, as with `0o600` under the usual umasks).
///
/// Otherwise the mode is widened with `chmod` through the `O_PATH` descriptor's
/// `/proc/self/fd` link, which reaches that inode whatever has happened to the name since
/// (`fchmod` on the socket's own descriptor changes the socket's inode, not the file's).
/// Where `/proc` is not mounted this fails closed with `Unsupported`, and the bind fails: a
/// `chmod` by path could follow a symbolic link put at the path since the bind.
fn set_mode(
    file: &SocketFile,
    stat: &Stat,
    permissions: Permissions,
    operation: &'static str,
) -> Result<()> {
    let now = stat.st_mode & 0o7777;
    if now == permissions.mode() {
        return Ok(());
    }
    let mode = Mode::from_raw_mode(permissions.mode());
    let link = format!("/proc/self/fd/{}", file.node.as_fd().as_raw_fd());
    match rustix::fs::chmod(link.as_str(), mode) {
        Ok(()) => Ok(()),
        Err(Errno::NOENT) => Err(Error::from_errno_as(
            ErrorKind::Unsupported,
            operation,
            file.path.as_path(),
            Errno::NOENT,
        )
        .with_detail(format!(
            "the umask narrowed the socket file's mode to {now:#o}; making it {:#o} needs \
             /proc mounted (a chmod by path could follow a symbolic link, so none is made)",
            permissions.mode()
        ))),
        Err(errno) => Err(Error::from_errno(operation, file.path.as_path(), errno)),
    }
}

#[cfg(test)]
mod tests {
    use ipc_core::{Object, TrustedOwner};
    use rustix::net::{AddressFamily, SocketType};

    use super::*;

    #[test]
    fn the_socket_file_appears_with_at_most_the_mode_asked_for_before_any_chmod() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let lock = PathLock::acquire(&path, TrustedOwner::default(), "bind").unwrap();
        let sut = Socket::open(
            AddressFamily::UNIX,
            SocketType::DGRAM,
            "bind",
            Object::from(path.as_path()),
        )
        .unwrap();
        let raw = SocketAddrUnix::new(path.as_path()).unwrap();
        let reclaim = Reclaim { unlocked: false };
        let (_file, stat) = bind_at_most(
            &sut,
            &path,
            &raw,
            &lock,
            Permissions::from_mode(0o000).unwrap(),
            reclaim,
            "bind",
        )
        .unwrap();
        // Without the fchmod before bind the file would have 0o777 less the umask, which
        // keeps the owner's bits under any usual umask (022, 077): asking for no bits at
        // all makes the check meaningful whatever umask the harness runs under.
        assert_eq!(stat.st_mode & 0o777, 0, "mode {:o}", stat.st_mode);
    }

    #[test]
    fn a_lock_file_vouches_only_for_a_socket_of_its_own_owner() {
        assert!(lock_vouches_for(1000, 1000));
        assert!(!lock_vouches_for(1000, 1001));
        assert!(!lock_vouches_for(0, 1000));
    }
}
