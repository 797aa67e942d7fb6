//! Safe access to a shared region: bounds-checked copies, atomic views, typed values and raw
//! pointers, without ever forming a `&[u8]` over memory another process can write.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64};

use bytemuck::Pod;
use ipc_core::{Error, ErrorKind, Result, SharedRegion};

use crate::bounds;

use crate::pod::PodView;
use crate::sys::copy;

/// Safe access to any [`SharedRegion`]: implemented for every region type, including those of
/// other crates (System V segments) and the caller's own.
///
/// Another process can change a region's bytes at any moment, so nothing here hands out
/// `&[u8]`: bytes are copied in and out ([`read_at`](Self::read_at),
/// [`write_at`](Self::write_at)), words are reached as atomics
/// ([`atomic_u32`](Self::atomic_u32), [`atomic_u64`](Self::atomic_u64)), plain-old-data values
/// are loaded and stored whole through a [`PodView`] ([`pod`](Self::pod)), and experts get a
/// bounds-checked raw pointer ([`ptr_at`](Self::ptr_at)) whose use is theirs to make sound.
///
/// Every offset and length is checked against the region's length; a range outside it is an
/// [`InvalidArgument`](ErrorKind::InvalidArgument) error naming the range and the region,
/// never a panic or an access outside the mapping.
///
/// # Torn values
///
/// Copies (and [`PodView`] loads and stores) are made of byte-atomic accesses, so a copy
/// racing with another copy is defined behaviour, but it may see some bytes from before the
/// write and some from after. Guard multi-byte data with a lock or a sequence number, and
/// validate what you read.
///
/// # One kind of access per location
///
/// In this process, do not let a copy race with an atomic view's operation on the same bytes:
/// Rust's memory model leaves a race between atomic accesses of different sizes undefined
/// (every CPU Linux runs on gives it the obvious meaning, but the compiler is not bound to).
/// Use a word either as an atomic or through copies, as the crate's own header, slot and lock
/// protocols do. Other processes' accesses are outside this process's memory model.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use ipc_shm::{AnonymousRegion, RegionAccess};
///
/// let region = AnonymousRegion::new(4096)?;
/// region.write_at(100, b"hello")?;
/// let mut copy = [0u8; 5];
/// region.read_at(100, &mut copy)?;
/// assert_eq!(&copy, b"hello");
///
/// let flag = region.atomic_u32(0)?;
/// flag.store(7, Ordering::Release);
/// assert_eq!(flag.load(Ordering::Acquire), 7);
///
/// assert!(region.read_at(4092, &mut copy).is_err()); // past the end
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub trait RegionAccess: SharedRegion {
    /// Copies `buf.len()` bytes starting at `offset` out of the region.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset + buf.len()` is past the end
    /// of the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let mut buf = [1u8; 16];
    /// region.read_at(0, &mut buf)?;
    /// assert_eq!(buf, [0; 16]); // new regions are zeroed
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        let src = checked_ptr(self, "read_at", offset, buf.len(), 1)?;
        // SAFETY: `checked_ptr` established that the range is inside the region, which the
        // `SharedRegion` contract keeps mapped while `self` is borrowed.
        #[allow(unsafe_code, reason = "the one copy out of shared memory")]
        unsafe {
            copy::copy_out(src, buf);
        }
        Ok(())
    }

    /// Copies `data` into the region starting at `offset`.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset + data.len()` is past the
    /// end of the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// region.write_at(4092, b"last")?;
    /// assert!(region.write_at(4093, b"last").is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn write_at(&self, offset: usize, data: &[u8]) -> Result<()> {
        let dst = checked_ptr(self, "write_at", offset, data.len(), 1)?;
        // SAFETY: the range is inside the region (checked above), mapped readable and writable
        // while `self` is borrowed (promise 3 of `SharedRegion`).
        #[allow(unsafe_code, reason = "the one copy into shared memory")]
        unsafe {
            copy::copy_in(dst, data);
        }
        Ok(())
    }

    /// The 4-byte word at `offset` as an atomic, borrowed from the region.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 4 or
    /// the word is past the end of the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// region.atomic_u32(64)?.fetch_add(1, Ordering::Relaxed);
    /// assert_eq!(region.atomic_u32(64)?.load(Ordering::Relaxed), 1);
    /// assert!(region.atomic_u32(65).is_err()); // misaligned
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn atomic_u32(&self, offset: usize) -> Result<&AtomicU32> {
        let ptr = checked_ptr(self, "atomic_u32", offset, 4, align_of::<AtomicU32>())?;
        // SAFETY: `ptr` is aligned for `AtomicU32` and its 4 bytes are inside the region, which
        // stays mapped readable and writable for the borrow of `self` that bounds the result.
        // Atomics tolerate concurrent access by other threads and processes.
        #[allow(unsafe_code, reason = "an atomic view into the region")]
        let word = unsafe { AtomicU32::from_ptr(ptr.cast::<u32>()) };
        Ok(word)
    }

    /// The 8-byte word at `offset` as an atomic, borrowed from the region.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset` is not a multiple of 8 or
    /// the word is past the end of the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// region.atomic_u64(8)?.store(u64::MAX, Ordering::Relaxed);
    /// assert_eq!(region.atomic_u64(8)?.load(Ordering::Relaxed), u64::MAX);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn atomic_u64(&self, offset: usize) -> Result<&AtomicU64> {
        let ptr = checked_ptr(self, "atomic_u64", offset, 8, align_of::<AtomicU64>())?;
        // SAFETY: as in `atomic_u32`, for an 8-aligned 8-byte word inside the region.
        #[allow(unsafe_code, reason = "an atomic view into the region")]
        let word = unsafe { AtomicU64::from_ptr(ptr.cast::<u64>()) };
        Ok(word)
    }

    /// A typed view of a plain-old-data `T` at `offset`, loaded and stored whole by copy.
    ///
    /// `T: Pod` (from [`bytemuck`]) means every bit pattern is a valid `T`, so whatever another
    /// process wrote there, a load yields a valid value; it may still be a torn or hostile one,
    /// so validate it. No alignment is required.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when the value would extend past the end
    /// of the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let point = region.pod::<[u32; 2]>(16)?;
    /// point.store(&[3, 4]);
    /// assert_eq!(point.load(), [3, 4]);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn pod<T: Pod>(&self, offset: usize) -> Result<PodView<'_, T>> {
        let ptr = checked_ptr(self, "pod", offset, size_of::<T>(), 1)?;
        Ok(PodView::new(ptr))
    }

    /// A raw pointer to the `len` bytes at `offset`, checked to lie inside the region.
    ///
    /// Obtaining the pointer is safe; using it is not. The pointer is valid while the region
    /// lives, and the bytes behind it may change at any moment: read and write them with
    /// atomics or volatile accesses, never through a reference.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset + len` is past the end of
    /// the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let ptr = region.ptr_at(128, 4)?;
    /// // SAFETY: the 4 bytes are inside the region, which outlives this use, and nothing
    /// // else accesses them concurrently.
    /// unsafe { ptr.cast::<u32>().write_volatile(9) };
    /// assert_eq!(region.pod::<u32>(128)?.load(), 9);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn ptr_at(&self, offset: usize, len: usize) -> Result<*mut u8> {
        checked_ptr(self, "ptr_at", offset, len, 1)
    }

    /// A non-null pointer to the `len` bytes at `offset`, checked to lie inside the region and
    /// to be aligned to `align` (a power of two): `offset` must be a multiple of it, and the
    /// region is page-aligned, so the address is too.
    ///
    /// For the experts [`ptr_at`](Self::ptr_at) is for who place a type with an alignment
    /// (a `pthread_mutex_t`, a `sem_t`) in the region. Using the pointer is as unsafe as with
    /// `ptr_at`.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when `offset + len` is past the end of
    /// the region, `offset` is not a multiple of `align`, or `align` is not a power of two.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let ptr = region.ptr_at_aligned(64, 8, align_of::<u64>())?;
    /// // SAFETY: the 8 bytes are inside the region, which outlives this use, aligned for a
    /// // u64, and nothing else accesses them concurrently.
    /// unsafe { ptr.cast::<u64>().write_volatile(7) };
    /// assert_eq!(region.pod::<u64>(64)?.load(), 7);
    /// assert!(region.ptr_at_aligned(60, 8, 8).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    fn ptr_at_aligned(&self, offset: usize, len: usize, align: usize) -> Result<NonNull<u8>> {
        let refuse = |detail: String| {
            let error =
                Error::new(ErrorKind::InvalidArgument, "ptr_at_aligned").with_detail(detail);
            match self.object() {
                Some(object) => error.with_object(object),
                None => error,
            }
        };
        if !align.is_power_of_two() {
            return Err(refuse(format!("alignment {align} is not a power of two")));
        }
        let ptr = checked_ptr(self, "ptr_at_aligned", offset, len, align)?;
        NonNull::new(ptr).ok_or_else(|| {
            refuse("the region's pointer is null, which SharedRegion forbids".to_owned())
        })
    }
}

impl<R: SharedRegion + ?Sized> RegionAccess for R {}

/// [`bounds::checked_ptr`] for a region, naming the region's object in the error.
#[inline]
fn checked_ptr<R: SharedRegion + ?Sized>(
    region: &R,
    operation: &'static str,
    offset: usize,
    len: usize,
    align: usize,
) -> Result<*mut u8> {
    bounds::checked_ptr(
        region.as_ptr(),
        region.len(),
        || region.object(),
        operation,
        offset,
        len,
        align,
    )
}
