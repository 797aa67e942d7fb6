//! The page size, which the kernel's pipe capacities are counted in.
#![allow(
    unsafe_code,
    reason = "sysconf has no safe wrapper in the rustix features this crate enables"
)]

/// The system's page size in bytes (`sysconf(_SC_PAGESIZE)`).
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf takes a plain integer, touches no caller memory, and has no
    // precondition; _SC_PAGESIZE is a valid name.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    // sysconf(3): "_SC_PAGESIZE … Must not be less than 1"; -1 would mean an unknown name.
    usize::try_from(size).unwrap_or(4096)
}
