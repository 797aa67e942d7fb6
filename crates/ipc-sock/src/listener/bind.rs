//! Binding any Unix socket type to an address with a [`UnixListenerBuilder`]'s options: the
//! lock, stale path reclaim and exact mode of [`publish`] and [`lock`](super::lock), and
//! persisting the path, shared by the stream listener, the seqpacket listener and bound
//! datagram sockets.

use ipc_core::{Object, Result};
use rustix::net::{AddressFamily, SocketType};

use super::builder::UnixListenerBuilder;
use super::lock::PathLock;
use super::publish::{self, Reclaim, SocketFile};
use crate::address::UnixAddress;
use crate::socket::{Descriptor, Socket};
use crate::sys::socket as sys;

/// The socket file a bound socket made, and the lock beside it: both removed on drop, the
/// socket file first, while the lock is still held.
#[derive(Debug)]
pub(crate) struct BoundPath {
    // Fields drop in order: the socket file is removed, then the lock file (still locked),
    // then the lock's descriptor closes.
    file: SocketFile,
    _lock: PathLock,
}

impl BoundPath {
    /// Leaves the socket file at the path on drop, for a descriptor that outlives its handle
    /// (handed to another process, say). The lock file is still removed and its lock let go:
    /// a lock that outlived the handle would prove nothing once the handle's process died
    /// while the descriptor lived on elsewhere. The next bind at the path therefore finds a
    /// socket without a lock file and refuses it (`AlreadyExists`), unless
    /// `reclaim_unlocked` is set; whoever ends the socket's life removes the file.
    pub(crate) fn persist(&mut self) {
        self.file.persist();
    }
}

/// A new socket of `kind` bound to `address` with `options`; it does not listen. For a path,
/// the lock is taken, a provably stale leftover removed and the socket file given its exact
/// mode (see [`UnixListener`](crate::UnixListener)); what is returned with the socket removes
/// the path on drop. An abstract address needs none of that.
///
/// # Errors
///
/// As [`UnixListener::bind`](crate::UnixListener::bind).
pub(crate) fn bind_socket(
    kind: SocketType,
    address: &UnixAddress,
    options: &UnixListenerBuilder,
    operation: &'static str,
) -> Result<(Socket, Option<BoundPath>)> {
    let socket = Socket::open(AddressFamily::UNIX, kind, operation, Object::from(address))?;
    let raw = address.to_raw(operation)?;
    let bound = match address.as_path() {
        Some(path) => {
            let lock = PathLock::acquire(path, options.owner, operation)?;
            let reclaim = Reclaim {
                unlocked: options.reclaim_unlocked,
            };
            let file = publish::bind_path(
                &socket,
                path,
                &raw,
                &lock,
                options.permissions,
                reclaim,
                operation,
            )?;
            Some(BoundPath { file, _lock: lock })
        }
        None => {
            sys::bind(socket.fd(), &raw).map_err(|errno| socket.error(operation, errno))?;
            None
        }
    };
    Ok((socket, bound))
}

/// A new socket of `kind` (stream or seqpacket) bound to `address` and listening with
/// `options`' backlog, non-blocking (see [`UnixListener`](crate::UnixListener)'s
/// `# Blocking`).
///
/// # Errors
///
/// As [`UnixListener::bind`](crate::UnixListener::bind).
pub(crate) fn bind_listening(
    kind: SocketType,
    address: &UnixAddress,
    options: &UnixListenerBuilder,
) -> Result<(Socket, Option<BoundPath>)> {
    let (mut socket, bound) = bind_socket(kind, address, options, "bind")?;
    let backlog = i32::try_from(options.backlog).unwrap_or(i32::MAX);
    sys::listen(socket.fd(), backlog).map_err(|errno| socket.error("listen", errno))?;
    socket.set_descriptor(Descriptor::NonBlocking, "listen")?;
    Ok((socket, bound))
}
