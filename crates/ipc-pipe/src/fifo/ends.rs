//! Opening the read and write ends of a FIFO, blocking, non-blocking, or bounded.
//!
//! `fifo(7)`: "Normally, opening the FIFO blocks until the other end is opened also." A
//! non-blocking open for reading succeeds at once; "a process can open a FIFO in nonblocking
//! mode. In this case, opening for read-only succeeds even if no one has opened on the write
//! side yet and opening for write-only fails with ENXIO (no such device or address) unless the
//! other end has already been opened."
//!
//! Every open goes through the `O_PATH` descriptor of the validated node (via its
//! `/proc/self/fd` link), so the end opened is the node that was checked, even if the path is
//! replaced meanwhile. Without `/proc` mounted, the end is opened by path with `O_NOFOLLOW`
//! instead, and kept only if `fstat` shows the device and inode that were validated.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use ipc_core::{Backoff, Deadline, Error, ErrorKind, Result, Wait};
use rustix::fs::{Access, AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;

use super::node::{Fifo, replaced};
use crate::{Reader, Writer};

/// The name of the thread a bounded open for reading waits in (the kernel shows its first 15
/// bytes, `ipc-pipe-fifo-o`).
const HELPER_NAME: &str = "ipc-pipe-fifo-open";

/// How often a bounded open for writing looks for a reader, at the longest.
const LONGEST_PAUSE: Duration = Duration::from_millis(16);

/// How long a timed-out open for reading waits for its helper between two release attempts.
const RELEASE_PAUSE: Duration = Duration::from_millis(1);

/// Which end to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Read,
    Write,
}

impl End {
    fn access(self) -> OFlags {
        match self {
            Self::Read => OFlags::RDONLY,
            Self::Write => OFlags::WRONLY,
        }
    }
}

impl Fifo {
    /// Opens the read end, blocking until a writer opens the FIFO (`open(O_RDONLY)`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] when the node was removed; [`ErrorKind::WrongObjectType`] or
    /// [`ErrorKind::PermissionDenied`] when the path no longer names a FIFO this handle
    /// accepts; the kinds of `open(2)`'s errors otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let writer_thread = {
    ///     let path = fifo.path().to_owned();
    ///     std::thread::spawn(move || ipc_pipe::Fifo::open(path)?.open_writer()?.write_all(b"hi"))
    /// };
    /// let reader = fifo.open_reader()?;
    /// writer_thread.join().unwrap()?;
    /// let mut buf = [0; 2];
    /// assert_eq!(reader.read(&mut buf)?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_reader(&self) -> Result<Reader> {
        self.open_end(End::Read, Wait::Forever, "open_reader")
            .map(Reader::from)
    }

    /// Opens the read end without waiting for a writer. Until a writer opens the FIFO, reads
    /// return end of input at once (`Ok(0)`); bounded reads
    /// ([`Reader::read_timeout`](crate::Reader::read_timeout)) wait for data as usual.
    ///
    /// # Errors
    ///
    /// As [`open_reader`](Self::open_reader).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let reader = fifo.try_open_reader()?; // no writer needed
    /// let writer = fifo.try_open_writer()?; // succeeds: a reader is there
    /// writer.write_all(b"x")?;
    /// assert_eq!(reader.read(&mut [0; 1])?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_open_reader(&self) -> Result<Reader> {
        self.open_end(End::Read, Wait::NonBlocking, "try_open_reader")
            .map(Reader::from)
    }

    /// Opens the read end, waiting at most `timeout` for a writer.
    ///
    /// Nothing tells a process that a writer has opened a FIFO, so the blocking `open` runs
    /// on a helper thread (named `ipc-pipe-fifo-open`). When time runs out, this thread
    /// releases the helper by opening the FIFO for reading and writing without blocking (Linux
    /// allows it: "opening a FIFO for read and write will succeed both in blocking and
    /// nonblocking mode"), closes both descriptors, and waits for the helper to finish, so no
    /// descriptor and no thread outlive the call.
    ///
    /// That release is briefly a writer and a reader of the FIFO to every other process:
    /// another process blocked opening it (either end) at that moment is let through, and
    /// then finds the FIFO's other side closed again (end of input, or `PeerGone` on its
    /// first write), as it would after any peer that came and went. A writer that opens the
    /// FIFO at the very moment time runs out is treated the same way.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::TimedOut`] when no writer opened the FIFO in time;
    /// - [`ErrorKind::Unsupported`] when this process may open the FIFO for reading but not
    ///   for writing, which the release needs (use [`try_open_reader`](Self::try_open_reader)
    ///   and a bounded read instead);
    /// - [`ErrorKind::LimitReached`] or [`ErrorKind::Other`] when the helper thread cannot be
    ///   started (the thread limits: `RLIMIT_NPROC`, `/proc/sys/kernel/threads-max`);
    /// - the errors of [`open_reader`](Self::open_reader).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let err = fifo.open_reader_timeout(Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_reader_timeout(&self, timeout: Duration) -> Result<Reader> {
        self.open_end(End::Read, Wait::timeout(timeout), "open_reader_timeout")
            .map(Reader::from)
    }

    /// Opens the read end, waiting until `deadline` at the latest for a writer, as
    /// [`open_reader_timeout`](Self::open_reader_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`open_reader_timeout`](Self::open_reader_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// assert!(fifo.open_reader_deadline(Instant::now() + Duration::from_millis(5)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_reader_deadline(&self, deadline: Instant) -> Result<Reader> {
        self.open_end(End::Read, Wait::deadline(deadline), "open_reader_deadline")
            .map(Reader::from)
    }

    /// Opens the write end, blocking until a reader opens the FIFO (`open(O_WRONLY)`).
    ///
    /// # Errors
    ///
    /// As [`open_reader`](Self::open_reader).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let _reader = fifo.try_open_reader()?;
    /// let writer = fifo.open_writer()?; // a reader is there: returns at once
    /// writer.write_all(b"x")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_writer(&self) -> Result<Writer> {
        self.open_end(End::Write, Wait::Forever, "open_writer")
            .map(Writer::from)
    }

    /// Opens the write end only if a reader has the FIFO open now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerGone`] when no process has the FIFO open for reading (`ENXIO`); the
    /// errors of [`open_writer`](Self::open_writer).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// assert_eq!(fifo.try_open_writer().unwrap_err().kind(), ErrorKind::PeerGone);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_open_writer(&self) -> Result<Writer> {
        self.open_end(End::Write, Wait::NonBlocking, "try_open_writer")
            .map(Writer::from)
    }

    /// Opens the write end, waiting at most `timeout` for a reader.
    ///
    /// A non-blocking open for writing fails (`ENXIO`) while no reader has the FIFO open, and
    /// has no other effect, so this call retries one at growing intervals, 16 ms apart at the
    /// longest, until a reader is there or time runs out. A reader blocked opening the FIFO
    /// counts: it is let through when this call's open succeeds. No thread is started, and
    /// only write permission is needed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] when no reader opened the FIFO in time; the errors of
    /// [`open_writer`](Self::open_writer).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// let err = fifo.open_writer_timeout(Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_writer_timeout(&self, timeout: Duration) -> Result<Writer> {
        self.open_end(End::Write, Wait::timeout(timeout), "open_writer_timeout")
            .map(Writer::from)
    }

    /// Opens the write end, waiting until `deadline` at the latest for a reader, as
    /// [`open_writer_timeout`](Self::open_writer_timeout) does.
    ///
    /// # Errors
    ///
    /// As [`open_writer_timeout`](Self::open_writer_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let fifo = ipc_pipe::Fifo::create_new(dir.path().join("f"))?;
    /// assert!(fifo.open_writer_deadline(Instant::now() + Duration::from_millis(5)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_writer_deadline(&self, deadline: Instant) -> Result<Writer> {
        self.open_end(End::Write, Wait::deadline(deadline), "open_writer_deadline")
            .map(Writer::from)
    }

    fn open_end(&self, end: End, wait: Wait, operation: &'static str) -> Result<OwnedFd> {
        let (node, stat) = self.revalidate(operation)?;
        let target = Target {
            node: Arc::new(node),
            path: self.path().to_owned(),
            identity: (stat.st_dev, stat.st_ino),
        };
        let outcome = match (wait, end) {
            (Wait::Forever, _) => open_blocking(&target, end),
            (Wait::NonBlocking, _) => open_now(&target, end),
            (Wait::Until(deadline), _) if deadline.remaining().is_none() => {
                open_blocking(&target, end)
            }
            (Wait::Until(deadline), End::Write) => open_writer_polling(&target, deadline),
            (Wait::Until(deadline), End::Read) => open_reader_bounded(&target, deadline),
        };
        outcome.map_err(|failure| self.open_error(operation, end, failure))
    }

    fn open_error(&self, operation: &'static str, end: End, failure: Failure) -> Error {
        let path = self.path();
        match failure {
            // fifo(7): "opening for write-only fails with ENXIO … unless the other end has
            // already been opened."
            Failure::Os(errno @ Errno::NXIO) => {
                Error::from_errno_as(ErrorKind::PeerGone, operation, path, errno)
                    .with_detail("no process has the FIFO open for reading")
            }
            Failure::Os(errno @ Errno::TIMEDOUT) => {
                Error::from_errno_as(ErrorKind::TimedOut, operation, path, errno).with_detail(
                    match end {
                        End::Read => "no writer opened the FIFO before the deadline",
                        End::Write => "no reader opened the FIFO before the deadline",
                    },
                )
            }
            // Only an open by path (without /proc) meets a symbolic link here.
            Failure::Os(errno @ Errno::LOOP) => {
                Error::from_errno_as(ErrorKind::PermissionDenied, operation, path, errno)
                    .with_detail("is a symbolic link; FIFOs are opened with O_NOFOLLOW")
            }
            Failure::Os(errno) => Error::from_errno_creating_fd(operation, path, errno),
            Failure::Replaced => replaced(operation, path),
            Failure::CannotRelease => Error::new(ErrorKind::Unsupported, operation)
                .with_object(path)
                .with_detail(
                    "a bounded open for reading needs write permission too, to end its wait \
                     when time runs out; use try_open_reader and a bounded read instead",
                ),
            Failure::Spawn(error) => spawn_error(operation, path, &error),
        }
    }
}

/// The error of a helper thread that could not be started. `pthread_create(3)` fails with
/// `EAGAIN` at a thread limit, which must not pass for the `WouldBlock` of a `try_` call.
fn spawn_error(operation: &'static str, path: &Path, error: &io::Error) -> Error {
    const WHY: &str = "could not start the helper thread a bounded open for reading waits in";
    match error.raw_os_error().map(Errno::from_raw_os_error) {
        // pthread_create(3): "EAGAIN … A system-imposed limit on the number of threads was
        // encountered", RLIMIT_NPROC first among them (threads-max and pid_max are the others).
        Some(errno @ Errno::AGAIN) => {
            let limit = ipc_core::Limit::new("RLIMIT_NPROC", ipc_core::LimitScope::PerProcess);
            let current = rustix::process::getrlimit(rustix::process::Resource::Nproc).current;
            Error::from_errno_as(ErrorKind::LimitReached, operation, path, errno)
                .with_detail(WHY)
                .with_limit(match current {
                    Some(value) => limit.with_current(value),
                    None => limit,
                })
        }
        Some(errno) => {
            Error::from_errno_as(ErrorKind::Other, operation, path, errno).with_detail(WHY)
        }
        None => Error::new(ErrorKind::Other, operation)
            .with_object(path)
            .with_detail(format!("{WHY}: {error}")),
    }
}

/// Why opening an end failed.
#[derive(Debug)]
enum Failure {
    /// The OS error of an open.
    Os(Errno),
    /// Opened by path, the end turned out to be another node than the one validated.
    Replaced,
    /// A bounded open for reading could not end its own wait: no write permission.
    CannotRelease,
    /// The helper thread of a bounded open for reading could not be started.
    Spawn(io::Error),
}

impl From<Errno> for Failure {
    fn from(errno: Errno) -> Self {
        Self::Os(errno)
    }
}

/// What opening an end returns.
type Opened = std::result::Result<OwnedFd, Failure>;

/// The validated node to open an end of: its `O_PATH` descriptor, reached through its
/// `/proc/self/fd` link, and for systems without `/proc`, its path and identity. A helper
/// thread holds a clone, so the descriptor (and the link) stays valid as long as it may open.
#[derive(Debug, Clone)]
struct Target {
    node: Arc<OwnedFd>,
    path: PathBuf,
    /// Device and inode of the validated node.
    identity: (u64, u64),
}

impl Target {
    /// Opens the node with `flags` (close-on-exec added), retrying `EINTR`.
    fn open(&self, flags: OFlags) -> Opened {
        let flags = flags | OFlags::CLOEXEC;
        let link = self.link();
        match Wait::Forever.retry(|_| rustix::fs::open(link.as_str(), flags, Mode::empty())) {
            // The O_PATH descriptor behind the link is open, so a missing link means /proc is
            // not mounted.
            Err(Errno::NOENT) if !proc_mounted() => self.open_by_path(flags),
            result => Ok(result?),
        }
    }

    /// Opens the path itself, never following a symbolic link, and keeps the descriptor only
    /// if it is the validated node. The path is checked first too, so that a node swapped in
    /// meanwhile (a device, say) is not even opened.
    fn open_by_path(&self, flags: OFlags) -> Opened {
        let before = rustix::fs::lstat(&self.path)?;
        if (before.st_dev, before.st_ino) != self.identity {
            return Err(Failure::Replaced);
        }
        let fd = Wait::Forever
            .retry(|_| rustix::fs::open(&self.path, flags | OFlags::NOFOLLOW, Mode::empty()))?;
        let stat = rustix::fs::fstat(&fd)?;
        if (stat.st_dev, stat.st_ino) != self.identity {
            return Err(Failure::Replaced);
        }
        Ok(fd)
    }

    /// Whether this process may open the node for writing (effective ids, as `open` checks).
    fn writable(&self) -> bool {
        let link = rustix::fs::accessat(
            CWD,
            self.link().as_str(),
            Access::WRITE_OK,
            AtFlags::EACCESS,
        );
        match link {
            Err(Errno::NOENT) if !proc_mounted() => rustix::fs::accessat(
                CWD,
                &self.path,
                Access::WRITE_OK,
                AtFlags::EACCESS | AtFlags::SYMLINK_NOFOLLOW,
            )
            .is_ok(),
            result => result.is_ok(),
        }
    }

    /// The node's `/proc/self/fd` link.
    fn link(&self) -> String {
        format!("/proc/self/fd/{}", self.node.as_raw_fd())
    }
}

/// Whether `/proc/self/fd` is there to reach a descriptor's file through.
fn proc_mounted() -> bool {
    rustix::fs::access("/proc/self/fd", Access::EXISTS).is_ok()
}

/// Opens `end`, blocking until the other end is open.
fn open_blocking(target: &Target, end: End) -> Opened {
    target.open(end.access())
}

/// Opens `end` without waiting, then clears `O_NONBLOCK`, so the end behaves like any other
/// (the `try_` methods of the ends never need the flag).
fn open_now(target: &Target, end: End) -> Opened {
    let fd = target.open(end.access() | OFlags::NONBLOCK)?;
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags & !OFlags::NONBLOCK)?;
    Ok(fd)
}

/// Opens the write end, retrying a non-blocking open at growing intervals until a reader is
/// there or `deadline` passes.
fn open_writer_polling(target: &Target, deadline: Deadline) -> Opened {
    let mut backoff = Backoff::new(Duration::from_millis(1), LONGEST_PAUSE, deadline);
    loop {
        match open_now(target, End::Write) {
            Err(Failure::Os(Errno::NXIO)) => {}
            result => return result,
        }
        if !backoff.pause() {
            return Err(Failure::Os(Errno::TIMEDOUT));
        }
    }
}

/// Opens the read end, waiting until `deadline` for a writer: the blocking open runs on a
/// helper thread, which this thread releases if time runs out (see
/// [`Fifo::open_reader_timeout`]).
fn open_reader_bounded(target: &Target, deadline: Deadline) -> Opened {
    // Without write permission the wait could not be ended: refuse before it starts.
    if !target.writable() {
        return Err(Failure::CannotRelease);
    }
    // The release needs a descriptor of its own when time runs out; one is set aside now, so
    // that a process at its descriptor limit learns it before the wait, not after.
    let spare = rustix::io::fcntl_dupfd_cloexec(&*target.node, 0)?;
    let (sender, receiver) = mpsc::channel();
    let helper_target = target.clone();
    let helper = std::thread::Builder::new()
        .name(HELPER_NAME.to_owned())
        .spawn(move || {
            let _ = sender.send(open_blocking(&helper_target, End::Read));
        })
        .map_err(Failure::Spawn)?;
    let timeout = deadline.remaining().unwrap_or(Duration::ZERO);
    let (outcome, finished) = match receiver.recv_timeout(timeout) {
        Ok(result) => (result, true),
        Err(_) => release(&receiver, target, spare),
    };
    if finished {
        // The helper has sent its result, its last act.
        let _ = helper.join();
    }
    outcome
}

/// Ends the wait of a helper whose time ran out: returns the outcome, and whether the helper
/// finished (it is joined then; otherwise it is left to end on its own).
fn release(receiver: &Receiver<Opened>, target: &Target, spare: OwnedFd) -> (Opened, bool) {
    // The helper's open may have completed just as time ran out: a real writer came, and the
    // end is kept.
    match receiver.try_recv() {
        Ok(result) => return (result, true),
        Err(TryRecvError::Disconnected) => return (Err(Failure::Os(Errno::TIMEDOUT)), true),
        Err(TryRecvError::Empty) => {}
    }
    // Its number is free again for the release's open.
    drop(spare);
    let mut release = None;
    loop {
        if release.is_none() {
            // fifo(7): "Under Linux, opening a FIFO for read and write will succeed both in
            // blocking and nonblocking mode." It counts as a writer, so the helper's open
            // returns, whether it is blocked in open() already or reaches it later (it then
            // finds a writer and does not block). Failing that, a non-blocking open for
            // writing does the same once the helper is in open() (before, it is ENXIO).
            let opened = target
                .open(OFlags::RDWR | OFlags::NONBLOCK)
                .or_else(|_| target.open(OFlags::WRONLY | OFlags::NONBLOCK));
            match opened {
                Ok(fd) => release = Some(fd),
                // Write permission was withdrawn during the wait, or (without /proc) another
                // node replaced the FIFO at its path: the helper cannot be released, and stays
                // blocked until a writer comes, then closes its end.
                Err(Failure::Os(Errno::ACCESS | Errno::PERM) | Failure::Replaced) => {
                    return (Err(Failure::Os(Errno::TIMEDOUT)), false);
                }
                // Another thread took the spare descriptor's number, or the helper is not in
                // open() yet: try again after the pause.
                Err(_) => {}
            }
        }
        match receiver.recv_timeout(RELEASE_PAUSE) {
            // Released, or let through by a writer that came after the deadline: the two
            // cannot be told apart, and the end is closed either way.
            Ok(_) | Err(RecvTimeoutError::Disconnected) => {
                return (Err(Failure::Os(Errno::TIMEDOUT)), true);
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}
