//! The bytes of the header and the description of the layout that follows it.

use std::mem::{align_of, offset_of, size_of};

/// The length of the header in bytes: the payload starts at this offset.
///
/// 128 bytes keep the payload two cache lines from the header's start, so the first hot word
/// of a structured payload (a cursor, a lock word) never shares a cache line, or the adjacent
/// line the prefetcher pulls in with it, with the header.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_shm::header::HEADER_LEN, 128);
/// ```
pub const HEADER_LEN: usize = 128;

/// The first eight bytes of every header: `b"IPCSHMHD"` in memory, whatever the byte order.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_shm::header::HEADER_MAGIC.to_ne_bytes(), *b"IPCSHMHD");
/// ```
pub const HEADER_MAGIC: u64 = u64::from_ne_bytes(*b"IPCSHMHD");

/// The header version this build writes and reads.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_shm::header::HEADER_VERSION, 1);
/// ```
pub const HEADER_VERSION: u32 = 1;

/// The payload a structured region carries after its header: a tag naming the kind of layout,
/// its version, and its length in bytes.
///
/// The creator writes all three into the header ([`Header::init`](super::Header::init)); every
/// opener passes the layout it expects ([`Header::open`](super::Header::open)) and is refused
/// a region whose header says otherwise. By default the length must match exactly; an opener
/// that lets the creator choose the size (a ring whose capacity is the creator's) asks for
/// [`or_longer`](Self::or_longer).
///
/// # Examples
///
/// ```
/// use ipc_shm::header::Layout;
///
/// const COUNTERS: Layout = Layout::new(u64::from_ne_bytes(*b"counters"), 1, 64);
/// assert_eq!(COUNTERS.len(), 64);
/// assert!(COUNTERS.accepts_len(64));
/// assert!(!COUNTERS.accepts_len(128));
/// assert!(COUNTERS.or_longer().accepts_len(128));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    tag: u64,
    version: u32,
    len: usize,
    or_longer: bool,
}

impl Layout {
    /// The layout `tag` (any value the application picks, typically eight ASCII bytes through
    /// `u64::from_ne_bytes`), at `version`, of exactly `len` bytes after the header.
    ///
    /// # Examples
    ///
    /// ```
    /// let layout = ipc_shm::header::Layout::new(7, 2, 100);
    /// assert_eq!((layout.tag(), layout.version(), layout.len()), (7, 2, 100));
    /// ```
    pub const fn new(tag: u64, version: u32, len: usize) -> Self {
        Self {
            tag,
            version,
            len,
            or_longer: false,
        }
    }

    /// The same layout, accepting a payload of `len` bytes or more when opening. The creator
    /// writes the length it was given; the opener learns it from
    /// [`Header::payload_len`](super::Header::payload_len).
    ///
    /// # Examples
    ///
    /// ```
    /// let layout = ipc_shm::header::Layout::new(7, 1, 100).or_longer();
    /// assert!(layout.accepts_len(100) && layout.accepts_len(4000) && !layout.accepts_len(99));
    /// ```
    #[must_use]
    pub const fn or_longer(self) -> Self {
        Self {
            or_longer: true,
            ..self
        }
    }

    /// The tag.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::header::Layout::new(7, 1, 8).tag(), 7);
    /// ```
    pub const fn tag(&self) -> u64 {
        self.tag
    }

    /// The version.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::header::Layout::new(7, 1, 8).version(), 1);
    /// ```
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// The payload's length in bytes (the least accepted, after [`or_longer`](Self::or_longer)).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::header::Layout::new(7, 1, 8).len(), 8);
    /// ```
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the payload is empty: a header with nothing after it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_shm::header::Layout::new(7, 1, 0).is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether an opener expecting this layout accepts a payload of `len` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_shm::header::Layout::new(7, 1, 8).accepts_len(9));
    /// ```
    pub const fn accepts_len(&self, len: u64) -> bool {
        // `usize` is at most 64 bits on every target this crate builds for.
        let expected = self.len as u64;
        if self.or_longer {
            len >= expected
        } else {
            len == expected
        }
    }
}

/// The phase kept in the low 32 bits of [`RawHeader::state`].
pub(crate) mod phase {
    /// No one has claimed the header: the region is fresh, or its initialiser failed.
    pub(crate) const UNINITIALISED: u32 = 0;
    /// The process whose pid is in the high half claimed the header and is writing it.
    pub(crate) const INITIALISING: u32 = 1;
    /// The header and the payload are written and published.
    pub(crate) const READY: u32 = 2;
}

/// The state word of a header: `pid << 32 | phase`.
pub(crate) const fn state_word(pid: u32, phase: u32) -> u64 {
    ((pid as u64) << 32) | phase as u64
}

/// The pid and phase halves of a state word.
pub(crate) const fn split_state(word: u64) -> (u32, u32) {
    ((word >> 32) as u32, word as u32)
}

/// The header at offset 0 of a structured region, in the memory order of its fields (native
/// byte order: the processes that share a region share a machine).
///
/// Nothing ever forms a reference to a `RawHeader` in a region: the state word is reached as an
/// atomic at its offset, and the rest is copied in and out whole ([`to_bytes`](Self::to_bytes),
/// [`from_bytes`](Self::from_bytes)) and validated after every copy out.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawHeader {
    /// [`HEADER_MAGIC`].
    pub(crate) magic: u64,
    /// [`HEADER_VERSION`].
    pub(crate) header_version: u32,
    /// [`HEADER_LEN`]: where the payload starts.
    pub(crate) header_len: u32,
    /// The one word that changes after initialisation, read and written only as an atomic.
    ///
    /// Bits 0..32 hold the phase ([`phase`]); bits 32..64 the pid of the process that claimed
    /// the header, so an opener learns who is initialising from the same atomic load that tells
    /// it someone is. `0` is a fresh region; `pid << 32 | 1` is being initialised by `pid`;
    /// `pid << 32 | 2` is ready, created by `pid`. Every other value is corrupt.
    pub(crate) state: u64,
    /// The application's tag for the payload's layout ([`Layout::tag`]).
    pub(crate) layout_tag: u64,
    /// The payload's length in bytes, after the header.
    pub(crate) layout_len: u64,
    /// The payload layout's version ([`Layout::version`]).
    pub(crate) layout_version: u32,
    /// Zero.
    pub(crate) reserved: u32,
    /// The creator's start time: field 22 of `/proc/<pid>/stat`, in clock ticks since boot;
    /// 0 when it could not be read.
    pub(crate) creator_start_time: u64,
    /// The first 8 bytes of the creator's boot id (`/proc/sys/kernel/random/boot_id`); 0
    /// when it could not be read.
    pub(crate) creator_boot_id: u64,
    /// The inode of the creator's pid namespace (`/proc/self/ns/pid`), in which its pid is
    /// meaningful; 0 when it could not be read.
    pub(crate) creator_pid_ns: u64,
    /// Zero.
    pub(crate) reserved_tail: [u64; 7],
}

const _: () = {
    assert!(size_of::<RawHeader>() == HEADER_LEN);
    assert!(align_of::<RawHeader>() == 8);
    assert!(offset_of!(RawHeader, magic) == 0);
    assert!(offset_of!(RawHeader, header_version) == 8);
    assert!(offset_of!(RawHeader, header_len) == 12);
    assert!(offset_of!(RawHeader, state) == 16);
    assert!(offset_of!(RawHeader, layout_tag) == 24);
    assert!(offset_of!(RawHeader, layout_len) == 32);
    assert!(offset_of!(RawHeader, layout_version) == 40);
    assert!(offset_of!(RawHeader, reserved) == 44);
    assert!(offset_of!(RawHeader, creator_start_time) == 48);
    assert!(offset_of!(RawHeader, creator_boot_id) == 56);
    assert!(offset_of!(RawHeader, creator_pid_ns) == 64);
    assert!(offset_of!(RawHeader, reserved_tail) == 72);
    // The state word is reached with `atomic_u64`, which needs an 8-aligned offset.
    assert!(STATE_OFFSET.is_multiple_of(8));
    // The payload offset is stored as a u32.
    assert!(HEADER_LEN <= u32::MAX as usize);
};

/// The offset of the state word.
pub(crate) const STATE_OFFSET: usize = offset_of!(RawHeader, state);

/// The fields of the header, by name, offset and size: what the validator names in its errors
/// and what the tests mutate one at a time.
#[cfg(test)]
pub(crate) const FIELDS: [(&str, usize, usize); 12] = [
    ("magic", offset_of!(RawHeader, magic), 8),
    ("header_version", offset_of!(RawHeader, header_version), 4),
    ("header_len", offset_of!(RawHeader, header_len), 4),
    ("state", offset_of!(RawHeader, state), 8),
    ("layout_tag", offset_of!(RawHeader, layout_tag), 8),
    ("layout_len", offset_of!(RawHeader, layout_len), 8),
    ("layout_version", offset_of!(RawHeader, layout_version), 4),
    ("reserved", offset_of!(RawHeader, reserved), 4),
    (
        "creator_start_time",
        offset_of!(RawHeader, creator_start_time),
        8,
    ),
    ("creator_boot_id", offset_of!(RawHeader, creator_boot_id), 8),
    ("creator_pid_ns", offset_of!(RawHeader, creator_pid_ns), 8),
    ("reserved_tail", offset_of!(RawHeader, reserved_tail), 56),
];

impl RawHeader {
    /// The header's fields from a copy of its bytes.
    pub(crate) fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Self {
        let u64_at = |offset: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[offset..offset + 8]);
            u64::from_ne_bytes(word)
        };
        let u32_at = |offset: usize| {
            let mut word = [0u8; 4];
            word.copy_from_slice(&bytes[offset..offset + 4]);
            u32::from_ne_bytes(word)
        };
        let tail = offset_of!(Self, reserved_tail);
        Self {
            magic: u64_at(offset_of!(Self, magic)),
            header_version: u32_at(offset_of!(Self, header_version)),
            header_len: u32_at(offset_of!(Self, header_len)),
            state: u64_at(offset_of!(Self, state)),
            layout_tag: u64_at(offset_of!(Self, layout_tag)),
            layout_len: u64_at(offset_of!(Self, layout_len)),
            layout_version: u32_at(offset_of!(Self, layout_version)),
            reserved: u32_at(offset_of!(Self, reserved)),
            creator_start_time: u64_at(offset_of!(Self, creator_start_time)),
            creator_boot_id: u64_at(offset_of!(Self, creator_boot_id)),
            creator_pid_ns: u64_at(offset_of!(Self, creator_pid_ns)),
            reserved_tail: std::array::from_fn(|i| u64_at(tail + 8 * i)),
        }
    }

    /// The header's bytes, in the layout the const asserts above pin down.
    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        let mut put = |offset: usize, field: &[u8]| {
            bytes[offset..offset + field.len()].copy_from_slice(field);
        };
        put(offset_of!(Self, magic), &self.magic.to_ne_bytes());
        put(
            offset_of!(Self, header_version),
            &self.header_version.to_ne_bytes(),
        );
        put(offset_of!(Self, header_len), &self.header_len.to_ne_bytes());
        put(offset_of!(Self, state), &self.state.to_ne_bytes());
        put(offset_of!(Self, layout_tag), &self.layout_tag.to_ne_bytes());
        put(offset_of!(Self, layout_len), &self.layout_len.to_ne_bytes());
        put(
            offset_of!(Self, layout_version),
            &self.layout_version.to_ne_bytes(),
        );
        put(offset_of!(Self, reserved), &self.reserved.to_ne_bytes());
        put(
            offset_of!(Self, creator_start_time),
            &self.creator_start_time.to_ne_bytes(),
        );
        put(
            offset_of!(Self, creator_boot_id),
            &self.creator_boot_id.to_ne_bytes(),
        );
        put(
            offset_of!(Self, creator_pid_ns),
            &self.creator_pid_ns.to_ne_bytes(),
        );
        for (i, word) in self.reserved_tail.iter().enumerate() {
            put(offset_of!(Self, reserved_tail) + 8 * i, &word.to_ne_bytes());
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_field_by_field() {
        let sut = RawHeader {
            magic: HEADER_MAGIC,
            header_version: 2,
            header_len: 3,
            state: 4,
            layout_tag: 5,
            layout_len: 6,
            layout_version: 7,
            reserved: 8,
            creator_start_time: 9,
            creator_boot_id: 10,
            creator_pid_ns: 11,
            reserved_tail: [12, 13, 14, 15, 16, 17, 18],
        };
        let bytes = sut.to_bytes();
        assert_eq!(&bytes[..8], b"IPCSHMHD");
        assert_eq!(RawHeader::from_bytes(&bytes), sut);
    }

    #[test]
    fn fields_tile_the_header_without_gaps() {
        for pair in FIELDS.windows(2) {
            let ((name, offset, len), (_, next, _)) = (pair[0], pair[1]);
            assert_eq!(offset + len, next, "after {name}");
        }
        assert_eq!(FIELDS[0].1, 0);
        let (_, last, len) = FIELDS[FIELDS.len() - 1];
        assert_eq!(last + len, HEADER_LEN);
    }

    #[test]
    fn state_words_split_into_pid_and_phase() {
        let word = state_word(4_194_303, phase::READY);
        assert_eq!(split_state(word), (4_194_303, phase::READY));
        assert_eq!(state_word(0, phase::UNINITIALISED), 0);
    }
}
