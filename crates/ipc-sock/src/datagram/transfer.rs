//! Sending and receiving datagrams, in the blocking, `try_`, `_timeout` and `_deadline`
//! forms.

use std::time::{Duration, Instant};

use ipc_core::{Result, Wait};

use super::handle::UnixDatagram;
use crate::address::UnixAddress;

impl UnixDatagram {
    /// Sends `buf` as one datagram to the connected peer, waiting while its queue is full.
    ///
    /// # Errors
    ///
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): not connected (`ENOTCONN`), or the peer
    ///   closed (`ECONNREFUSED`).
    /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): larger than the socket
    ///   can send in one piece (`EMSGSIZE`; the detail gives `SO_SNDBUF`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send(b"")?; // an empty datagram is a datagram
    /// assert_eq!(b.receive(&mut [0; 1])?, 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send(&self, buf: &[u8]) -> Result<()> {
        self.socket().send_message("send", buf, Wait::Forever)
    }

    /// Sends one datagram to the connected peer without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when there is no room; as
    /// [`send`](Self::send) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixDatagram::pair()?;
    /// a.try_send(b"x")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> Result<()> {
        self.socket().send_message("send", buf, Wait::NonBlocking)
    }

    /// Sends one datagram to the connected peer, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as
    /// [`send`](Self::send) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send_timeout(b"x", std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_timeout(&self, buf: &[u8], timeout: Duration) -> Result<()> {
        self.socket()
            .send_message("send", buf, Wait::timeout(timeout))
    }

    /// Sends one datagram to the connected peer, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send_deadline(b"x", std::time::Instant::now() + std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_deadline(&self, buf: &[u8], deadline: Instant) -> Result<()> {
        self.socket()
            .send_message("send", buf, Wait::deadline(deadline))
    }

    /// Sends `buf` as one datagram to the socket bound at `to`, waiting while its queue is
    /// full.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ipc_core::ErrorKind::NotFound): nothing at the path.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): nothing is bound there any more
    ///   (`ECONNREFUSED`).
    /// - [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied): the socket file's mode
    ///   refuses the caller.
    /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): as [`send`](Self::send).
    /// - [`InvalidName`](ipc_core::ErrorKind::InvalidName): `to` does not fit `sun_path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-send-to"))?;
    /// let server = UnixDatagram::bind(&address)?;
    /// UnixDatagram::unbound()?.send_to(b"hi", &address)?;
    /// assert_eq!(server.receive(&mut [0; 2])?, 2);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "sendto")]
    pub fn send_to(&self, buf: &[u8], to: &UnixAddress) -> Result<()> {
        self.send_to_with(buf, to, Wait::Forever)
    }

    /// Sends one datagram to `to` without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the receiver's queue is full; as
    /// [`send_to`](Self::send_to) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-try-send-to"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// UnixDatagram::unbound()?.try_send_to(b"hi", &address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send_to(&self, buf: &[u8], to: &UnixAddress) -> Result<()> {
        self.send_to_with(buf, to, Wait::NonBlocking)
    }

    /// Sends one datagram to `to`, waiting at most `timeout` for room in the receiver's
    /// queue. Since `poll(2)` cannot watch another socket's queue, this form tries again
    /// after pauses of up to 5 ms, so it may notice room that late.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as
    /// [`send_to`](Self::send_to) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-send-to-t"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// UnixDatagram::unbound()?.send_to_timeout(b"hi", &address, std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_to_timeout(&self, buf: &[u8], to: &UnixAddress, timeout: Duration) -> Result<()> {
        self.send_to_with(buf, to, Wait::timeout(timeout))
    }

    /// Sends one datagram to `to`, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`send_to_timeout`](Self::send_to_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-send-to-d"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// UnixDatagram::unbound()?.send_to_deadline(b"hi", &address, deadline)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_to_deadline(&self, buf: &[u8], to: &UnixAddress, deadline: Instant) -> Result<()> {
        self.send_to_with(buf, to, Wait::deadline(deadline))
    }

    /// The one `send_to`, in the form `wait` asks for; its errors name the receiver.
    fn send_to_with(&self, buf: &[u8], to: &UnixAddress, wait: Wait) -> Result<()> {
        const OPERATION: &str = "sendto";
        let raw = to.to_raw(OPERATION)?;
        self.socket()
            .send_message_to(OPERATION, buf, &raw, wait)
            .map_err(|err| err.with_object(to))
    }

    /// Receives one datagram into `buf`, waiting for one: its length.
    ///
    /// # Errors
    ///
    /// [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge) when the datagram is longer
    /// than `buf`, naming both sizes. The datagram is consumed all the same (nothing of it is
    /// returned); [`peek_size`](Self::peek_size) tells the size without consuming it.
    /// Descriptors a datagram carried (sent with `send_with_fds`) are closed by the kernel,
    /// unseen: receive such datagrams with `receive_with_fds`, which reports any it could not
    /// take.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send(b"abcdef")?;
    /// let err = b.receive(&mut [0; 4]).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::MessageTooLarge);
    /// assert!(err.to_string().contains("6 bytes"), "{err}");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive(&self, buf: &mut [u8]) -> Result<usize> {
        self.socket().receive_message("recv", buf, Wait::Forever)
    }

    /// Receives one datagram and its sender's address (`None` for a sender that did not
    /// bind, which cannot be replied to).
    ///
    /// # Errors
    ///
    /// As [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-recv-from"))?;
    /// let server = UnixDatagram::bind(&address)?;
    /// UnixDatagram::unbound()?.send_to(b"anonymous", &address)?;
    /// let (n, from) = server.receive_from(&mut [0; 16])?;
    /// assert_eq!((n, from), (9, None));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "recvfrom")]
    pub fn receive_from(&self, buf: &mut [u8]) -> Result<(usize, Option<UnixAddress>)> {
        self.socket()
            .receive_message_from("recvfrom", buf, Wait::Forever)
    }

    /// Receives one datagram and its sender's address without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when none is there; as
    /// [`receive`](Self::receive) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_a, b) = ipc_sock::UnixDatagram::pair()?;
    /// assert!(b.try_receive_from(&mut [0; 4]).unwrap_err().is_would_block());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive_from(&self, buf: &mut [u8]) -> Result<(usize, Option<UnixAddress>)> {
        self.socket()
            .receive_message_from("recvfrom", buf, Wait::NonBlocking)
    }

    /// Receives one datagram and its sender's address, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when none came; as
    /// [`receive`](Self::receive) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send(b"x")?;
    /// let (n, _) = b.receive_from_timeout(&mut [0; 4], std::time::Duration::from_secs(1))?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_from_timeout(
        &self,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<(usize, Option<UnixAddress>)> {
        self.socket()
            .receive_message_from("recvfrom", buf, Wait::timeout(timeout))
    }

    /// Receives one datagram and its sender's address, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`receive_from_timeout`](Self::receive_from_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send(b"x")?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// assert_eq!(b.receive_from_deadline(&mut [0; 4], deadline)?.0, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_from_deadline(
        &self,
        buf: &mut [u8],
        deadline: Instant,
    ) -> Result<(usize, Option<UnixAddress>)> {
        self.socket()
            .receive_message_from("recvfrom", buf, Wait::deadline(deadline))
    }
}

crate::message_forms::message_forms!(
    UnixDatagram,
    unit: "datagram",
    peek: [
        "(`MSG_PEEK | MSG_TRUNC`): size a buffer with it, then [`receive`](Self::receive).",
        "Another process or thread receiving from the same socket may take that datagram",
        "first, so the receive can still find a different one.",
    ],
);
