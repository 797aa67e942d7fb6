//! The file behind a mapping: creating, opening, validating and removing it by path.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, OpenMode, Ownership, Permissions, Result, TrustedOwner};
use rustix::fs::{CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// How many times `open_or_create` starts again when the file it found is removed before it
/// can be opened: a file removed that often is being fought over, which is an error to report.
const ATTEMPTS: u32 = 3;

/// A file this process reached by path, held open for the mapping's lifetime.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) path: PathBuf,
    pub(super) ownership: Ownership,
    /// The open file: it keeps the inode alive, so its number cannot be handed to a new file
    /// while `identity` is compared against it.
    pub(super) file: File,
    /// Device and inode, so removal never takes a file that replaced ours.
    pub(super) identity: (u64, u64),
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
    pub(super) fn reach(path: PathBuf, request: Request, operation: &'static str) -> Result<Self> {
        let mut attempt = 1;
        loop {
            if request.mode.may_create() {
                match create(&path, request, operation) {
                    Err(err)
                        if request.mode == OpenMode::OpenOrCreate
                            && err.kind() == ErrorKind::AlreadyExists => {}
                    other => return other,
                }
            }
            match open(&path, request, operation) {
                // Removed between the create that found it and this open: the path is free.
                Err(err)
                    if request.mode == OpenMode::OpenOrCreate
                        && err.kind() == ErrorKind::NotFound
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
        unlink_if(&self.path, self.identity, "unlink")
    }
}

/// Creates the file exclusively, with the exact permissions and size asked for.
fn create(path: &Path, request: Request, operation: &'static str) -> Result<Node> {
    let fd = rustix::fs::openat(
        CWD,
        path,
        OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::RUSR | Mode::WUSR,
    )
    .map_err(|errno| Error::from_errno_creating_fd(operation, path, errno))?;
    let file = File::from(fd);
    let stat = stat(file.as_fd(), path, operation)?;
    let identity = (stat.st_dev, stat.st_ino);
    let prepared = request
        .permissions
        .apply(file.as_fd(), operation, path)
        .and_then(|()| {
            rustix::fs::ftruncate(&file, request.len as u64).map_err(|errno| match errno {
                Errno::FBIG => {
                    Error::from_errno_as(ErrorKind::InvalidArgument, "ftruncate", path, errno)
                        .with_detail(format!(
                            "{} bytes is larger than a file may be",
                            request.len
                        ))
                }
                _ => Error::from_errno("ftruncate", path, errno),
            })
        });
    if let Err(err) = prepared {
        // The file we made must not outlive the failed constructor.
        let _ = unlink_if(path, identity, operation);
        return Err(err);
    }
    Ok(Node {
        path: path.to_owned(),
        ownership: Ownership::Creator,
        file,
        identity,
        len: request.len,
    })
}

/// Opens the existing file without following a symbolic link, and validates it.
fn open(path: &Path, request: Request, operation: &'static str) -> Result<Node> {
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
        Errno::LOOP => Error::from_errno_as(ErrorKind::PermissionDenied, operation, path, errno)
            .with_detail("is a symbolic link; mapped files are opened with O_NOFOLLOW"),
        _ => Error::from_errno_creating_fd(operation, path, errno),
    })?;
    let file = File::from(fd);
    let stat = stat(file.as_fd(), path, operation)?;
    let len = check(&stat, request, path, operation)?;
    Ok(Node {
        path: path.to_owned(),
        ownership: Ownership::Opener,
        file,
        identity: (stat.st_dev, stat.st_ino),
        len,
    })
}

fn stat(fd: BorrowedFd<'_>, path: &Path, operation: &'static str) -> Result<Stat> {
    rustix::fs::fstat(fd).map_err(|errno| Error::from_errno(operation, path, errno))
}

/// Checks an existing file's type, owner and size; returns the size.
fn check(stat: &Stat, request: Request, path: &Path, operation: &'static str) -> Result<usize> {
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile if request.owner.accepts(stat.st_uid) => {}
        FileType::RegularFile => {
            return Err(Error::new(ErrorKind::PermissionDenied, operation)
                .with_object(path)
                .with_detail(format!(
                    "is owned by uid {}, a user this handle does not trust \
                     (see MappedFileBuilder::trust_owner)",
                    stat.st_uid
                )));
        }
        other => {
            return Err(Error::new(ErrorKind::WrongObjectType, operation)
                .with_object(path)
                .with_detail(format!("is a {}, not a regular file", describe(other))));
        }
    }
    size_of_file(stat, request.len, path, operation)
}

/// The size of a regular file, checked to be at least `need` bytes (and at least one).
pub(super) fn size_of_file(
    stat: &Stat,
    need: usize,
    object: impl Into<ipc_core::Object>,
    operation: &'static str,
) -> Result<usize> {
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    let need = need.max(1);
    if size < need as u64 {
        let why = if size == 0 {
            "is 0 bytes: its creator has not sized it yet, or it was truncated".to_owned()
        } else {
            format!("is {size} bytes, fewer than the {need} required")
        };
        return Err(Error::new(ErrorKind::CorruptSharedState, operation)
            .with_object(object)
            .with_detail(why));
    }
    usize::try_from(size).map_err(|_| {
        Error::new(ErrorKind::InvalidArgument, operation)
            .with_object(object)
            .with_detail(format!("is {size} bytes, more than the address space"))
    })
}

/// Checks that `fd` is a regular file of at least one byte; returns its size.
pub(super) fn check_fd(fd: BorrowedFd<'_>, operation: &'static str) -> Result<usize> {
    let object = ipc_core::Object::fd(fd);
    let stat = rustix::fs::fstat(fd)
        .map_err(|errno| Error::from_errno(operation, object.clone(), errno))?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type != FileType::RegularFile {
        return Err(Error::new(ErrorKind::WrongObjectType, operation)
            .with_object(object)
            .with_detail(format!("is a {}, not a regular file", describe(file_type))));
    }
    size_of_file(&stat, 1, object, operation)
}

/// Removes the file at `path` if it is the file `identity` names (device, inode); one that
/// replaced it is left alone.
fn unlink_if(path: &Path, identity: (u64, u64), operation: &'static str) -> Result<()> {
    let stat =
        rustix::fs::lstat(path).map_err(|errno| Error::from_errno(operation, path, errno))?;
    if (stat.st_dev, stat.st_ino) != identity {
        return Err(Error::new(ErrorKind::WrongObjectType, operation)
            .with_object(path)
            .with_detail("another file has replaced ours at this path; it was left alone"));
    }
    rustix::fs::unlink(path).map_err(|errno| Error::from_errno(operation, path, errno))
}

fn describe(file_type: FileType) -> &'static str {
    match file_type {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Symlink => "symbolic link",
        FileType::Fifo => "FIFO",
        _ => "file of unknown type",
    }
}
