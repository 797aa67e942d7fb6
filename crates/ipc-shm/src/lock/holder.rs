//! The answer of a record-lock query: who holds the lock that is in the way.

use super::mode::LockMode;
use super::range::ByteRange;

/// A lock that conflicts with a lock asked about, as `F_GETLK` or `F_OFD_GETLK` reports it:
/// its mode, its range, and the holder's process id when it has one.
///
/// "If the conflicting lock is a traditional (process-associated) record lock, then the l_pid
/// field is set to the PID of the process holding that lock. If the conflicting lock is an open
/// file description lock, then l_pid is set to -1" (fcntl(2)): an open-file-description lock
/// belongs to no process, since any process holding a descriptor of the description holds it,
/// so [`pid`](Self::pid) is `None` for it. It is also `None` for a holder in a process outside
/// this process's pid namespace, which the kernel reports as 0. The kernel reports one
/// conflicting lock when there are several; which one is unspecified.
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
///
/// let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-rs-doc-holder"));
/// let file = std::fs::File::create(&path)?;
/// let other = std::fs::File::open(&path)?;
/// let _guard = OfdLock::lock(&file, ByteRange::new(0, 10), LockMode::Exclusive)?;
/// let holder = OfdLock::holder(&other, ByteRange::new(5, 1), LockMode::Shared)?.unwrap();
/// assert_eq!(holder.mode(), LockMode::Exclusive);
/// assert_eq!(holder.range(), ByteRange::new(0, 10));
/// assert_eq!(holder.pid(), None); // an open-file-description lock has no process
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), `F_GETLK`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Holder {
    mode: LockMode,
    range: ByteRange,
    pid: Option<u32>,
}

impl Holder {
    /// A holder from the fields of an `F_*GETLK` answer; a pid of 0 or -1 means none.
    pub(crate) fn new(mode: LockMode, range: ByteRange, pid: libc::pid_t) -> Self {
        Self {
            mode,
            range,
            pid: u32::try_from(pid).ok().filter(|&pid| pid != 0),
        }
    }

    /// The mode of the conflicting lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// let _guard = OfdLock::lock(file.as_file(), ByteRange::new(0, 10), LockMode::Exclusive)?;
    /// let holder = OfdLock::holder(&file.reopen()?, ByteRange::new(9, 5), LockMode::Shared)?.unwrap();
    /// assert_eq!(holder.mode(), LockMode::Exclusive);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> LockMode {
        self.mode
    }

    /// The range of the conflicting lock, which may be wider or narrower than the one asked
    /// about (it overlaps it).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// let _guard = OfdLock::lock(file.as_file(), ByteRange::new(0, 10), LockMode::Exclusive)?;
    /// let holder = OfdLock::holder(&file.reopen()?, ByteRange::new(9, 5), LockMode::Shared)?.unwrap();
    /// assert_eq!(holder.range(), ByteRange::new(0, 10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn range(&self) -> ByteRange {
        self.range
    }

    /// The process holding a process-associated lock; `None` for an open-file-description lock,
    /// or a holder outside this pid namespace.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// let _guard = OfdLock::lock(file.as_file(), ByteRange::new(0, 10), LockMode::Exclusive)?;
    /// let holder = OfdLock::holder(&file.reopen()?, ByteRange::new(9, 5), LockMode::Shared)?.unwrap();
    /// assert_eq!(holder.pid(), None); // an open-file-description lock
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_positive_pid_names_a_process() {
        let range = ByteRange::whole_file();
        assert_eq!(Holder::new(LockMode::Shared, range, 42).pid(), Some(42));
        assert_eq!(Holder::new(LockMode::Shared, range, -1).pid(), None);
        assert_eq!(Holder::new(LockMode::Shared, range, 0).pid(), None);
    }
}
