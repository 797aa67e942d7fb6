//! Descriptor and credential passing on a [`UnixStream`]: thin forms over
//! [`message::send`] and [`message::receive`].

use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use ipc_core::{Result, Wait};

use super::credentials::Credentials;
use super::message::{self, Framing, ReceivedMessage};
use crate::stream::UnixStream;

/// # Passing descriptors and credentials
///
/// On a stream, descriptors and credentials ride on the first byte of the data sent with
/// them: a receive that reads that byte gets them, even if it reads only part of the data,
/// and a receive never reads across two sends that carried them. So a send with descriptors
/// needs at least one data byte, and a receive room for one (both are refused as
/// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) otherwise). A send may take only
/// part of the data (like [`send`](Self::send)); the descriptors went with that part, and the
/// rest is sent with [`send_all`](Self::send_all).
///
/// # Close-on-exec
///
/// Received descriptors are close-on-exec (`MSG_CMSG_CLOEXEC`), owned, and closed if the
/// message turns out to be in error.
impl UnixStream {
    /// Sends some of `data` with the descriptors `fds` (`SCM_RIGHTS`), waiting for room;
    /// returns how many data bytes went (at least one), the descriptors with the first.
    ///
    /// The receiver gets new descriptors for the same open files; the caller's stay open.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) before any call: more than
    ///   [`MAX_FDS`](crate::MAX_FDS) descriptors (`SCM_MAX_FD`), or empty `data`.
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) (`ETOOMANYREFS`): more
    ///   descriptors in flight than the sender's `RLIMIT_NOFILE`.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the peer closed its end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::fd::AsFd;
    ///
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// let (reader, mut writer) = std::io::pipe().unwrap();
    /// a.send_with_fds(b"pipe", &[reader.as_fd()])?;
    /// drop(reader);
    ///
    /// let mut buf = [0; 4];
    /// let (len, fds) = b.receive_with_fds(&mut buf, 1)?;
    /// assert_eq!((&buf[..len], fds.len()), (&b"pipe"[..], 1));
    /// writer.write_all(b"through the passed end").unwrap();
    /// drop(writer);
    /// let mut got = String::new();
    /// std::fs::File::from(fds.into_iter().next().unwrap()).read_to_string(&mut got).unwrap();
    /// assert_eq!(got, "through the passed end");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SCM_RIGHTS`
    /// - [`sendmsg(2)`](https://man7.org/linux/man-pages/man2/sendmsg.2.html)
    #[doc(alias = "sendmsg")]
    #[doc(alias = "SCM_RIGHTS")]
    pub fn send_with_fds(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize> {
        self.send_ancillary(data, fds, None, Wait::Forever)
    }

    /// [`send_with_fds`](Self::send_with_fds) without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the socket buffer is full (nothing
    /// was sent); as [`send_with_fds`](Self::send_with_fds) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(a.try_send_with_fds(b"x", &[std::io::stdin().as_fd()])?, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send_with_fds(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize> {
        self.send_ancillary(data, fds, None, Wait::NonBlocking)
    }

    /// [`send_with_fds`](Self::send_with_fds), waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came (nothing was sent); as
    /// [`send_with_fds`](Self::send_with_fds) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use std::time::Duration;
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let stdin = std::io::stdin();
    /// assert_eq!(a.send_with_fds_timeout(b"x", &[stdin.as_fd()], Duration::from_secs(1))?, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_with_fds_timeout(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        timeout: Duration,
    ) -> Result<usize> {
        self.send_ancillary(data, fds, None, Wait::timeout(timeout))
    }

    /// [`send_with_fds`](Self::send_with_fds), waiting until `deadline` at most for room.
    ///
    /// # Errors
    ///
    /// As [`send_with_fds_timeout`](Self::send_with_fds_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use std::time::{Duration, Instant};
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(a.send_with_fds_deadline(b"x", &[std::io::stdin().as_fd()], deadline)?, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_with_fds_deadline(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        deadline: Instant,
    ) -> Result<usize> {
        self.send_ancillary(data, fds, None, Wait::deadline(deadline))
    }

    /// Sends some of `data` with explicit `credentials` (`SCM_CREDENTIALS`), waiting for room;
    /// returns how many data bytes went (at least one).
    ///
    /// The kernel checks them: without privilege a process may send only its own pid and its
    /// real, effective or saved uid and gid ([`Credentials::current`]). A receiver with
    /// [`set_pass_credentials`](Self::set_pass_credentials) on sees them; without this call it
    /// sees the sender's own credentials all the same.
    ///
    /// # Errors
    ///
    /// - [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied) (`EPERM`): credentials
    ///   the caller may not claim (another pid without `CAP_SYS_ADMIN`, another uid or gid
    ///   without `CAP_SETUID`/`CAP_SETGID`).
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument): empty `data`.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the peer closed its end.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{Credentials, UnixStream};
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// b.set_pass_credentials(true)?;
    /// a.send_with_credentials(b"me", Credentials::current())?;
    /// let got = b.receive_message(&mut [0; 2], 0)?;
    /// assert_eq!(got.credentials, Some(Credentials::current()));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SCM_CREDENTIALS`
    #[doc(alias = "SCM_CREDENTIALS")]
    pub fn send_with_credentials(&self, data: &[u8], credentials: Credentials) -> Result<usize> {
        self.send_ancillary(data, &[], Some(credentials), Wait::Forever)
    }

    /// [`send_with_credentials`](Self::send_with_credentials) without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the socket buffer is full; as
    /// [`send_with_credentials`](Self::send_with_credentials) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// a.try_send_with_credentials(b"x", ipc_sock::Credentials::current())?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send_with_credentials(
        &self,
        data: &[u8],
        credentials: Credentials,
    ) -> Result<usize> {
        self.send_ancillary(data, &[], Some(credentials), Wait::NonBlocking)
    }

    /// [`send_with_credentials`](Self::send_with_credentials), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as
    /// [`send_with_credentials`](Self::send_with_credentials) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let me = ipc_sock::Credentials::current();
    /// a.send_with_credentials_timeout(b"x", me, Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_with_credentials_timeout(
        &self,
        data: &[u8],
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<usize> {
        self.send_ancillary(data, &[], Some(credentials), Wait::timeout(timeout))
    }

    /// [`send_with_credentials`](Self::send_with_credentials), waiting until `deadline` at
    /// most.
    ///
    /// # Errors
    ///
    /// As [`send_with_credentials_timeout`](Self::send_with_credentials_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let me = ipc_sock::Credentials::current();
    /// a.send_with_credentials_deadline(b"x", me, Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_with_credentials_deadline(
        &self,
        data: &[u8],
        credentials: Credentials,
        deadline: Instant,
    ) -> Result<usize> {
        self.send_ancillary(data, &[], Some(credentials), Wait::deadline(deadline))
    }

    /// Receives some bytes into `buf` and the descriptors that came with them (at most
    /// `max_fds`), waiting for data; `len == 0` is end of input.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) before any call: an empty
    ///   `buf`, or `max_fds` above [`MAX_FDS`](crate::MAX_FDS).
    /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): more than `max_fds`
    ///   descriptors came with the data.
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) naming `RLIMIT_NOFILE`, the
    ///   likely knob: the kernel could not install every descriptor (this process's
    ///   `RLIMIT_NOFILE`, the system file table, a security module, or
    ///   `SO_PASSSEC`/`SO_PASSPIDFD` taking room; `recvmsg` does not say which).
    ///
    ///   In both cases every descriptor that arrived is closed, and the data bytes were
    ///   consumed: they are the first
    ///   [`transferred`](ipc_core::Error::transferred) bytes of `buf`, which cannot be read
    ///   again, so take them from there.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the connection was reset.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsFd;
    ///
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_with_fds(b"two", &[std::io::stdin().as_fd(), std::io::stdout().as_fd()])?;
    /// let err = b.receive_with_fds(&mut [0; 3], 1).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::MessageTooLarge);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`recvmsg(2)`](https://man7.org/linux/man-pages/man2/recvmsg.2.html),
    ///   `MSG_CMSG_CLOEXEC`, `MSG_CTRUNC`
    #[doc(alias = "recvmsg")]
    pub fn receive_with_fds(
        &self,
        buf: &mut [u8],
        max_fds: usize,
    ) -> Result<(usize, Vec<OwnedFd>)> {
        self.receive_message(buf, max_fds)
            .map(|got| (got.len, got.fds))
    }

    /// [`receive_with_fds`](Self::receive_with_fds) without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when nothing is there; as
    /// [`receive_with_fds`](Self::receive_with_fds) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_a, b) = ipc_sock::UnixStream::pair()?;
    /// let err = b.try_receive_with_fds(&mut [0; 8], 4).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive_with_fds(
        &self,
        buf: &mut [u8],
        max_fds: usize,
    ) -> Result<(usize, Vec<OwnedFd>)> {
        self.try_receive_message(buf, max_fds)
            .map(|got| (got.len, got.fds))
    }

    /// [`receive_with_fds`](Self::receive_with_fds), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when nothing came; as
    /// [`receive_with_fds`](Self::receive_with_fds) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (_a, b) = ipc_sock::UnixStream::pair()?;
    /// let err = b.receive_with_fds_timeout(&mut [0; 8], 4, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_with_fds_timeout(
        &self,
        buf: &mut [u8],
        max_fds: usize,
        timeout: Duration,
    ) -> Result<(usize, Vec<OwnedFd>)> {
        self.receive_message_timeout(buf, max_fds, timeout)
            .map(|got| (got.len, got.fds))
    }

    /// [`receive_with_fds`](Self::receive_with_fds), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`receive_with_fds_timeout`](Self::receive_with_fds_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"plain")?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let (len, fds) = b.receive_with_fds_deadline(&mut [0; 8], 4, deadline)?;
    /// assert_eq!((len, fds.len()), (5, 0));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_with_fds_deadline(
        &self,
        buf: &mut [u8],
        max_fds: usize,
        deadline: Instant,
    ) -> Result<(usize, Vec<OwnedFd>)> {
        self.receive_message_deadline(buf, max_fds, deadline)
            .map(|got| (got.len, got.fds))
    }

    /// Receives some bytes into `buf` with everything that came with them: up to `max_fds`
    /// descriptors, and the sender's credentials when
    /// [`set_pass_credentials`](Self::set_pass_credentials) is on.
    ///
    /// # Errors
    ///
    /// As [`receive_with_fds`](Self::receive_with_fds).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// b.set_pass_credentials(true)?;
    /// a.send_all(b"hi")?;
    /// let got = b.receive_message(&mut [0; 2], 0)?;
    /// assert_eq!(got.credentials.map(|c| c.pid), Some(std::process::id()));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_message(&self, buf: &mut [u8], max_fds: usize) -> Result<ReceivedMessage> {
        message::receive(self.socket(), Framing::Stream, buf, max_fds, Wait::Forever)
    }

    /// [`receive_message`](Self::receive_message) without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_receive_with_fds`](Self::try_receive_with_fds).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_a, b) = ipc_sock::UnixStream::pair()?;
    /// assert!(b.try_receive_message(&mut [0; 8], 0).unwrap_err().is_would_block());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive_message(&self, buf: &mut [u8], max_fds: usize) -> Result<ReceivedMessage> {
        message::receive(
            self.socket(),
            Framing::Stream,
            buf,
            max_fds,
            Wait::NonBlocking,
        )
    }

    /// [`receive_message`](Self::receive_message), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// As [`receive_with_fds_timeout`](Self::receive_with_fds_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"x")?;
    /// assert_eq!(b.receive_message_timeout(&mut [0; 8], 0, Duration::from_secs(1))?.len, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_message_timeout(
        &self,
        buf: &mut [u8],
        max_fds: usize,
        timeout: Duration,
    ) -> Result<ReceivedMessage> {
        let wait = Wait::timeout(timeout);
        message::receive(self.socket(), Framing::Stream, buf, max_fds, wait)
    }

    /// [`receive_message`](Self::receive_message), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`receive_with_fds_timeout`](Self::receive_with_fds_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(b"x")?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(b.receive_message_deadline(&mut [0; 8], 0, deadline)?.len, 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_message_deadline(
        &self,
        buf: &mut [u8],
        max_fds: usize,
        deadline: Instant,
    ) -> Result<ReceivedMessage> {
        let wait = Wait::deadline(deadline);
        message::receive(self.socket(), Framing::Stream, buf, max_fds, wait)
    }

    /// The one send with control messages, in the form `wait` asks for.
    fn send_ancillary(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        credentials: Option<Credentials>,
        wait: Wait,
    ) -> Result<usize> {
        message::send(self.socket(), Framing::Stream, data, fds, credentials, wait)
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::{AsFd, BorrowedFd};

    use ipc_core::ErrorKind;

    use crate::UnixStream;

    #[test]
    fn more_than_scm_max_fd_descriptors_are_refused_before_the_call() {
        let (sut, peer) = UnixStream::pair().unwrap();
        let stdin = std::io::stdin();
        let fds: Vec<BorrowedFd<'_>> = vec![stdin.as_fd(); 254];
        let err = sut.send_with_fds(b"x", &fds).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.limit().unwrap().knob(), "SCM_MAX_FD");
        assert_eq!(err.raw_os_error(), None, "no call was made");
        assert!(peer.try_receive(&mut [0; 1]).unwrap_err().is_would_block());
        let (len, got) = {
            sut.send_with_fds(b"x", &fds[..253]).unwrap();
            peer.receive_with_fds(&mut [0; 1], 253).unwrap()
        };
        assert_eq!((len, got.len()), (1, 253));
    }

    #[test]
    fn empty_data_with_descriptors_and_an_empty_buffer_are_refused_on_a_stream() {
        let (sut, peer) = UnixStream::pair().unwrap();
        let err = sut
            .send_with_fds(b"", &[std::io::stdin().as_fd()])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let err = peer.receive_with_fds(&mut [], 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let err = peer.receive_with_fds(&mut [0; 1], 254).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn descriptors_ride_on_the_first_byte_and_a_partial_read_takes_them() {
        let (sut, peer) = UnixStream::pair().unwrap();
        sut.send_with_fds(b"abcd", &[std::io::stdin().as_fd()])
            .unwrap();
        sut.send_all(b"ef").unwrap();
        let mut buf = [0; 2];
        let (len, fds) = peer.receive_with_fds(&mut buf, 1).unwrap();
        assert_eq!((&buf[..len], fds.len()), (&b"ab"[..], 1));
        let mut rest = [0; 8];
        let (len, fds) = peer.receive_with_fds(&mut rest, 1).unwrap();
        assert_eq!((&rest[..len], fds.len()), (&b"cdef"[..], 0));
    }

    #[test]
    fn a_receive_refused_for_its_descriptors_says_how_many_bytes_it_left_in_the_buffer() {
        let (sut, peer) = UnixStream::pair().unwrap();
        let stdin = std::io::stdin();
        sut.send_with_fds(b"two", &[stdin.as_fd(), stdin.as_fd()])
            .unwrap();
        sut.send_all(b"!").unwrap();
        let mut buf = [0; 8];
        let err = peer.receive_with_fds(&mut buf, 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        let consumed = err.transferred().expect("the bytes consumed are counted");
        assert_eq!(&buf[..consumed], b"two");
        let (len, fds) = peer.receive_with_fds(&mut buf, 1).unwrap();
        assert_eq!((&buf[..len], fds.len()), (&b"!"[..], 0));
    }

    #[test]
    fn credentials_of_a_pid_that_is_not_ours_are_refused() {
        let (sut, _peer) = UnixStream::pair().unwrap();
        let mut other = crate::Credentials::current();
        // Beyond pid_max (at most 2^22), so no process has it.
        other.pid = 1 << 30;
        let err = sut.send_with_credentials(b"x", other).unwrap_err();
        if rustix::process::geteuid().is_root() {
            // CAP_SYS_ADMIN may claim any pid that exists; this one does not.
            assert_eq!(err.raw_os_error(), Some(libc::ESRCH), "{err}");
        } else {
            assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        }
    }
}
