//! The socket calls, through rustix, with the flags this crate always passes: `SOCK_CLOEXEC` on
//! every descriptor made, `MSG_NOSIGNAL` on every send, `MSG_DONTWAIT` on the non-blocking
//! attempts.
//!
//! rustix makes these calls safe, so this file needs no `unsafe`; it exists so that the flags
//! live in one place and every public type above reaches the kernel the same way.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Duration;

use rustix::io::Result;
use rustix::net::addr::SocketAddrArg;
use rustix::net::sockopt::Timeout;
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, Shutdown, SocketAddrAny, SocketFlags, SocketType,
};

/// `socket(domain, kind | SOCK_CLOEXEC, 0)`.
pub(crate) fn socket(domain: AddressFamily, kind: SocketType) -> Result<OwnedFd> {
    rustix::net::socket_with(domain, kind, SocketFlags::CLOEXEC, None)
}

/// `socketpair(domain, kind | SOCK_CLOEXEC, 0)`.
pub(crate) fn socketpair(domain: AddressFamily, kind: SocketType) -> Result<(OwnedFd, OwnedFd)> {
    rustix::net::socketpair(domain, kind, SocketFlags::CLOEXEC, None)
}

/// `bind(fd, addr)`.
pub(crate) fn bind(fd: BorrowedFd<'_>, addr: &impl SocketAddrArg) -> Result<()> {
    rustix::net::bind(fd, addr)
}

/// `listen(fd, backlog)`.
pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: i32) -> Result<()> {
    rustix::net::listen(fd, backlog)
}

/// `accept4(fd, NULL, NULL, SOCK_CLOEXEC)`: the accepted socket is blocking and
/// close-on-exec, whatever the listener's own flags.
pub(crate) fn accept(fd: BorrowedFd<'_>) -> Result<OwnedFd> {
    rustix::net::accept_with(fd, SocketFlags::CLOEXEC)
}

/// `connect(fd, addr)`.
pub(crate) fn connect(fd: BorrowedFd<'_>, addr: &impl SocketAddrArg) -> Result<()> {
    rustix::net::connect(fd, addr)
}

/// `send(fd, buf, MSG_NOSIGNAL [| MSG_DONTWAIT])`: a peer that is gone is `EPIPE`, never a
/// `SIGPIPE`.
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8], dont_wait: bool) -> Result<usize> {
    rustix::net::send(fd, buf, send_flags(dont_wait))
}

/// The flags of every send: `MSG_NOSIGNAL`, and `MSG_DONTWAIT` for a non-blocking attempt.
/// Datagram and ancillary sends build their flags here too.
pub(crate) fn send_flags(dont_wait: bool) -> SendFlags {
    if dont_wait {
        SendFlags::NOSIGNAL | SendFlags::DONTWAIT
    } else {
        SendFlags::NOSIGNAL
    }
}

/// The flags of every receive: `MSG_DONTWAIT` for a non-blocking attempt.
pub(crate) fn recv_flags(dont_wait: bool) -> RecvFlags {
    if dont_wait {
        RecvFlags::DONTWAIT
    } else {
        RecvFlags::empty()
    }
}

/// `recv(fd, buf, [MSG_DONTWAIT])`: the bytes received, `0` at end of input on a stream.
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], dont_wait: bool) -> Result<usize> {
    let (received, _) = rustix::net::recv(fd, buf, recv_flags(dont_wait))?;
    Ok(received)
}

/// `shutdown(fd, how)`.
pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> Result<()> {
    rustix::net::shutdown(fd, how)
}

/// `getsockopt(fd, SOL_SOCKET, SO_DOMAIN)`.
pub(crate) fn domain(fd: BorrowedFd<'_>) -> Result<AddressFamily> {
    rustix::net::sockopt::socket_domain(fd)
}

/// `getsockopt(fd, SOL_SOCKET, SO_TYPE)`.
pub(crate) fn kind(fd: BorrowedFd<'_>) -> Result<SocketType> {
    rustix::net::sockopt::socket_type(fd)
}

/// `getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN)`: whether the socket is listening.
pub(crate) fn is_listening(fd: BorrowedFd<'_>) -> Result<bool> {
    rustix::net::sockopt::socket_acceptconn(fd)
}

/// `setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeout)`; `None` waits without bound. Bounds how
/// long a blocking `connect` on a Unix socket waits for room in the listener's backlog.
pub(crate) fn set_send_timeout(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> Result<()> {
    rustix::net::sockopt::set_socket_timeout(fd, Timeout::Send, timeout)
}

/// `ioctl(fd, FIONBIO, nonblocking)`: sets or clears `O_NONBLOCK`.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> Result<()> {
    rustix::io::ioctl_fionbio(fd, nonblocking)
}

/// `getpeername(fd)`.
pub(crate) fn peer_name(fd: BorrowedFd<'_>) -> Result<Option<SocketAddrAny>> {
    rustix::net::getpeername(fd)
}

/// `getsockname(fd)`.
pub(crate) fn local_name(fd: BorrowedFd<'_>) -> Result<SocketAddrAny> {
    rustix::net::getsockname(fd)
}
