//! Mapping a named semaphore's file: one `sem_t`, shared.
#![allow(unsafe_code, reason = "mmap and munmap are raw memory operations")]

use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use rustix::io::Errno;
use rustix::mm::{MapFlags, ProtFlags};

use super::sem::SEM_SIZE;

/// Maps the first [`SEM_SIZE`] bytes of `fd` shared, readable and writable. The mapping is
/// page-aligned, so the `sem_t` in it is aligned as it must be.
pub(crate) fn map_sem(fd: BorrowedFd<'_>) -> Result<NonNull<libc::sem_t>, Errno> {
    // SAFETY: a null hint lets the kernel choose the address, so no existing mapping is
    // replaced; the caller owns the new mapping and unmaps it once, with `unmap_sem`.
    let ptr = unsafe {
        rustix::mm::mmap(
            std::ptr::null_mut(),
            SEM_SIZE,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
            fd,
            0,
        )
    }?;
    NonNull::new(ptr.cast::<libc::sem_t>()).ok_or(Errno::NOMEM)
}

/// Unmaps a mapping made by [`map_sem`] (what `sem_close` does).
///
/// # Safety
///
/// `sem` came from [`map_sem`], is not unmapped yet, and nothing uses it afterwards.
pub(crate) unsafe fn unmap_sem(sem: NonNull<libc::sem_t>) {
    // SAFETY: the caller promises a live mapping of SEM_SIZE bytes, unused after this.
    let result = unsafe { rustix::mm::munmap(sem.as_ptr().cast(), SEM_SIZE) };
    debug_assert!(
        result.is_ok(),
        "munmap of a live mapping failed: {result:?}"
    );
}
