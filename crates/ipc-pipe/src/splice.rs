//! Zero-copy transfers: `splice`, `tee` and `vmsplice`.
//!
//! The reference's advice for pipes is "Use Zero-Copy where possible: … splice() for pipes".
//! These move pages between a pipe and another descriptor, or between memory and a pipe,
//! without copying the data through a user-space buffer.

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd};

use ipc_core::{Error, Object, Result, Wait};
use rustix::io::Errno;
use rustix::pipe::SpliceFlags;

use crate::end::object;
use crate::sys::{sigpipe, vmsplice};
use crate::{Reader, Writer};

impl Reader {
    /// Moves up to `len` bytes from this pipe to `to` (a file, socket or another pipe's write
    /// end) without copying through user space (`splice(2)`), blocking while this pipe is
    /// empty and a writer remains. Returns the bytes moved; 0 at end of input.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone) when `to` is a pipe or socket
    /// whose reader is gone (never `SIGPIPE`);
    /// [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when `to` does not
    /// support splicing (for example it was opened with `O_APPEND`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Seek};
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// writer.write_all(b"straight to the file")?;
    /// let mut file = tempfile::tempfile()?;
    /// assert_eq!(reader.splice_to(&file, 64)?, 20);
    /// let mut text = String::new();
    /// file.rewind()?;
    /// file.read_to_string(&mut text)?;
    /// assert_eq!(text, "straight to the file");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`splice(2)`](https://man7.org/linux/man-pages/man2/splice.2.html)
    #[doc(alias = "splice")]
    pub fn splice_to(&self, to: impl AsFd, len: usize) -> Result<usize> {
        splice(
            "splice_to",
            self.as_fd(),
            to.as_fd(),
            len,
            SpliceFlags::MOVE,
        )
    }

    /// As [`splice_to`](Self::splice_to), but fails with
    /// [`ErrorKind::WouldBlock`](ipc_core::ErrorKind::WouldBlock) instead of waiting for data
    /// in this pipe, or for room when `to` is a pipe too (`SPLICE_F_NONBLOCK`).
    ///
    /// The flag makes only the pipe side non-blocking. `splice(2)`: "This makes the splice
    /// pipe operations nonblocking, but splice() may nevertheless block because the file
    /// descriptors that are spliced to/from may block (unless they have the O_NONBLOCK flag
    /// set)." So when `to` is a socket or file, this call can still wait on `to` (a full
    /// socket buffer, a slow disk) unless `to` was opened or set non-blocking.
    ///
    /// # Errors
    ///
    /// As [`splice_to`](Self::splice_to), plus `WouldBlock` (also when a non-blocking `to`
    /// has no room).
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// let file = tempfile::tempfile()?;
    /// assert!(reader.try_splice_to(&file, 64).unwrap_err().is_would_block());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_splice_to(&self, to: impl AsFd, len: usize) -> Result<usize> {
        splice(
            "try_splice_to",
            self.as_fd(),
            to.as_fd(),
            len,
            SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
        )
    }

    /// Copies up to `len` bytes from this pipe into `to` without consuming them (`tee(2)`):
    /// the data stays readable here. Blocks while this pipe is empty and a writer remains.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone) when `to` has no reader.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// let (copy_reader, copy_writer) = ipc_pipe::pipe()?;
    /// writer.write_all(b"both")?;
    /// assert_eq!(reader.tee_to(&copy_writer, 64)?, 4);
    /// let (mut a, mut b) = ([0; 4], [0; 4]);
    /// reader.read(&mut a)?;
    /// copy_reader.read(&mut b)?;
    /// assert_eq!((&a, &b), (b"both", b"both"));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`tee(2)`](https://man7.org/linux/man-pages/man2/tee.2.html)
    #[doc(alias = "tee")]
    pub fn tee_to(&self, to: &Writer, len: usize) -> Result<usize> {
        let (from, to) = (self.as_fd(), to.as_fd());
        sigpipe::with_sigpipe_blocked(|| {
            Wait::Forever.retry(|_| rustix::pipe::tee(from, to, len, SpliceFlags::empty()))
        })
        .map_err(|errno| splice_error("tee_to", from.as_raw_fd(), to.as_raw_fd(), errno))
    }
}

impl Writer {
    /// Moves up to `len` bytes from `from` (a file, socket or another pipe's read end) into
    /// this pipe without copying through user space (`splice(2)`), blocking while the pipe is
    /// full. Returns the bytes moved; 0 at the end of `from`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone) when this pipe has no reader
    /// (never `SIGPIPE`); [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument)
    /// when `from` does not support splicing.
    ///
    /// # Examples
    ///
    /// ```
    /// let file = tempfile::tempfile()?;
    /// std::fs::write(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file)), b"file data")?;
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// assert_eq!(writer.splice_from(&file, 64)?, 9);
    /// let mut buf = [0; 9];
    /// reader.read(&mut buf)?;
    /// assert_eq!(&buf, b"file data");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "splice")]
    pub fn splice_from(&self, from: impl AsFd, len: usize) -> Result<usize> {
        splice(
            "splice_from",
            from.as_fd(),
            self.as_fd(),
            len,
            SpliceFlags::MOVE,
        )
    }

    /// As [`splice_from`](Self::splice_from), but fails with
    /// [`ErrorKind::WouldBlock`](ipc_core::ErrorKind::WouldBlock) instead of waiting for room in
    /// this pipe, or for data when `from` is a pipe too (`SPLICE_F_NONBLOCK`).
    ///
    /// As for [`Reader::try_splice_to`], the flag makes only the pipe side non-blocking: when
    /// `from` is a socket or file, this call can still wait on `from` unless it was opened or
    /// set non-blocking.
    ///
    /// # Errors
    ///
    /// As [`splice_from`](Self::splice_from), plus `WouldBlock` (also when a non-blocking
    /// `from` has no data).
    ///
    /// # Examples
    ///
    /// ```
    /// let (source, source_writer) = ipc_pipe::pipe()?;
    /// source_writer.write_all(b"abc")?;
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// assert_eq!(writer.try_splice_from(&source, 64)?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_splice_from(&self, from: impl AsFd, len: usize) -> Result<usize> {
        splice(
            "try_splice_from",
            from.as_fd(),
            self.as_fd(),
            len,
            SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
        )
    }

    /// Maps the pages of `bufs` into the pipe (`vmsplice(2)`) instead of copying them, blocking
    /// while the pipe is full. Returns the bytes transferred.
    ///
    /// # Data lifetime
    ///
    /// The pipe may refer to the very pages of `bufs` until the reader consumes them: memory
    /// changed or reused before then changes what the reader receives. Use it for buffers that
    /// stay untouched until the reader has the data (a reply read back, or a large immutable
    /// buffer); use [`write_all`](Self::write_all) otherwise. This is a data hazard, not a
    /// memory-safety one: the kernel only reads the pages.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone) when no reader is left;
    /// [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when this handle's
    /// descriptor is not open for writing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// static PAYLOAD: [u8; 8192] = [42; 8192];
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// let moved = writer.vmsplice(&[IoSlice::new(&PAYLOAD)])?;
    /// assert_eq!(moved, 8192);
    /// let mut buf = vec![0; 8192];
    /// let mut got = 0;
    /// while got < moved { got += reader.read(&mut buf[got..])?; }
    /// assert!(buf.iter().all(|&b| b == 42));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`vmsplice(2)`](https://man7.org/linux/man-pages/man2/vmsplice.2.html)
    pub fn vmsplice(&self, bufs: &[IoSlice<'_>]) -> Result<usize> {
        let fd = self.as_fd();
        sigpipe::with_sigpipe_blocked(|| {
            Wait::Forever.retry(|_| vmsplice::to_pipe(fd, bufs, SpliceFlags::empty()))
        })
        .map_err(|errno| {
            let err = Error::from_errno("vmsplice", object(fd), errno);
            if errno == Errno::BADF {
                err.with_detail("the descriptor is not open for writing")
            } else {
                err
            }
        })
    }
}

fn splice(
    operation: &'static str,
    from: std::os::fd::BorrowedFd<'_>,
    to: std::os::fd::BorrowedFd<'_>,
    len: usize,
    flags: SpliceFlags,
) -> Result<usize> {
    sigpipe::with_sigpipe_blocked(|| {
        Wait::Forever.retry(|_| rustix::pipe::splice(from, None, to, None, len, flags))
    })
    .map_err(|errno| splice_error(operation, from.as_raw_fd(), to.as_raw_fd(), errno))
}

fn splice_error(operation: &'static str, from: i32, to: i32, errno: Errno) -> Error {
    let err = Error::from_errno(
        operation,
        Object::Name(format!("fd {from} -> fd {to}").into()),
        errno,
    );
    match errno {
        Errno::PIPE => err.with_detail("no process has the destination's read end open"),
        // splice(2): "EINVAL The target filesystem doesn't support splicing", "The target file
        // is opened in append mode", "Neither of the file descriptors refers to a pipe."
        Errno::INVAL => {
            err.with_detail("a descriptor does not support splicing, or neither is a pipe")
        }
        _ => err,
    }
}
