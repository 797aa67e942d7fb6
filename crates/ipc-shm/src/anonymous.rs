//! Anonymous shared mappings: memory shared with the children this process forks.

use ipc_core::{Object, Result, SharedRegion};

use crate::mapping::Mapping;

/// Zeroed memory mapped `MAP_SHARED | MAP_ANONYMOUS`: no name, no descriptor, and shared with
/// every child this process `fork`s, which inherits the mapping at the same address.
///
/// The sharing survives `fork` but not `exec`: a program started with `Command` (fork, then
/// exec) does not see it, except in a `pre_exec` closure that runs between the two. For a child
/// that execs, share a [`Memfd`](crate::Memfd) (inherited as a descriptor) or a named
/// [`SharedMemory`](crate::SharedMemory) instead. Nothing needs cleaning up after a crash: the
/// memory goes with the last process that maps it.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use ipc_shm::{AnonymousRegion, RegionAccess};
///
/// let sut = AnonymousRegion::new(4096)?;
/// sut.atomic_u32(0)?.store(42, Ordering::Release);
/// assert_eq!(sut.len(), 4096);
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [mmap(2)](https://man7.org/linux/man-pages/man2/mmap.2.html), `MAP_ANONYMOUS`
#[derive(Debug)]
pub struct AnonymousRegion {
    mapping: Mapping,
}

impl AnonymousRegion {
    /// Maps `len` zeroed bytes (rounded up to whole pages by the kernel; [`len`](Self::len)
    /// reports `len`).
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) for a zero `len`.
    /// - [`Other`](ipc_core::ErrorKind::Other) (`ENOMEM`) when the address space or memory is
    ///   exhausted.
    ///
    /// # Examples
    ///
    /// ```
    /// let region = ipc_shm::AnonymousRegion::new(100)?;
    /// assert_eq!(region.len(), 100);
    /// assert!(ipc_shm::AnonymousRegion::new(0).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn new(len: usize) -> Result<Self> {
        Ok(Self {
            mapping: Mapping::anonymous(len, "mmap")?,
        })
    }

    /// The length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_shm::AnonymousRegion::new(8192)?.len(), 8192);
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
    /// assert!(!ipc_shm::AnonymousRegion::new(1)?.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }
}

// SAFETY: the address and length come from `Mapping`, fixed and non-zero until drop; the
// memory is mapped readable and writable, and anonymous memory cannot be shrunk by a peer.
#[allow(unsafe_code, reason = "a region states the SharedRegion contract")]
unsafe impl SharedRegion for AnonymousRegion {
    fn as_ptr(&self) -> *mut u8 {
        self.mapping.ptr()
    }

    fn len(&self) -> usize {
        self.mapping.len()
    }

    fn object(&self) -> Option<Object> {
        Some(Object::from("anonymous shared mapping"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_region_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AnonymousRegion>();
    }
}
