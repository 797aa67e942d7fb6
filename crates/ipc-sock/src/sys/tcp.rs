//! The calls only TCP sockets make: socket options of the TCP and IP levels, the pending
//! error of a background connect, and an accept that reports the peer's address.
//!
//! rustix makes these calls safe, so this file needs no `unsafe`.

use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::{Errno, Result};
use rustix::net::{SocketAddrAny, SocketFlags};

/// `getsockopt(fd, SOL_SOCKET, SO_PROTOCOL)`: whether the socket's protocol is TCP (a
/// `SOCK_STREAM` internet socket may also be SCTP or MPTCP).
pub(crate) fn is_tcp(fd: BorrowedFd<'_>) -> Result<bool> {
    let protocol = rustix::net::sockopt::socket_protocol(fd)?;
    Ok(protocol == Some(rustix::net::ipproto::TCP))
}

/// `accept4(fd, &addr, &len, SOCK_CLOEXEC)`: the accepted socket, blocking and close-on-exec,
/// and the peer's address.
pub(crate) fn accept_from(fd: BorrowedFd<'_>) -> Result<(OwnedFd, Option<SocketAddrAny>)> {
    rustix::net::acceptfrom_with(fd, SocketFlags::CLOEXEC)
}

/// `setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, on)`.
pub(crate) fn set_reuse_address(fd: BorrowedFd<'_>, on: bool) -> Result<()> {
    rustix::net::sockopt::set_socket_reuseaddr(fd, on)
}

/// `getsockopt(fd, SOL_SOCKET, SO_REUSEADDR)`.
pub(crate) fn reuse_address(fd: BorrowedFd<'_>) -> Result<bool> {
    rustix::net::sockopt::socket_reuseaddr(fd)
}

/// `setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, on)`.
pub(crate) fn set_nodelay(fd: BorrowedFd<'_>, on: bool) -> Result<()> {
    rustix::net::sockopt::set_tcp_nodelay(fd, on)
}

/// `getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)`.
pub(crate) fn nodelay(fd: BorrowedFd<'_>) -> Result<bool> {
    rustix::net::sockopt::tcp_nodelay(fd)
}

/// `getsockopt(fd, SOL_SOCKET, SO_ERROR)`: the outcome of a connect that completed in the
/// background, as an error of the call itself (which also clears it).
pub(crate) fn take_error(fd: BorrowedFd<'_>) -> Result<()> {
    match rustix::net::sockopt::socket_error(fd) {
        Ok(outcome) => outcome,
        Err(errno) => Err(errno),
    }
}

/// Whether `errno` from a non-blocking `connect` means the handshake goes on in the
/// background.
pub(crate) fn connect_in_progress(errno: Errno) -> bool {
    errno == Errno::INPROGRESS
}
