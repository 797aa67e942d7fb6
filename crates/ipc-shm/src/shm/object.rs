//! The steps every constructor shares: open or create the object, check it with `fstat`, size a
//! new one, and remove it only while the name still names it.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use ipc_core::{Error, ErrorKind, Limit, LimitScope, ObjectName, Result, TrustedOwner};
use rustix::fs::{FileType, Stat};
use rustix::io::Errno;

use super::builder::SharedMemoryBuilder;
use crate::sys::shm::{self, How};

/// The operation named in the errors of opening and checking an object.
pub(super) const OPEN: &str = "shm_open";

/// The operation named in the errors of removing an object.
pub(super) const UNLINK: &str = "shm_unlink";

/// How many times `open_or_create` tries again when the object it found is removed before it
/// can open it: an object removed that often is being fought over, which is an error to report.
const ATTEMPTS: u32 = 3;

/// How many times, a millisecond apart, `open_or_create` looks again at an object of size 0 that
/// a racing creator made but has not sized yet (the window between its `open` and its
/// `ftruncate` is microseconds; 100 ms means the creator is stuck or gone).
const SIZE_POLLS: u32 = 100;

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

/// Creates `name` exclusively with `len` bytes and the options' exact mode.
pub(super) fn create_new(
    name: &ObjectName,
    len: usize,
    options: &SharedMemoryBuilder,
) -> Result<Opened> {
    check_new_len(name, len, options)?;
    let fd = shm::open(name, How::CreateExclusive).map_err(|errno| open_error(name, errno))?;
    let identity = identity_of(fd.as_fd(), name)?;
    if let Err(err) = prepare_new(fd.as_fd(), name, len, options) {
        // The object we made must not outlive the failed constructor.
        let _ = unlink_if(name, identity);
        return Err(err);
    }
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
    let (len, identity) = check(fd.as_fd(), name, options.owner, need, 0)?;
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
/// Race-free: it tries `O_CREAT | O_EXCL` first, opens on `EEXIST`, and starts again when the
/// object it found is removed before it opens it (`ENOENT`), [`ATTEMPTS`] times in all. An object
/// found with size 0 was made by a racing creator that has not sized it yet; it is looked at
/// again for up to [`SIZE_POLLS`] milliseconds.
pub(super) fn open_or_create(
    name: &ObjectName,
    len: usize,
    options: &SharedMemoryBuilder,
) -> Result<Opened> {
    check_new_len(name, len, options)?;
    let mut attempt = 1;
    loop {
        match create_new(name, len, options) {
            Err(err) if err.raw_os_error() == Some(libc::EEXIST) => {}
            created => return created,
        }
        match shm::open(name, How::ReadWrite) {
            Ok(fd) => {
                let need = len.max(options.min_len);
                let (found, identity) = check(fd.as_fd(), name, options.owner, need, SIZE_POLLS)?;
                return Ok(Opened {
                    fd,
                    len: found,
                    identity,
                    created: false,
                });
            }
            // Removed between our O_EXCL and our open: the name is free again.
            Err(Errno::NOENT) if attempt < ATTEMPTS => attempt += 1,
            Err(errno) => {
                let err = open_error(name, errno);
                return Err(if errno == Errno::NOENT {
                    err.with_detail(
                        "another process removed the object each time it was found (3 attempts)",
                    )
                } else {
                    err
                });
            }
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
    let now = shm::identity_at(name).map_err(|errno| Error::from_errno(UNLINK, name, errno))?;
    if now != identity {
        return Err(Error::new(ErrorKind::WrongObjectType, UNLINK)
            .with_object(name)
            .with_detail("another object has replaced ours at this name; it was left alone"));
    }
    shm::unlink(name).map_err(|errno| Error::from_errno(UNLINK, name, errno))
}

/// The current size of the object behind `fd`, checked to be at least `len` bytes: what
/// `check_size` on a handle reports.
pub(super) fn check_still(fd: BorrowedFd<'_>, name: &ObjectName, len: usize) -> Result<()> {
    let stat = shm::stat(fd).map_err(|errno| Error::from_errno("fstat", name, errno))?;
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    if size < len as u64 {
        return Err(Error::new(ErrorKind::CorruptSharedState, "fstat")
            .with_object(name)
            .with_detail(format!(
                "shrank to {size} bytes while {len} are mapped; accesses past the new end \
                 raise SIGBUS"
            )));
    }
    Ok(())
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
/// and at least `need` bytes and never 0 (an object of size 0 is looked at again `polls` times,
/// a millisecond apart). Returns its size and identity.
fn check(
    fd: BorrowedFd<'_>,
    name: &ObjectName,
    owner: TrustedOwner,
    need: usize,
    polls: u32,
) -> Result<(usize, (u64, u64))> {
    let mut polled = 0;
    loop {
        let stat = shm::stat(fd).map_err(|errno| Error::from_errno(OPEN, name, errno))?;
        check_type_and_owner(&stat, name, owner)?;
        let size = u64::try_from(stat.st_size).unwrap_or(0);
        if size == 0 && polled < polls {
            polled += 1;
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let need = need.max(1);
        if size < need as u64 {
            let why = if size == 0 {
                "is 0 bytes: its creator has not sized it yet, or it was truncated".to_owned()
            } else {
                format!("is {size} bytes, fewer than the {need} required")
            };
            return Err(Error::new(ErrorKind::CorruptSharedState, OPEN)
                .with_object(name)
                .with_detail(why));
        }
        let len = usize::try_from(size).map_err(|_| {
            Error::new(ErrorKind::InvalidArgument, OPEN)
                .with_object(name)
                .with_detail(format!("is {size} bytes, more than the address space"))
        })?;
        return Ok((len, (stat.st_dev, stat.st_ino)));
    }
}

/// Refuses anything but a regular file, and a file whose owner `owner` does not accept.
fn check_type_and_owner(stat: &Stat, name: &ObjectName, owner: TrustedOwner) -> Result<()> {
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile if owner.accepts(stat.st_uid) => Ok(()),
        FileType::RegularFile => Err(Error::new(ErrorKind::PermissionDenied, OPEN)
            .with_object(name)
            .with_detail(format!(
                "is owned by uid {}, a user this handle does not trust (see \
                 SharedMemoryBuilder::trust_owner)",
                stat.st_uid
            ))),
        other => Err(Error::new(ErrorKind::WrongObjectType, OPEN)
            .with_object(name)
            .with_detail(format!(
                "is a {}, not a shared memory object (a regular file in /dev/shm)",
                describe(other)
            ))),
    }
}

fn describe(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Directory => "directory",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Symlink => "symbolic link",
        _ => "file of unknown type",
    }
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
