//! The write end of a pipe or FIFO.

use std::fmt;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Result, Wait};
use rustix::event::PollFlags;
use rustix::fs::OFlags;
use rustix::io::Errno;

use crate::end::{self, NonBlockingTwin, object};
use crate::sys::rw;

/// The largest write the kernel performs atomically: `PIPE_BUF`, 4096 bytes on Linux.
///
/// `pipe(7)`: "POSIX.1 says that writes of less than PIPE_BUF bytes must be atomic: the output
/// data is written to the pipe as a contiguous sequence. Writes of more than PIPE_BUF bytes may
/// be nonatomic: the kernel may interleave the data with data written by other processes."
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_pipe::PIPE_BUF, 4096);
/// ```
pub const PIPE_BUF: usize = rustix::pipe::PIPE_BUF;

/// The write end of a pipe or FIFO.
///
/// Writes never raise `SIGPIPE`: a write with no reader left fails with
/// [`ErrorKind::PeerGone`], whatever disposition the host program gave the signal.
///
/// Every blocking write has a non-blocking form (`try_…`, failing with
/// [`ErrorKind::WouldBlock`]) and bounded forms (`…_timeout`, `…_deadline`, failing with
/// [`ErrorKind::TimedOut`]). The non-blocking forms use `RWF_NOWAIT`, so they never block even
/// though the descriptor stays in blocking mode for any process that shares it.
///
/// `Writer` is `Send` and `Sync`: it owns a descriptor, and concurrent `write(2)` calls on one
/// descriptor are serialised by the kernel (writes of at most [`PIPE_BUF`] bytes never
/// interleave).
///
/// # SIGPIPE
///
/// Writes go through `pwritev2(…, RWF_NOSIGNAL)`, so a write to a pipe with no reader fails with
/// `EPIPE` and raises no signal, whatever `SIGPIPE`'s disposition is or becomes. On kernels
/// without the flag (before 6.18), each write blocks `SIGPIPE` in the calling thread and
/// consumes the signal instead; [`SigpipeGuard`](crate::SigpipeGuard) says which is in use.
///
/// # Close-on-exec
///
/// Ends made by this crate are close-on-exec; pass one to a child with `Command::stdin` /
/// `stdout` (via `Stdio::from`) or by clearing the flag in the child.
///
/// # Examples
///
/// ```
/// use std::io::Read;
///
/// let (mut reader, writer) = ipc_pipe::pipe()?;
/// writer.write_all(b"hello")?;
/// drop(writer);
/// let mut text = String::new();
/// reader.read_to_string(&mut text)?;
/// assert_eq!(text, "hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Writer {
    fd: OwnedFd,
    /// The non-blocking twin for descriptors that refuse `RWF_NOWAIT`.
    twin: NonBlockingTwin,
}

impl Writer {
    /// Writes some of `buf`, blocking until there is room; returns how many bytes were written.
    ///
    /// A write of at most [`PIPE_BUF`] bytes is all or nothing; a larger one may be partial.
    /// If `O_NONBLOCK` was set with [`set_nonblocking`](Self::set_nonblocking), a full pipe
    /// fails with `WouldBlock` instead of blocking.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerGone`] when no reader has the pipe open; [`ErrorKind::WouldBlock`] when
    /// the end is non-blocking and the pipe is full; other kinds from the OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// assert_eq!(writer.write(b"abc")?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write(&self, buf: &[u8]) -> Result<usize> {
        Wait::Forever
            .retry(|_| rw::write(self.fd.as_fd(), &[IoSlice::new(buf)], false))
            .map_err(|errno| self.error("write", errno))
    }

    /// Writes all of `buf`, blocking as needed.
    ///
    /// A `buf` of at most [`PIPE_BUF`] bytes goes in one atomic write; a larger one in several,
    /// which other writers' data may interleave.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write). If an error ends the loop after part of `buf` went out, the
    /// error's detail says how many bytes were written, so nothing is lost silently.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(&[7; 10_000])?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_all(&self, buf: &[u8]) -> Result<()> {
        let mut written = 0;
        while written < buf.len() {
            let rest = [IoSlice::new(&buf[written..])];
            written += Wait::Forever
                .retry(|_| rw::write(self.fd.as_fd(), &rest, false))
                .map_err(|errno| self.partial_error("write", errno, written, buf.len()))?;
        }
        Ok(())
    }

    /// Writes some of `buf` without blocking.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when the pipe has no room now (for a write of at most
    /// [`PIPE_BUF`] bytes: no room for all of it); the errors of [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let capacity = writer.capacity()?;
    /// writer.write_all(&vec![0; capacity])?;
    /// assert_eq!(writer.try_write(b"x").unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> Result<usize> {
        self.write_bounded("try_write", buf, Wait::NonBlocking)
    }

    /// Writes some of `buf`, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] when no byte could be written in time; the errors of
    /// [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// assert_eq!(writer.write_timeout(b"abc", Duration::from_secs(1))?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_timeout(&self, buf: &[u8], timeout: Duration) -> Result<usize> {
        self.write_bounded("write_timeout", buf, Wait::timeout(timeout))
    }

    /// Writes some of `buf`, waiting until `deadline` at the latest for room.
    ///
    /// # Errors
    ///
    /// As [`write_timeout`](Self::write_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_deadline(b"abc", Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_deadline(&self, buf: &[u8], deadline: Instant) -> Result<usize> {
        self.write_bounded("write_deadline", buf, Wait::deadline(deadline))
    }

    /// Writes `message` in one atomic write, blocking until the pipe has room for all of it.
    ///
    /// Readers see the message contiguous, never interleaved with other writers' data.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MessageTooLarge`] for a message longer than [`PIPE_BUF`], before anything
    /// is written (it is never split silently); the errors of [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_atomic(b"one whole record")?;
    /// let too_big = vec![0; ipc_pipe::PIPE_BUF + 1];
    /// assert_eq!(writer.write_atomic(&too_big).unwrap_err().kind(), ErrorKind::MessageTooLarge);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_atomic(&self, message: &[u8]) -> Result<()> {
        self.check_atomic("write_atomic", message)?;
        let written = self.write(message)?;
        self.check_whole("write_atomic", written, message.len())
    }

    /// Writes `message` atomically if the pipe has room for all of it now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when it does not fit now (nothing is written);
    /// the errors of [`write_atomic`](Self::write_atomic).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.try_write_atomic(b"record")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_write_atomic(&self, message: &[u8]) -> Result<()> {
        self.check_atomic("try_write_atomic", message)?;
        let written = self.write_bounded("try_write_atomic", message, Wait::NonBlocking)?;
        self.check_whole("try_write_atomic", written, message.len())
    }

    /// Writes `message` atomically, waiting at most `timeout` for room for all of it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] when there was no room in time (nothing is written); the errors
    /// of [`write_atomic`](Self::write_atomic).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_atomic_timeout(b"record", Duration::from_millis(100))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_atomic_timeout(&self, message: &[u8], timeout: Duration) -> Result<()> {
        self.check_atomic("write_atomic_timeout", message)?;
        let written =
            self.write_bounded("write_atomic_timeout", message, Wait::timeout(timeout))?;
        self.check_whole("write_atomic_timeout", written, message.len())
    }

    /// Writes from several buffers in one call (`writev`), blocking until there is room.
    ///
    /// When the buffers total at most [`PIPE_BUF`] bytes the write is atomic, which makes this
    /// the way to send a header and a body as one record.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let n = writer.write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")])?;
    /// assert_eq!(n, 8);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "writev")]
    pub fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        Wait::Forever
            .retry(|_| rw::write(self.fd.as_fd(), bufs, false))
            .map_err(|errno| self.error("writev", errno))
    }

    /// The pipe's capacity in bytes (`F_GETPIPE_SZ`); 65536 by default on Linux.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] when the descriptor is not a pipe.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// assert!(writer.capacity()? >= ipc_pipe::PIPE_BUF);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_GETPIPE_SZ")]
    pub fn capacity(&self) -> Result<usize> {
        end::capacity(self.fd.as_fd())
    }

    /// Asks for a capacity of at least `bytes` (`F_SETPIPE_SZ`) and returns what was granted
    /// (the kernel rounds up to a power-of-two number of pages).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitReached`] above `/proc/sys/fs/pipe-max-size` (or the per-user page
    /// limit) for a process without `CAP_SYS_RESOURCE`, naming the limit and its value;
    /// [`ErrorKind::InvalidArgument`] below the data the pipe holds now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// assert!(writer.set_capacity(1 << 17)? >= 1 << 17);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "F_SETPIPE_SZ")]
    pub fn set_capacity(&self, bytes: usize) -> Result<usize> {
        end::set_capacity(self.fd.as_fd(), bytes)
    }

    /// Sets or clears `O_NONBLOCK`. The flag belongs to the open file description, so it also
    /// changes the behaviour of any process that shares this end; prefer the `try_` forms,
    /// which never need it.
    ///
    /// # Errors
    ///
    /// The OS error of `fcntl(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.set_nonblocking(true)?;
    /// assert!(writer.is_nonblocking()?);
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
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// assert!(!writer.is_nonblocking()?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_nonblocking(&self) -> Result<bool> {
        end::is_nonblocking(self.fd.as_fd())
    }

    /// A second handle to the same end (`F_DUPFD_CLOEXEC`). The reader sees end of input only
    /// when every handle is closed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LimitReached`] when the process is out of descriptors.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let second = writer.try_clone()?;
    /// second.write_all(b"via the clone")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<Self> {
        self.fd
            .try_clone()
            .map(Self::from)
            .map_err(|e| Error::from_io("dup", object(self.fd.as_fd()), e))
    }

    /// The bounded and non-blocking write shared by the `try_`, `_timeout` and `_deadline`
    /// forms: a `RWF_NOWAIT` write, and on `EAGAIN` a wait for `POLLOUT` with the time left.
    fn write_bounded(&self, operation: &'static str, buf: &[u8], wait: Wait) -> Result<usize> {
        let fd = self.fd.as_fd();
        let bufs = [IoSlice::new(buf)];
        let result = loop {
            let attempt = match self.twin.get() {
                Some(twin) => Wait::Forever.retry(|_| rw::write(twin, &bufs, false)),
                None => match Wait::Forever.retry(|_| rw::write(fd, &bufs, true)) {
                    // pwritev2(2): "EOPNOTSUPP … RWF_NOWAIT … the file does not support it":
                    // write through a private non-blocking twin instead.
                    Err(Errno::OPNOTSUPP) => match self.twin.open(fd, OFlags::WRONLY) {
                        Ok(_) => continue,
                        // fifo(7): a non-blocking open for writing with no reader is ENXIO.
                        Err(Errno::NXIO) => break Err(Errno::PIPE),
                        Err(errno) => break Err(errno),
                    },
                    result => result,
                },
            };
            match attempt {
                Err(Errno::AGAIN) => {}
                result => break result,
            }
            // poll(2) reports POLLERR on a write end whose readers are gone; the next write
            // then returns EPIPE, which names the condition properly.
            if let Err(errno) = ipc_core::wait_ready(fd, PollFlags::OUT, wait) {
                break Err(errno);
            }
        };
        result.map_err(|errno| self.error(operation, errno))
    }

    fn check_atomic(&self, operation: &'static str, message: &[u8]) -> Result<()> {
        if message.len() > PIPE_BUF {
            return Err(Error::new(ErrorKind::MessageTooLarge, operation)
                .with_object(object(self.fd.as_fd()))
                .with_detail(format!(
                    "{} bytes exceed PIPE_BUF ({PIPE_BUF}), the largest atomic pipe write",
                    message.len()
                )));
        }
        Ok(())
    }

    fn check_whole(&self, operation: &'static str, written: usize, len: usize) -> Result<()> {
        // pipe(7): a write of at most PIPE_BUF bytes is all or nothing; this cannot fail, but
        // a short count must never pass for a whole message.
        if written != len {
            return Err(Error::new(ErrorKind::Other, operation)
                .with_object(object(self.fd.as_fd()))
                .with_detail(format!(
                    "the kernel wrote {written} of {len} bytes of an atomic write"
                )));
        }
        Ok(())
    }

    fn error(&self, operation: &'static str, errno: Errno) -> Error {
        let err = Error::from_errno(operation, object(self.fd.as_fd()), errno);
        match errno {
            Errno::PIPE => err.with_detail("no process has the read end open"),
            Errno::TIMEDOUT => err.with_detail("no room in the pipe before the deadline"),
            _ => err,
        }
    }

    fn partial_error(
        &self,
        operation: &'static str,
        errno: Errno,
        written: usize,
        len: usize,
    ) -> Error {
        let err = self.error(operation, errno);
        if written == 0 {
            return err;
        }
        let detail = match err.detail() {
            Some(detail) => {
                format!("{detail}; {written} of {len} bytes were written before the error")
            }
            None => format!("{written} of {len} bytes were written before the error"),
        };
        err.with_detail(detail)
    }
}

impl io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Writer::write(self, buf).map_err(io::Error::from)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Writer::write_vectored(self, bufs).map_err(io::Error::from)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Writer::write_all(self, buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Write for &Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Writer::write(self, buf).map_err(io::Error::from)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Writer::write_vectored(self, bufs).map_err(io::Error::from)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Writer::write_all(self, buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for Writer {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Writer {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Wraps a descriptor that is the write end of a pipe or FIFO. Nothing is checked: writes on
/// another kind of descriptor fail with that descriptor's errors.
impl From<OwnedFd> for Writer {
    fn from(fd: OwnedFd) -> Self {
        Self {
            fd,
            twin: NonBlockingTwin::default(),
        }
    }
}

impl From<Writer> for OwnedFd {
    fn from(writer: Writer) -> Self {
        writer.fd
    }
}

/// Hands the end to a child process as its stdin, stdout or stderr.
impl From<Writer> for Stdio {
    fn from(writer: Writer) -> Self {
        Stdio::from(writer.fd)
    }
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}
