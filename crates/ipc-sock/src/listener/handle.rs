//! The listening socket and its accept calls.

use std::os::fd::OwnedFd;

use ipc_core::{Error, ErrorKind, Object, Result};
use rustix::net::{AddressFamily, SocketType};

use super::bind::{BoundPath, bind_listening};
use super::builder::UnixListenerBuilder;
use crate::address::UnixAddress;
use crate::socket::{Descriptor, Socket};
use crate::stream::UnixStream;
use crate::sys::socket as sys;

/// A listening `SOCK_STREAM` socket in the Unix domain, which accepts connections as
/// [`UnixStream`]s.
///
/// # Socket files
///
/// On a filesystem path, [`bind`](Self::bind):
///
/// - gives the socket file exactly mode `0o600` (or what
///   [`UnixListenerBuilder::permissions`] says), whatever the umask, and never a wider one
///   even for a moment: the socket's own inode gets the mode (`fchmod`) before `bind(2)`,
///   and Linux creates the file with that mode less the umask; if the umask narrowed it,
///   the file's mode is then set exactly through its descriptor (this needs `/proc`; without
///   it, such a bind fails with [`Unsupported`](ErrorKind::Unsupported) rather than `chmod` a
///   path);
/// - takes an exclusive `flock` on `<path>.lock` first and holds it for the listener's
///   lifetime. A live listener's lock cannot be taken, so a second `bind` fails with
///   [`AlreadyExists`](ErrorKind::AlreadyExists) and the live listener keeps its path. When a
///   listener's process dies, the kernel drops its lock, and the next `bind` can take it:
///   that proves the old listener dead, so its socket file is removed and a new one made.
///   No connect probe is involved, which would race with a listener starting up or
///   shutting down;
/// - never follows a symbolic link at the path (a planted link is removed, not its target,
///   and only under the rules above) and never replaces a file that is not a socket;
/// - refuses, with `AlreadyExists`, a socket at the path that has no lock file beside it,
///   since nothing proves its listener dead, or one owned by another user than the lock
///   file, unless [`UnixListenerBuilder::reclaim_unlocked`] says to take it over.
///
/// This rests on one assumption: `<path>.lock` is this crate's lock for `path`, and nothing
/// else creates it. A stray file of that name beside the live listener of a program that
/// does not use this lock, both of the same user, would make that listener's socket look
/// like a dead listener's, and a `bind` would replace it.
///
/// On drop, the socket file and then the lock file are removed while the lock is still held,
/// each only while its path still names the file this listener made.
/// [`persist`](Self::persist) keeps the socket file (for a descriptor handed to another
/// process); converting into an [`OwnedFd`] does what the drop does.
///
/// The directory must be one that untrusted users cannot change (a sticky `/tmp` is fine):
/// whoever can rename entries in it can move any socket path aside.
///
/// An [abstract](UnixAddress::abstract_name) address needs none of this: the kernel refuses a
/// name in use (`AlreadyExists`) and frees it when the listener closes, crash or not.
///
/// # Blocking
///
/// The descriptor is non-blocking (`O_NONBLOCK`), because `accept` has no per-call
/// non-blocking flag: [`accept`](Self::accept) waits with `poll(2)` and accepts again after
/// every wake-up, since another process sharing the listener may take the connection in
/// between. Accepted streams are blocking and close-on-exec.
///
/// # Close-on-exec
///
/// The listener's descriptor, the lock file's and the accepted streams' are close-on-exec.
///
/// # Threads
///
/// `UnixListener` is `Send` and `Sync` without any `unsafe`: it holds owned descriptors and
/// paths, and the kernel hands each pending connection to one `accept` only.
///
/// # Examples
///
/// The reference's server and client, in one process for brevity:
///
/// ```
/// use ipc_sock::{UnixAddress, UnixListener, UnixStream};
///
/// let dir = tempfile::tempdir()?;
/// let address = UnixAddress::path(dir.path().join("mysock"))?;
/// let server = UnixListener::bind(&address)?;
/// let client = UnixStream::connect(&address)?;
/// let accepted = server.accept()?;
/// client.send_all(b"Hello from client!")?;
/// let mut buf = [0; 18];
/// accepted.receive_exact(&mut buf)?;
/// assert_eq!(&buf, b"Hello from client!");
///
/// // A second listener on the same path while the first lives: refused.
/// let err = UnixListener::bind(&address).unwrap_err();
/// assert_eq!(err.kind(), ipc_core::ErrorKind::AlreadyExists);
/// drop(server);
/// assert!(!dir.path().join("mysock").exists(), "the listener removed its path");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
/// - [`bind(2)`](https://man7.org/linux/man-pages/man2/bind.2.html)
/// - [`accept4(2)`](https://man7.org/linux/man-pages/man2/accept4.2.html)
/// - [`flock(2)`](https://man7.org/linux/man-pages/man2/flock.2.html)
pub struct UnixListener {
    address: Option<UnixAddress>,
    // Fields drop in order: the socket file and the lock file are removed, then the
    // listening socket closes.
    bound: Option<BoundPath>,
    socket: Socket,
}

impl UnixListener {
    /// Options for binding: mode, backlog, trusted lock owner, reclaiming unlocked paths.
    ///
    /// # Examples
    ///
    /// ```
    /// let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name("doc-b"))?;
    /// let _listener = ipc_sock::UnixListener::builder().backlog(4).bind(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder() -> UnixListenerBuilder {
        UnixListenerBuilder::default()
    }

    /// Binds a listener to `address` with the default options (mode `0o600`, backlog 128),
    /// reclaiming the path of a dead listener of this crate (see the type's docs).
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists): a live listener holds the path or the
    ///   abstract name; or a socket without lock file, or a file that is not a socket, is at
    ///   the path.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied): the directory is not writable, or
    ///   the lock file is a symbolic link or belongs to a user not trusted.
    /// - [`NotFound`](ErrorKind::NotFound): the directory does not exist.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType): the lock path is not a regular file.
    /// - [`LimitReached`](ErrorKind::LimitReached): no descriptor left.
    /// - [`Unsupported`](ErrorKind::Unsupported): the umask narrowed the socket file's mode
    ///   and `/proc` is not mounted to set it exactly.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let address = ipc_sock::UnixAddress::path(dir.path().join("s"))?;
    /// let _listener = ipc_sock::UnixListener::bind(&address)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bind(address: &UnixAddress) -> Result<Self> {
        Self::builder().bind(address)
    }

    /// The bind behind [`bind`](Self::bind) and [`UnixListenerBuilder::bind`].
    pub(super) fn bind_with(address: &UnixAddress, options: UnixListenerBuilder) -> Result<Self> {
        let (socket, bound) = bind_listening(SocketType::STREAM, address, &options)?;
        Ok(Self {
            address: Some(address.clone()),
            bound,
            socket,
        })
    }
}

/// Takes `fd` after checking that it is a listening Unix socket of type `kind` (`what` names
/// it in the error), makes it non-blocking, and names it by its address when the kernel
/// reports one: the `from_fd` of the stream and the seqpacket listener.
pub(crate) fn adopt_listening(
    fd: OwnedFd,
    kind: SocketType,
    what: &'static str,
    operation: &'static str,
) -> Result<(Socket, Option<UnixAddress>)> {
    let mut socket = Socket::checked(fd, AddressFamily::UNIX, kind, what, operation)?;
    let listening =
        sys::is_listening(socket.fd()).map_err(|errno| socket.error(operation, errno))?;
    if !listening {
        return Err(Error::new(ErrorKind::InvalidArgument, operation)
            .with_object(socket.object().clone())
            .with_detail(format!("is {what} that does not listen")));
    }
    socket.set_descriptor(Descriptor::NonBlocking, operation)?;
    let address = sys::local_name(socket.fd())
        .ok()
        .and_then(UnixAddress::from_raw);
    if let Some(address) = &address {
        socket.set_object(Object::from(address));
    }
    Ok((socket, address))
}

crate::accept_forms::accept_forms!(
    UnixListener => UnixStream,
    note: [],
    listener: [
        "let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name(\"doc-accept\"))?;",
        "let listener = ipc_sock::UnixListener::bind(&address)?;",
    ],
    connect: [
        "let _client = ipc_sock::UnixStream::connect(&address)?;",
    ],
    ok: "# Ok::<(), ipc_core::Error>(())",
);

crate::listener_forms::listener_forms!(
    UnixListener => UnixStream,
    kind: STREAM,
    what: "a Unix stream socket",
    operation: "unix_listener_from_fd",
    from_fd: [
        "Takes a descriptor that must be a listening Unix stream socket (inherited from a",
        "supervisor, say), checked with `SO_DOMAIN`, `SO_TYPE` and `SO_ACCEPTCONN`, and makes it",
        "non-blocking. The listener does not own the path: nothing is removed on drop.",
    ],
    from_fd_example: [
        "use std::os::fd::OwnedFd;",
        "",
        "let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name(\"doc-fd\"))?;",
        "let fd: OwnedFd = ipc_sock::UnixListener::bind(&address)?.into();",
        "let listener = ipc_sock::UnixListener::from_fd(fd)?;",
        "let _client = ipc_sock::UnixStream::connect(&address)?;",
        "let _accepted = listener.accept()?;",
        "# Ok::<(), ipc_core::Error>(())",
    ],
    persist: [
        "Leaves the socket file at the path when this listener drops or becomes an",
        "[`OwnedFd`](std::os::fd::OwnedFd), so that a descriptor handed to another process",
        "(a supervisor's worker, say) stays reachable by its path. No effect on an abstract",
        "address or on a listener taken with [`from_fd`](Self::from_fd), which owns no path.",
        "",
        "The lock file `<path>.lock` is still removed on drop and its lock let go, because the",
        "lock dies with this process while the descriptor may live on elsewhere: it could no",
        "longer prove anything. So after the drop the path holds a socket without a lock file,",
        "which the next [`bind`](Self::bind) refuses with",
        "[`AlreadyExists`](ErrorKind::AlreadyExists) whether or not the socket still listens,",
        "unless [`UnixListenerBuilder::reclaim_unlocked`] takes it over. Whoever ends the",
        "socket's life removes the file.",
    ],
    persist_example: [
        "use std::os::fd::OwnedFd;",
        "use ipc_sock::{UnixAddress, UnixListener, UnixStream};",
        "",
        "let dir = tempfile::tempdir()?;",
        "let path = dir.path().join(\"handed-over\");",
        "let address = UnixAddress::path(&path)?;",
        "let mut listener = UnixListener::bind(&address)?;",
        "listener.persist();",
        "let fd: OwnedFd = listener.into(); // to be handed to another process",
        "assert!(path.exists(), \"still reachable by its path\");",
        "let _client = UnixStream::connect(&address)?;",
        "let _accepted = UnixListener::from_fd(fd)?.accept()?;",
        "std::fs::remove_file(&path)?;",
        "# Ok::<(), Box<dyn std::error::Error>>(())",
    ],
    into_fd: [
        "The listening descriptor (non-blocking). What happens to the path is what the drop",
        "does: the lock file is removed and its lock let go, and so is the socket file unless",
        "[`persist`](UnixListener::persist) was called. Without `persist` the descriptor keeps",
        "listening but nobody can reach it by the path any more (the path's lock would be gone",
        "with this handle, so nothing would stop the next listener from reclaiming it); with",
        "it, the socket file stays and the next bind refuses the path (see `persist`).",
    ],
);

crate::descriptor::descriptor_access!(UnixListener);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UnixListener>();
    }
}
