//! The core of every send and receive with control messages, on the private [`Socket`]: the
//! checks before the call, the encoding, the call in the form a [`Wait`] asks for (through
//! [`Socket::io`]), and what a truncated control message means afterwards.
//!
//! Public socket types call [`send`] and [`receive`] with their [`Framing`]; nothing here is
//! specific to one of them.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use ipc_core::{Error, ErrorKind, Limit, LimitScope, Result, Wait};
use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::SocketAddrAny;

use super::cmsg::{self, ControlBuffer, Encoder};
use super::credentials::{Credentials, UCRED_LEN};
use crate::address::UnixAddress;
use crate::socket::Socket;
use crate::sys::ancillary as sys;

/// `SCM_MAX_FD`: the most descriptors one message may carry ("The kernel constant
/// SCM_MAX_FD defines a limit on the number of file descriptors in the array. Attempting to
/// send an array larger than this limit causes sendmsg(2) to fail with the error EINVAL.
/// SCM_MAX_FD has the value 253", `unix(7)`).
pub const MAX_FDS: usize = 253;

/// How a socket type carries data, which decides what an empty buffer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// A byte stream: descriptors and credentials ride on the first byte of the data they
    /// were sent with, so a send needs at least one byte, a receive room for one, and there
    /// is no truncation.
    Stream,
    /// Datagrams: a message may be empty (with or without control data), and one longer
    /// than the buffer is `MessageTooLarge` (`MSG_TRUNC`), not silently cut.
    Message,
    /// Sequenced packets: as [`Message`](Self::Message), except that an empty record is
    /// refused whatever control data it carries, because the peer reads one as end of input
    /// (and the kernel closes the descriptors it carried unseen).
    Record,
}

impl Framing {
    /// Whether messages keep their bounds (so a receive passes `MSG_TRUNC` and an overlong
    /// one is `MessageTooLarge`).
    fn is_message(self) -> bool {
        matches!(self, Self::Message | Self::Record)
    }
}

/// What one receive with control messages got.
///
/// # Examples
///
/// ```
/// let (a, b) = ipc_sock::UnixStream::pair()?;
/// let (reader, _writer) = std::io::pipe().unwrap();
/// use std::os::fd::AsFd;
/// a.send_with_fds(b"x", &[reader.as_fd()])?;
/// let mut buf = [0; 1];
/// let got = b.receive_message(&mut buf, 1)?;
/// assert_eq!((got.len, got.fds.len(), got.credentials), (1, 1, None));
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// How many bytes of the buffer were filled (`0` at end of input on a stream).
    pub len: usize,
    /// The descriptors that came with the data, in the order they were sent: owned,
    /// close-on-exec.
    pub fds: Vec<OwnedFd>,
    /// The sender's credentials (`SCM_CREDENTIALS`), present when the receiving socket has
    /// [`set_pass_credentials`](crate::UnixStream::set_pass_credentials) on.
    pub credentials: Option<Credentials>,
}

/// Sends `data` with `fds` and, if given, `credentials`, in the form `wait` asks for; returns
/// how many data bytes went (on a stream possibly fewer than `data.len()`; the descriptors
/// went with the first of them).
///
/// # Errors
///
/// - `InvalidArgument` before any call: more than [`MAX_FDS`] descriptors (naming
///   `SCM_MAX_FD`), on a stream no data byte to carry them, or on a sequenced-packet socket
///   empty data (which the peer would read as end of input).
/// - `PermissionDenied` (`EPERM`): `credentials` other than the caller's own, without
///   `CAP_SYS_ADMIN` (pid) or `CAP_SETUID`/`CAP_SETGID` (uid, gid).
/// - `LimitReached` (`ETOOMANYREFS`): the caller has more descriptors in flight than its
///   `RLIMIT_NOFILE`.
/// - as the socket's plain send otherwise (`PeerGone`, `WouldBlock`, `TimedOut`).
pub(crate) fn send(
    socket: &Socket,
    framing: Framing,
    data: &[u8],
    fds: &[BorrowedFd<'_>],
    credentials: Option<Credentials>,
    wait: Wait,
) -> Result<usize> {
    send_with(socket, framing, data, fds, credentials, None, wait)
}

/// As [`send`], as one datagram to the address `to` (`msg_name`), whose errors name `to`.
///
/// As with `sendto`, `poll(2)` cannot watch the receiver's queue, so the bounded forms try
/// again after short pauses ([`Socket::send_to_io`]).
///
/// # Errors
///
/// As [`send`], and as [`UnixDatagram::send_to`](crate::UnixDatagram::send_to).
pub(crate) fn send_to(
    socket: &Socket,
    data: &[u8],
    fds: &[BorrowedFd<'_>],
    to: &UnixAddress,
    wait: Wait,
) -> Result<()> {
    let raw = SocketAddrAny::from(to.to_raw("sendmsg")?);
    send_with(socket, Framing::Message, data, fds, None, Some(&raw), wait)
        .map(|_| ())
        .map_err(|err| err.with_object(to))
}

/// The one send with control messages, to the connected peer or to `to`.
fn send_with(
    socket: &Socket,
    framing: Framing,
    data: &[u8],
    fds: &[BorrowedFd<'_>],
    credentials: Option<Credentials>,
    to: Option<&SocketAddrAny>,
    wait: Wait,
) -> Result<usize> {
    const OPERATION: &str = "sendmsg";
    if fds.len() > MAX_FDS {
        return Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
            .with_object(socket.object().clone())
            .with_detail(format!(
                "{} descriptors in one message; send at most {MAX_FDS} per message",
                fds.len()
            ))
            .with_limit(Limit::new("SCM_MAX_FD", LimitScope::Fixed).with_current(MAX_FDS as u64)));
    }
    let has_ancillary = !fds.is_empty() || credentials.is_some();
    if framing == Framing::Stream && data.is_empty() && has_ancillary {
        return Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
            .with_object(socket.object().clone())
            .with_detail(
                "descriptors and credentials ride on a data byte of a stream: send at least one",
            ));
    }
    if framing == Framing::Record && data.is_empty() {
        return Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
            .with_object(socket.object().clone())
            .with_detail(
                "an empty packet reads as end of input at the peer (and any descriptors it \
                 carried would be closed unseen): send at least one byte",
            ));
    }
    let mut control = Encoder::new();
    if let Some(credentials) = credentials {
        control.push(
            libc::SOL_SOCKET,
            libc::SCM_CREDENTIALS,
            &credentials.to_bytes(),
        );
    }
    if !fds.is_empty() {
        let numbers = control.push_with(
            libc::SOL_SOCKET,
            libc::SCM_RIGHTS,
            fds.len() * size_of::<RawFd>(),
        );
        for (slot, fd) in numbers.chunks_exact_mut(size_of::<RawFd>()).zip(fds) {
            slot.copy_from_slice(&fd.as_raw_fd().to_ne_bytes());
        }
    }
    let control = control.as_bytes();
    let sent = match to {
        None => socket.io(OPERATION, PollFlags::OUT, wait, |fd, dont_wait| {
            sys::sendmsg(fd, data, control, dont_wait)
        }),
        Some(to) => socket.send_to_io(OPERATION, wait, |fd, dont_wait| {
            sys::sendmsg_to(fd, data, control, Some(to), dont_wait)
        }),
    };
    sent.map_err(|err| {
        if framing.is_message() {
            socket.explain_size(err, data.len())
        } else {
            err
        }
    })
    .map_err(|err| match err.raw_os_error() {
        Some(code) if code == Errno::TOOMANYREFS.raw_os_error() => Error::from_errno_as(
            ErrorKind::LimitReached,
            OPERATION,
            socket.object().clone(),
            Errno::TOOMANYREFS,
        )
        .with_detail("more descriptors are in flight than the sender may have open")
        .with_limit(Limit::new("RLIMIT_NOFILE", LimitScope::PerProcess)),
        _ => err,
    })
}

/// Receives into `buf` with room for up to `max_fds` descriptors and the sender's
/// credentials, in the form `wait` asks for.
///
/// A message whose control data did not all arrive is an error, never a message: every
/// descriptor that did arrive is closed first. The kernel sets `MSG_CTRUNC` when the control
/// buffer had no room for everything, or when it could not install a descriptor
/// (`scm_detach_fds` in `net/core/scm.c` installs descriptors until the room or the first
/// failure runs out, then flags any not installed); the two are told apart by how many
/// arrived:
///
/// - fewer than `max_fds` while more were sent: the kernel could not install every
///   descriptor. `recvmsg` does not say why: most likely the receiver's `RLIMIT_NOFILE`, but
///   the system file table (`file-max`), a security module refusing one, or an
///   `SO_PASSSEC`/`SO_PASSPIDFD` message taking room in the buffer do the same.
///   `LimitReached`, naming `RLIMIT_NOFILE` as the likely knob, without an errno (none was
///   reported);
/// - `max_fds` or more: the sender sent more than `max_fds`: `MessageTooLarge`. (The
///   buffer's room for credentials can hold a few more descriptors when none come; those are
///   refused the same way, so `max_fds` is exact.)
///
/// Either way the data bytes were consumed: they are the first
/// [`Error::transferred`] bytes of `buf` (on a stream they cannot be read again, so the
/// caller takes them from there).
///
/// A datagram or packet longer than `buf` is `MessageTooLarge` too, naming its real length
/// (the receive passes `MSG_TRUNC`, as the plain receive does); it is consumed and discarded
/// with its descriptors.
///
/// A control buffer whose headers cannot be walked (which the kernel never writes) is
/// `Other`, with every descriptor found closed, and the bytes consumed as above.
///
/// # Errors
///
/// - `InvalidArgument` before any call: `max_fds` above [`MAX_FDS`], or on a stream an
///   empty `buf` (the descriptors would come with a byte it has no room for).
/// - `LimitReached`, `MessageTooLarge`, `Other` as above.
/// - as the socket's plain receive otherwise.
pub(crate) fn receive(
    socket: &Socket,
    framing: Framing,
    buf: &mut [u8],
    max_fds: usize,
    wait: Wait,
) -> Result<ReceivedMessage> {
    receive_with(socket, framing, buf, max_fds, false, wait).map(|(message, _)| message)
}

/// As [`receive`] on a datagram socket, with the sender's address (`None` when the sender
/// did not bind).
///
/// # Errors
///
/// As [`receive`].
pub(crate) fn receive_from(
    socket: &Socket,
    buf: &mut [u8],
    max_fds: usize,
    wait: Wait,
) -> Result<(ReceivedMessage, Option<UnixAddress>)> {
    receive_with(socket, Framing::Message, buf, max_fds, true, wait)
}

/// The one receive with control messages, asking for the sender's address when `want_from`.
fn receive_with(
    socket: &Socket,
    framing: Framing,
    buf: &mut [u8],
    max_fds: usize,
    want_from: bool,
    wait: Wait,
) -> Result<(ReceivedMessage, Option<UnixAddress>)> {
    const OPERATION: &str = "recvmsg";
    let refuse = |kind: ErrorKind, detail: String| {
        Error::new(kind, OPERATION)
            .with_object(socket.object().clone())
            .with_detail(detail)
    };
    if max_fds > MAX_FDS {
        return Err(refuse(
            ErrorKind::InvalidArgument,
            format!("max_fds is {max_fds}; no message carries more than {MAX_FDS}"),
        )
        .with_limit(Limit::new("SCM_MAX_FD", LimitScope::Fixed).with_current(MAX_FDS as u64)));
    }
    if framing == Framing::Stream && buf.is_empty() {
        return Err(refuse(
            ErrorKind::InvalidArgument,
            "descriptors come with a data byte of a stream: give room for at least one".into(),
        ));
    }
    // Room for credentials whether or not the caller wants them: with SO_PASSCRED on (which
    // only a getsockopt per call could tell, since anyone holding the descriptor may set it)
    // the kernel writes them first, and without room `put_cmsg` would write a cut header and
    // leave none for the descriptors. On the stack up to INLINE_FDS descriptors, so the room
    // costs nothing.
    let mut control =
        ControlBuffer::zeroed(cmsg::space(UCRED_LEN) + cmsg::space(max_fds * size_of::<RawFd>()));
    let capacity = buf.len();
    // Datagrams and packets are received with MSG_TRUNC so that `bytes` is the message's real
    // length; on a stream the flag would discard data instead.
    let real_length = framing.is_message();
    let (received, from) = socket.io(OPERATION, PollFlags::IN, wait, |fd, dont_wait| {
        if want_from {
            sys::recvmsg_from(fd, buf, control.as_mut_bytes(), dont_wait)
        } else {
            sys::recvmsg(fd, buf, control.as_mut_bytes(), real_length, dont_wait)
                .map(|received| (received, None))
        }
    })?;
    let bytes = received.bytes;
    // What is in `buf`: all of a stream's bytes; a message's, or as much as fitted.
    let stored = bytes.min(capacity);
    let consumed = || {
        format!(
            "{stored} data bytes were consumed and are the buffer's first {stored} bytes \
             (Error::transferred)"
        )
    };
    if received.malformed {
        return Err(refuse(
            ErrorKind::Other,
            format!(
                "the kernel wrote a control message whose length cannot be walked; every \
                 descriptor found before it was closed and {}",
                consumed()
            ),
        )
        .with_transferred(stored));
    }
    // The one walk of the control bytes (in sys, adopting the descriptors) noted where the
    // credentials lie.
    let credentials = received
        .credentials
        .clone()
        .and_then(|data| control.as_bytes().get(data))
        .and_then(Credentials::from_bytes);
    let arrived = received.fds.len();
    let control_cut = received.flags & libc::MSG_CTRUNC != 0;
    if control_cut || arrived > max_fds {
        drop(received.fds);
        let err = if control_cut && arrived < max_fds {
            // No errno says why an install failed: name the likely knob, not an errno.
            let limit = Limit::for_descriptors(Errno::MFILE)
                .unwrap_or_else(|| Limit::new("RLIMIT_NOFILE", LimitScope::PerProcess));
            refuse(
                ErrorKind::LimitReached,
                format!(
                    "the kernel could not install every descriptor sent, only {arrived} \
                     (RLIMIT_NOFILE, the system file table, a security module, or \
                     SO_PASSSEC/SO_PASSPIDFD taking room); those were closed and {}",
                    consumed()
                ),
            )
            .with_limit(limit)
        } else {
            refuse(
                ErrorKind::MessageTooLarge,
                format!(
                    "the message carried more than max_fds = {max_fds} descriptors; every one \
                     that arrived was closed and {}",
                    consumed()
                ),
            )
        };
        return Err(err.with_transferred(stored));
    }
    if framing.is_message() && (received.flags & libc::MSG_TRUNC != 0 || bytes > capacity) {
        drop(received.fds);
        return Err(refuse(
            ErrorKind::MessageTooLarge,
            format!(
                "a message of {bytes} bytes arrived for a buffer of {capacity} bytes; it was \
                 consumed and discarded with its descriptors, not truncated"
            ),
        ));
    }
    let message = ReceivedMessage {
        len: bytes,
        fds: received.fds,
        credentials,
    };
    Ok((message, from.and_then(UnixAddress::from_raw)))
}
