//! The raw baseline's mappings: `mmap`, `munmap` and `msync`, with plain `memcpy`-style copies and
//! pointer atomics, as a C program would use shared memory.
#![allow(
    unsafe_code,
    reason = "the raw baseline maps memory and copies through raw pointers into it"
)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// A shared, readable and writable mapping of a whole file or shared memory object, unmapped on
/// drop.
pub(crate) struct RawMap {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: a mapping belongs to the process, not to a thread: it may be used and unmapped from
// any thread. Every access to its bytes goes through an `unsafe` method whose caller promises
// the protocol, or through atomics, which tolerate concurrent use.
#[allow(unsafe_code, reason = "a mapping is usable from any thread")]
unsafe impl Send for RawMap {}
// SAFETY: as for `Send`: `&self` methods are atomics, unsafe copies, `msync` and the address.
#[allow(unsafe_code, reason = "a mapping is usable from any thread")]
unsafe impl Sync for RawMap {}

impl RawMap {
    /// A shared anonymous mapping of `len` bytes, zero-filled: `mmap(NULL, len, PROT_READ |
    /// PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)`.
    ///
    /// # Errors
    /// The `mmap` error.
    pub(crate) fn anonymous(len: usize) -> io::Result<Self> {
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS;
        // SAFETY: as in `new`: a null hint replaces no mapping, and the result is owned by the
        // `RawMap`.
        let ptr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, -1, 0) };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(io::ErrorKind::OutOfMemory)?;
        Ok(Self { ptr, len })
    }

    /// The address of a `T` at `offset`, after checking that it lies inside the mapping and is
    /// aligned (the mapping is page-aligned, so an aligned offset gives an aligned address); for
    /// placing C objects (`pthread_mutex_t`, `sem_t`). Valid while `self` lives.
    ///
    /// # Errors
    /// `InvalidInput` when a `T` does not fit at `offset`, aligned.
    pub(crate) fn object_at<T>(&self, offset: usize) -> io::Result<NonNull<T>> {
        if offset
            .checked_add(size_of::<T>())
            .is_none_or(|end| end > self.len)
            || !offset.is_multiple_of(align_of::<T>())
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "no {}-byte object aligned to {} fits at offset {offset}",
                    size_of::<T>(),
                    align_of::<T>()
                ),
            ));
        }
        NonNull::new(self.ptr.as_ptr().wrapping_add(offset).cast())
            .ok_or_else(|| io::ErrorKind::InvalidInput.into())
    }

    /// Maps the first `len` bytes of `fd`: `mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
    /// fd, 0)`, after checking with `fstat` that the object is that long (a shorter one would
    /// raise `SIGBUS` on access).
    ///
    /// # Errors
    /// The `fstat` or `mmap` error; `InvalidData` when the object is shorter than `len`.
    pub(crate) fn new(fd: BorrowedFd<'_>, len: usize) -> io::Result<Self> {
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `stat` is writable storage for one `struct stat`, and `fd` is open.
        if unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fstat succeeded, so it filled in `stat`.
        let size = unsafe { stat.assume_init() }.st_size;
        if usize::try_from(size).map_or(true, |size| size < len) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the object is {size} bytes, shorter than {len}"),
            ));
        }
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: a null hint lets the kernel place the mapping, so no mapping of this process is
        // replaced; the result is owned by the `RawMap` and unmapped once, on drop.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(io::ErrorKind::OutOfMemory)?;
        Ok(Self { ptr, len })
    }

    /// The mapping's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The 8-byte word at `offset` as an atomic: `AtomicU64::from_ptr` on the mapping, the
    /// pointer cast a C program would make. Checked once, when a link is set up.
    ///
    /// # Panics
    /// When `offset` is not 8-aligned or the word is past the end (a bug in the bench's layout).
    pub(crate) fn atomic_u64(&self, offset: usize) -> &AtomicU64 {
        assert!(
            offset.is_multiple_of(8) && offset + 8 <= self.len,
            "bad word {offset}"
        );
        let ptr = self.ptr.as_ptr().wrapping_add(offset).cast::<u64>();
        // SAFETY: `ptr` is 8-aligned (the mapping is page-aligned and `offset` a multiple of 8),
        // its 8 bytes lie inside the mapping (asserted above), which stays mapped while `self`
        // is borrowed; atomics tolerate concurrent access from other processes.
        unsafe { AtomicU64::from_ptr(ptr) }
    }

    /// Copies `src` to `offset` with `memcpy` (`ptr::copy_nonoverlapping`), unchecked.
    ///
    /// # Safety
    /// `offset + src.len() <= self.len()`, and no other thread or process reads or writes those
    /// bytes during the call (the caller's protocol hands them to this side alone).
    #[inline]
    pub(crate) unsafe fn write(&self, offset: usize, src: &[u8]) {
        debug_assert!(offset + src.len() <= self.len);
        // SAFETY: the destination range is inside the mapping and nobody else touches it during
        // the copy (the caller's promises); `src` is a live slice that cannot overlap it, since
        // no reference into the mapping is ever made.
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.as_ptr(),
                self.ptr.as_ptr().wrapping_add(offset),
                src.len(),
            );
        }
    }

    /// Copies `dst.len()` bytes from `offset` with `memcpy`, unchecked.
    ///
    /// # Safety
    /// `offset + dst.len() <= self.len()`, and no other thread or process writes those bytes
    /// during the call.
    #[inline]
    pub(crate) unsafe fn read(&self, offset: usize, dst: &mut [u8]) {
        debug_assert!(offset + dst.len() <= self.len);
        // SAFETY: the source range is inside the mapping and nobody writes it during the copy
        // (the caller's promises); `dst` is a live, exclusive slice outside the mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.ptr.as_ptr().wrapping_add(offset),
                dst.as_mut_ptr(),
                dst.len(),
            );
        }
    }

    /// Writes the pages holding `offset..offset + len` back to the file and waits:
    /// `msync(start, len, MS_SYNC)` from the page holding `offset`.
    ///
    /// # Errors
    /// The `msync` error; `InvalidInput` for a range outside the mapping.
    pub(crate) fn msync(&self, offset: usize, len: usize) -> io::Result<()> {
        if offset > self.len || len > self.len - offset {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        let page = rustix::param::page_size();
        let start = offset - offset % page;
        // SAFETY: `start..offset + len` lies inside this live mapping (checked above) and
        // `start` is page-aligned, as msync requires; msync reads no memory of ours.
        let done = unsafe {
            libc::msync(
                self.ptr.as_ptr().wrapping_add(start).cast(),
                offset + len - start,
                libc::MS_SYNC,
            )
        };
        if done < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for RawMap {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `len` are the whole mapping made in `new`, unmapped only here, and
        // nothing borrows it any more (borrows of `self` have ended).
        let _ = unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_map_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<RawMap>();
    }

    #[test]
    fn an_anonymous_map_is_zeroed_and_page_aligned() {
        let sut = RawMap::anonymous(4096).unwrap();
        assert_eq!(sut.len(), 4096);
        let first = sut.object_at::<u64>(0).unwrap();
        assert!((first.as_ptr() as usize).is_multiple_of(4096));
        assert!(sut.object_at::<u64>(4090).is_err());
        assert!(sut.object_at::<u64>(4).is_err());
        assert_eq!(
            sut.atomic_u64(4088)
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
    }
}
