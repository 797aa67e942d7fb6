//! Process-shared synchronisation placed inside a region: a robust [`Mutex`] guarding a
//! plain-old-data value, a [`Condvar`] to wait on with it, and an [`RwLock`].
//!
//! Each object sits in a [`slot`](crate::slot) at an offset of any
//! [`SharedRegion`](ipc_core::SharedRegion) (POSIX shm, memfd, mapped file, anonymous, System V):
//! the creator calls `init` once (inside [`Header::init`](crate::header::Header::init)'s
//! initialiser for a structured region), every other process calls `open`, which validates the
//! slot. Guards reach the guarded value by copy, never by reference.
//!
//! A [`Mutex`] keeps an `Arc` of its region rather than a borrow: glibc threads each robust
//! mutex a thread holds onto that thread's robust list, so a leaked guard must keep the mapping
//! alive (see [`Mutex`'s leaks](Mutex#leaks)). [`Condvar`] and [`RwLock`] are on no such list
//! and borrow the region.
//!
//! | | crash of a holder | timed forms |
//! |---|---|---|
//! | [`Mutex`] | detected: the next locker gets [`LockError::OwnerDied`] | `CLOCK_MONOTONIC` |
//! | [`Condvar`] | a dead waiter leaves nothing behind | relative futex timeout |
//! | [`RwLock`] | **not** detected: the lock stays held; timed forms return `TimedOut` | `CLOCK_MONOTONIC` |

mod condvar;
mod lock_error;
mod mutex;
mod mutex_guard;
mod place;
mod rwlock;

pub use condvar::{Condvar, WaitTimeoutResult};
pub use lock_error::{LockError, LockResult, OwnerDied};
pub use mutex::Mutex;
pub use mutex_guard::MutexGuard;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
