//! The file behind a mapping: creating, opening, validating and removing it by path.
//!
//! A new file is published complete, as a POSIX shm object is (see `shm/object.rs`): built
//! without a name in the target's directory ([`StagedFile`]: `O_TMPFILE`, or a random
//! temporary name where the filesystem has none), given its exact mode and size, and only then
//! linked to its path, which fails with `EEXIST` rather than replace anything. A path, once
//! visible, always has its file's full size and mode, so `open_or_create` never finds a
//! racing creator's file empty.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use ipc_core::{
    Error, ErrorKind, NodeCheck, OpenMode, Ownership, Permissions, Result, StagedFile, TrustedOwner,
};
use rustix::fs::{CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::size::mappable_size;

/// The operation named in the errors of creating and opening a file.
pub(super) const OPEN: &str = "open";

/// How many times `open_or_create` starts again when the path flips between taken and free
/// under it (a file removed after its create failed, one published after its open failed): a
/// path that busy is being fought over, which is an error to report.
const ATTEMPTS: u32 = 3;

/// A file this process reached by path: the path, who removes it, and which file it is.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) path: PathBuf,
    pub(super) ownership: Ownership,
    /// Whether this handle created the file (kept when `ownership` is persisted or taken).
    pub(super) created: bool,
    /// Device and inode, so removal never takes a file that replaced ours. The holder keeps
    /// the [`Reached::file`] open, which keeps the inode alive, so its number cannot be handed
    /// to a new file while it is compared against.
    pub(super) identity: (u64, u64),
}

/// What [`Node::reach`] gives: the node, its open file, and its size.
#[derive(Debug)]
pub(super) struct Reached {
    pub(super) node: Node,
    /// The open file, close-on-exec.
    pub(super) file: File,
    /// The size found or made, at least one byte.
    pub(super) len: usize,
}

/// What to do at the path: how to reach the file, and what a new one gets.
#[derive(Debug, Clone, Copy)]
pub(super) struct Request {
    pub(super) mode: OpenMode,
    pub(super) writable: bool,
    /// The size of a new file, and the least an existing one must have.
    pub(super) len: usize,
    pub(super) permissions: Permissions,
    pub(super) owner: TrustedOwner,
}

impl Node {
    /// Creates or opens the file at `path` as `request` says, and validates it.
    ///
    /// `open_or_create` opens first; when nothing is there it publishes a complete new file,
    /// and when another process published first (`EEXIST`) it opens that one.
    pub(super) fn reach(path: PathBuf, request: Request) -> Result<Reached> {
        let mut attempt = 1;
        loop {
            if request.mode != OpenMode::CreateNew {
                match open(&path, request) {
                    Err(err)
                        if request.mode == OpenMode::OpenOrCreate
                            && err.kind() == ErrorKind::NotFound => {}
                    other => return other,
                }
            }
            match create(&path, request) {
                // Published by another process between our open and our link: open theirs.
                Err(err)
                    if request.mode == OpenMode::OpenOrCreate
                        && err.kind() == ErrorKind::AlreadyExists
                        && attempt < ATTEMPTS =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Removes the file if the path still names the file this handle holds.
    pub(super) fn remove_if_ours(&self) -> Result<()> {
        ipc_core::unlink_if_same(&self.path, self.identity, "unlink", self.path.as_path())
    }
}

/// Creates the file with the exact permissions and size asked for, published complete (see the
/// module docs); `AlreadyExists` when anything is at the path.
fn create(path: &Path, request: Request) -> Result<Reached> {
    let staged = StagedFile::new(path).map_err(|errno| match errno {
        Errno::ISDIR => Error::from_errno_as(ErrorKind::InvalidArgument, OPEN, path, errno)
            .with_detail("names a directory, not a file to create"),
        _ => Error::from_errno_creating_fd(OPEN, path, errno),
    })?;
    // Nothing is visible until `publish`: a failure before it discards the unnamed file.
    request.permissions.apply(staged.as_fd(), "fchmod", path)?;
    rustix::fs::ftruncate(&staged, request.len as u64).map_err(|errno| match errno {
        Errno::FBIG => {
            Error::from_errno_as(ErrorKind::InvalidArgument, "ftruncate", path, errno).with_detail(
                format!("{} bytes is larger than a file may be", request.len),
            )
        }
        _ => Error::from_errno("ftruncate", path, errno),
    })?;
    let stat = stat(staged.as_fd(), path)?;
    let fd = staged.publish().map_err(|errno| match errno {
        Errno::EXIST if is_symlink(path) => Error::from_errno(OPEN, path, errno)
            .with_detail("a symbolic link is at this path; it is not followed"),
        _ => Error::from_errno(OPEN, path, errno),
    })?;
    Ok(Reached {
        node: Node {
            path: path.to_owned(),
            ownership: Ownership::Creator,
            created: true,
            identity: (stat.st_dev, stat.st_ino),
        },
        file: File::from(fd),
        len: request.len,
    })
}

/// Opens the existing file without following a symbolic link, and validates it.
fn open(path: &Path, request: Request) -> Result<Reached> {
    let access = if request.writable {
        OFlags::RDWR
    } else {
        OFlags::RDONLY
    };
    // O_NONBLOCK: a FIFO planted at the path must not block the open (it is refused below);
    // for a regular file the flag changes nothing. O_NOCTTY: a terminal must not become ours.
    let flags = access | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = rustix::fs::openat(CWD, path, flags, Mode::empty()).map_err(|errno| match errno {
        // "If the trailing component (i.e., basename) of pathname is a symbolic link, then the
        // open fails, with the error ELOOP" (open(2), O_NOFOLLOW).
        Errno::LOOP => Error::from_errno_as(ErrorKind::PermissionDenied, OPEN, path, errno)
            .with_detail("is a symbolic link; mapped files are opened with O_NOFOLLOW"),
        _ => Error::from_errno_creating_fd(OPEN, path, errno),
    })?;
    let file = File::from(fd);
    let stat = stat(file.as_fd(), path)?;
    let len = check(&stat, request, path)?;
    Ok(Reached {
        node: Node {
            path: path.to_owned(),
            ownership: Ownership::Opener,
            created: false,
            identity: (stat.st_dev, stat.st_ino),
        },
        file,
        len,
    })
}

fn stat(fd: BorrowedFd<'_>, path: &Path) -> Result<Stat> {
    rustix::fs::fstat(fd).map_err(|errno| Error::from_errno("fstat", path, errno))
}

/// Checks an existing file's type, owner and size; returns the size.
fn check(stat: &Stat, request: Request, path: &Path) -> Result<usize> {
    NodeCheck::new(FileType::RegularFile, "a regular file")
        .owned_by(request.owner, "MappedFileBuilder::trust_owner")
        .check(stat, OPEN, path)?;
    mappable_size(stat, request.len, OPEN, path)
}

/// Whether a symbolic link is at `path`, to explain an `EEXIST`.
fn is_symlink(path: &Path) -> bool {
    rustix::fs::lstat(path).is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode).is_symlink())
}

/// Checks that `fd` is a regular file of at least one byte; returns its size.
pub(super) fn check_fd(fd: BorrowedFd<'_>, operation: &'static str) -> Result<usize> {
    let object = ipc_core::Object::fd(fd);
    let stat = rustix::fs::fstat(fd)
        .map_err(|errno| Error::from_errno(operation, object.clone(), errno))?;
    NodeCheck::new(FileType::RegularFile, "a regular file").check(
        &stat,
        operation,
        object.clone(),
    )?;
    mappable_size(&stat, 1, operation, object)
}
