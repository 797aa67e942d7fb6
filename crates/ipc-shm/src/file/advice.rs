//! The access-pattern advice a mapped file accepts safely, and the calls that give it.

#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Error, Result};

use super::mapped::MappedFile;

/// How the program will use a mapped file (`madvise`), so the kernel can read ahead or not.
///
/// Only advice that cannot change what the mapping contains is offered, following memmap2's
/// split of `Advice` (safe) from `UncheckedAdvice` (unsafe). `MADV_DONTNEED` is left out even
/// though, on a shared file mapping, it only drops pages that are read back from the file:
/// memmap2 classes it as unchecked, because on a private mapping it discards changes, and one
/// rule for both is easier to trust than a distinction made per mapping.
///
/// # Examples
///
/// ```
/// use ipc_shm::{Advice, MappedFile};
///
/// let dir = tempfile::tempdir()?;
/// let file = MappedFile::create_new(dir.path().join("data"), 1 << 20)?;
/// file.advise(Advice::Sequential)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [madvise(2)](https://man7.org/linux/man-pages/man2/madvise.2.html)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Advice {
    /// `MADV_NORMAL`: no special treatment, the default.
    Normal,
    /// `MADV_RANDOM`: pages will be touched in random order; read ahead less.
    Random,
    /// `MADV_SEQUENTIAL`: pages will be touched in order; read ahead more, free behind.
    Sequential,
    /// `MADV_WILLNEED`: the pages will be needed soon; start reading them in.
    WillNeed,
}

impl Advice {
    /// memmap2's name for the same advice.
    pub(super) fn to_memmap2(self) -> memmap2::Advice {
        match self {
            Self::Normal => memmap2::Advice::Normal,
            Self::Random => memmap2::Advice::Random,
            Self::Sequential => memmap2::Advice::Sequential,
            Self::WillNeed => memmap2::Advice::WillNeed,
        }
    }
}

impl MappedFile {
    /// Tells the kernel how the whole mapping will be used (`madvise`).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) (`EINVAL`) if the kernel does not know
    /// the advice.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let file = ipc_shm::MappedFile::create_new(dir.path().join("f"), 4096)?;
    /// file.advise(ipc_shm::Advice::WillNeed)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "madvise")]
    pub fn advise(&self, advice: Advice) -> Result<()> {
        self.map
            .advise(advice.to_memmap2())
            .map_err(|err| Error::from_io("madvise", self.object.clone(), err))
    }

    /// [`advise`](Self::advise) for the `len` bytes at `offset` only.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when the range is past the end; as
    /// [`advise`](Self::advise).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let file = ipc_shm::MappedFile::create_new(dir.path().join("f"), 8192)?;
    /// file.advise_range(ipc_shm::Advice::Random, 4096, 4096)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "madvise")]
    pub fn advise_range(&self, advice: Advice, offset: usize, len: usize) -> Result<()> {
        self.check_range("madvise", offset, len)?;
        self.map
            .advise_range(advice.to_memmap2(), offset, len)
            .map_err(|err| Error::from_io("madvise", self.object.clone(), err))
    }
}
