//! A listening TCP socket and its accept calls.

use std::fmt;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};

use ipc_core::{Error, ErrorKind, Result, Wait};
use rustix::event::PollFlags;
use rustix::io::Errno;

use super::stream::{self, TcpStream};
use crate::socket::{Descriptor, Socket};
use crate::sys::{socket as sys, tcp};

/// The backlog [`TcpListener::bind`] asks for, as [`UnixListener`](crate::UnixListener)'s.
const BACKLOG: i32 = 128;

/// A listening TCP socket, which accepts connections as [`TcpStream`]s.
///
/// The accept calls have the same names and forms as
/// [`UnixListener`](crate::UnixListener)'s (`accept`, `try_accept`, `accept_timeout`,
/// `accept_deadline`), through the same core.
///
/// # `SO_REUSEADDR`
///
/// [`bind`](Self::bind) sets `SO_REUSEADDR`, so a server restarted at once can bind its port
/// again while connections of its previous run sit in `TIME_WAIT` (which lasts a minute on
/// Linux). It does not let two live listeners share a port: on Linux that takes
/// `SO_REUSEPORT`, which this type never sets, so a second `bind` to a port in use still
/// fails with [`AlreadyExists`](ErrorKind::AlreadyExists). (The reference's server sets
/// both; only the first is wanted.)
///
/// # Blocking
///
/// The descriptor is non-blocking (`O_NONBLOCK`), because `accept` has no per-call
/// non-blocking flag: [`accept`](Self::accept) waits with `poll(2)` and accepts again after
/// every wake-up. Accepted streams are blocking and close-on-exec.
///
/// # Close-on-exec
///
/// The listener's descriptor and the accepted streams' are close-on-exec.
///
/// # Threads
///
/// `TcpListener` is `Send` and `Sync` without any `unsafe`: it holds an owned descriptor,
/// and the kernel hands each pending connection to one `accept` only.
///
/// # Examples
///
/// Port 0 asks the kernel for a free port; [`local_address`](Self::local_address) says
/// which:
///
/// ```
/// use ipc_sock::{TcpListener, TcpStream};
///
/// let sut = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
/// let address = sut.local_address();
/// assert_ne!(address.port(), 0);
/// let client = TcpStream::connect(&address)?;
/// let accepted = sut.accept()?;
/// client.send_all(b"Hello from client")?;
/// let mut buf = [0; 17];
/// accepted.receive_exact(&mut buf)?;
/// assert_eq!(&buf, b"Hello from client");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`tcp(7)`](https://man7.org/linux/man-pages/man7/tcp.7.html)
/// - [`socket(7)`](https://man7.org/linux/man-pages/man7/socket.7.html), `SO_REUSEADDR`
/// - [`accept4(2)`](https://man7.org/linux/man-pages/man2/accept4.2.html)
pub struct TcpListener {
    address: SocketAddr,
    socket: Socket,
}

impl TcpListener {
    /// Binds a listener to `address` (port 0: a free port the kernel picks), with
    /// `SO_REUSEADDR` set and a backlog of 128.
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): a socket is bound to the port already
    ///   (`EADDRINUSE`).
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied): a port below 1024 without the
    ///   privilege for it (`EACCES`).
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): the address is not one of this
    ///   host's (`EADDRNOTAVAIL`).
    /// - [`LimitReached`](ErrorKind::LimitReached): no descriptor left.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let err = ipc_sock::TcpListener::bind(&sut.local_address()).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::AlreadyExists);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`bind(2)`](https://man7.org/linux/man-pages/man2/bind.2.html)
    /// - [`listen(2)`](https://man7.org/linux/man-pages/man2/listen.2.html)
    pub fn bind(address: &SocketAddr) -> Result<Self> {
        const OPERATION: &str = "bind";
        let mut socket = stream::open(address, OPERATION)?;
        tcp::set_reuse_address(socket.fd(), true)
            .map_err(|errno| socket.error("setsockopt SO_REUSEADDR", errno))?;
        sys::bind(socket.fd(), address).map_err(|errno| socket.error(OPERATION, errno))?;
        sys::listen(socket.fd(), BACKLOG).map_err(|errno| socket.error("listen", errno))?;
        socket.set_descriptor(Descriptor::NonBlocking, "listen")?;
        let raw =
            sys::local_name(socket.fd()).map_err(|errno| socket.error("getsockname", errno))?;
        let address = stream::inet_address(raw, "getsockname", socket.object())?;
        socket.set_object(stream::object(&address));
        Ok(Self { address, socket })
    }

    /// Takes a descriptor that must be a listening TCP socket (inherited from a supervisor,
    /// say), checked with `SO_DOMAIN`, `SO_TYPE` and `SO_ACCEPTCONN`, and makes it
    /// non-blocking.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) when it is not one; the descriptor is
    /// closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let fd: OwnedFd = TcpListener::bind(&"127.0.0.1:0".parse()?)?.into();
    /// let listener = TcpListener::from_fd(fd)?;
    /// let _client = TcpStream::connect(&listener.local_address())?;
    /// let _accepted = listener.accept()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        const OPERATION: &str = "tcp_listener_from_fd";
        let mut socket = stream::checked(fd, OPERATION)?;
        let listening =
            sys::is_listening(socket.fd()).map_err(|errno| socket.error(OPERATION, errno))?;
        if !listening {
            return Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
                .with_object(socket.object().clone())
                .with_detail("is a TCP socket that does not listen"));
        }
        socket.set_descriptor(Descriptor::NonBlocking, OPERATION)?;
        let raw = sys::local_name(socket.fd()).map_err(|errno| socket.error(OPERATION, errno))?;
        let address = stream::inet_address(raw, OPERATION, socket.object())?;
        socket.set_object(stream::object(&address));
        Ok(Self { address, socket })
    }

    /// The address the listener is bound to, with the port the kernel picked for port 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// assert!(sut.local_address().ip().is_loopback());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn local_address(&self) -> SocketAddr {
        self.address
    }

    /// Whether `SO_REUSEADDR` is set on the listening socket (it is, after
    /// [`bind`](Self::bind)).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) only if the descriptor was closed
    /// behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// assert!(sut.reuse_address()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "SO_REUSEADDR")]
    pub fn reuse_address(&self) -> Result<bool> {
        tcp::reuse_address(self.socket.fd())
            .map_err(|errno| self.socket.error("getsockopt SO_REUSEADDR", errno))
    }

    /// The one accept, in the form `wait` asks for. The accepted stream's errors name its
    /// peer's address (the listener's when the kernel reports none).
    fn accept_with(&self, wait: Wait) -> Result<TcpStream> {
        let (fd, peer) = self.socket.io("accept4", PollFlags::IN, wait, |fd, _| {
            loop {
                match tcp::accept_from(fd) {
                    // That connection is gone; the next one, or `EAGAIN`, is the answer.
                    Err(errno) if pending_network_error(errno) => {}
                    accepted => break accepted,
                }
            }
        })?;
        let object = peer
            .and_then(|raw| SocketAddr::try_from(raw).ok())
            .map_or_else(
                || self.socket.object().clone(),
                |peer| stream::object(&peer),
            );
        Ok(TcpStream::from_socket(stream::blocking(fd, object)))
    }
}

/// Whether `errno` from `accept` is an error of the connection being accepted, not of the
/// listener, to be retried: "Linux accept() (and accept4()) passes already-pending network
/// errors on the new socket as an error code from accept(). [...] For reliable operation the
/// application should detect the network errors defined for the protocol after accept() and
/// treat them like EAGAIN by retrying. In the case of TCP/IP, these are ENETDOWN, EPROTO,
/// ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, and ENETUNREACH"
/// (`accept(2)`); and `ECONNABORTED`, "a connection has been aborted", before it was
/// accepted.
fn pending_network_error(errno: Errno) -> bool {
    matches!(
        errno,
        Errno::CONNABORTED
            | Errno::NETDOWN
            | Errno::PROTO
            | Errno::NOPROTOOPT
            | Errno::HOSTDOWN
            | Errno::NONET
            | Errno::HOSTUNREACH
            | Errno::OPNOTSUPP
            | Errno::NETUNREACH
    )
}

crate::accept_forms::accept_forms!(
    TcpListener => TcpStream,
    note: [
        "A connection that failed before it was accepted (`ECONNABORTED`, or a network error",
        "`accept(2)` passes on from it, such as `ENETUNREACH`) is skipped, and the wait goes on",
        "for the next.",
    ],
    listener: [
        "let listener = ipc_sock::TcpListener::bind(&\"127.0.0.1:0\".parse()?)?;",
    ],
    connect: [
        "let _client = ipc_sock::TcpStream::connect(&listener.local_address())?;",
    ],
    ok: "# Ok::<(), Box<dyn std::error::Error>>(())",
);

crate::descriptor::descriptor_access!(TcpListener);

impl From<TcpListener> for OwnedFd {
    /// The listening descriptor (non-blocking).
    fn from(listener: TcpListener) -> Self {
        listener.socket.into_fd()
    }
}

crate::descriptor::try_from_fd!(TcpListener);

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.as_raw_fd())
            .field("address", &self.address)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_core::Object;

    #[test]
    fn a_listener_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TcpListener>();
    }

    #[test]
    fn a_descriptor_that_does_not_listen_is_refused() {
        let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let client = TcpStream::connect(&listener.local_address()).unwrap();
        let err = TcpListener::from_fd(client.into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        let (a, _b) = crate::UnixStream::pair().unwrap();
        let err = TcpListener::from_fd(a.into()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }

    #[test]
    fn errors_of_a_pending_connection_are_retried_and_the_listeners_own_are_not() {
        for errno in [
            Errno::CONNABORTED,
            Errno::NETDOWN,
            Errno::PROTO,
            Errno::HOSTUNREACH,
        ] {
            assert!(pending_network_error(errno), "{errno}");
        }
        for errno in [
            Errno::AGAIN,
            Errno::MFILE,
            Errno::BADF,
            Errno::INVAL,
            Errno::NOBUFS,
        ] {
            assert!(!pending_network_error(errno), "{errno}");
        }
    }

    #[test]
    fn an_accepted_stream_names_its_peer_in_errors() {
        let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let client = TcpStream::connect(&listener.local_address()).unwrap();
        let sut = listener.accept().unwrap();
        let err = sut.try_receive(&mut [0; 1]).unwrap_err();
        let peer = client.local_address().unwrap();
        assert_eq!(err.object(), Some(&Object::Name(peer.to_string().into())));
    }
}
