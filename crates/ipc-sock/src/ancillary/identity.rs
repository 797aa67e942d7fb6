//! Peer identity on a [`UnixStream`]: `SO_PEERCRED`, `SO_PEERPIDFD` and `SO_PASSCRED`.

use std::os::fd::OwnedFd;

use ipc_core::Result;

use super::credentials::{self, Credentials};
use crate::stream::UnixStream;

impl UnixStream {
    /// The peer's pid, uid and gid as they were when it connected (or called
    /// `socketpair`): `SO_PEERCRED`, filled in by the kernel, so the peer cannot lie.
    ///
    /// The pid may since have exited and been reused by another process; to hold on to the
    /// peer process itself, use [`peer_pidfd`](Self::peer_pidfd).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) (`EBADF`) only if the
    /// descriptor was closed behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let peer = a.peer_credentials()?;
    /// assert_eq!(peer.pid, std::process::id());
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

    /// A pidfd of the peer process (`SO_PEERPIDFD`, Linux 6.5): unlike a pid it always refers
    /// to that process, even after it exits, so a server can keep one per client and poll it
    /// (readable once the process has exited) or signal it with `pidfd_send_signal(2)`.
    ///
    /// The descriptor is close-on-exec.
    ///
    /// # Errors
    ///
    /// - [`Unsupported`](ipc_core::ErrorKind::Unsupported) (`ENOPROTOOPT`): the kernel is
    ///   older than Linux 6.5; fall back to [`peer_credentials`](Self::peer_credentials).
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ESRCH`, `ENODATA`): no peer process to
    ///   refer to (it was reaped, on kernels before 6.9).
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor left.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
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
    /// - [`pidfd_open(2)`](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[doc(alias = "SO_PEERPIDFD")]
    pub fn peer_pidfd(&self) -> Result<OwnedFd> {
        credentials::peer_pidfd(self.socket())
    }

    /// Turns on or off receiving the sender's credentials with each message
    /// (`SO_PASSCRED`), which [`receive_message`](Self::receive_message) returns in
    /// [`ReceivedMessage::credentials`](crate::ReceivedMessage::credentials).
    ///
    /// With it on, a receive never merges data from sends with different credentials.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) (`EBADF`) only if the
    /// descriptor was closed behind this handle's back.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// a.set_pass_credentials(true)?;
    /// assert!(a.pass_credentials()?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SO_PASSCRED`
    #[doc(alias = "SO_PASSCRED")]
    pub fn set_pass_credentials(&self, on: bool) -> Result<()> {
        credentials::set_pass_credentials(self.socket(), on)
    }

    /// Whether `SO_PASSCRED` is on (see [`set_pass_credentials`](Self::set_pass_credentials)).
    ///
    /// # Errors
    ///
    /// As [`set_pass_credentials`](Self::set_pass_credentials).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert!(!a.pass_credentials()?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn pass_credentials(&self) -> Result<bool> {
        credentials::pass_credentials(self.socket())
    }
}
