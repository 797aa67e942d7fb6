//! The Unix datagram socket: binding, connecting, and what every descriptor type offers.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use ipc_core::{Error, ErrorKind, Object, Result};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketType};

use crate::address::UnixAddress;
use crate::listener::{BoundPath, UnixListenerBuilder, bind_socket};
use crate::socket::{Descriptor, Socket};
use crate::sys::socket as sys;

/// A `SOCK_DGRAM` socket in the Unix domain: whole messages, each received as it was sent
/// or not at all, in order, and reliably (a Unix datagram is never dropped: a sender waits,
/// or gets [`WouldBlock`](ErrorKind::WouldBlock), while the receiver's queue is full).
///
/// Made [`bind`](Self::bind)ing to an address (to receive from anyone, or to be replied to),
/// [`unbound`](Self::unbound) (to send with [`send_to`](Self::send_to) or after
/// [`connect`](Self::connect)), or as a connected [`pair`](Self::pair).
///
/// # Truncation
///
/// A message longer than the buffer given to a receive is never cut short silently: every
/// receive passes `MSG_TRUNC`, so the kernel reports the message's real length, and the
/// receive fails with [`MessageTooLarge`](ErrorKind::MessageTooLarge) naming both sizes.
/// The message is consumed all the same: the kernel has discarded its bytes by then. The
/// buffer then holds the message's first bytes, which are not a message and must not be
/// used. To size
/// the buffer first, [`peek_size`](Self::peek_size) tells the next message's length without
/// consuming it. A send larger than the socket can carry in one piece (its `SO_SNDBUF`) is
/// `MessageTooLarge` too.
///
/// # Socket files
///
/// A socket bound to a path follows [`UnixListener`](crate::UnixListener)'s rules, with the
/// same options ([`builder`](Self::builder)): the socket file gets an exact mode
/// (`0o600` by default; sending to it needs write permission), a `flock`ed `<path>.lock` is
/// held for the socket's lifetime so that a dead socket's path is reclaimed and a live one's
/// never, and both files are removed on drop.
///
/// # SIGPIPE
///
/// Every send passes `MSG_NOSIGNAL`.
///
/// # Close-on-exec
///
/// The descriptor is close-on-exec.
///
/// # Threads
///
/// `UnixDatagram` is `Send` and `Sync` without any `unsafe`: it holds owned descriptors and
/// paths, and the kernel hands each message to one receive only.
///
/// # Examples
///
/// ```
/// use ipc_sock::{UnixAddress, UnixDatagram};
///
/// let dir = tempfile::tempdir()?;
/// let server = UnixDatagram::bind(&UnixAddress::path(dir.path().join("server"))?)?;
/// let client = UnixDatagram::bind(&UnixAddress::path(dir.path().join("client"))?)?;
/// client.send_to(b"ping", server.local_address().unwrap())?;
/// let mut buf = [0; 16];
/// let (n, from) = server.receive_from(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// server.send_to(b"pong", &from.unwrap())?;
/// assert_eq!(client.receive(&mut buf)?, 4);
///
/// // A message larger than the buffer is refused, never truncated.
/// client.send_to(&[7; 32], server.local_address().unwrap())?;
/// let err = server.receive(&mut buf).unwrap_err();
/// assert_eq!(err.kind(), ipc_core::ErrorKind::MessageTooLarge);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
/// - [`recv(2)`](https://man7.org/linux/man-pages/man2/recv.2.html), `MSG_TRUNC`
/// - [`send(2)`](https://man7.org/linux/man-pages/man2/send.2.html), `MSG_NOSIGNAL`
pub struct UnixDatagram {
    address: Option<UnixAddress>,
    // Fields drop in order: the socket file and the lock file are removed, then the socket
    // closes.
    bound: Option<BoundPath>,
    socket: Socket,
}

impl UnixDatagram {
    /// The socket core, for the calls other files of this crate add (descriptor passing).
    #[allow(
        dead_code,
        reason = "the entry point for ancillary-data calls on datagrams"
    )]
    pub(crate) fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Options for binding: the socket file's mode, the trusted lock owner, reclaiming
    /// unlocked paths (a listener's backlog means nothing here and is ignored).
    ///
    /// # Examples
    ///
    /// ```
    /// let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name("doc-dgb"))?;
    /// let _socket = ipc_sock::UnixDatagram::builder().bind_datagram(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder() -> UnixListenerBuilder {
        UnixListenerBuilder::default()
    }

    /// A datagram socket bound to `address` with the default options (mode `0o600`),
    /// reclaiming the path of a dead socket of this crate (see the type's docs).
    ///
    /// # Errors
    ///
    /// As [`UnixListener::bind`](crate::UnixListener::bind):
    /// [`AlreadyExists`](ErrorKind::AlreadyExists) when a live socket holds the path or name,
    /// [`PermissionDenied`](ErrorKind::PermissionDenied),
    /// [`NotFound`](ErrorKind::NotFound) (no such directory),
    /// [`WrongObjectType`](ErrorKind::WrongObjectType),
    /// [`LimitReached`](ErrorKind::LimitReached).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("inbox");
    /// let socket = ipc_sock::UnixDatagram::bind(&ipc_sock::UnixAddress::path(&path)?)?;
    /// assert!(path.exists());
    /// drop(socket);
    /// assert!(!path.exists(), "removed on drop");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind(address: &UnixAddress) -> Result<Self> {
        Self::builder().bind_datagram(address)
    }

    /// A datagram socket bound to no address: it sends with [`send_to`](Self::send_to), or
    /// to the peer it [`connect`](Self::connect)s to, but cannot be replied to.
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ErrorKind::LimitReached) when no descriptor is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::UnixDatagram::unbound()?;
    /// assert_eq!(sut.local_address(), None);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn unbound() -> Result<Self> {
        let fd = sys::socket(AddressFamily::UNIX, SocketType::DGRAM)
            .map_err(|errno| Error::from_errno("socket", "unix datagram socket", errno))?;
        let object = Object::fd(fd.as_fd());
        Ok(Self::from_socket(Socket::new(
            fd,
            object,
            Descriptor::Blocking,
        )))
    }

    /// A pair of connected, anonymous datagram sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// [`LimitReached`](ErrorKind::LimitReached) when no descriptor is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send(b"one")?;
    /// a.send(b"two")?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.receive(&mut buf)?, 3, "one message at a time");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "socketpair")]
    pub fn pair() -> Result<(Self, Self)> {
        let (a, b) = sys::socketpair(AddressFamily::UNIX, SocketType::DGRAM)
            .map_err(|errno| Error::from_errno("socketpair", "unix datagram pair", errno))?;
        let wrap = |fd: OwnedFd| {
            let object = Object::fd(fd.as_fd());
            Self::from_socket(Socket::new(fd, object, Descriptor::Blocking))
        };
        Ok((wrap(a), wrap(b)))
    }

    /// Takes a descriptor that must be a Unix datagram socket (inherited, or received from
    /// another process), checked with `SO_DOMAIN` and `SO_TYPE`. Its `O_NONBLOCK` flag is
    /// left as it is (it belongs to the open file description, shared with any duplicate):
    /// on a non-blocking descriptor the waiting forms wait with `poll(2)` (and `send_to`,
    /// whose receiver's queue `poll` cannot watch, with short pauses) instead of in the
    /// call. It does not own its path: nothing is removed on drop.
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
    ///
    /// let (a, _b) = ipc_sock::UnixDatagram::pair()?;
    /// let fd: OwnedFd = a.into();
    /// let _a = ipc_sock::UnixDatagram::from_fd(fd)?;
    /// let (stream, _) = ipc_sock::UnixStream::pair()?;
    /// assert!(ipc_sock::UnixDatagram::from_fd(stream.into()).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn from_fd(fd: OwnedFd) -> Result<Self> {
        const OPERATION: &str = "unix_datagram_from_fd";
        let mut socket = Socket::checked(
            fd,
            AddressFamily::UNIX,
            SocketType::DGRAM,
            "a Unix datagram socket",
            OPERATION,
        )?;
        let address = sys::local_name(socket.fd())
            .ok()
            .and_then(UnixAddress::from_raw);
        if let Some(address) = &address {
            socket.set_object(Object::from(address));
        }
        Ok(Self {
            address,
            bound: None,
            socket,
        })
    }

    /// Wraps an unbound socket.
    fn from_socket(socket: Socket) -> Self {
        Self {
            address: None,
            bound: None,
            socket,
        }
    }

    /// The bind behind [`bind`](Self::bind) and [`UnixListenerBuilder::bind_datagram`].
    fn bind_with(address: &UnixAddress, options: &UnixListenerBuilder) -> Result<Self> {
        let (socket, bound) = bind_socket(SocketType::DGRAM, address, options, "bind")?;
        Ok(Self {
            address: Some(address.clone()),
            bound,
            socket,
        })
    }

    /// Sets the default peer (`connect(2)`): [`send`](Self::send) goes to it, and only its
    /// messages are received from now on. Connecting again changes the peer. Errors name
    /// the peer's address from now on.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound): nothing at the path.
    /// - [`PeerGone`](ErrorKind::PeerGone): nothing is bound there any more (`ECONNREFUSED`).
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied): the socket file's mode refuses the
    ///   caller (sending needs write permission).
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType): the socket at the path is not a
    ///   datagram socket (`EPROTOTYPE`). An abstract name is looked up per socket type, so
    ///   there another type's socket is `PeerGone`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-dg-connect"))?;
    /// let server = UnixDatagram::bind(&address)?;
    /// let mut client = UnixDatagram::unbound()?;
    /// client.connect(&address)?;
    /// client.send(b"hello")?;
    /// let mut buf = [0; 8];
    /// assert_eq!(server.receive(&mut buf)?, 5);
    /// assert_eq!(client.peer_address()?, Some(address));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect(&mut self, address: &UnixAddress) -> Result<()> {
        const OPERATION: &str = "connect";
        let raw = address.to_raw(OPERATION)?;
        let object = Object::from(address);
        ipc_core::Wait::Forever
            .retry(|_| sys::connect(self.socket.fd(), &raw))
            .map_err(|errno| match errno {
                Errno::PROTOTYPE => Error::from_errno_as(
                    ErrorKind::WrongObjectType,
                    OPERATION,
                    object.clone(),
                    errno,
                )
                .with_detail("the socket there is not a datagram socket"),
                _ => crate::socket::socket_error(OPERATION, object.clone(), errno),
            })?;
        self.socket.set_object(object);
        Ok(())
    }

    /// The address this socket was bound to: `None` for an unbound socket, or one taken with
    /// [`from_fd`](Self::from_fd) whose address the kernel does not report.
    ///
    /// # Examples
    ///
    /// ```
    /// let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name("doc-dg-a"))?;
    /// let sut = ipc_sock::UnixDatagram::bind(&address)?;
    /// assert_eq!(sut.local_address(), Some(&address));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn local_address(&self) -> Option<&UnixAddress> {
        self.address.as_ref()
    }

    /// Leaves the socket file at the path when this socket drops or becomes an [`OwnedFd`],
    /// so that a descriptor handed to another process stays reachable by its path; the lock
    /// file still goes, and the next bind refuses the path: as
    /// [`UnixListener::persist`](crate::UnixListener::persist).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("handed-over");
    /// let address = UnixAddress::path(&path)?;
    /// let mut socket = UnixDatagram::bind(&address)?;
    /// socket.persist();
    /// let fd: OwnedFd = socket.into(); // to be handed to another process
    /// UnixDatagram::unbound()?.send_to(b"still here", &address)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(UnixDatagram::from_fd(fd)?.receive(&mut buf)?, 10);
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn persist(&mut self) {
        if let Some(bound) = &mut self.bound {
            bound.persist();
        }
    }

    /// The connected peer's address (`getpeername`): `None` for an anonymous peer (a
    /// [`pair`](Self::pair)).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ErrorKind::PeerGone) (`ENOTCONN`) when not connected: the peer is gone
    /// (for a datagram socket, it closed), or the socket was never connected.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::UnixDatagram::unbound()?;
    /// let err = sut.peer_address().unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::PeerGone);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_address(&self) -> Result<Option<UnixAddress>> {
        let raw = sys::peer_name(self.socket.fd())
            .map_err(|errno| self.socket.error("getpeername", errno))?;
        Ok(raw.and_then(UnixAddress::from_raw))
    }
}

impl UnixListenerBuilder {
    /// Binds a [`UnixDatagram`] to `address` with these options (the backlog is ignored).
    ///
    /// # Errors
    ///
    /// As [`UnixDatagram::bind`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("group-inbox");
    /// let _socket = ipc_sock::UnixDatagram::builder()
    ///     .permissions(ipc_core::Permissions::from_mode(0o620)?)
    ///     .bind_datagram(&ipc_sock::UnixAddress::path(&path)?)?;
    /// assert_eq!(std::fs::symlink_metadata(&path)?.permissions().mode() & 0o777, 0o620);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_datagram(self, address: &UnixAddress) -> Result<UnixDatagram> {
        UnixDatagram::bind_with(address, &self)
    }
}

crate::descriptor::descriptor_access!(UnixDatagram);

impl From<UnixDatagram> for OwnedFd {
    /// The descriptor. The path goes as on drop: a lock file this socket made is removed,
    /// and so is its socket file unless [`persist`](UnixDatagram::persist) was called.
    fn from(datagram: UnixDatagram) -> Self {
        let UnixDatagram { bound, socket, .. } = datagram;
        drop(bound);
        socket.into_fd()
    }
}

crate::descriptor::try_from_fd!(UnixDatagram);

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.as_raw_fd())
            .field("address", &self.address)
            .field("object", &self.socket.object().to_string())
            .field("locked", &self.bound.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_socket_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UnixDatagram>();
    }

    #[test]
    fn connecting_to_a_stream_listener_path_is_the_wrong_object_type() {
        // An abstract name is looked up per socket type, so only a path finds the listener.
        let dir = tempfile::tempdir().unwrap();
        let address = UnixAddress::path(dir.path().join("stream")).unwrap();
        let _listener = crate::UnixListener::bind(&address).unwrap();
        let mut sut = UnixDatagram::unbound().unwrap();
        let err = sut.connect(&address).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    }
}
