//! The filesystem side of POSIX shared memory: an object named `/name` is the file
//! `/dev/shm/name` on Linux's tmpfs, opened, sized and removed here by path.
//!
//! `shm_open(3)` is not called. glibc's `shm_open` adds `O_NOFOLLOW | O_CLOEXEC` to the flags,
//! but rustix's `shm::open` (the raw-syscall backend this workspace uses) adds only
//! `O_CLOEXEC`, and its flag type (`ShmOFlags`) has no `NOFOLLOW` to pass; relying on
//! `from_bits_retain` smuggling the bit through would be relying on an implementation detail.
//! Opening `/dev/shm/<name>` with `rustix::fs::open` and explicit flags is what glibc does
//! underneath, so objects made here and by C programs calling `shm_open` are the same objects.
//!
//! Nothing here is unsafe: these are rustix's safe wrappers, gathered in one place so the flags
//! every open uses are written once.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::PathBuf;

use ipc_core::{ObjectName, StagedFile};
use rustix::fs::{FallocateFlags, Mode, OFlags, Stat};
use rustix::io::Errno;

/// The directory where Linux keeps POSIX shared memory objects (a tmpfs).
pub(crate) const SHM_DIR: &str = "/dev/shm";

/// The path of the object `name` (whose leading `/` becomes the separator).
pub(crate) fn path_of(name: &ObjectName) -> PathBuf {
    PathBuf::from(format!("{SHM_DIR}{}", name.as_str()))
}

/// How an existing object is opened: the access mode. A new object is never created by
/// `open`; it is staged with [`stage`] and published complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// `O_RDWR` on an existing object.
    ReadWrite,
    /// `O_RDONLY` on an existing object.
    ReadOnly,
}

/// Opens the existing object `name` with `O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK` and the access
/// mode of `how`.
///
/// `O_NOFOLLOW` makes a symbolic link at the name fail with `ELOOP` instead of opening whatever
/// it points to. `O_NONBLOCK` keeps a FIFO planted at the name from blocking the open
/// ("Normally, opening the FIFO blocks until the other end is opened also", `fifo(7)`); the
/// caller's `fstat` then refuses it. On the regular files of tmpfs it changes nothing: "this
/// flag has no effect for regular files and block devices" (`open(2)`).
pub(crate) fn open(name: &ObjectName, how: How) -> Result<OwnedFd, Errno> {
    let base = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let flags = match how {
        How::ReadWrite => base | OFlags::RDWR,
        How::ReadOnly => base | OFlags::RDONLY,
    };
    rustix::fs::open(path_of(name), flags, Mode::empty())
}

/// A new object for `name`, read-write and close-on-exec, without a name yet: an `O_TMPFILE`
/// in `/dev/shm` (or a file with a random temporary name there), mode `0o600` until the caller
/// sets the exact one. [`StagedFile::publish`] gives it `name`, or fails with `EEXIST` without
/// replacing anything (a symbolic link at the name included).
pub(crate) fn stage(name: &ObjectName) -> Result<StagedFile, Errno> {
    StagedFile::new(path_of(name))
}

/// `fstat` of an open object.
pub(crate) fn stat(fd: BorrowedFd<'_>) -> Result<Stat, Errno> {
    rustix::fs::fstat(fd)
}

/// Sets the size of a new object to `len` bytes (`ftruncate`).
pub(crate) fn set_len(fd: BorrowedFd<'_>, len: u64) -> Result<(), Errno> {
    rustix::fs::ftruncate(fd, len)
}

/// Allocates the pages of the first `len` bytes now (`fallocate` with mode 0), so a full tmpfs
/// is reported as `ENOSPC` here rather than as `SIGBUS` when a page is first touched.
pub(crate) fn reserve(fd: BorrowedFd<'_>, len: u64) -> Result<(), Errno> {
    rustix::fs::fallocate(fd, FallocateFlags::empty(), 0, len)
}

/// The size in bytes of the filesystem that holds `fd` (the tmpfs `size=`), if known.
pub(crate) fn filesystem_size(fd: BorrowedFd<'_>) -> Option<u64> {
    let stat = rustix::fs::fstatvfs(fd).ok()?;
    stat.f_blocks.checked_mul(stat.f_frsize)
}

/// Whether a symbolic link is at the name, to explain an `EEXIST`.
pub(crate) fn is_symlink(name: &ObjectName) -> bool {
    rustix::fs::lstat(path_of(name))
        .is_ok_and(|stat| rustix::fs::FileType::from_raw_mode(stat.st_mode).is_symlink())
}

/// Removes the name (`shm_unlink`, which is `unlink` of the path).
pub(crate) fn unlink(name: &ObjectName) -> Result<(), Errno> {
    rustix::fs::unlink(path_of(name))
}

/// Whether the shared memory directory exists, to explain an `ENOENT` that is about it.
pub(crate) fn dir_exists() -> bool {
    rustix::fs::lstat(SHM_DIR).is_ok()
}
