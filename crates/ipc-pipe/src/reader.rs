//! The read end of a pipe or FIFO.

use std::io::{self, IoSliceMut};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Result, Wait};
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
/// # Blocking
///
/// Every blocking read has a non-blocking form ([`try_read`](Self::try_read), failing with
/// [`ErrorKind::WouldBlock`] while writers remain and the pipe is empty) and bounded forms
/// ([`read_timeout`](Self::read_timeout), [`read_deadline`](Self::read_deadline),
/// [`read_exact_timeout`](Self::read_exact_timeout), failing with [`ErrorKind::TimedOut`]).
/// None of them sets `O_NONBLOCK` on this descriptor, whose open file description other
/// processes may share:
///
/// - On an anonymous pipe they read with `preadv2(…, RWF_NOWAIT)`, which fails with `EAGAIN`
///   instead of blocking, and wait for data with `poll(2)`.
/// - On a descriptor that refuses `RWF_NOWAIT` (`EOPNOTSUPP`), as a FIFO's end does, they
///   read through a private second open file description of the same pipe, with
///   `O_NONBLOCK`, opened through `/proc/self/fd` on first need and kept until this handle
///   drops. While it lives it counts as one more reader of the pipe. Without `/proc` mounted
///   these forms fail there with [`ErrorKind::Unsupported`].
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

end::pipe_end!(Reader, "(sut, _writer)", "read", "stdin");

impl Reader {
    /// Reads what is available into `buf`, blocking while the pipe is empty and a writer
    /// remains; `Ok(0)` at end of input (or for an empty `buf`).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] when `O_NONBLOCK` was set with
    /// [`set_nonblocking`](Self::set_nonblocking) and the pipe is empty; other kinds from the
    /// OS error.
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
    /// [`ErrorKind::WouldBlock`] when the pipe is empty and a writer remains;
    /// [`ErrorKind::Unsupported`] on a FIFO end without `/proc` (see [Blocking](Self#blocking));
    /// the errors of [`read`](Self::read).
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
    /// [`ErrorKind::TimedOut`] when no data came in time; the errors of
    /// [`try_read`](Self::try_read) but `WouldBlock`.
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

    /// Fills `buf` completely, waiting at most `timeout` in all for the data.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::TimedOut`] when `buf` was not full in time;
    /// - [`ErrorKind::UnexpectedEof`] when every writer closed first;
    /// - the errors of [`try_read`](Self::try_read) but `WouldBlock`.
    ///
    /// Whatever the error, the bytes that did arrive are not lost: the detail says how many
    /// (`"3 of 8 bytes arrived before the deadline"`), and they are at the start of `buf`, in
    /// `buf[..3]` for that example.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(b"abc")?;
    /// let mut buf = [0; 8];
    /// let err = reader.read_exact_timeout(&mut buf, Duration::from_millis(20)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// assert_eq!(err.detail(), Some("3 of 8 bytes arrived before the deadline"));
    /// assert_eq!(&buf[..3], b"abc");
    ///
    /// writer.write_all(b"12345678")?;
    /// reader.read_exact_timeout(&mut buf, Duration::from_secs(1))?;
    /// assert_eq!(&buf, b"12345678");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read_exact_timeout(&self, buf: &mut [u8], timeout: Duration) -> Result<()> {
        self.read_exact_bounded("read_exact_timeout", buf, Wait::timeout(timeout))
    }

    /// Fills `buf` completely, waiting until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`read_exact_timeout`](Self::read_exact_timeout), with the bytes that arrived at
    /// the start of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(b"ab")?;
    /// drop(writer);
    /// let mut buf = [0; 4];
    /// let err = reader.read_exact_deadline(&mut buf, Instant::now() + Duration::from_secs(1));
    /// assert_eq!(err.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    /// assert_eq!(&buf[..2], b"ab");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn read_exact_deadline(&self, buf: &mut [u8], deadline: Instant) -> Result<()> {
        self.read_exact_bounded("read_exact_deadline", buf, Wait::deadline(deadline))
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
            .map_err(|errno| self.error("read_vectored", errno))
    }

    /// The bounded and non-blocking read shared by `try_read`, `read_timeout` and
    /// `read_deadline`: a `RWF_NOWAIT` read, and on `EAGAIN` a wait for `POLLIN` with the time
    /// left. `POLLHUP` (no writer left) also ends the wait; the next read then returns 0.
    pub(crate) fn read_bounded(
        &self,
        operation: &'static str,
        buf: &mut [u8],
        wait: Wait,
    ) -> Result<usize> {
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
                    Err(errno) => return Err(end::twin_error(operation, fd, errno)),
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

    /// The loop of `read_exact_timeout` and `read_exact_deadline`: bounded reads under one
    /// deadline until `buf` is full.
    fn read_exact_bounded(
        &self,
        operation: &'static str,
        buf: &mut [u8],
        wait: Wait,
    ) -> Result<()> {
        let len = buf.len();
        let mut got = 0;
        while got < len {
            match self.read_bounded(operation, &mut buf[got..], wait) {
                Ok(0) => {
                    return Err(Error::new(ErrorKind::UnexpectedEof, operation)
                        .with_object(object(self.fd.as_fd()))
                        .with_detail(format!(
                            "every writer closed after {got} of {len} bytes arrived"
                        )));
                }
                Ok(n) => got += n,
                Err(err) if err.kind() == ErrorKind::TimedOut => {
                    return Err(err
                        .with_detail(format!("{got} of {len} bytes arrived before the deadline")));
                }
                Err(err) if got == 0 => return Err(err),
                Err(err) => {
                    let detail = match err.detail() {
                        Some(detail) => format!("{detail}; {got} of {len} bytes arrived first"),
                        None => format!("{got} of {len} bytes arrived first"),
                    };
                    return Err(err.with_detail(detail));
                }
            }
        }
        Ok(())
    }

    fn error(&self, operation: &'static str, errno: Errno) -> Error {
        let err = Error::from_errno(operation, object(self.fd.as_fd()), errno);
        match errno {
            Errno::TIMEDOUT => err.with_detail("no data arrived before the deadline"),
            _ => err,
        }
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

impl io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        io::Read::read_vectored(&mut &*self, bufs)
    }
}
