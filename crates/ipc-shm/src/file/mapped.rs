//! A regular file mapped shared, readable and writable.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::{Path, PathBuf};

use ipc_core::{Error, ErrorKind, Object, Result, SharedRegion};
use memmap2::{MmapOptions, MmapRaw};

use super::builder::MappedFileBuilder;
use super::node::{self, Node};
use crate::bounds;
use crate::read_only::ReadOnlyRegion;
use crate::sigbus::registry::{self, Registration};

/// A regular file mapped shared, readable and writable (`mmap` with `MAP_SHARED`): every
/// process that maps the file sees the same bytes, and the kernel writes them back to the file.
///
/// The mapping is made by memmap2's [`MmapRaw`], which hands out only a raw pointer; access
/// goes through [`RegionAccess`](crate::RegionAccess) like every region of this crate.
///
/// Reaching the file follows the workspace's vocabulary: [`create_new`](Self::create_new)
/// (exactly mode `0o600` whatever the umask, sized with `ftruncate`, and published complete:
/// built without a name with `O_TMPFILE` and then linked to the path, which never replaces
/// anything, so no process can find the file at the path before it has its size and mode),
/// [`open`](Self::open) (an existing regular file of at least one byte, owned by the caller or
/// root), [`open_or_create`](Self::open_or_create), [`open_read_only`](Self::open_read_only),
/// and [`map`](Self::map) / [`map_fd`](Self::map_fd) for a file the caller opened itself. The
/// last component of the path is never followed if it is a symbolic link (`O_NOFOLLOW`). The
/// handle that created the file removes it on drop unless [`persist`](Self::persist)ed, and
/// only if the path still names that file.
///
/// # Close-on-exec
///
/// The handle keeps a descriptor of the file open, close-on-exec ([`map`](Self::map) and
/// [`map_fd`](Self::map_fd) keep an `F_DUPFD_CLOEXEC` duplicate): [`as_fd`](AsFd::as_fd) lends
/// it, for `fstat`, locks or handing the file over. It pins the inode the path is compared to.
///
/// # SIGBUS
///
/// A file cannot be sealed. Its size is checked before it is mapped, but any process that may
/// write the file can truncate it afterwards, and an access to a page past the new end then
/// raises `SIGBUS`, which kills this process unless it handles the signal. Map only files whose
/// writers are trusted not to shrink them (the owner check of [`open`](Self::open) is part of
/// that), compare the file's size (`fstat`, or [`std::fs::metadata`] of its path) with
/// [`len`](Self::len) before touching a page that may be gone, or share a [`Memfd`](crate::Memfd) sealed against shrinking, which cannot fault
/// this way.
///
/// The fault is not recovered: leaving the signal handler with `siglongjmp` across Rust frames
/// is undefined behaviour, so the process still dies. Call
/// [`sigbus::install_diagnostic`](crate::sigbus::install_diagnostic) once, and the death first
/// writes a line to standard error that names this file and the offset that faulted; see the
/// [`sigbus`](crate::sigbus) module.
///
/// # Durability
///
/// Writes reach the page cache at once, and so every other process that maps or reads the
/// file; [`flush`](Self::flush) (`msync(MS_SYNC)`) waits until they are on the disk.
///
/// # Examples
///
/// The mapped-file program of the reference, written and read back:
///
/// ```
/// use ipc_shm::{MappedFile, RegionAccess};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("mmap_file");
/// let writer = MappedFile::create_new(&path, 4096)?;
/// writer.write_at(0, b"Hello from mmap!")?;
/// writer.flush()?;
///
/// let reader = MappedFile::open_read_only(&path)?;
/// let mut content = [0u8; 16];
/// reader.read_at(0, &mut content)?;
/// assert_eq!(&content, b"Hello from mmap!");
/// drop(writer); // the creator removes the file
/// assert!(!path.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [mmap(2)](https://man7.org/linux/man-pages/man2/mmap.2.html)
/// - [msync(2)](https://man7.org/linux/man-pages/man2/msync.2.html)
/// - [madvise(2)](https://man7.org/linux/man-pages/man2/madvise.2.html)
#[derive(Debug)]
pub struct MappedFile {
    /// The entry that lets the `SIGBUS` diagnostic name the file (`None` when the table was
    /// full). First, so it is dropped before `map` is unmapped: no entry names an address the
    /// kernel may reuse.
    _sigbus: Option<Registration>,
    pub(super) map: MmapRaw,
    pub(super) object: Object,
    /// The mapped file, open, close-on-exec; it keeps the inode `node` compares against alive.
    file: File,
    /// The file by path, for the handles that reached it by path.
    node: Option<Node>,
}

impl MappedFile {
    /// A handle on a mapping made by the builder or [`map_fd`](Self::map_fd).
    pub(super) fn from_parts(map: MmapRaw, object: Object, file: File, node: Option<Node>) -> Self {
        let sigbus = registry::TABLE.register(map.as_mut_ptr().addr(), map.len(), &object);
        Self {
            _sigbus: sigbus,
            map,
            object,
            file,
            node,
        }
    }

    /// Options: the permissions of a new file, and whose existing file is accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let _file = ipc_shm::MappedFile::builder().create_new(dir.path().join("f"), 1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> MappedFileBuilder {
        MappedFileBuilder::default()
    }

    /// Creates a file of `len` zero bytes at `path`, mode exactly `0o600`, and maps it; fails
    /// if anything exists at `path` (a symbolic link included: it is not followed). The handle
    /// removes the file on drop unless [`persist`](Self::persist)ed.
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) when the path exists.
    /// - [`NotFound`](ErrorKind::NotFound) when the directory does not exist.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when the directory is not writable.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a zero `len`, or one larger than a
    ///   file may be.
    /// - [`Other`](ErrorKind::Other) (`ENOSPC`, `ENOMEM`) when the disk or memory is short.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::MappedFile;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data");
    /// let file = MappedFile::create_new(&path, 4096)?;
    /// assert_eq!(std::fs::metadata(&path)?.len(), 4096);
    /// let again = MappedFile::create_new(&path, 4096).unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    /// # drop(file);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_new(path: impl Into<PathBuf>, len: usize) -> Result<Self> {
        Self::builder().create_new(path, len)
    }

    /// Maps the existing file at `path`, whole, read-write: a regular file, not a symbolic
    /// link, of at least one byte, owned by the caller's effective user or root
    /// ([`MappedFileBuilder::trust_owner`] names another). The handle never removes the file.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when nothing is at the path.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) for a symbolic link, a file owned
    ///   by an untrusted user, or one this process may not write.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) for anything but a regular file.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) for an empty file (truncated,
    ///   or made by a program that names a file before sizing it; this crate never does).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::MappedFile;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("empty");
    /// std::fs::write(&path, b"")?;
    /// assert_eq!(MappedFile::open(&path).unwrap_err().kind(), ErrorKind::CorruptSharedState);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        Self::builder().open(path)
    }

    /// Creates the file at `path` with `len` bytes, or maps the existing one (which must hold
    /// at least `len` bytes, and is mapped whole). Only a handle that created the file removes
    /// it; [`was_created`](Self::was_created) tells which happened. When several processes
    /// race, exactly one creates and every other maps the complete file at once: a new file
    /// gets its path only after it is sized.
    ///
    /// # Errors
    ///
    /// Those of [`create_new`](Self::create_new) and [`open`](Self::open);
    /// [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the existing file is smaller
    /// than `len`.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data");
    /// let first = ipc_shm::MappedFile::open_or_create(&path, 4096)?;
    /// let second = ipc_shm::MappedFile::open_or_create(&path, 4096)?;
    /// drop(second);
    /// assert!(path.exists(), "only the creator removes the file");
    /// drop(first);
    /// assert!(!path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_or_create(path: impl Into<PathBuf>, len: usize) -> Result<Self> {
        Self::builder().open_or_create(path, len)
    }

    /// Maps the existing file at `path`, whole and read-only, with the checks of
    /// [`open`](Self::open). The result is the crate's one read-only type, the same a
    /// read-only memfd or shm mapping gives: copies out and atomic loads, never stores.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("data");
    /// std::fs::write(&path, b"plain text")?;
    /// let region = ipc_shm::MappedFile::open_read_only(&path)?;
    /// let mut text = [0u8; 10];
    /// region.read_at(0, &mut text)?;
    /// assert_eq!(&text, b"plain text");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<ReadOnlyRegion> {
        Self::builder().open_read_only(path)
    }

    /// Maps `file`, which the caller opened read-write and keeps owning, whole. The handle
    /// has no path and removes nothing; it holds its own duplicate of the descriptor, so the
    /// mapping and [`as_fd`](AsFd::as_fd) outlive `file`.
    ///
    /// # Errors
    ///
    /// As [`map_fd`](Self::map_fd).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{MappedFile, RegionAccess};
    ///
    /// let file = tempfile::tempfile()?;
    /// file.set_len(4096)?;
    /// let region = MappedFile::map(&file)?;
    /// region.write_at(0, b"x")?;
    /// assert!(region.path().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "mmap")]
    pub fn map(file: &File) -> Result<Self> {
        Self::map_fd(file.as_fd())
    }

    /// Maps the file behind `fd`, opened read-write by the caller, whole. The handle keeps a
    /// duplicate of the descriptor (`F_DUPFD_CLOEXEC`), has no path, and removes nothing.
    ///
    /// # Errors
    ///
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) for anything but a regular file.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) for an empty file.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) (`EACCES`) when the descriptor is
    ///   not open for both reading and writing.
    /// - [`LimitReached`](ErrorKind::LimitReached) (`EMFILE`) when this process has no
    ///   descriptor left for the duplicate.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    ///
    /// let file = tempfile::tempfile()?;
    /// assert!(ipc_shm::MappedFile::map_fd(file.as_fd()).is_err()); // empty
    /// file.set_len(100)?;
    /// assert_eq!(ipc_shm::MappedFile::map_fd(file.as_fd())?.len(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "mmap")]
    pub fn map_fd(fd: BorrowedFd<'_>) -> Result<Self> {
        let len = node::check_fd(fd, "mmap")?;
        let object = Object::fd(fd);
        let map = map_raw(fd, len, object.clone())?;
        let file = rustix::io::fcntl_dupfd_cloexec(fd, 0)
            .map_err(|errno| Error::from_errno_creating_fd("fcntl", object.clone(), errno))?;
        Ok(Self::from_parts(map, object, File::from(file), None))
    }

    /// The path the file was reached by; `None` for [`map`](Self::map) and
    /// [`map_fd`](Self::map_fd).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let file = ipc_shm::MappedFile::create_new(dir.path().join("f"), 1)?;
    /// assert!(file.path().unwrap().ends_with("f"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> Option<&Path> {
        self.node.as_ref().map(|node| node.path.as_path())
    }

    /// Whether this handle created the file (`create_new`, or `open_or_create` that found
    /// nothing) rather than opened an existing one or mapped a descriptor.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("f");
    /// let first = ipc_shm::MappedFile::open_or_create(&path, 4096)?;
    /// let second = ipc_shm::MappedFile::open_or_create(&path, 4096)?;
    /// assert!(first.was_created() && !second.was_created());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn was_created(&self) -> bool {
        self.node.as_ref().is_some_and(|node| node.created)
    }

    /// The length of the mapping in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert_eq!(ipc_shm::MappedFile::create_new(dir.path().join("f"), 10)?.len(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Always `false`: a mapping has at least one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(!ipc_shm::MappedFile::create_new(dir.path().join("f"), 1)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the mapping's changes to the file and waits until they are on the disk
    /// (`msync(MS_SYNC)`).
    ///
    /// # Errors
    ///
    /// [`Other`](ErrorKind::Other) (`EIO`) when the disk reports an error.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{MappedFile, RegionAccess};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let file = MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// file.write_at(0, b"durable")?;
    /// file.flush()?;
    /// assert_eq!(&std::fs::read(file.path().unwrap())?[..7], b"durable");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "msync")]
    pub fn flush(&self) -> Result<()> {
        self.map
            .flush()
            .map_err(|err| Error::from_io("msync", self.object.clone(), err))
    }

    /// Starts writing the mapping's changes to the file without waiting (`msync(MS_ASYNC)`).
    ///
    /// # Errors
    ///
    /// As [`flush`](Self::flush).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// ipc_shm::MappedFile::create_new(dir.path().join("f"), 4096)?.flush_async()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "msync")]
    pub fn flush_async(&self) -> Result<()> {
        self.map
            .flush_async()
            .map_err(|err| Error::from_io("msync", self.object.clone(), err))
    }

    /// [`flush`](Self::flush) for the `len` bytes at `offset` only (the pages holding them).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when the range is past the end; as
    /// [`flush`](Self::flush).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let file = ipc_shm::MappedFile::create_new(dir.path().join("f"), 8192)?;
    /// file.flush_range(4000, 200)?;
    /// assert!(file.flush_range(8000, 200).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "msync")]
    pub fn flush_range(&self, offset: usize, len: usize) -> Result<()> {
        self.check_range("msync", offset, len)?;
        self.map
            .flush_range(offset, len)
            .map_err(|err| Error::from_io("msync", self.object.clone(), err))
    }

    /// Leaves the file in place when this handle drops. A handle that did not create the file
    /// never removes it anyway, so for it (an opener, or a handle made by [`map`](Self::map) or
    /// [`map_fd`](Self::map_fd), which owns no path) this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("kept");
    /// let mut file = ipc_shm::MappedFile::create_new(&path, 1)?;
    /// file.persist();
    /// drop(file);
    /// assert!(path.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn persist(&mut self) {
        if let Some(node) = &mut self.node {
            node.ownership.persist();
        }
    }

    /// Removes the file now (whoever created it), if the path still names the file this
    /// handle mapped; the mapping keeps working. The drop then has nothing left to remove.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when the file is already gone.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when another file replaced it at the
    ///   path (that one is left alone).
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when the directory is not writable.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a handle made by
    ///   [`map`](Self::map) or [`map_fd`](Self::map_fd), which has no path.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{MappedFile, RegionAccess};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let mut file = MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// file.unlink()?;
    /// assert!(!file.path().unwrap().exists());
    /// file.write_at(0, b"still mapped")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unlink(&mut self) -> Result<()> {
        match &mut self.node {
            Some(node) => {
                node.ownership.take_removal();
                node.remove_if_ours()
            }
            None => Err(Error::new(ErrorKind::InvalidArgument, "unlink")
                .with_object(self.object.clone())
                .with_detail("this mapping was made from a descriptor; it has no path to remove")),
        }
    }

    /// Checks that the `len` bytes at `offset` lie inside the mapping.
    pub(super) fn check_range(
        &self,
        operation: &'static str,
        offset: usize,
        len: usize,
    ) -> Result<()> {
        bounds::checked_ptr(
            self.map.as_mut_ptr(),
            self.map.len(),
            || Some(self.object.clone()),
            operation,
            offset,
            len,
            1,
        )
        .map(|_| ())
    }
}

/// Maps the first `len` bytes of `fd` shared, readable and writable, with memmap2.
pub(super) fn map_raw(fd: BorrowedFd<'_>, len: usize, object: Object) -> Result<MmapRaw> {
    MmapOptions::new()
        .len(len)
        .map_raw(fd.as_raw_fd())
        .map_err(|err| {
            let denied = err.raw_os_error() == Some(libc::EACCES);
            let err = Error::from_io("mmap", object, err);
            if denied {
                err.with_detail("the file is not open for both reading and writing")
            } else {
                err
            }
        })
}

/// The mapped file's descriptor, close-on-exec; see the type's "Close-on-exec".
impl AsFd for MappedFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for MappedFile {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        if let Some(node) = &mut self.node
            && node.ownership.take_removal()
        {
            // A drop cannot report; a file already gone or replaced is left as it is.
            let _ = node.remove_if_ours();
        }
    }
}

// SAFETY: `MmapRaw` maps at offset 0, so its pointer is page-aligned, and it is non-null and
// fixed with a fixed non-zero length (`reach` and `map_fd` refuse an empty file) until it is
// unmapped in its own drop. It is mapped `MAP_SHARED`, readable and writable (`map_raw`, never
// `map_raw_read_only`). Promise 4 cannot be kept for a file, which cannot be sealed: the size
// is checked before mapping, and the type's `# SIGBUS` section documents the window.
#[allow(unsafe_code, reason = "a region states the SharedRegion contract")]
unsafe impl SharedRegion for MappedFile {
    fn as_ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn object(&self) -> Option<Object> {
        Some(self.object.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_file_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MappedFile>();
    }

    #[test]
    fn the_mapping_is_page_aligned() {
        let dir = tempfile::tempdir().unwrap();
        let sut = MappedFile::create_new(dir.path().join("f"), 10_000).unwrap();
        assert_eq!(
            SharedRegion::as_ptr(&sut) as usize % rustix::param::page_size(),
            0
        );
        assert_eq!(SharedRegion::len(&sut), 10_000);
    }

    #[test]
    fn a_read_only_descriptor_cannot_be_mapped_writable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"data").unwrap();
        let file = File::open(&path).unwrap();
        let err = MappedFile::map(&file).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }

    #[test]
    fn a_descriptor_mapping_keeps_its_own_descriptor_after_the_callers_is_closed() {
        let file = tempfile::tempfile().unwrap();
        file.set_len(4096).unwrap();
        let sut = MappedFile::map(&file).unwrap();
        assert_ne!(sut.as_raw_fd(), file.as_raw_fd());
        drop(file);
        assert_eq!(rustix::fs::fstat(&sut).unwrap().st_size, 4096);
        let flags = rustix::io::fcntl_getfd(&sut).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
        assert!(!sut.was_created());
    }

    #[test]
    fn unlink_of_a_descriptor_mapping_is_an_invalid_argument() {
        let file = tempfile::tempfile().unwrap();
        file.set_len(1).unwrap();
        let mut sut = MappedFile::map(&file).unwrap();
        assert_eq!(sut.unlink().unwrap_err().kind(), ErrorKind::InvalidArgument);
    }
}
