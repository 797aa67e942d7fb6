//! The message calls of datagram and seqpacket sockets, through rustix: every receive passes
//! `MSG_TRUNC`, so that the kernel reports a message's real length even when the buffer was
//! too small, and every send `MSG_NOSIGNAL` (through [`send_flags`]). A plain receive is a
//! `recvmsg` with room for credentials only, so that it can tell when the message carried
//! descriptors, which it cannot take.
//!
//! "`MSG_TRUNC` (since Linux 2.2): For raw (`AF_PACKET`), Internet datagram (since Linux
//! 2.4.27/2.6.8), netlink (since Linux 2.6.22), and UNIX datagram as well as sequenced-packet
//! (since Linux 3.4) sockets: return the real length of the packet or datagram, even when it
//! was longer than the passed buffer." (`recv(2)`)
//!
//! rustix (and [`ancillary`]) make these calls safe, so this file needs no `unsafe`.

use std::os::fd::BorrowedFd;

use rustix::io::Result;
use rustix::net::addr::SocketAddrArg;
use rustix::net::{RecvFlags, SocketAddrAny};

use crate::ancillary::cmsg;

use super::ancillary;
use super::socket::{recv_flags, send_flags};

/// What one plain receive of a message returned.
#[derive(Debug)]
pub(crate) struct Message {
    /// The message's real length, which is larger than the buffer when it did not fit (only
    /// `buf.len()` bytes were stored).
    pub(crate) length: usize,
    /// Whether the message carried descriptors (or other control messages beyond the
    /// credentials) that this receive could not take: they are closed by now.
    pub(crate) dropped_control: bool,
    /// The sender's address (`None` when it did not bind, or the kernel gave none).
    pub(crate) from: Option<SocketAddrAny>,
}

/// The control room of a plain receive: one `SCM_CREDENTIALS` message, which the kernel
/// attaches to every message once `SO_PASSCRED` is set and which a plain receive ignores.
const PLAIN_CONTROL_LEN: usize = cmsg::space(size_of::<libc::ucred>());

/// `recvmsg(fd, {buf, control for credentials only}, MSG_TRUNC | MSG_CMSG_CLOEXEC
/// [| MSG_DONTWAIT])`: one message, consumed whether it fit or not, and whether it carried
/// descriptors, which are closed (by the kernel when they did not fit, `MSG_CTRUNC`; here,
/// when one fitted next to no credentials). One call, as `recv` would be; unlike `recv(2)`
/// it lets the kernel say that it dropped something. The buffer holds credentials so that a
/// socket with `SO_PASSCRED` set can still receive plainly.
pub(crate) fn recv_message(fd: BorrowedFd<'_>, buf: &mut [u8], dont_wait: bool) -> Result<Message> {
    let mut control = [0_u8; PLAIN_CONTROL_LEN];
    let (received, from) = ancillary::recvmsg_from(fd, buf, &mut control, dont_wait)?;
    let dropped_control =
        received.flags & libc::MSG_CTRUNC != 0 || !received.fds.is_empty() || received.malformed;
    // Any descriptor that fitted is closed here, on drop.
    drop(received.fds);
    Ok(Message {
        length: received.bytes,
        dropped_control,
        from,
    })
}

/// `recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC [| MSG_DONTWAIT])`: the next message's real
/// length, without consuming it (nor its control messages).
pub(crate) fn peek_message_size(fd: BorrowedFd<'_>, dont_wait: bool) -> Result<usize> {
    let flags = recv_flags(dont_wait) | RecvFlags::TRUNC | RecvFlags::PEEK;
    let (_, length) = rustix::net::recv(fd, &mut [0_u8; 0], flags)?;
    Ok(length)
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
