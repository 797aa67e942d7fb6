//! Opening a header validated: from a region this process may write, or from a read-only
//! mapping.

use std::time::{Duration, Instant};

use ipc_core::{Backoff, Deadline, Error, ErrorKind, Result, SharedRegion};

use super::creator::claimant_is_dead;
use super::layout::{HEADER_LEN, Layout, STATE_OFFSET};
use super::source::Source;
use super::validate::{Problem, check};
use super::view::{Header, with_object};
use crate::ReadOnlyRegion;

impl<'r, R: SharedRegion + ?Sized> Header<'r, R> {
    /// Opens the header now: validates it against `layout` and the region's length.
    ///
    /// # Errors
    ///
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState): a field is wrong (the detail
    ///   starts with its name, as listed for [`validate`](super::validate)), or the region is
    ///   shorter than the header.
    /// - [`WouldBlock`](ErrorKind::WouldBlock): the header is not initialised yet, or its
    ///   creator is still initialising it (or cannot be proven dead).
    /// - [`PeerGone`](ErrorKind::PeerGone): the process that claimed the header died before
    ///   publishing it; the region will never be ready.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let layout = Layout::new(1, 1, 16);
    /// let err = Header::open(&region, layout).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock); // nobody initialised it yet
    ///
    /// Header::init(&region, layout, |_, _| Ok(()))?;
    /// assert_eq!(Header::open(&region, layout)?.payload_len(), 16);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(region: &'r R, layout: Layout) -> Result<Self> {
        attempt(region, &layout, "header::open")
    }

    /// Opens the header, waiting at most `timeout` for it to be initialised.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), with [`TimedOut`](ErrorKind::TimedOut) instead of
    /// [`WouldBlock`](ErrorKind::WouldBlock) once the time is up; a corrupt header or a dead
    /// initialiser is reported as soon as it is seen, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let layout = Layout::new(1, 1, 16);
    /// let err = Header::open_timeout(&region, layout, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_timeout(region: &'r R, layout: Layout, timeout: Duration) -> Result<Self> {
        wait_ready(
            region,
            &layout,
            Deadline::after(timeout),
            "header::open_timeout",
        )
    }

    /// Opens the header, waiting until `deadline` for it to be initialised.
    ///
    /// # Errors
    ///
    /// As [`open_timeout`](Self::open_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let layout = Layout::new(1, 1, 16);
    /// Header::init(&region, layout, |_, _| Ok(()))?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(Header::open_deadline(&region, layout, deadline)?.payload_len(), 16);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_deadline(region: &'r R, layout: Layout, deadline: Instant) -> Result<Self> {
        wait_ready(
            region,
            &layout,
            Deadline::at(deadline),
            "header::open_deadline",
        )
    }
}

impl<'r> Header<'r, ReadOnlyRegion> {
    /// Opens the header of a read-only mapping now: validates it against `layout` and the
    /// mapping's length, exactly as [`open`](Self::open) does for a writable region.
    ///
    /// This is the opener for [`ReadOnlySharedMemory`](crate::ReadOnlySharedMemory) (pass
    /// `&shm`, which derefs to its region), [`Memfd::map_read_only`](crate::Memfd::map_read_only)
    /// and [`MappedFile::open_read_only`](crate::MappedFile::open_read_only). A read-only
    /// mapping can never [`init`](Self::init) a header; its creator writes it through a writable
    /// mapping of the same object.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); errors raised by the validation do not name the object (a
    /// [`ReadOnlyRegion`] does not say what it maps), those of the copy do.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Memfd;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let layout = Layout::new(u64::from_ne_bytes(*b"config-1"), 1, 16);
    /// let memfd = Memfd::create("example", 4096)?;
    /// let writable = memfd.map()?;
    /// Header::init(&writable, layout, |region, payload| {
    ///     ipc_shm::RegionAccess::write_at(region, payload, b"sixteen bytes!!!")
    /// })?;
    ///
    /// let reader = memfd.map_read_only()?;
    /// let sut = Header::open_read_only(&reader, layout)?;
    /// let mut payload = [0u8; 16];
    /// reader.read_at(sut.payload_offset(), &mut payload)?;
    /// assert_eq!(&payload, b"sixteen bytes!!!");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_read_only(region: &'r ReadOnlyRegion, layout: Layout) -> Result<Self> {
        attempt(region, &layout, "header::open_read_only")
    }

    /// Opens the header of a read-only mapping, waiting at most `timeout` for it to be
    /// initialised.
    ///
    /// # Errors
    ///
    /// As [`open_timeout`](Self::open_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::Memfd;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// let reader = memfd.map_read_only()?;
    /// let layout = Layout::new(1, 1, 16);
    /// let err = Header::open_read_only_timeout(&reader, layout, Duration::from_millis(10))
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut); // nobody initialised it
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_read_only_timeout(
        region: &'r ReadOnlyRegion,
        layout: Layout,
        timeout: Duration,
    ) -> Result<Self> {
        wait_ready(
            region,
            &layout,
            Deadline::after(timeout),
            "header::open_read_only_timeout",
        )
    }

    /// Opens the header of a read-only mapping, waiting until `deadline` for it to be
    /// initialised.
    ///
    /// # Errors
    ///
    /// As [`open_timeout`](Self::open_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_shm::Memfd;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let memfd = Memfd::create("example", 4096)?;
    /// Header::init(&memfd.map()?, Layout::new(1, 1, 16), |_, _| Ok(()))?;
    /// let reader = memfd.map_read_only()?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let sut = Header::open_read_only_deadline(&reader, Layout::new(1, 1, 16), deadline)?;
    /// assert_eq!(sut.payload_len(), 16);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_read_only_deadline(
        region: &'r ReadOnlyRegion,
        layout: Layout,
        deadline: Instant,
    ) -> Result<Self> {
        wait_ready(
            region,
            &layout,
            Deadline::at(deadline),
            "header::open_read_only_deadline",
        )
    }
}

/// One attempt to open: load the state, copy the header, validate.
fn attempt<'r, R: Source + ?Sized>(
    region: &'r R,
    layout: &Layout,
    operation: &'static str,
) -> Result<Header<'r, R>> {
    look(region, layout, operation)?.map_err(|refusal| refusal.into_error(region, operation))
}

/// Why one look at the header found nothing to open.
enum Refusal {
    /// Not ready yet, and it may become ready: worth waiting for.
    Pending(Problem),
    /// `pid` claimed the header and died before publishing it: it will never be ready.
    ClaimantDied(u32),
    /// A field is wrong.
    Corrupt(Problem),
}

impl Refusal {
    /// The error for this refusal, raised by `operation` on `region`: built only when it is
    /// returned, not on every look of a wait.
    fn into_error<R: Source + ?Sized>(self, region: &R, operation: &'static str) -> Error {
        match self {
            Self::ClaimantDied(pid) => with_object(
                Error::new(ErrorKind::PeerGone, operation).with_detail(format!(
                    "state: pid {pid} claimed the header and died before it finished \
                     initialising; the region will never be ready: remove it and create it \
                     again"
                )),
                region,
            ),
            Self::Pending(problem) | Self::Corrupt(problem) => {
                problem.into_error(operation, region.source_object())
            }
        }
    }
}

/// Loads the state, copies the header and validates it: the header, or why there is none to
/// open. The outer error is a region that could not be read.
fn look<'r, R: Source + ?Sized>(
    region: &'r R,
    layout: &Layout,
    operation: &'static str,
) -> Result<std::result::Result<Header<'r, R>, Refusal>> {
    let mut bytes = [0u8; HEADER_LEN];
    if region.source_len() >= HEADER_LEN {
        // Acquire: pairs with the Release store of READY in `init`, so the copy below, made
        // after this load, sees the header and payload the creator wrote before publishing.
        let state = region.load_state(operation)?;
        region.copy_out(0, &mut bytes)?;
        // Validate the state this load saw, not the copy's: only the load orders the copy
        // after the creator's writes.
        bytes[STATE_OFFSET..STATE_OFFSET + 8].copy_from_slice(&state.to_ne_bytes());
    }
    Ok(match check(&bytes, layout, region.source_len()) {
        Ok(validated) => Ok(Header::from_parts(region, validated)),
        Err(Problem::Initialising { pid, pid_ns }) if claimant_is_dead(pid, pid_ns) => {
            Err(Refusal::ClaimantDied(pid))
        }
        Err(problem @ Problem::Corrupt(_)) => Err(Refusal::Corrupt(problem)),
        Err(problem) => Err(Refusal::Pending(problem)),
    })
}

/// Attempts to open until the header is ready or `deadline` passes: a few spins, then sleeps
/// that double up to [`MAX_SLEEP`], never past the deadline.
fn wait_ready<'r, R: Source + ?Sized>(
    region: &'r R,
    layout: &Layout,
    deadline: Deadline,
    operation: &'static str,
) -> Result<Header<'r, R>> {
    const SPINS: u32 = 6;
    const FIRST_SLEEP: Duration = Duration::from_micros(50);
    const MAX_SLEEP: Duration = Duration::from_millis(10);
    let mut round = 0_u32;
    let mut backoff = Backoff::new(FIRST_SLEEP, MAX_SLEEP, deadline);
    loop {
        let problem = match look(region, layout, operation)? {
            Ok(header) => return Ok(header),
            Err(Refusal::Pending(problem)) => problem,
            Err(refusal) => return Err(refusal.into_error(region, operation)),
        };
        if deadline.has_passed() {
            let waited = problem.into_error(operation, None);
            let detail = waited.detail().unwrap_or("the header is not ready");
            return Err(with_object(
                Error::new(ErrorKind::TimedOut, operation)
                    .with_detail(format!("{detail} (gave up at the deadline)")),
                region,
            ));
        }
        if round < SPINS {
            for _ in 0..1_u32 << round {
                std::hint::spin_loop();
            }
            round += 1;
        } else {
            // A `false` (the deadline passed meanwhile) is seen at the top of the next round.
            backoff.pause();
        }
    }
}
