//! Shared or exclusive: the two kinds of lock every form offers.

/// Whether a lock may be shared with other readers or excludes everyone else.
///
/// Any number of shared locks coexist; an exclusive lock conflicts with every other lock on
/// the same file (for [`Flock`](super::Flock)) or the same bytes (for record locks). The locks
/// are advisory: they stop only other lockers, never a plain `read` or `write`.
///
/// For record locks the descriptor's access mode matters: a shared lock needs a descriptor
/// open for reading, an exclusive one a descriptor open for writing. `flock` has no such rule.
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::LockMode;
///
/// assert!(LockMode::Exclusive.conflicts_with(LockMode::Shared));
/// assert!(!LockMode::Shared.conflicts_with(LockMode::Shared));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockMode {
    /// A read lock (`LOCK_SH`, `F_RDLCK`): coexists with other shared locks.
    #[doc(alias = "LOCK_SH")]
    #[doc(alias = "F_RDLCK")]
    Shared,
    /// A write lock (`LOCK_EX`, `F_WRLCK`): coexists with no other lock.
    #[doc(alias = "LOCK_EX")]
    #[doc(alias = "F_WRLCK")]
    Exclusive,
}

impl LockMode {
    /// Whether a lock of this mode held by one owner keeps another owner from taking `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::LockMode;
    ///
    /// assert!(LockMode::Shared.conflicts_with(LockMode::Exclusive));
    /// ```
    pub fn conflicts_with(self, other: Self) -> bool {
        self == Self::Exclusive || other == Self::Exclusive
    }

    /// The `fcntl` lock type: `F_RDLCK` or `F_WRLCK`.
    pub(crate) fn fcntl_type(self) -> libc::c_int {
        match self {
            Self::Shared => libc::F_RDLCK,
            Self::Exclusive => libc::F_WRLCK,
        }
    }

    /// The mode of an `fcntl` lock type, `None` for `F_UNLCK` (or anything else).
    pub(crate) fn from_fcntl_type(kind: libc::c_int) -> Option<Self> {
        match kind {
            libc::F_RDLCK => Some(Self::Shared),
            libc::F_WRLCK => Some(Self::Exclusive),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_two_shared_locks_coexist() {
        use LockMode::{Exclusive, Shared};
        for (a, b, conflict) in [
            (Shared, Shared, false),
            (Shared, Exclusive, true),
            (Exclusive, Shared, true),
            (Exclusive, Exclusive, true),
        ] {
            assert_eq!(a.conflicts_with(b), conflict, "{a:?} {b:?}");
        }
    }

    #[test]
    fn fcntl_types_round_trip() {
        for sut in [LockMode::Shared, LockMode::Exclusive] {
            assert_eq!(LockMode::from_fcntl_type(sut.fcntl_type()), Some(sut));
        }
        assert_eq!(LockMode::from_fcntl_type(libc::F_UNLCK), None);
    }
}
