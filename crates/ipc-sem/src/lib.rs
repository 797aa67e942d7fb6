//! POSIX semaphores for Linux: a count shared between processes, taken with `wait` and given
//! back with `post`.
//!
//! - [`Semaphore`]: a named semaphore, found by a POSIX name (`/jobs`). It is the file
//!   `/dev/shm/sem.jobs` holding one `sem_t`, laid out exactly as glibc's `sem_open` lays it
//!   out, so C programs calling `sem_open("/jobs", 0)` share it; but it is created and opened
//!   with the workspace's secure open (exact mode with `fchmod`, `O_NOFOLLOW`, an `fstat`
//!   check of type, owner and size), which `sem_open` cannot offer.
//! - [`RegionSemaphore`]: an unnamed semaphore (`sem_init` with `pshared = 1`) placed at an
//!   offset of any shared region — POSIX shared memory, a memfd, a mapped file, an anonymous
//!   shared mapping — and validated by every process that opens it.
//!
//! Both offer `wait`, `try_wait` ([`WouldBlock`](ipc_core::ErrorKind::WouldBlock)),
//! `wait_timeout(Duration)` and `wait_deadline(Instant)`
//! ([`TimedOut`](ipc_core::ErrorKind::TimedOut)), `post` and `value`, through one shared
//! implementation. Timed waits use `sem_clockwait` on `CLOCK_MONOTONIC` (glibc 2.30 and later),
//! so stepping the wall clock does not move a deadline; with another C library they use
//! `sem_timedwait` with the deadline converted to `CLOCK_REALTIME` just before each call. A
//! signal handler that interrupts a wait never ends it: `EINTR` is retried, a bounded wait
//! with only the time left. A value can never pass [`SEM_VALUE_MAX`]: a larger initial value
//! is an [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) error, and a post at the
//! maximum is [`LimitReached`](ipc_core::ErrorKind::LimitReached) naming `SEM_VALUE_MAX`.
//!
//! # Crash behaviour
//!
//! POSIX semaphores have no undo: a count taken by a process that dies before posting it back
//! is never given back. A waiter that dies takes no count and cannot wedge the semaphore for
//! others; glibc does leave it counted as a waiter in the `sem_t`, which only costs every
//! later `post` a `FUTEX_WAKE` system call. Where a dead holder's count must return, use a
//! System V semaphore with `SEM_UNDO`, or a robust mutex.
//!
//! # Trust
//!
//! A process that can write a semaphore can corrupt it, and glibc may then abort the process
//! that waits on it; a named semaphore's file can also be truncated under its mapping
//! (`SIGBUS`). The default mode `0o600` and the owner check keep both to the same user; see
//! the `# Trust` and `# SIGBUS` sections of [`Semaphore`] and [`RegionSemaphore`].
//!
//! # Dependencies
//!
//! This crate depends on its sibling `ipc-shm` because the types an unnamed semaphore is
//! placed with live there: the regions ([`ipc_core::SharedRegion`] implementors such as
//! [`ipc_shm::SharedMemory`]), their bounds-checked access ([`ipc_shm::RegionAccess`]), and the
//! validated tag in front of each object placed in a region ([`ipc_shm::slot`]).
//!
//! # Examples
//!
//! The reference's counting "connection pool" of 5 (doc 001, §2.8):
//!
//! ```
//! use ipc_core::ObjectName;
//! use ipc_sem::Semaphore;
//!
//! let name = ObjectName::unique("connection-pool-doc")?;
//! let pool = Semaphore::open_or_create(&name, 5)?;
//! pool.wait()?;
//! println!("Connection acquired");
//! assert_eq!(pool.value()?, 4);
//! pool.post()?;
//! # Ok::<(), ipc_core::Error>(())
//! ```
//!
//! # References
//!
//! - [`sem_overview(7)`](https://man7.org/linux/man-pages/man7/sem_overview.7.html)
#![doc(test(attr(deny(warnings))))]

mod named;
mod ops;
mod region;
mod sys;

pub use named::{Semaphore, SemaphoreBuilder};
pub use ops::SEM_VALUE_MAX;
pub use region::{RegionSemaphore, SEMAPHORE_SLOT};
