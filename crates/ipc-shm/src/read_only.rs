//! Read-only mappings: copies out and atomic loads, never stores.

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

use bytemuck::Pod;
use ipc_core::{Error, ErrorKind, Object, Result};

use crate::bounds;

use crate::mapping::Mapping;
use crate::sys::copy;

/// A mapping this process may only read (`PROT_READ`): a POSIX shm object opened read-only, a
/// write-sealed memfd, a file mapped read-only.
///
/// It is not a [`SharedRegion`](ipc_core::SharedRegion), whose users may write, and it offers
/// no atomic views (an atomic store would fault): only copies out, atomic loads and typed loads,
/// each bounds-checked. Other processes may still write the bytes (unless the object is sealed),
/// so what is read must be validated.
///
/// # Examples
///
/// ```
/// use ipc_shm::{Memfd, RegionAccess};
///
/// let memfd = Memfd::create("example", 4096)?;
/// memfd.map()?.write_at(0, b"frozen")?;
/// let sut = memfd.map_read_only()?;
/// let mut copy = [0u8; 6];
/// sut.read_at(0, &mut copy)?;
/// assert_eq!(&copy, b"frozen");
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadOnlyRegion {
    mapping: Mapping,
    object: Object,
}

impl ReadOnlyRegion {
    /// Maps the first `len` bytes of `fd` read-only; the caller checked the object's size.
    pub(crate) fn map(
        fd: BorrowedFd<'_>,
        len: usize,
        operation: &'static str,
        object: Object,
    ) -> Result<Self> {
        let mapping = Mapping::of_fd(fd, len, false, operation, object.clone())?;
        Ok(Self { mapping, object })
    }

    /// The object behind the mapping, as its errors name it.
    pub(crate) fn object(&self) -> &Object {
        &self.object
    }

    /// The length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// assert_eq!(memfd.map_read_only()?.len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.mapping.len()
    }

    /// Always `false`: a mapping has at least one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// assert!(!memfd.map_read_only()?.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The base address, for callers who read with their own atomics or volatile loads; valid
    /// while `self` lives. Writing through it faults.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// let region = memfd.map_read_only()?;
    /// assert_eq!(region.as_ptr() as usize % 4096, 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.mapping.ptr()
    }

    /// Copies `buf.len()` bytes starting at `offset` out of the mapping.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when the range is past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// let region = memfd.map_read_only()?;
    /// let mut buf = [9u8; 4];
    /// region.read_at(96, &mut buf)?;
    /// assert_eq!(buf, [0; 4]);
    /// assert!(region.read_at(97, &mut buf).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        let src = self.checked("read_at", offset, buf.len(), 1)?;
        // SAFETY: the range lies inside the mapping (checked above), which is readable and
        // stays mapped while `self` is borrowed.
        #[allow(unsafe_code, reason = "the copy out of a read-only mapping")]
        unsafe {
            copy::copy_out(src, buf);
        }
        Ok(())
    }

    /// Loads the 4-byte word at `offset` atomically, with `order` `Relaxed` or `Acquire`.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 4,
    /// the word is past the end, or `order` is not `Relaxed` or `Acquire` (see
    /// [`load_u64`](Self::load_u64) for why).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    ///
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// let region = memfd.map_read_only()?;
    /// assert_eq!(region.load_u32(4, Ordering::Acquire)?, 0);
    /// assert!(region.load_u32(4, Ordering::SeqCst).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn load_u32(&self, offset: usize, order: Ordering) -> Result<u32> {
        let ptr = self.checked("load_u32", offset, 4, align_of::<AtomicU32>())?;
        let acquire = self.acquire("load_u32", order)?;
        // SAFETY: `ptr` is aligned for `AtomicU32` and its 4 bytes lie inside the readable
        // mapping, live for the borrow of `self` that bounds the reference. The mapping is
        // read-only: std's atomics documentation ("Atomic accesses to read-only memory") allows
        // an atomic reference to such memory for "sufficiently small" `Relaxed` loads — up to
        // 4 bytes on every target it lists — and nothing but one `Relaxed` load is made through
        // it. (`AtomicU32::from_ptr` is not used: it asks for memory valid for writes.)
        #[allow(unsafe_code, reason = "a relaxed atomic load from a read-only mapping")]
        let word = unsafe { &*ptr.cast::<AtomicU32>() }.load(Ordering::Relaxed);
        if acquire {
            // Acquire: the same documentation's recipe for an acquire load on read-only
            // memory, "a relaxed load followed by an acquire fence"; pairs with the writer's
            // Release store of this word.
            fence(Ordering::Acquire);
        }
        Ok(word)
    }

    /// Loads the 8-byte word at `offset` atomically, with `order` `Relaxed` or `Acquire`.
    ///
    /// Only these two orderings: atomic operations on read-only memory may fault, except
    /// "sufficiently small" `Relaxed` loads (std's atomics documentation, "Atomic accesses to
    /// read-only memory"; 8 bytes on the 64-bit targets it lists). An `Acquire` load is made
    /// as that documentation recommends, a `Relaxed` load followed by an `Acquire` fence. A
    /// store ordering cannot apply to a load, and a sequentially consistent load has no such
    /// recipe.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 8,
    /// the word is past the end, or `order` is not `Relaxed` or `Acquire`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    ///
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// assert_eq!(memfd.map_read_only()?.load_u64(8, Ordering::Acquire)?, 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[cfg(target_pointer_width = "64")]
    pub fn load_u64(&self, offset: usize, order: Ordering) -> Result<u64> {
        let ptr = self.checked("load_u64", offset, 8, align_of::<AtomicU64>())?;
        let acquire = self.acquire("load_u64", order)?;
        // SAFETY: as in `load_u32`, for an aligned 8-byte word; 8 bytes is "sufficiently
        // small" on the 64-bit targets std lists (this method exists only on 64-bit targets).
        #[allow(unsafe_code, reason = "a relaxed atomic load from a read-only mapping")]
        let word = unsafe { &*ptr.cast::<AtomicU64>() }.load(Ordering::Relaxed);
        if acquire {
            // Acquire: as in `load_u32`; pairs with the writer's Release store of this word.
            fence(Ordering::Acquire);
        }
        Ok(word)
    }

    /// Whether a load with `order` needs an acquire fence; an error for orderings a load on
    /// read-only memory cannot have.
    fn acquire(&self, operation: &'static str, order: Ordering) -> Result<bool> {
        match order {
            Ordering::Relaxed => Ok(false),
            Ordering::Acquire => Ok(true),
            other => Err(Error::new(ErrorKind::InvalidArgument, operation)
                .with_object(self.object.clone())
                .with_detail(format!(
                    "a load from a read-only mapping is Relaxed or Acquire, not {other:?}"
                ))),
        }
    }

    /// Copies the plain-old-data value at `offset` out of the mapping (any alignment).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when the value extends past the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let memfd = ipc_shm::Memfd::create("example", 100)?;
    /// assert_eq!(memfd.map_read_only()?.load_pod::<[u16; 3]>(1)?, [0; 3]);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn load_pod<T: Pod>(&self, offset: usize) -> Result<T> {
        let src = self.checked("load_pod", offset, size_of::<T>(), 1)?;
        let mut value = T::zeroed();
        // SAFETY: as in `read_at`: the value's bytes lie inside the live, readable mapping.
        #[allow(unsafe_code, reason = "the copy out of a read-only mapping")]
        unsafe {
            copy::copy_out(src, bytemuck::bytes_of_mut(&mut value));
        }
        Ok(value)
    }

    /// The address of `len` bytes at `offset`, checked to lie inside the mapping.
    #[inline]
    fn checked(
        &self,
        operation: &'static str,
        offset: usize,
        len: usize,
        align: usize,
    ) -> Result<*mut u8> {
        bounds::checked_ptr(
            self.mapping.ptr(),
            self.mapping.len(),
            || Some(self.object.clone()),
            operation,
            offset,
            len,
            align,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_region_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ReadOnlyRegion>();
    }
}
