//! The steps every constructor shares: open or create the object, check it with `fstat`, build
//! a new one complete before it gets its name, and remove it only while the name still names it.
//!
//! # Publishing
//!
//! A new object is never visible half made. It is built without a name (an `O_TMPFILE` in
//! `/dev/shm`), given its exact mode (`fchmod`), its size (`ftruncate`) and its pages
//! (`fallocate`), and only then linked to its name (`linkat` of `/proc/self/fd/N`), which fails
//! with `EEXIST` rather than replace anything: the protocol of glibc's `sem_open`, shared with
//! `ipc-sem` through [`ipc_core::StagedFile`] (which also covers a `/dev/shm` without
//! `O_TMPFILE` or a system without `/proc`). So a name, once visible, has its full size and
//! mode, and an opener needs no waiting: an object found empty or short was truncated, or made
//! by a program that does not publish this way, and is refused as corrupt.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use ipc_core::{Error, ErrorKind, Limit, LimitScope, NodeCheck, ObjectName, Result, TrustedOwner};
use rustix::fs::FileType;
use rustix::io::Errno;

use super::builder::SharedMemoryBuilder;
use crate::size::{self, mappable_size};
use crate::sys::shm::{self, How};

/// The operation named in the errors of opening and checking an object.
pub(super) const OPEN: &str = "shm_open";

/// The operation named in the errors of removing an object.
pub(super) const UNLINK: &str = "shm_unlink";

/// How many times `open_or_create` tries again when the name flips between taken and free under
/// it (an object removed after its create failed, one published after its open failed): a name
/// that busy is being fought over, which is an error to report.
const ATTEMPTS: u32 = 3;

/// An object opened and checked, ready to be mapped.
#[derive(Debug)]
pub(super) struct Opened {
    /// The object's descriptor (close-on-exec).
    pub(super) fd: OwnedFd,
    /// How many bytes to map: the size given to a new object, the size found on an old one.
    pub(super) len: usize,
    /// Device and inode, so the name is removed only while it still names this object.
    pub(super) identity: (u64, u64),
    /// Whether this call created the object.
    pub(super) created: bool,
}

/// Creates `name` with `len` bytes and the options' exact mode, published complete (see the
/// module's "Publishing"); `AlreadyExists` when the name is taken.
pub(super) fn create_new(
    name: &ObjectName,
    len: usize,
    options: &SharedMemoryBuilder,
) -> Result<Opened> {
    check_new_len(name, len, options)?;
    let staged = shm::stage(name).map_err(|errno| open_error(name, errno))?;
    // Nothing is visible until `publish`: a failure before it discards the unnamed object.
    prepare_new(staged.as_fd(), name, len, options)?;
    let identity = identity_of(staged.as_fd(), name)?;
    let fd = staged.publish().map_err(|errno| open_error(name, errno))?;
    Ok(Opened {
        fd,
        len,
        identity,
        created: true,
    })
}

/// Opens the existing object `name` for `how` (read-write or read-only) and checks it: a regular
/// file, owned by a user the options trust, and at least `need` bytes (and never 0).
pub(super) fn open(
    name: &ObjectName,
    how: How,
    need: usize,
    options: &SharedMemoryBuilder,
) -> Result<Opened> {
    let fd = shm::open(name, how).map_err(|errno| open_error(name, errno))?;
    let (len, identity) = check(fd.as_fd(), name, options.owner, need)?;
    Ok(Opened {
        fd,
        len,
        identity,
        created: false,
    })
}

/// Creates `name` with `len` bytes, or opens the object already there, which must hold at least
/// `len` bytes and is never resized.
///
/// Race-free: it opens the name first; when there is none, it publishes a complete new object
/// (an `EEXIST` there means another process published first, whose object it then opens), and
/// it starts again when the name flips under it, [`ATTEMPTS`] times in all. Since every object
/// made here is complete once named, an opener never waits for a creator to size it.
pub(super) fn open_or_create(
    name: &ObjectName,
    len: usize,
    options: &SharedMemoryBuilder,
) -> Result<Opened> {
    check_new_len(name, len, options)?;
    let need = len.max(options.min_len);
    let mut attempt = 1;
    loop {
        match shm::open(name, How::ReadWrite) {
            Ok(fd) => {
                let (found, identity) = check(fd.as_fd(), name, options.owner, need)?;
                return Ok(Opened {
                    fd,
                    len: found,
                    identity,
                    created: false,
                });
            }
            Err(Errno::NOENT) => {}
            Err(errno) => return Err(open_error(name, errno)),
        }
        match create_new(name, len, options) {
            // Published by another process between our open and our link: open theirs.
            Err(err) if err.raw_os_error() == Some(libc::EEXIST) && attempt < ATTEMPTS => {
                attempt += 1;
            }
            Err(err) if err.raw_os_error() == Some(libc::EEXIST) => {
                return Err(err.with_detail(
                    "the object was removed each time it was found and found each time it was \
                     created (3 attempts)",
                ));
            }
            created => return created,
        }
    }
}

/// Removes the name if it still names the object `identity` (device, inode); an object that
/// replaced ours is left alone.
///
/// Between the `lstat` and the `unlink` another process could still swap the object; removing
/// by name cannot be made atomic, as with every named object, so the directory must be one
/// that untrusted users cannot write to for this to be a guarantee. `/dev/shm` is sticky
/// (`drwxrwxrwt`): only an object's owner (or root) can remove or replace it.
pub(super) fn unlink_if(name: &ObjectName, identity: (u64, u64)) -> Result<()> {
    ipc_core::unlink_if_same(&shm::path_of(name), identity, UNLINK, name)
}

/// The current size of the object behind `fd`, checked to be at least `len` bytes: what
/// `check_size` on a handle reports.
pub(super) fn check_still(fd: BorrowedFd<'_>, name: &ObjectName, len: usize) -> Result<()> {
    let stat = shm::stat(fd).map_err(|errno| Error::from_errno("fstat", name, errno))?;
    size::still_holds(&stat, len, "fstat", name)
}

/// Refuses a size that no object can be created with.
fn check_new_len(name: &ObjectName, len: usize, options: &SharedMemoryBuilder) -> Result<()> {
    let why = if len == 0 {
        "a shared memory object needs at least one byte".to_owned()
    } else if len < options.min_len {
        format!(
            "{len} bytes is less than the {} the builder requires (min_len)",
            options.min_len
        )
    } else {
        return Ok(());
    };
    Err(Error::new(ErrorKind::InvalidArgument, OPEN)
        .with_object(name)
        .with_detail(why))
}

/// Sets the exact mode of a new object, sizes it, and reserves its pages.
fn prepare_new(
    fd: BorrowedFd<'_>,
    name: &ObjectName,
    len: usize,
    options: &SharedMemoryBuilder,
) -> Result<()> {
    options.permissions.apply(fd, "fchmod", name)?;
    let bytes = len as u64;
    shm::set_len(fd, bytes).map_err(|errno| sizing_error("ftruncate", fd, name, len, errno))?;
    if options.reserve {
        match shm::reserve(fd, bytes) {
            // A filesystem that cannot reserve (not tmpfs) leaves the pages to be made on use.
            Ok(()) | Err(Errno::OPNOTSUPP) => {}
            Err(errno) => return Err(sizing_error("fallocate", fd, name, len, errno)),
        }
    }
    Ok(())
}

/// The error of `ftruncate` or `fallocate` giving a new object `len` bytes.
fn sizing_error(
    operation: &'static str,
    fd: BorrowedFd<'_>,
    name: &ObjectName,
    len: usize,
    errno: Errno,
) -> Error {
    match errno {
        Errno::NOSPC => {
            let limit = Limit::new(shm::SHM_DIR, LimitScope::SystemWide);
            let (limit, size) = match shm::filesystem_size(fd) {
                Some(size) => (limit.with_current(size), format!(" ({size} bytes)")),
                None => (limit, String::new()),
            };
            Error::from_errno_as(ErrorKind::LimitReached, operation, name, errno)
                .with_detail(format!(
                    "the tmpfs at {}{size} has no room for {len} bytes; free space there or \
                     remount it larger (mount -o remount,size=... {})",
                    shm::SHM_DIR,
                    shm::SHM_DIR
                ))
                .with_limit(limit)
        }
        Errno::NOMEM => Error::from_errno(operation, name, errno).with_detail(format!(
            "no memory for {len} bytes of shared memory (the system or this process's memory \
             cgroup is full)"
        )),
        Errno::FBIG | Errno::INVAL => {
            Error::from_errno_as(ErrorKind::InvalidArgument, operation, name, errno)
                .with_detail(format!("{len} bytes is more than a tmpfs file can hold"))
        }
        _ => Error::from_errno(operation, name, errno),
    }
}

/// The error of opening `name`, with what the errno means for a shared memory object.
fn open_error(name: &ObjectName, errno: Errno) -> Error {
    match errno {
        Errno::LOOP => Error::from_errno_as(ErrorKind::PermissionDenied, OPEN, name, errno)
            .with_detail("is a symbolic link; shm objects are opened with O_NOFOLLOW"),
        Errno::EXIST if shm::is_symlink(name) => Error::from_errno(OPEN, name, errno)
            .with_detail("a symbolic link is at this name; it is not followed"),
        Errno::NOENT if !shm::dir_exists() => Error::from_errno(OPEN, name, errno).with_detail(
            "/dev/shm does not exist; POSIX shared memory needs a tmpfs mounted there",
        ),
        _ => Error::from_errno_creating_fd(OPEN, name, errno),
    }
}

/// The device and inode of the object behind `fd`.
fn identity_of(fd: BorrowedFd<'_>, name: &ObjectName) -> Result<(u64, u64)> {
    let stat = shm::stat(fd).map_err(|errno| Error::from_errno(OPEN, name, errno))?;
    Ok((stat.st_dev, stat.st_ino))
}

/// Checks the object behind `fd` with `fstat`: a regular file, owned by a user `owner` accepts,
/// and at least `need` bytes and never 0 (an object published here never is; see the module's
/// "Publishing"). Returns its size and identity.
fn check(
    fd: BorrowedFd<'_>,
    name: &ObjectName,
    owner: TrustedOwner,
    need: usize,
) -> Result<(usize, (u64, u64))> {
    let stat = shm::stat(fd).map_err(|errno| Error::from_errno(OPEN, name, errno))?;
    NodeCheck::new(
        FileType::RegularFile,
        "a shared memory object (a regular file in /dev/shm)",
    )
    .owned_by(owner, "SharedMemoryBuilder::trust_owner")
    .check(&stat, OPEN, name)?;
    let len = mappable_size(&stat, need, OPEN, name)?;
    Ok((len, (stat.st_dev, stat.st_ino)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_elooping_open_is_a_permission_error_that_names_the_symlink() {
        let name = ObjectName::new("/ipc-shm-unit").unwrap();
        let sut = open_error(&name, Errno::LOOP);
        assert_eq!(sut.kind(), ErrorKind::PermissionDenied);
        assert_eq!(
            sut.to_string(),
            "shm_open /ipc-shm-unit: permission denied (ELOOP): is a symbolic link; shm \
             objects are opened with O_NOFOLLOW"
        );
    }

    #[test]
    fn a_zero_or_too_short_new_length_is_an_invalid_argument() {
        let name = ObjectName::new("/ipc-shm-unit").unwrap();
        let options = SharedMemoryBuilder::default().min_len(100);
        for len in [0, 99] {
            let err = check_new_len(&name, len, &options).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        }
        assert!(check_new_len(&name, 100, &options).is_ok());
    }
}
