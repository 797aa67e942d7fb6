//! Sending and receiving records, in the blocking, `try_`, `_timeout` and `_deadline` forms.

use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Result, Wait};

use super::handle::Seqpacket;

impl Seqpacket {
    /// Sends `buf` as one record, waiting for room.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument): `buf` is empty (an empty record
    ///   would read as end of input; see the type's docs).
    /// - [`PeerGone`](ErrorKind::PeerGone): the peer closed (never a `SIGPIPE`).
    /// - [`MessageTooLarge`](ErrorKind::MessageTooLarge): larger than the socket can send in
    ///   one piece (`EMSGSIZE`; the detail gives `SO_SNDBUF`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::Seqpacket::pair()?;
    /// a.send(b"record")?;
    /// assert_eq!(b.receive(&mut [0; 16])?, 6);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send(&self, buf: &[u8]) -> Result<()> {
        self.send_with(buf, Wait::Forever)
    }

    /// Sends one record without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ErrorKind::WouldBlock) when there is no room; as [`send`](Self::send)
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
    /// a.try_send(b"x")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> Result<()> {
        self.send_with(buf, Wait::NonBlocking)
    }

    /// Sends one record, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ErrorKind::TimedOut) when no room came; as [`send`](Self::send)
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
    /// a.send_timeout(b"x", std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_timeout(&self, buf: &[u8], timeout: Duration) -> Result<()> {
        self.send_with(buf, Wait::timeout(timeout))
    }

    /// Sends one record, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
    /// a.send_deadline(b"x", std::time::Instant::now() + std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_deadline(&self, buf: &[u8], deadline: Instant) -> Result<()> {
        self.send_with(buf, Wait::deadline(deadline))
    }

    /// The one send, in the form `wait` asks for.
    fn send_with(&self, buf: &[u8], wait: Wait) -> Result<()> {
        const OPERATION: &str = "send";
        if buf.is_empty() {
            return Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
                .with_object(self.socket().object().clone())
                .with_detail(
                    "an empty record is refused: the receiver could not tell it from end of input",
                ));
        }
        self.socket().send_message(OPERATION, buf, wait)
    }

    /// Receives one record into `buf`, waiting for one: its length, or `0` at end of input
    /// (the peer closed or shut down writing, and every record it sent has been received).
    ///
    /// # Errors
    ///
    /// - [`MessageTooLarge`](ErrorKind::MessageTooLarge): the record is longer than `buf`;
    ///   the error names both sizes, and the record is consumed all the same.
    /// - Descriptors a record carried (sent with `send_with_fds`) are not an error: the kernel
    ///   closes them, unseen. Receive such records with `receive_with_fds`, which reports any
    ///   it could not take.
    /// - [`PeerGone`](ErrorKind::PeerGone): the connection was reset.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::Seqpacket::pair()?;
    /// a.send(b"0123456789")?;
    /// a.send(b"ok")?;
    /// let mut buf = [0; 4];
    /// let err = b.receive(&mut buf).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::MessageTooLarge);
    /// assert_eq!(b.receive(&mut buf)?, 2, "the long record was consumed");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive(&self, buf: &mut [u8]) -> Result<usize> {
        self.socket().receive_message("recv", buf, Wait::Forever)
    }
}

crate::message_forms::message_forms!(
    Seqpacket,
    unit: "record",
    peek: ["(`MSG_PEEK | MSG_TRUNC`); `0` at end of input."],
);
