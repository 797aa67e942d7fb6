//! A typed view of one plain-old-data value in a shared region.

use std::fmt;
use std::marker::PhantomData;

use bytemuck::Pod;

use crate::sys::copy;

/// One `T` inside a shared region, loaded and stored whole by copy; made by
/// [`RegionAccess::pod`](crate::RegionAccess::pod).
///
/// `T: Pod` guarantees that any bytes another process left there form a valid `T`, so
/// [`load`](Self::load) is safe whatever the peer did; the value may still be torn (a store
/// racing with the load) or hostile, so validate it before trusting it. Loads and stores are
/// byte-atomic copies; see [`RegionAccess`](crate::RegionAccess)'s "One kind of access per
/// location".
///
/// The view borrows the region, so it cannot outlive the mapping. It is neither `Send` nor
/// `Sync` (it holds a raw pointer); make another view on the other thread instead.
///
/// # Examples
///
/// ```
/// use bytemuck::{Pod, Zeroable};
/// use ipc_shm::{AnonymousRegion, RegionAccess};
///
/// #[derive(Clone, Copy, Pod, Zeroable, Debug, PartialEq)]
/// #[repr(C)]
/// struct Reading { sensor: u32, value: f32 }
///
/// let region = AnonymousRegion::new(4096)?;
/// let sut = region.pod::<Reading>(24)?;
/// sut.store(&Reading { sensor: 2, value: 0.5 });
/// assert_eq!(sut.load(), Reading { sensor: 2, value: 0.5 });
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub struct PodView<'r, T> {
    ptr: *mut u8,
    _region: PhantomData<&'r T>,
}

impl<'r, T: Pod> PodView<'r, T> {
    /// A view of the `size_of::<T>()` bytes at `ptr`, which the caller checked lie inside a
    /// region borrowed for `'r`.
    pub(crate) fn new(ptr: *mut u8) -> Self {
        Self {
            ptr,
            _region: PhantomData,
        }
    }

    /// Copies the value out of the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// assert_eq!(region.pod::<u64>(3)?.load(), 0); // any offset, any alignment
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn load(&self) -> T {
        let mut value = T::zeroed();
        // SAFETY: `new`'s caller checked that the `size_of::<T>()` bytes at `ptr` lie inside a
        // region that stays mapped for `'r`, which this borrow of `self` is within.
        #[allow(unsafe_code, reason = "the copy out of shared memory")]
        unsafe {
            copy::copy_out(self.ptr, bytemuck::bytes_of_mut(&mut value));
        }
        value
    }

    /// Copies `value` into the region.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// region.pod::<i16>(10)?.store(&-2);
    /// assert_eq!(region.pod::<i16>(10)?.load(), -2);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn store(&self, value: &T) {
        // SAFETY: as in `load`; `SharedRegion` regions are mapped writable.
        #[allow(unsafe_code, reason = "the copy into shared memory")]
        unsafe {
            copy::copy_in(self.ptr, bytemuck::bytes_of(value));
        }
    }

    /// The address of the value, for callers who access it with their own atomics or volatile
    /// operations; valid while the region lives, and possibly unaligned for `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::{AnonymousRegion, RegionAccess};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let view = region.pod::<u32>(8)?;
    /// assert_eq!(view.as_ptr().cast::<u8>(), region.ptr_at(8, 4)?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.cast::<T>()
    }
}

impl<T> fmt::Debug for PodView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PodView")
            .field("ptr", &self.ptr)
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}
