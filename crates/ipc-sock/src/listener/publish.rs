//! Binding a listener to a filesystem path: clearing a provably stale leftover, and giving
//! the new socket file its exact mode before anyone can connect.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, NodeCheck, Permissions, Result, unlink_if_same};
use rustix::fs::{CWD, FileType, Mode, OFlags};
use rustix::io::Errno;
use rustix::net::SocketAddrUnix;

use super::lock::PathLock;
use crate::socket::Socket;
use crate::sys::socket as sys;

/// The socket file a listener created: removed on drop, only while the path still names it.
#[derive(Debug)]
pub(super) struct SocketFile {
    path: PathBuf,
    /// Device and inode of the socket file.
    identity: (u64, u64),
    /// An `O_PATH` descriptor of the file. The bound socket keeps the inode too; this one
    /// also serves to set the mode through `/proc/self/fd`.
    _node: OwnedFd,
}

impl Drop for SocketFile {
    /// Removes the socket file if the path still names it. A failure cannot be reported from a
    /// drop; what stays is a stale path the next listener reclaims.
    fn drop(&mut self) {
        let _ = unlink_if_same(&self.path, self.identity, "unlink", self.path.as_path());
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
/// 1. A leftover at the path is removed when it is provably stale: a socket or symbolic link,
///    and either a lock file was there (whose lock we now hold, so its listener is dead) or
///    `reclaim.unlocked` says to. `unlink` removes a symbolic link itself, never its target.
///    Anything else there (a regular file, a directory, or a socket without our lock file)
///    is left alone and the bind fails with `AlreadyExists`.
/// 2. `bind(2)` creates the socket file; it never follows a symbolic link ("if the socket
///    pathname already exists, bind fails with EADDRINUSE", whatever is there).
/// 3. The file is opened `O_PATH | O_NOFOLLOW` and checked to be a socket of ours, and its
///    mode is set exactly with `chmod` through `/proc/self/fd/N` (on Linux, `fchmod` on the
///    socket's own descriptor changes the socket's anonymous inode, not the file). Nobody can
///    connect before the caller's `listen`, so the mode the umask gave the file for that
///    moment lets nobody in.
pub(super) fn bind_path(
    socket: &Socket,
    path: &Path,
    raw: &SocketAddrUnix,
    lock: &PathLock,
    permissions: Permissions,
    reclaim: Reclaim,
    operation: &'static str,
) -> Result<SocketFile> {
    clear_leftover(path, lock, reclaim, operation)?;
    sys::bind(socket.fd(), raw).map_err(|errno| socket.error(operation, errno))?;
    let node = rustix::fs::openat(
        CWD,
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| Error::from_errno(operation, path, errno))?;
    let stat =
        rustix::fs::fstat(&node).map_err(|errno| Error::from_errno(operation, path, errno))?;
    let file = SocketFile {
        path: path.to_owned(),
        identity: (stat.st_dev, stat.st_ino),
        _node: node,
    };
    // From here on, dropping `file` removes what we bound.
    NodeCheck::new(FileType::Socket, "a socket").check(&stat, operation, path)?;
    if stat.st_uid != rustix::process::geteuid().as_raw() {
        return Err(Error::new(ErrorKind::PermissionDenied, operation)
            .with_object(path)
            .with_detail(format!(
                "the socket file just bound is owned by uid {}: another process replaced it;                  the directory must be one others cannot change",
                stat.st_uid
            )));
    }
    set_mode(&file, permissions, operation)?;
    Ok(file)
}

/// Removes a stale leftover at `path`, or refuses to bind over what is there.
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
    if lock.created() && !reclaim.unlocked {
        return Err(Error::new(ErrorKind::AlreadyExists, operation)
            .with_object(path)
            .with_detail(format!(
                "something is there without the lock file {} that would prove its listener \
                 dead (another program's listener, or a leftover); it is left alone \
                 (UnixListenerBuilder::reclaim_unlocked takes it over)",
                lock.path().display()
            )));
    }
    match rustix::fs::unlink(path) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(errno) => Err(Error::from_errno(operation, path, errno)),
    }
}

/// Sets exactly `permissions` on the socket file through its `O_PATH` descriptor's
/// `/proc/self/fd` link, which reaches that inode whatever happens to the name; where `/proc`
/// is not mounted, by the path (the directory must then be one nobody else can change, as
/// for any socket path).
fn set_mode(file: &SocketFile, permissions: Permissions, operation: &'static str) -> Result<()> {
    let mode = Mode::from_raw_mode(permissions.mode());
    let link = format!("/proc/self/fd/{}", file._node.as_fd().as_raw_fd());
    let result = match rustix::fs::chmod(link.as_str(), mode) {
        Err(Errno::NOENT) => rustix::fs::chmod(&file.path, mode),
        other => other,
    };
    result.map_err(|errno| Error::from_errno(operation, file.path.as_path(), errno))
}
