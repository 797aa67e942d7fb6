//! The seals of a memfd, as a small typed set.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use rustix::fs::SealFlags;

/// A set of memfd seals (`F_SEAL_*`), as [`Memfd::seals`](crate::Memfd::seals) reports them and
/// [`Memfd::add_seals`](crate::Memfd::add_seals) adds them.
///
/// A seal restricts what *every* process may do with the file, its creator included, and can
/// never be removed:
///
/// | seal | forbids |
/// |---|---|
/// | [`SHRINK`](Self::SHRINK) | making the file smaller, so no mapping can lose its pages (`SIGBUS`) |
/// | [`GROW`](Self::GROW) | making the file larger |
/// | [`WRITE`](Self::WRITE) | any change of the contents; refused while a writable shared mapping exists |
/// | [`FUTURE_WRITE`](Self::FUTURE_WRITE) | new writes and new writable mappings; existing writable mappings keep working |
/// | [`EXEC`](Self::EXEC) | changing the execute bits (set by `MFD_NOEXEC_SEAL`, Linux 6.3) |
/// | [`SEAL`](Self::SEAL) | adding any further seal |
///
/// Bits this type has no name for are kept (a newer kernel may report them) and shown in hex.
///
/// # Examples
///
/// ```
/// use ipc_shm::{Memfd, Seals};
///
/// let memfd = Memfd::create("example", 4096)?;
/// let seals = memfd.seals()?;
/// assert!(seals.contains(Seals::SHRINK | Seals::GROW));
/// assert!(!seals.contains(Seals::WRITE));
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "File seals"
/// - [memfd_create(2)](https://man7.org/linux/man-pages/man2/memfd_create.2.html)
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Seals(u32);

/// The names of the seals, in the order `Debug` shows them.
const NAMES: [(Seals, &str); 6] = [
    (Seals::SEAL, "SEAL"),
    (Seals::SHRINK, "SHRINK"),
    (Seals::GROW, "GROW"),
    (Seals::WRITE, "WRITE"),
    (Seals::FUTURE_WRITE, "FUTURE_WRITE"),
    (Seals::EXEC, "EXEC"),
];

impl Seals {
    /// `F_SEAL_SEAL`: no further seal may be added.
    pub const SEAL: Self = Self(SealFlags::SEAL.bits());
    /// `F_SEAL_SHRINK`: the file may not shrink.
    pub const SHRINK: Self = Self(SealFlags::SHRINK.bits());
    /// `F_SEAL_GROW`: the file may not grow.
    pub const GROW: Self = Self(SealFlags::GROW.bits());
    /// `F_SEAL_WRITE`: the contents may not change.
    pub const WRITE: Self = Self(SealFlags::WRITE.bits());
    /// `F_SEAL_FUTURE_WRITE` (Linux 5.1): no new writes or writable mappings.
    pub const FUTURE_WRITE: Self = Self(SealFlags::FUTURE_WRITE.bits());
    /// `F_SEAL_EXEC` (Linux 6.3): the execute bits may not change.
    pub const EXEC: Self = Self(SealFlags::EXEC.bits());

    /// No seals.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_shm::Seals::empty().is_empty());
    /// ```
    pub const fn empty() -> Self {
        Self(0)
    }

    /// The set with exactly these bits, unknown ones included.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Seals;
    /// assert_eq!(Seals::from_bits(0x2), Seals::SHRINK);
    /// ```
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The bits, as `F_GET_SEALS` returns them.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Seals;
    /// assert_eq!((Seals::SHRINK | Seals::GROW).bits(), 0x2 | 0x4);
    /// ```
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every seal of `other` is in `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Seals;
    /// let seals = Seals::SHRINK | Seals::GROW;
    /// assert!(seals.contains(Seals::SHRINK));
    /// assert!(!seals.contains(Seals::SHRINK | Seals::WRITE));
    /// assert!(seals.contains(Seals::empty()));
    /// ```
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set has no seal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_shm::Seals::WRITE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The seals of `self` that are not in `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Seals;
    /// let wanted = Seals::SHRINK | Seals::WRITE;
    /// assert_eq!(wanted.difference(Seals::SHRINK | Seals::GROW), Seals::WRITE);
    /// ```
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// The seals in `self` or `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::Seals;
    /// assert_eq!(Seals::SHRINK.union(Seals::GROW), Seals::SHRINK | Seals::GROW);
    /// ```
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl BitOr for Seals {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        self.union(other)
    }
}

impl BitOrAssign for Seals {
    fn bitor_assign(&mut self, other: Self) {
        *self = self.union(other);
    }
}

impl fmt::Debug for Seals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seals({self})")
    }
}

/// Shows the seals as `SHRINK | GROW`, unknown bits in hex, and an empty set as `none`.
impl fmt::Display for Seals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut rest = *self;
        let mut first = true;
        for (seal, name) in NAMES {
            if self.contains(seal) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
                rest = rest.difference(seal);
            }
        }
        if !rest.is_empty() {
            if !first {
                f.write_str(" | ")?;
            }
            write!(f, "{:#x}", rest.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_the_kernels_bits() {
        assert_eq!(Seals::SEAL.bits(), 0x1);
        assert_eq!(Seals::SHRINK.bits(), 0x2);
        assert_eq!(Seals::GROW.bits(), 0x4);
        assert_eq!(Seals::WRITE.bits(), 0x8);
        assert_eq!(Seals::FUTURE_WRITE.bits(), 0x10);
        assert_eq!(Seals::EXEC.bits(), 0x20);
    }

    #[test]
    fn display_names_each_seal_and_shows_unknown_bits() {
        assert_eq!(Seals::empty().to_string(), "none");
        assert_eq!((Seals::SHRINK | Seals::GROW).to_string(), "SHRINK | GROW");
        assert_eq!(
            format!("{:?}", Seals::from_bits(0x2 | 0x400)),
            "Seals(SHRINK | 0x400)"
        );
    }

    #[test]
    fn difference_and_contains_agree() {
        let have = Seals::SHRINK | Seals::EXEC;
        let want = Seals::SHRINK | Seals::WRITE;
        assert!(!have.contains(want));
        assert_eq!(want.difference(have), Seals::WRITE);
        assert!(have.contains(want.difference(Seals::WRITE)));
    }
}
