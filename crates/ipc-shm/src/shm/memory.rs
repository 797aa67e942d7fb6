//! A named POSIX shared memory object, mapped read-write.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

#[cfg(doc)]
use ipc_core::ErrorKind;
use ipc_core::{Error, Object, ObjectName, Ownership, Result, SharedRegion};

use super::builder::SharedMemoryBuilder;
use super::object::{self, Opened, UNLINK};
use super::read_only::ReadOnlySharedMemory;
use crate::mapping::Mapping;
use crate::sys::shm;

/// A POSIX shared memory object (`shm_open`): a name that unrelated processes open, mapped
/// shared and read-write.
///
/// The object is the file `/dev/shm/<name>` on Linux. [`create_new`](Self::create_new) builds
/// it without a name (`O_TMPFILE`), gives it mode `0o600` (or the builder's
/// [`permissions`](SharedMemoryBuilder::permissions), set exactly with `fchmod`, whatever the
/// umask), sizes it with `ftruncate`, reserves its pages
/// ([`reserve`](SharedMemoryBuilder::reserve)), and only then links it to its name, which
/// fails rather than replace anything: a name, once visible, always has its full size and mode.
/// [`open`](Self::open) maps an existing object's whole current size;
/// [`open_or_create`](Self::open_or_create) does either, without a race and without waiting
/// for a creator, and never resizes an object it did not create. Every open is `O_NOFOLLOW |
/// O_CLOEXEC`, and the object is checked with `fstat` before it is mapped: a regular file, owned
/// by the caller or root (or a user the builder trusts), and not empty.
///
/// Access goes through [`RegionAccess`](crate::RegionAccess) (copies, atomics, typed views),
/// since this is a [`SharedRegion`]. The handle that created the object removes the name on
/// drop unless [`persist`](Self::persist)ed; a handle that opened it never does. Removing the
/// name does not unmap anything: processes that have it mapped keep the memory until they unmap.
///
/// # Errors
///
/// The constructors report, among others: [`NotFound`](ErrorKind::NotFound) (no such object),
/// [`AlreadyExists`](ErrorKind::AlreadyExists), [`PermissionDenied`](ErrorKind::PermissionDenied)
/// (mode, an untrusted owner, or a symbolic link at the name),
/// [`WrongObjectType`](ErrorKind::WrongObjectType) (not a regular file),
/// [`CorruptSharedState`](ErrorKind::CorruptSharedState) (an object smaller than required, or
/// empty), [`LimitReached`](ErrorKind::LimitReached) (the tmpfs at `/dev/shm` is full).
///
/// # SIGBUS
///
/// An object that is smaller than what is mapped raises `SIGBUS` on an access past its end,
/// which kills the process. Every open checks the size with `fstat` before mapping and maps no
/// more than it found, so an object shrunk *before* the open is refused
/// ([`CorruptSharedState`](ErrorKind::CorruptSharedState)). A POSIX shm object cannot be
/// sealed, though: a process with write access can still `ftruncate` it *after* this handle
/// mapped it, and accesses past the new end then fault. Share an object only with processes
/// trusted not to do that (the `0o600` default and the owner check limit who can), call
/// [`check_size`](Self::check_size) to detect it before touching what may be gone, or use a
/// [`Memfd`](crate::Memfd), which is sealed against shrinking (`F_SEAL_SHRINK`) and cannot
/// fault this way, where a peer is not trusted.
///
/// The fault is not recovered: leaving the signal handler with `siglongjmp` across Rust frames
/// is undefined behaviour, so the process still dies. Call
/// [`sigbus::install_diagnostic`](crate::sigbus::install_diagnostic) once, and the death first
/// writes a line to standard error that names this object and the offset that faulted; see the
/// [`sigbus`](crate::sigbus) module.
///
/// # Close-on-exec
///
/// The descriptor is opened with `O_CLOEXEC`, so programs this process starts do not inherit
/// it. The handle keeps it open (see [`as_fd`](AsFd::as_fd)): it pins the object's inode, so
/// the identity compared before removing the name cannot be reused, and it serves
/// [`check_size`](Self::check_size) and passing the object to another process over a socket.
///
/// # Crash behaviour
///
/// A creator that dies without dropping its handle leaves the object in `/dev/shm`, with its
/// contents, until it is removed or the system restarts; remove leftovers with
/// [`unlink_name`](Self::unlink_name). A peer that dies changes nothing here.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use ipc_core::ObjectName;
/// use ipc_shm::{RegionAccess, SharedMemory};
///
/// let name = ObjectName::unique("shm-example")?;
/// let shm = SharedMemory::create_new(&name, 4096)?;
/// shm.write_at(0, b"Hello from shared memory!")?;
/// shm.atomic_u32(256)?.store(42, Ordering::Release);
///
/// // Another process would do this; the same process can too.
/// let peer = SharedMemory::open(&name)?;
/// let mut text = [0u8; 25];
/// peer.read_at(0, &mut text)?;
/// assert_eq!(&text, b"Hello from shared memory!");
/// assert_eq!(peer.atomic_u32(256)?.load(Ordering::Acquire), 42);
/// drop(peer);
/// drop(shm); // the creator removes the name
/// assert!(SharedMemory::open(&name).is_err());
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`shm_open(3)`](https://man7.org/linux/man-pages/man3/shm_open.3.html)
/// - [`shm_overview(7)`](https://man7.org/linux/man-pages/man7/shm_overview.7.html)
/// - [`mmap(2)`](https://man7.org/linux/man-pages/man2/mmap.2.html), "SIGBUS"
pub struct SharedMemory {
    mapping: Mapping,
    fd: OwnedFd,
    name: ObjectName,
    ownership: Ownership,
    /// Device and inode of the object, so the name is removed only while it names this object.
    identity: (u64, u64),
    created: bool,
}

impl SharedMemory {
    /// Options: the mode of a new object, trusted owners, a least size, reservation.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("builder-example")?;
    /// let shm = ipc_shm::SharedMemory::builder().min_len(64).open_or_create(&name, 64)?;
    /// assert_eq!(shm.len(), 64);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder() -> SharedMemoryBuilder {
        SharedMemoryBuilder::default()
    }

    /// Creates the object `name` with `len` bytes (zeroed) and mode `0o600`, and maps it; fails
    /// if the name exists. The handle removes the name on drop unless persisted.
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): the name exists (a symbolic link there
    ///   included: it is not followed).
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): `len` is 0, or more than a tmpfs file
    ///   can hold.
    /// - [`LimitReached`](ErrorKind::LimitReached): the tmpfs at `/dev/shm` has no room for
    ///   `len` bytes; the limit names it and its size.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied): `/dev/shm` is not writable.
    /// - [`Other`](ErrorKind::Other): out of memory (`ENOMEM`), with a detail.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    /// use ipc_shm::SharedMemory;
    ///
    /// let name = ObjectName::unique("create-example")?;
    /// let shm = SharedMemory::create_new(&name, 4096)?;
    /// let err = SharedMemory::create_new(&name, 4096).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    /// # drop(shm);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "shm_open")]
    #[doc(alias = "ftruncate")]
    pub fn create_new(name: &ObjectName, len: usize) -> Result<Self> {
        Self::builder().create_new(name, len)
    }

    /// Opens the existing object `name` read-write and maps its whole current size, after
    /// checking it with `fstat`. The handle never removes the name on drop.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound): no object has this name.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied): the mode refuses us, a symbolic
    ///   link is at the name (`ELOOP`: it is not followed), or the owner is not trusted (the
    ///   detail names the uid; see [`SharedMemoryBuilder::trust_owner`]).
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType): not a regular file.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState): the object is empty or smaller
    ///   than [`SharedMemoryBuilder::min_len`] (truncated, or made by a program that names an
    ///   object before sizing it; this crate's creators never expose one unsized).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    ///
    /// let name = ObjectName::unique("missing-example")?;
    /// let err = ipc_shm::SharedMemory::open(&name).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// assert!(err.to_string().starts_with(&format!("shm_open {name}: not found")));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "shm_open")]
    pub fn open(name: &ObjectName) -> Result<Self> {
        Self::builder().open(name)
    }

    /// Creates the object `name` with `len` bytes, or opens the one already there, which must
    /// hold at least `len` bytes and is mapped whole; [`was_created`](Self::was_created) tells
    /// which happened.
    ///
    /// It never resizes an object it did not create. When several processes race, exactly one
    /// creates, and every other one opens the complete object at once: a new object gets its
    /// name only after it is sized (see the type's docs), so there is no empty object to wait
    /// for. A name that flips between taken and free under it (removed after it was found,
    /// published after it was missed) is tried again, three attempts in all.
    ///
    /// # Errors
    ///
    /// Those of [`create_new`](Self::create_new), except `AlreadyExists`, and those of
    /// [`open`](Self::open); [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the
    /// object found holds fewer than `len` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ObjectName;
    /// use ipc_shm::SharedMemory;
    ///
    /// let name = ObjectName::unique("either-example")?;
    /// let first = SharedMemory::open_or_create(&name, 8192)?;
    /// let second = SharedMemory::open_or_create(&name, 4096)?; // found, not resized
    /// assert!(first.was_created() && !second.was_created());
    /// assert_eq!(second.len(), 8192);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_or_create(name: &ObjectName, len: usize) -> Result<Self> {
        Self::builder().open_or_create(name, len)
    }

    /// Opens the existing object `name` read-only (`O_RDONLY`, `PROT_READ`) and maps its whole
    /// current size: a handle with copies out and atomic loads, and the name.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); [`PermissionDenied`](ErrorKind::PermissionDenied) also when the
    /// mode does not let us read.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ObjectName;
    /// use ipc_shm::{RegionAccess, SharedMemory};
    ///
    /// let name = ObjectName::unique("read-only-example")?;
    /// let shm = SharedMemory::create_new(&name, 4096)?;
    /// shm.write_at(0, b"frozen")?;
    /// let reader = SharedMemory::open_read_only(&name)?;
    /// let mut copy = [0u8; 6];
    /// reader.read_at(0, &mut copy)?;
    /// assert_eq!(&copy, b"frozen");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "shm_open")]
    pub fn open_read_only(name: &ObjectName) -> Result<ReadOnlySharedMemory> {
        Self::builder().open_read_only(name)
    }

    /// Removes the object `name` (`shm_unlink`), whoever made it: for leftovers of a crashed
    /// creator, or the last user of a persisted object. Mappings stay valid.
    ///
    /// # Errors
    ///
    /// [`NotFound`](ErrorKind::NotFound) when no object has this name;
    /// [`PermissionDenied`](ErrorKind::PermissionDenied) when another user owns it (`/dev/shm`
    /// is sticky).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    /// use ipc_shm::SharedMemory;
    ///
    /// let name = ObjectName::unique("unlink-example")?;
    /// SharedMemory::create_new(&name, 4096)?.persist();
    /// SharedMemory::unlink_name(&name)?;
    /// assert_eq!(SharedMemory::unlink_name(&name).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`shm_unlink(3)`](https://man7.org/linux/man-pages/man3/shm_unlink.3.html)
    #[doc(alias = "shm_unlink")]
    pub fn unlink_name(name: &ObjectName) -> Result<()> {
        shm::unlink(name).map_err(|errno| Error::from_errno(UNLINK, name, errno))
    }

    /// The object's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("name-example")?;
    /// let shm = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// assert_eq!(shm.name(), &name);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn name(&self) -> &ObjectName {
        &self.name
    }

    /// The mapped length in bytes: the size given to a new object, or the size an opened object
    /// had when it was opened.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("len-example")?;
    /// assert_eq!(ipc_shm::SharedMemory::create_new(&name, 100)?.len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.mapping.len()
    }

    /// Always `false`: an empty object is never mapped.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("empty-example")?;
    /// assert!(!ipc_shm::SharedMemory::create_new(&name, 1)?.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether this handle created the object (`create_new`, or `open_or_create` that found
    /// nothing) rather than opened an existing one.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("created-example")?;
    /// let shm = ipc_shm::SharedMemory::open_or_create(&name, 4096)?;
    /// assert!(shm.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// Leaves the object in place when this handle drops (for a creator; an opener never
    /// removes it anyway).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ObjectName;
    /// use ipc_shm::SharedMemory;
    ///
    /// let name = ObjectName::unique("persist-example")?;
    /// let mut shm = SharedMemory::create_new(&name, 4096)?;
    /// shm.persist();
    /// drop(shm);
    /// let found = SharedMemory::open(&name)?;
    /// SharedMemory::unlink_name(found.name())?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn persist(&mut self) {
        self.ownership.persist();
    }

    /// Removes the name now, if it still names this handle's object (any handle may, creator or
    /// not); the mapping stays valid, and the drop has nothing left to remove.
    ///
    /// # Errors
    ///
    /// [`NotFound`](ErrorKind::NotFound) when the name is already gone;
    /// [`WrongObjectType`](ErrorKind::WrongObjectType) when another object has replaced ours
    /// at the name (it is left alone).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ObjectName;
    /// use ipc_shm::{RegionAccess, SharedMemory};
    ///
    /// let name = ObjectName::unique("unlink-example")?;
    /// let mut shm = SharedMemory::create_new(&name, 4096)?;
    /// shm.unlink()?;
    /// assert!(SharedMemory::open(&name).is_err());
    /// shm.write_at(0, b"still mapped")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "shm_unlink")]
    pub fn unlink(&mut self) -> Result<()> {
        self.ownership.take_removal();
        object::unlink_if(&self.name, self.identity)
    }

    /// Checks with `fstat` that the object still holds every mapped byte: a peer that shrank it
    /// with `ftruncate` makes accesses past the new end raise `SIGBUS` (see the type's docs).
    ///
    /// # Errors
    ///
    /// [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the object is now smaller
    /// than [`len`](Self::len), with both sizes in the detail.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("check-example")?;
    /// let shm = ipc_shm::SharedMemory::create_new(&name, 4096)?;
    /// shm.check_size()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn check_size(&self) -> Result<()> {
        object::check_still(self.fd.as_fd(), &self.name, self.len())
    }

    /// Maps what `opened` describes; a new object is removed again if that fails.
    pub(super) fn from_opened(name: &ObjectName, opened: Opened) -> Result<Self> {
        let Opened {
            fd,
            len,
            identity,
            created,
        } = opened;
        let mapping = match Mapping::of_fd(fd.as_fd(), len, true, "mmap", name) {
            Ok(mapping) => mapping,
            Err(err) => {
                if created {
                    let _ = object::unlink_if(name, identity);
                }
                return Err(err);
            }
        };
        Ok(Self {
            mapping,
            fd,
            name: name.clone(),
            ownership: Ownership::created(created),
            identity,
            created,
        })
    }
}

impl Drop for SharedMemory {
    fn drop(&mut self) {
        if self.ownership.take_removal() {
            // A drop cannot report; a name already gone or reused is left as it is.
            let _ = object::unlink_if(&self.name, self.identity);
        }
    }
}

// SAFETY: the address and length come from `Mapping`, fixed and non-zero until drop, where the
// mapping is unmapped; it was mapped `PROT_READ | PROT_WRITE` and `MAP_SHARED`. Promise 4 is
// met as far as a POSIX shm object allows: the size was checked with `fstat` before mapping
// and no more than it was mapped; the window left (a peer's later `ftruncate`) is documented on
// the type under "SIGBUS".
#[allow(unsafe_code, reason = "a region states the SharedRegion contract")]
unsafe impl SharedRegion for SharedMemory {
    fn as_ptr(&self) -> *mut u8 {
        self.mapping.ptr()
    }

    fn len(&self) -> usize {
        self.mapping.len()
    }

    fn object(&self) -> Option<Object> {
        Some(Object::from(&self.name))
    }
}

/// The object's descriptor, open for reading and writing, close-on-exec; see the type's
/// "Close-on-exec" for why the handle keeps it.
impl AsFd for SharedMemory {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SharedMemory {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMemory")
            .field("name", &self.name)
            .field("len", &self.len())
            .field("fd", &self.fd)
            .field("ownership", &self.ownership)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // No `unsafe impl` is needed: every field is `Send + Sync` (`Mapping` states its own
    // bounds), and this test keeps it so.
    #[test]
    fn shared_memory_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SharedMemory>();
        assert_send_sync::<ReadOnlySharedMemory>();
    }
}
