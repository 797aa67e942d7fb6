//! The named semaphore handle.

use std::fmt;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

#[cfg(any(doc, test))]
use ipc_core::ErrorKind;
use ipc_core::{Object, ObjectName, OpenMode, Ownership, Permissions, Result, TrustedOwner, Wait};

use super::builder::SemaphoreBuilder;
use super::file;
use crate::ops;
use crate::sys::sem::SemPtr;

/// A named POSIX semaphore: a count shared by unrelated processes that find it by name.
///
/// [`wait`](Self::wait) takes one (blocking while the count is 0), [`post`](Self::post) gives
/// one back; [`try_wait`](Self::try_wait), [`wait_timeout`](Self::wait_timeout) and
/// [`wait_deadline`](Self::wait_deadline) bound the wait.
///
/// The semaphore `/name` is the file `/dev/shm/sem.name` holding one `sem_t`, exactly as
/// glibc's `sem_open` lays it out, so a C program calling `sem_open("/name", 0)` reaches the
/// same semaphore as this type does. It is made the way `sem_open` makes it (initialised in a
/// file without a name, then `link`ed to its name, so nobody ever opens it half made), but
/// with the workspace's secure open, which `sem_open` cannot give: a new semaphore gets its
/// exact mode (`0o600` by default) with `fchmod`, and an existing one is opened with
/// `O_NOFOLLOW` and checked with `fstat` (a regular file, owned by the caller or root unless
/// [`SemaphoreBuilder::trust_owner`] says otherwise, one `sem_t` long) before it is mapped.
///
/// The handle that created the semaphore removes its name on drop unless
/// [`persist`](Self::persist)ed; processes that have it open keep using it.
///
/// # Close-on-exec
///
/// No descriptor stays open: the file is mapped and its descriptor (opened `O_CLOEXEC`)
/// closed, as `sem_open` does; the mapping itself is gone in an executed program.
///
/// # Crash behaviour
///
/// POSIX semaphores have no undo: a count taken by a process that dies before posting it back
/// stays taken. Where a dead holder must give its count back, use a System V semaphore with
/// `SEM_UNDO`, or a robust mutex.
///
/// A process killed while it waits takes no count and wedges nothing, but it is not wholly
/// forgotten: glibc counts waiters in the `sem_t` (the high half of its first 64-bit word) and
/// only a waiter that returns takes itself off, so a killed one stays counted for the life of
/// the semaphore. That is harmless (later waits and posts work, and the value is right); the
/// cost is that every later `post` makes a `FUTEX_WAKE` system call even when nobody waits.
///
/// # Trust
///
/// Every process that may write the semaphore can change its count at will, and one that
/// writes garbage into the `sem_t` makes the C library misbehave: wrong counts, lost
/// wake-ups, or (glibc 2.36, checked) the process aborted with "The futex facility returned an
/// unexpected error code" when a wait hands the corrupted flags to the kernel. Share a
/// semaphore only with processes trusted not to corrupt it: the default mode `0o600` and the
/// owner check of [`open`](Self::open) keep it to the same user.
///
/// # SIGBUS
///
/// The semaphore is a 32-byte file mapped into this process. A process allowed to write the
/// file could `ftruncate` it to 0 after we mapped it (the size check of `open` runs before the
/// mapping); the next access to the `sem_t` then raises `SIGBUS`, whose default action ends
/// the process. Nothing here can close that window, since a file in `/dev/shm` cannot be
/// sealed. The same defence applies: keep the mode `0o600` and the owner check (the defaults),
/// so that only the same user can write the file. [`ipc_shm::sigbus::install_diagnostic`]
/// does not name this object if it happens: a named semaphore's mapping is not registered
/// with it (a [`RegionSemaphore`](crate::RegionSemaphore) in a region of `ipc-shm` is, as
/// part of its region).
///
/// # Send and Sync
///
/// Both: the mapping belongs to the process, not to a thread, and the `sem_*` functions are
/// thread-safe, so a handle may move between threads and be shared by them.
///
/// # Examples
///
/// The reference's "child signals parent" (doc 000), with a thread standing in for the child
/// (the `child_signals_parent` example uses a real process):
///
/// ```
/// use std::time::Duration;
/// use ipc_core::ObjectName;
/// use ipc_sem::Semaphore;
///
/// let name = ObjectName::unique("sem-doc")?;
/// let parent = Semaphore::create_new(&name, 0)?;
/// let child = Semaphore::open(&name)?;
/// std::thread::spawn(move || child.post());
/// parent.wait_timeout(Duration::from_secs(30))?;
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`sem_overview(7)`](https://man7.org/linux/man-pages/man7/sem_overview.7.html)
/// - [`sem_open(3)`](https://man7.org/linux/man-pages/man3/sem_open.3.html)
pub struct Semaphore {
    sem: NonNull<libc::sem_t>,
    name: ObjectName,
    identity: (u64, u64),
    ownership: Ownership,
}

// SAFETY: the mapping belongs to the process, so it may be used and unmapped on any thread;
// the `sem_*` functions are thread-safe; the other fields are plain owned values.
#[allow(unsafe_code, reason = "the mapping is usable from any thread")]
unsafe impl Send for Semaphore {}
// SAFETY: every `&self` method is one thread-safe `sem_*` call on the mapping, which stays
// mapped until the value drops.
#[allow(unsafe_code, reason = "the mapping is usable from any thread")]
unsafe impl Sync for Semaphore {}

impl Semaphore {
    /// Options for a new or opened semaphore (mode, trusted owner).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-builder-doc")?;
    /// let _sem = ipc_sem::Semaphore::builder().create_new(&name, 0)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder() -> SemaphoreBuilder {
        SemaphoreBuilder::default()
    }

    /// Creates the semaphore `name` holding `initial`, mode `0o600`; fails if it exists.
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) when the name is taken (a symbolic link
    ///   at it included: nothing is replaced or followed).
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `initial` is more than
    ///   [`SEM_VALUE_MAX`](crate::SEM_VALUE_MAX).
    /// - [`InvalidName`](ErrorKind::InvalidName) when the name is too long for its file.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied),
    ///   [`LimitReached`](ErrorKind::LimitReached) (descriptors), or
    ///   [`Other`](ErrorKind::Other) (`/dev/shm` full, no memory to map it) from the calls that
    ///   make it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    ///
    /// let name = ObjectName::unique("sem-create-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 2)?;
    /// assert_eq!(sem.value()?, 2);
    /// let again = ipc_sem::Semaphore::create_new(&name, 2).unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`sem_open(3)`](https://man7.org/linux/man-pages/man3/sem_open.3.html)
    #[doc(alias = "sem_open")]
    pub fn create_new(name: &ObjectName, initial: u32) -> Result<Self> {
        Self::builder().create_new(name, initial)
    }

    /// Opens the existing semaphore `name`. The handle never removes it.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when there is none.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) for a symbolic link at the name, a
    ///   semaphore owned by an untrusted user, or one the caller may not read and write.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when the name's file is not a regular
    ///   file.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the file is not one
    ///   `sem_t` long.
    /// - [`InvalidName`](ErrorKind::InvalidName) when the name is too long for its file.
    /// - [`LimitReached`](ErrorKind::LimitReached) (descriptors) or [`Other`](ErrorKind::Other)
    ///   (no memory to map it) from the calls that open it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    ///
    /// let name = ObjectName::unique("sem-open-doc")?;
    /// assert_eq!(ipc_sem::Semaphore::open(&name).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(name: &ObjectName) -> Result<Self> {
        Self::builder().open(name)
    }

    /// Creates the semaphore `name` holding `initial`, or opens the one already there, whose
    /// value is left as it is.
    ///
    /// # Errors
    ///
    /// Those of [`create_new`](Self::create_new) other than `AlreadyExists`, and those of
    /// [`open`](Self::open); [`NotFound`](ErrorKind::NotFound) when other processes remove
    /// the semaphore each time it is found (three attempts).
    ///
    /// # Examples
    ///
    /// The reference's critical section (doc 001, §2.8):
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-critical-doc")?;
    /// let sem = ipc_sem::Semaphore::open_or_create(&name, 1)?;
    /// sem.wait()?;
    /// println!("In critical section");
    /// sem.post()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_or_create(name: &ObjectName, initial: u32) -> Result<Self> {
        Self::builder().open_or_create(name, initial)
    }

    /// Removes the semaphore `name`, whoever made it (`sem_unlink`). Processes that have it
    /// open keep using it; later opens fail with [`NotFound`](ErrorKind::NotFound).
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when there is none.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when the caller may not remove it.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when the name's file is a directory.
    /// - [`InvalidName`](ErrorKind::InvalidName) when the name is too long for its file.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-unlink-doc")?;
    /// let mut sem = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// sem.persist();
    /// drop(sem);
    /// ipc_sem::Semaphore::unlink_name(&name)?;
    /// assert!(ipc_sem::Semaphore::open(&name).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_unlink")]
    pub fn unlink_name(name: &ObjectName) -> Result<()> {
        file::unlink(name)
    }

    /// Takes one, blocking while the value is 0. A signal handler that interrupts the wait
    /// does not end it.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-wait-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 1)?;
    /// sem.wait()?;
    /// assert_eq!(sem.value()?, 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`sem_wait(3)`](https://man7.org/linux/man-pages/man3/sem_wait.3.html)
    #[doc(alias = "sem_wait")]
    #[inline]
    pub fn wait(&self) -> Result<()> {
        ops::acquire(self.ptr(), Wait::Forever, || self.object())
    }

    /// Takes one if the value is above 0, without blocking.
    ///
    /// # Errors
    ///
    /// - [`WouldBlock`](ErrorKind::WouldBlock) when the value is 0.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-try-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// assert_eq!(sem.try_wait().unwrap_err().kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_trywait")]
    pub fn try_wait(&self) -> Result<()> {
        ops::acquire(self.ptr(), Wait::NonBlocking, || self.object())
    }

    /// Takes one, waiting at most `timeout` (measured on the monotonic clock).
    ///
    /// # Errors
    ///
    /// - [`TimedOut`](ErrorKind::TimedOut) when the value stayed 0 for `timeout`.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let name = ipc_core::ObjectName::unique("sem-timeout-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// let err = sem.wait_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_clockwait", alias = "sem_timedwait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<()> {
        ops::acquire(self.ptr(), Wait::timeout(timeout), || self.object())
    }

    /// Takes one, waiting at most until `deadline`.
    ///
    /// With glibc the wait is `sem_clockwait` on `CLOCK_MONOTONIC`, so a change of the wall
    /// clock neither shortens nor lengthens it; with another C library it is `sem_timedwait`,
    /// with the deadline converted to `CLOCK_REALTIME` just before each call.
    ///
    /// # Errors
    ///
    /// - [`TimedOut`](ErrorKind::TimedOut) when the value stayed 0 until `deadline`.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let name = ipc_core::ObjectName::unique("sem-deadline-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 1)?;
    /// sem.wait_deadline(Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`sem_clockwait(3)`](https://man7.org/linux/man-pages/man3/sem_clockwait.3.html)
    pub fn wait_deadline(&self, deadline: Instant) -> Result<()> {
        ops::acquire(self.ptr(), Wait::deadline(deadline), || self.object())
    }

    /// Gives one back, waking a waiter if there is one. Async-signal-safe in C; here it
    /// allocates only on error.
    ///
    /// # Errors
    ///
    /// - [`LimitReached`](ErrorKind::LimitReached) when the value is
    ///   [`SEM_VALUE_MAX`](crate::SEM_VALUE_MAX) already (`EOVERFLOW`); the value is unchanged.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-post-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, ipc_sem::SEM_VALUE_MAX)?;
    /// let err = sem.post().unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::LimitReached);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`sem_post(3)`](https://man7.org/linux/man-pages/man3/sem_post.3.html)
    #[doc(alias = "sem_post")]
    #[inline]
    pub fn post(&self) -> Result<()> {
        ops::release(self.ptr(), || self.object())
    }

    /// The value now (it may have changed by the time it is read).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-value-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 5)?;
    /// assert_eq!(sem.value()?, 5);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_getvalue")]
    pub fn value(&self) -> Result<u32> {
        ops::value(self.ptr(), || self.object())
    }

    /// The semaphore's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-name-doc")?;
    /// let sem = ipc_sem::Semaphore::create_new(&name, 0)?;
    /// assert_eq!(sem.name(), &name);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn name(&self) -> &ObjectName {
        &self.name
    }

    /// Whether this handle created the semaphore (and so removes it on drop, unless
    /// persisted or unlinked).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-created-doc")?;
    /// let sem = ipc_sem::Semaphore::open_or_create(&name, 0)?;
    /// assert!(sem.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn was_created(&self) -> bool {
        self.ownership != Ownership::Opener
    }

    /// Leaves the semaphore in place when this handle drops.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-persist-doc")?;
    /// let mut sem = ipc_sem::Semaphore::create_new(&name, 4)?;
    /// sem.persist();
    /// drop(sem);
    /// assert_eq!(ipc_sem::Semaphore::open(&name)?.value()?, 4);
    /// ipc_sem::Semaphore::unlink_name(&name)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn persist(&mut self) {
        self.ownership.persist();
    }

    /// Removes the name now, if it still names this semaphore (one that replaced it is left
    /// alone). This handle and others already open keep working.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when the name is gone already.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when another file has the name now.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when the caller may not remove it.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("sem-unlink-early-doc")?;
    /// let mut sem = ipc_sem::Semaphore::create_new(&name, 1)?;
    /// sem.unlink()?;
    /// assert!(ipc_sem::Semaphore::open(&name).is_err());
    /// sem.wait()?; // still usable
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn unlink(&mut self) -> Result<()> {
        self.ownership.take_removal();
        file::unlink_if(&self.name, self.identity)
    }

    /// The shared body of the constructors.
    pub(super) fn make(
        name: &ObjectName,
        mode: OpenMode,
        initial: u32,
        permissions: Permissions,
        owner: TrustedOwner,
    ) -> Result<Self> {
        let mapped = file::make(name, mode, initial, permissions, owner)?;
        Ok(Self {
            sem: mapped.sem,
            name: name.clone(),
            identity: mapped.identity,
            ownership: Ownership::created(mapped.created),
        })
    }

    #[inline]
    fn ptr(&self) -> SemPtr {
        #[allow(unsafe_code, reason = "the mapping this handle owns holds the sem_t")]
        // SAFETY: `sem` is this handle's page-aligned mapping of the file's one sem_t, which a
        // creator published only after `sem_init` (pshared) and which stays mapped until drop.
        unsafe {
            SemPtr::from_ptr(self.sem)
        }
    }

    fn object(&self) -> Object {
        Object::from(&self.name)
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        if self.ownership.take_removal() {
            // A drop cannot report; a name already gone or taken by another file is left.
            let _ = file::unlink_if(&self.name, self.identity);
        }
        #[allow(unsafe_code, reason = "unmapping the mapping this handle owns")]
        // SAFETY: `sem` came from `map_sem` in `file::make`, is unmapped only here, and the
        // handle is being dropped, so nothing uses it afterwards.
        unsafe {
            crate::sys::map::unmap_sem(self.sem);
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("name", &self.name)
            .field("ownership", &self.ownership)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semaphore_handle_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Semaphore>();
    }

    #[test]
    fn an_initial_value_above_the_maximum_is_refused_before_anything_is_made() {
        let name = ObjectName::unique("ipc-rs-test-sem-unit").unwrap();
        let err = Semaphore::create_new(&name, crate::SEM_VALUE_MAX + 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            Semaphore::open(&name).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
}
