//! What the objects of this module share: where a pthread object and its data sit inside a
//! region, the data's copies, and error construction.

use std::marker::PhantomData;
use std::ptr::NonNull;

use bytemuck::Pod;
use ipc_core::{Error, ErrorKind, Object, Result, SharedRegion};
use rustix::io::Errno;

use crate::{PodView, RegionAccess};

/// The object an error names: the region's, or a stand-in for a region without a name.
pub(crate) fn object_of<R: SharedRegion + ?Sized>(region: &R) -> Object {
    region
        .object()
        .unwrap_or_else(|| Object::from("anonymous region"))
}

/// An error for `errno` from `operation` on the `what` at `offset` of `region`: the kind of
/// [`Error::from_errno`]'s table, except where a pthread call's error number means something
/// else (`EBUSY`, `EAGAIN`, `EDEADLK`).
pub(crate) fn errno_error<R: SharedRegion + ?Sized>(
    region: &R,
    operation: &'static str,
    what: &str,
    offset: usize,
    errno: Errno,
) -> Error {
    let detail = match errno {
        Errno::NOTRECOVERABLE => format!(
            "the {what} at offset {offset} is not recoverable: a previous owner died and \
             nobody marked it consistent"
        ),
        Errno::DEADLK => format!(
            "the {what} at offset {offset} is held by this thread already; waiting for it \
             would deadlock"
        ),
        Errno::BUSY => format!("the {what} at offset {offset} is held"),
        Errno::AGAIN => {
            format!("the {what} at offset {offset} has as many holders as the C library can count")
        }
        Errno::TIMEDOUT => format!("the {what} at offset {offset} was held until the deadline"),
        _ => format!("the {what} at offset {offset}"),
    };
    let object = object_of(region);
    let error = match errno {
        // Only the `try_` forms return `EBUSY`; `EAGAIN` is a count at its maximum (an
        // rwlock's readers), which no form of a call turns into "held, try again".
        Errno::BUSY => Error::from_errno_as(ErrorKind::WouldBlock, operation, object, errno),
        Errno::AGAIN => Error::from_errno_as(ErrorKind::LimitReached, operation, object, errno),
        Errno::DEADLK => Error::from_errno_as(ErrorKind::InvalidArgument, operation, object, errno),
        _ => Error::from_errno(operation, object, errno),
    };
    error.with_detail(detail)
}

/// The guarded value of a lock: `size_of::<T>()` bytes inside a region borrowed for `'r`,
/// reached only by copies.
pub(crate) struct Data<'r, T> {
    ptr: NonNull<u8>,
    _region: PhantomData<(&'r (), T)>,
}

// SAFETY: the pointer is to bytes of a region that stays mapped for `'r` (a mapping belongs to
// the process, not to a thread); they are accessed only by the copies of `PodView`, made of
// relaxed atomic operations that any thread may perform. `T: Send` because the values copied
// out are handed to whichever thread asks.
#[allow(unsafe_code, reason = "a pointer into a region states its Send bound")]
unsafe impl<T: Send> Send for Data<'_, T> {}
// SAFETY: as for `Send`; `&self` only copies in and out.
#[allow(unsafe_code, reason = "a pointer into a region states its Sync bound")]
unsafe impl<T: Send> Sync for Data<'_, T> {}

impl<'r, T: Pod> Data<'r, T> {
    /// The value at `offset`, after checking it lies inside `region`.
    pub(crate) fn new<R: SharedRegion + ?Sized>(region: &'r R, offset: usize) -> Result<Self> {
        let ptr = region.ptr_at(offset, size_of::<T>())?;
        let ptr = NonNull::new(ptr).ok_or_else(|| {
            Error::new(ErrorKind::InvalidArgument, "sync::open").with_object(object_of(region))
        })?;
        Ok(Self {
            ptr,
            _region: PhantomData,
        })
    }

    /// The same value, no longer tied to the borrow of the region it was made from: for an
    /// owner that keeps the region itself (the [`Mutex`](super::Mutex) holds an `Arc`).
    ///
    /// # Safety
    ///
    /// The caller keeps the region mapped for as long as the returned value exists; the
    /// `'static` only frees it from the borrow, it promises nothing.
    #[allow(
        unsafe_code,
        reason = "the caller takes over keeping the region mapped"
    )]
    pub(crate) unsafe fn unbound(self) -> Data<'static, T> {
        Data {
            ptr: self.ptr,
            _region: PhantomData,
        }
    }

    /// Copies the value out.
    pub(crate) fn load(&self) -> T {
        PodView::<T>::new(self.ptr.as_ptr()).load()
    }

    /// Copies `value` in.
    pub(crate) fn store(&self, value: &T) {
        PodView::<T>::new(self.ptr.as_ptr()).store(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Data<'static, u64>>();
    }

    #[test]
    fn a_held_lock_would_block_and_a_full_reader_count_is_a_limit() {
        let region = crate::AnonymousRegion::new(4096).unwrap();
        let busy = errno_error(
            &region,
            "pthread_rwlock_tryrdlock",
            "rwlock",
            0,
            Errno::BUSY,
        );
        assert_eq!(busy.kind(), ErrorKind::WouldBlock);
        let full = errno_error(&region, "pthread_rwlock_rdlock", "rwlock", 0, Errno::AGAIN);
        assert_eq!(full.kind(), ErrorKind::LimitReached);
        assert_eq!(full.operation(), "pthread_rwlock_rdlock");
    }

    #[test]
    fn a_self_deadlock_is_invalid_and_an_unrecoverable_lock_is_corrupt() {
        let region = crate::AnonymousRegion::new(4096).unwrap();
        let deadlock = errno_error(&region, "pthread_mutex_lock", "mutex", 0, Errno::DEADLK);
        assert_eq!(deadlock.kind(), ErrorKind::InvalidArgument);
        let lost = errno_error(
            &region,
            "pthread_mutex_lock",
            "mutex",
            0,
            Errno::NOTRECOVERABLE,
        );
        assert_eq!(lost.kind(), ErrorKind::CorruptSharedState);
    }
}
