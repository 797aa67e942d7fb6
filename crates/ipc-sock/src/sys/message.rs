//! The message calls of datagram and seqpacket sockets, through rustix: every receive passes
//! `MSG_TRUNC`, so that the kernel reports a message's real length even when the buffer was
//! too small, and every send `MSG_NOSIGNAL` (through [`send_flags`]).
//!
//! "`MSG_TRUNC` (since Linux 2.2): For raw (`AF_PACKET`), Internet datagram (since Linux
//! 2.4.27/2.6.8), netlink (since Linux 2.6.22), and UNIX datagram as well as sequenced-packet
//! (since Linux 3.4) sockets: return the real length of the packet or datagram, even when it
//! was longer than the passed buffer." (`recv(2)`)
//!
//! rustix makes these calls safe, so this file needs no `unsafe`.

use std::os::fd::BorrowedFd;

use rustix::io::Result;
use rustix::net::addr::SocketAddrArg;
use rustix::net::{RecvFlags, SocketAddrAny};

use super::socket::{recv_flags, send_flags};

/// `recv(fd, buf, MSG_TRUNC [| MSG_PEEK] [| MSG_DONTWAIT])`: the message's real length, which
/// is larger than `buf` when it did not fit (only `buf.len()` bytes were stored). Without
/// `peek` the message is consumed whether it fit or not.
pub(crate) fn recv_message(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    peek: bool,
    dont_wait: bool,
) -> Result<usize> {
    let mut flags = recv_flags(dont_wait) | RecvFlags::TRUNC;
    if peek {
        flags |= RecvFlags::PEEK;
    }
    let (_, length) = rustix::net::recv(fd, buf, flags)?;
    Ok(length)
}

/// `recvfrom(fd, buf, MSG_TRUNC [| MSG_DONTWAIT])`: the message's real length, as
/// [`recv_message`], and the sender's address (`None` when it did not bind).
pub(crate) fn recv_message_from(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    dont_wait: bool,
) -> Result<(usize, Option<SocketAddrAny>)> {
    let flags = recv_flags(dont_wait) | RecvFlags::TRUNC;
    let (_, length, from) = rustix::net::recvfrom(fd, buf, flags)?;
    Ok((length, from))
}

/// `sendto(fd, buf, MSG_NOSIGNAL [| MSG_DONTWAIT], addr)`.
pub(crate) fn send_to(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    addr: &impl SocketAddrArg,
    dont_wait: bool,
) -> Result<usize> {
    rustix::net::sendto(fd, buf, send_flags(dont_wait), addr)
}

/// `getsockopt(fd, SOL_SOCKET, SO_SNDBUF)`: the send buffer's size, for the message of an
/// `EMSGSIZE`.
pub(crate) fn send_buffer_size(fd: BorrowedFd<'_>) -> Result<usize> {
    rustix::net::sockopt::socket_send_buffer_size(fd)
}
