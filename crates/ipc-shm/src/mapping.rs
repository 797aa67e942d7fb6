//! The one owner of a mapping, embedded in every region type of this crate.

use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use ipc_core::{Error, ErrorKind, Object, Result};

use crate::sigbus::registry::{self, Registration};
use crate::sys::mmap::{self, Sharing};

/// A live shared mapping, unmapped on drop: the address and length that every region type
/// hands out through [`SharedRegion`](ipc_core::SharedRegion).
///
/// It never changes its address or length, which is promises 1 and 2 of the `SharedRegion`
/// contract; the region types add promise 3 (writable) or opt out of the trait (read-only).
#[derive(Debug)]
pub(crate) struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
    writable: bool,
    /// The entry that lets the `SIGBUS` diagnostic name the object (`None` for an anonymous
    /// mapping, or when the table was full).
    sigbus: Option<Registration>,
}

// SAFETY: a mapping belongs to the process, not to the thread that made it, so it may be moved
// to and unmapped on any thread; the struct holds only its fixed address, length and mode.
#[allow(unsafe_code, reason = "a raw-pointer owner states its Send bound")]
unsafe impl Send for Mapping {}
// SAFETY: every `&self` method only returns the fixed address, length or mode.
#[allow(unsafe_code, reason = "a raw-pointer owner states its Sync bound")]
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of `fd`, shared; writable when `writable`.
    ///
    /// The caller has checked with `fstat` that the object holds at least `len` bytes.
    ///
    /// A read-only mapping of a file sealed with `F_SEAL_WRITE` is made `MAP_PRIVATE`: before
    /// Linux 6.7 the kernel refuses every `MAP_SHARED` mapping of such a file with `EPERM`,
    /// even `PROT_READ` (6.7 allowed read-only ones), and since its contents can never change,
    /// a private view shows exactly what a shared one would.
    pub(crate) fn of_fd(
        fd: BorrowedFd<'_>,
        len: usize,
        writable: bool,
        operation: &'static str,
        object: impl Into<Object>,
    ) -> Result<Self> {
        let object = object.into();
        if len == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, operation)
                .with_object(object)
                .with_detail("a mapping needs at least one byte"));
        }
        let sharing = if !writable && write_sealed(fd) {
            Sharing::Private
        } else {
            Sharing::Shared
        };
        let ptr = mmap::map_fd(fd, len, writable, sharing)
            .map_err(|errno| Error::from_errno(operation, object.clone(), errno))?;
        let sigbus = registry::TABLE.register(ptr.as_ptr().addr(), len, &object);
        Ok(Self {
            ptr,
            len,
            writable,
            sigbus,
        })
    }

    /// Maps `len` zeroed bytes shared with the children this process forks.
    pub(crate) fn anonymous(len: usize, operation: &'static str) -> Result<Self> {
        if len == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, operation)
                .with_object(Object::from("anonymous shared mapping"))
                .with_detail("a mapping needs at least one byte"));
        }
        let ptr = mmap::map_anonymous_shared(len).map_err(|errno| {
            Error::from_errno(operation, Object::from("anonymous shared mapping"), errno)
        })?;
        Ok(Self {
            ptr,
            len,
            writable: true,
            sigbus: None,
        })
    }

    /// The base address, page-aligned, fixed until drop.
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The length in bytes, greater than zero, fixed until drop.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping was made writable.
    pub(crate) fn is_writable(&self) -> bool {
        self.writable
    }
}

/// Whether the file behind `fd` is sealed against writes (`F_SEAL_WRITE`); `false` for a file
/// that cannot be sealed (`F_GET_SEALS` fails with `EINVAL`).
fn write_sealed(fd: BorrowedFd<'_>) -> bool {
    crate::sys::memfd::seals(fd).is_ok_and(|seals| seals & crate::Seals::WRITE.bits() != 0)
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // Before the unmap, so that no entry names an address the kernel may reuse.
        drop(self.sigbus.take());
        // SAFETY: `ptr` and `len` are the whole mapping made in the constructor, unmapped only
        // here; the region types hand out no access that outlives their borrow of `self`.
        #[allow(unsafe_code, reason = "the one unmap of the mapping")]
        unsafe {
            mmap::unmap(self.ptr, self.len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Mapping>();
    }

    #[test]
    fn an_anonymous_mapping_is_page_aligned_and_zeroed() {
        let sut = Mapping::anonymous(10_000, "test").unwrap();
        assert_eq!(sut.ptr() as usize % rustix::param::page_size(), 0);
        assert_eq!(sut.len(), 10_000);
        let mut copy = [1u8; 64];
        // SAFETY: the 64 bytes are inside the live mapping.
        #[allow(unsafe_code, reason = "test reads through the raw core")]
        unsafe {
            crate::sys::copy::copy_out(sut.ptr(), &mut copy);
        }
        assert_eq!(copy, [0; 64]);
    }

    #[test]
    fn an_empty_mapping_is_refused() {
        let err = Mapping::anonymous(0, "mmap").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(
            err.to_string(),
            "mmap anonymous shared mapping: invalid argument: a mapping needs at least one byte"
        );
    }
}
