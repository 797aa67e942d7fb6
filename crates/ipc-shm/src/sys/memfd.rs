//! `memfd_create`, seals, sizes and descriptor flags: the calls behind `Memfd`, wrapped once.
//!
//! None of them is unsafe: rustix checks the arguments, and the errno goes up to the caller,
//! which names the operation and the object.

use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::fs::{MemfdFlags, SealFlags, Stat};
use rustix::io::{Errno, FdFlags};

/// Creates a memfd, close-on-exec and sealable, and not executable where the kernel knows how.
///
/// `MFD_NOEXEC_SEAL` (Linux 6.3) clears the execute bits and seals them (`F_SEAL_EXEC`); since
/// 6.3 the kernel warns about a memfd created with neither it nor `MFD_EXEC`, and with
/// `vm.memfd_noexec = 2` refuses one. An older kernel refuses the unknown flag with `EINVAL`,
/// so the call is made again without it.
pub(crate) fn create(name: &str) -> Result<OwnedFd, Errno> {
    let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
    match rustix::fs::memfd_create(name, flags | MemfdFlags::NOEXEC_SEAL) {
        Err(Errno::INVAL) => rustix::fs::memfd_create(name, flags),
        other => other,
    }
}

/// The seals of the file behind `fd` (`F_GET_SEALS`); `EINVAL` for a file that cannot be sealed.
pub(crate) fn seals(fd: BorrowedFd<'_>) -> Result<u32, Errno> {
    rustix::fs::fcntl_get_seals(fd).map(|seals| seals.bits())
}

/// Adds `seals` (`F_ADD_SEALS`).
pub(crate) fn add_seals(fd: BorrowedFd<'_>, seals: u32) -> Result<(), Errno> {
    rustix::fs::fcntl_add_seals(fd, SealFlags::from_bits_retain(seals))
}

/// Sets the size of the file (`ftruncate`).
pub(crate) fn set_len(fd: BorrowedFd<'_>, len: u64) -> Result<(), Errno> {
    rustix::fs::ftruncate(fd, len)
}

/// The file's type, owner and size (`fstat`).
pub(crate) fn stat(fd: BorrowedFd<'_>) -> Result<Stat, Errno> {
    rustix::fs::fstat(fd)
}

/// Marks the descriptor close-on-exec (`F_SETFD`).
pub(crate) fn set_cloexec(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    rustix::io::fcntl_setfd(fd, FdFlags::CLOEXEC)
}

/// A second descriptor for the same open file, close-on-exec (`F_DUPFD_CLOEXEC`).
pub(crate) fn duplicate(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::io::fcntl_dupfd_cloexec(fd, 0)
}
