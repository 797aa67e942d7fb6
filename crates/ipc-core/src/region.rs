//! The contract of a memory mapping shared between processes.

use crate::Object;

/// A mapping of memory that other processes may read and write while this process uses it.
///
/// Implemented by every shared region of the workspace (POSIX shared memory, memfd, mapped
/// files, anonymous shared mappings, System V segments), so that a mutex, a semaphore or a
/// channel can be placed in any of them through this one trait.
///
/// Because another process can change the bytes at any moment, safe code never sees them as
/// `&[u8]` or `&mut [u8]`: users of a region go through raw pointers, atomics, or copies, and
/// validate whatever they read before trusting it.
///
/// # Safety
///
/// An implementor promises, for as long as the implementing value lives (that is, until it is
/// dropped, not merely while it is borrowed):
///
/// 1. [`as_ptr`](Self::as_ptr) returns the same non-null pointer every time, aligned to the
///    system page size.
/// 2. [`len`](Self::len) returns the same value every time, and it is greater than zero.
/// 3. The `len()` bytes from `as_ptr()` are mapped readable and writable in this process, and
///    stay mapped at that address: the implementor unmaps them only in its `Drop`. A value
///    that is never dropped (leaked with `mem::forget`, or through a leaked `Arc`) therefore
///    stays mapped for the life of the process; users rely on that to stay sound when a guard
///    that pins the mapping is leaked (`ipc_shm::sync::Mutex`).
/// 4. Accesses within those bytes cannot fault because the object behind them shrank. An
///    implementor that cannot rule this out (an unsealed POSIX shm object a peer may
///    `ftruncate`) documents the remaining `SIGBUS` window on its type; it must at least check
///    the object's size before mapping.
///
/// Users must assume nothing about the contents: they may change concurrently, so reads must be
/// volatile or atomic and their results validated, and no reference may be formed to them.
///
/// Read-only mappings are not `SharedRegion`s: promise 3 asks for readable *and* writable
/// bytes, since the mutexes, semaphores and channels placed in a region write to it. A crate
/// that maps an object read-only offers its own type, with copies out or atomic loads.
///
/// # Send and Sync
///
/// The trait requires neither, and a region type that holds its base address as a raw pointer
/// gets neither automatically; an implementor states them with `unsafe impl`, each with its
/// reason and a test that asserts the bound (STYLE.md 10):
///
/// - `Send` when the mapping belongs to the process, not to the thread that made it (true of
///   every `mmap` and `shmat`), so the value may move to another thread and be dropped, and
///   unmapped, there; and when nothing else in the type is tied to a thread.
/// - `Sync` when its `&self` methods are safe to call from several threads at once. Under this
///   contract `as_ptr` and `len` only return fixed values, so a type whose other `&self`
///   methods are thread-safe too qualifies; one that keeps unsynchronised state behind `&self`
///   (a `Cell`, a non-atomic counter) does not. `Sync` promises nothing about the bytes: other
///   processes write them already, so threads of this process that share a region use the same
///   atomics or volatile accesses that any user must.
///
/// # Examples
///
/// A region over private heap memory, to show the shape of an implementation (real regions
/// are mappings from the mechanism crates):
///
/// ```
/// use std::alloc::{Layout, alloc_zeroed, dealloc};
/// use ipc_core::SharedRegion;
///
/// struct PageBox { ptr: *mut u8 }
/// const PAGE: usize = 4096;
///
/// impl PageBox {
///     fn new() -> Self {
///         let layout = Layout::from_size_align(PAGE, PAGE).unwrap();
///         // SAFETY: the layout has a non-zero size.
///         let ptr = unsafe { alloc_zeroed(layout) };
///         assert!(!ptr.is_null());
///         Self { ptr }
///     }
/// }
///
/// impl Drop for PageBox {
///     fn drop(&mut self) {
///         let layout = Layout::from_size_align(PAGE, PAGE).unwrap();
///         // SAFETY: `ptr` came from `alloc_zeroed` with this layout and is freed once.
///         unsafe { dealloc(self.ptr, layout) }
///     }
/// }
///
/// // SAFETY: the allocation belongs to the process, so it may move to and be freed on any
/// // thread; `PageBox` holds nothing else.
/// unsafe impl Send for PageBox {}
/// // SAFETY: its `&self` methods only return the fixed pointer and length.
/// unsafe impl Sync for PageBox {}
///
/// // SAFETY: the pointer is fixed, page-aligned, non-null, valid for PAGE bytes until drop,
/// // and heap memory cannot shrink under us.
/// unsafe impl SharedRegion for PageBox {
///     fn as_ptr(&self) -> *mut u8 { self.ptr }
///     fn len(&self) -> usize { PAGE }
/// }
///
/// fn assert_send_sync<T: Send + Sync>() {}
/// assert_send_sync::<PageBox>();
///
/// let region = PageBox::new();
/// let word = region.as_ptr().cast::<std::sync::atomic::AtomicU32>();
/// // SAFETY: the region is page-aligned, so `word` is aligned, and valid while `region` lives.
/// let counter = unsafe { &*word };
/// counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
/// assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), 1);
/// ```
#[allow(
    unsafe_code,
    reason = "an unsafe trait: implementors promise the mapping's validity"
)]
pub unsafe trait SharedRegion {
    /// The base address of the mapping; see the trait's safety contract.
    fn as_ptr(&self) -> *mut u8;

    /// The length of the mapping in bytes; see the trait's safety contract.
    fn len(&self) -> usize;

    /// Always `false`: a region is never empty (the contract requires `len() > 0`). Present
    /// so `len` has its conventional partner.
    fn is_empty(&self) -> bool {
        false
    }

    /// The object behind the mapping (its name, path or descriptor), for the errors of the
    /// operations on the region; `None` (the default) for a mapping with nothing to name.
    fn object(&self) -> Option<Object> {
        None
    }
}
