//! The bytes a record lock covers.

use std::fmt;

/// A range of bytes of a file for a record lock: `len` bytes from `start`, or with `len` 0
/// everything from `start` on, "to EOF and beyond" as `fcntl(2)` puts it: the range grows
/// with the file.
///
/// Ranges may lie past the end of the file (locking needs no data there). A range whose end
/// does not fit the kernel's `off_t` (`start + len > i64::MAX + 1`) is refused when a lock is
/// asked for, with [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument).
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::ByteRange;
///
/// let header = ByteRange::new(0, 64);
/// let rest = ByteRange::from_offset(64);
/// assert!(!header.overlaps(rest));
/// assert!(ByteRange::whole_file().overlaps(header));
/// assert_eq!(header.end(), Some(64));
/// assert_eq!(rest.end(), None);
/// assert_eq!(header.to_string(), "bytes 0..64");
/// assert_eq!(rest.to_string(), "bytes 64..");
/// ```
///
/// # References
///
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "Advisory record locking"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    start: u64,
    /// Zero: to the end of the file and beyond.
    len: u64,
}

impl ByteRange {
    /// `len` bytes from `start`; a `len` of 0 means from `start` to the end of the file and
    /// beyond, as in `fcntl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_shm::lock::ByteRange::new(100, 20);
    /// assert_eq!((sut.start(), sut.len()), (100, 20));
    /// ```
    pub const fn new(start: u64, len: u64) -> Self {
        Self { start, len }
    }

    /// Everything from `start` on, however long the file grows.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_shm::lock::ByteRange::from_offset(4096);
    /// assert!(sut.is_to_end());
    /// ```
    pub const fn from_offset(start: u64) -> Self {
        Self { start, len: 0 }
    }

    /// The whole file, however long it grows: `from_offset(0)`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::lock::ByteRange::whole_file().start(), 0);
    /// ```
    pub const fn whole_file() -> Self {
        Self::from_offset(0)
    }

    /// The first byte.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::lock::ByteRange::new(7, 1).start(), 7);
    /// ```
    pub const fn start(self) -> u64 {
        self.start
    }

    /// The length, 0 for a range that runs to the end of the file and beyond.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::lock::ByteRange::from_offset(7).len(), 0);
    /// ```
    #[expect(
        clippy::len_without_is_empty,
        reason = "a range of length 0 is not empty but unbounded: see is_to_end"
    )]
    pub const fn len(self) -> u64 {
        self.len
    }

    /// Whether the range runs to the end of the file and beyond (`len` 0).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_shm::lock::ByteRange::new(0, 1).is_to_end());
    /// ```
    pub const fn is_to_end(self) -> bool {
        self.len == 0
    }

    /// One past the last byte, `None` when the range runs to the end of the file (or its end
    /// does not fit a `u64`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::lock::ByteRange::new(10, 5).end(), Some(15));
    /// ```
    pub const fn end(self) -> Option<u64> {
        if self.len == 0 {
            None
        } else {
            self.start.checked_add(self.len)
        }
    }

    /// Whether the two ranges share at least one byte, so locks on them can conflict.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::ByteRange;
    ///
    /// assert!(ByteRange::new(0, 10).overlaps(ByteRange::new(9, 10)));
    /// assert!(!ByteRange::new(0, 10).overlaps(ByteRange::new(10, 10)));
    /// ```
    pub fn overlaps(self, other: Self) -> bool {
        let starts_before_end = |a: Self, b: Self| b.end().is_none_or(|end| a.start < end);
        starts_before_end(self, other) && starts_before_end(other, self)
    }

    /// The range as `fcntl` wants it, `(l_start, l_len)`, or `None` when its last byte does
    /// not fit the kernel's `off_t`.
    pub(crate) fn to_off_t(self) -> Option<(libc::off_t, libc::off_t)> {
        let start = libc::off_t::try_from(self.start).ok()?;
        let len = libc::off_t::try_from(self.len).ok()?;
        // The kernel refuses a range whose last byte, start + len - 1, passes OFFSET_MAX.
        if len > 0 {
            start.checked_add(len - 1)?;
        }
        Some((start, len))
    }

    /// The range of an `F_*GETLK` answer, `None` for a negative start or length (which the
    /// kernel never reports: it normalises ranges to start at their first byte).
    pub(crate) fn from_off_t(start: libc::off_t, len: libc::off_t) -> Option<Self> {
        Some(Self::new(
            u64::try_from(start).ok()?,
            u64::try_from(len).ok()?,
        ))
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end() {
            Some(end) => write!(f, "bytes {}..{end}", self.start),
            None => write!(f, "bytes {}..", self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_ranges_do_not_overlap_and_unbounded_ones_reach_everything_after() {
        let sut = ByteRange::new(10, 10);
        assert!(!sut.overlaps(ByteRange::new(0, 10)));
        assert!(!sut.overlaps(ByteRange::new(20, 1)));
        assert!(sut.overlaps(ByteRange::new(19, 1)));
        assert!(sut.overlaps(ByteRange::from_offset(0)));
        assert!(sut.overlaps(ByteRange::from_offset(19)));
        assert!(!sut.overlaps(ByteRange::from_offset(20)));
        assert!(ByteRange::from_offset(5).overlaps(ByteRange::from_offset(500)));
    }

    #[test]
    fn ranges_past_off_t_are_refused() {
        assert_eq!(ByteRange::new(0, 0).to_off_t(), Some((0, 0)));
        let max = i64::MAX as u64;
        assert_eq!(ByteRange::new(max, 1).to_off_t(), Some((i64::MAX, 1)));
        assert_eq!(ByteRange::new(max, 2).to_off_t(), None);
        assert_eq!(ByteRange::new(max + 1, 0).to_off_t(), None);
        assert_eq!(ByteRange::new(0, max + 1).to_off_t(), None);
        assert_eq!(ByteRange::new(1, max).to_off_t(), Some((1, i64::MAX)));
    }
}
