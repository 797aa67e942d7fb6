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
//! replaced meanwhile.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Result, Wait};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::node::Fifo;
use crate::{Reader, Writer};

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

    fn opposite(self) -> Self {
        match self {
            Self::Read => Self::Write,
            Self::Write => Self::Read,
        }
    }
}

impl Fifo {
    /// Opens the read end, blocking until a writer opens the FIFO (`open(O_RDONLY)`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NotFound`] when the node was removed; [`ErrorKind::WrongObjectType`] or
    /// [`ErrorKind::PermissionDenied`] when the path no longer names a FIFO; the kinds of
    /// `open(2)`'s errors otherwise.
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
        self.open_end(End::Read, Wait::Forever, "fifo_open_reader")
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
        self.open_end(End::Read, Wait::NonBlocking, "fifo_try_open_reader")
            .map(Reader::from)
    }

    /// Opens the read end, waiting at most `timeout` for a writer.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] when no writer opened the FIFO in time; the errors of
    /// [`open_reader`](Self::open_reader).
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
        self.open_end(End::Read, Wait::timeout(timeout), "fifo_open_reader")
            .map(Reader::from)
    }

    /// Opens the read end, waiting until `deadline` at the latest for a writer.
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
        self.open_end(End::Read, Wait::deadline(deadline), "fifo_open_reader")
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
        self.open_end(End::Write, Wait::Forever, "fifo_open_writer")
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
        self.open_end(End::Write, Wait::NonBlocking, "fifo_try_open_writer")
            .map(Writer::from)
    }

    /// Opens the write end, waiting at most `timeout` for a reader.
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
        self.open_end(End::Write, Wait::timeout(timeout), "fifo_open_writer")
            .map(Writer::from)
    }

    /// Opens the write end, waiting until `deadline` at the latest for a reader.
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
        self.open_end(End::Write, Wait::deadline(deadline), "fifo_open_writer")
            .map(Writer::from)
    }

    fn open_end(&self, end: End, wait: Wait, operation: &'static str) -> Result<OwnedFd> {
        let (node, _) = self.revalidate()?;
        let link = format!("/proc/self/fd/{}", node.as_raw_fd());
        let error = |errno: Errno| self.open_error(operation, end, errno);
        match wait {
            Wait::Forever => open_blocking(&link, end).map_err(error),
            Wait::NonBlocking => open_now(&link, end).map_err(error),
            Wait::Until(deadline) => {
                // A writer can tell at once whether a reader is there; only a missing peer
                // needs the wait.
                if end == End::Write {
                    match open_now(&link, end) {
                        Err(Errno::NXIO) => {}
                        result => return result.map_err(error),
                    }
                }
                let Some(timeout) = deadline.remaining() else {
                    return open_blocking(&link, end).map_err(error);
                };
                open_bounded(link, end, timeout).map_err(error)
            }
        }
    }

    fn open_error(&self, operation: &'static str, end: End, errno: Errno) -> Error {
        let path = self.path();
        match errno {
            // fifo(7): "opening for write-only fails with ENXIO … unless the other end has
            // already been opened."
            Errno::NXIO => Error::from_errno_as(ErrorKind::PeerGone, operation, path, errno)
                .with_detail("no process has the FIFO open for reading"),
            Errno::TIMEDOUT => Error::from_errno_as(ErrorKind::TimedOut, operation, path, errno)
                .with_detail(match end {
                    End::Read => "no writer opened the FIFO before the deadline",
                    End::Write => "no reader opened the FIFO before the deadline",
                }),
            _ => Error::from_errno_creating_fd(operation, path, errno),
        }
    }
}

/// Opens `end` of the FIFO behind `link`, blocking until the other end is open.
fn open_blocking(link: &str, end: End) -> rustix::io::Result<OwnedFd> {
    Wait::Forever.retry(|_| rustix::fs::open(link, end.access() | OFlags::CLOEXEC, Mode::empty()))
}

/// Opens `end` without waiting, then clears `O_NONBLOCK`, so the end behaves like any other
/// (the `try_` methods of the ends never need the flag).
fn open_now(link: &str, end: End) -> rustix::io::Result<OwnedFd> {
    let fd = Wait::Forever.retry(|_| {
        rustix::fs::open(
            link,
            end.access() | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
    })?;
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags & !OFlags::NONBLOCK)?;
    Ok(fd)
}

/// Opens `end`, waiting at most `timeout` for the other end.
///
/// No descriptor reports that a peer has opened a FIFO, so the blocking `open` runs on a helper
/// thread. When time runs out, this thread opens the opposite end without blocking, which
/// satisfies the helper's `open` (the kernel counts the helper as a reader or writer while it
/// waits), closes both, and reports `ETIMEDOUT`. A real peer arriving at that same instant sees
/// the end close again, as it would after any timeout.
fn open_bounded(link: String, end: End, timeout: Duration) -> rustix::io::Result<OwnedFd> {
    let (sender, receiver) = mpsc::channel();
    let helper_link = link.clone();
    let helper = std::thread::Builder::new()
        .name("ipc-pipe-fifo-open".to_owned())
        .spawn(move || {
            let _ = sender.send(open_blocking(&helper_link, end));
        })
        .map_err(|_| Errno::AGAIN)?;
    let outcome = match receiver.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => {
            let release = open_now(&link, end.opposite());
            let abandoned = receiver.recv();
            drop(release);
            drop(abandoned);
            Err(Errno::TIMEDOUT)
        }
    };
    let _ = helper.join();
    outcome
}
