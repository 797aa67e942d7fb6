//! The connected seqpacket socket: connecting, and what every descriptor type offers.

use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use ipc_core::{Error, Object, Result, Wait};
use rustix::net::{AddressFamily, SocketType};

use crate::address::UnixAddress;
use crate::connect::connect_socket;
use crate::socket::{Descriptor, Socket};
use crate::sys::socket as sys;

/// A connected `SOCK_SEQPACKET` socket in the Unix domain: a connection, as a
/// [`UnixStream`](crate::UnixStream), that carries records, as a
/// [`UnixDatagram`](crate::UnixDatagram): each send is received whole by one receive, in
/// order, reliably. Rust's standard library has no such type.
///
/// Made by [`connect`](Self::connect) (and its `try_`, `_timeout` and `_deadline` forms), by
/// [`SeqpacketListener::accept`](crate::SeqpacketListener::accept), or by
/// [`pair`](Self::pair).
///
/// # End of input and empty records
///
/// [`receive`](Self::receive) returns `Ok(0)` at end of input: the peer closed or shut down
/// writing, and every record it sent has been received. On Linux a record of zero bytes
/// would read exactly the same: `recvmsg(2)` returns 0 with no flag set for both (no
/// `MSG_EOR`, nothing in `msg_flags`), and the socket's state after either is alike. So
/// [`send`](Self::send) refuses an empty record with
/// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument), and between two peers using
/// this type `Ok(0)` means end of input only. A peer written otherwise (in C, say) can still
/// send an empty record, which is then indistinguishable from end of input; a protocol that
/// needs "nothing" as a message should send a one-byte record.
///
/// # Truncation
///
/// A record longer than the buffer is never cut short silently: the receive fails with
/// [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge) naming both sizes, and the
/// record is consumed all the same (the kernel has discarded it). The
/// buffer then holds the message's first bytes, which are not a message and must not be
/// used.
/// [`peek_size`](Self::peek_size) tells the next record's length without consuming it. A
/// record larger than the socket can send in one piece (`SO_SNDBUF`) is `MessageTooLarge`.
///
/// # SIGPIPE
///
/// Every send passes `MSG_NOSIGNAL`: a send to a peer that is gone fails with
/// [`PeerGone`](ipc_core::ErrorKind::PeerGone) and never raises `SIGPIPE`.
///
/// # Close-on-exec
///
/// The descriptor is close-on-exec.
///
/// # Threads
///
/// `Seqpacket` is `Send` and `Sync` without any `unsafe`: it holds an `OwnedFd` and the
/// object its errors name, and the kernel hands each record to one receive only.
///
/// # Examples
///
/// ```
/// let (a, b) = ipc_sock::Seqpacket::pair()?;
/// a.send(b"first")?;
/// a.send(b"second")?;
/// let mut buf = [0; 64];
/// assert_eq!(b.receive(&mut buf)?, 5);
/// assert_eq!(b.receive(&mut buf)?, 6);
/// assert!(a.send(b"").is_err(), "an empty record would read as end of input");
/// drop(a);
/// assert_eq!(b.receive(&mut buf)?, 0, "end of input");
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SOCK_SEQPACKET`
/// - [`recv(2)`](https://man7.org/linux/man-pages/man2/recv.2.html), `MSG_TRUNC`
/// - [`send(2)`](https://man7.org/linux/man-pages/man2/send.2.html), `MSG_NOSIGNAL`
pub struct Seqpacket {
    socket: Socket,
}

impl Seqpacket {
    /// Wraps a connected socket.
    pub(crate) fn from_socket(socket: Socket) -> Self {
        Self { socket }
    }

    /// The socket core, for the calls other files of this crate add (descriptor passing).
    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Connects to the seqpacket listener at `address`, waiting while its backlog is full.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ipc_core::ErrorKind::NotFound): nothing at the path.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): nothing listens there
    ///   (`ECONNREFUSED`), as after a listener's crash.
    /// - [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied): the socket file's mode
    ///   refuses the caller.
    /// - [`Other`](ipc_core::ErrorKind::Other): the listener there is not a seqpacket one
    ///   (`EPROTOTYPE`).
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor left.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-sq-connect"))?;
    /// let _listener = SeqpacketListener::bind(&address)?;
    /// let _client = Seqpacket::connect(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect(address: &UnixAddress) -> Result<Self> {
        connect_socket(address, SocketType::SEQPACKET, Wait::Forever).map(Self::from_socket)
    }

    /// Connects without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the listener's backlog is full;
    /// otherwise as [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-sq-try"))?;
    /// let _listener = SeqpacketListener::bind(&address)?;
    /// let _client = Seqpacket::try_connect(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_connect(address: &UnixAddress) -> Result<Self> {
        connect_socket(address, SocketType::SEQPACKET, Wait::NonBlocking).map(Self::from_socket)
    }

    /// Connects, waiting at most `timeout` for room in the listener's backlog.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when the backlog stayed full; otherwise as
    /// [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-sq-ct"))?;
    /// let _listener = SeqpacketListener::bind(&address)?;
    /// let _client = Seqpacket::connect_timeout(&address, Duration::from_secs(5))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect_timeout(address: &UnixAddress, timeout: Duration) -> Result<Self> {
        connect_socket(address, SocketType::SEQPACKET, Wait::timeout(timeout))
            .map(Self::from_socket)
    }

    /// Connects, waiting until `deadline` at most for room in the listener's backlog.
    ///
    /// # Errors
    ///
    /// As [`connect_timeout`](Self::connect_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-sq-cd"))?;
    /// let _listener = SeqpacketListener::bind(&address)?;
    /// let _client = Seqpacket::connect_deadline(&address, Instant::now() + Duration::from_secs(5))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect_deadline(address: &UnixAddress, deadline: Instant) -> Result<Self> {
        connect_socket(address, SocketType::SEQPACKET, Wait::deadline(deadline))
            .map(Self::from_socket)
    }

    /// A pair of connected, anonymous seqpacket sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ipc_core::ErrorKind::LimitReached) when no descriptor is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::Seqpacket::pair()?;
    /// b.send(b"x")?;
    /// assert_eq!(a.receive(&mut [0; 1])?, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(Self, Self)> {
        let (a, b) = sys::socketpair(AddressFamily::UNIX, SocketType::SEQPACKET)
            .map_err(|errno| Error::from_errno("socketpair", "unix seqpacket pair", errno))?;
        let wrap = |fd: OwnedFd| {
            let object = Object::fd(fd.as_fd());
            Self::from_socket(Socket::new(fd, object, Descriptor::Blocking))
        };
        Ok((wrap(a), wrap(b)))
    }

    /// Takes a descriptor that must be a Unix seqpacket socket (inherited, or received from
    /// another process), checked with `SO_DOMAIN` and `SO_TYPE`. An `O_NONBLOCK` descriptor
    /// stays so; the blocking forms then wait with `poll(2)`.
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
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
    /// let fd: OwnedFd = a.into();
    /// let _a = ipc_sock::Seqpacket::from_fd(fd)?;
    /// let (dgram, _) = ipc_sock::UnixDatagram::pair()?;
    /// assert!(ipc_sock::Seqpacket::from_fd(dgram.into()).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        Socket::checked(
            fd,
            AddressFamily::UNIX,
            SocketType::SEQPACKET,
            "a Unix seqpacket socket",
            "seqpacket_from_fd",
        )
        .map(Self::from_socket)
    }

    /// Shuts down reading, writing or both (`shutdown(2)`): after `Write`, the peer receives
    /// end of input once it has received every record sent.
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ENOTCONN`) when not connected: the
    /// peer is gone, or the socket was never connected.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::Seqpacket::pair()?;
    /// a.send(b"last")?;
    /// a.shutdown(std::net::Shutdown::Write)?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.receive(&mut buf)?, 4);
    /// assert_eq!(b.receive(&mut buf)?, 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn shutdown(&self, how: std::net::Shutdown) -> Result<()> {
        self.socket.shutdown("shutdown", how)
    }

    /// The address of the peer (`getpeername`): the listener's address for a client, `None`
    /// for an accepted connection from an unbound client or for a [`pair`](Self::pair).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ENOTCONN`) when not connected: the
    /// peer is gone, or the socket was never connected.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
    /// assert_eq!(a.peer_address()?, None);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_address(&self) -> Result<Option<UnixAddress>> {
        let raw = sys::peer_name(self.socket.fd())
            .map_err(|errno| self.socket.error("getpeername", errno))?;
        Ok(raw.and_then(UnixAddress::from_raw))
    }

    /// The address this socket is bound to (`getsockname`): `None` for a client; the
    /// listener's address for an accepted connection.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) (`EBADF`) only if the
    /// descriptor was closed behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
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

crate::descriptor::connected_descriptor!(Seqpacket);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seqpacket_socket_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Seqpacket>();
    }
}
