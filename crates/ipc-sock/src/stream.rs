//! A connected Unix stream socket.

use std::os::fd::{AsFd, OwnedFd};

use ipc_core::{Object, Result};
use rustix::net::{AddressFamily, SocketType};

use crate::address::UnixAddress;
use crate::socket::{Descriptor, Socket};
use crate::sys::socket as sys;

/// A connected `SOCK_STREAM` socket in the Unix domain: a byte stream in both directions.
///
/// Made by [`connect`](Self::connect) (and its `try_`, `_timeout` and `_deadline` forms), by
/// [`UnixListener::accept`](crate::UnixListener::accept), or by [`pair`](Self::pair).
///
/// Every call comes in four forms: blocking (`send`), non-blocking (`try_send`:
/// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock)), and bounded (`send_timeout`,
/// `send_deadline`: [`TimedOut`](ipc_core::ErrorKind::TimedOut), after at least that long).
/// The descriptor stays blocking: the non-blocking and bounded forms pass `MSG_DONTWAIT` per
/// call (the bounded ones after `poll(2)` on a monotonic deadline), so the blocking form is one
/// system call, and a descriptor handed to another program behaves as it expects.
///
/// # SIGPIPE
///
/// Every send passes `MSG_NOSIGNAL`: a send to a peer that is gone fails with
/// [`PeerGone`](ipc_core::ErrorKind::PeerGone) and never raises `SIGPIPE`, whatever the
/// process's disposition for it.
///
/// # Close-on-exec
///
/// The descriptor is close-on-exec (`SOCK_CLOEXEC`, and `accept4(…, SOCK_CLOEXEC)` for an
/// accepted one).
///
/// # Threads
///
/// `UnixStream` is `Send` and `Sync` without any `unsafe`: it holds an `OwnedFd` and the
/// object its errors name, and the kernel serialises calls on one socket. Two threads
/// receiving at once each get some of the bytes, in no promised split.
///
/// # Examples
///
/// ```
/// let (a, b) = ipc_sock::UnixStream::pair()?;
/// a.send_all(b"ping")?;
/// let mut buf = [0; 4];
/// b.receive_exact(&mut buf)?;
/// assert_eq!(&buf, b"ping");
/// drop(a);
/// assert_eq!(b.receive(&mut buf)?, 0, "end of input");
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
/// - [`send(2)`](https://man7.org/linux/man-pages/man2/send.2.html), `MSG_NOSIGNAL`
/// - [`recv(2)`](https://man7.org/linux/man-pages/man2/recv.2.html)
pub struct UnixStream {
    socket: Socket,
}

impl UnixStream {
    /// Wraps a connected socket.
    pub(crate) fn from_socket(socket: Socket) -> Self {
        Self { socket }
    }

    /// The core socket, for the methods defined in other files (`ancillary`).
    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

    /// A pair of connected, anonymous stream sockets (`socketpair(2)`), for a parent and the
    /// child it hands one end to.
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ipc_core::ErrorKind::LimitReached) when no descriptor is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// b.send_all(b"x")?;
    /// let mut buf = [0; 1];
    /// a.receive_exact(&mut buf)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(Self, Self)> {
        let (a, b) = sys::socketpair(AddressFamily::UNIX, SocketType::STREAM).map_err(|errno| {
            ipc_core::Error::from_errno("socketpair", "unix stream pair", errno)
        })?;
        let wrap = |fd: OwnedFd| {
            let object = Object::fd(fd.as_fd());
            Self::from_socket(Socket::new(fd, object, Descriptor::Blocking))
        };
        Ok((wrap(a), wrap(b)))
    }

    /// Takes a descriptor that must be a Unix stream socket (inherited, or received from
    /// another process), checked with `SO_DOMAIN` and `SO_TYPE`.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when it is not one; the
    /// descriptor is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let fd: OwnedFd = a.into();
    /// let _a = ipc_sock::UnixStream::from_fd(fd)?;
    ///
    /// let (reader, _writer) = std::io::pipe().unwrap();
    /// assert!(ipc_sock::UnixStream::from_fd(reader.into()).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        Socket::checked(
            fd,
            AddressFamily::UNIX,
            SocketType::STREAM,
            "a Unix stream socket",
            "unix_stream_from_fd",
        )
        .map(Self::from_socket)
    }

    /// The address of the peer (`getpeername`): the listener's address for a client, `None`
    /// for an accepted connection from a client that did not bind (the usual case) or for
    /// a [`pair`](Self::pair).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ENOTCONN`) when not connected: the
    /// peer is gone, or the socket was never connected.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(a.peer_address()?, None);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_address(&self) -> Result<Option<UnixAddress>> {
        let raw = sys::peer_name(self.socket.fd())
            .map_err(|errno| self.socket.error("getpeername", errno))?;
        Ok(raw.and_then(UnixAddress::from_raw))
    }

    /// The address this socket is bound to (`getsockname`): `None` for a client that did not
    /// bind; the listener's address for an accepted connection.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) (`EBADF`) only if the
    /// descriptor was closed behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(a.local_address()?, None);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_address(&self) -> Result<Option<UnixAddress>> {
        let raw = sys::local_name(self.socket.fd())
            .map_err(|errno| self.socket.error("getsockname", errno))?;
        Ok(UnixAddress::from_raw(raw))
    }
}

crate::stream_forms::stream_forms!(
    UnixStream,
    setup: ["let (a, b) = ipc_sock::UnixStream::pair()?;"],
    ok: "# Ok::<(), ipc_core::Error>(())",
);
crate::descriptor::connected_descriptor!(UnixStream);

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn a_stream_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UnixStream>();
    }

    #[test]
    fn a_stream_reads_and_writes_through_std_io() {
        use std::io::{Read, Write};
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"io").unwrap();
        drop(a);
        let mut got = String::new();
        b.read_to_string(&mut got).unwrap();
        assert_eq!(got, "io");
    }

    #[test]
    fn an_empty_stream_converts_would_block_to_the_io_kind_exactly() {
        use std::io::Read;
        let (_a, b) = UnixStream::pair().unwrap();
        let err = b.try_receive(&mut [0; 1]).unwrap_err();
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(
            (&b).read(&mut []).unwrap(),
            0,
            "an empty buffer returns at once"
        );
    }
}
