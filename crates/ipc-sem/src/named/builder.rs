//! Options for creating and opening a named semaphore.

use ipc_core::{ObjectName, OpenMode, Permissions, Result, TrustedOwner};

use super::semaphore::Semaphore;

/// Options for a [`Semaphore`]: the mode of a new one, and whose existing ones are trusted.
///
/// # Examples
///
/// ```
/// use ipc_core::{ObjectName, Permissions};
/// use ipc_sem::Semaphore;
///
/// let name = ObjectName::unique("sem-builder-example")?;
/// let created = Semaphore::builder()
///     .permissions(Permissions::from_mode(0o660)?)
///     .create_new(&name, 1)?;
/// let opened = Semaphore::builder().open(&name)?;
/// assert_eq!(opened.value()?, 1);
/// # drop(created);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SemaphoreBuilder {
    permissions: Permissions,
    owner: TrustedOwner,
}

impl SemaphoreBuilder {
    /// The permission bits of a new semaphore (default `0o600`), set exactly with `fchmod`
    /// before it gets its name, so the umask neither widens nor narrows them. Openers need
    /// read and write permission. An existing semaphore keeps its mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    /// use ipc_core::{ObjectName, Permissions};
    ///
    /// let name = ObjectName::unique("sem-mode-example")?;
    /// let sem = ipc_sem::Semaphore::builder()
    ///     .permissions(Permissions::from_mode(0o640)?)
    ///     .create_new(&name, 0)?;
    /// let meta = std::fs::metadata(format!("/dev/shm/sem.{}", &name.as_str()[1..]))?;
    /// assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    /// # drop(sem);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// Accepts an existing semaphore owned by `uid` (or root) instead of the caller's user.
    ///
    /// # Examples
    ///
    /// ```
    /// let me = rustix::process::geteuid().as_raw();
    /// let name = ipc_core::ObjectName::unique("sem-owner-example")?;
    /// let made = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// let _sem = ipc_sem::Semaphore::builder().trust_owner(me).open(&name)?;
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn trust_owner(mut self, uid: u32) -> Self {
        self.owner = TrustedOwner::Uid(uid);
        self
    }

    /// Accepts an existing semaphore whoever owns it. Its owner can change its count and
    /// corrupt it at any time; use it only where that is the design.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-any-owner-example")?;
    /// let made = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// let _sem = ipc_sem::Semaphore::builder().trust_any_owner().open(&name)?;
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn trust_any_owner(mut self) -> Self {
        self.owner = TrustedOwner::Any;
        self
    }

    /// Creates the semaphore `name` holding `initial`; fails if it exists.
    ///
    /// # Errors
    ///
    /// As [`Semaphore::create_new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-create-example")?;
    /// let sem = ipc_sem::Semaphore::builder().create_new(&name, 3)?;
    /// assert!(sem.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_open")]
    pub fn create_new(self, name: &ObjectName, initial: u32) -> Result<Semaphore> {
        Semaphore::make(
            name,
            OpenMode::CreateNew,
            initial,
            self.permissions,
            self.owner,
        )
    }

    /// Opens the existing semaphore `name`.
    ///
    /// # Errors
    ///
    /// As [`Semaphore::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-open-example")?;
    /// let made = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// let sem = ipc_sem::Semaphore::builder().open(&name)?;
    /// assert!(!sem.was_created());
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(self, name: &ObjectName) -> Result<Semaphore> {
        Semaphore::make(name, OpenMode::Open, 0, self.permissions, self.owner)
    }

    /// Creates the semaphore `name` holding `initial`, or opens the one already there (whose
    /// value is left as it is).
    ///
    /// # Errors
    ///
    /// As [`Semaphore::open_or_create`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-either-example")?;
    /// let sem = ipc_sem::Semaphore::builder().open_or_create(&name, 1)?;
    /// assert!(sem.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_or_create(self, name: &ObjectName, initial: u32) -> Result<Semaphore> {
        Semaphore::make(
            name,
            OpenMode::OpenOrCreate,
            initial,
            self.permissions,
            self.owner,
        )
    }
}
