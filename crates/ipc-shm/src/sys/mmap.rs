//! `mmap` and `munmap`, and the atomic copies in and out of a mapping.
#![allow(
    unsafe_code,
    reason = "mapping memory and copying through raw pointers into it are raw operations"
)]

use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use rustix::io::Errno;
use rustix::mm::{MapFlags, ProtFlags};

/// Maps `len` bytes of `fd` from offset 0, shared, readable and writable when `writable`.
pub(crate) fn map_fd(fd: BorrowedFd<'_>, len: usize, writable: bool) -> Result<NonNull<u8>, Errno> {
    let prot = if writable {
        ProtFlags::READ | ProtFlags::WRITE
    } else {
        ProtFlags::READ
    };
    // SAFETY: a null hint lets the kernel choose an address, so no existing mapping of this
    // process is replaced; the new mapping is owned by the caller, who unmaps it once.
    let ptr =
        unsafe { rustix::mm::mmap(std::ptr::null_mut(), len, prot, MapFlags::SHARED, fd, 0) }?;
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

/// Copies `dst.len()` bytes out of shared memory at `src`, with relaxed atomic loads.
///
/// Another process (or thread) may write these bytes at the same time. Plain copies would then
/// race, which the Rust memory model makes undefined behaviour; relaxed atomic loads make the
/// race benign: each word read is one some writer wrote, and a copy that overlaps a write may
/// mix old and new words (a torn value), which the caller's protocol (a lock, a sequence number)
/// must rule out or detect. On x86-64 and aarch64 a relaxed load is an ordinary load.
///
/// # Safety
///
/// `src..src + dst.len()` is inside a live mapping that stays mapped for the call.
pub(crate) unsafe fn copy_out(src: *const u8, dst: &mut [u8]) {
    let len = dst.len();
    let head = src.align_offset(8).min(len);
    let words = (len - head) / 8;
    for (i, byte) in dst[..head].iter_mut().enumerate() {
        // SAFETY: `src + i` is inside the caller's live mapping (i < len), and any address is
        // aligned for `AtomicU8`.
        let cell = unsafe { AtomicU8::from_ptr(src.wrapping_add(i).cast_mut()) };
        *byte = cell.load(Ordering::Relaxed);
    }
    for w in 0..words {
        let at = head + w * 8;
        // SAFETY: `src + at` is 8-aligned (head aligned it) and `at + 8 <= len`, so the word
        // is inside the caller's live mapping.
        let cell = unsafe { AtomicU64::from_ptr(src.wrapping_add(at).cast_mut().cast::<u64>()) };
        let word = cell.load(Ordering::Relaxed);
        dst[at..at + 8].copy_from_slice(&word.to_ne_bytes());
    }
    let tail = head + words * 8;
    for (i, byte) in dst[tail..].iter_mut().enumerate() {
        // SAFETY: `src + tail + i` is inside the caller's live mapping (tail + i < len).
        let cell = unsafe { AtomicU8::from_ptr(src.wrapping_add(tail + i).cast_mut()) };
        *byte = cell.load(Ordering::Relaxed);
    }
}

/// Copies `src` into shared memory at `dst`, with relaxed atomic stores; see `copy_out` for why.
///
/// # Safety
///
/// `dst..dst + src.len()` is inside a live writable mapping that stays mapped for the call.
pub(crate) unsafe fn copy_in(dst: *mut u8, src: &[u8]) {
    let len = src.len();
    let head = dst.align_offset(8).min(len);
    let words = (len - head) / 8;
    for (i, &byte) in src[..head].iter().enumerate() {
        // SAFETY: `dst + i` is inside the caller's live writable mapping (i < len).
        let cell = unsafe { AtomicU8::from_ptr(dst.wrapping_add(i)) };
        cell.store(byte, Ordering::Relaxed);
    }
    for w in 0..words {
        let at = head + w * 8;
        let mut word = [0; 8];
        word.copy_from_slice(&src[at..at + 8]);
        // SAFETY: `dst + at` is 8-aligned and `at + 8 <= len`: inside the caller's mapping.
        let cell = unsafe { AtomicU64::from_ptr(dst.wrapping_add(at).cast::<u64>()) };
        cell.store(u64::from_ne_bytes(word), Ordering::Relaxed);
    }
    let tail = head + words * 8;
    for (i, &byte) in src[tail..].iter().enumerate() {
        // SAFETY: `dst + tail + i` is inside the caller's live writable mapping.
        let cell = unsafe { AtomicU8::from_ptr(dst.wrapping_add(tail + i)) };
        cell.store(byte, Ordering::Relaxed);
    }
}
