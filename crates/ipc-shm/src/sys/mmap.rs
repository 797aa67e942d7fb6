//! `mmap` and `munmap`.
#![allow(
    unsafe_code,
    reason = "mapping and unmapping memory are raw operations"
)]

use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use rustix::io::Errno;
use rustix::mm::{MapFlags, ProtFlags};

/// How a file mapping is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// `MAP_SHARED`: stores reach the file and every other mapping of it.
    Shared,
    /// `MAP_PRIVATE`: copy-on-write; the view of a file whose contents cannot change (sealed
    /// with `F_SEAL_WRITE`) is the same as a shared one.
    Private,
}

/// Maps `len` bytes of `fd` from offset 0 as `sharing` says, readable, and writable when
/// `writable`.
pub(crate) fn map_fd(
    fd: BorrowedFd<'_>,
    len: usize,
    writable: bool,
    sharing: Sharing,
) -> Result<NonNull<u8>, Errno> {
    let prot = if writable {
        ProtFlags::READ | ProtFlags::WRITE
    } else {
        ProtFlags::READ
    };
    let flags = match sharing {
        Sharing::Shared => MapFlags::SHARED,
        Sharing::Private => MapFlags::PRIVATE,
    };
    // SAFETY: a null hint lets the kernel choose an address, so no existing mapping of this
    // process is replaced; the new mapping is owned by the caller, who unmaps it once.
    let ptr = unsafe { rustix::mm::mmap(std::ptr::null_mut(), len, prot, flags, fd, 0) }?;
    NonNull::new(ptr.cast::<u8>()).ok_or(Errno::NOMEM)
}

/// Maps `len` bytes of fresh zeroed memory, shared with the children this process forks.
pub(crate) fn map_anonymous_shared(len: usize) -> Result<NonNull<u8>, Errno> {
    // SAFETY: as in `map_fd`: the kernel chooses the address, and the caller owns the mapping.
    let ptr = unsafe {
        rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
        )
    }?;
    NonNull::new(ptr.cast::<u8>()).ok_or(Errno::NOMEM)
}

/// Unmaps a mapping made by `map_fd` or `map_anonymous_shared`.
///
/// # Safety
///
/// `ptr` and `len` describe one whole mapping made by this module that is not unmapped yet, and
/// nothing uses its memory afterwards.
pub(crate) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    // SAFETY: the caller promises a live mapping of exactly this extent, used by nothing after.
    let result = unsafe { rustix::mm::munmap(ptr.as_ptr().cast(), len) };
    debug_assert!(
        result.is_ok(),
        "munmap of a live mapping failed: {result:?}"
    );
}
