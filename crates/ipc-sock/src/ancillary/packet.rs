//! Descriptor passing, credentials and peer identity on the message socket types:
//! [`Seqpacket`] and a connected [`UnixDatagram`] get their forms from
//! [`ancillary_forms!`](super::forms::ancillary_forms); the peer-identity calls, which differ
//! between the two, are written here.

use std::os::fd::OwnedFd;

use ipc_core::{Error, ErrorKind, Result};

use super::credentials::{self, Credentials};
use super::forms::ancillary_forms;
use crate::datagram::UnixDatagram;
use crate::seqpacket::Seqpacket;

ancillary_forms! {
    Seqpacket,
    framing: Record,
    empty: "A packet is never empty, even one that carries only descriptors or credentials: \
            the peer reads an empty packet as end of input (and the kernel would close the \
            descriptors it carried unseen), so every send refuses empty `data`.",
    send_data: "`data` must not be empty (an empty packet reads as end of input).",
    send_invalid: "  empty `data`, or more than [`MAX_FDS`](crate::MAX_FDS) descriptors (the \
                   error names `SCM_MAX_FD`).",
    send_example: [
        "let (reader, _writer) = std::io::pipe().unwrap();",
        "a.send_with_fds(b\"x\", &[reader.as_fd()])?;",
        "let (len, fds) = b.receive_with_fds(&mut [0; 8], 4)?;",
        "assert_eq!((len, fds.len()), (1, 1));",
        "// An empty packet would read as end of input: refused, whatever it carries.",
        "let err = a.send_with_fds(b\"\", &[reader.as_fd()]).unwrap_err();",
        "assert_eq!(err.kind(), ipc_core::ErrorKind::InvalidArgument);",
    ],
    receive_end: "- [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the connection was reset. \
                  A peer that closed its end is `Ok` with length 0 and no descriptors (end \
                  of input), never an error.",
}

ancillary_forms! {
    UnixDatagram,
    framing: Message,
    empty: "A message may be empty and still carry them.",
    send_data: "`data` may be empty.",
    send_invalid: "  more than [`MAX_FDS`](crate::MAX_FDS) descriptors (the error names \
                   `SCM_MAX_FD`).",
    send_example: [
        "let (reader, _writer) = std::io::pipe().unwrap();",
        "a.send_with_fds(b\"\", &[reader.as_fd()])?; // an empty message carries them too",
        "let (len, fds) = b.receive_with_fds(&mut [0; 8], 4)?;",
        "assert_eq!((len, fds.len()), (0, 1));",
    ],
    receive_end: "- A datagram socket has no connection to reset: a peer that closed its end \
                  is not seen by a receive, which goes on waiting (use a bounded form).",
}

impl Seqpacket {
    /// The peer's pid, uid and gid as they were when it connected (or called `socketpair`):
    /// `SO_PEERCRED`, filled in by the kernel, so the peer cannot lie.
    ///
    /// The pid may since have exited and been reused; to hold on to the peer process itself,
    /// use [`peer_pidfd`](Self::peer_pidfd).
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
    /// assert_eq!(a.peer_credentials()?, ipc_sock::Credentials::current());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SO_PEERCRED`
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_credentials(&self) -> Result<Credentials> {
        credentials::peer_credentials(self.socket())
    }

    /// A pidfd of the peer process (`SO_PEERPIDFD`, Linux 6.5), as
    /// [`UnixStream::peer_pidfd`](crate::UnixStream::peer_pidfd). Close-on-exec.
    ///
    /// # Errors
    ///
    /// - [`Unsupported`](ipc_core::ErrorKind::Unsupported) (`ENOPROTOOPT`): the kernel is
    ///   older than Linux 6.5.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ESRCH`, `ENODATA`): no peer process to
    ///   refer to.
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::Seqpacket::pair()?;
    /// match a.peer_pidfd() {
    ///     Ok(pidfd) => drop(pidfd),
    ///     Err(err) if err.kind() == ipc_core::ErrorKind::Unsupported => {}
    ///     Err(err) => return Err(err),
    /// }
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`socket(7)`](https://man7.org/linux/man-pages/man7/socket.7.html), `SO_PEERPIDFD`
    #[doc(alias = "SO_PEERPIDFD")]
    pub fn peer_pidfd(&self) -> Result<OwnedFd> {
        credentials::peer_pidfd(self.socket())
    }
}

impl UnixDatagram {
    /// The peer's pid, uid and gid, when the kernel recorded them: only for a
    /// [`pair`](Self::pair) (`socketpair(2)` records each end's creator).
    ///
    /// A datagram socket that [`connect`](Self::connect)ed has no recorded peer: Linux's
    /// `connect` on `SOCK_DGRAM` only sets a default destination, and `SO_PEERCRED` then
    /// reports pid 0 and uid and gid `-1`, which this call turns into an error rather than
    /// credentials. (The same holds for [`peer_pidfd`](Self::peer_pidfd).)
    /// Whoever sent a datagram is told per message instead: turn on
    /// [`set_pass_credentials`](Self::set_pass_credentials) and read
    /// [`ReceivedMessage::credentials`](crate::ReceivedMessage::credentials).
    ///
    /// # Errors
    ///
    /// [`Unsupported`](ipc_core::ErrorKind::Unsupported): no peer credentials recorded (not
    /// made by `pair`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert_eq!(a.peer_credentials()?, ipc_sock::Credentials::current());
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-dgram-peercred"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// let mut client = UnixDatagram::unbound()?;
    /// client.connect(&address)?;
    /// let err = client.peer_credentials().unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::Unsupported);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SO_PEERCRED`
    #[doc(alias = "SO_PEERCRED")]
    pub fn peer_credentials(&self) -> Result<Credentials> {
        let found = credentials::peer_credentials(self.socket())?;
        // cred_to_ucred() in net/core/sock.c writes -1 for both ids when no peer credentials
        // were recorded; a recorded but unmapped id is the overflow id (65534), never -1.
        if found.uid == u32::MAX && found.gid == u32::MAX {
            return Err(
                Error::new(ErrorKind::Unsupported, "getsockopt(SO_PEERCRED)")
                    .with_object(self.socket().object().clone())
                    .with_detail(
                        "a datagram socket records its peer's credentials only when made by \
                     socketpair (UnixDatagram::pair); ask for each sender's with \
                     set_pass_credentials and receive_message",
                    ),
            );
        }
        Ok(found)
    }

    /// A pidfd of the peer process (`SO_PEERPIDFD`, Linux 6.5), as
    /// [`UnixStream::peer_pidfd`](crate::UnixStream::peer_pidfd), when the kernel recorded the
    /// peer: only for a [`pair`](Self::pair), as for
    /// [`peer_credentials`](Self::peer_credentials). Close-on-exec.
    ///
    /// # Errors
    ///
    /// - [`Unsupported`](ipc_core::ErrorKind::Unsupported): no peer recorded (`ENODATA`: not
    ///   made by `pair`), or the kernel is older than Linux 6.5 (`ENOPROTOOPT`).
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ESRCH`): the peer process has exited
    ///   and been reaped (kernels before 6.9 refuse those).
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor left.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixDatagram};
    /// use ipc_core::ErrorKind;
    ///
    /// let (a, _b) = UnixDatagram::pair()?;
    /// match a.peer_pidfd() {
    ///     Ok(pidfd) => drop(pidfd),
    ///     Err(err) if err.kind() == ErrorKind::Unsupported => {}
    ///     Err(err) => return Err(err),
    /// }
    ///
    /// let address = UnixAddress::abstract_name(ipc_core::unique_name("doc-dgram-pidfd"))?;
    /// let _server = UnixDatagram::bind(&address)?;
    /// let mut client = UnixDatagram::unbound()?;
    /// client.connect(&address)?;
    /// assert_eq!(client.peer_pidfd().unwrap_err().kind(), ErrorKind::Unsupported);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`socket(7)`](https://man7.org/linux/man-pages/man7/socket.7.html), `SO_PEERPIDFD`
    /// - [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[doc(alias = "SO_PEERPIDFD")]
    pub fn peer_pidfd(&self) -> Result<OwnedFd> {
        credentials::peer_pidfd(self.socket()).map_err(|err| {
            if err.raw_os_error() != Some(libc::ENODATA) {
                return err;
            }
            // SO_PEERPIDFD reads the pid socketpair() recorded; a connected datagram socket
            // has none, which is the same refusal as peer_credentials's.
            Error::from_errno_as(
                ErrorKind::Unsupported,
                "getsockopt(SO_PEERPIDFD)",
                self.socket().object().clone(),
                rustix::io::Errno::NODATA,
            )
            .with_detail(
                "a datagram socket records its peer only when made by socketpair \
                 (UnixDatagram::pair); ask for each sender's credentials with \
                 set_pass_credentials and receive_message",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::{AsFd, BorrowedFd};

    use ipc_core::ErrorKind;

    use crate::{Credentials, Seqpacket, UnixDatagram};

    #[test]
    fn each_datagram_keeps_its_own_descriptors_and_an_empty_one_carries_them() {
        let (sut, peer) = UnixDatagram::pair().unwrap();
        let stdin = std::io::stdin();
        sut.send_with_fds(b"one", &[stdin.as_fd()]).unwrap();
        sut.send_with_fds(b"", &[stdin.as_fd(), stdin.as_fd()])
            .unwrap();
        sut.send(b"none").unwrap();
        let mut buf = [0; 8];
        let got: Vec<(usize, usize)> = (0..3)
            .map(|_| peer.receive_with_fds(&mut buf, 4).unwrap())
            .map(|(len, fds)| (len, fds.len()))
            .collect();
        assert_eq!(got, [(3, 1), (0, 2), (4, 0)]);
    }

    #[test]
    fn a_datagram_longer_than_the_buffer_is_too_large_and_the_next_one_arrives_whole() {
        let (sut, peer) = UnixDatagram::pair().unwrap();
        sut.send_with_fds(b"0123456789", &[std::io::stdin().as_fd()])
            .unwrap();
        sut.send_with_fds(b"ok", &[std::io::stdin().as_fd()])
            .unwrap();
        let mut buf = [0; 4];
        let err = peer.receive_with_fds(&mut buf, 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
        let (len, fds) = peer.receive_with_fds(&mut buf, 1).unwrap();
        assert_eq!((&buf[..len], fds.len()), (&b"ok"[..], 1));
    }

    #[test]
    fn more_than_scm_max_fd_descriptors_are_refused_before_the_call() {
        let (sut, _peer) = Seqpacket::pair().unwrap();
        let stdin = std::io::stdin();
        let fds: Vec<BorrowedFd<'_>> = vec![stdin.as_fd(); 254];
        let err = sut.send_with_fds(b"x", &fds).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.raw_os_error(), None, "no call was made");
    }

    #[test]
    fn a_message_that_is_too_large_to_send_says_how_large_the_send_buffer_is() {
        let (sut, _peer) = UnixDatagram::pair().unwrap();
        let huge = vec![0; 16 << 20];
        let err = sut
            .send_with_fds(&huge, &[std::io::stdin().as_fd()])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        assert!(err.detail().unwrap().contains("SO_SNDBUF"), "{err}");
    }

    #[test]
    fn a_datagram_pair_records_peer_credentials_and_a_seqpacket_pair_too() {
        let (dgram, _a) = UnixDatagram::pair().unwrap();
        assert_eq!(dgram.peer_credentials().unwrap(), Credentials::current());
        let (seq, _b) = Seqpacket::pair().unwrap();
        assert_eq!(seq.peer_credentials().unwrap(), Credentials::current());
    }

    #[test]
    fn an_unbound_datagram_socket_has_no_peer_credentials() {
        let sut = UnixDatagram::unbound().unwrap();
        let err = sut.peer_credentials().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }

    #[test]
    fn a_message_too_large_for_the_buffer_names_its_real_length() {
        let (dgram, dgram_peer) = UnixDatagram::pair().unwrap();
        let (seq, seq_peer) = Seqpacket::pair().unwrap();
        let stdin = std::io::stdin();
        dgram
            .send_with_fds(b"0123456789", &[stdin.as_fd()])
            .unwrap();
        seq.send_with_fds(b"0123456789", &[stdin.as_fd()]).unwrap();
        for err in [
            dgram_peer.receive_with_fds(&mut [0; 4], 1).unwrap_err(),
            seq_peer.receive_with_fds(&mut [0; 4], 1).unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
            let detail = err.detail().unwrap();
            assert!(detail.contains("a message of 10 bytes"), "{err}");
            assert!(detail.contains("buffer of 4 bytes"), "{err}");
        }
    }

    #[test]
    fn a_datagram_pair_has_a_peer_pidfd_and_a_connected_datagram_socket_has_none() {
        let (sut, _peer) = UnixDatagram::pair().unwrap();
        match sut.peer_pidfd() {
            Ok(pidfd) => {
                let flags = rustix::io::fcntl_getfd(&pidfd).unwrap();
                assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
            }
            Err(err) => assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}"),
        }
        let address =
            crate::UnixAddress::abstract_name(ipc_core::unique_name("dgram-pidfd")).unwrap();
        let _server = UnixDatagram::bind(&address).unwrap();
        let mut sut = UnixDatagram::unbound().unwrap();
        sut.connect(&address).unwrap();
        let err = sut.peer_pidfd().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
}
