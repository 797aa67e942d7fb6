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
//! | | a process dies holding or waiting for it | timed forms |
//! |---|---|---|
//! | [`Mutex`] | holding: detected, the next locker gets [`LockError::OwnerDied`]; waiting: harmless | `CLOCK_MONOTONIC` |
//! | [`Condvar`] | waiting: nothing left behind (a [`notify_one`](Condvar::notify_one) it took is lost) | relative futex timeout, the time left after a signal |
//! | [`RwLock`] | holding **or waiting**: **not** detected, the lock stays held for good; timed forms return `TimedOut` | `CLOCK_MONOTONIC` |
//!
//! # Trust
//!
//! These objects are only as safe as the peers that share their region. A robust pthread
//! mutex keeps pointers inside the shared object (`__list.__prev`/`__next`, the links of the
//! owning thread's robust list) that glibc follows and writes through when the mutex is locked
//! and unlocked, and a pthread rwlock keeps glibc's bookkeeping in the shared words too; a
//! process that can write the region can corrupt them, and through the robust-list links make
//! glibc write into this process's memory. So every process that can write a region holding
//! these objects must be trusted not to corrupt them: the same trust as sharing an address
//! space. Regions are created `0o600` and checked for their owner on open by default, which
//! makes that the same-user boundary; widening the permissions widens it. (The
//! [`Condvar`]'s counter holds no pointer: a peer can only make its waits wake or sleep
//! wrongly.) See [`Mutex`'s trust section](Mutex#trust).

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
