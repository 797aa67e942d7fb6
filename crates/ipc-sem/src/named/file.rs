//! The named semaphore's file, laid out as glibc lays it out: `/dev/shm/sem.<name>`, holding
//! one `sem_t`. Created, published, opened, checked and removed here.
//!
//! glibc's `sem_open` (`sysdeps/pthread/sem_open.c`) builds the semaphore in a temporary file
//! in `/dev/shm`, maps it, and only then `link`s it to `sem.<name>`, so that nobody can open a
//! semaphore that is not initialised yet; `link` fails with `EEXIST` rather than replace
//! anything. This module follows the same protocol with a secure open around it that
//! `sem_open` cannot give (it closes its descriptor before returning): the temporary file is an
//! `O_TMPFILE` (no name, so nothing is left behind by a crash; [`ipc_core::StagedFile`], which
//! `ipc-shm` publishes its objects with too), its mode is set exactly with `fchmod`, and an
//! existing file is opened with `O_NOFOLLOW` and checked with `fstat` (a regular file, a
//! trusted owner, exactly one `sem_t` long) before it is mapped. The check cannot stop a
//! writer from truncating the file after it (see `# SIGBUS` on `Semaphore`).

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use ipc_core::{
    Error, ErrorKind, NodeCheck, ObjectName, OpenMode, Permissions, Result, StagedFile,
    TrustedOwner, unlink_if_same,
};
use rustix::fs::{FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::ops;
use crate::sys::map::map_sem;
use crate::sys::sem::{SEM_SIZE, SemPtr};

/// Where Linux keeps named semaphores (the tmpfs of POSIX shared memory).
const SHM_DIR: &str = "/dev/shm";

/// The prefix glibc gives a named semaphore's file (`sem_open.c`: `SHMDIR "sem.XXXXXX"`).
const PREFIX: &str = "sem.";

/// How many times `open_or_create` starts again when the semaphore it found is removed before
/// it opens it, or one appears after it found none.
const ATTEMPTS: u32 = 3;

/// The operation named in errors of creating and opening.
pub(super) const OPEN: &str = "sem_open";

/// The operation named in errors of removing.
pub(super) const UNLINK: &str = "sem_unlink";

/// A named semaphore mapped into this process.
#[derive(Debug)]
pub(super) struct Mapped {
    /// The mapping of the file's one `sem_t`; unmapped by the owner.
    pub(super) sem: NonNull<libc::sem_t>,
    /// Device and inode of the file, so it is removed only while the name still names it. The
    /// mapping keeps the inode alive, so its number cannot be reused meanwhile.
    pub(super) identity: (u64, u64),
    /// Whether this call created the semaphore.
    pub(super) created: bool,
}

/// The path of the semaphore `name`: `/dev/shm/sem.<name without its slash>`.
pub(super) fn path_of(name: &ObjectName) -> Result<PathBuf> {
    let bare = name.as_str().trim_start_matches('/');
    // NAME_MAX bounds the file name, prefix included: glibc refuses longer names too.
    if bare.len() + PREFIX.len() > 255 {
        return Err(Error::new(ErrorKind::InvalidName, OPEN)
            .with_object(name)
            .with_detail(format!(
                "is {} bytes after the '/'; a semaphore name can have at most {} (NAME_MAX \
                 less the \"{PREFIX}\" prefix of its file)",
                bare.len(),
                255 - PREFIX.len()
            )));
    }
    Ok(PathBuf::from(format!("{SHM_DIR}/{PREFIX}{bare}")))
}

/// Reaches the semaphore `name` as `mode` says.
pub(super) fn make(
    name: &ObjectName,
    mode: OpenMode,
    initial: u32,
    permissions: Permissions,
    owner: TrustedOwner,
) -> Result<Mapped> {
    let path = path_of(name)?;
    if mode.may_create() {
        ops::check_initial(OPEN, initial, || name.into())?;
    }
    let mut attempt = 1;
    loop {
        let result = match mode {
            OpenMode::Open => open(name, &path, owner),
            OpenMode::CreateNew => create(name, &path, initial, permissions),
            OpenMode::OpenOrCreate => match create(name, &path, initial, permissions) {
                Err(err) if err.kind() == ErrorKind::AlreadyExists => open(name, &path, owner),
                created => created,
            },
        };
        match result {
            // Removed between our failed create and our open: the name is free again.
            Err(err)
                if mode == OpenMode::OpenOrCreate
                    && err.kind() == ErrorKind::NotFound
                    && attempt < ATTEMPTS =>
            {
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Creates the semaphore: an unnamed file of exactly the asked mode, sized to one `sem_t`,
/// mapped and initialised, then linked to its name (`EEXIST` when the name is taken).
fn create(
    name: &ObjectName,
    path: &Path,
    initial: u32,
    permissions: Permissions,
) -> Result<Mapped> {
    let staged =
        StagedFile::new(path).map_err(|errno| Error::from_errno_creating_fd(OPEN, name, errno))?;
    let fd = staged.as_fd();
    permissions.apply(fd, OPEN, name)?;
    rustix::fs::ftruncate(fd, SEM_SIZE as u64)
        .map_err(|errno| Error::from_errno("ftruncate", name, errno))?;
    let mapping = Mapping::new(fd, name)?;
    #[allow(
        unsafe_code,
        reason = "sem_init on memory this function has just mapped and nobody else can reach"
    )]
    // SAFETY: `mapping.sem` is a fresh page-aligned shared mapping of SEM_SIZE bytes of a file
    // that has no name yet (or only a random temporary one, mode 0o600), so nobody else uses
    // it; it stays mapped until `Mapping` drops.
    let init = unsafe { SemPtr::init(mapping.sem, initial) };
    init.map_err(|errno| Error::from_errno("sem_init", name, errno))?;
    let fd = staged.publish().map_err(|errno| match errno {
        Errno::EXIST => Error::from_errno(OPEN, name, errno)
            .with_detail("a semaphore (or something else) already has this name"),
        _ => Error::from_errno(OPEN, name, errno),
    })?;
    let stat = rustix::fs::fstat(fd).map_err(|errno| Error::from_errno(OPEN, name, errno))?;
    Ok(Mapped {
        sem: mapping.keep(),
        identity: (stat.st_dev, stat.st_ino),
        created: true,
    })
}

/// Opens the existing semaphore with `O_NOFOLLOW`, checks it, and maps it.
fn open(name: &ObjectName, path: &PathBuf, owner: TrustedOwner) -> Result<Mapped> {
    let flags = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|errno| match errno {
        Errno::LOOP => Error::from_errno_as(ErrorKind::PermissionDenied, OPEN, name, errno)
            .with_detail("is a symbolic link; semaphores are opened with O_NOFOLLOW"),
        _ => Error::from_errno_creating_fd(OPEN, name, errno),
    })?;
    let stat = rustix::fs::fstat(&fd).map_err(|errno| Error::from_errno(OPEN, name, errno))?;
    NodeCheck::new(
        FileType::RegularFile,
        "a named semaphore (a regular file in /dev/shm)",
    )
    .owned_by(owner, "SemaphoreBuilder::trust_owner")
    .check(&stat, OPEN, name)?;
    if stat.st_size != SEM_SIZE as i64 {
        return Err(Error::new(ErrorKind::CorruptSharedState, OPEN)
            .with_object(name)
            .with_detail(format!(
                "its file is {} bytes; a named semaphore's is one sem_t, {SEM_SIZE} bytes",
                stat.st_size
            )));
    }
    let mapping = Mapping::new(fd.as_fd(), name)?;
    Ok(Mapped {
        sem: mapping.keep(),
        identity: (stat.st_dev, stat.st_ino),
        created: false,
    })
}

/// Removes the name if it still names the semaphore `identity`.
pub(super) fn unlink_if(name: &ObjectName, identity: (u64, u64)) -> Result<()> {
    unlink_if_same(&path_of(name)?, identity, UNLINK, name)
}

/// Removes the name whatever it names (`sem_unlink`).
pub(super) fn unlink(name: &ObjectName) -> Result<()> {
    rustix::fs::unlink(path_of(name)?).map_err(|errno| Error::from_errno(UNLINK, name, errno))
}

/// A mapping that is unmapped unless [`keep`](Self::keep) hands it over.
struct Mapping {
    sem: NonNull<libc::sem_t>,
}

impl Mapping {
    fn new(fd: rustix::fd::BorrowedFd<'_>, name: &ObjectName) -> Result<Self> {
        let sem = map_sem(fd).map_err(|errno| Error::from_errno("mmap", name, errno))?;
        Ok(Self { sem })
    }

    fn keep(self) -> NonNull<libc::sem_t> {
        let sem = self.sem;
        std::mem::forget(self);
        sem
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        #[allow(unsafe_code, reason = "unmapping the mapping this guard owns")]
        // SAFETY: `sem` came from `map_sem`, was not handed over by `keep`, and is unmapped
        // only here.
        unsafe {
            crate::sys::map::unmap_sem(self.sem);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_named_as_glibc_names_it() {
        let name = ObjectName::new("/jobs").unwrap();
        assert_eq!(path_of(&name).unwrap(), PathBuf::from("/dev/shm/sem.jobs"));
    }

    #[test]
    fn a_name_too_long_for_the_prefix_is_refused() {
        let name = ObjectName::new(&format!("/{}", "n".repeat(252))).unwrap();
        assert_eq!(path_of(&name).unwrap_err().kind(), ErrorKind::InvalidName);
        let name = ObjectName::new(&format!("/{}", "n".repeat(251))).unwrap();
        assert!(path_of(&name).is_ok());
    }
}
