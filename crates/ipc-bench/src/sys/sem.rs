//! The raw baseline's POSIX semaphores: named ones from `sem_open`, unnamed ones placed in a
//! [`RawMap`] with `sem_init(pshared = 1)`, waited on and posted with `sem_wait` and `sem_post`.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls libc's sem_* functions on semaphores in shared mappings"
)]

use std::ffi::{CStr, CString};
use std::io;
use std::marker::PhantomData;
use std::ptr::NonNull;

use super::RawMap;

/// `result` (0 or -1 with `errno`) as an `io::Result`.
fn check(result: libc::c_int) -> io::Result<()> {
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A semaphore: the `sem_t` a handle points to, valid for `'s`.
#[derive(Clone, Copy)]
pub(crate) struct RawSem<'s> {
    ptr: NonNull<libc::sem_t>,
    _owner: PhantomData<&'s ()>,
}

impl RawSem<'_> {
    /// `sem_post`.
    ///
    /// # Errors
    /// The `sem_post` error (`EOVERFLOW`).
    #[inline]
    pub(crate) fn post(self) -> io::Result<()> {
        // SAFETY: the constructors hand out only initialised semaphores, live for `'s`.
        check(unsafe { libc::sem_post(self.ptr.as_ptr()) })
    }

    /// `sem_wait`, retrying `EINTR` as a C program would.
    ///
    /// # Errors
    /// The `sem_wait` error.
    #[inline]
    pub(crate) fn wait(self) -> io::Result<()> {
        loop {
            // SAFETY: as in `post`.
            match check(unsafe { libc::sem_wait(self.ptr.as_ptr()) }) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }
}

/// A named semaphore this process created with `sem_open(O_CREAT | O_EXCL)`: closed
/// (`sem_close`) and removed (`sem_unlink`) on drop.
pub(crate) struct NamedSem {
    ptr: NonNull<libc::sem_t>,
    name: CString,
}

impl NamedSem {
    /// `sem_open(name, O_CREAT | O_EXCL, 0600, initial)`.
    ///
    /// # Errors
    /// The `sem_open` error (`EEXIST` when `name` exists).
    pub(crate) fn create(name: &CStr, initial: u32) -> io::Result<Self> {
        let mode: libc::c_uint = 0o600;
        // SAFETY: `name` is NUL-terminated and outlives the call; with `O_CREAT` sem_open reads
        // a mode and an initial value, passed as the variadic arguments it expects.
        let ptr =
            unsafe { libc::sem_open(name.as_ptr(), libc::O_CREAT | libc::O_EXCL, mode, initial) };
        if ptr == libc::SEM_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(ptr).ok_or(io::ErrorKind::Other)?;
        Ok(Self {
            ptr,
            name: name.to_owned(),
        })
    }

    /// The semaphore, for posting and waiting.
    pub(crate) fn sem(&self) -> RawSem<'_> {
        RawSem {
            ptr: self.ptr,
            _owner: PhantomData,
        }
    }
}

impl Drop for NamedSem {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from sem_open and is closed once, here; no `RawSem` borrowed from
        // `self` outlives it.
        let _ = unsafe { libc::sem_close(self.ptr.as_ptr()) };
        // SAFETY: `name` is NUL-terminated and outlives the call.
        let _ = unsafe { libc::sem_unlink(self.name.as_ptr()) };
    }
}

/// Initialises an unnamed process-shared semaphore at `offset` of `map`:
/// `sem_init(sem, 1, initial)`.
///
/// # Safety
/// No thread or process uses the bytes at `offset` during the call (the creator initialises
/// before the peer starts).
///
/// # Errors
/// `InvalidInput` when a `sem_t` does not fit aligned at `offset`; the `sem_init` error.
pub(crate) unsafe fn sem_init(map: &RawMap, offset: usize, initial: u32) -> io::Result<RawSem<'_>> {
    let ptr = map.object_at::<libc::sem_t>(offset)?;
    // SAFETY: `ptr` is an aligned `sem_t` inside the live mapping that nobody else uses (the
    // caller's promise).
    check(unsafe { libc::sem_init(ptr.as_ptr(), 1, initial) })?;
    Ok(RawSem {
        ptr,
        _owner: PhantomData,
    })
}

/// The unnamed semaphore another process initialised at `offset` of `map`.
///
/// # Safety
/// A semaphore was initialised there with [`sem_init`] and is not destroyed while `map` is
/// borrowed.
///
/// # Errors
/// `InvalidInput` when a `sem_t` does not fit aligned at `offset`.
pub(crate) unsafe fn sem_at(map: &RawMap, offset: usize) -> io::Result<RawSem<'_>> {
    Ok(RawSem {
        ptr: map.object_at(offset)?,
        _owner: PhantomData,
    })
}
