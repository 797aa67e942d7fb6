//! A link over a pair of byte streams (`ipc_pipe::Reader`/`Writer`), shared by every case built
//! on pipes or FIFOs.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};

use ipc_pipe::{Reader, Writer};

use super::Link;
use crate::measure::Duplex;
use crate::sys;

/// One reading and one writing stream to the other process.
pub(crate) struct StreamLink {
    reader: Reader,
    writer: Writer,
    raw_write: RawWrite,
}

/// The system call of the raw side's writes, and the API's `SIGPIPE` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawWrite {
    /// Raw: `write(2)`, relying on the bench's ignored `SIGPIPE`. API: the default guard.
    Write,
    /// Raw: `pwritev2(…, RWF_NOSIGNAL)`, the raw form of the API's guarantee. API: the default.
    NoSignal,
    /// Raw: `write(2)`. API: rounds run under `ipc_pipe::assume_sigpipe_ignored()`.
    WriteAssumed,
}

impl StreamLink {
    /// A link that receives from `reader` and sends to `writer`; its raw side writes with
    /// `raw_write`.
    pub(crate) fn new(reader: Reader, writer: Writer, raw_write: RawWrite) -> Self {
        Self {
            reader,
            writer,
            raw_write,
        }
    }
}

impl Link for StreamLink {
    type Api<'a> = ApiStream<'a>;
    type Raw<'a> = RawStream<'a>;

    fn api(&mut self) -> ApiStream<'_> {
        let assumed = self.raw_write == RawWrite::WriteAssumed;
        if assumed {
            // The bench ignores SIGPIPE (Rust's default), so the promise holds; it is withdrawn
            // when the round ends (ApiStream's drop), outside the timed region.
            ipc_pipe::assume_sigpipe_ignored().expect("the bench runs with SIGPIPE ignored");
        }
        ApiStream {
            reader: &mut self.reader,
            writer: &mut self.writer,
            assumed,
        }
    }

    fn raw(&mut self) -> RawStream<'_> {
        RawStream {
            reader: self.reader.as_fd(),
            writer: self.writer.as_fd(),
            raw_write: self.raw_write,
        }
    }
}

/// The API side: `Read::read_exact` and `Write::write_all` on the project's handles.
pub(crate) struct ApiStream<'a> {
    reader: &'a mut Reader,
    writer: &'a mut Writer,
    /// Whether this round made the `SIGPIPE` promise, to withdraw on drop.
    assumed: bool,
}

impl Drop for ApiStream<'_> {
    fn drop(&mut self) {
        if self.assumed {
            ipc_pipe::revoke_sigpipe_assumption();
        }
    }
}

impl Duplex for ApiStream<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer.write_all(buf)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.reader.read_exact(buf)
    }
}

/// The raw side: `libc::read` and `libc::write` (or `pwritev2`) loops on the same descriptors.
pub(crate) struct RawStream<'a> {
    reader: BorrowedFd<'a>,
    writer: BorrowedFd<'a>,
    raw_write: RawWrite,
}

impl Duplex for RawStream<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        match self.raw_write {
            RawWrite::Write | RawWrite::WriteAssumed => sys::write_all(self.writer, buf),
            RawWrite::NoSignal => sys::write_all_nosignal(self.writer, buf),
        }
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        sys::read_exact(self.reader, buf)
    }
}
