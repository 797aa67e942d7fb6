//! The fixed table of live shared mappings that the `SIGBUS` handler searches: no allocation,
//! no lock, only atomics, so the handler may read it while any thread registers or removes.

use std::fmt::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// How many mappings the table holds; one more is simply not registered.
pub(crate) const SLOTS: usize = 64;

/// How many bytes of an object's display name a slot keeps; a longer name ends in `...`.
pub(crate) const NAME_BYTES: usize = 64;

/// The name is kept in words, so that a slot is only atomics.
const NAME_WORDS: usize = NAME_BYTES / 8;

/// One registered mapping.
///
/// `claimed` is the slot's owner: set by [`register`] and cleared when its [`Registration`]
/// drops. The owner writes the name, its length and `len`, then publishes the entry by storing
/// `start` (never 0 for a live mapping) with `Release`; [`find`] reads `start` with `Acquire`
/// and only then the rest.
struct Slot {
    claimed: AtomicBool,
    start: AtomicUsize,
    len: AtomicUsize,
    name_len: AtomicUsize,
    name: [AtomicU64; NAME_WORDS],
}

impl Slot {
    const fn new() -> Self {
        Self {
            claimed: AtomicBool::new(false),
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            name_len: AtomicUsize::new(0),
            name: [const { AtomicU64::new(0) }; NAME_WORDS],
        }
    }
}

/// The table of the process, which `Mapping` fills and the handler searches.
pub(crate) static TABLE: Table = Table::new();

/// A table of registered mappings (one per process; the unit tests make their own).
pub(crate) struct Table {
    slots: [Slot; SLOTS],
}

/// A mapping's entry in a table, removed on drop.
///
/// Drop it before unmapping, so that no entry ever names an address the kernel may hand to
/// another mapping.
pub(crate) struct Registration {
    table: &'static Table,
    index: usize,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(slot) = self.table.slots.get(self.index) {
            // Relaxed: a reader that still sees the old start reads a mapping that is being
            // dropped, which the borrow of its region rules out while an access is running.
            slot.start.store(0, Ordering::Relaxed);
            // Release: pairs with the Acquire compare-exchange in `register`, so the next owner
            // writes the slot only after this one stopped publishing it.
            slot.claimed.store(false, Ordering::Release);
        }
    }
}

impl Table {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const { Slot::new() }; SLOTS],
        }
    }

    /// Records the mapping `start..start + len` of the object named `name`; `None` when all
    /// [`SLOTS`] are taken (the mapping is then not named by the diagnostic) or `len` is 0.
    pub(crate) fn register(
        &'static self,
        start: usize,
        len: usize,
        name: &dyn fmt::Display,
    ) -> Option<Registration> {
        if start == 0 || len == 0 {
            return None;
        }
        let mut text = NameText::new();
        // NameText never fails: it truncates instead.
        let _ = write!(text, "{name}");
        let bytes = text.finish();
        for (index, slot) in self.slots.iter().enumerate() {
            // Acquire: pairs with the Release store of `false` in `Registration::drop`.
            if slot
                .claimed
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                continue;
            }
            for (word, chunk) in slot.name.iter().zip(bytes.chunks(8)) {
                let mut le = [0u8; 8];
                le[..chunk.len()].copy_from_slice(chunk);
                word.store(u64::from_le_bytes(le), Ordering::Relaxed);
            }
            slot.name_len.store(bytes.len(), Ordering::Relaxed);
            slot.len.store(len, Ordering::Relaxed);
            // Release: pairs with the Acquire load of `start` in `find`, which then sees the name
            // and the length written above.
            slot.start.store(start, Ordering::Release);
            return Some(Registration { table: self, index });
        }
        None
    }

    /// The registered mapping that contains `addr`, its name copied into `name`.
    ///
    /// Async-signal-safe: atomic loads and copies into the caller's buffer only.
    pub(crate) fn find(&self, addr: usize, name: &mut [u8; NAME_BYTES]) -> Option<Found> {
        for slot in &self.slots {
            // Acquire: pairs with the Release store of `start` in `register`.
            let start = slot.start.load(Ordering::Acquire);
            if start == 0 || addr < start {
                continue;
            }
            let offset = addr - start;
            if offset >= slot.len.load(Ordering::Relaxed) {
                continue;
            }
            for (chunk, word) in name.chunks_mut(8).zip(&slot.name) {
                chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
            }
            let name_len = slot.name_len.load(Ordering::Relaxed).min(NAME_BYTES);
            return Some(Found { offset, name_len });
        }
        None
    }
}

/// A registered mapping that contains an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// The offset of the address from the start of the mapping.
    pub(crate) offset: usize,
    /// How many bytes of the name buffer hold the name.
    pub(crate) name_len: usize,
}

/// An object's display name, cut to [`NAME_BYTES`] at a character boundary and ended with
/// `...` when it was longer; formatting into it allocates nothing.
struct NameText {
    bytes: [u8; NAME_BYTES],
    len: usize,
    cut: bool,
}

/// What replaces the end of a name that does not fit.
const ELLIPSIS: &[u8] = b"...";

impl NameText {
    /// An empty name.
    fn new() -> Self {
        Self {
            bytes: [0; NAME_BYTES],
            len: 0,
            cut: false,
        }
    }

    /// The name's bytes.
    fn finish(&mut self) -> &[u8] {
        if self.cut {
            let mut end = self.len.min(NAME_BYTES - ELLIPSIS.len());
            // Back off to a character boundary: a UTF-8 continuation byte is 0b10xx_xxxx.
            while end > 0 && self.bytes[end] & 0xC0 == 0x80 {
                end -= 1;
            }
            self.bytes[end..end + ELLIPSIS.len()].copy_from_slice(ELLIPSIS);
            self.len = end + ELLIPSIS.len();
        }
        &self.bytes[..self.len]
    }
}

impl Write for NameText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.cut {
            return Ok(());
        }
        let room = NAME_BYTES - self.len;
        if text.len() > room {
            self.bytes[self.len..].copy_from_slice(&text.as_bytes()[..room]);
            self.len = NAME_BYTES;
            self.cut = true;
        } else {
            self.bytes[self.len..self.len + text.len()].copy_from_slice(text.as_bytes());
            self.len += text.len();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses for the tests' own tables, which hold no real mapping.
    const FAKE: usize = 1 << 40;

    fn table() -> &'static Table {
        Box::leak(Box::new(Table::new()))
    }

    fn name_of(table: &Table, addr: usize) -> Option<(Found, String)> {
        let mut name = [0u8; NAME_BYTES];
        let found = table.find(addr, &mut name)?;
        Some((
            found,
            String::from_utf8(name[..found.name_len].to_vec()).unwrap(),
        ))
    }

    #[test]
    fn an_address_inside_a_registered_mapping_finds_its_name_and_offset() {
        let table = table();
        let sut = table
            .register(FAKE, 4096, &"/ipc-rs-test-registry")
            .unwrap();
        let (found, name) = name_of(table, FAKE + 100).unwrap();
        assert_eq!(found.offset, 100);
        assert_eq!(name, "/ipc-rs-test-registry");
        assert_eq!(
            name_of(table, FAKE + 4096),
            None,
            "one past the end is outside"
        );
        assert_eq!(name_of(table, FAKE - 1), None);
        drop(sut);
        assert_eq!(
            name_of(table, FAKE + 100),
            None,
            "a dropped registration is gone"
        );
    }

    #[test]
    fn a_long_name_is_cut_at_a_character_boundary_and_marked() {
        let long = format!("/{}", "é".repeat(40));
        let table = table();
        let _sut = table.register(FAKE, 4096, &long).unwrap();
        let (_, name) = name_of(table, FAKE).unwrap();
        assert!(name.len() <= NAME_BYTES, "{name}");
        assert!(name.ends_with("..."), "{name}");
        assert!(long.starts_with(name.trim_end_matches("...")), "{name}");
    }

    #[test]
    fn an_empty_or_null_range_is_not_registered() {
        let table = table();
        assert!(table.register(FAKE, 0, &"x").is_none());
        assert!(table.register(0, 4096, &"x").is_none());
    }

    #[test]
    fn a_full_table_registers_nothing_more_until_a_slot_is_freed() {
        let table = table();
        let mut held: Vec<_> = (0..SLOTS)
            .map(|i| table.register(FAKE + i * 8192, 4096, &"full").unwrap())
            .collect();
        assert!(
            table
                .register(FAKE + SLOTS * 8192, 4096, &"one more")
                .is_none()
        );
        held.swap_remove(3);
        let again = table.register(FAKE + SLOTS * 8192, 4096, &"again");
        assert!(again.is_some(), "a freed slot is reused");
        let (found, name) = name_of(table, FAKE + SLOTS * 8192 + 1).unwrap();
        assert_eq!((found.offset, name.as_str()), (1, "again"));
        assert_eq!(name_of(table, FAKE + 3 * 8192), None);
    }
}
