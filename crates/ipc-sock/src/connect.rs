//! Connecting a Unix stream socket: the blocking, `try_` and bounded forms.

use std::time::{Duration, Instant};

use ipc_core::{Deadline, Object, Result, Wait};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketType};

use crate::address::UnixAddress;
use crate::socket::{Descriptor, Socket};
use crate::stream::UnixStream;
use crate::sys::socket as sys;

impl UnixStream {
    /// Connects to the listener at `address`, waiting while its backlog is full.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ipc_core::ErrorKind::NotFound): nothing at the path.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): a socket file is there but nothing
    ///   listens (`ECONNREFUSED`), as after a listener's crash.
    /// - [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied): the socket file's mode
    ///   refuses the caller (connecting needs write permission).
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor left.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixListener, UnixStream};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-connect"))?;
    /// let listener = UnixListener::bind(&address)?;
    /// let client = UnixStream::connect(&address)?;
    /// let server = listener.accept()?;
    /// client.send_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// server.receive_exact(&mut buf)?;
    /// assert_eq!(&buf, b"hi");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect(address: &UnixAddress) -> Result<Self> {
        Self::connect_with(address, Wait::Forever)
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
    /// use ipc_sock::{UnixAddress, UnixListener, UnixStream};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-try-connect"))?;
    /// let _listener = UnixListener::bind(&address)?;
    /// let _client = UnixStream::try_connect(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_connect(address: &UnixAddress) -> Result<Self> {
        Self::connect_with(address, Wait::NonBlocking)
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
    /// use ipc_sock::{UnixAddress, UnixListener, UnixStream};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-connect-timeout"))?;
    /// let _listener = UnixListener::bind(&address)?;
    /// let _client = UnixStream::connect_timeout(&address, Duration::from_secs(5))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect_timeout(address: &UnixAddress, timeout: Duration) -> Result<Self> {
        Self::connect_with(address, Wait::timeout(timeout))
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
    /// use ipc_sock::{UnixAddress, UnixListener, UnixStream};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-connect-deadline"))?;
    /// let _listener = UnixListener::bind(&address)?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let _client = UnixStream::connect_deadline(&address, deadline)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn connect_deadline(address: &UnixAddress, deadline: Instant) -> Result<Self> {
        Self::connect_with(address, Wait::deadline(deadline))
    }

    /// The one connect, in the form `wait` asks for.
    fn connect_with(address: &UnixAddress, wait: Wait) -> Result<Self> {
        connect_socket(address, SocketType::STREAM, wait).map(Self::from_socket)
    }
}

/// Connects a new socket of `kind` (a stream or seqpacket socket) to the listener at
/// `address`, in the form `wait` asks for.
///
/// A Unix stream `connect` never completes in the background. With `O_NONBLOCK` it fails
/// when the listener's backlog is full ("EAGAIN: For nonblocking UNIX domain sockets, the
/// socket is nonblocking, and the connection cannot be completed immediately",
/// `connect(2)`), rather than `EINPROGRESS`, and `poll` on the unconnected socket reports
/// `POLLHUP` at once, so the TCP recipe (non-blocking connect, `poll`, `SO_ERROR`) cannot
/// wait for it. The kernel's own wait can: a blocking `connect` waits for backlog room for
/// at most the socket's `SO_SNDTIMEO`, so the bounded forms set it to the time left, retry
/// after `EINTR` or an early wake-up, and clear it again once connected. Seqpacket sockets
/// connect through the same kernel code (`unix_stream_connect`).
pub(crate) fn connect_socket(
    address: &UnixAddress,
    kind: SocketType,
    wait: Wait,
) -> Result<Socket> {
    const OPERATION: &str = "connect";
    let mut socket = Socket::open(AddressFamily::UNIX, kind, OPERATION, Object::from(address))?;
    let raw = address.to_raw(OPERATION)?;
    let result = match wait {
        Wait::Forever => wait.retry(|_| sys::connect(socket.fd(), &raw)),
        Wait::NonBlocking => connect_now(&mut socket, &raw, OPERATION)?,
        Wait::Until(deadline) => connect_until(&mut socket, &raw, deadline, OPERATION)?,
    };
    result.map_err(|errno| socket.error(OPERATION, errno))?;
    Ok(socket)
}

/// One connect attempt that does not wait: `O_NONBLOCK` for the call only.
fn connect_now(
    socket: &mut Socket,
    raw: &SocketAddrUnix,
    operation: &'static str,
) -> Result<rustix::io::Result<()>> {
    socket.set_descriptor(Descriptor::NonBlocking, operation)?;
    let result = Wait::NonBlocking.retry(|_| sys::connect(socket.fd(), raw));
    socket.set_descriptor(Descriptor::Blocking, operation)?;
    Ok(result)
}

/// Blocking connect attempts bounded by `SO_SNDTIMEO`, until `deadline`.
fn connect_until(
    socket: &mut Socket,
    raw: &SocketAddrUnix,
    deadline: Deadline,
    operation: &'static str,
) -> Result<rustix::io::Result<()>> {
    let fd = socket.fd();
    let result = loop {
        let left = match deadline.remaining() {
            // SO_SNDTIMEO of zero would mean "forever": the last attempt does not wait.
            Some(left) if left.is_zero() => {
                break match connect_now(socket, raw, operation)? {
                    Err(Errno::AGAIN) => Err(Errno::TIMEDOUT),
                    other => other,
                };
            }
            left => left,
        };
        sys::set_send_timeout(fd, left).map_err(|errno| socket.error(operation, errno))?;
        match sys::connect(fd, raw) {
            Err(Errno::AGAIN | Errno::INTR) => {}
            done => break done,
        }
    };
    sys::set_send_timeout(socket.fd(), None).map_err(|errno| socket.error(operation, errno))?;
    Ok(result)
}
