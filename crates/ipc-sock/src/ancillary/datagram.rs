//! Descriptors on an unconnected [`UnixDatagram`]: a datagram with descriptors sent to an
//! address (`sendmsg` with `msg_name`), and received with its sender's address.

use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use ipc_core::{Result, Wait};

use super::message::{self, ReceivedMessage};
use crate::address::UnixAddress;
use crate::datagram::UnixDatagram;

impl UnixDatagram {
    /// Sends `data` as one datagram with the descriptors `fds` to `to`, waiting while the
    /// receiver's queue is full: [`send_to`](Self::send_to) with `SCM_RIGHTS`. `data` may be
    /// empty.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) before any call: more than
    ///   [`MAX_FDS`](crate::MAX_FDS) descriptors.
    /// - [`NotFound`](ipc_core::ErrorKind::NotFound), [`PeerGone`](ipc_core::ErrorKind::PeerGone),
    ///   [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied): as
    ///   [`send_to`](Self::send_to); the error names `to`.
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) (`ETOOMANYREFS`) and
    ///   [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): as
    ///   [`send_with_fds`](Self::send_with_fds).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-send-to-fds"))?;
    /// let server = UnixDatagram::bind(&address)?;
    /// let (reader, _writer) = std::io::pipe().unwrap();
    /// UnixDatagram::unbound()?.send_to_with_fds(b"pipe", &[reader.as_fd()], &address)?;
    /// let (len, fds) = server.receive_with_fds(&mut [0; 8], 1)?;
    /// assert_eq!((len, fds.len()), (4, 1));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`sendmsg(2)`](https://man7.org/linux/man-pages/man2/sendmsg.2.html), `msg_name`
    /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SCM_RIGHTS`
    pub fn send_to_with_fds(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        to: &UnixAddress,
    ) -> Result<()> {
        message::send_to(self.socket(), data, fds, to, Wait::Forever)
    }

    /// [`send_to_with_fds`](Self::send_to_with_fds) without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the receiver's queue is full; as
    /// [`send_to_with_fds`](Self::send_to_with_fds) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-try-send-to-fds"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// let sut = UnixDatagram::unbound()?;
    /// sut.try_send_to_with_fds(b"", &[std::io::stdin().as_fd()], &address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send_to_with_fds(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        to: &UnixAddress,
    ) -> Result<()> {
        message::send_to(self.socket(), data, fds, to, Wait::NonBlocking)
    }

    /// [`send_to_with_fds`](Self::send_to_with_fds), waiting at most `timeout` for room in the
    /// receiver's queue (tried again after pauses of up to 5 ms, as
    /// [`send_to_timeout`](Self::send_to_timeout)).
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as
    /// [`send_to_with_fds`](Self::send_to_with_fds) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use std::time::Duration;
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-send-to-fds-t"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// let stdin = std::io::stdin();
    /// let sut = UnixDatagram::unbound()?;
    /// sut.send_to_with_fds_timeout(b"", &[stdin.as_fd()], &address, Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_to_with_fds_timeout(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        to: &UnixAddress,
        timeout: Duration,
    ) -> Result<()> {
        message::send_to(self.socket(), data, fds, to, Wait::timeout(timeout))
    }

    /// [`send_to_with_fds`](Self::send_to_with_fds), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`send_to_with_fds_timeout`](Self::send_to_with_fds_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use std::time::{Duration, Instant};
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-send-to-fds-d"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let stdin = std::io::stdin();
    /// UnixDatagram::unbound()?.send_to_with_fds_deadline(b"", &[stdin.as_fd()], &address, deadline)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_to_with_fds_deadline(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        to: &UnixAddress,
        deadline: Instant,
    ) -> Result<()> {
        message::send_to(self.socket(), data, fds, to, Wait::deadline(deadline))
    }

    /// Receives one datagram into `buf` with everything that came with it (up to `max_fds`
    /// descriptors, the sender's credentials when
    /// [`set_pass_credentials`](Self::set_pass_credentials) is on) and the sender's address
    /// (`None` when the sender did not bind): [`receive_from`](Self::receive_from) and
    /// [`receive_message`](Self::receive_message) in one.
    ///
    /// # Errors
    ///
    /// As [`receive_with_fds`](Self::receive_with_fds).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let server_at = UnixAddress::abstract_name(ipc_core::unique_name("doc-recv-msg-from"))?;
    /// let client_at = UnixAddress::abstract_name(ipc_core::unique_name("doc-recv-msg-from-c"))?;
    /// let server = UnixDatagram::bind(&server_at)?;
    /// let client = UnixDatagram::bind(&client_at)?;
    /// client.send_to_with_fds(b"hi", &[std::io::stdin().as_fd()], &server_at)?;
    /// let (got, from) = server.receive_message_from(&mut [0; 8], 1)?;
    /// assert_eq!((got.len, got.fds.len(), from), (2, 1, Some(client_at)));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "receive_from_with_fds")]
    pub fn receive_message_from(
        &self,
        buf: &mut [u8],
        max_fds: usize,
    ) -> Result<(ReceivedMessage, Option<UnixAddress>)> {
        message::receive_from(self.socket(), buf, max_fds, Wait::Forever)
    }

    /// [`receive_message_from`](Self::receive_message_from) without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when no datagram is there; as
    /// [`receive_message_from`](Self::receive_message_from) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_sock::UnixDatagram::unbound()?;
    /// assert!(sut.try_receive_message_from(&mut [0; 8], 1).unwrap_err().is_would_block());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive_message_from(
        &self,
        buf: &mut [u8],
        max_fds: usize,
    ) -> Result<(ReceivedMessage, Option<UnixAddress>)> {
        message::receive_from(self.socket(), buf, max_fds, Wait::NonBlocking)
    }

    /// [`receive_message_from`](Self::receive_message_from), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when nothing came; as
    /// [`receive_message_from`](Self::receive_message_from) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sut = ipc_sock::UnixDatagram::unbound()?;
    /// let err = sut.receive_message_from_timeout(&mut [0; 8], 1, Duration::from_millis(10));
    /// assert_eq!(err.unwrap_err().kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_message_from_timeout(
        &self,
        buf: &mut [u8],
        max_fds: usize,
        timeout: Duration,
    ) -> Result<(ReceivedMessage, Option<UnixAddress>)> {
        message::receive_from(self.socket(), buf, max_fds, Wait::timeout(timeout))
    }

    /// [`receive_message_from`](Self::receive_message_from), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`receive_message_from_timeout`](Self::receive_message_from_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (a, b) = ipc_sock::UnixDatagram::pair()?;
    /// a.send(b"x")?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let (got, from) = b.receive_message_from_deadline(&mut [0; 8], 1, deadline)?;
    /// assert_eq!((got.len, from), (1, None));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_message_from_deadline(
        &self,
        buf: &mut [u8],
        max_fds: usize,
        deadline: Instant,
    ) -> Result<(ReceivedMessage, Option<UnixAddress>)> {
        message::receive_from(self.socket(), buf, max_fds, Wait::deadline(deadline))
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use ipc_core::ErrorKind;

    use crate::{UnixAddress, UnixDatagram};

    fn address(tag: &str) -> UnixAddress {
        UnixAddress::abstract_name(ipc_core::unique_name(tag)).unwrap()
    }

    #[test]
    fn a_send_to_an_address_nobody_bound_names_that_address() {
        let to = address("fds-nobody");
        let sut = UnixDatagram::unbound().unwrap();
        let err = sut
            .send_to_with_fds(b"x", &[std::io::stdin().as_fd()], &to)
            .unwrap_err();
        assert_eq!(err.object().unwrap().to_string(), to.to_string(), "{err}");
    }

    #[test]
    fn an_unnamed_sender_has_no_address_and_a_named_one_has_its_own() {
        let server_at = address("fds-server");
        let server = UnixDatagram::bind(&server_at).unwrap();
        let client_at = address("fds-client");
        let named = UnixDatagram::bind(&client_at).unwrap();
        UnixDatagram::unbound()
            .unwrap()
            .send_to_with_fds(b"", &[], &server_at)
            .unwrap();
        named
            .send_to_with_fds(b"n", &[std::io::stdin().as_fd()], &server_at)
            .unwrap();
        let (got, from) = server.receive_message_from(&mut [0; 4], 1).unwrap();
        assert_eq!((got.len, got.fds.len(), from), (0, 0, None));
        let (got, from) = server.receive_message_from(&mut [0; 4], 1).unwrap();
        assert_eq!((got.len, got.fds.len(), from), (1, 1, Some(client_at)));
    }

    #[test]
    fn a_datagram_too_large_for_the_buffer_is_an_error_even_with_its_address() {
        let server_at = address("fds-trunc");
        let server = UnixDatagram::bind(&server_at).unwrap();
        let sut = UnixDatagram::unbound().unwrap();
        sut.send_to_with_fds(b"0123456789", &[std::io::stdin().as_fd()], &server_at)
            .unwrap();
        let err = server.receive_message_from(&mut [0; 4], 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
    }

    #[test]
    fn the_blocking_send_to_with_fds_waits_on_a_descriptor_adopted_non_blocking() {
        let at = address("anc-nonblocking");
        let receiver = UnixDatagram::bind(&at).unwrap();
        let sender = UnixDatagram::unbound().unwrap();
        let shared: std::os::fd::OwnedFd = sender.into();
        rustix::io::ioctl_fionbio(&shared, true).unwrap();
        let sut = UnixDatagram::from_fd(shared).unwrap();
        let (_reader, writer) = rustix::pipe::pipe().unwrap();
        let mut queued = 0;
        while sut.try_send_to(b"fill", &at).is_ok() {
            queued += 1;
        }
        // The sender must meet a full queue: the drainer starts after a pause (if it came
        // first the test would pass without showing anything, never fail wrongly).
        let drainer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let mut buf = [0; 16];
            for _ in 0..queued {
                receiver
                    .receive_timeout(&mut buf, std::time::Duration::from_secs(10))
                    .unwrap();
            }
            let (len, fds) = receiver
                .receive_with_fds_timeout(&mut buf, 1, std::time::Duration::from_secs(10))
                .unwrap();
            assert_eq!((&buf[..len], fds.len()), (&b"with fd"[..], 1));
        });
        sut.send_to_with_fds(b"with fd", &[writer.as_fd()], &at)
            .unwrap();
        drainer.join().unwrap();
    }
}
