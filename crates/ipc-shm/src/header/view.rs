//! The validated view of a header, and initialising a region's header once.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use ipc_core::{Error, ErrorKind, Result, SharedRegion};

use super::creator::Creator;
use super::layout::{
    HEADER_LEN, HEADER_MAGIC, HEADER_VERSION, Layout, RawHeader, STATE_OFFSET, phase, split_state,
    state_word,
};
use super::source::Source;
use super::validate::{Validated, check};
use crate::{ReadOnlyRegion, RegionAccess};

/// A validated view of the header at the start of a structured region: the payload's place
/// and the creator's identity.
///
/// [`init`](Self::init) claims a fresh region's header, writes it, runs the caller's
/// initialiser on the payload and publishes both at once; [`open`](Self::open) (now) and
/// [`open_timeout`](Self::open_timeout) / [`open_deadline`](Self::open_deadline) (waiting for
/// an initialiser still at work) validate the header against the [`Layout`] the caller expects.
/// The module docs describe the bytes and the protocol.
///
/// A process that maps the region read-only ([`ReadOnlySharedMemory`](crate::ReadOnlySharedMemory),
/// [`Memfd::map_read_only`](crate::Memfd::map_read_only),
/// [`MappedFile::open_read_only`](crate::MappedFile::open_read_only)) opens it with
/// [`open_read_only`](Header::open_read_only) and its waiting forms, which validate the same way.
///
/// The view is a snapshot taken when it was made: the header does not change after it is
/// published, except by a hostile or buggy peer, and nothing in the view is re-read.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use ipc_shm::{AnonymousRegion, RegionAccess};
/// use ipc_shm::header::{Header, Layout};
///
/// const COUNTER: Layout = Layout::new(u64::from_ne_bytes(*b"counter1"), 1, 8);
///
/// let region = AnonymousRegion::new(4096)?;
/// let created = Header::init(&region, COUNTER, |region, payload| {
///     region.atomic_u64(payload)?.store(41, Ordering::Relaxed);
///     Ok(())
/// })?;
///
/// // Any process mapping the region (here, this one again) opens it validated.
/// let sut = Header::open(&region, COUNTER)?;
/// assert_eq!(sut.payload_offset(), created.payload_offset());
/// let counter = region.atomic_u64(sut.payload_offset())?;
/// assert_eq!(counter.fetch_add(1, Ordering::Relaxed), 41);
///
/// // A process that expects another layout is refused.
/// let other = Layout::new(u64::from_ne_bytes(*b"queue--1"), 1, 8);
/// let err = Header::open(&region, other).unwrap_err();
/// assert_eq!(err.kind(), ipc_core::ErrorKind::CorruptSharedState);
/// assert!(err.to_string().contains("layout_tag"), "{err}");
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub struct Header<'r, R: ?Sized> {
    region: &'r R,
    validated: Validated,
}

impl<'r, R: ?Sized> Header<'r, R> {
    /// The view of a header that `validated` describes, at the start of `region`.
    pub(super) fn from_parts(region: &'r R, validated: Validated) -> Self {
        Self { region, validated }
    }
}

impl<'r, R: SharedRegion + ?Sized> Header<'r, R> {
    /// Claims the header of a fresh region, writes it for `layout`, runs `init` on the payload
    /// and publishes header and payload together.
    ///
    /// `init` receives the region and the payload's offset ([`HEADER_LEN`]); it must write
    /// every payload byte it relies on, since a region backed by a file or reused after a
    /// failed initialisation need not be zeroed. No opener sees the payload before `init`
    /// returns `Ok`. If `init` fails or panics, the header is reset to uninitialised (its
    /// fields zeroed, the payload left as `init` left it), so that a later `init`, by this or
    /// another process, can try again; the error is returned as `init` made it.
    ///
    /// Exactly one of several processes racing to initialise one region succeeds; the others
    /// get [`AlreadyExists`](ErrorKind::AlreadyExists) and go on to
    /// [`open_timeout`](Self::open_timeout), which waits for the winner to publish.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the header and a payload of
    ///   `layout.len()` bytes do not fit in the region.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): the header is initialised, or being
    ///   initialised, or holds something else; the detail says which and by whom.
    /// - Whatever `init` returns.
    ///
    /// # Crash behaviour
    ///
    /// A creator killed before it publishes leaves the header claimed by its pid: openers
    /// report [`PeerGone`](ErrorKind::PeerGone) once they can prove it dead, and the region
    /// cannot be initialised again; remove the object and create a new one.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let layout = Layout::new(1, 1, 16);
    /// let sut = Header::init(&region, layout, |region, payload| {
    ///     region.write_at(payload, b"hello, openers!!")
    /// })?;
    /// assert_eq!(sut.payload_len(), 16);
    ///
    /// let again = Header::init(&region, layout, |_, _| Ok(())).unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn init(
        region: &'r R,
        layout: Layout,
        init: impl FnOnce(&'r R, usize) -> Result<()>,
    ) -> Result<Self> {
        const OP: &str = "header::init";
        let region_len = region.len();
        if HEADER_LEN
            .checked_add(layout.len())
            .is_none_or(|end| end > region_len)
        {
            return Err(with_object(
                Error::new(ErrorKind::InvalidArgument, OP).with_detail(format!(
                    "the {HEADER_LEN}-byte header and a {}-byte payload do not fit in the \
                     region's {region_len} bytes",
                    layout.len()
                )),
                region,
            ));
        }
        let me = Creator::current();
        let state = region.atomic_u64(STATE_OFFSET)?;
        let claim = state_word(me.pid(), phase::INITIALISING);
        // The claim: only one process turns 0 into its own word, so only one writes the header.
        // Acquire: pairs with the Release store of 0 in `reset` by an initialiser that failed,
        // so its zeroing happens before the writes below and cannot land after them.
        let fresh = state_word(0, phase::UNINITIALISED);
        if let Err(current) =
            state.compare_exchange(fresh, claim, Ordering::Acquire, Ordering::Relaxed)
        {
            return Err(with_object(
                Error::new(ErrorKind::AlreadyExists, OP).with_detail(describe_taken(current)),
                region,
            ));
        }

        let (start_time, boot_id, pid_ns) = me.recorded();
        let header = RawHeader {
            magic: HEADER_MAGIC,
            header_version: HEADER_VERSION,
            // HEADER_LEN fits in u32: asserted next to the layout.
            header_len: HEADER_LEN as u32,
            state: claim,
            layout_tag: layout.tag(),
            layout_len: layout.len() as u64,
            layout_version: layout.version(),
            reserved: 0,
            creator_start_time: start_time,
            creator_boot_id: boot_id,
            creator_pid_ns: pid_ns,
            reserved_tail: [0; 7],
        };
        let guard = ResetOnDrop {
            region,
            state,
            armed: true,
        };
        write_around_state(region, &header.to_bytes())?;
        init(region, HEADER_LEN)?;
        let mut guard = guard;
        guard.armed = false;

        // Release: pairs with the Acquire load in `attempt`; an opener that sees READY sees the
        // header fields and the payload written above.
        state.store(state_word(me.pid(), phase::READY), Ordering::Release);
        Ok(Self {
            region,
            validated: check(&header_ready(&header, me.pid()), &layout, region_len)
                .map_err(|problem| problem.into_error(OP, region.object()))?,
        })
    }
}

impl<'r, R: ?Sized> Header<'r, R> {
    /// The region the header is at the start of.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let sut = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(()))?;
    /// assert_eq!(sut.region().len(), 4096);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn region(&self) -> &'r R {
        self.region
    }

    /// Where the payload starts: [`HEADER_LEN`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{HEADER_LEN, Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let sut = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(()))?;
    /// assert_eq!(sut.payload_offset(), HEADER_LEN);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn payload_offset(&self) -> usize {
        self.validated.payload_offset()
    }

    /// The payload's length in bytes, as the creator wrote it (more than the layout's length
    /// only for a [`Layout::or_longer`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// Header::init(&region, Layout::new(1, 1, 3000), |_, _| Ok(()))?;
    /// let sut = Header::open(&region, Layout::new(1, 1, 100).or_longer())?;
    /// assert_eq!(sut.payload_len(), 3000);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn payload_len(&self) -> usize {
        self.validated.payload_len()
    }

    /// The process that initialised the header.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout, Liveness};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let sut = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(()))?;
    /// assert_eq!(sut.creator().liveness(), Liveness::Alive);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn creator(&self) -> Creator {
        self.validated.creator()
    }
}

impl<R: SharedRegion + ?Sized> fmt::Debug for Header<'_, R> {
    /// Shows the region's object rather than the region, so that any region type will do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(self, f)
    }
}

impl fmt::Debug for Header<'_, ReadOnlyRegion> {
    /// Shows the region's object rather than the region, as for a writable region.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(self, f)
    }
}

/// The `Debug` form of a header over any region.
fn debug<R: Source + ?Sized>(header: &Header<'_, R>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.debug_struct("Header")
        .field("region", &header.region.source_object())
        .field("payload_offset", &header.payload_offset())
        .field("payload_len", &header.payload_len())
        .field("creator", &header.creator())
        .finish()
}

/// Adds the region's object, if it has one, to `error`.
pub(super) fn with_object<R: Source + ?Sized>(error: Error, region: &R) -> Error {
    match region.source_object() {
        Some(object) => error.with_object(object),
        None => error,
    }
}

/// What holds a header that `init` could not claim.
fn describe_taken(word: u64) -> String {
    match split_state(word) {
        (pid, phase::READY) => format!("state: the header is already initialised, by pid {pid}"),
        (pid, phase::INITIALISING) => format!("state: pid {pid} is initialising the header"),
        _ => format!("state is {word:#018x}, not 0: the region holds something else"),
    }
}

/// `header`'s bytes with the state published as ready by `pid`.
fn header_ready(header: &RawHeader, pid: u32) -> [u8; HEADER_LEN] {
    RawHeader {
        state: state_word(pid, phase::READY),
        ..*header
    }
    .to_bytes()
}

/// Copies `bytes` into the header, all but the state word, which only atomics touch.
pub(super) fn write_around_state<R: SharedRegion + ?Sized>(
    region: &R,
    bytes: &[u8; HEADER_LEN],
) -> Result<()> {
    let after = STATE_OFFSET + 8;
    region.write_at(0, &bytes[..STATE_OFFSET])?;
    region.write_at(after, &bytes[after..])
}

/// Resets a claimed header to uninitialised unless disarmed: the cleanup of an `init` whose
/// initialiser failed or panicked.
struct ResetOnDrop<'a, R: SharedRegion + ?Sized> {
    region: &'a R,
    state: &'a AtomicU64,
    armed: bool,
}

impl<R: SharedRegion + ?Sized> Drop for ResetOnDrop<'_, R> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // The bounds were checked before the claim, so this cannot fail; if it did, the state
        // is still reset, and the next initialiser overwrites every field anyway.
        let _ = write_around_state(self.region, &[0; HEADER_LEN]);
        // Release: pairs with the Acquire of the next claim in `init`, which then writes after
        // the zeroing above.
        self.state
            .store(state_word(0, phase::UNINITIALISED), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::AnonymousRegion;

    const LAYOUT: Layout = Layout::new(0xabc, 2, 64);

    #[test]
    fn a_failed_initialiser_leaves_the_header_free_for_another_try() {
        let region = AnonymousRegion::new(4096).unwrap();
        let err = Header::init(&region, LAYOUT, |region, payload| {
            region.write_at(payload, b"partial")?;
            Err(Error::new(ErrorKind::Other, "test-init"))
        })
        .unwrap_err();
        assert_eq!(err.operation(), "test-init");
        let mut bytes = [1u8; HEADER_LEN];
        region.read_at(0, &mut bytes).unwrap();
        assert_eq!(bytes, [0; HEADER_LEN]);
        assert_eq!(
            Header::open(&region, LAYOUT).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        Header::init(&region, LAYOUT, |_, _| Ok(())).unwrap();
        Header::open(&region, LAYOUT).unwrap();
    }

    #[test]
    fn a_panicking_initialiser_resets_the_header_too() {
        let region = AnonymousRegion::new(4096).unwrap();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Header::init(&region, LAYOUT, |_, _| panic!("initialiser bug"))
        }));
        assert!(unwound.is_err());
        Header::init(&region, LAYOUT, |_, _| Ok(())).unwrap();
    }

    #[test]
    fn a_payload_that_does_not_fit_is_refused_before_claiming() {
        let region = AnonymousRegion::new(256).unwrap();
        for len in [129, usize::MAX] {
            let err = Header::init(&region, Layout::new(1, 1, len), |_, _| Ok(())).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        }
        Header::init(&region, Layout::new(1, 1, 128), |_, _| Ok(())).unwrap();
    }

    #[test]
    fn a_region_shorter_than_the_header_is_corrupt_for_openers() {
        let region = AnonymousRegion::new(100).unwrap();
        let err = Header::open(&region, LAYOUT).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
        assert!(err.to_string().contains("cannot hold"), "{err}");
        let err = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn a_claim_by_this_live_process_makes_openers_wait_not_fail() {
        let region = AnonymousRegion::new(4096).unwrap();
        let inner = Header::init(&region, LAYOUT, |region, _| {
            let err = Header::open(region, LAYOUT).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            assert!(err.to_string().contains("is still initialising"), "{err}");
            let err = Header::open_timeout(region, LAYOUT, Duration::from_millis(5)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            let err = Header::init(region, LAYOUT, |_, _| Ok(())).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AlreadyExists);
            assert!(err.to_string().contains("is initialising"), "{err}");
            Ok(())
        });
        inner.unwrap();
    }

    #[test]
    fn a_claim_by_a_dead_pid_is_peer_gone() {
        let region = AnonymousRegion::new(4096).unwrap();
        // A pid above the largest pid_max, so no process has it, in this pid namespace.
        let pid_ns = Creator::current().recorded().2;
        let mut header = RawHeader::from_bytes(&[0; HEADER_LEN]);
        header.creator_pid_ns = pid_ns;
        write_around_state(&region, &header.to_bytes()).unwrap();
        region.atomic_u64(STATE_OFFSET).unwrap().store(
            state_word(4_194_305, phase::INITIALISING),
            Ordering::Relaxed,
        );
        let err = Header::open_timeout(&region, LAYOUT, Duration::from_secs(30)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PeerGone);
        assert!(err.to_string().contains("died before it finished"), "{err}");
    }
}
