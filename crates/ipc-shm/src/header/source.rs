//! Where an opener reads a header from: a region it may write, or a read-only mapping.
//!
//! Opening only reads, so [`Header::open`](super::Header::open) and
//! [`Header::open_read_only`](super::Header::open_read_only) share one attempt, generic over
//! [`Source`]: the region's length, an acquire load of the state word, a copy out of the header
//! and the region's object for errors.

use std::sync::atomic::Ordering;

use ipc_core::{Object, Result, SharedRegion};

use super::layout::STATE_OFFSET;
use crate::{ReadOnlyRegion, RegionAccess};

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

    #[cfg(target_pointer_width = "64")]
    fn load_state(&self, _operation: &'static str) -> Result<u64> {
        // Acquire: pairs with the Release store of READY in `Header::init`; `load_u64` makes it
        // a relaxed load and an acquire fence, which std allows on read-only memory.
        self.load_u64(STATE_OFFSET, Ordering::Acquire)
    }

    #[cfg(not(target_pointer_width = "64"))]
    fn load_state(&self, operation: &'static str) -> Result<u64> {
        Err(
            ipc_core::Error::new(ipc_core::ErrorKind::Unsupported, operation).with_detail(
                "an 8-byte atomic load from a read-only mapping is guaranteed not to write only \
                 on 64-bit targets; open the header through a writable mapping",
            ),
        )
    }

    fn copy_out(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.read_at(offset, buf)
    }

    fn source_object(&self) -> Option<Object> {
        Some(self.object().clone())
    }
}
