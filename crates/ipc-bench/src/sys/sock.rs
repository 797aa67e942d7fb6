//! The raw side of the socket cases: `send(2)`, `recv(2)`, and `sendmsg(2)`/`recvmsg(2)` with one
//! `SCM_RIGHTS` descriptor, as a C program writes them, on descriptors the API opened.
//!
//! Every send passes `MSG_NOSIGNAL`, as the API's do: the flag costs nothing in the kernel and
//! is what a C program that must survive a gone peer passes, so the ratio compares code, not
//! guarantees.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls send/recv/sendmsg/recvmsg/shutdown directly and adopts the \
              descriptor recvmsg installs"
)]

use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use super::fd::retry_on_eintr;

/// One `send(fd, buf, len, MSG_NOSIGNAL)`: its return value, `-1` with `errno` set on failure.
#[inline]
fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> isize {
    // SAFETY: `buf` is a live, readable slice of `buf.len()` bytes for the duration of the
    // call, and `fd` is a borrowed, open descriptor.
    unsafe {
        libc::send(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
        )
    }
}

/// One `recv(fd, buf, len, 0)`: its return value, `-1` with `errno` set on failure.
#[inline]
fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> isize {
    // SAFETY: `buf` is a live, exclusively borrowed slice of `buf.len()` writable bytes for
    // the duration of the call, and `fd` is a borrowed, open descriptor.
    unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) }
}

/// Sends all of `buf` on a stream socket: `send(fd, …, MSG_NOSIGNAL)` until it has gone.
///
/// # Errors
/// The `send(2)` error (`EPIPE` once the peer is gone); `WriteZero` if the kernel took nothing.
#[inline]
pub(crate) fn send_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match usize::try_from(send(fd, buf)) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(_) => retry_on_eintr()?,
        }
    }
    Ok(())
}

/// Fills `buf` from a stream socket: `recv(fd, …, 0)` until it is full.
///
/// # Errors
/// The `recv(2)` error; `UnexpectedEof` when the peer closed first.
#[inline]
pub(crate) fn recv_exact(fd: BorrowedFd<'_>, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match usize::try_from(recv(fd, buf)) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(_) => retry_on_eintr()?,
        }
    }
    Ok(())
}

/// Sends `buf` as one message on a datagram or seqpacket socket: one `send(fd, …,
/// MSG_NOSIGNAL)`, which carries the whole message or fails.
///
/// # Errors
/// The `send(2)` error (`EMSGSIZE` above the send buffer, `ECONNREFUSED` or `EPIPE` once the
/// peer is gone); `WriteZero` if the kernel reports a short message.
#[inline]
pub(crate) fn send_message(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<()> {
    loop {
        match usize::try_from(send(fd, buf)) {
            Ok(n) if n == buf.len() => return Ok(()),
            Ok(_) => return Err(io::ErrorKind::WriteZero.into()),
            Err(_) => retry_on_eintr()?,
        }
    }
}

/// Receives one message into `buf` on a datagram or seqpacket socket: one `recv(fd, …, 0)`.
/// Returns its length (cut to `buf.len()`, as `recv(2)` cuts a longer one).
///
/// # Errors
/// The `recv(2)` error.
#[inline]
pub(crate) fn recv_message(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match usize::try_from(recv(fd, buf)) {
            Ok(n) => return Ok(n),
            Err(_) => retry_on_eintr()?,
        }
    }
}

/// Shuts down both directions of the socket `fd` refers to, which returns a `recv` blocked on
/// it (with 0 bytes) in any process: how the bench releases a parent waiting on a datagram
/// from a peer that died (a datagram socket sees no end of input).
pub(crate) fn shutdown(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: `fd` is a borrowed, open descriptor; shutdown(2) takes no pointers.
    if unsafe { libc::shutdown(fd.as_raw_fd(), libc::SHUT_RDWR) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The `cmsghdr` the kernel expects (`include/linux/socket.h`), spelled out so a control
/// message can be built and read as a plain struct. Its size and field offsets are checked
/// against `libc::cmsghdr` below.
#[repr(C)]
#[derive(Clone, Copy)]
struct CmsgHeader {
    len: usize,
    level: libc::c_int,
    kind: libc::c_int,
}

/// A control buffer holding exactly one `SCM_RIGHTS` message with one descriptor:
/// `CMSG_SPACE(sizeof(int))` bytes, aligned as a `cmsghdr`.
#[repr(C)]
#[derive(Clone, Copy)]
struct OneFd {
    header: CmsgHeader,
    fd: libc::c_int,
    /// `CMSG_SPACE` rounds the data up to the alignment of `size_t`.
    _pad: [u8; 4],
}

// SAFETY: CMSG_LEN is arithmetic on its argument only; it reads no memory.
const ONE_FD_LEN: usize = unsafe { libc::CMSG_LEN(size_of::<libc::c_int>() as u32) } as usize;
// SAFETY: as above, for CMSG_SPACE.
const ONE_FD_SPACE: usize = unsafe { libc::CMSG_SPACE(size_of::<libc::c_int>() as u32) } as usize;
// SAFETY: as above; CMSG_LEN(0) is where a control message's data starts.
const DATA_OFFSET: usize = unsafe { libc::CMSG_LEN(0) } as usize;

const _: () = {
    assert!(size_of::<CmsgHeader>() == size_of::<libc::cmsghdr>());
    assert!(align_of::<CmsgHeader>() == align_of::<libc::cmsghdr>());
    assert!(offset_of!(CmsgHeader, level) == offset_of!(libc::cmsghdr, cmsg_level));
    assert!(offset_of!(CmsgHeader, kind) == offset_of!(libc::cmsghdr, cmsg_type));
    assert!(size_of::<OneFd>() == ONE_FD_SPACE);
    assert!(offset_of!(OneFd, fd) == DATA_OFFSET);
};

impl OneFd {
    /// The control message that passes `fd`, or (with `-1`) room to receive one.
    fn new(fd: libc::c_int) -> Self {
        Self {
            header: CmsgHeader {
                len: ONE_FD_LEN,
                level: libc::SOL_SOCKET,
                kind: libc::SCM_RIGHTS,
            },
            fd,
            _pad: [0; 4],
        }
    }
}

/// A `msghdr` over one data buffer and one control buffer.
fn msghdr(iov: &mut libc::iovec, control: &mut OneFd) -> libc::msghdr {
    // SAFETY: msghdr is plain data (pointers, lengths, flags, and padding on some targets);
    // all-zero is a valid value of each field (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = (control as *mut OneFd).cast();
    msg.msg_controllen = ONE_FD_SPACE as _;
    msg
}

/// Sends `data` (at least one byte) with the descriptor `passed`: one `sendmsg(fd, …,
/// MSG_NOSIGNAL)` with an `SCM_RIGHTS` control message.
///
/// # Errors
/// The `sendmsg(2)` error; `WriteZero` if not all of `data` went (a stream may take fewer
/// bytes, but the bench sends one).
#[inline]
pub(crate) fn send_with_fd(
    fd: BorrowedFd<'_>,
    data: &[u8],
    passed: BorrowedFd<'_>,
) -> io::Result<()> {
    let mut control = OneFd::new(passed.as_raw_fd());
    let mut iov = libc::iovec {
        iov_base: data.as_ptr().cast_mut().cast(),
        iov_len: data.len(),
    };
    let msg = msghdr(&mut iov, &mut control);
    loop {
        // SAFETY: msg points at iov (over data) and control, which live until the call returns;
        // the kernel only reads through them for sendmsg.
        let n = unsafe { libc::sendmsg(fd.as_raw_fd(), &raw const msg, libc::MSG_NOSIGNAL) };
        match usize::try_from(n) {
            Ok(n) if n == data.len() => return Ok(()),
            Ok(_) => return Err(io::ErrorKind::WriteZero.into()),
            Err(_) => retry_on_eintr()?,
        }
    }
}

/// Receives into `buf` with room for one descriptor: one `recvmsg(fd, …, MSG_CMSG_CLOEXEC)`.
/// Returns the bytes received and the descriptor, which the caller closes by dropping it.
///
/// # Errors
/// The `recvmsg(2)` error; `InvalidData` when no descriptor came, or the control data was cut
/// (`MSG_CTRUNC`), after closing any descriptor that did come.
#[inline]
pub(crate) fn recv_with_fd(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<(usize, OwnedFd)> {
    let mut control = OneFd::new(-1);
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut msg = msghdr(&mut iov, &mut control);
    let n = loop {
        // SAFETY: msg points at iov (over buf) and control, both exclusively borrowed and alive
        // until the call returns; the kernel writes at most iov_len and msg_controllen bytes.
        let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &raw mut msg, libc::MSG_CMSG_CLOEXEC) };
        match usize::try_from(n) {
            Ok(n) => break n,
            Err(_) => retry_on_eintr()?,
        }
    };
    #[allow(
        clippy::unnecessary_cast,
        reason = "msg_controllen is size_t on glibc but socklen_t on musl"
    )]
    let complete = msg.msg_controllen as usize >= ONE_FD_LEN
        && control.header.len == ONE_FD_LEN
        && control.header.level == libc::SOL_SOCKET
        && control.header.kind == libc::SCM_RIGHTS
        && control.fd >= 0;
    let received = if complete {
        // SAFETY: the kernel wrote this number as the one SCM_RIGHTS descriptor of the
        // recvmsg above (checked just above: a whole SCM_RIGHTS message of one int, not -1),
        // installing it in this process for this call only, so nothing else owns it.
        Some(unsafe { OwnedFd::from_raw_fd(control.fd) })
    } else {
        None
    };
    match received {
        Some(passed) if msg.msg_flags & libc::MSG_CTRUNC == 0 => Ok((n, passed)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the message came without its one descriptor",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    #[test]
    fn a_descriptor_sent_with_a_byte_arrives_as_a_new_close_on_exec_descriptor() {
        let (a, b) = UnixStream::pair().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        send_with_fd(a.as_fd(), b"x", reader.as_fd()).unwrap();
        let mut buf = [0; 1];
        let (n, sut) = recv_with_fd(b.as_fd(), &mut buf).unwrap();
        assert_eq!((n, buf), (1, *b"x"));
        assert_ne!(sut.as_raw_fd(), reader.as_raw_fd());
        let flags = rustix::io::fcntl_getfd(&sut).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
        // The same pipe: what goes into the writer comes out of the received reader.
        std::io::Write::write_all(&mut writer, b"y").unwrap();
        std::io::Read::read_exact(&mut std::io::PipeReader::from(sut), &mut buf).unwrap();
        assert_eq!(buf, *b"y");
    }

    #[test]
    fn a_byte_without_a_descriptor_is_refused() {
        let (a, b) = UnixStream::pair().unwrap();
        send_all(a.as_fd(), b"x").unwrap();
        let err = recv_with_fd(b.as_fd(), &mut [0; 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_shut_down_datagram_socket_returns_an_empty_receive() {
        let (_a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        shutdown(b.as_fd()).unwrap();
        assert_eq!(recv_message(b.as_fd(), &mut [0; 8]).unwrap(), 0);
    }
}
