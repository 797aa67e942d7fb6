//! The open vocabulary shared by every crate: how to open, with which mode, and who removes.

use std::fmt;
use std::os::fd::BorrowedFd;

use rustix::fs::Mode;

use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
use crate::object::Object;

/// How a named object is reached: created exclusively, opened, or either.
///
/// Every crate offers the three as `create_new`, `open` and `open_or_create`; this enum is what
/// they share underneath.
///
/// # Examples
///
/// ```
/// use ipc_core::OpenMode;
///
/// assert!(OpenMode::CreateNew.may_create());
/// assert!(!OpenMode::Open.may_create());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpenMode {
    /// Create the object; fail with `AlreadyExists` if it exists (`O_CREAT | O_EXCL`).
    CreateNew,
    /// Open an existing object; fail with `NotFound` if it is missing.
    Open,
    /// Open the object, creating it if it is missing.
    OpenOrCreate,
}

impl OpenMode {
    /// Whether this mode may create the object.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_core::OpenMode::OpenOrCreate.may_create());
    /// ```
    pub fn may_create(self) -> bool {
        !matches!(self, Self::Open)
    }
}

/// The permission bits of a new object; `0o600` (owner read and write) unless asked otherwise.
///
/// Applied with `fchmod` on the descriptor right after creation, so the process umask neither
/// widens nor narrows the mode: what is asked for is what the object gets. Only the nine
/// permission bits are accepted; set-id and sticky bits are refused.
///
/// # Examples
///
/// ```
/// use ipc_core::Permissions;
///
/// assert_eq!(Permissions::default().mode(), 0o600);
/// assert_eq!(Permissions::from_mode(0o640)?.mode(), 0o640);
/// assert!(Permissions::from_mode(0o4755).is_err());
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions {
    mode: u32,
}

impl Permissions {
    /// Owner read and write: the default for every object this workspace creates.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::Permissions;
    ///
    /// assert_eq!(Permissions::OWNER_ONLY, Permissions::default());
    /// assert_eq!(Permissions::OWNER_ONLY.mode(), 0o600);
    /// ```
    pub const OWNER_ONLY: Self = Self { mode: 0o600 };

    /// Permissions with the given mode bits.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for bits outside `0o777`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_core::Permissions::from_mode(0o666).is_ok());
    /// ```
    pub fn from_mode(mode: u32) -> Result<Self> {
        if mode & !0o777 != 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, "permissions")
                .with_detail(format!("mode {mode:#o} has bits outside 0o777")));
        }
        Ok(Self { mode })
    }

    /// The mode bits.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::Permissions::OWNER_ONLY.mode(), 0o600);
    /// ```
    pub fn mode(self) -> u32 {
        self.mode
    }

    /// Sets exactly these bits on `fd` with `fchmod`, whatever the umask did at creation.
    ///
    /// `operation` and `object` name the object in the error.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PermissionDenied`] when the caller does not own the object; the other kinds
    /// of [`Error::from_errno`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let file = tempfile::tempfile()?;
    /// ipc_core::Permissions::from_mode(0o640)?.apply(file.as_fd(), "fchmod", "tempfile")?;
    /// assert_eq!(file.metadata()?.permissions().mode() & 0o777, 0o640);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "fchmod")]
    pub fn apply(
        self,
        fd: BorrowedFd<'_>,
        operation: &'static str,
        object: impl Into<Object>,
    ) -> Result<()> {
        rustix::fs::fchmod(fd, Mode::from_raw_mode(self.mode))
            .map_err(|errno| Error::from_errno(operation, object, errno))
    }
}

impl Default for Permissions {
    fn default() -> Self {
        Self::OWNER_ONLY
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Permissions({:#o})", self.mode)
    }
}

/// Whether a handle removes its named object when dropped.
///
/// A handle that created its object owns it and removes it on drop, unless
/// [`persist`](Self::persist)ed; a handle that only opened an object never removes it. An
/// early `unlink()` takes the removal with [`take_removal`](Self::take_removal), so the drop
/// does not repeat it.
///
/// # Examples
///
/// ```
/// use ipc_core::Ownership;
///
/// let mut created = Ownership::Creator;
/// assert!(created.will_remove());
/// created.persist();
/// assert!(!created.will_remove());
///
/// let mut opened = Ownership::Opener;
/// assert!(!opened.take_removal());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ownership {
    /// This handle created the object and removes it on drop.
    Creator,
    /// This handle created the object and was asked to leave it in place.
    Persisted,
    /// This handle opened an existing object (or already removed it) and never removes it.
    Opener,
}

impl Ownership {
    /// The ownership for a handle that created (`true`) or opened (`false`) its object.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::Ownership::created(true), ipc_core::Ownership::Creator);
    /// ```
    pub fn created(created: bool) -> Self {
        if created { Self::Creator } else { Self::Opener }
    }

    /// Keeps the object after the handle drops.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut sut = ipc_core::Ownership::Creator;
    /// sut.persist();
    /// assert_eq!(sut, ipc_core::Ownership::Persisted);
    /// ```
    pub fn persist(&mut self) {
        if *self == Self::Creator {
            *self = Self::Persisted;
        }
    }

    /// Whether dropping the handle now would remove the object.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_core::Ownership::Opener.will_remove());
    /// ```
    pub fn will_remove(self) -> bool {
        self == Self::Creator
    }

    /// Returns whether the caller should remove the object now, and records that it is done,
    /// so a later call (the drop) returns `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut sut = ipc_core::Ownership::Creator;
    /// assert!(sut.take_removal());
    /// assert!(!sut.take_removal());
    /// ```
    pub fn take_removal(&mut self) -> bool {
        let remove = self.will_remove();
        *self = Self::Opener;
        remove
    }
}
