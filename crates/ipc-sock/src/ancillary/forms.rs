//! The descriptor and credential forms of the message socket types ([`Seqpacket`] and a
//! connected [`UnixDatagram`]), generated once by [`ancillary_forms!`] for each.
//!
//! Both carry whole messages, so every method is the same thin call of
//! [`message::send`](super::message::send) or [`message::receive`](super::message::receive)
//! with the type's [`Framing`](super::message::Framing); what differs is given per type: the
//! framing (a datagram may be empty, a packet may not, since the peer reads an empty packet as
//! end of input), and the notes and examples that say so. A macro (rather than a private trait with
//! default methods, which would put the methods behind a `use` and out of each type's page)
//! writes the sixteen forms and the `SO_PASSCRED` switch into an inherent `impl` of each type,
//! with docs whose examples name that type, so every example is compiled and run for both.
//!
//! [`Seqpacket`]: crate::Seqpacket
//! [`UnixDatagram`]: crate::UnixDatagram

/// Writes, into `impl $ty`, the four forms each of `send_with_fds`, `send_with_credentials`,
/// `receive_with_fds` and `receive_message`, and `set_pass_credentials` / `pass_credentials`.
///
/// The type must have `fn socket(&self) -> &Socket` and a connected `pair()` (for the doc
/// examples). Per type: `framing` (a [`Framing`](super::message::Framing) variant), `empty`
/// (what an empty message means, for the type's section), `send_data` (the sentence on
/// `data` in `send_with_fds`), `send_invalid` (the `InvalidArgument` bullet's reasons),
/// `send_example` (the lines of `send_with_fds`'s example after the `pair()` line), and
/// `receive_end` (the last bullet of `receive_with_fds`'s errors: how a gone peer shows).
macro_rules! ancillary_forms {
    (
        $ty:ident,
        framing: $framing:ident,
        empty: $empty:literal,
        send_data: $send_data:literal,
        send_invalid: $send_invalid:literal,
        send_example: [$($send_example:literal),* $(,)?],
        receive_end: $receive_end:literal $(,)?
    ) => {
        /// # Passing descriptors and credentials
        ///
        /// Descriptors (`SCM_RIGHTS`) and credentials (`SCM_CREDENTIALS`) travel with one
        /// message and are received with exactly that message: never merged into another,
        /// never split.
        #[doc = $empty]
        /// A receive whose buffer
        /// is smaller than the message is
        /// [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge), as a plain receive is:
        /// the message is consumed, and every descriptor that came with it is closed.
        ///
        /// Received descriptors are owned and close-on-exec (`MSG_CMSG_CLOEXEC`).
        impl $crate::$ty {
            /// Sends `data` as one message with the descriptors `fds` (`SCM_RIGHTS`), waiting
            /// for room. The descriptors are duplicated into the receiver; this process's
            /// stay open.
            #[doc = $send_data]
            ///
            /// # Errors
            ///
            /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) before any call:
            #[doc = $send_invalid]
            /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) (`ETOOMANYREFS`): more
            ///   descriptors in flight than this process may have open.
            /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge) (`EMSGSIZE`): more
            ///   than the socket can send in one piece.
            /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): not connected, or the peer
            ///   closed its end.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::os::fd::AsFd;
            ///
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            $(#[doc = $send_example])*
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            ///
            /// # References
            ///
            /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SCM_RIGHTS`
            /// - [`sendmsg(2)`](https://man7.org/linux/man-pages/man2/sendmsg.2.html)
            #[doc(alias = "SCM_RIGHTS")]
            #[doc(alias = "sendmsg")]
            pub fn send_with_fds(
                &self,
                data: &[u8],
                fds: &[std::os::fd::BorrowedFd<'_>],
            ) -> ipc_core::Result<()> {
                self.send_ancillary(data, fds, None, ipc_core::Wait::Forever)
            }

            /// [`send_with_fds`](Self::send_with_fds) without waiting.
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when there is no room; as
            /// [`send_with_fds`](Self::send_with_fds) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::os::fd::AsFd;
            ///
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.try_send_with_fds(b"x", &[std::io::stdin().as_fd()])?;
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn try_send_with_fds(
                &self,
                data: &[u8],
                fds: &[std::os::fd::BorrowedFd<'_>],
            ) -> ipc_core::Result<()> {
                self.send_ancillary(data, fds, None, ipc_core::Wait::NonBlocking)
            }

            /// [`send_with_fds`](Self::send_with_fds), waiting at most `timeout` for room.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as
            /// [`send_with_fds`](Self::send_with_fds) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::os::fd::AsFd;
            /// use std::time::Duration;
            ///
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send_with_fds_timeout(b"x", &[std::io::stdin().as_fd()], Duration::from_secs(1))?;
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn send_with_fds_timeout(
                &self,
                data: &[u8],
                fds: &[std::os::fd::BorrowedFd<'_>],
                timeout: std::time::Duration,
            ) -> ipc_core::Result<()> {
                self.send_ancillary(data, fds, None, ipc_core::Wait::timeout(timeout))
            }

            /// [`send_with_fds`](Self::send_with_fds), waiting until `deadline` at most.
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
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let deadline = Instant::now() + Duration::from_secs(1);
            /// a.send_with_fds_deadline(b"x", &[std::io::stdin().as_fd()], deadline)?;
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn send_with_fds_deadline(
                &self,
                data: &[u8],
                fds: &[std::os::fd::BorrowedFd<'_>],
                deadline: std::time::Instant,
            ) -> ipc_core::Result<()> {
                self.send_ancillary(data, fds, None, ipc_core::Wait::deadline(deadline))
            }

            /// Sends `data` as one message with explicit `credentials` (`SCM_CREDENTIALS`),
            /// waiting for room.
            ///
            /// The kernel checks them: without privilege a process may send only its own pid
            /// and its real, effective or saved uid and gid
            /// ([`Credentials::current`](crate::Credentials::current)). A receiver with
            /// [`set_pass_credentials`](Self::set_pass_credentials) on sees them; without this
            /// call it sees the sender's own credentials all the same.
            ///
            /// # Errors
            ///
            /// - [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied) (`EPERM`):
            ///   credentials the caller may not claim.
            /// - as [`send_with_fds`](Self::send_with_fds) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            /// use ipc_sock::Credentials;
            ///
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// b.set_pass_credentials(true)?;
            /// a.send_with_credentials(b"me", Credentials::current())?;
            /// let got = b.receive_message(&mut [0; 2], 0)?;
            /// assert_eq!(got.credentials, Some(Credentials::current()));
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            ///
            /// # References
            ///
            /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html),
            ///   `SCM_CREDENTIALS`
            #[doc(alias = "SCM_CREDENTIALS")]
            pub fn send_with_credentials(
                &self,
                data: &[u8],
                credentials: $crate::Credentials,
            ) -> ipc_core::Result<()> {
                self.send_ancillary(data, &[], Some(credentials), ipc_core::Wait::Forever)
            }

            /// [`send_with_credentials`](Self::send_with_credentials) without waiting.
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when there is no room; as
            /// [`send_with_credentials`](Self::send_with_credentials) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.try_send_with_credentials(b"x", ipc_sock::Credentials::current())?;
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn try_send_with_credentials(
                &self,
                data: &[u8],
                credentials: $crate::Credentials,
            ) -> ipc_core::Result<()> {
                let wait = ipc_core::Wait::NonBlocking;
                self.send_ancillary(data, &[], Some(credentials), wait)
            }

            /// [`send_with_credentials`](Self::send_with_credentials), waiting at most
            /// `timeout`.
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
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let me = ipc_sock::Credentials::current();
            /// a.send_with_credentials_timeout(b"x", me, Duration::from_secs(1))?;
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn send_with_credentials_timeout(
                &self,
                data: &[u8],
                credentials: $crate::Credentials,
                timeout: std::time::Duration,
            ) -> ipc_core::Result<()> {
                let wait = ipc_core::Wait::timeout(timeout);
                self.send_ancillary(data, &[], Some(credentials), wait)
            }

            /// [`send_with_credentials`](Self::send_with_credentials), waiting until
            /// `deadline` at most.
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
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let me = ipc_sock::Credentials::current();
            /// a.send_with_credentials_deadline(b"x", me, Instant::now() + Duration::from_secs(1))?;
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn send_with_credentials_deadline(
                &self,
                data: &[u8],
                credentials: $crate::Credentials,
                deadline: std::time::Instant,
            ) -> ipc_core::Result<()> {
                let wait = ipc_core::Wait::deadline(deadline);
                self.send_ancillary(data, &[], Some(credentials), wait)
            }

            /// Receives one message into `buf` and the descriptors that came with it (at most
            /// `max_fds`), waiting for one: its length and the descriptors.
            ///
            /// # Errors
            ///
            /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) before any call:
            ///   `max_fds` above [`MAX_FDS`](crate::MAX_FDS).
            /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): the message was
            ///   longer than `buf`, or carried more than `max_fds` descriptors.
            /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) naming `RLIMIT_NOFILE`,
            ///   the likely knob: the kernel could not install every descriptor (this
            ///   process's `RLIMIT_NOFILE`, the system file table, a security module, or
            ///   `SO_PASSSEC`/`SO_PASSPIDFD` taking room; `recvmsg` does not say which).
            ///
            ///   In these cases the message is consumed and every descriptor that arrived
            ///   with it is closed. A message too long for `buf` is discarded (the error
            ///   names its real length); after a descriptor failure, the message's bytes are
            ///   the first [`transferred`](ipc_core::Error::transferred) bytes of `buf`.
            #[doc = $receive_end]
            ///
            /// # Examples
            ///
            /// ```
            /// use std::os::fd::AsFd;
            ///
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send_with_fds(b"too long", &[std::io::stdin().as_fd()])?;
            /// let err = b.receive_with_fds(&mut [0; 3], 1).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::MessageTooLarge);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            ///
            /// # References
            ///
            /// - [`recvmsg(2)`](https://man7.org/linux/man-pages/man2/recvmsg.2.html),
            ///   `MSG_CMSG_CLOEXEC`, `MSG_CTRUNC`, `MSG_TRUNC`
            #[doc(alias = "recvmsg")]
            pub fn receive_with_fds(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> ipc_core::Result<(usize, Vec<std::os::fd::OwnedFd>)> {
                self.receive_message(buf, max_fds)
                    .map(|got| (got.len, got.fds))
            }

            /// [`receive_with_fds`](Self::receive_with_fds) without waiting.
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when no message is there; as
            /// [`receive_with_fds`](Self::receive_with_fds) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (_a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let err = b.try_receive_with_fds(&mut [0; 8], 4).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn try_receive_with_fds(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> ipc_core::Result<(usize, Vec<std::os::fd::OwnedFd>)> {
                self.try_receive_message(buf, max_fds)
                    .map(|got| (got.len, got.fds))
            }

            /// [`receive_with_fds`](Self::receive_with_fds), waiting at most `timeout`.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no message came; as
            /// [`receive_with_fds`](Self::receive_with_fds) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            ///
            #[doc = concat!("let (_a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let err = b.receive_with_fds_timeout(&mut [0; 8], 4, Duration::from_millis(10));
            /// assert_eq!(err.unwrap_err().kind(), ipc_core::ErrorKind::TimedOut);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_with_fds_timeout(
                &self,
                buf: &mut [u8],
                max_fds: usize,
                timeout: std::time::Duration,
            ) -> ipc_core::Result<(usize, Vec<std::os::fd::OwnedFd>)> {
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
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send(b"plain")?;
            /// let deadline = Instant::now() + Duration::from_secs(1);
            /// let (len, fds) = b.receive_with_fds_deadline(&mut [0; 8], 4, deadline)?;
            /// assert_eq!((len, fds.len()), (5, 0));
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_with_fds_deadline(
                &self,
                buf: &mut [u8],
                max_fds: usize,
                deadline: std::time::Instant,
            ) -> ipc_core::Result<(usize, Vec<std::os::fd::OwnedFd>)> {
                self.receive_message_deadline(buf, max_fds, deadline)
                    .map(|got| (got.len, got.fds))
            }

            /// Receives one message into `buf` with everything that came with it: up to
            /// `max_fds` descriptors, and the sender's credentials when
            /// [`set_pass_credentials`](Self::set_pass_credentials) is on.
            ///
            /// # Errors
            ///
            /// As [`receive_with_fds`](Self::receive_with_fds).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// b.set_pass_credentials(true)?;
            /// a.send(b"hi")?;
            /// let got = b.receive_message(&mut [0; 2], 0)?;
            /// assert_eq!(got.credentials.map(|c| c.pid), Some(std::process::id()));
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_message(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> ipc_core::Result<$crate::ReceivedMessage> {
                self.receive_ancillary(buf, max_fds, ipc_core::Wait::Forever)
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
            #[doc = concat!("let (_a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// assert!(b.try_receive_message(&mut [0; 8], 0).unwrap_err().is_would_block());
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn try_receive_message(
                &self,
                buf: &mut [u8],
                max_fds: usize,
            ) -> ipc_core::Result<$crate::ReceivedMessage> {
                self.receive_ancillary(buf, max_fds, ipc_core::Wait::NonBlocking)
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
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send(b"x")?;
            /// assert_eq!(b.receive_message_timeout(&mut [0; 8], 0, Duration::from_secs(1))?.len, 1);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_message_timeout(
                &self,
                buf: &mut [u8],
                max_fds: usize,
                timeout: std::time::Duration,
            ) -> ipc_core::Result<$crate::ReceivedMessage> {
                self.receive_ancillary(buf, max_fds, ipc_core::Wait::timeout(timeout))
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
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send(b"x")?;
            /// let deadline = Instant::now() + Duration::from_secs(1);
            /// assert_eq!(b.receive_message_deadline(&mut [0; 8], 0, deadline)?.len, 1);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_message_deadline(
                &self,
                buf: &mut [u8],
                max_fds: usize,
                deadline: std::time::Instant,
            ) -> ipc_core::Result<$crate::ReceivedMessage> {
                self.receive_ancillary(buf, max_fds, ipc_core::Wait::deadline(deadline))
            }

            /// Turns on or off receiving the sender's credentials with each message
            /// (`SO_PASSCRED`), which [`receive_message`](Self::receive_message) returns in
            /// [`ReceivedMessage::credentials`](crate::ReceivedMessage::credentials).
            ///
            /// # Errors
            ///
            /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) (`EBADF`) only if
            /// the descriptor was closed behind this handle's back.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.set_pass_credentials(true)?;
            /// assert!(a.pass_credentials()?);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            ///
            /// # References
            ///
            /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SO_PASSCRED`
            #[doc(alias = "SO_PASSCRED")]
            pub fn set_pass_credentials(&self, on: bool) -> ipc_core::Result<()> {
                super::credentials::set_pass_credentials(self.socket(), on)
            }

            /// Whether `SO_PASSCRED` is on (see
            /// [`set_pass_credentials`](Self::set_pass_credentials)).
            ///
            /// # Errors
            ///
            /// As [`set_pass_credentials`](Self::set_pass_credentials).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, _b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// assert!(!a.pass_credentials()?);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn pass_credentials(&self) -> ipc_core::Result<bool> {
                super::credentials::pass_credentials(self.socket())
            }

            /// The one send with control messages, in the form `wait` asks for.
            fn send_ancillary(
                &self,
                data: &[u8],
                fds: &[std::os::fd::BorrowedFd<'_>],
                credentials: Option<$crate::Credentials>,
                wait: ipc_core::Wait,
            ) -> ipc_core::Result<()> {
                let framing = super::message::Framing::$framing;
                super::message::send(self.socket(), framing, data, fds, credentials, wait)
                    .map(|_| ())
            }

            /// The one receive with control messages, in the form `wait` asks for.
            fn receive_ancillary(
                &self,
                buf: &mut [u8],
                max_fds: usize,
                wait: ipc_core::Wait,
            ) -> ipc_core::Result<$crate::ReceivedMessage> {
                let framing = super::message::Framing::$framing;
                super::message::receive(self.socket(), framing, buf, max_fds, wait)
            }
        }
    };
}

pub(super) use ancillary_forms;
