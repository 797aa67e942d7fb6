//! The validator: a pure function over a copy of the header's bytes.

use ipc_core::{Error, ErrorKind, Object, Result};

use super::creator::Creator;
use super::layout::{
    HEADER_LEN, HEADER_MAGIC, HEADER_VERSION, Layout, RawHeader, phase, split_state, state_word,
};

/// What a valid, ready header says about the payload after it and about its creator; made by
/// [`validate`].
///
/// # Examples
///
/// ```
/// use ipc_shm::{AnonymousRegion, RegionAccess};
/// use ipc_shm::header::{HEADER_LEN, Header, Layout, validate};
///
/// let region = AnonymousRegion::new(4096)?;
/// let layout = Layout::new(7, 1, 256);
/// Header::init(&region, layout, |_, _| Ok(()))?;
/// let mut bytes = [0u8; HEADER_LEN];
/// region.read_at(0, &mut bytes)?;
/// let sut = validate(&bytes, &layout, region.len())?;
/// assert_eq!((sut.payload_offset(), sut.payload_len()), (HEADER_LEN, 256));
/// assert_eq!(sut.creator().pid(), std::process::id());
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validated {
    payload_offset: usize,
    payload_len: usize,
    creator: Creator,
}

impl Validated {
    /// Where the payload starts in the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    /// use ipc_shm::header::{HEADER_LEN, Header, Layout, validate};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// Header::init(&region, Layout::new(7, 1, 100), |_, _| Ok(()))?;
    /// let mut bytes = [0u8; HEADER_LEN];
    /// region.read_at(0, &mut bytes)?;
    /// let sut = validate(&bytes, &Layout::new(7, 1, 100), region.len())?;
    /// assert_eq!(sut.payload_offset(), HEADER_LEN);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn payload_offset(&self) -> usize {
        self.payload_offset
    }

    /// The payload's length in bytes, as the creator wrote it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    /// use ipc_shm::header::{HEADER_LEN, Header, Layout, validate};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// Header::init(&region, Layout::new(7, 1, 100), |_, _| Ok(()))?;
    /// let mut bytes = [0u8; HEADER_LEN];
    /// region.read_at(0, &mut bytes)?;
    /// let sut = validate(&bytes, &Layout::new(7, 1, 100), region.len())?;
    /// assert_eq!(sut.payload_len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }

    /// The process that initialised the header.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    /// use ipc_shm::header::{HEADER_LEN, Header, Layout, validate};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// Header::init(&region, Layout::new(7, 1, 100), |_, _| Ok(()))?;
    /// let mut bytes = [0u8; HEADER_LEN];
    /// region.read_at(0, &mut bytes)?;
    /// let sut = validate(&bytes, &Layout::new(7, 1, 100), region.len())?;
    /// assert_eq!(sut.creator().pid(), std::process::id());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn creator(&self) -> Creator {
        self.creator
    }
}

/// Validates a copy of a region's header against the `layout` the caller expects and the
/// region's length `region_len`.
///
/// `header` holds the first bytes of the region, at least [`HEADER_LEN`] of them (the rest
/// are ignored). The checks run in this order, and the first that fails is reported, its
/// detail starting with the name of the field that is wrong: the region's length, `state`
/// (not yet initialised, or being initialised by a valid pid: then `magic` must be 0 or
/// [`HEADER_MAGIC`], byte by byte, and the answer is to wait), `magic`, `header_version`, `header_len`, `state` (not a valid
/// value), `reserved`, `reserved_tail`, `layout_tag`, `layout_version`, `layout_len` (fits the
/// region, then matches the layout). The creator's start time, boot id and pid namespace are
/// not validated: they only inform [`Creator::liveness`], which treats what it cannot match as
/// dead or unknown. All arithmetic is checked: any bytes and any length yield an answer, never
/// a panic.
///
/// # Errors
///
/// - [`CorruptSharedState`](ErrorKind::CorruptSharedState): a field is wrong, the region or
///   the copy is shorter than the header, or the payload does not fit the region.
/// - [`WouldBlock`](ErrorKind::WouldBlock): the header is not initialised yet, or is being
///   initialised, and its magic is 0 or [`HEADER_MAGIC`] (or, in a copy racing with the
///   initialiser, a byte-wise mix of the two); its detail starts with `state`.
///
/// # Examples
///
/// ```
/// use ipc_core::ErrorKind;
/// use ipc_shm::header::{HEADER_LEN, Layout, validate};
///
/// let layout = Layout::new(7, 1, 64);
/// let zeroed = [0u8; HEADER_LEN];
/// let err = validate(&zeroed, &layout, 4096).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::WouldBlock);
///
/// let garbage = [0x5a_u8; HEADER_LEN];
/// let err = validate(&garbage, &layout, 4096).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
/// assert!(err.to_string().contains("magic is 0x5a5a5a5a5a5a5a5a"), "{err}");
/// ```
pub fn validate(header: &[u8], layout: &Layout, region_len: usize) -> Result<Validated> {
    check(header, layout, region_len)
        .map_err(|problem| problem.into_error("header::validate", None))
}

/// Why a header did not validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The state word is 0: no one has claimed the header.
    Uninitialised,
    /// `pid` claimed the header and has not published it yet; its pid namespace as recorded
    /// so far (0 until it writes the field).
    Initialising { pid: u32, pid_ns: u64 },
    /// A field is wrong; the detail names it first.
    Corrupt(String),
}

impl Problem {
    /// The error for this problem, raised by `operation` on `object`.
    pub(crate) fn into_error(self, operation: &'static str, object: Option<Object>) -> Error {
        let (kind, detail) = match self {
            Self::Uninitialised => (
                ErrorKind::WouldBlock,
                "state is 0: the header is not initialised yet".to_owned(),
            ),
            Self::Initialising { pid, .. } => (
                ErrorKind::WouldBlock,
                format!("state says pid {pid} is still initialising the header"),
            ),
            Self::Corrupt(detail) => (ErrorKind::CorruptSharedState, detail),
        };
        let error = Error::new(kind, operation).with_detail(detail);
        match object {
            Some(object) => error.with_object(object),
            None => error,
        }
    }
}

/// Whether `pid` can be a process id: positive and a valid `pid_t`.
fn valid_pid(pid: u32) -> bool {
    pid != 0 && i32::try_from(pid).is_ok()
}

/// Whether `magic` is what a header that is not published yet can hold: each byte 0 or the
/// magic's byte. The claimant writes the magic after its claim, and a copy racing with that
/// write may see any of its bytes (copies are single-copy atomic per byte only).
fn magic_in_progress(magic: u64) -> bool {
    magic
        .to_ne_bytes()
        .iter()
        .zip(HEADER_MAGIC.to_ne_bytes())
        .all(|(&byte, expected)| byte == 0 || byte == expected)
}

/// [`validate`], reporting a [`Problem`] for the caller to turn into its own error.
pub(crate) fn check(
    header: &[u8],
    layout: &Layout,
    region_len: usize,
) -> std::result::Result<Validated, Problem> {
    let corrupt = |detail: String| Err(Problem::Corrupt(detail));
    if region_len < HEADER_LEN {
        return corrupt(format!(
            "region length: the region's {region_len} bytes cannot hold the {HEADER_LEN}-byte header"
        ));
    }
    let Some(bytes) = header.first_chunk::<HEADER_LEN>() else {
        return corrupt(format!(
            "region length: {} bytes of header were given, the header has {HEADER_LEN}",
            header.len()
        ));
    };
    let raw = RawHeader::from_bytes(bytes);

    let (pid, state_phase) = split_state(raw.state);
    let unready = if raw.state == state_word(0, phase::UNINITIALISED) {
        Some(Problem::Uninitialised)
    } else if state_phase == phase::INITIALISING && valid_pid(pid) {
        Some(Problem::Initialising {
            pid,
            pid_ns: raw.creator_pid_ns,
        })
    } else {
        None
    };
    if let Some(problem) = unready {
        // A header not yet published may still be waited for, but only if its magic says it
        // can become one: bytes that are neither 0 nor the magic's are another kind of data,
        // which no wait will turn into a header.
        if !magic_in_progress(raw.magic) {
            return corrupt(format!(
                "magic is {:#018x}, expected {HEADER_MAGIC:#018x} or 0 while the state is \
                 {:#018x} (not an ipc-shm region)",
                raw.magic, raw.state
            ));
        }
        return Err(problem);
    }
    if raw.magic != HEADER_MAGIC {
        return corrupt(format!(
            "magic is {:#018x}, expected {HEADER_MAGIC:#018x} (not an ipc-shm region)",
            raw.magic
        ));
    }
    if raw.header_version != HEADER_VERSION {
        return corrupt(format!(
            "header_version {} is not supported (this build reads {HEADER_VERSION})",
            raw.header_version
        ));
    }
    let header_len = usize::try_from(raw.header_len).unwrap_or(usize::MAX);
    if header_len != HEADER_LEN {
        return corrupt(format!(
            "header_len {} does not match version {HEADER_VERSION}'s {HEADER_LEN}",
            raw.header_len
        ));
    }
    if state_phase != phase::READY || !valid_pid(pid) {
        return corrupt(format!(
            "state {:#018x} is not a valid state (phase {state_phase}, pid {pid})",
            raw.state
        ));
    }
    if raw.reserved != 0 {
        return corrupt(format!("reserved is {:#x}, expected 0", raw.reserved));
    }
    if raw.reserved_tail != [0; 7] {
        return corrupt("reserved_tail is not all zero".to_owned());
    }
    if raw.layout_tag != layout.tag() {
        return corrupt(format!(
            "layout_tag {:#018x} does not match the expected {:#018x} (a different kind of \
             region)",
            raw.layout_tag,
            layout.tag()
        ));
    }
    if raw.layout_version != layout.version() {
        return corrupt(format!(
            "layout_version {} does not match the expected {}",
            raw.layout_version,
            layout.version()
        ));
    }
    let room = region_len - HEADER_LEN;
    let payload_len = match usize::try_from(raw.layout_len) {
        Ok(len) if len <= room => len,
        _ => {
            return corrupt(format!(
                "layout_len {} exceeds the region's {room} bytes after the {HEADER_LEN}-byte \
                 header",
                raw.layout_len
            ));
        }
    };
    if !layout.accepts_len(raw.layout_len) {
        return corrupt(format!(
            "layout_len {} does not match the expected {}{}",
            raw.layout_len,
            layout.len(),
            if layout.accepts_len(u64::MAX) {
                " or more"
            } else {
                ""
            }
        ));
    }
    Ok(Validated {
        payload_offset: HEADER_LEN,
        payload_len,
        creator: Creator::new(
            pid,
            raw.creator_start_time,
            raw.creator_boot_id,
            raw.creator_pid_ns,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::layout::{FIELDS, STATE_OFFSET};
    use super::*;
    use proptest::prelude::*;

    const LAYOUT: Layout = Layout::new(0x1122_3344_5566_7788, 3, 1000);
    const REGION_LEN: usize = 4096;

    /// A ready header for [`LAYOUT`], created by pid 4321.
    fn ready() -> [u8; HEADER_LEN] {
        RawHeader {
            magic: HEADER_MAGIC,
            header_version: HEADER_VERSION,
            header_len: HEADER_LEN as u32,
            state: state_word(4321, phase::READY),
            layout_tag: LAYOUT.tag(),
            layout_len: 1000,
            layout_version: 3,
            reserved: 0,
            creator_start_time: 99,
            creator_boot_id: 98,
            creator_pid_ns: 97,
            reserved_tail: [0; 7],
        }
        .to_bytes()
    }

    fn detail(bytes: &[u8], layout: &Layout, region_len: usize) -> String {
        match check(bytes, layout, region_len) {
            Ok(ok) => panic!("accepted: {ok:?}"),
            Err(problem) => problem
                .into_error("test", None)
                .detail()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    #[test]
    fn a_ready_header_validates_with_its_payload_and_creator() {
        let sut = check(&ready(), &LAYOUT, REGION_LEN).unwrap();
        assert_eq!(sut.payload_offset(), HEADER_LEN);
        assert_eq!(sut.payload_len(), 1000);
        assert_eq!(sut.creator().pid(), 4321);
        assert_eq!(sut.creator().start_time(), Some(99));
    }

    #[test]
    fn a_region_shorter_than_the_header_is_corrupt_not_a_panic() {
        let err = validate(&ready(), &LAYOUT, HEADER_LEN - 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
        assert!(err.to_string().contains("cannot hold the 128-byte header"));
        let err = validate(&ready()[..10], &LAYOUT, REGION_LEN).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
    }

    #[test]
    fn a_payload_past_the_end_of_the_region_names_layout_len() {
        let text = detail(&ready(), &LAYOUT, HEADER_LEN + 999);
        assert_eq!(
            text,
            "layout_len 1000 exceeds the region's 999 bytes after the 128-byte header"
        );
    }

    #[test]
    fn the_expected_length_is_exact_unless_longer_is_accepted() {
        let shorter = Layout::new(LAYOUT.tag(), 3, 999);
        assert_eq!(
            detail(&ready(), &shorter, REGION_LEN),
            "layout_len 1000 does not match the expected 999"
        );
        assert!(check(&ready(), &shorter.or_longer(), REGION_LEN).is_ok());
        let longer = Layout::new(LAYOUT.tag(), 3, 1001).or_longer();
        assert_eq!(
            detail(&ready(), &longer, REGION_LEN),
            "layout_len 1000 does not match the expected 1001 or more"
        );
    }

    #[test]
    fn not_ready_states_would_block_and_say_who_is_initialising() {
        let mut bytes = ready();
        bytes[STATE_OFFSET..STATE_OFFSET + 8]
            .copy_from_slice(&state_word(77, phase::INITIALISING).to_ne_bytes());
        let err = validate(&bytes, &LAYOUT, REGION_LEN).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(err.to_string().contains("pid 77 is still initialising"));
        let err = validate(&[0; HEADER_LEN], &LAYOUT, REGION_LEN).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    }

    /// Whether `field`, set to `value`, still forms a valid header; the fields that only inform
    /// liveness take any value, and the state any ready word with a valid pid.
    fn still_valid(field: &str, value: &[u8]) -> bool {
        match field {
            "creator_start_time" | "creator_boot_id" | "creator_pid_ns" => true,
            "state" => {
                let word = u64::from_ne_bytes(value.try_into().unwrap());
                let (pid, state_phase) = split_state(word);
                state_phase == phase::READY && valid_pid(pid)
            }
            _ => false,
        }
    }

    #[test]
    fn garbage_that_looks_like_a_claim_is_corrupt_not_awaited() {
        let mut bytes = [0x5a_u8; HEADER_LEN];
        bytes[STATE_OFFSET..STATE_OFFSET + 8]
            .copy_from_slice(&state_word(77, phase::INITIALISING).to_ne_bytes());
        let text = detail(&bytes, &LAYOUT, REGION_LEN);
        assert!(text.starts_with("magic is 0x5a5a5a5a5a5a5a5a"), "{text}");
        bytes[STATE_OFFSET..STATE_OFFSET + 8].fill(0);
        let text = detail(&bytes, &LAYOUT, REGION_LEN);
        assert!(text.starts_with("magic is"), "{text}");
        // A claimant that has not written its magic yet, or has written part of it, is awaited.
        bytes[..8].copy_from_slice(&HEADER_MAGIC.to_ne_bytes());
        bytes[3] = 0;
        bytes[STATE_OFFSET..STATE_OFFSET + 8]
            .copy_from_slice(&state_word(77, phase::INITIALISING).to_ne_bytes());
        assert_eq!(
            check(&bytes, &LAYOUT, REGION_LEN),
            Err(Problem::Initialising {
                pid: 77,
                pid_ns: u64::from_ne_bytes([0x5a; 8])
            })
        );
    }

    proptest! {
        #[test]
        fn a_header_not_yet_published_is_awaited_only_while_its_magic_can_become_one(
            magic in prop_oneof![
                any::<u64>(),
                any::<u8>().prop_map(|mask| {
                    let mut bytes = HEADER_MAGIC.to_ne_bytes();
                    for (i, byte) in bytes.iter_mut().enumerate() {
                        if mask & (1 << i) == 0 {
                            *byte = 0;
                        }
                    }
                    u64::from_ne_bytes(bytes)
                }),
            ],
            pid in 1..=i32::MAX as u32,
            claimed in any::<bool>(),
            rest in prop::collection::vec(any::<u8>(), HEADER_LEN),
        ) {
            let mut bytes: [u8; HEADER_LEN] = rest.try_into().unwrap();
            bytes[..8].copy_from_slice(&magic.to_ne_bytes());
            let state = if claimed { state_word(pid, phase::INITIALISING) } else { 0 };
            bytes[STATE_OFFSET..STATE_OFFSET + 8].copy_from_slice(&state.to_ne_bytes());
            let partial = magic
                .to_ne_bytes()
                .iter()
                .zip(HEADER_MAGIC.to_ne_bytes())
                .all(|(&byte, expected)| byte == 0 || byte == expected);
            let err = validate(&bytes, &LAYOUT, REGION_LEN).unwrap_err();
            let text = err.detail().unwrap_or_default();
            if partial {
                prop_assert_eq!(err.kind(), ErrorKind::WouldBlock);
                prop_assert!(text.starts_with("state"), "{}", text);
            } else {
                prop_assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
                prop_assert!(text.starts_with("magic"), "{}", text);
            }
        }

        #[test]
        fn any_bytes_and_any_length_validate_or_are_refused_without_panicking(
            bytes in prop::collection::vec(any::<u8>(), 0..=2 * HEADER_LEN),
            region_len in prop_oneof![any::<usize>(), 0..=2 * HEADER_LEN + 2000],
            expected_len in prop_oneof![any::<usize>(), 0..2000_usize],
            or_longer in any::<bool>(),
        ) {
            let layout = Layout::new(LAYOUT.tag(), 3, expected_len);
            let layout = if or_longer { layout.or_longer() } else { layout };
            match validate(&bytes, &layout, region_len) {
                Ok(ok) => {
                    prop_assert!(ok.payload_offset() + ok.payload_len() <= region_len);
                }
                Err(err) => prop_assert!(matches!(
                    err.kind(),
                    ErrorKind::CorruptSharedState | ErrorKind::WouldBlock
                )),
            }
        }

        #[test]
        fn one_mutated_field_is_refused_by_name_or_accepted_when_harmless(
            field in 0..FIELDS.len(),
            seed in prop::collection::vec(any::<u8>(), 56),
        ) {
            let (name, offset, len) = FIELDS[field];
            let mut bytes = ready();
            bytes[offset..offset + len].copy_from_slice(&seed[..len]);
            let unchanged = bytes == ready();
            match check(&bytes, &LAYOUT, REGION_LEN) {
                Ok(_) => prop_assert!(
                    unchanged || still_valid(name, &bytes[offset..offset + len]),
                    "{name} = {:?} was accepted", &bytes[offset..offset + len]
                ),
                Err(problem) => {
                    prop_assert!(!unchanged);
                    let err = problem.into_error("test", None);
                    let text = err.detail().unwrap_or_default();
                    prop_assert!(text.starts_with(name), "{name}: {text}");
                }
            }
        }

        #[test]
        fn a_region_too_short_for_the_payload_is_refused_by_layout_len(
            region_len in HEADER_LEN..HEADER_LEN + 1000,
        ) {
            let text = detail(&ready(), &LAYOUT, region_len);
            prop_assert!(text.starts_with("layout_len 1000 exceeds"), "{text}");
        }
    }
}
