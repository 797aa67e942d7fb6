//! The tag in front of every object placed inside a shared region (a mutex, a condition
//! variable, a semaphore), so a process that opens the object can check it is one.
//!
//! A region's [`header`](crate::header) says what the region holds as a whole; a slot says what
//! one object at one offset is. Sixteen bytes, native byte order, then the object's body at the
//! next multiple of its alignment:
//!
//! | offset | field | size | value |
//! |---:|---|---:|---|
//! | 0 | `state` | 4 | atomic: 0 empty, 1 initialising, 2 ready |
//! | 4 | `tag` | 4 | [`SlotType::tag`], what kind of object this is |
//! | 8 | `body_len` | 4 | [`SlotType::body_len`] |
//! | 12 | `body_offset` | 4 | where the body starts, counted from the slot |
//!
//! The initialiser turns `state` from 0 to 1 with a compare-and-swap (so two cannot both
//! initialise), writes the other fields and the body, and stores 2 with `Release`; an opener
//! loads `state` with `Acquire` and then checks every field against the [`SlotType`] it expects.

use std::sync::atomic::{AtomicU32, Ordering};

use ipc_core::{Error, ErrorKind, Result, SharedRegion};

use crate::RegionAccess;

/// The length of a slot's tag; the body follows at the next multiple of its alignment.
pub const SLOT_TAG_LEN: usize = 16;

/// `state`: nobody has initialised the slot.
const EMPTY: u32 = 0;
/// `state`: an initialiser has claimed the slot and is writing it.
const INITIALISING: u32 = 1;
/// `state`: the slot is initialised; published with `Release`.
const READY: u32 = 2;

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

    /// Where the body starts, counted from the slot's offset.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::slot::SlotType::new("page", *b"PGE1", 4096, 4096).body_offset(), 4096);
    /// ```
    pub const fn body_offset(&self) -> usize {
        SLOT_TAG_LEN.next_multiple_of(self.body_align)
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
    /// Claims the slot at `offset` (a multiple of 8), runs `init` with the region and the
    /// body's offset, and publishes the slot as ready.
    ///
    /// `init` sees the body's bytes as they are (zero in a new region). If it fails, the slot
    /// is returned to empty and its error returned.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 8
    ///   or the slot does not fit in the region.
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) when the slot was initialised, or is being
    ///   initialised, already.
    /// - Whatever `init` returns.
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
        let operation = "slot::init";
        let state = state_word(region, operation, offset, slot_type)?;
        // Acquire: pairs with the Release store of EMPTY by an initialiser that failed, so its
        // writes are not reordered after ours.
        if let Err(now) =
            state.compare_exchange(EMPTY, INITIALISING, Ordering::Acquire, Ordering::Relaxed)
        {
            return Err(Error::new(ErrorKind::AlreadyExists, operation)
                .with_detail(format!(
                    "the {} slot at offset {offset} is {} already",
                    slot_type.name,
                    describe_state(now)
                ))
                .maybe_object(region));
        }
        let body_offset = offset + slot_type.body_offset();
        let written =
            write_fields(region, offset, slot_type).and_then(|()| init(region, body_offset));
        if let Err(error) = written {
            // Release: pairs with the Acquire of the next initialiser's claim.
            state.store(EMPTY, Ordering::Release);
            return Err(error);
        }
        // Release: pairs with the Acquire load in `open`, which then sees the fields and body.
        state.store(READY, Ordering::Release);
        Ok(Self {
            region,
            body_offset,
        })
    }

    /// Opens the slot at `offset`, checking that it is ready and holds a `slot_type` object.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 8
    ///   or the slot does not fit in the region.
    /// - [`WouldBlock`](ErrorKind::WouldBlock) when the slot is empty or being initialised.
    /// - [`CorruptSharedState`](ErrorKind::CorruptSharedState) naming the field (`state`,
    ///   `tag`, `body_len`, `body_offset`) that does not match.
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
        let operation = "slot::open";
        let state = state_word(region, operation, offset, slot_type)?;
        // Acquire: pairs with the Release store of READY in `init`.
        let now = state.load(Ordering::Acquire);
        let corrupt = |field: &str, detail: String| {
            Error::new(ErrorKind::CorruptSharedState, operation)
                .with_detail(format!(
                    "{field} of the {} slot at offset {offset}: {detail}",
                    slot_type.name
                ))
                .maybe_object(region)
        };
        match now {
            READY => {}
            EMPTY | INITIALISING => {
                return Err(Error::new(ErrorKind::WouldBlock, operation)
                    .with_detail(format!(
                        "the {} slot at offset {offset} is {}",
                        slot_type.name,
                        describe_state(now)
                    ))
                    .maybe_object(region));
            }
            other => return Err(corrupt("state", format!("{other} is not a valid state"))),
        }
        let fields = [
            ("tag", 4, slot_type.tag),
            ("body_len", 8, slot_type.body_len as u32),
            ("body_offset", 12, slot_type.body_offset() as u32),
        ];
        for (field, at, expected) in fields {
            let found = region.pod::<u32>(offset + at)?.load();
            if found != expected {
                return Err(corrupt(
                    field,
                    format!("found {found:#010x}, expected {expected:#010x}"),
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
    /// assert_eq!(Slot::init(&region, 8, T, |_, _| Ok(()))?.body_offset(), 8 + 64);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }
}

/// The slot's `state` word, after checking that the slot's footprint fits in the region at an
/// offset that is a multiple of 8.
fn state_word<'r, R: SharedRegion + ?Sized>(
    region: &'r R,
    operation: &'static str,
    offset: usize,
    slot_type: SlotType,
) -> Result<&'r AtomicU32> {
    let fits = offset
        .checked_add(slot_type.footprint())
        .is_some_and(|end| end <= region.len());
    if !fits || !offset.is_multiple_of(8) {
        return Err(Error::new(ErrorKind::InvalidArgument, operation)
            .with_detail(format!(
                "a {} slot of {} bytes does not fit at offset {offset} of a region of {} bytes \
                 (slots start at multiples of 8)",
                slot_type.name,
                slot_type.footprint(),
                region.len()
            ))
            .maybe_object(region));
    }
    region.atomic_u32(offset)
}

/// Writes the tag, body length and body offset of a claimed slot.
fn write_fields<R: SharedRegion + ?Sized>(
    region: &R,
    offset: usize,
    slot_type: SlotType,
) -> Result<()> {
    region.pod::<u32>(offset + 4)?.store(&slot_type.tag);
    region
        .pod::<u32>(offset + 8)?
        .store(&(slot_type.body_len as u32));
    region
        .pod::<u32>(offset + 12)?
        .store(&(slot_type.body_offset() as u32));
    Ok(())
}

fn describe_state(state: u32) -> &'static str {
    match state {
        EMPTY => "not initialised",
        INITIALISING => "being initialised",
        READY => "initialised",
        _ => "in an invalid state",
    }
}

/// Adds a region's object to an error when it has one.
trait MaybeObject {
    fn maybe_object<R: SharedRegion + ?Sized>(self, region: &R) -> Self;
}

impl MaybeObject for Error {
    fn maybe_object<R: SharedRegion + ?Sized>(self, region: &R) -> Self {
        match region.object() {
            Some(object) => self.with_object(object),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnonymousRegion;

    const T: SlotType = SlotType::new("thing", *b"THG1", 24, 8);

    #[test]
    fn a_failed_initialiser_leaves_the_slot_empty_for_a_retry() {
        let region = AnonymousRegion::new(4096).unwrap();
        let failed = Slot::init(&region, 0, T, |_, _| {
            Err(Error::new(ErrorKind::Other, "test"))
        });
        assert!(failed.is_err());
        assert_eq!(
            Slot::open(&region, 0, T).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        Slot::init(&region, 0, T, |_, _| Ok(())).unwrap();
        Slot::open(&region, 0, T).unwrap();
    }

    #[test]
    fn each_mismatched_field_is_named() {
        let region = AnonymousRegion::new(4096).unwrap();
        Slot::init(&region, 0, T, |_, _| Ok(())).unwrap();
        for (at, field) in [(4, "tag"), (8, "body_len"), (12, "body_offset")] {
            let saved = region.pod::<u32>(at).unwrap().load();
            region.pod::<u32>(at).unwrap().store(&(saved ^ 1));
            let err = Slot::open(&region, 0, T).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
            assert!(err.to_string().contains(field), "{err}");
            region.pod::<u32>(at).unwrap().store(&saved);
        }
        region.atomic_u32(0).unwrap().store(7, Ordering::Relaxed);
        let err = Slot::open(&region, 0, T).unwrap_err();
        assert!(err.to_string().contains("state"), "{err}");
    }

    #[test]
    fn slots_outside_the_region_or_misaligned_are_refused() {
        let region = AnonymousRegion::new(100).unwrap();
        for offset in [4, 96, usize::MAX - 3] {
            let err = Slot::init(&region, offset, T, |_, _| Ok(())).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        Slot::init(&region, 56, T, |_, _| Ok(())).unwrap(); // 56 + 40 = 96 <= 100
    }
}
