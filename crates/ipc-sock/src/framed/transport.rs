//! The streams a [`FramedStream`](super::FramedStream) can frame.

use std::os::fd::AsFd;

use ipc_core::{Result, Wait};

use crate::{TcpStream, UnixStream};

pub(crate) mod sealed {
    use super::{Result, Wait};

    /// One send or receive in the form `wait` asks for, through the socket core's engine.
    pub trait Sealed: std::os::fd::AsFd {
        fn send_some(&self, buf: &[u8], wait: Wait) -> Result<usize>;
        fn receive_some(&self, buf: &mut [u8], wait: Wait) -> Result<usize>;
    }
}

/// A connected stream socket of this crate: [`UnixStream`], [`TcpStream`], or a reference to
/// one (so one thread can frame while the handle is shared).
///
/// It is sealed: the framing relies on every send passing `MSG_NOSIGNAL` and on the forms
/// of the core engine, which only this crate's streams promise.
///
/// # Examples
///
/// ```
/// fn framed<S: ipc_sock::StreamSocket>(stream: S) -> ipc_sock::FramedStream<S> {
///     ipc_sock::FramedStream::new(stream)
/// }
/// let (a, _b) = ipc_sock::UnixStream::pair()?;
/// let _framed = framed(&a);
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub trait StreamSocket: sealed::Sealed {}

/// The `Wait` goes straight to the core engine, with the operation names of the stream's own
/// `send` and `receive`.
impl sealed::Sealed for UnixStream {
    fn send_some(&self, buf: &[u8], wait: Wait) -> Result<usize> {
        self.socket().send("send", buf, wait)
    }

    fn receive_some(&self, buf: &mut [u8], wait: Wait) -> Result<usize> {
        self.socket().receive("recv", buf, wait)
    }
}

impl StreamSocket for UnixStream {}

/// As for [`UnixStream`]: the `Wait` goes straight to the core engine.
impl sealed::Sealed for TcpStream {
    fn send_some(&self, buf: &[u8], wait: Wait) -> Result<usize> {
        self.socket().send("send", buf, wait)
    }

    fn receive_some(&self, buf: &mut [u8], wait: Wait) -> Result<usize> {
        self.socket().receive("recv", buf, wait)
    }
}

impl StreamSocket for TcpStream {}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {
    fn send_some(&self, buf: &[u8], wait: Wait) -> Result<usize> {
        (**self).send_some(buf, wait)
    }

    fn receive_some(&self, buf: &mut [u8], wait: Wait) -> Result<usize> {
        (**self).receive_some(buf, wait)
    }
}

impl<T: StreamSocket + ?Sized> StreamSocket for &T {}

/// The descriptor errors of the framing itself name.
pub(super) fn object(stream: &impl AsFd) -> ipc_core::Object {
    ipc_core::Object::fd(stream.as_fd())
}
