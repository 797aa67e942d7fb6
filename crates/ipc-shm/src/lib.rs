//! Shared memory for Linux, without handing out references to memory other processes write.
//!
//! Regions — every one implements [`ipc_core::SharedRegion`], so the locks, semaphores and
//! channels of this workspace can live in any of them:
//!
//! - [`SharedMemory`]: a POSIX shared memory object (`shm_open`), named, `0o600` by default,
//!   opened with `O_NOFOLLOW`, checked with `fstat` before it is mapped, removed by its creator.
//! - [`Memfd`]: an anonymous file (`memfd_create`) sealed against shrinking, handed to other
//!   processes as a descriptor; a receiver checks the seals before mapping a foreign one.
//! - [`MappedFile`]: a regular file mapped shared, with `flush` (`msync`) and advice.
//! - [`AnonymousRegion`]: `MAP_SHARED | MAP_ANONYMOUS` memory inherited by forked children.
//!
//! Access — [`RegionAccess`], implemented for every region: bounds-checked copies in and out,
//! atomic views of aligned words, a typed view ([`PodView`]) of plain-old-data values, and raw
//! pointers for experts. The [`header`] module lays out a validated header (magic, version,
//! sizes, an initialised flag, the creator's identity) at the start of a structured region.
//!
//! Objects inside a region — the [`slot`] module tags each object placed at an offset (a mutex,
//! a semaphore) so an opener can check what it is before using it.
//!
//! Synchronisation inside a region — the [`sync`] module: a robust process-shared
//! [`Mutex`](sync::Mutex) guarding a plain-old-data value, a [`Condvar`](sync::Condvar) and an
//! [`RwLock`](sync::RwLock), each placed at an offset of any region and validated on open.
//! The mutex is glibc's robust pthread mutex, which trusts every process that can write its
//! region: glibc follows pointers stored in the shared `pthread_mutex_t`, so a peer that
//! corrupts one can make a locker write anywhere in its own memory. Regions are `0o600` and
//! owner-checked by default, which makes that the same-user boundary (see
//! [`Mutex`'s trust](sync::Mutex#trust), and why glibc's mutex was chosen all the same).
//!
//! Faults — the [`sigbus`] module: what a peer that shrinks a shared object can still do to
//! a process that mapped it, and [`sigbus::install_diagnostic`], which makes that `SIGBUS`
//! name the object instead of killing the process silently.
//!
//! File locks — the [`lock`] module: `flock` locks, and byte-range record locks in both their
//! process-associated (`F_SETLK`) and open-file-description (`F_OFD_SETLK`) forms.
#![doc(test(attr(deny(warnings))))]

mod access;
mod anonymous;
mod bounds;
mod file;
pub mod header;
pub mod lock;
mod mapping;
mod memfd;
mod pod;
mod read_only;
mod shm;
pub mod sigbus;
mod size;
pub mod slot;
pub mod sync;
mod sys;

pub use access::RegionAccess;
pub use anonymous::AnonymousRegion;
pub use file::{Advice, MappedFile, MappedFileBuilder};
pub use memfd::{ForeignMemfd, Memfd, MemfdBuilder, MemfdRegion, Seals};
pub use pod::PodView;
pub use read_only::ReadOnlyRegion;
pub use shm::{ReadOnlySharedMemory, SharedMemory, SharedMemoryBuilder};
