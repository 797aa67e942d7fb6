//! A connected TCP stream socket: the type, its addresses and options.

use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};

use ipc_core::{Error, ErrorKind, Object, Result};
use rustix::net::{AddressFamily, SocketAddrAny, SocketType};

use crate::socket::{Descriptor, Socket};
use crate::sys::{socket as sys, tcp};

/// A connected TCP socket (`AF_INET` or `AF_INET6`, `SOCK_STREAM`): a byte stream in both
/// directions, to this machine or another.
///
/// Made by [`connect`](Self::connect) (and its `try_`, `_timeout` and `_deadline` forms) or
/// by [`TcpListener::accept`](crate::TcpListener::accept).
///
/// # Same names as `UnixStream`
///
/// Every method that [`UnixStream`](crate::UnixStream) has for a connected stream is here
/// with the same name, arguments and forms (`send`, `try_send`, `send_timeout`,
/// `send_deadline`, `send_all*`, `receive*`, `receive_exact*`, `shutdown`, `peer_address`,
/// `local_address`, `from_fd`), built on the same core, so moving a program from a Unix
/// socket to TCP is a change of types. What differs is what TCP has: a
/// [`SocketAddr`] (always known, so the address getters return it rather than an `Option`),
/// and [`set_nodelay`](Self::set_nodelay). [`FramedStream`](crate::FramedStream) frames
/// either.
///
/// The descriptor stays blocking: the non-blocking and bounded forms pass `MSG_DONTWAIT` per
/// call (the bounded ones after `poll(2)` on a monotonic deadline).
///
/// # SIGPIPE
///
/// Every send passes `MSG_NOSIGNAL`: a send to a peer that closed or reset the connection
/// fails with [`PeerGone`](ErrorKind::PeerGone) (`EPIPE`, `ECONNRESET`) and never raises
/// `SIGPIPE`, whatever the process's disposition for it.
///
/// # Close-on-exec
///
/// The descriptor is close-on-exec (`SOCK_CLOEXEC`, `accept4(…, SOCK_CLOEXEC)`).
///
/// # Threads
///
/// `TcpStream` is `Send` and `Sync` without any `unsafe`: it holds an `OwnedFd` and the
/// object its errors name, and the kernel serialises calls on one socket.
///
/// # Examples
///
/// ```
/// use ipc_sock::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
/// let client = TcpStream::connect(&listener.local_address())?;
/// let server = listener.accept()?;
/// client.send_all(b"ping")?;
/// let mut buf = [0; 4];
/// server.receive_exact(&mut buf)?;
/// assert_eq!(&buf, b"ping");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`tcp(7)`](https://man7.org/linux/man-pages/man7/tcp.7.html)
/// - [`send(2)`](https://man7.org/linux/man-pages/man2/send.2.html), `MSG_NOSIGNAL`
/// - [`recv(2)`](https://man7.org/linux/man-pages/man2/recv.2.html)
pub struct TcpStream {
    pub(super) socket: Socket,
}

impl TcpStream {
    /// Wraps a connected socket.
    pub(super) fn from_socket(socket: Socket) -> Self {
        Self { socket }
    }

    /// The core socket, for the crate's framing.
    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Takes a descriptor that must be a TCP socket (inherited, or received from another
    /// process), checked with `SO_DOMAIN`, `SO_TYPE` and `SO_PROTOCOL`, and not listening
    /// (`SO_ACCEPTCONN`). Its `O_NONBLOCK` flag is left as it is: on a non-blocking
    /// descriptor the waiting forms wait with `poll(2)`.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when it is not one (another family
    /// or type, another protocol such as SCTP, or a listening socket); the descriptor is
    /// closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let fd: OwnedFd = TcpStream::connect(&listener.local_address())?.into();
    /// let _client = TcpStream::from_fd(fd)?;
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert!(TcpStream::from_fd(a.into()).is_err());
    /// assert!(TcpStream::from_fd(listener.into()).is_err(), "a listening socket");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        const OPERATION: &str = "tcp_stream_from_fd";
        let socket = checked(fd, OPERATION)?;
        match sys::is_listening(socket.fd()) {
            Ok(false) => Ok(Self::from_socket(socket)),
            Ok(true) => Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
                .with_object(socket.object().clone())
                .with_detail("is a listening socket (use TcpListener::from_fd)")),
            Err(errno) => Err(Error::from_errno(OPERATION, socket.object().clone(), errno)),
        }
    }

    /// Turns Nagle's algorithm off (`true`) or on (`false`): with `TCP_NODELAY` set, small
    /// sends go out at once instead of waiting to be coalesced, which is what a
    /// request/response exchange wants.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) only if the descriptor was closed
    /// behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let client = TcpStream::connect(&listener.local_address())?;
    /// client.set_nodelay(true)?;
    /// assert!(client.nodelay()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "TCP_NODELAY")]
    pub fn set_nodelay(&self, nodelay: bool) -> Result<()> {
        tcp::set_nodelay(self.socket.fd(), nodelay)
            .map_err(|errno| self.socket.error("setsockopt TCP_NODELAY", errno))
    }

    /// Whether `TCP_NODELAY` is set (see [`set_nodelay`](Self::set_nodelay)); it is not,
    /// unless set.
    ///
    /// # Errors
    ///
    /// As [`set_nodelay`](Self::set_nodelay).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// assert!(!TcpStream::connect(&listener.local_address())?.nodelay()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nodelay(&self) -> Result<bool> {
        tcp::nodelay(self.socket.fd())
            .map_err(|errno| self.socket.error("getsockopt TCP_NODELAY", errno))
    }

    /// The address of the peer (`getpeername`).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ErrorKind::PeerGone) (`ENOTCONN`) when the connection is gone, or the
    /// socket was never connected.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let client = TcpStream::connect(&listener.local_address())?;
    /// assert_eq!(client.peer_address()?, listener.local_address());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_address(&self) -> Result<SocketAddr> {
        const OPERATION: &str = "getpeername";
        let raw = sys::peer_name(self.socket.fd())
            .map_err(|errno| self.socket.error(OPERATION, errno))?;
        match raw {
            Some(raw) => inet_address(raw, OPERATION, self.socket.object()),
            None => Err(self.socket.error(OPERATION, rustix::io::Errno::NOTCONN)),
        }
    }

    /// The address this end is bound to (`getsockname`): for a client, the local port the
    /// kernel picked.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) (`EBADF`) only if the descriptor was
    /// closed behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let client = TcpStream::connect(&listener.local_address())?;
    /// let server = listener.accept()?;
    /// assert_eq!(server.peer_address()?, client.local_address()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_address(&self) -> Result<SocketAddr> {
        const OPERATION: &str = "getsockname";
        let raw = sys::local_name(self.socket.fd())
            .map_err(|errno| self.socket.error(OPERATION, errno))?;
        inet_address(raw, OPERATION, self.socket.object())
    }
}

/// Takes `fd` after checking that it is a TCP socket of either family.
pub(super) fn checked(fd: OwnedFd, operation: &'static str) -> Result<Socket> {
    // The family decides which check to make; anything else fails that check with its reason.
    let domain = match sys::domain(fd.as_fd()) {
        Ok(AddressFamily::INET6) => AddressFamily::INET6,
        _ => AddressFamily::INET,
    };
    let socket = Socket::checked(fd, domain, SocketType::STREAM, "a TCP socket", operation)?;
    match tcp::is_tcp(socket.fd()) {
        Ok(true) => Ok(socket),
        Ok(false) => Err(Error::new(ErrorKind::InvalidArgument, operation)
            .with_object(socket.object().clone())
            .with_detail("is a stream socket of another protocol (SO_PROTOCOL), not TCP")),
        Err(errno) => Err(Error::from_errno(operation, socket.object().clone(), errno)),
    }
}

/// A TCP socket of the family of `address`, blocking and close-on-exec.
pub(super) fn open(address: &SocketAddr, operation: &'static str) -> Result<Socket> {
    let domain = match address {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    Socket::open(domain, SocketType::STREAM, operation, object(address))
}

/// The object errors about `address` name.
pub(super) fn object(address: &SocketAddr) -> Object {
    Object::Name(address.to_string().into())
}

/// A socket that is `Descriptor::Blocking` and names `object`.
pub(super) fn blocking(fd: OwnedFd, object: Object) -> Socket {
    Socket::new(fd, object, Descriptor::Blocking)
}

/// The internet address of a raw socket address.
pub(super) fn inet_address(
    raw: SocketAddrAny,
    operation: &'static str,
    object: &Object,
) -> Result<SocketAddr> {
    SocketAddr::try_from(raw).map_err(|_| {
        Error::new(ErrorKind::Other, operation)
            .with_object(object.clone())
            .with_detail("the kernel reported an address that is not an internet address")
    })
}

crate::stream_forms::stream_forms!(
    TcpStream,
    setup: [
        "use ipc_sock::{TcpListener, TcpStream};",
        "",
        "let listener = TcpListener::bind(&\"127.0.0.1:0\".parse()?)?;",
        "let a = TcpStream::connect(&listener.local_address())?;",
        "let b = listener.accept()?;",
    ],
    ok: "# Ok::<(), Box<dyn std::error::Error>>(())",
);
crate::descriptor::connected_descriptor!(TcpStream);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TcpListener;

    #[test]
    fn a_stream_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TcpStream>();
    }

    #[test]
    fn a_stream_reads_and_writes_through_std_io() {
        use std::io::{Read, Write};
        let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let mut sut = TcpStream::connect(&listener.local_address()).unwrap();
        let mut server = listener.accept().unwrap();
        sut.write_all(b"io").unwrap();
        drop(sut);
        let mut got = String::new();
        server.read_to_string(&mut got).unwrap();
        assert_eq!(got, "io");
    }

    #[test]
    fn an_ipv6_loopback_stream_connects_where_the_host_has_one() {
        let Ok(listener) = TcpListener::bind(&"[::1]:0".parse().unwrap()) else {
            return; // No IPv6 loopback in this sandbox: nothing to test.
        };
        let sut = TcpStream::connect(&listener.local_address()).unwrap();
        assert!(sut.local_address().unwrap().is_ipv6());
        let fd: OwnedFd = sut.into();
        assert!(TcpStream::from_fd(fd).is_ok());
    }

    #[test]
    fn debug_names_the_descriptor_and_the_peer() {
        let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.local_address();
        let sut = TcpStream::connect(&address).unwrap();
        let shown = format!("{sut:?}");
        assert!(shown.contains(&address.to_string()), "{shown}");
    }
}
