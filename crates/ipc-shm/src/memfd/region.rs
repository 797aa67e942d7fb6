//! A writable mapping of a memfd.

use ipc_core::{Object, SharedRegion};

use crate::mapping::Mapping;

#[cfg(doc)]
use super::handle::Memfd;

/// A memfd mapped shared, readable and writable: made by [`Memfd::map`], reached through
/// [`RegionAccess`](crate::RegionAccess) like every region of this crate.
///
/// The mapping does not borrow the [`Memfd`]: it stays valid after the handle (and its
/// descriptor) is closed, until it is dropped.
///
/// # SIGBUS
///
/// A memfd made by [`Memfd::create`] or accepted by [`Memfd::from_fd`] is sealed against
/// shrinking, so no process can take pages from under this mapping. One made with
/// [`unsealed`](crate::MemfdBuilder::unsealed) or accepted with
/// [`accept_unsealed`](crate::ForeignMemfd::accept_unsealed) has no such protection: if a
/// holder of the descriptor shrinks it, an access past the new end raises `SIGBUS`, which kills
/// the process; [`Memfd::map`] checks the size again before each mapping, but not afterwards.
/// That fault is not recovered (`siglongjmp` across Rust frames is undefined behaviour);
/// [`sigbus::install_diagnostic`](crate::sigbus::install_diagnostic) makes the death name the
/// memfd first (see the [`sigbus`](crate::sigbus) module).
///
/// # Send and Sync
///
/// Both: the mapping belongs to the process, not the thread that made it, and the `&self`
/// methods only return its fixed address, length and object.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use ipc_shm::{Memfd, RegionAccess};
///
/// let memfd = Memfd::create("example", 4096)?;
/// let sut = memfd.map()?;
/// drop(memfd); // the mapping outlives the descriptor
/// sut.atomic_u64(0)?.store(7, Ordering::Release);
/// assert_eq!(sut.atomic_u64(0)?.load(Ordering::Acquire), 7);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
pub struct MemfdRegion {
    mapping: Mapping,
    object: Object,
}

impl MemfdRegion {
    /// A region over `mapping`, a writable mapping of the memfd `object`.
    pub(super) fn new(mapping: Mapping, object: Object) -> Self {
        debug_assert!(mapping.is_writable(), "a MemfdRegion is writable");
        Self { mapping, object }
    }

    /// The length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::Memfd::create("example", 100)?.map()?.len(), 100);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.mapping.len()
    }

    /// Always `false`: a region has at least one byte.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_shm::Memfd::create("example", 1)?.map()?.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }
}

// SAFETY: the address and length come from `Mapping`, fixed and non-zero until drop, mapped
// readable and writable (checked in `new`). Promise 4: the memfd is sealed against shrinking
// unless its creator or receiver opted out, which the type's `# SIGBUS` section documents.
#[allow(unsafe_code, reason = "a region states the SharedRegion contract")]
unsafe impl SharedRegion for MemfdRegion {
    fn as_ptr(&self) -> *mut u8 {
        self.mapping.ptr()
    }

    fn len(&self) -> usize {
        self.mapping.len()
    }

    fn object(&self) -> Option<Object> {
        Some(self.object.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memfd_region_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MemfdRegion>();
    }
}
