//! The tag in front of every object placed inside a shared region (a mutex, a condition
//! variable, a semaphore), so a process that opens the object can check it is one.
//!
//! A region's [`header`](crate::header) says what the region holds as a whole; a slot says what
//! one object at one offset is. [`SLOT_TAG_LEN`] bytes, native byte order, then the object's
//! body at the next multiple of its alignment:
//!
//! | offset | field | size | value |
//! |---:|---|---:|---|
//! | 0 | `state` | 4 | atomic `pid << 8 \| phase`: phase 0 empty, 1 initialising, 2 ready |
//! | 4 | `tag` | 4 | [`SlotType::tag`], what kind of object this is |
//! | 8 | `body_len` | 4 | [`SlotType::body_len`] |
//! | 12 | `claimant_pid_ns` | 4 | atomic: the initialiser's pid namespace, or 0 |
//!
//! `state` carries the pid of the process that claimed the slot (Linux pids are below 2^22,
//! `PID_MAX_LIMIT`), so an opener learns who is initialising from the load that tells it
//! someone is; an empty slot's word is 0. `claimant_pid_ns` is the inode number of that
//! process's pid namespace (`/proc/self/ns/pid`; nsfs inode numbers are 32-bit), in which its
//! pid means something; 0 until written, or when it cannot be read. The body starts at
//! [`SlotType::body_offset`], which follows from the body's alignment.
//!
//! A slot starts at a multiple of [`SlotType::offset_align`] (8, or the body's alignment if
//! that is larger), so the body, at a multiple of its alignment from the slot, is aligned in the
//! region too (a region starts on a page boundary).
//!
//! The initialiser turns `state` from 0 to `pid << 8 | 1` with a compare-and-swap (so two
//! cannot both initialise), records its pid namespace, writes the other fields and the body,
//! and stores `pid << 8 | 2` with `Release`; an opener loads `state` with `Acquire` and then
//! checks every field against the [`SlotType`] it expects. An initialiser that fails or panics
//! returns the slot to empty. One that is killed leaves its claim behind: openers that can prove it dead (no
//! process has its pid in its pid namespace) get
//! [`PeerGone`](ErrorKind::PeerGone) rather than waiting in vain; the region must then be
//! removed and created again.

use std::sync::atomic::{AtomicU32, Ordering};

use ipc_core::{Error, ErrorKind, Result, SharedRegion};

use crate::RegionAccess;
use crate::header::{claimant_is_dead, current_pid_ns};

/// The length of a slot's tag; the body follows at the next multiple of its alignment.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_shm::slot::SLOT_TAG_LEN, 16);
/// ```
pub const SLOT_TAG_LEN: usize = 16;

/// The offset of `tag` in a slot.
const TAG: usize = 4;
/// The offset of `body_len` in a slot.
const BODY_LEN: usize = 8;
/// The offset of `claimant_pid_ns` in a slot.
const PID_NS: usize = 12;

/// The phase of `state`: nobody has claimed the slot (the whole word is then 0).
const EMPTY: u32 = 0;
/// The phase of `state`: the process whose pid is in the high bits is writing the slot.
const INITIALISING: u32 = 1;
/// The phase of `state`: the slot is initialised; published with `Release`.
const READY: u32 = 2;
/// The bits of `state` that hold the phase; the pid is above them.
const PHASE_BITS: u32 = 8;

/// The state word `pid << 8 | phase`; a pid too large for the word (none is, on Linux) is
/// recorded as 0, "unknown".
fn state_word(pid: u32, phase: u32) -> u32 {
    let pid = if pid < 1 << (32 - PHASE_BITS) { pid } else { 0 };
    (pid << PHASE_BITS) | phase
}

/// The pid and phase of a state word.
fn split_state(word: u32) -> (u32, u32) {
    (word >> PHASE_BITS, word & ((1 << PHASE_BITS) - 1))
}

/// What kind of object a slot holds: its tag and its body's size and alignment.
///
/// # Examples
///
/// ```
/// use ipc_shm::slot::{SLOT_TAG_LEN, SlotType};
///
/// const COUNTER: SlotType = SlotType::new("counter", *b"CNT1", 8, 8);
/// assert_eq!(COUNTER.body_offset(), SLOT_TAG_LEN);
/// assert_eq!(COUNTER.footprint(), SLOT_TAG_LEN + 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotType {
    name: &'static str,
    tag: u32,
    body_len: usize,
    body_align: usize,
}

impl SlotType {
    /// A slot type called `name` (for errors), tagged with the four bytes `tag`, whose body is
    /// `body_len` bytes aligned to `body_align` (a power of two, at most 4096).
    ///
    /// # Panics
    ///
    /// At compile time (in a `const`) or at the call when `body_align` is not a power of two up
    /// to 4096 or `body_len` does not fit in 32 bits: slot types are constants of the code.
    ///
    /// # Examples
    ///
    /// ```
    /// const FLAG: ipc_shm::slot::SlotType = ipc_shm::slot::SlotType::new("flag", *b"FLG1", 4, 4);
    /// assert_eq!(FLAG.name(), "flag");
    /// ```
    pub const fn new(name: &'static str, tag: [u8; 4], body_len: usize, body_align: usize) -> Self {
        assert!(body_align.is_power_of_two() && body_align <= 4096);
        assert!(body_len <= u32::MAX as usize);
        Self {
            name,
            tag: u32::from_ne_bytes(tag),
            body_len,
            body_align,
        }
    }

    /// The name used in errors.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = ipc_shm::slot::SlotType::new("mutex", *b"MTX1", 40, 8);
    /// assert_eq!(t.name(), "mutex");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The tag, the four bytes given to [`new`](Self::new) read in native order.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = ipc_shm::slot::SlotType::new("mutex", *b"MTX1", 40, 8);
    /// assert_eq!(t.tag(), u32::from_ne_bytes(*b"MTX1"));
    /// ```
    pub const fn tag(&self) -> u32 {
        self.tag
    }

    /// The body's length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::slot::SlotType::new("m", *b"MTX1", 40, 8).body_len(), 40);
    /// ```
    pub const fn body_len(&self) -> usize {
        self.body_len
    }

    /// Where the body starts, counted from the slot's offset: the tag rounded up to the body's
    /// alignment.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::slot::SlotType::new("page", *b"PGE1", 4096, 4096).body_offset(), 4096);
    /// ```
    pub const fn body_offset(&self) -> usize {
        SLOT_TAG_LEN.next_multiple_of(self.body_align)
    }

    /// What a slot's offset must be a multiple of: 8 (for the atomic state word), or the body's
    /// alignment if that is larger, so that the body is aligned in the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::slot::SlotType;
    ///
    /// assert_eq!(SlotType::new("flag", *b"FLG1", 4, 4).offset_align(), 8);
    /// assert_eq!(SlotType::new("line", *b"LIN1", 64, 64).offset_align(), 64);
    /// ```
    pub const fn offset_align(&self) -> usize {
        if self.body_align > 8 {
            self.body_align
        } else {
            8
        }
    }

    /// The bytes a slot of this type occupies from its offset: the tag, padding, the body.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::slot::SlotType::new("m", *b"MTX1", 40, 8).footprint(), 56);
    /// ```
    pub const fn footprint(&self) -> usize {
        self.body_offset() + self.body_len
    }
}

/// An initialised, validated slot of a region: where one object's body is.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use ipc_shm::{AnonymousRegion, RegionAccess};
/// use ipc_shm::slot::{Slot, SlotType};
///
/// const COUNTER: SlotType = SlotType::new("counter", *b"CNT1", 8, 8);
///
/// let region = AnonymousRegion::new(4096)?;
/// Slot::init(&region, 256, COUNTER, |region, body| {
///     region.atomic_u64(body)?.store(5, Ordering::Relaxed);
///     Ok(())
/// })?;
/// let sut = Slot::open(&region, 256, COUNTER)?;
/// assert_eq!(region.atomic_u64(sut.body_offset())?.load(Ordering::Relaxed), 5);
///
/// const OTHER: SlotType = SlotType::new("flag", *b"FLG1", 4, 4);
/// assert!(Slot::open(&region, 256, OTHER).is_err()); // a counter is not a flag
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Slot<'r, R: ?Sized> {
    region: &'r R,
    body_offset: usize,
}

impl<'r, R: SharedRegion + ?Sized> Slot<'r, R> {
    /// Claims the slot at `offset` (a multiple of [`SlotType::offset_align`]), runs `init`
    /// with the region and the body's offset, and publishes the slot as ready.
    ///
    /// `init` sees the body's bytes as they are (zero in a new region). If it fails or panics,
    /// the slot is returned to empty (its fields zeroed, the body left as `init` left it) and
    /// the error returned, or the panic resumed.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of
    ///   [`SlotType::offset_align`] or the slot does not fit in the region.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) when the slot was initialised, or is being
    ///   initialised, already, or holds something else; the detail says which.
    /// - Whatever `init` returns.
    ///
    /// # Crash behaviour
    ///
    /// An initialiser killed before it publishes leaves the slot claimed by its pid: openers
    /// report [`PeerGone`](ErrorKind::PeerGone) once they can prove it dead, and the slot
    /// cannot be initialised again; remove the region and create it again.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::slot::{Slot, SlotType};
    ///
    /// const T: SlotType = SlotType::new("thing", *b"THG1", 16, 8);
    /// let region = AnonymousRegion::new(4096)?;
    /// Slot::init(&region, 0, T, |_, _| Ok(()))?;
    /// let again = Slot::init(&region, 0, T, |_, _| Ok(())).unwrap_err();
    /// assert_eq!(again.kind(), ipc_core::ErrorKind::AlreadyExists);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn init(
        region: &'r R,
        offset: usize,
        slot_type: SlotType,
        init: impl FnOnce(&'r R, usize) -> Result<()>,
    ) -> Result<Self> {
        const OP: &str = "slot::init";
        let state = state_of(region, OP, offset, slot_type)?;
        let me = std::process::id();
        // The claim: only one process turns 0 into its own word. Acquire: pairs with the
        // Release store of 0 in `ResetOnDrop` by an initialiser that failed, so its zeroing
        // happens before our writes.
        if let Err(now) = state.compare_exchange(
            state_word(0, EMPTY),
            state_word(me, INITIALISING),
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            return Err(with_object(
                Error::new(ErrorKind::AlreadyExists, OP).with_detail(format!(
                    "the {} slot at offset {offset} is {}",
                    slot_type.name,
                    describe_taken(now)
                )),
                region,
            ));
        }
        let guard = ResetOnDrop {
            region,
            offset,
            state,
            armed: true,
        };
        // Relaxed: an opener reads it only after seeing the claim, and reads 0 ("cannot tell",
        // so "alive") until this store is visible; never a failed claimant's value, which
        // `ResetOnDrop` zeroed before releasing the slot. A namespace inode that does not fit
        // (none does not, today) is recorded as 0.
        let pid_ns = u32::try_from(current_pid_ns()).unwrap_or(0);
        region
            .atomic_u32(offset + PID_NS)?
            .store(pid_ns, Ordering::Relaxed);
        write_fields(region, offset, &slot_type)?;
        let body_offset = offset + slot_type.body_offset();
        init(region, body_offset)?;
        let mut guard = guard;
        guard.armed = false;
        // Release: pairs with the Acquire load in `open`, which then sees the fields and body.
        state.store(state_word(me, READY), Ordering::Release);
        Ok(Self {
            region,
            body_offset,
        })
    }

    /// Opens the slot at `offset`, checking that it is ready and holds a `slot_type` object.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of
    ///   [`SlotType::offset_align`] or the slot does not fit in the region.
    /// - [`WouldBlock`](ErrorKind::WouldBlock) when the slot is empty or being initialised by
    ///   a process that is (or cannot be proven not to be) alive.
    /// - [`PeerGone`](ErrorKind::PeerGone) when the process that claimed the slot died before
    ///   publishing it: the slot will never be ready.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) naming the field (`state`,
    ///   `tag`, `body_len`) that does not match.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::slot::{Slot, SlotType};
    ///
    /// const T: SlotType = SlotType::new("thing", *b"THG1", 16, 8);
    /// let region = AnonymousRegion::new(4096)?;
    /// let empty = Slot::open(&region, 64, T).unwrap_err();
    /// assert_eq!(empty.kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(region: &'r R, offset: usize, slot_type: SlotType) -> Result<Self> {
        const OP: &str = "slot::open";
        let state = state_of(region, OP, offset, slot_type)?;
        // Acquire: pairs with the Release store of READY in `init`.
        let now = state.load(Ordering::Acquire);
        let fail = |kind: ErrorKind, detail: String| {
            with_object(
                Error::new(kind, OP).with_detail(format!(
                    "{detail} (the {} slot at offset {offset})",
                    slot_type.name
                )),
                region,
            )
        };
        match split_state(now) {
            (0, EMPTY) => {
                return Err(fail(
                    ErrorKind::WouldBlock,
                    "state is 0: not initialised yet".to_owned(),
                ));
            }
            (0, INITIALISING) => {
                return Err(fail(
                    ErrorKind::WouldBlock,
                    "state: the slot is being initialised".to_owned(),
                ));
            }
            (pid, INITIALISING) => {
                // Relaxed: 0 (cannot tell, so "alive") or the claimant's; see `init`.
                let pid_ns = region.atomic_u32(offset + PID_NS)?.load(Ordering::Relaxed);
                return Err(if claimant_is_dead(pid, u64::from(pid_ns)) {
                    fail(
                        ErrorKind::PeerGone,
                        format!(
                            "state: pid {pid} claimed the slot and died before it finished \
                             initialising; it will never be ready: remove the region and \
                             create it again"
                        ),
                    )
                } else {
                    fail(
                        ErrorKind::WouldBlock,
                        format!("state: pid {pid} is still initialising the slot"),
                    )
                });
            }
            (_, READY) => {}
            (_, phase) => {
                return Err(fail(
                    ErrorKind::CorruptSharedState,
                    format!("state {now:#010x} is not a valid state (phase {phase})"),
                ));
            }
        }
        let fields = [
            ("tag", TAG, slot_type.tag),
            ("body_len", BODY_LEN, slot_type.body_len as u32),
        ];
        for (field, at, expected) in fields {
            let found = region.pod::<u32>(offset + at)?.load();
            if found != expected {
                return Err(fail(
                    ErrorKind::CorruptSharedState,
                    format!("{field} is {found:#010x}, expected {expected:#010x}"),
                ));
            }
        }
        Ok(Self {
            region,
            body_offset: offset + slot_type.body_offset(),
        })
    }

    /// The region the slot is in.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::slot::{Slot, SlotType};
    ///
    /// const T: SlotType = SlotType::new("thing", *b"THG1", 16, 8);
    /// let region = AnonymousRegion::new(4096)?;
    /// let sut = Slot::init(&region, 0, T, |_, _| Ok(()))?;
    /// assert!(std::ptr::eq(sut.region(), &region));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn region(&self) -> &'r R {
        self.region
    }

    /// The offset of the object's body in the region, aligned as its [`SlotType`] asks.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::slot::{Slot, SlotType};
    ///
    /// const T: SlotType = SlotType::new("thing", *b"THG1", 16, 64);
    /// let region = AnonymousRegion::new(4096)?;
    /// assert_eq!(Slot::init(&region, 64, T, |_, _| Ok(()))?.body_offset(), 64 + 64);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }
}

/// The slot's `state` word, after checking that the slot's footprint fits in the region at an
/// offset that is a multiple of the slot type's [`offset_align`](SlotType::offset_align).
fn state_of<'r, R: SharedRegion + ?Sized>(
    region: &'r R,
    operation: &'static str,
    offset: usize,
    slot_type: SlotType,
) -> Result<&'r AtomicU32> {
    let align = slot_type.offset_align();
    let fits = offset
        .checked_add(slot_type.footprint())
        .is_some_and(|end| end <= region.len());
    let detail = if !offset.is_multiple_of(align) {
        format!(
            "a {} slot cannot start at offset {offset}: slots of this type start at multiples \
             of {align}, so that the body is aligned",
            slot_type.name
        )
    } else if !fits {
        format!(
            "a {} slot of {} bytes does not fit at offset {offset} of a region of {} bytes",
            slot_type.name,
            slot_type.footprint(),
            region.len()
        )
    } else {
        return region.atomic_u32(offset);
    };
    Err(with_object(
        Error::new(ErrorKind::InvalidArgument, operation).with_detail(detail),
        region,
    ))
}

/// Writes the tag and body length of a claimed slot.
fn write_fields<R: SharedRegion + ?Sized>(
    region: &R,
    offset: usize,
    slot_type: &SlotType,
) -> Result<()> {
    region.pod::<u32>(offset + TAG)?.store(&slot_type.tag);
    region
        .pod::<u32>(offset + BODY_LEN)?
        .store(&(slot_type.body_len as u32));
    Ok(())
}

/// What holds a slot that `init` could not claim.
fn describe_taken(word: u32) -> String {
    match split_state(word) {
        (pid, READY) => format!("initialised already, by pid {pid}"),
        (pid, INITIALISING) => format!("being initialised by pid {pid}"),
        _ => format!("in an invalid state ({word:#010x})"),
    }
}

/// Adds a region's object to an error when it has one.
fn with_object<R: SharedRegion + ?Sized>(error: Error, region: &R) -> Error {
    match region.object() {
        Some(object) => error.with_object(object),
        None => error,
    }
}

/// Returns a claimed slot to empty unless disarmed: the cleanup of an `init` whose initialiser
/// failed or panicked.
struct ResetOnDrop<'a, R: SharedRegion + ?Sized> {
    region: &'a R,
    offset: usize,
    state: &'a AtomicU32,
    armed: bool,
}

impl<R: SharedRegion + ?Sized> Drop for ResetOnDrop<'_, R> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // The bounds were checked before the claim, so these cannot fail; if one did, the
        // state is still reset, and the next initialiser overwrites every field anyway.
        if let Ok(pid_ns) = self.region.atomic_u32(self.offset + PID_NS) {
            pid_ns.store(0, Ordering::Relaxed);
        }
        for at in [TAG, BODY_LEN] {
            if let Ok(field) = self.region.pod::<u32>(self.offset + at) {
                field.store(&0);
            }
        }
        // Release: pairs with the Acquire of the next claim in `init`, which then writes after
        // the zeroing above, and with an opener's Acquire load of that claim (the claim's
        // compare-and-swap continues this store's release sequence), so the opener never reads
        // our pid namespace for the next claimant.
        self.state.store(state_word(0, EMPTY), Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnonymousRegion;

    const T: SlotType = SlotType::new("thing", *b"THG1", 24, 8);

    #[test]
    fn each_mismatched_field_is_named() {
        let region = AnonymousRegion::new(4096).unwrap();
        Slot::init(&region, 0, T, |_, _| Ok(())).unwrap();
        for (at, field) in [(TAG, "tag"), (BODY_LEN, "body_len")] {
            let saved = region.pod::<u32>(at).unwrap().load();
            region.pod::<u32>(at).unwrap().store(&(saved ^ 1));
            let err = Slot::open(&region, 0, T).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
            assert!(err.detail().unwrap().starts_with(field), "{err}");
            region.pod::<u32>(at).unwrap().store(&saved);
        }
        let state = region.atomic_u32(0).unwrap();
        for bad in [3, 7, u32::MAX, 5 << PHASE_BITS] {
            state.store(bad, Ordering::Relaxed);
            let err = Slot::open(&region, 0, T).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
            assert!(err.detail().unwrap().starts_with("state"), "{err}");
        }
    }

    #[test]
    fn a_claim_by_a_dead_pid_is_peer_gone() {
        let region = AnonymousRegion::new(4096).unwrap();
        // A pid above the largest pid_max Linux allows (2^22): no process has it here.
        region
            .atomic_u32(0)
            .unwrap()
            .store(state_word(4_194_305, INITIALISING), Ordering::Relaxed);
        // Until the claimant's pid namespace is recorded, it cannot be proven dead.
        let err = Slot::open(&region, 0, T).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
        region
            .atomic_u32(PID_NS)
            .unwrap()
            .store(u32::try_from(current_pid_ns()).unwrap(), Ordering::Relaxed);
        let err = Slot::open(&region, 0, T).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
        assert!(err.to_string().contains("died before it finished"), "{err}");
    }
}
