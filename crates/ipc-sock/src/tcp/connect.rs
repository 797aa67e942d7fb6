//! Connecting a TCP stream: the blocking, `try_` and bounded forms.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ipc_core::{Result, Wait, wait_ready};
use rustix::event::PollFlags;

use super::stream::{self, TcpStream};
use crate::socket::Descriptor;
use crate::sys::{socket as sys, tcp};

impl TcpStream {
    /// Connects to `address`, waiting for the handshake as long as the kernel tries (its
    /// SYN retries, about two minutes by default).
    ///
    /// # Errors
    ///
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): nothing listens there
    ///   (`ECONNREFUSED`).
    /// - [`TimedOut`](ipc_core::ErrorKind::TimedOut): the kernel gave up on the handshake
    ///   (`ETIMEDOUT`).
    /// - [`Other`](ipc_core::ErrorKind::Other): the network or host is unreachable
    ///   (`ENETUNREACH`, `EHOSTUNREACH`; the OS error says which).
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor or local port left.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let client = TcpStream::connect(&listener.local_address())?;
    /// let server = listener.accept()?;
    /// client.send_all(b"hi")?;
    /// let mut buf = [0; 2];
    /// server.receive_exact(&mut buf)?;
    /// assert_eq!(&buf, b"hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`connect(2)`](https://man7.org/linux/man-pages/man2/connect.2.html)
    pub fn connect(address: &SocketAddr) -> Result<Self> {
        Self::connect_with(address, Wait::Forever)
    }

    /// Connects only if the handshake completes within the call, which in practice happens
    /// only on the loopback interface (where the kernel answers the SYN at once).
    ///
    /// To any other host the handshake takes a network round trip, so this fails with
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) every time, and the attempt under way
    /// is abandoned: the socket is closed, and a later call starts a new handshake that is
    /// abandoned the same way. It is not a step of a non-blocking connect to be retried.
    /// To bound the wait for a remote peer, use [`connect_timeout`](Self::connect_timeout)
    /// or [`connect_deadline`](Self::connect_deadline), which let the handshake finish.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the handshake did not complete
    /// within the call; otherwise as [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// match TcpStream::try_connect(&listener.local_address()) {
    ///     Ok(_client) => {}
    ///     Err(err) => assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_connect(address: &SocketAddr) -> Result<Self> {
        Self::connect_with(address, Wait::NonBlocking)
    }

    /// Connects, waiting at most `timeout` for the handshake.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when it did not complete in time; otherwise
    /// as [`connect`](Self::connect).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let _client = TcpStream::connect_timeout(&listener.local_address(), Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_timeout(address: &SocketAddr, timeout: Duration) -> Result<Self> {
        Self::connect_with(address, Wait::timeout(timeout))
    }

    /// Connects, waiting until `deadline` at most for the handshake.
    ///
    /// # Errors
    ///
    /// As [`connect_timeout`](Self::connect_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let _client = TcpStream::connect_deadline(&listener.local_address(), deadline)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn connect_deadline(address: &SocketAddr, deadline: Instant) -> Result<Self> {
        Self::connect_with(address, Wait::deadline(deadline))
    }

    /// The one connect, in the form `wait` asks for.
    ///
    /// Unlike a Unix stream (see `UnixStream`'s connect, which bounds a blocking connect with
    /// `SO_SNDTIMEO`), a TCP connect does complete in the background, so the classic recipe
    /// applies to every form, the blocking one included (which then also survives `EINTR`,
    /// after which a blocking connect cannot simply be made again): "EINPROGRESS: The socket
    /// is nonblocking and the connection cannot be completed immediately. It is possible to
    /// select(2) or poll(2) for completion by selecting the socket for writing. After
    /// select(2) indicates writability, use getsockopt(2) to read the SO_ERROR option at
    /// level SOL_SOCKET to determine whether connect() completed successfully (SO_ERROR is
    /// zero) or unsuccessfully" (`connect(2)`). The descriptor is made blocking again once
    /// connected.
    fn connect_with(address: &SocketAddr, wait: Wait) -> Result<Self> {
        const OPERATION: &str = "connect";
        let mut socket = stream::open(address, OPERATION)?;
        socket.set_descriptor(Descriptor::NonBlocking, OPERATION)?;
        match sys::connect(socket.fd(), address) {
            Ok(()) => {}
            Err(errno) if tcp::connect_in_progress(errno) => {
                wait_ready(socket.fd(), PollFlags::OUT, wait)
                    .and_then(|_| tcp::take_error(socket.fd()))
                    .map_err(|errno| socket.error(OPERATION, errno))?;
            }
            Err(errno) => return Err(socket.error(OPERATION, errno)),
        }
        socket.set_descriptor(Descriptor::Blocking, OPERATION)?;
        Ok(Self::from_socket(socket))
    }
}
