//! File locks: `flock` on whole files, and `fcntl` record locks on byte ranges, owned by the
//! process or by the open file description; each held by an RAII guard.
//!
//! - [`Flock`]: `flock(2)`, shared or exclusive, on the whole file.
//! - [`ProcessLock`]: POSIX record locks (`F_SETLK`), on a [`ByteRange`].
//! - [`OfdLock`]: Linux open-file-description record locks (`F_OFD_SETLK`), on a
//!   [`ByteRange`].
//!
//! Every form has `lock` (blocks), `try_lock` ([`WouldBlock`](ipc_core::ErrorKind::WouldBlock)),
//! `lock_timeout` and `lock_deadline` ([`TimedOut`](ipc_core::ErrorKind::TimedOut)); the guard
//! unlocks when it drops. Record locks also answer who holds a conflicting lock
//! ([`RecordLock::holder`]) and convert between shared and exclusive atomically. All these locks
//! are advisory: they stop other lockers, never a plain `read` or `write`.
//!
//! # Which lock?
//!
//! The three differ in who owns the lock, and so in when it goes away:
//!
//! | | [`Flock`] | [`ProcessLock`] (`F_SETLK`) | [`OfdLock`] (`F_OFD_SETLK`) |
//! |---|---|---|---|
//! | Covers | the whole file | a byte range | a byte range |
//! | Owner | the open file description | the process (pid, file) | the open file description |
//! | Shared by `dup` and by a `fork` child | yes (one lock) | no: "not inherited by a child created via fork(2)" | yes (one lock) |
//! | Two `open`s in one process | contend | do not contend | contend |
//! | Two threads of one process | contend if they use separate opens | never contend | contend if they use separate opens |
//! | Released by | unlock, or the last close of the description | unlock, or **any** close of **any** descriptor of the file by the process, or the process's exit | unlock, or the last close of the description |
//! | Conflicts with | other `flock` locks only (locally) | `F_SETLK` and `F_OFD_SETLK` locks | `F_SETLK` and `F_OFD_SETLK` locks |
//! | Holder's pid in [`Holder`] | (no query) | the pid | none (the kernel reports -1) |
//! | Deadlock detection (`EDEADLK`) | no | yes, for blocking requests | no |
//! | Mode conversion | not atomic (not offered) | atomic | atomic |
//! | NFS | emulated as a whole-file `fcntl` lock since Linux 2.6.12 | yes (through lockd) | yes (through lockd) |
//! | Portability | BSD, Linux | POSIX | Linux 3.15+ (and now POSIX 2024) |
//!
//! The man pages, on which this module relies:
//!
//! - flock(2): "Locks created by flock() are associated with an open file description (see
//!   open(2)). This means that duplicate file descriptors (created by, for example, fork(2) or
//!   dup(2)) refer to the same lock, and this lock may be modified or released using any of
//!   these file descriptors. Furthermore, the lock is released either by an explicit LOCK_UN
//!   operation on any of these duplicate file descriptors, or when all such file descriptors
//!   have been closed." And: "If a process uses open(2) (or similar) to obtain more than one file
//!   descriptor for the same file, these file descriptors are treated independently by
//!   flock()."
//! - flock(2), on NFS: "Since Linux 2.6.12, NFS clients support flock() locks by emulating them
//!   as fcntl(2) byte-range locks on the entire file. This means that fcntl(2) and flock() locks
//!   do interact with one another over NFS." So over NFS a `flock` lock is a record lock, with
//!   all its differences; do not rely on `flock` there.
//! - fcntl(2), "Advisory record locking": "If a process closes any file descriptor referring to
//!   a file, then all of the process's locks on that file are released, regardless of the file
//!   descriptor(s) on which the locks were obtained." "The threads in a process share locks.
//!   In other words, a multithreaded program can't use record locking to ensure that threads
//!   don't simultaneously access the same region of a file." "Record locks are not inherited by
//!   a child created via fork(2), but are preserved across an execve(2)."
//! - fcntl(2), "Open file description locks (non-POSIX)": "The principal difference between the
//!   two lock types is that whereas traditional record locks are associated with a process,
//!   open file description locks are associated with the open file description on which they
//!   are acquired, much like locks acquired with flock(2). Consequently (and unlike traditional
//!   advisory record locks), open file description locks are inherited across fork(2) (and
//!   clone(2) with CLONE_FILES), and are only automatically released on the last close of the
//!   open file description, instead of being released on any close of the file." And:
//!   "Conflicting lock combinations (i.e., a read lock and a write lock or two write locks)
//!   where one lock is an open file description lock and the other is a traditional record
//!   lock conflict even when they are acquired by the same process on the same file
//!   descriptor."
//!
//! In short: prefer [`OfdLock`] for byte ranges and [`Flock`] for whole files on local
//! filesystems. A [`ProcessLock`] is silently lost when anything in the process (a library, a
//! `std::fs::read` of the path) closes any descriptor of the file, and it cannot order
//! threads; use it only for a file each process opens once, or where portability beyond
//! Linux matters.
//!
//! # Waiting with a bound
//!
//! Neither `flock` nor `fcntl` has a timed form. The `_timeout` and `_deadline` forms poll
//! with a non-blocking attempt and sleeps from 100 µs doubling up to 4 ms: a release is noticed
//! up to 4 ms late and a poller is not queued in the kernel, so a blocked waiter may go first.
//! The blocking forms use the kernel's own wait and retry `EINTR`.
//!
//! # Examples
//!
//! ```
//! use ipc_shm::lock::{ByteRange, Flock, LockMode, OfdLock};
//!
//! let file = tempfile::NamedTempFile::new()?;
//! {
//!     let _whole = Flock::lock(file.as_file(), LockMode::Exclusive)?;
//!     // ... write the file ...
//! }
//! let _record = OfdLock::lock(file.as_file(), ByteRange::new(0, 16), LockMode::Exclusive)?;
//! let other = file.reopen()?;
//! let holder = OfdLock::holder(&other, ByteRange::new(8, 1), LockMode::Shared)?;
//! assert_eq!(holder.map(|h| h.range()), Some(ByteRange::new(0, 16)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # References
//!
//! - [flock(2)](https://man7.org/linux/man-pages/man2/flock.2.html)
//! - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "Advisory record locking"
//!   and "Open file description locks (non-POSIX)"
//! - [fcntl_locking(2)](https://man7.org/linux/man-pages/man2/fcntl_locking.2.html), where newer
//!   man pages moved the locking text
//! - [fcntl(3p)](https://man7.org/linux/man-pages/man3/fcntl.3p.html)

mod errors;
mod flock;
mod holder;
mod mode;
mod owner;
mod range;
mod record;
mod request;
mod wait;

pub use flock::Flock;
pub use holder::Holder;
pub use mode::LockMode;
pub use owner::{OfdLock, OpenFileDescription, Process, ProcessLock, RecordOwner};
pub use range::ByteRange;
pub use record::RecordLock;
