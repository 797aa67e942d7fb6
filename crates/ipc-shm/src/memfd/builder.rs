//! Options for a new memfd: its name, size and seals.

use std::os::fd::AsFd;

use ipc_core::{Error, ErrorKind, Object, Result};

use super::handle::{Memfd, set_len_error};
use super::seals::Seals;
use crate::sys::memfd as sys;

/// The longest name `memfd_create` accepts: `NAME_MAX` (255) less the `memfd:` prefix the
/// kernel adds.
pub(super) const NAME_MAX: usize = 249;

/// Options for a new memfd: which seals it gets once sized.
///
/// By default the memfd is sealed against shrinking and growing. [`growable`](Self::growable)
/// leaves growing allowed (for [`Memfd::grow`]); [`unsealed`](Self::unsealed) adds no seal, so
/// any process holding the descriptor can shrink it under every mapping, and receivers using
/// the default checks refuse it.
///
/// # Examples
///
/// ```
/// use ipc_shm::{Memfd, Seals};
///
/// let mut memfd = Memfd::builder("log", 4096).growable().create()?;
/// assert_eq!(memfd.seals()?.difference(Seals::EXEC), Seals::SHRINK);
/// memfd.grow(8192)?;
/// assert_eq!(memfd.len(), 8192);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MemfdBuilder {
    name: String,
    len: usize,
    seals: Seals,
}

impl MemfdBuilder {
    /// The default options: sealed against shrinking and growing.
    pub(super) fn new(name: &str, len: usize) -> Self {
        Self {
            name: name.to_owned(),
            len,
            seals: Seals::SHRINK | Seals::GROW,
        }
    }

    /// Leaves the memfd growable: only `F_SEAL_SHRINK` is added. A peer may then grow it too,
    /// which costs memory but never faults a mapping.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::builder("grows", 100).growable().create()?;
    /// assert!(!memfd.seals()?.contains(ipc_shm::Seals::GROW));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn growable(mut self) -> Self {
        self.seals = Seals::SHRINK;
        self
    }

    /// Adds no seal at all.
    ///
    /// Any process holding the descriptor can then `ftruncate` the file, and an access to a
    /// page past the new end raises `SIGBUS` in every process that maps it. Receivers that
    /// use the default checks ([`Memfd::from_fd`]) refuse such a memfd; use this only for a
    /// memfd whose size will be sealed later with [`Memfd::add_seals`], or whose holders are
    /// all trusted.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::builder("open", 100).unsealed().create()?;
    /// assert!(!memfd.seals()?.contains(ipc_shm::Seals::SHRINK));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn unsealed(mut self) -> Self {
        self.seals = Seals::empty();
        self
    }

    /// Creates the memfd, sizes it and adds the seals.
    ///
    /// # Errors
    ///
    /// - [`InvalidName`](ErrorKind::InvalidName) for a name with a NUL byte or longer than 249
    ///   bytes.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a zero length, or one larger than
    ///   a file can be.
    /// - [`LimitReached`](ErrorKind::LimitReached) when the process is out of descriptors.
    /// - [`Other`](ErrorKind::Other) (`ENOMEM`, `ENOSPC`) when memory is short.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::builder("example", 4096).create()?;
    /// assert_eq!(memfd.len(), 4096);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "memfd_create")]
    pub fn create(self) -> Result<Memfd> {
        let object = Object::from(format!("memfd:{}", self.name));
        if self.name.len() > NAME_MAX || self.name.contains('\0') {
            return Err(Error::new(ErrorKind::InvalidName, "memfd_create")
                .with_object(object)
                .with_detail(format!(
                    "a memfd name has at most {NAME_MAX} bytes and no NUL byte"
                )));
        }
        if self.len == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, "memfd_create")
                .with_object(object)
                .with_detail("a memfd to map needs at least one byte"));
        }
        let fd = sys::create(&self.name)
            .map_err(|errno| Error::from_errno("memfd_create", object.clone(), errno))?;
        sys::set_len(fd.as_fd(), self.len as u64)
            .map_err(|errno| set_len_error(object.clone(), errno))?;
        let memfd = Memfd::from_parts(fd, self.len, object);
        if !self.seals.is_empty() {
            memfd.add_seals(self.seals)?;
        }
        Ok(memfd)
    }
}
