//! Who owns a record lock: the process, or the open file description.

use super::record::RecordLock;

/// The owner of a record lock, which decides when the lock goes and whom it conflicts with:
/// [`Process`] (`F_SETLK`, POSIX) or [`OpenFileDescription`] (`F_OFD_SETLK`, Linux).
///
/// The trait is sealed: these two are the only owners the kernel knows. Use it through
/// [`ProcessLock`](super::ProcessLock) and [`OfdLock`](super::OfdLock).
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{OpenFileDescription, Process, RecordOwner};
///
/// assert_eq!(Process::NAME, "process-associated");
/// assert_eq!(OpenFileDescription::NAME, "open-file-description");
/// ```
pub trait RecordOwner: sealed::Sealed {
    /// How the docs and errors name the owner.
    const NAME: &'static str;
    /// The non-blocking set command, `F_SETLK` or `F_OFD_SETLK`, and its name.
    #[doc(hidden)]
    const SET: (libc::c_int, &'static str);
    /// The blocking set command, `F_SETLKW` or `F_OFD_SETLKW`, and its name.
    #[doc(hidden)]
    const SET_WAIT: (libc::c_int, &'static str);
    /// The query command, `F_GETLK` or `F_OFD_GETLK`, and its name.
    #[doc(hidden)]
    const GET: (libc::c_int, &'static str);
}

/// A process-associated (POSIX, `F_SETLK`) record lock: see [`RecordLock`], and the footgun
/// below.
///
/// # Any close drops the lock
///
/// "If a process closes any file descriptor referring to a file, then all of the process's
/// locks on that file are released, regardless of the file descriptor(s) on which the locks
/// were obtained" (fcntl(2)). The guard keeps its own descriptor open, but not the others: a
/// library that opens the same file for a moment and closes it (a config reader, a
/// `std::fs::read` of the path) silently releases every lock this process holds on it, and
/// the guard cannot know. So does dropping a guard that owns its file, and so does dropping
/// any other `ProcessLock` guard's range (see [Guards do not
/// nest](RecordLock#guards-do-not-nest)). Prefer [`OfdLock`] unless the file is only ever
/// opened once per process, or portability beyond Linux matters.
///
/// It also means: "Record locks are not inherited by a child created via fork(2), but are
/// preserved across an execve(2)", and "The threads in a process share locks" (fcntl(2)): two
/// threads never conflict, so these locks cannot order threads, only processes.
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{ByteRange, LockMode, ProcessLock};
///
/// let file = tempfile::NamedTempFile::new()?;
/// let guard = ProcessLock::lock(file.as_file(), ByteRange::new(0, 100), LockMode::Exclusive)?;
/// // Another descriptor of the same process does not conflict (the process owns the lock)...
/// let again = file.reopen()?;
/// assert!(ProcessLock::holder(&again, ByteRange::new(0, 1), LockMode::Exclusive)?.is_none());
/// // ...and closing it releases the guard's lock: no other process is kept out any more.
/// drop(again);
/// drop(guard); // unlocking an already released range is harmless
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ProcessLock<F> = RecordLock<F, Process>;

/// An open-file-description (`F_OFD_SETLK`, Linux 3.15 and later) record lock: see
/// [`RecordLock`].
///
/// It belongs to the open file description like a [`Flock`](super::Flock) lock, and covers a
/// byte range like a [`ProcessLock`]: closing other descriptors of the file does not release
/// it, a child that inherits the descriptor shares it, and two separate opens (even by two
/// threads of one process) contend. "Conflicting lock combinations (i.e., a read lock and a
/// write lock or two write locks) where one lock is an open file description lock and the other
/// is a traditional record lock conflict even when they are acquired by the same process on the
/// same file descriptor" (fcntl(2)).
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
///
/// let file = tempfile::NamedTempFile::new()?;
/// let other = file.reopen()?; // a second description
/// let _head = OfdLock::lock(file.as_file(), ByteRange::new(0, 64), LockMode::Exclusive)?;
/// let _tail = OfdLock::try_lock(&other, ByteRange::from_offset(64), LockMode::Exclusive)?;
/// assert!(OfdLock::try_lock(&other, ByteRange::new(63, 2), LockMode::Shared).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type OfdLock<F> = RecordLock<F, OpenFileDescription>;

/// Record locks owned by the process: the POSIX locks of `F_SETLK`, `F_SETLKW` and `F_GETLK`.
///
/// "If a process closes any file descriptor referring to a file, then all of the process's
/// locks on that file are released, regardless of the file descriptor(s) on which the locks
/// were obtained", "Record locks are not inherited by a child created via fork(2)" and "The
/// threads in a process share locks" (fcntl(2)). See [`ProcessLock`](super::ProcessLock).
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{ByteRange, LockMode, ProcessLock};
///
/// let file = tempfile::tempfile()?;
/// let _guard = ProcessLock::lock(&file, ByteRange::new(0, 10), LockMode::Exclusive)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "Advisory record locking"
#[derive(Debug)]
pub enum Process {}

/// Record locks owned by the open file description: Linux's `F_OFD_SETLK`, `F_OFD_SETLKW` and
/// `F_OFD_GETLK` (Linux 3.15 and later).
///
/// "open file description locks are associated with the open file description on which they
/// are acquired, much like locks acquired with flock(2). Consequently (and unlike traditional
/// advisory record locks), open file description locks are inherited across fork(2) (and
/// clone(2) with CLONE_FILES), and are only automatically released on the last close of the
/// open file description, instead of being released on any close of the file" (fcntl(2)).
/// See [`OfdLock`](super::OfdLock).
///
/// # Examples
///
/// ```
/// use ipc_shm::lock::{ByteRange, LockMode, OfdLock};
///
/// let file = tempfile::tempfile()?;
/// let _guard = OfdLock::lock(&file, ByteRange::new(0, 10), LockMode::Exclusive)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html), "Open file description
///   locks (non-POSIX)"
#[derive(Debug)]
pub enum OpenFileDescription {}

impl RecordOwner for Process {
    const NAME: &'static str = "process-associated";
    const SET: (libc::c_int, &'static str) = (libc::F_SETLK, "fcntl(F_SETLK)");
    const SET_WAIT: (libc::c_int, &'static str) = (libc::F_SETLKW, "fcntl(F_SETLKW)");
    const GET: (libc::c_int, &'static str) = (libc::F_GETLK, "fcntl(F_GETLK)");
}

impl RecordOwner for OpenFileDescription {
    const NAME: &'static str = "open-file-description";
    const SET: (libc::c_int, &'static str) = (libc::F_OFD_SETLK, "fcntl(F_OFD_SETLK)");
    const SET_WAIT: (libc::c_int, &'static str) = (libc::F_OFD_SETLKW, "fcntl(F_OFD_SETLKW)");
    const GET: (libc::c_int, &'static str) = (libc::F_OFD_GETLK, "fcntl(F_OFD_GETLK)");
}

impl sealed::Sealed for Process {}
impl sealed::Sealed for OpenFileDescription {}

mod sealed {
    /// Keeps [`RecordOwner`](super::RecordOwner) to the two owners of this module.
    pub trait Sealed {}
}
