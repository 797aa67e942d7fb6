//! `sendmsg`/`recvmsg` with control messages, and the peer-identity socket options.
//!
//! Raw `libc` calls rather than rustix's: rustix's `RecvAncillaryBuffer` parses the control
//! buffer itself and keeps the bytes private, and this crate parses them with its own,
//! proptested [`cmsg`] walker; and rustix reads `SO_PEERCRED` into a
//! `UCred` whose `pid` is non-zero, which the kernel does not promise (a peer in a pid
//! namespace we cannot see has pid 0). Sending goes through the same encoder, so one layout
//! definition serves both directions.
//!
//! Received descriptors become `OwnedFd`s here, in the function whose `recvmsg` the kernel
//! just answered, and nowhere else.
#![allow(
    unsafe_code,
    reason = "recvmsg must hand its raw control buffer to our own parser, and the received \
              descriptors must be adopted as OwnedFd"
)]

use std::ops::Range;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use rustix::io::{Errno, Result};
use rustix::net::SocketAddrAny;
use rustix::net::addr::SocketAddrStorage;

use crate::ancillary::cmsg;
use crate::sys::socket::{recv_flags, send_flags};

/// `SCM_PIDFD` (Linux 6.5): a pidfd of the sender, installed when `SO_PASSPIDFD` is set.
const SCM_PIDFD: i32 = 0x04;

/// What one `recvmsg` returned.
#[derive(Debug)]
pub(crate) struct Received {
    /// The data bytes received.
    pub(crate) bytes: usize,
    /// `msg_flags` on return (`MSG_CTRUNC`, `MSG_TRUNC`).
    pub(crate) flags: i32,
    /// Every descriptor the kernel installed for `SCM_RIGHTS`, in order; empty when
    /// `malformed`.
    pub(crate) fds: Vec<OwnedFd>,
    /// Whether the control bytes held a header [`cmsg::parse`] could not walk past (see
    /// [`adopt_descriptors`]).
    pub(crate) malformed: bool,
    /// Where the data of the first `SCM_CREDENTIALS` message lies in the control buffer,
    /// found on the same walk; `None` when there is none or `malformed`.
    pub(crate) credentials: Option<Range<usize>>,
}

/// What [`adopt_descriptors`] found in a control buffer, in its one walk.
#[derive(Debug, Default)]
struct Adopted {
    /// Every `SCM_RIGHTS` descriptor, in order.
    fds: Vec<OwnedFd>,
    /// Whether the walk stopped at a malformed header.
    malformed: bool,
    /// The data of the first `SCM_CREDENTIALS` message.
    credentials: Option<Range<usize>>,
}

/// The errno of the call that just failed.
fn last_errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO)
}

/// A `msghdr` with every field zero: no name, no data, no control.
fn empty_msghdr() -> libc::msghdr {
    // SAFETY: msghdr is plain data (pointers, lengths, flags, and padding on some targets);
    // all-zero is a valid value of each field (null pointers, zero lengths).
    unsafe { std::mem::zeroed() }
}

/// `sendmsg(fd, {data, control}, MSG_NOSIGNAL [| MSG_DONTWAIT])`: the bytes sent.
pub(crate) fn sendmsg(
    fd: BorrowedFd<'_>,
    data: &[u8],
    control: &[u8],
    dont_wait: bool,
) -> Result<usize> {
    sendmsg_to(fd, data, control, None, dont_wait)
}

/// `sendmsg(fd, {to, data, control}, MSG_NOSIGNAL [| MSG_DONTWAIT])`: as [`sendmsg`], to the
/// address `to` (`msg_name`) when given, as `sendto(2)` would.
pub(crate) fn sendmsg_to(
    fd: BorrowedFd<'_>,
    data: &[u8],
    control: &[u8],
    to: Option<&SocketAddrAny>,
    dont_wait: bool,
) -> Result<usize> {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr().cast_mut().cast(),
        iov_len: data.len(),
    };
    let mut msg = empty_msghdr();
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    if !control.is_empty() {
        msg.msg_control = control.as_ptr().cast_mut().cast();
        msg.msg_controllen = control.len() as _;
    }
    if let Some(to) = to {
        msg.msg_name = to.as_ptr().cast_mut().cast();
        msg.msg_namelen = to.addr_len();
    }
    // The flags are u32 bit sets whose values fit in a c_int.
    let flags = send_flags(dont_wait).bits() as libc::c_int;
    // SAFETY: msg points at iov, control and (when given) the address, which live until the
    // call returns; the kernel only reads through them for sendmsg (the pointers are cast to
    // *mut only because msghdr and iovec have one pointer type for both directions), and
    // msg_namelen is the address's own initialized length.
    let sent = unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, flags) };
    if sent < 0 {
        return Err(last_errno());
    }
    Ok(sent.unsigned_abs())
}

/// `recvmsg(fd, {buf, control}, MSG_CMSG_CLOEXEC [| MSG_TRUNC] [| MSG_DONTWAIT])`, adopting
/// every descriptor the kernel installed ([`adopt_descriptors`]).
///
/// With `real_length` (for datagram and seqpacket sockets only: on a stream `MSG_TRUNC`
/// would discard data) [`Received::bytes`] is the message's real length, larger than `buf`
/// when it did not fit: "`MSG_TRUNC` ... UNIX datagram as well as sequenced-packet (since
/// Linux 3.4) sockets: return the real length of the packet or datagram, even when it was
/// longer than the passed buffer" (`recv(2)`).
pub(crate) fn recvmsg(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    real_length: bool,
    dont_wait: bool,
) -> Result<Received> {
    recvmsg_with(fd, buf, control, None, real_length, dont_wait)
}

/// As [`recvmsg`] with `real_length` (it serves datagram sockets), also asking for the
/// sender's address (`msg_name`): `None` when the sender is unnamed (it did not bind) or the
/// kernel gave none.
pub(crate) fn recvmsg_from(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    dont_wait: bool,
) -> Result<(Received, Option<SocketAddrAny>)> {
    let mut name = empty_sockaddr();
    let mut name_len: libc::socklen_t = 0;
    let received = recvmsg_with(
        fd,
        buf,
        control,
        Some((&mut name, &mut name_len)),
        true,
        dont_wait,
    )?;
    let header = size_of::<libc::sa_family_t>() as libc::socklen_t;
    let storage = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    if name_len <= header {
        return Ok((received, None));
    }
    let len = name_len.min(storage);
    let from_ptr = (&raw const name).cast::<SocketAddrStorage>();
    // SAFETY: the kernel wrote a sockaddr of name_len bytes into name (a zeroed, and so fully
    // initialized, sockaddr_storage); len is more than the family header and at most
    // sockaddr_storage's size, which is what SocketAddrAny::read requires.
    let from = unsafe { SocketAddrAny::read(from_ptr, len) };
    Ok((received, Some(from)))
}

/// A `sockaddr_storage` with every byte zero.
fn empty_sockaddr() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain data (a family and padding); all-zero is valid.
    unsafe { std::mem::zeroed() }
}

/// The one `recvmsg`, with room for the sender's address when `name` is given (its length
/// is written back there).
fn recvmsg_with(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    name: Option<(&mut libc::sockaddr_storage, &mut libc::socklen_t)>,
    real_length: bool,
    dont_wait: bool,
) -> Result<Received> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut msg = empty_msghdr();
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    if !control.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len() as _;
    }
    let mut name = name;
    if let Some((storage, _)) = name.as_mut() {
        msg.msg_name = (&raw mut **storage).cast();
        msg.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    }
    let mut flags = recv_flags(dont_wait).bits() as libc::c_int | libc::MSG_CMSG_CLOEXEC;
    if real_length {
        flags |= libc::MSG_TRUNC;
    }
    // SAFETY: msg points at iov (over buf), control and (when given) the name storage, all
    // exclusively borrowed and alive until the call returns; the kernel writes at most
    // iov_len, msg_controllen and msg_namelen bytes.
    let received = unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, flags) };
    if received < 0 {
        return Err(last_errno());
    }
    if let Some((_, len)) = name {
        *len = msg.msg_namelen;
    }
    // The kernel never reports more control bytes than it was given; min() keeps the slice
    // in bounds even so.
    #[allow(
        clippy::unnecessary_cast,
        reason = "msg_controllen is size_t on glibc but socklen_t on musl"
    )]
    let control_len = (msg.msg_controllen as usize).min(control.len());
    // SAFETY: control[..control_len] holds exactly the control bytes the kernel wrote in the
    // recvmsg just above, in this call, so every SCM_RIGHTS and SCM_PIDFD number in it was
    // installed for us by that call and is owned by nothing else yet.
    let adopted = unsafe { adopt_descriptors(&control[..control_len]) };
    Ok(Received {
        bytes: received.unsigned_abs(),
        flags: msg.msg_flags,
        fds: adopted.fds,
        malformed: adopted.malformed,
        credentials: adopted.credentials,
    })
}

/// Takes ownership of every descriptor in the control bytes `written`: each `SCM_RIGHTS`
/// number becomes an `OwnedFd` (so it is closed whatever the caller then decides), and any
/// `SCM_PIDFD` (from an `SO_PASSPIDFD` someone set on the socket) is closed at once, since no
/// caller asked for it.
///
/// The same walk notes where the first `SCM_CREDENTIALS` data lies, so the caller need not
/// walk the bytes again.
///
/// The walk is [`cmsg::parse`]'s. A header it cannot walk past (a `cmsg_len` below the header
/// or past the end) hides where any later message begins, so descriptors after it cannot be
/// found, and guessing would risk closing numbers we do not own. The kernel never writes one
/// (`put_cmsg` and `scm_detach_fds` in `net/core/scm.c` cut a message that does not fit to
/// the room left, `cmsg_len` included, and set `MSG_CTRUNC`), so this is defence only: then
/// every descriptor found before it is closed here and `malformed` is set, so that the
/// receive becomes an error rather than a message missing some of its descriptors.
///
/// # Safety
///
/// `written` must be control bytes the kernel wrote in a `recvmsg` that has just returned in
/// this process, and not yet adopted: every `SCM_RIGHTS` and `SCM_PIDFD` number in them is
/// then an open descriptor that nothing else owns. Each is closed exactly once here or by its
/// `OwnedFd`.
unsafe fn adopt_descriptors(written: &[u8]) -> Adopted {
    let mut adopted = Adopted::default();
    for item in cmsg::parse(written) {
        let Ok(message) = item else {
            // Closes every descriptor found before the header that cannot be walked.
            drop(adopted);
            return Adopted {
                malformed: true,
                ..Adopted::default()
            };
        };
        if message.level != libc::SOL_SOCKET {
            continue;
        }
        if message.kind == libc::SCM_CREDENTIALS {
            adopted.credentials.get_or_insert(message.data);
            continue;
        }
        let is_rights = message.kind == libc::SCM_RIGHTS;
        if !is_rights && message.kind != SCM_PIDFD {
            continue;
        }
        let numbers = written[message.data].chunks_exact(size_of::<RawFd>());
        if is_rights {
            // One allocation, of the right size, for the descriptors the caller gets.
            adopted.fds.reserve_exact(numbers.len());
        }
        for number in numbers {
            let raw = RawFd::from_ne_bytes([number[0], number[1], number[2], number[3]]);
            if raw < 0 {
                continue;
            }
            // SAFETY: by this fn's contract the number comes from control bytes the kernel
            // just wrote, as SCM_RIGHTS (or SCM_PIDFD) data: it was installed in this process
            // for that call and nothing else owns it, so we become its only owner; it is not
            // negative (checked above).
            let owned = unsafe { OwnedFd::from_raw_fd(raw) };
            if is_rights {
                adopted.fds.push(owned);
            }
        }
    }
    adopted
}

/// `getsockopt(fd, SOL_SOCKET, SO_PEERCRED)`: the peer's pid, uid and gid at `connect` (or
/// `socketpair`) time.
pub(crate) fn peer_credentials(fd: BorrowedFd<'_>) -> Result<libc::ucred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: cred is a live ucred and len its size; the kernel writes at most len bytes.
    let done = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &raw mut len,
        )
    };
    if done < 0 {
        return Err(last_errno());
    }
    Ok(cred)
}

/// `getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD)` (Linux 6.5): a new pidfd of the peer.
pub(crate) fn peer_pidfd(fd: BorrowedFd<'_>) -> Result<OwnedFd> {
    let mut pidfd: libc::c_int = -1;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: pidfd is a live int and len its size; the kernel writes at most len bytes.
    let done = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERPIDFD,
            (&raw mut pidfd).cast(),
            &raw mut len,
        )
    };
    if done < 0 {
        return Err(last_errno());
    }
    if pidfd < 0 {
        return Err(Errno::BADF);
    }
    // SAFETY: the getsockopt above succeeded, so the kernel installed a new pidfd in this
    // process and wrote its number (checked not negative); nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(pidfd) })
}

/// `setsockopt(fd, SOL_SOCKET, SO_PASSCRED, on)`.
pub(crate) fn set_pass_credentials(fd: BorrowedFd<'_>, on: bool) -> Result<()> {
    rustix::net::sockopt::set_socket_passcred(fd, on)
}

/// `getsockopt(fd, SOL_SOCKET, SO_PASSCRED)`.
pub(crate) fn pass_credentials(fd: BorrowedFd<'_>) -> Result<bool> {
    rustix::net::sockopt::socket_passcred(fd)
}

#[cfg(test)]
mod tests {
    use std::os::fd::IntoRawFd;

    use super::*;
    use crate::ancillary::cmsg::{Encoder, HEADER_LEN};

    /// A pipe whose read end does not block: its write end's number, handed over raw, and
    /// a probe that says whether that write end is still open anywhere.
    fn pipe_probe() -> (RawFd, impl Fn() -> bool) {
        let (reader, writer) = std::io::pipe().unwrap();
        rustix::io::ioctl_fionbio(&reader, true).unwrap();
        let probe = move || rustix::io::read(&reader, &mut [0; 1]) == Err(Errno::AGAIN);
        (writer.into_raw_fd(), probe)
    }

    #[test]
    fn a_malformed_header_closes_every_descriptor_found_before_it() {
        let (raw, write_end_open) = pipe_probe();
        let mut control = Encoder::new();
        control.push(libc::SOL_SOCKET, libc::SCM_RIGHTS, &raw.to_ne_bytes());
        let mut written = control.as_bytes().to_vec();
        // A header whose cmsg_len is below the header's own size.
        written.extend_from_slice(&2_usize.to_ne_bytes());
        written.resize(written.len() + HEADER_LEN - size_of::<usize>(), 0);
        assert!(write_end_open());
        // SAFETY: `raw` was handed over by into_raw_fd above, so nothing else owns it, and
        // the only descriptor number in `written` is that one: the buffer stands for what a
        // recvmsg just installed.
        let sut = unsafe { adopt_descriptors(&written) };
        assert!(sut.malformed);
        assert!(sut.fds.is_empty());
        assert!(!write_end_open(), "the descriptor found was closed");
    }

    #[test]
    fn well_formed_rights_are_adopted_in_order() {
        let (first, first_open) = pipe_probe();
        let (second, second_open) = pipe_probe();
        let mut control = Encoder::new();
        let numbers: Vec<u8> = [first, second]
            .iter()
            .flat_map(|fd| fd.to_ne_bytes())
            .collect();
        control.push(libc::SOL_SOCKET, libc::SCM_RIGHTS, &numbers);
        // SAFETY: both numbers were handed over by into_raw_fd, so nothing else owns them,
        // and they are the only descriptor numbers in the buffer.
        let sut = unsafe { adopt_descriptors(control.as_bytes()) };
        assert!(!sut.malformed);
        let got: Vec<RawFd> = sut.fds.iter().map(AsRawFd::as_raw_fd).collect();
        assert_eq!(got, [first, second]);
        assert!(first_open() && second_open());
        drop(sut);
        assert!(!first_open() && !second_open());
    }
}
