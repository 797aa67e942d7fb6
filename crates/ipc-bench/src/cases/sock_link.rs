//! A link over one connected socket, shared by the `sock-*` cases: the API side calls the
//! `ipc_sock` handle's blocking methods, the raw side `send(2)`/`recv(2)` on its descriptor.

use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, BorrowedFd};

use ipc_sock::{Seqpacket, TcpStream, UnixDatagram, UnixStream};

use super::Link;
use crate::measure::Duplex;
use crate::sys;

/// How a socket carries the bench's messages, which decides the raw side's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A byte stream: a message is sent until all of it went and received until all of it
    /// came (`send_all`/`receive_exact`; raw: `send`/`recv` loops).
    Stream,
    /// Whole messages: one send and one receive each, whose length must be the expected one.
    Message,
}

/// An `ipc_sock` handle the bench measures: its blocking send and receive of one bench message.
pub(crate) trait Handle: AsFd {
    /// How the socket carries messages.
    const FRAMING: Framing;

    /// Sends all of `buf` (API).
    fn send(&self, buf: &[u8]) -> ipc_core::Result<()>;

    /// Receives one message; returns its length (API). A stream fills `buf` exactly.
    fn receive(&self, buf: &mut [u8]) -> ipc_core::Result<usize>;
}

/// `Handle` for byte-stream handles: `send_all`/`receive_exact`.
macro_rules! stream_handles {
    ($($handle:ty),+) => {$(
        impl Handle for $handle {
            const FRAMING: Framing = Framing::Stream;

            #[inline]
            fn send(&self, buf: &[u8]) -> ipc_core::Result<()> {
                self.send_all(buf)
            }

            #[inline]
            fn receive(&self, buf: &mut [u8]) -> ipc_core::Result<usize> {
                self.receive_exact(buf).map(|()| buf.len())
            }
        }
    )+};
}

/// `Handle` for whole-message handles: their own `send`/`receive`.
macro_rules! message_handles {
    ($($handle:ty),+) => {$(
        impl Handle for $handle {
            const FRAMING: Framing = Framing::Message;

            #[inline]
            fn send(&self, buf: &[u8]) -> ipc_core::Result<()> {
                <$handle>::send(self, buf)
            }

            #[inline]
            fn receive(&self, buf: &mut [u8]) -> ipc_core::Result<usize> {
                <$handle>::receive(self, buf)
            }
        }
    )+};
}

stream_handles!(UnixStream, TcpStream);
message_handles!(UnixDatagram, Seqpacket);

/// One side's connected socket.
pub(crate) struct SockLink<H> {
    handle: H,
}

impl<H: Handle> SockLink<H> {
    /// A link over the connected `handle`.
    pub(crate) fn new(handle: H) -> Self {
        Self { handle }
    }
}

impl<H: Handle> Link for SockLink<H> {
    type Api<'a>
        = Api<'a, H>
    where
        H: 'a;
    type Raw<'a>
        = Raw<'a, H>
    where
        H: 'a;

    fn api(&mut self) -> Api<'_, H> {
        Api(&self.handle)
    }

    fn raw(&mut self) -> Raw<'_, H> {
        Raw(self.handle.as_fd(), PhantomData)
    }
}

/// The API side: the handle's blocking methods.
pub(crate) struct Api<'a, H>(&'a H);

impl<H: Handle> Duplex for Api<'_, H> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        Ok(self.0.send(buf)?)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let len = self.0.receive(buf)?;
        expect_len(len, buf.len())
    }
}

/// The raw side: `send(2)`/`recv(2)` on the handle's descriptor, framed as `H` frames.
pub(crate) struct Raw<'a, H>(BorrowedFd<'a>, PhantomData<&'a H>);

impl<H: Handle> Duplex for Raw<'_, H> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        // A constant per `H`: the branch is resolved when the loop is monomorphised.
        match H::FRAMING {
            Framing::Stream => sys::send_all(self.0, buf),
            Framing::Message => sys::send_message(self.0, buf),
        }
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        match H::FRAMING {
            Framing::Stream => sys::recv_exact(self.0, buf),
            Framing::Message => {
                let len = sys::recv_message(self.0, buf)?;
                expect_len(len, buf.len())
            }
        }
    }
}

/// `Ok` when a message of `len` bytes is the `expected` one; an empty one (what a receive on a
/// socket shut down by the watchdog returns) or any other length is an error.
#[inline]
pub(super) fn expect_len(len: usize, expected: usize) -> io::Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(wrong_len(len, expected))
    }
}

#[cold]
fn wrong_len(len: usize, expected: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a message of {len} bytes where {expected} were expected"),
    )
}
