//! Publishing a new file under its name only once it is complete: built without a name (or
//! under a temporary one), then linked to its name in one step that never replaces anything.

use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::unique_name;

/// How many fresh temporary names [`StagedFile::with_temporary_name`] tries before it gives up
/// on `EEXIST` (each has a random part, so a second collision means something is wrong).
const TEMPORARY_ATTEMPTS: u32 = 3;

/// How many bytes of the target's file name a temporary name keeps, leaving room for the
/// `.tmp-<pid>-<counter>-<random>` suffix within `NAME_MAX` (255).
const TEMPORARY_STEM_MAX: usize = 200;

/// A new regular file being built in the directory of its `target` path, which it gets only
/// when [`publish`](Self::publish)ed: a file that, once it has a name, is complete.
///
/// Creating a named object with `O_CREAT | O_EXCL` and then sizing it leaves a window in which
/// another process can open the object at size 0, with the wrong mode, or without its contents.
/// glibc's `sem_open` (`sysdeps/pthread/sem_open.c`) closes that window by building the file
/// under a temporary name and `link`ing it to the real one; this type does the same, better:
///
/// 1. [`new`](Self::new) opens an unnamed file in the target's directory (`O_TMPFILE |
///    O_RDWR | O_CLOEXEC`, mode `0o600` before the umask), so a crash before publishing leaves
///    nothing behind.
/// 2. The caller sets the exact mode (`fchmod`), the size (`ftruncate`, `fallocate`) and any
///    contents through [`as_fd`](AsFd::as_fd), and may map it already.
/// 3. [`publish`](Self::publish) gives it the target's name with `linkat("/proc/self/fd/N",
///    target, AT_SYMLINK_FOLLOW)`: "an O_TMPFILE file … can be made permanent by linkat(2)
///    with /proc/self/fd" (`open(2)`). `linkat` never replaces an existing name (a symbolic
///    link included): it fails with `EEXIST`, which means another process published first.
///
/// Where the filesystem has no `O_TMPFILE` (`EOPNOTSUPP`, or `EISDIR`/`EINVAL` from an old
/// kernel) or `/proc` is not mounted, the file is made under a fresh temporary name in the same
/// directory (`<target name>.tmp-<pid>-<counter>-<random>`, `O_CREAT | O_EXCL | O_NOFOLLOW`,
/// mode `0o600`) and published with `renameat2(RENAME_NOREPLACE)` (or, where the filesystem
/// refuses that flag, `link` and then removal of the temporary name). The temporary name is
/// always removed: on publishing, on a failed publish, and when the value drops unpublished; it
/// is removed only while it still names this file. A process killed while the file is staged
/// under a temporary name leaves it behind, as `sem_open` does.
///
/// After a successful publish, the name has, from the moment it appears, the file exactly as
/// the caller prepared it; an opener that finds the name never sees it half made.
///
/// # Errors
///
/// The constructors and [`publish`](Self::publish) return the `Errno` of the failing call, for
/// the caller to turn into an [`Error`](crate::Error) naming its own operation and object (the
/// object is usually a POSIX name, not the path).
///
/// # Examples
///
/// ```
/// use std::os::fd::AsFd;
///
/// let dir = tempfile::tempdir()?;
/// let target = dir.path().join("state");
/// let staged = ipc_core::StagedFile::new(&target)?;
/// rustix::fs::fchmod(staged.as_fd(), rustix::fs::Mode::from_raw_mode(0o640))?;
/// rustix::fs::ftruncate(staged.as_fd(), 4096)?;
/// assert!(!target.exists(), "nobody can see it yet");
/// let file = staged.publish()?;
/// assert_eq!(std::fs::metadata(&target)?.len(), 4096);
/// assert_eq!(rustix::fs::fstat(&file)?.st_size, 4096);
///
/// // A second publisher loses the race with EEXIST and leaves nothing behind.
/// let late = ipc_core::StagedFile::new(&target)?;
/// assert_eq!(late.publish().unwrap_err(), rustix::io::Errno::EXIST);
/// assert_eq!(std::fs::read_dir(dir.path())?.count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`open(2)`](https://man7.org/linux/man-pages/man2/open.2.html), `O_TMPFILE`
/// - [`linkat(2)`](https://man7.org/linux/man-pages/man2/linkat.2.html)
/// - [`rename(2)`](https://man7.org/linux/man-pages/man2/rename.2.html), `RENAME_NOREPLACE`
#[derive(Debug)]
#[must_use = "a StagedFile is discarded unless publish() gives it its name"]
pub struct StagedFile {
    fd: OwnedFd,
    target: PathBuf,
    /// The temporary name, when the file was made with one (the fallback).
    temporary: Option<Temporary>,
}

impl StagedFile {
    /// Opens an unnamed regular file, read-write, close-on-exec, in the directory of `target`
    /// (`O_TMPFILE`), or where that cannot be published, one with a temporary name (see
    /// [`with_temporary_name`](Self::with_temporary_name)).
    ///
    /// # Errors
    ///
    /// The `Errno` of `open`: `ENOENT` when the directory does not exist, `EACCES` when it is
    /// not writable, `ENOSPC`/`EDQUOT` when it is full; `EISDIR` when `target` has no file
    /// name (`/`, `..`).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let staged = ipc_core::StagedFile::new(dir.path().join("f"))?;
    /// drop(staged); // never published: nothing was ever visible
    /// assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "O_TMPFILE")]
    pub fn new(target: impl Into<PathBuf>) -> rustix::io::Result<Self> {
        let target = target.into();
        let (dir, _) = split(&target)?;
        // Without /proc an O_TMPFILE can only be linked with AT_EMPTY_PATH, which needs
        // CAP_DAC_READ_SEARCH; a named temporary works for everyone.
        if proc_fd_available() {
            let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
            match rustix::fs::open(dir, flags, Mode::RUSR | Mode::WUSR) {
                Ok(fd) => {
                    return Ok(Self {
                        fd,
                        target,
                        temporary: None,
                    });
                }
                // "EISDIR: pathname refers to an existing directory, O_TMPFILE and one of
                // O_WRONLY or O_RDWR were specified in flags, but this kernel version does not
                // provide the O_TMPFILE functionality"; "EOPNOTSUPP: The filesystem containing
                // pathname does not support O_TMPFILE" (open(2)). EINVAL is treated alike:
                // some filesystems report the missing support that way.
                Err(Errno::ISDIR | Errno::OPNOTSUPP | Errno::INVAL) => {}
                Err(errno) => return Err(errno),
            }
        }
        Self::with_temporary_name(target)
    }

    /// Makes the file under a fresh temporary name in the directory of `target` (`O_CREAT |
    /// O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC`, mode `0o600` before the umask): what
    /// [`new`](Self::new) falls back to, callable directly for a filesystem known to lack
    /// `O_TMPFILE`, and for tests of the fallback.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); `EEXIST` only if three fresh random names were all taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let staged = ipc_core::StagedFile::with_temporary_name(dir.path().join("f"))?;
    /// let temporary = staged.temporary_path().unwrap().to_owned();
    /// assert!(temporary.exists());
    /// staged.publish()?;
    /// assert!(!temporary.exists(), "the temporary name is gone");
    /// assert!(dir.path().join("f").exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_temporary_name(target: impl Into<PathBuf>) -> rustix::io::Result<Self> {
        let target = target.into();
        let (dir, file_name) = split(&target)?;
        let stem = &file_name[..file_name.len().min(TEMPORARY_STEM_MAX)];
        let flags =
            OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::RDWR | OFlags::CLOEXEC;
        let mut attempt = 1;
        loop {
            let mut name = stem.to_vec();
            name.push(b'.');
            name.extend_from_slice(unique_name("tmp").as_bytes());
            let path = dir.join(OsString::from_vec(name));
            let fd = match rustix::fs::open(&path, flags, Mode::RUSR | Mode::WUSR) {
                Ok(fd) => fd,
                Err(Errno::EXIST) if attempt < TEMPORARY_ATTEMPTS => {
                    attempt += 1;
                    continue;
                }
                Err(errno) => return Err(errno),
            };
            let stat = match rustix::fs::fstat(&fd) {
                Ok(stat) => stat,
                Err(errno) => {
                    // Just made with O_EXCL under a random name: removing it by path is the
                    // best there is when even fstat fails.
                    let _ = rustix::fs::unlink(&path);
                    return Err(errno);
                }
            };
            return Ok(Self {
                fd,
                target,
                temporary: Some(Temporary {
                    path,
                    identity: (stat.st_dev, stat.st_ino),
                }),
            });
        }
    }

    /// The path the file gets when published.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let staged = ipc_core::StagedFile::new(dir.path().join("f"))?;
    /// assert_eq!(staged.target(), dir.path().join("f"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary name the file has until it is published, if it was made with one (the
    /// fallback); `None` for an unnamed `O_TMPFILE`.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let staged = ipc_core::StagedFile::with_temporary_name(dir.path().join("jobs"))?;
    /// let name = staged.temporary_path().unwrap().file_name().unwrap().to_owned();
    /// assert!(name.to_str().unwrap().starts_with("jobs.tmp-"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn temporary_path(&self) -> Option<&Path> {
        self.temporary
            .as_ref()
            .map(|temporary| temporary.path.as_path())
    }

    /// Gives the file its target name, atomically and without replacing anything, and returns
    /// its descriptor, read-write and close-on-exec: where it can be, one opened through the
    /// new name, so that `/proc/<pid>/fd` and `/proc/<pid>/maps` show the name rather than
    /// `#1234 (deleted)` (a mapping made earlier from [`as_fd`](AsFd::as_fd) still shows the
    /// latter). Whatever happens, the temporary name (if any) is gone afterwards.
    ///
    /// # Errors
    ///
    /// - `EEXIST`: something already has the target name (another process published first, or
    ///   a symbolic link is there: it is not followed). The staged file is discarded.
    /// - `ENOENT`: the directory was removed meanwhile.
    /// - Otherwise the `Errno` of `linkat`, `renameat2` or `link` (`EACCES`, `ENOSPC`, …).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let target = dir.path().join("f");
    /// let file = ipc_core::StagedFile::new(&target)?.publish()?;
    /// assert_eq!(rustix::fs::fstat(&file)?.st_ino, rustix::fs::stat(&target)?.st_ino);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "linkat")]
    #[doc(alias = "renameat2")]
    pub fn publish(self) -> rustix::io::Result<OwnedFd> {
        let Self {
            fd,
            target,
            temporary,
        } = self;
        match temporary {
            None => {
                link_unnamed(fd.as_fd(), &target)?;
                Ok(through_name(fd, &target))
            }
            Some(temporary) => {
                // "RENAME_NOREPLACE: Don't overwrite newpath of the rename. Return an error if
                // newpath already exists" (rename(2)); the temporary name goes with it.
                match rustix::fs::renameat_with(
                    CWD,
                    &temporary.path,
                    CWD,
                    &target,
                    RenameFlags::NOREPLACE,
                ) {
                    // The descriptor's name moved with the file.
                    Ok(()) => {
                        temporary.moved();
                        Ok(fd)
                    }
                    // "EINVAL: … the filesystem does not support one of the flags"; link
                    // fails with EEXIST as well, and the temporary name is removed on drop.
                    Err(Errno::INVAL | Errno::NOSYS) => {
                        rustix::fs::link(&temporary.path, &target)?;
                        drop(temporary);
                        Ok(through_name(fd, &target))
                    }
                    Err(errno) => Err(errno),
                }
            }
        }
    }
}

impl AsFd for StagedFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A temporary name, removed on drop while it still names the staged file.
#[derive(Debug)]
struct Temporary {
    path: PathBuf,
    identity: (u64, u64),
}

impl Temporary {
    /// The name was renamed to the target: there is nothing left to remove.
    fn moved(self) {
        std::mem::forget(self);
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        // A drop cannot report; a temporary name someone else removed or replaced is left.
        let _ = crate::unlink_if_same(&self.path, self.identity, "unlink", self.path.as_path());
    }
}

/// A descriptor of the file `staged` opened through its new name `target`, or `staged` itself
/// when that cannot be had.
///
/// A file linked to a name keeps the name it was opened by: for an `O_TMPFILE` that is none, so
/// `/proc/<pid>/fd` and `/proc/<pid>/maps` show it as `/dev/shm/#1234 (deleted)`, which hides
/// from tools (and from the user) which object a process has mapped. A descriptor opened
/// through the name shows the name. It is used only if `fstat` proves it the same file (device
/// and inode): `O_NOFOLLOW` refuses a symbolic link, and a file that replaced ours in the
/// moment since the link is not taken for it.
fn through_name(staged: OwnedFd, target: &Path) -> OwnedFd {
    // O_NONBLOCK: a FIFO swapped in at the name must not block this open; for a regular file
    // it changes nothing. The staged descriptor is open read-write, and so is this one.
    let flags = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let Ok(named) = rustix::fs::open(target, flags, Mode::empty()) else {
        return staged;
    };
    match (rustix::fs::fstat(&staged), rustix::fs::fstat(&named)) {
        (Ok(ours), Ok(found)) if (ours.st_dev, ours.st_ino) == (found.st_dev, found.st_ino) => {
            named
        }
        _ => staged,
    }
}

/// Links the unnamed file `fd` to `target`.
fn link_unnamed(fd: BorrowedFd<'_>, target: &Path) -> rustix::io::Result<()> {
    let proc_path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    match rustix::fs::linkat(
        CWD,
        proc_path.as_str(),
        CWD,
        target,
        AtFlags::SYMLINK_FOLLOW,
    ) {
        // /proc vanished since `new` looked: AT_EMPTY_PATH works with CAP_DAC_READ_SEARCH.
        Err(Errno::NOENT) => {
            rustix::fs::linkat(fd, "", CWD, target, AtFlags::EMPTY_PATH).map_err(|_| Errno::NOENT)
        }
        other => other,
    }
}

/// The directory of `target` (`.` for a bare file name) and its file name.
fn split(target: &Path) -> rustix::io::Result<(&Path, &[u8])> {
    let file_name = target.file_name().ok_or(Errno::ISDIR)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Ok((dir, file_name.as_bytes()))
}

/// Whether `/proc/self/fd` is there to name an `O_TMPFILE` for `linkat`.
fn proc_fd_available() -> bool {
    rustix::fs::stat("/proc/self/fd").is_ok()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_unnamed_file_appears_only_when_published_with_its_mode_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("obj");
        let sut = StagedFile::new(&target).unwrap();
        assert!(
            sut.temporary_path().is_none(),
            "tmpfs and ext4 have O_TMPFILE"
        );
        rustix::fs::fchmod(&sut, Mode::from_raw_mode(0o640)).unwrap();
        rustix::fs::ftruncate(&sut, 8192).unwrap();
        assert!(entries(dir.path()).is_empty());
        let fd = sut.publish().unwrap();
        let meta = std::fs::metadata(&target).unwrap();
        assert_eq!(
            (meta.len(), meta.permissions().mode() & 0o777),
            (8192, 0o640)
        );
        let shown = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        assert_eq!(shown, target, "the descriptor is reached through the name");
    }

    #[test]
    fn the_temporary_name_is_gone_after_publishing_losing_or_dropping() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("obj");
        let sut = StagedFile::with_temporary_name(&target).unwrap();
        assert_eq!(entries(dir.path()).len(), 1, "the temporary name exists");
        let fd = sut.publish().unwrap();
        assert_eq!(entries(dir.path()), ["obj"]);
        let shown = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        assert_eq!(shown, target);

        let loser = StagedFile::with_temporary_name(&target).unwrap();
        assert_eq!(loser.publish().unwrap_err(), Errno::EXIST);
        assert_eq!(entries(dir.path()), ["obj"]);

        drop(StagedFile::with_temporary_name(&target).unwrap());
        assert_eq!(entries(dir.path()), ["obj"]);
    }

    #[test]
    fn a_symlink_at_the_target_is_not_followed_by_either_path() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        let target = dir.path().join("obj");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        for sut in [
            StagedFile::new(&target).unwrap(),
            StagedFile::with_temporary_name(&target).unwrap(),
        ] {
            assert_eq!(sut.publish().unwrap_err(), Errno::EXIST);
        }
        assert!(!victim.exists());
        assert_eq!(entries(dir.path()), ["obj"]);
    }

    #[test]
    fn a_temporary_name_replaced_by_another_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let sut = StagedFile::with_temporary_name(dir.path().join("obj")).unwrap();
        let temporary = sut.temporary_path().unwrap().to_owned();
        std::fs::remove_file(&temporary).unwrap();
        std::fs::write(&temporary, b"a stranger's").unwrap();
        drop(sut);
        assert_eq!(std::fs::read(&temporary).unwrap(), b"a stranger's");
    }

    #[test]
    fn a_bare_file_name_is_staged_in_the_current_directory_and_a_root_is_refused() {
        assert_eq!(split(Path::new("f")).unwrap().0, Path::new("."));
        assert_eq!(split(Path::new("/")).unwrap_err(), Errno::ISDIR);
        assert_eq!(split(Path::new("a/..")).unwrap_err(), Errno::ISDIR);
    }

    #[test]
    fn a_long_target_name_still_gets_a_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("n".repeat(255));
        let sut = StagedFile::with_temporary_name(&target).unwrap();
        sut.publish().unwrap();
        assert!(target.exists());
    }
}
