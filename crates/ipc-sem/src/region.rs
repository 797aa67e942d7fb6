//! Unnamed semaphores placed in a shared region.

use std::fmt;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Object, Result, SharedRegion, Wait};
use ipc_shm::RegionAccess;
use ipc_shm::slot::{Slot, SlotType};

use crate::ops;
use crate::sys::sem::{SEM_ALIGN, SEM_SIZE, SemPtr};

/// The slot type of a semaphore in a region: tag `SEM1`, a body of one `sem_t`.
///
/// # Examples
///
/// ```
/// use ipc_sem::SEMAPHORE_SLOT;
///
/// assert_eq!(SEMAPHORE_SLOT.tag(), u32::from_ne_bytes(*b"SEM1"));
/// assert_eq!(SEMAPHORE_SLOT.footprint(), 16 + size_of::<libc::sem_t>());
/// ```
pub const SEMAPHORE_SLOT: SlotType = SlotType::new("semaphore", *b"SEM1", SEM_SIZE, SEM_ALIGN);

/// An unnamed POSIX semaphore (`sem_init` with `pshared = 1`) placed at an offset of a shared
/// region: POSIX shared memory, a memfd, a mapped file, an anonymous shared mapping, or any
/// other [`SharedRegion`].
///
/// The semaphore sits in an [`ipc_shm::slot`] — a tag in front of it that says "semaphore"
/// and how large it is — so [`open`](Self::open) in another process checks what is at the
/// offset before using it. [`init`](Self::init) claims the slot and runs `sem_init` once; it
/// fails if the slot is taken. It occupies [`SEMAPHORE_SLOT`]`.footprint()` bytes from its
/// offset, which must be a multiple of 8 (the slot's alignment).
///
/// The handle borrows the region, so the semaphore cannot outlive its mapping. The API is the
/// one of [`Semaphore`](crate::Semaphore): [`wait`](Self::wait), [`try_wait`](Self::try_wait),
/// [`wait_timeout`](Self::wait_timeout), [`wait_deadline`](Self::wait_deadline),
/// [`post`](Self::post), [`value`](Self::value); both types share one implementation.
///
/// # Crash behaviour
///
/// As for named semaphores, POSIX has no undo: a count taken by a process that dies stays
/// taken, and a process killed while it waits stays counted as a waiter in the `sem_t`
/// (harmless; every later `post` then makes a `FUTEX_WAKE` system call).
///
/// # Trust
///
/// Every process that may write the region can change the count at will, and one that writes
/// garbage into the `sem_t` makes the C library misbehave: wrong counts, lost wake-ups, or
/// (glibc 2.36, checked) the process aborted with "The futex facility returned an unexpected
/// error code". Place a semaphore only in a region shared with processes trusted not to
/// corrupt it; the regions of `ipc-shm` are `0o600` and owner-checked by default, which keeps
/// it to the same user. A region that can shrink under its mapping has the `SIGBUS` window
/// that [`ipc_shm::sigbus`] describes.
///
/// # Destruction
///
/// `sem_destroy` is never called: "Destroying a semaphore that other processes or threads are
/// currently blocked on (in sem_wait(3)) produces undefined behavior" (`sem_destroy(3)`), and
/// a handle cannot know whether other processes still use the semaphore. On Linux
/// `sem_destroy` does nothing anyway; the semaphore ends with the memory that holds it.
///
/// # Send and Sync
///
/// Like `&R`: `Send` and `Sync` when the region is `Sync`, since the handle is a borrow of the
/// region and the `sem_*` calls are thread-safe.
///
/// # Examples
///
/// ```
/// use ipc_shm::AnonymousRegion;
/// use ipc_sem::RegionSemaphore;
///
/// let region = AnonymousRegion::new(4096)?;
/// let sut = RegionSemaphore::init(&region, 64, 1)?;
/// sut.wait()?;
/// sut.post()?;
/// let opened = RegionSemaphore::open(&region, 64)?; // what another process would do
/// assert_eq!(opened.value()?, 1);
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`sem_init(3)`](https://man7.org/linux/man-pages/man3/sem_init.3.html)
/// - [`sem_overview(7)`](https://man7.org/linux/man-pages/man7/sem_overview.7.html)
pub struct RegionSemaphore<'r, R: SharedRegion + ?Sized> {
    region: &'r R,
    offset: usize,
    sem: NonNull<libc::sem_t>,
}

// SAFETY: the handle is a shared borrow of the region plus a pointer into it; `&R` is `Send`
// when `R: Sync`, and the `sem_*` calls on the pointer are thread-safe.
#[allow(unsafe_code, reason = "the handle is a borrow of a region")]
unsafe impl<R: SharedRegion + Sync + ?Sized> Send for RegionSemaphore<'_, R> {}
// SAFETY: every `&self` method is a thread-safe `sem_*` call or a read of a fixed field.
#[allow(unsafe_code, reason = "the handle is a borrow of a region")]
unsafe impl<R: SharedRegion + Sync + ?Sized> Sync for RegionSemaphore<'_, R> {}

impl<'r, R: SharedRegion + ?Sized> RegionSemaphore<'r, R> {
    /// Initialises a process-shared semaphore holding `initial` in the slot at `offset`.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 8,
    ///   the slot does not fit in the region, or `initial` is more than
    ///   [`SEM_VALUE_MAX`](crate::SEM_VALUE_MAX).
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) when the slot is initialised already, is
    ///   being initialised, was claimed by an initialiser that died before it finished (the
    ///   slot can never be initialised again), or holds something else; the detail says which.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_sem::RegionSemaphore;
    ///
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// RegionSemaphore::init(&region, 0, 5)?;
    /// let again = RegionSemaphore::init(&region, 0, 5).unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_init")]
    pub fn init(region: &'r R, offset: usize, initial: u32) -> Result<Self> {
        let object = || describe(region, offset);
        ops::check_initial("sem_init", initial, object)?;
        let mut sem = None;
        Slot::init(region, offset, SEMAPHORE_SLOT, |region, body| {
            let ptr = body_ptr(region, offset, body)?;
            #[allow(
                unsafe_code,
                reason = "sem_init on the body of a slot this call claimed"
            )]
            // SAFETY: `ptr` is SEM_SIZE bytes inside the region, aligned to SEM_ALIGN (the
            // slot aligns its body so), writable (a region is), and unused: the slot is ours
            // until it is published as ready after this closure. It stays mapped while
            // `region` is borrowed, which outlives the handle.
            let init = unsafe { SemPtr::init(ptr, initial) };
            init.map_err(|errno| Error::from_errno("sem_init", object(), errno))?;
            sem = Some(ptr);
            Ok(())
        })
        .map_err(|err| err.with_object(object()))?;
        let sem = sem.ok_or_else(|| {
            Error::new(ErrorKind::Other, "sem_init")
                .with_object(object())
                .with_detail("the slot was published without running sem_init")
        })?;
        Ok(Self {
            region,
            offset,
            sem,
        })
    }

    /// Opens the semaphore in the slot at `offset`, after checking that the slot is ready and
    /// tagged as a semaphore of this platform's `sem_t` size.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 8
    ///   or the slot does not fit in the region.
    /// - [`WouldBlock`](ErrorKind::WouldBlock) when the slot is not initialised yet, or is
    ///   being initialised by a process that is (or cannot be proven not to be) alive.
    /// - [`PeerGone`](ErrorKind::PeerGone) when the process that claimed the slot died before
    ///   it finished initialising: the semaphore will never be ready; remove the region and
    ///   create it again.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) when the slot holds something
    ///   else, or its tag is damaged.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_sem::RegionSemaphore;
    ///
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let err = RegionSemaphore::open(&region, 0).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(region: &'r R, offset: usize) -> Result<Self> {
        let slot = Slot::open(region, offset, SEMAPHORE_SLOT)
            .map_err(|err| err.with_object(describe(region, offset)))?;
        let sem = body_ptr(region, offset, slot.body_offset())?;
        Ok(Self {
            region,
            offset,
            sem,
        })
    }

    /// Takes one, blocking while the value is 0; see [`Semaphore::wait`](crate::Semaphore::wait).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_sem::RegionSemaphore::init(&region, 0, 1)?;
    /// sut.wait()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_wait")]
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
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_sem::RegionSemaphore::init(&region, 0, 0)?;
    /// assert_eq!(sut.try_wait().unwrap_err().kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_trywait")]
    pub fn try_wait(&self) -> Result<()> {
        ops::acquire(self.ptr(), Wait::NonBlocking, || self.object())
    }

    /// Takes one, waiting at most `timeout` (monotonic).
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
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_sem::RegionSemaphore::init(&region, 0, 0)?;
    /// let err = sut.wait_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_clockwait", alias = "sem_timedwait")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<()> {
        ops::acquire(self.ptr(), Wait::timeout(timeout), || self.object())
    }

    /// Takes one, waiting at most until `deadline`; see
    /// [`Semaphore::wait_deadline`](crate::Semaphore::wait_deadline) for the clock.
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
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_sem::RegionSemaphore::init(&region, 0, 1)?;
    /// sut.wait_deadline(Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<()> {
        ops::acquire(self.ptr(), Wait::deadline(deadline), || self.object())
    }

    /// Gives one back, waking a waiter if there is one.
    ///
    /// # Errors
    ///
    /// - [`LimitReached`](ErrorKind::LimitReached) at [`SEM_VALUE_MAX`](crate::SEM_VALUE_MAX).
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_sem::RegionSemaphore::init(&region, 0, 0)?;
    /// sut.post()?;
    /// assert_eq!(sut.value()?, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_post")]
    pub fn post(&self) -> Result<()> {
        ops::release(self.ptr(), || self.object())
    }

    /// The value now.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) if the C library refuses the `sem_t`
    ///   as invalid. POSIX lets it check; glibc does not ([Trust](Self#trust)).
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// assert_eq!(ipc_sem::RegionSemaphore::init(&region, 0, 3)?.value()?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sem_getvalue")]
    pub fn value(&self) -> Result<u32> {
        ops::value(self.ptr(), || self.object())
    }

    /// The offset of the semaphore's slot in the region.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// assert_eq!(ipc_sem::RegionSemaphore::init(&region, 128, 0)?.offset(), 128);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The region the semaphore is in.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(4096)?;
    /// let sut = ipc_sem::RegionSemaphore::init(&region, 0, 0)?;
    /// assert!(std::ptr::eq(sut.region(), &region));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn region(&self) -> &'r R {
        self.region
    }

    fn ptr(&self) -> SemPtr {
        #[allow(
            unsafe_code,
            reason = "the sem_t of a validated slot in a borrowed region"
        )]
        // SAFETY: `sem` is the body of a slot that `init` initialised with sem_init (pshared)
        // or `open` found ready with the semaphore tag and sem_t size; it is aligned (the slot
        // aligns its body to SEM_ALIGN, checked by `body_ptr`) and stays mapped while
        // `region` is borrowed, which outlives `self`.
        unsafe {
            SemPtr::from_ptr(self.sem)
        }
    }

    fn object(&self) -> Object {
        describe(self.region, self.offset)
    }
}

impl<R: SharedRegion + ?Sized> fmt::Debug for RegionSemaphore<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionSemaphore")
            .field("region", &self.region.object())
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// A pointer to the `sem_t` body at `body` of the slot at `offset`, bounds- and
/// alignment-checked; errors name the semaphore.
fn body_ptr<R: SharedRegion + ?Sized>(
    region: &R,
    offset: usize,
    body: usize,
) -> Result<NonNull<libc::sem_t>> {
    let ptr = region
        .ptr_at_aligned(body, SEM_SIZE, SEM_ALIGN)
        .map_err(|err| err.with_object(describe(region, offset)))?;
    Ok(ptr.cast::<libc::sem_t>())
}

/// The semaphore at `offset` of `region`, as errors name it.
fn describe<R: SharedRegion + ?Sized>(region: &R, offset: usize) -> Object {
    match region.object() {
        Some(object) => Object::from(format!("semaphore at offset {offset} of {object}")),
        None => Object::from(format!("semaphore at offset {offset}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_shm::AnonymousRegion;

    #[test]
    fn a_region_semaphore_is_send_and_sync_when_its_region_is_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RegionSemaphore<'static, AnonymousRegion>>();
    }

    #[test]
    fn posts_and_waits_share_one_count_across_handles() {
        let region = AnonymousRegion::new(4096).unwrap();
        let sut = RegionSemaphore::init(&region, 8, 0).unwrap();
        let other = RegionSemaphore::open(&region, 8).unwrap();
        sut.post().unwrap();
        sut.post().unwrap();
        other.wait().unwrap();
        assert_eq!(sut.value().unwrap(), 1);
    }

    #[test]
    fn slot_errors_name_the_semaphore_not_only_its_region() {
        let region = AnonymousRegion::new(4096).unwrap();
        let sut = RegionSemaphore::open(&region, 64).unwrap_err();
        let object = sut.object().map(ToString::to_string).unwrap_or_default();
        assert!(object.starts_with("semaphore at offset 64"), "{sut}");
        RegionSemaphore::init(&region, 64, 0).unwrap();
        let sut = RegionSemaphore::init(&region, 64, 0).unwrap_err();
        assert_eq!(sut.kind(), ErrorKind::AlreadyExists);
        let object = sut.object().map(ToString::to_string).unwrap_or_default();
        assert!(object.starts_with("semaphore at offset 64"), "{sut}");
    }

    #[test]
    fn an_initial_value_above_the_maximum_leaves_the_slot_empty() {
        let region = AnonymousRegion::new(4096).unwrap();
        let err = RegionSemaphore::init(&region, 0, crate::SEM_VALUE_MAX + 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            RegionSemaphore::open(&region, 0).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    }
}
