//! Where an opener reads a header from: a region it may write, or a read-only mapping.
//!
//! Opening only reads, so [`Header::open`](super::Header::open) and
//! [`Header::open_read_only`](super::Header::open_read_only) share one attempt, generic over
//! [`Source`]: the region's length, an acquire load of the state word, a copy out of the header
//! and the region's object for errors.

use std::sync::atomic::{AtomicU64, Ordering, fence};

use ipc_core::{Object, Result, SharedRegion};

use super::layout::STATE_OFFSET;
use crate::{ReadOnlyRegion, RegionAccess, bounds};

/// What opening a header needs from a region.
pub(crate) trait Source {
    /// The region's length in bytes.
    fn source_len(&self) -> usize;

    /// Loads the state word with `Acquire` semantics; the caller checked that the header fits.
    fn load_state(&self, operation: &'static str) -> Result<u64>;

    /// Copies `buf.len()` bytes from `offset` out of the region.
    fn copy_out(&self, offset: usize, buf: &mut [u8]) -> Result<()>;

    /// The region's object, for errors, when it has one.
    fn source_object(&self) -> Option<Object>;
}

impl<R: SharedRegion + ?Sized> Source for R {
    fn source_len(&self) -> usize {
        self.len()
    }

    fn load_state(&self, _operation: &'static str) -> Result<u64> {
        // Acquire: pairs with the Release store of READY in `Header::init`.
        Ok(self.atomic_u64(STATE_OFFSET)?.load(Ordering::Acquire))
    }

    fn copy_out(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        RegionAccess::read_at(self, offset, buf)
    }

    fn source_object(&self) -> Option<Object> {
        self.object()
    }
}

impl Source for ReadOnlyRegion {
    fn source_len(&self) -> usize {
        self.len()
    }

    fn load_state(&self, operation: &'static str) -> Result<u64> {
        let ptr = bounds::checked_ptr(
            self.as_ptr().cast_mut(),
            self.len(),
            || None,
            operation,
            STATE_OFFSET,
            size_of::<u64>(),
            align_of::<AtomicU64>(),
        )?;
        let state = relaxed_load_read_only(ptr.cast_const().cast::<u64>(), operation)?;
        // Acquire: pairs with the Release store of READY in `Header::init`. std's atomic docs:
        // "If you need to do an acquire load on read-only memory, you can do a relaxed load
        // followed by an acquire fence instead."
        fence(Ordering::Acquire);
        Ok(state)
    }

    fn copy_out(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.read_at(offset, buf)
    }

    fn source_object(&self) -> Option<Object> {
        Some(self.object().clone())
    }
}

/// A relaxed atomic load of the 8-byte word at `ptr` in a mapping that may be read-only.
///
/// std's atomic docs, "Atomic accesses to read-only memory": "'sufficiently small' atomic loads
/// with `Ordering::Relaxed` are implemented in a way that works on read-only memory, and are
/// hence not undefined behavior", the limit being 8 bytes on 64-bit targets (`x86_64`,
/// `aarch64`, …). On other targets an 8-byte load may be a compare-exchange, which faults on a
/// read-only page, so there the load is refused as `Unsupported`.
#[cfg(target_pointer_width = "64")]
fn relaxed_load_read_only(ptr: *const u64, _operation: &'static str) -> Result<u64> {
    // SAFETY: `ptr` came from `bounds::checked_ptr` over the live mapping of the region the
    // caller borrows, so it is inside it, readable, and aligned for `AtomicU64` (the mapping is
    // page-aligned and the offset a multiple of 8). A shared `&AtomicU64` asks only that the
    // 8 bytes be readable, which they are; it is used for one relaxed load, which std allows on
    // read-only memory for 8-byte atomics on this 64-bit target, and every peer writes the word
    // only with 8-byte atomics, so no access is mixed-size or non-atomic. `AtomicU64::from_ptr`
    // is not used because it asks for memory valid for writes.
    #[allow(unsafe_code, reason = "a relaxed atomic load from a read-only mapping")]
    let word = unsafe { &*ptr.cast::<AtomicU64>() };
    Ok(word.load(Ordering::Relaxed))
}

#[cfg(not(target_pointer_width = "64"))]
fn relaxed_load_read_only(_ptr: *const u64, operation: &'static str) -> Result<u64> {
    Err(
        ipc_core::Error::new(ipc_core::ErrorKind::Unsupported, operation).with_detail(
            "an 8-byte atomic load from a read-only mapping is guaranteed not to write only on \
         64-bit targets; open the header through a writable mapping",
        ),
    )
}
