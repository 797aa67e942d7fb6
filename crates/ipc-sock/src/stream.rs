//! A connected Unix stream socket.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use ipc_core::{Object, Result, Wait};
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

    /// Sends some bytes of `buf`, waiting for room; returns how many went (at least one for a
    /// non-empty `buf`).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the peer closed its end (never a
    /// `SIGPIPE`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(a.send(b"abc")?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.socket.send("send", buf, Wait::Forever)
    }

    /// Sends some bytes of `buf` without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the socket buffer is full; as
    /// [`send`](Self::send) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(a.try_send(b"abc")?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> Result<usize> {
        self.socket.send("send", buf, Wait::NonBlocking)
    }

    /// Sends some bytes of `buf`, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as [`send`](Self::send)
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(a.send_timeout(b"abc", std::time::Duration::from_secs(1))?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_timeout(&self, buf: &[u8], timeout: Duration) -> Result<usize> {
        self.socket.send("send", buf, Wait::timeout(timeout))
    }

    /// Sends some bytes of `buf`, waiting until `deadline` at most for room.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// assert_eq!(a.send_deadline(b"abc", deadline)?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_deadline(&self, buf: &[u8], deadline: Instant) -> Result<usize> {
        self.socket.send("send", buf, Wait::deadline(deadline))
    }

    /// Sends all of `buf`, waiting for room as often as needed.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send). An error after part of `buf` went says how much in its
    /// detail; that part stays sent, so the stream is then out of step with any framing.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(&[7; 1000])?;
    /// let mut buf = [0; 1000];
    /// b.receive_exact(&mut buf)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_all(&self, buf: &[u8]) -> Result<()> {
        self.socket.send_all("send", buf, Wait::Forever)
    }

    /// Sends all of `buf`, giving up `timeout` from now.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when not all went in time; as
    /// [`send_all`](Self::send_all) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all_timeout(b"abc", std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_all_timeout(&self, buf: &[u8], timeout: Duration) -> Result<()> {
        self.socket.send_all("send", buf, Wait::timeout(timeout))
    }

    /// Sends all of `buf`, giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// As [`send_all_timeout`](Self::send_all_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// a.send_all_deadline(b"abc", deadline)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_all_deadline(&self, buf: &[u8], deadline: Instant) -> Result<()> {
        self.socket.send_all("send", buf, Wait::deadline(deadline))
    }

    /// Receives some bytes into `buf`, waiting for them; `Ok(0)` means the peer closed its
    /// end (or shut down writing) and everything it sent has been received, or that `buf` is
    /// empty (which returns at once).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the connection was reset.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"abc")?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.receive(&mut buf)?, 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive(&self, buf: &mut [u8]) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::Forever)
    }

    /// Receives some bytes without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when nothing is there; as
    /// [`receive`](Self::receive) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_a, b) = ipc_sock::UnixStream::pair()?;
    /// let err = b.try_receive(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive(&self, buf: &mut [u8]) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::NonBlocking)
    }

    /// Receives some bytes, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when nothing came; as
    /// [`receive`](Self::receive) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (_a, b) = ipc_sock::UnixStream::pair()?;
    /// let err = b.receive_timeout(&mut [0; 8], Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_timeout(&self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::timeout(timeout))
    }

    /// Receives some bytes, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`receive_timeout`](Self::receive_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"x")?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// assert_eq!(b.receive_deadline(&mut [0; 8], deadline)?, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_deadline(&self, buf: &mut [u8], deadline: Instant) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::deadline(deadline))
    }

    /// Fills `buf`, waiting as long as it takes.
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](ipc_core::ErrorKind::UnexpectedEof) when the peer closed before `buf`
    /// was full; as [`receive`](Self::receive) otherwise. The bytes that did arrive are at the
    /// start of `buf`, and [`Error::transferred`](ipc_core::Error::transferred) says how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"ab")?;
    /// drop(a);
    /// let err = b.receive_exact(&mut [0; 4]).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::UnexpectedEof);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_exact(&self, buf: &mut [u8]) -> Result<()> {
        self.socket.receive_exact("recv", buf, Wait::Forever)
    }

    /// Fills `buf`, giving up `timeout` from now.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when `buf` was not filled in time; as
    /// [`receive_exact`](Self::receive_exact) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"ab")?;
    /// b.receive_exact_timeout(&mut [0; 2], std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_exact_timeout(&self, buf: &mut [u8], timeout: Duration) -> Result<()> {
        self.socket
            .receive_exact("recv", buf, Wait::timeout(timeout))
    }

    /// Fills `buf`, giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// As [`receive_exact_timeout`](Self::receive_exact_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"ab")?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// b.receive_exact_deadline(&mut [0; 2], deadline)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_exact_deadline(&self, buf: &mut [u8], deadline: Instant) -> Result<()> {
        self.socket
            .receive_exact("recv", buf, Wait::deadline(deadline))
    }

    /// Shuts down reading, writing or both (`shutdown(2)`): after `Write`, the peer receives
    /// end of input once it has read what was sent.
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ENOTCONN`) when not connected.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.shutdown(std::net::Shutdown::Write)?;
    /// assert_eq!(b.receive(&mut [0; 1])?, 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn shutdown(&self, how: std::net::Shutdown) -> Result<()> {
        self.socket.shutdown("shutdown", how)
    }

    /// The address of the peer (`getpeername`): the listener's address for a client, `None`
    /// for an accepted connection from a client that did not bind (the usual case) or for
    /// a [`pair`](Self::pair).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ENOTCONN`) when not connected.
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

impl io::Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.receive(buf)?)
    }
}

impl io::Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.receive(buf)?)
    }
}

impl io::Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.send(buf)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.send(buf)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.fd()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.fd().as_raw_fd()
    }
}

impl From<UnixStream> for OwnedFd {
    fn from(stream: UnixStream) -> Self {
        stream.socket.into_fd()
    }
}

impl TryFrom<OwnedFd> for UnixStream {
    type Error = ipc_core::Error;

    fn try_from(fd: OwnedFd) -> Result<Self> {
        Self::from_fd(fd)
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.as_raw_fd())
            .field("object", &self.socket.object().to_string())
            .finish()
    }
}

#[cfg(test)]
mod tests {
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
