//! The write end of a pipe or FIFO.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, OwnedFd};
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
/// A write with no reader left fails with [`ErrorKind::PeerGone`] and never raises `SIGPIPE`
/// (see [SIGPIPE](Self#sigpipe)).
///
/// # Blocking
///
/// Every blocking write has a non-blocking form (`try_…`, failing with
/// [`ErrorKind::WouldBlock`]) and bounded forms (`…_timeout`, `…_deadline`, failing with
/// [`ErrorKind::TimedOut`]). None of them sets `O_NONBLOCK` on this descriptor, whose open file
/// description other processes may share:
///
/// - On an anonymous pipe they write with `pwritev2(…, RWF_NOWAIT)`, which fails with `EAGAIN`
///   instead of blocking (a write of at most [`PIPE_BUF`] bytes stays all or nothing), and wait
///   for room with `poll(2)`.
/// - On a descriptor that refuses `RWF_NOWAIT` (`EOPNOTSUPP`), as a FIFO's end does, they
///   write through a private second open file description of the same pipe, with
///   `O_NONBLOCK`, opened through `/proc/self/fd` on first need and kept until this handle
///   drops. While it lives it counts as one more writer of the pipe. Without `/proc` mounted
///   these forms fail there with [`ErrorKind::Unsupported`].
///
/// `Writer` is `Send` and `Sync`: it owns a descriptor, and concurrent `write(2)` calls on one
/// descriptor are serialised by the kernel (writes of at most [`PIPE_BUF`] bytes never
/// interleave).
///
/// # SIGPIPE
///
/// Every write of this type, blocking or not, goes through `pwritev2(…, RWF_NOSIGNAL)` on Linux
/// 6.18 and later: a write to a pipe with no reader fails with `EPIPE` and the kernel raises no
/// signal, whatever `SIGPIPE`'s disposition is or becomes. On older kernels, which lack the
/// flag, each write blocks `SIGPIPE` in the calling thread for its duration and consumes the
/// signal an `EPIPE` raised, so none is ever delivered. [`sigpipe_guard`](crate::sigpipe_guard)
/// says which this process uses; [`splice_from`](Self::splice_from) and
/// [`vmsplice`](Self::vmsplice) always use the mask, as they have no such flag. A program that
/// keeps `SIGPIPE` ignored can make blocking writes plain `write(2)` calls with
/// [`assume_sigpipe_ignored`](crate::assume_sigpipe_ignored).
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

end::pipe_end!(Writer, "(_reader, sut)", "write", "stdin, stdout or stderr");

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
        self.write_blocking("write", &[IoSlice::new(buf)])
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
                .map_err(|errno| self.partial_error("write_all", errno, written, buf.len()))?;
        }
        Ok(())
    }

    /// Writes some of `buf` without blocking.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when the pipe has no room now (for a write of at most
    /// [`PIPE_BUF`] bytes: no room for all of it); [`ErrorKind::Unsupported`] on a FIFO end
    /// without `/proc` (see [Blocking](Self#blocking)); the errors of [`write`](Self::write).
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
        self.write_bounded("try_write", &[IoSlice::new(buf)], Wait::NonBlocking)
    }

    /// Writes some of `buf`, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] when no byte could be written in time; the errors of
    /// [`try_write`](Self::try_write) but `WouldBlock`.
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
        self.write_bounded(
            "write_timeout",
            &[IoSlice::new(buf)],
            Wait::timeout(timeout),
        )
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
        self.write_bounded(
            "write_deadline",
            &[IoSlice::new(buf)],
            Wait::deadline(deadline),
        )
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
        let written = self.write_blocking("write_atomic", &[IoSlice::new(message)])?;
        self.check_whole("write_atomic", written, message.len())
    }

    /// Writes `message` atomically if the pipe has room for all of it now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when it does not fit now (nothing is written);
    /// [`ErrorKind::MessageTooLarge`] as for [`write_atomic`](Self::write_atomic); the errors
    /// of [`try_write`](Self::try_write).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.try_write_atomic(b"record")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_write_atomic(&self, message: &[u8]) -> Result<()> {
        self.write_atomic_bounded("try_write_atomic", message, Wait::NonBlocking)
    }

    /// Writes `message` atomically, waiting at most `timeout` for room for all of it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`] when there was no room in time (nothing is written); the errors
    /// of [`try_write_atomic`](Self::try_write_atomic) but `WouldBlock`.
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
        self.write_atomic_bounded("write_atomic_timeout", message, Wait::timeout(timeout))
    }

    /// Writes `message` atomically, waiting until `deadline` at the latest for room for all of
    /// it.
    ///
    /// # Errors
    ///
    /// As [`write_atomic_timeout`](Self::write_atomic_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_core::ErrorKind;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(&vec![0; writer.capacity()? - 10])?;
    /// let soon = Instant::now() + Duration::from_millis(20);
    /// let err = writer.write_atomic_deadline(&[1; 11], soon).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut, "10 bytes of room: nothing is written");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_atomic_deadline(&self, message: &[u8], deadline: Instant) -> Result<()> {
        self.write_atomic_bounded("write_atomic_deadline", message, Wait::deadline(deadline))
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
        self.write_blocking("write_vectored", bufs)
    }

    /// Writes from several buffers in one call without blocking; atomic when they total at
    /// most [`PIPE_BUF`] bytes.
    ///
    /// # Errors
    ///
    /// As [`try_write`](Self::try_write).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let n = writer.try_write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"body")])?;
    /// assert_eq!(n, 8);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        self.write_bounded("try_write_vectored", bufs, Wait::NonBlocking)
    }

    /// Writes from several buffers in one call, waiting at most `timeout` for room; atomic
    /// when they total at most [`PIPE_BUF`] bytes.
    ///
    /// # Errors
    ///
    /// As [`write_timeout`](Self::write_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::time::Duration;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let bufs = [IoSlice::new(b"head"), IoSlice::new(b"body")];
    /// assert_eq!(writer.write_vectored_timeout(&bufs, Duration::from_secs(1))?, 8);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_vectored_timeout(&self, bufs: &[IoSlice<'_>], timeout: Duration) -> Result<usize> {
        self.write_bounded("write_vectored_timeout", bufs, Wait::timeout(timeout))
    }

    /// Writes from several buffers in one call, waiting until `deadline` at the latest for
    /// room; atomic when they total at most [`PIPE_BUF`] bytes.
    ///
    /// # Errors
    ///
    /// As [`write_timeout`](Self::write_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use std::time::{Duration, Instant};
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let bufs = [IoSlice::new(b"head"), IoSlice::new(b"body")];
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(writer.write_vectored_deadline(&bufs, deadline)?, 8);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn write_vectored_deadline(
        &self,
        bufs: &[IoSlice<'_>],
        deadline: Instant,
    ) -> Result<usize> {
        self.write_bounded("write_vectored_deadline", bufs, Wait::deadline(deadline))
    }

    /// One blocking write of `bufs`, retried on `EINTR`.
    fn write_blocking(&self, operation: &'static str, bufs: &[IoSlice<'_>]) -> Result<usize> {
        Wait::Forever
            .retry(|_| rw::write(self.fd.as_fd(), bufs, false))
            .map_err(|errno| self.error(operation, errno))
    }

    /// The bounded and non-blocking write shared by the `try_`, `_timeout` and `_deadline`
    /// forms: a `RWF_NOWAIT` write, and on `EAGAIN` a wait for `POLLOUT` with the time left.
    fn write_bounded(
        &self,
        operation: &'static str,
        bufs: &[IoSlice<'_>],
        wait: Wait,
    ) -> Result<usize> {
        let fd = self.fd.as_fd();
        let result = loop {
            let attempt = match self.twin.get() {
                Some(twin) => Wait::Forever.retry(|_| rw::write(twin, bufs, false)),
                None => match Wait::Forever.retry(|_| rw::write(fd, bufs, true)) {
                    // pwritev2(2): "EOPNOTSUPP … RWF_NOWAIT … the file does not support it":
                    // write through a private non-blocking twin instead.
                    Err(Errno::OPNOTSUPP) => match self.twin.open(fd, OFlags::WRONLY) {
                        Ok(_) => continue,
                        // fifo(7): a non-blocking open for writing with no reader is ENXIO.
                        Err(Errno::NXIO) => break Err(Errno::PIPE),
                        Err(errno) => return Err(end::twin_error(operation, fd, errno)),
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

    /// The atomic write of `try_write_atomic`, `write_atomic_timeout` and
    /// `write_atomic_deadline`.
    fn write_atomic_bounded(
        &self,
        operation: &'static str,
        message: &[u8],
        wait: Wait,
    ) -> Result<()> {
        self.check_atomic(operation, message)?;
        let written = self.write_bounded(operation, &[IoSlice::new(message)], wait)?;
        self.check_whole(operation, written, message.len())
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

impl io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(&mut &*self, buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        io::Write::write_vectored(&mut &*self, bufs)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut &*self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::Write::flush(&mut &*self)
    }
}
