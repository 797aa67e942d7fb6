//! The one crash a peer can still cause, and an opt-in diagnostic that makes it explain itself.
//!
//! # What can still fault
//!
//! Accessing a page of a shared mapping that lies past the end of the object behind it raises
//! `SIGBUS`, and the default action of `SIGBUS` ends the process (with a core) without a word.
//! Every region of this crate checks the object's size with `fstat` before it maps it and maps
//! no more than it found, so an object shrunk *before* the mapping is refused with
//! [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState). What remains is a peer that
//! shrinks the object *after* we mapped it:
//!
//! - a POSIX shm object ([`SharedMemory`](crate::SharedMemory),
//!   [`ReadOnlySharedMemory`](crate::ReadOnlySharedMemory)) cannot be sealed: any process that
//!   may write it can `ftruncate` it;
//! - a mapped file ([`MappedFile`](crate::MappedFile)) likewise, for any process that may write
//!   the file;
//! - a memfd is safe when sealed against shrinking (`F_SEAL_SHRINK`), which
//!   [`Memfd::create`](crate::Memfd::create) does and
//!   [`Memfd::from_fd`](crate::Memfd::from_fd) requires; only one made
//!   [`unsealed`](crate::MemfdBuilder::unsealed) or accepted with
//!   [`accept_unsealed`](crate::ForeignMemfd::accept_unsealed) can fault;
//! - an [`AnonymousRegion`](crate::AnonymousRegion) has no file anyone could truncate.
//!
//! The defences, strongest first: share a sealed memfd with peers you do not trust; keep
//! named objects `0o600` and owner-checked (the default), so only trusted processes can write
//! them; poll `check_size` ([`SharedMemory::check_size`](crate::SharedMemory::check_size)) where
//! a peer might shrink the object, before touching what might be gone; and call
//! [`install_diagnostic`] so that, if it happens anyway, the death names the object.
//!
//! # Why the fault is not recovered
//!
//! Surviving the fault would mean leaving the signal handler somewhere else than the faulting
//! instruction, with `siglongjmp`, and jumping over Rust frames that way is undefined
//! behaviour (their destructors never run, and the compiler assumes the copy in progress
//! completes). Mapping fresh zero pages over the hole would hide the peer's bug and break the
//! next writer. So the process still dies; the diagnostic only makes the death explain itself.
//!
//! # The registry
//!
//! Each shared mapping of an object (not an anonymous one) registers its address range and
//! the first 64 bytes of the object's display name in a fixed table of 64 entries when it is
//! made, and removes them before it is unmapped. The table needs no allocation and no lock, so
//! the handler can read it. A mapping made while all 64 entries are taken is simply not
//! registered: a fault in it dies as if the diagnostic were not installed, without the line.
//!
//! # Examples
//!
//! ```
//! use ipc_core::ObjectName;
//! use ipc_shm::{RegionAccess, SharedMemory};
//!
//! ipc_shm::sigbus::install_diagnostic()?;
//! let shm = SharedMemory::create_new(&ObjectName::unique("sigbus-example")?, 4096)?;
//! // If a peer truncated the object, this would tell before touching the missing page.
//! shm.check_size()?;
//! shm.write_at(0, b"still here")?;
//! # Ok::<(), ipc_core::Error>(())
//! ```
//!
//! # References
//!
//! - [`mmap(2)`](https://man7.org/linux/man-pages/man2/mmap.2.html), "SIGBUS"
//! - [`memfd_create(2)`](https://man7.org/linux/man-pages/man2/memfd_create.2.html), "File
//!   sealing"

mod diagnostic;
pub(crate) mod line;
pub(crate) mod registry;

pub use diagnostic::install_diagnostic;
