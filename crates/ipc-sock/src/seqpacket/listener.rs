//! The listening seqpacket socket: [`UnixListener`](crate::UnixListener)'s binding, with
//! records instead of a stream.

use ipc_core::Result;
use rustix::net::SocketType;

use super::handle::Seqpacket;
use crate::address::UnixAddress;
use crate::listener::{BoundPath, UnixListenerBuilder, bind_listening};
use crate::socket::Socket;

/// A listening `SOCK_SEQPACKET` socket in the Unix domain, which accepts connections as
/// [`Seqpacket`]s.
///
/// Binding is [`UnixListener`](crate::UnixListener)'s, with the same options
/// ([`builder`](Self::builder)): on a path, the socket file gets an exact mode (`0o600` by
/// default) before the socket listens, a `flock`ed `<path>.lock` held for the listener's
/// lifetime lets a successor reclaim a dead listener's path but never a live one's, and both
/// files are removed on drop. The descriptor is non-blocking and close-on-exec; accepted
/// sockets are blocking and close-on-exec.
///
/// # Threads
///
/// `SeqpacketListener` is `Send` and `Sync` without any `unsafe`: it holds owned descriptors
/// and paths, and the kernel hands each pending connection to one `accept` only.
///
/// # Examples
///
/// ```
/// use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};
///
/// let dir = tempfile::tempdir()?;
/// let address = UnixAddress::path(dir.path().join("records"))?;
/// let listener = SeqpacketListener::bind(&address)?;
/// let client = Seqpacket::connect(&address)?;
/// let server = listener.accept()?;
/// client.send(b"one")?;
/// client.send(b"two")?;
/// let mut buf = [0; 16];
/// assert_eq!(server.receive(&mut buf)?, 3, "one record per receive");
/// assert_eq!(server.receive(&mut buf)?, 3);
/// drop(client);
/// assert_eq!(server.receive(&mut buf)?, 0, "end of input");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SOCK_SEQPACKET`
/// - [`accept4(2)`](https://man7.org/linux/man-pages/man2/accept4.2.html)
pub struct SeqpacketListener {
    address: Option<UnixAddress>,
    // Fields drop in order: the socket file and the lock file are removed, then the
    // listening socket closes.
    bound: Option<BoundPath>,
    socket: Socket,
}

impl SeqpacketListener {
    /// Options for binding: mode, backlog, trusted lock owner, reclaiming unlocked paths.
    ///
    /// # Examples
    ///
    /// ```
    /// let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name("doc-sqb"))?;
    /// let _listener = ipc_sock::SeqpacketListener::builder().backlog(4).bind_seqpacket(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder() -> UnixListenerBuilder {
        UnixListenerBuilder::default()
    }

    /// Binds a listener to `address` with the default options (mode `0o600`, backlog 128),
    /// reclaiming the path of a dead listener of this crate.
    ///
    /// # Errors
    ///
    /// As [`UnixListener::bind`](crate::UnixListener::bind):
    /// [`AlreadyExists`](ipc_core::ErrorKind::AlreadyExists) when a live listener holds the path or
    /// name, [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied),
    /// [`NotFound`](ipc_core::ErrorKind::NotFound), [`WrongObjectType`](ipc_core::ErrorKind::WrongObjectType),
    /// [`LimitReached`](ipc_core::ErrorKind::LimitReached).
    ///
    /// # Examples
    ///
    /// ```
    /// let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name("doc-sqbind"))?;
    /// let _listener = ipc_sock::SeqpacketListener::bind(&address)?;
    /// let err = ipc_sock::SeqpacketListener::bind(&address).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::AlreadyExists);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn bind(address: &UnixAddress) -> Result<Self> {
        Self::builder().bind_seqpacket(address)
    }
}

impl UnixListenerBuilder {
    /// Binds a [`SeqpacketListener`] to `address` with these options.
    ///
    /// # Errors
    ///
    /// As [`SeqpacketListener::bind`].
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let address = ipc_sock::UnixAddress::path(dir.path().join("s"))?;
    /// let _listener = ipc_sock::SeqpacketListener::builder()
    ///     .permissions(ipc_core::Permissions::from_mode(0o660)?)
    ///     .bind_seqpacket(&address)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind_seqpacket(self, address: &UnixAddress) -> Result<SeqpacketListener> {
        let (socket, bound) = bind_listening(SocketType::SEQPACKET, address, &self)?;
        Ok(SeqpacketListener {
            address: Some(address.clone()),
            bound,
            socket,
        })
    }
}

crate::accept_forms::accept_forms!(
    SeqpacketListener => Seqpacket,
    note: [],
    listener: [
        "let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name(\"doc-sqaccept\"))?;",
        "let listener = ipc_sock::SeqpacketListener::bind(&address)?;",
    ],
    connect: [
        "let _client = ipc_sock::Seqpacket::connect(&address)?;",
    ],
    ok: "# Ok::<(), ipc_core::Error>(())",
);

crate::listener_forms::listener_forms!(
    SeqpacketListener => Seqpacket,
    kind: SEQPACKET,
    what: "a Unix seqpacket socket",
    operation: "seqpacket_listener_from_fd",
    from_fd: [
        "Takes a descriptor that must be a listening Unix seqpacket socket, checked with",
        "`SO_DOMAIN`, `SO_TYPE` and `SO_ACCEPTCONN`, and makes it non-blocking. It does not own",
        "the path: nothing is removed on drop.",
    ],
    from_fd_example: [
        "use std::os::fd::OwnedFd;",
        "",
        "let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name(\"doc-sqfd\"))?;",
        "let fd: OwnedFd = ipc_sock::SeqpacketListener::bind(&address)?.into();",
        "let _listener = ipc_sock::SeqpacketListener::from_fd(fd)?;",
        "# Ok::<(), ipc_core::Error>(())",
    ],
    persist: [
        "Leaves the socket file at the path when this listener drops or becomes an",
        "[`OwnedFd`](std::os::fd::OwnedFd), so that a descriptor handed to another process",
        "stays reachable by its path; the lock file still goes, and the next bind refuses the",
        "path: as",
        "[`UnixListener::persist`](crate::UnixListener::persist).",
    ],
    persist_example: [
        "use std::os::fd::OwnedFd;",
        "use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};",
        "",
        "let dir = tempfile::tempdir()?;",
        "let path = dir.path().join(\"handed-over\");",
        "let address = UnixAddress::path(&path)?;",
        "let mut listener = SeqpacketListener::bind(&address)?;",
        "listener.persist();",
        "let fd: OwnedFd = listener.into(); // to be handed to another process",
        "let _client = Seqpacket::connect(&address)?;",
        "let _accepted = SeqpacketListener::from_fd(fd)?.accept()?;",
        "std::fs::remove_file(&path)?;",
        "# Ok::<(), Box<dyn std::error::Error>>(())",
    ],
    into_fd: [
        "The listening descriptor (non-blocking). The path goes as on drop: the lock file is",
        "removed, and so is the socket file unless [`persist`](SeqpacketListener::persist) was",
        "called.",
    ],
);

crate::descriptor::descriptor_access!(SeqpacketListener);

crate::descriptor::try_from_fd!(SeqpacketListener);

#[cfg(test)]
mod tests {
    use std::os::fd::OwnedFd;

    use ipc_core::ErrorKind;

    use super::*;

    #[test]
    fn a_seqpacket_listener_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SeqpacketListener>();
    }

    #[test]
    fn a_stream_listener_descriptor_is_refused() {
        let address = UnixAddress::abstract_name(ipc_core::unique_name("sq-refuse")).unwrap();
        let fd: OwnedFd = crate::UnixListener::bind(&address).unwrap().into();
        let err = SeqpacketListener::from_fd(fd).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}
