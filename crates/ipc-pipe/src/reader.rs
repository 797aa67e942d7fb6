//! The read end of a pipe or FIFO.

use std::fmt;
use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ipc_core::{Error, Result, Wait};
use rustix::event::PollFlags;
use rustix::fs::OFlags;
use rustix::io::Errno;

use crate::end::{self, NonBlockingTwin, object};
use crate::sys::rw;

/// The read end of a pipe or FIFO.
///
/// `read` returns `Ok(0)` at end of input: once every write end is closed and the data that
/// was in the pipe has been read (`pipe(7)`: "If all file descriptors referring to the write
/// end of a pipe have been closed, then an attempt to read(2) from the pipe will see
/// end-of-file").
///
/// Every blocking read has a non-blocking form (`try_read`, failing with
/// [`ErrorKind::WouldBlock`](ipc_core::ErrorKind::WouldBlock) while writers remain and the pipe
/// is empty) and bounded forms (`read_timeout`, `read_deadline`). The non-blocking forms use
/// `RWF_NOWAIT`, so they never block even though the descriptor stays in blocking mode for any
/// process that shares it.
///
/// `Reader` is `Send` and `Sync`: it owns a descriptor, and the kernel serialises concurrent
/// `read(2)` calls on it.
///
/// # Close-on-exec
///
/// Ends made by this crate are close-on-exec; pass one to a child with `Command::stdin`
/// (via `Stdio::from`) or by clearing the flag in the child.
///
/// # Examples
///
/// ```
/// let (reader, writer) = ipc_pipe::pipe()?;
/// writer.write_all(b"ping")?;
/// let mut buf = [0; 16];
/// let n = reader.read(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub struct Reader {
    fd: OwnedFd,
    /// The non-blocking twin for descriptors that refuse `RWF_NOWAIT`.
    twin: NonBlockingTwin,
}

impl Reader {
    /// Reads what is available into `buf`, blocking while the pipe is empty and a writer
    /// remains; `Ok(0)` at end of input (or for an empty `buf`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`](ipc_core::ErrorKind::WouldBlock) when `O_NONBLOCK` was set
    /// with [`set_nonblocking`](Self::set_nonblocking) and the pipe is empty; other kinds from
    /// the OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// drop(writer);
    /// assert_eq!(reader.read(&mut [0; 8])?, 0, "no writer left: end of input");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        Wait::Forever
            .retry(|_| rustix::io::read(&self.fd, &mut *buf))
            .map_err(|errno| self.error("read", errno))
    }

    /// Reads what is available without blocking; `Ok(0)` at end of input.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the pipe is empty and a
    /// writer remains; the errors of [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// assert_eq!(reader.try_read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> Result<usize> {
        self.read_bounded("try_read", buf, Wait::NonBlocking)
    }

    /// Reads what is available, waiting at most `timeout` for data; `Ok(0)` at end of input.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`](ipc_core::ErrorKind::TimedOut) when no data came in time; the
    /// errors of [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// let err = reader.read_timeout(&mut [0; 8], Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read_timeout(&self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        self.read_bounded("read_timeout", buf, Wait::timeout(timeout))
    }

    /// Reads what is available, waiting until `deadline` at the latest; `Ok(0)` at end of
    /// input.
    ///
    /// # Errors
    ///
    /// As [`read_timeout`](Self::read_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(b"x")?;
    /// let n = reader.read_deadline(&mut [0; 8], Instant::now() + Duration::from_secs(1))?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read_deadline(&self, buf: &mut [u8], deadline: Instant) -> Result<usize> {
        self.read_bounded("read_deadline", buf, Wait::deadline(deadline))
    }

    /// Reads into several buffers in one call (`readv`), blocking like [`read`](Self::read).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSliceMut;
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(b"headbody")?;
    /// let (mut head, mut body) = ([0; 4], [0; 4]);
    /// let n = reader.read_vectored(&mut [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)])?;
    /// assert_eq!((n, &head, &body), (8, b"head", b"body"));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "readv")]
    pub fn read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        Wait::Forever
            .retry(|_| rustix::io::readv(&self.fd, bufs))
            .map_err(|errno| self.error("readv", errno))
    }

    /// The pipe's capacity in bytes (`F_GETPIPE_SZ`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when the descriptor
    /// is not a pipe.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// assert!(reader.capacity()? >= ipc_pipe::PIPE_BUF);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_GETPIPE_SZ")]
    pub fn capacity(&self) -> Result<usize> {
        end::capacity(self.fd.as_fd())
    }

    /// Asks for a capacity of at least `bytes` (`F_SETPIPE_SZ`); see
    /// [`Writer::set_capacity`](crate::Writer::set_capacity).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitReached`](ipc_core::ErrorKind::LimitReached) above
    /// `/proc/sys/fs/pipe-max-size` without `CAP_SYS_RESOURCE`;
    /// [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) below the data the
    /// pipe holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// assert_eq!(reader.set_capacity(4096)?, 4096);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_SETPIPE_SZ")]
    pub fn set_capacity(&self, bytes: usize) -> Result<usize> {
        end::set_capacity(self.fd.as_fd(), bytes)
    }

    /// Sets or clears `O_NONBLOCK` on the open file description (shared with any process that
    /// has this end); prefer [`try_read`](Self::try_read), which never needs it.
    ///
    /// # Errors
    ///
    /// The OS error of `fcntl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// reader.set_nonblocking(true)?;
    /// assert_eq!(reader.read(&mut [0; 8]).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        end::set_nonblocking(self.fd.as_fd(), nonblocking)
    }

    /// Whether `O_NONBLOCK` is set.
    ///
    /// # Errors
    ///
    /// The OS error of `fcntl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// assert!(!reader.is_nonblocking()?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_nonblocking(&self) -> Result<bool> {
        end::is_nonblocking(self.fd.as_fd())
    }

    /// A second handle to the same end (`F_DUPFD_CLOEXEC`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitReached`](ipc_core::ErrorKind::LimitReached) when the process is out
    /// of descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// let _second = reader.try_clone()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<Self> {
        self.fd
            .try_clone()
            .map(Self::from)
            .map_err(|e| Error::from_io("dup", object(self.fd.as_fd()), e))
    }

    /// The bounded and non-blocking read shared by `try_read`, `read_timeout` and
    /// `read_deadline`: a `RWF_NOWAIT` read, and on `EAGAIN` a wait for `POLLIN` with the time
    /// left. `POLLHUP` (no writer left) also ends the wait; the next read then returns 0.
    fn read_bounded(&self, operation: &'static str, buf: &mut [u8], wait: Wait) -> Result<usize> {
        let fd = self.fd.as_fd();
        let result = loop {
            if let Some(twin) = self.twin.get() {
                // The twin reads end of input at once while no writer has ever opened a FIFO,
                // so readiness is asked first: poll(2) waits for data, or for POLLHUP once
                // writers have come and gone.
                if let Err(errno) = ipc_core::wait_ready(fd, PollFlags::IN, wait) {
                    break Err(errno);
                }
                match Wait::Forever.retry(|_| rustix::io::read(twin, &mut *buf)) {
                    // Another reader took the data first.
                    Err(Errno::AGAIN) => continue,
                    result => break result,
                }
            }
            match Wait::Forever.retry(|_| rw::read_nowait(fd, buf)) {
                // preadv2(2): "EOPNOTSUPP … RWF_NOWAIT … the file does not support it": read
                // through a private non-blocking twin instead.
                Err(Errno::OPNOTSUPP) => match self.twin.open(fd, OFlags::RDONLY) {
                    Ok(_) => continue,
                    Err(errno) => break Err(errno),
                },
                Err(Errno::AGAIN) => {}
                result => break result,
            }
            if let Err(errno) = ipc_core::wait_ready(fd, PollFlags::IN, wait) {
                break Err(errno);
            }
        };
        result.map_err(|errno| self.error(operation, errno))
    }

    fn error(&self, operation: &'static str, errno: Errno) -> Error {
        let err = Error::from_errno(operation, object(self.fd.as_fd()), errno);
        match errno {
            Errno::TIMEDOUT => err.with_detail("no data arrived before the deadline"),
            _ => err,
        }
    }
}

impl io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Reader::read(self, buf).map_err(io::Error::from)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Reader::read_vectored(self, bufs).map_err(io::Error::from)
    }
}

impl io::Read for &Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Reader::read(self, buf).map_err(io::Error::from)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        Reader::read_vectored(self, bufs).map_err(io::Error::from)
    }
}

impl AsFd for Reader {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Reader {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Wraps a descriptor that is the read end of a pipe or FIFO. Nothing is checked: reads on
/// another kind of descriptor fail with that descriptor's errors.
impl From<OwnedFd> for Reader {
    fn from(fd: OwnedFd) -> Self {
        Self {
            fd,
            twin: NonBlockingTwin::default(),
        }
    }
}

impl From<Reader> for OwnedFd {
    fn from(reader: Reader) -> Self {
        reader.fd
    }
}

/// Hands the end to a child process as its stdin.
impl From<Reader> for Stdio {
    fn from(reader: Reader) -> Self {
        Stdio::from(reader.fd)
    }
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}
