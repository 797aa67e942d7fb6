//! Who owns a record lock: the process, or the open file description.

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
