//! Whole messages through the private [`Socket`] core, for datagram and seqpacket sockets: a
//! message larger than the buffer is refused as `MessageTooLarge`, never truncated, and a
//! send the socket cannot carry in one piece is `MessageTooLarge` too.
//!
//! These are more methods of [`Socket`], in their own file; the waiting is still
//! [`Socket::io`]'s, except for [`Socket::send_message_to`]'s bounded forms (see there).

use std::os::fd::BorrowedFd;
use std::time::Duration;

use ipc_core::{Backoff, Deadline, Error, ErrorKind, Result, Wait};
use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::SocketAddrUnix;

use crate::address::UnixAddress;
use crate::socket::{Descriptor, Socket};
use crate::sys::message as sys;
use crate::sys::socket::send;

/// The first and longest pause between attempts of a bounded `send_to` (see
/// [`Socket::send_message_to`]).
const SEND_TO_PAUSES: (Duration, Duration) = (Duration::from_micros(50), Duration::from_millis(5));

impl Socket {
    /// Sends `buf` as one message to the connected peer.
    ///
    /// # Errors
    ///
    /// As [`Socket::io`]; `MessageTooLarge` (`EMSGSIZE`) when the socket cannot carry a message
    /// this large, with the send buffer's size in the detail.
    pub(crate) fn send_message(
        &self,
        operation: &'static str,
        buf: &[u8],
        wait: Wait,
    ) -> Result<()> {
        let sent = self
            .io(operation, PollFlags::OUT, wait, |fd, dont_wait| {
                send(fd, buf, dont_wait)
            })
            .map_err(|err| self.explain_size(err, buf.len()))?;
        debug_assert_eq!(sent, buf.len(), "a message socket sends whole messages");
        Ok(())
    }

    /// Sends `buf` as one message to `to` (an unconnected datagram socket), waiting as
    /// [`send_to_io`](Self::send_to_io) does.
    ///
    /// # Errors
    ///
    /// As [`send_message`](Self::send_message).
    pub(crate) fn send_message_to(
        &self,
        operation: &'static str,
        buf: &[u8],
        to: &SocketAddrUnix,
        wait: Wait,
    ) -> Result<()> {
        let sent = self
            .send_to_io(operation, wait, |fd, dont_wait| {
                sys::send_to(fd, buf, to, dont_wait)
            })
            .map_err(|err| self.explain_size(err, buf.len()))?;
        debug_assert_eq!(sent, buf.len(), "a datagram socket sends whole messages");
        Ok(())
    }

    /// Runs one send to an address (`sendto`, or a `sendmsg` with `msg_name`) in the form
    /// `wait` asks for, and builds its error; `attempt(fd, dont_wait)` makes the call once.
    ///
    /// The blocking form is one blocking call, which the kernel wakes when the receiver's
    /// queue has room. The bounded forms cannot wait with `poll(2)`: on an unconnected socket
    /// `POLLOUT` reports only this socket's own send buffer, not the receiver's queue (which
    /// is per receiver, `/proc/sys/net/unix/max_dgram_qlen`), so a full receiver would make
    /// `poll` return at once, again and again. They try again after pauses growing from
    /// 50 µs to 5 ms instead ([`send_to_until`]), and so notice room up to 5 ms late.
    ///
    /// # Errors
    ///
    /// As [`Socket::io`].
    pub(crate) fn send_to_io(
        &self,
        operation: &'static str,
        wait: Wait,
        mut attempt: impl FnMut(BorrowedFd<'_>, bool) -> rustix::io::Result<usize>,
    ) -> Result<usize> {
        let fd = self.fd();
        let result = match wait {
            // A descriptor in non-blocking mode (adopted so by from_fd) cannot block in the
            // call: wait as the bounded forms do, without a bound.
            Wait::Forever if self.descriptor() == Descriptor::NonBlocking => {
                send_to_until(Deadline::after(Duration::MAX), || attempt(fd, true))
            }
            Wait::Forever | Wait::NonBlocking => {
                wait.retry(|_| attempt(fd, wait == Wait::NonBlocking))
            }
            Wait::Until(deadline) => send_to_until(deadline, || attempt(fd, true)),
        };
        result.map_err(|errno| self.error(operation, errno))
    }

    /// Receives one message into `buf`: its length.
    ///
    /// # Errors
    ///
    /// As [`Socket::io`]; `MessageTooLarge` when the message was longer than `buf`: it is
    /// consumed all the same (the kernel discards the rest), and the error names both sizes.
    ///
    /// Descriptors the message carried (sent with `send_with_fds`) are closed by the kernel,
    /// unseen: a plain receive is one `recv(2)`, which has no room for them, and noticing
    /// would take a `recvmsg` with a control buffer on every call (measured: up to a third
    /// slower on small messages). Messages that may carry descriptors are received with
    /// `receive_with_fds`, which reports any it could not take.
    pub(crate) fn receive_message(
        &self,
        operation: &'static str,
        buf: &mut [u8],
        wait: Wait,
    ) -> Result<usize> {
        let capacity = buf.len();
        let length = self.io(operation, PollFlags::IN, wait, |fd, dont_wait| {
            sys::recv_message(fd, buf, false, dont_wait)
        })?;
        self.fits(operation, length, capacity)
    }

    /// Receives one message into `buf`: its length and the sender's address (`None` for a
    /// sender that did not bind).
    ///
    /// # Errors
    ///
    /// As [`receive_message`](Self::receive_message).
    pub(crate) fn receive_message_from(
        &self,
        operation: &'static str,
        buf: &mut [u8],
        wait: Wait,
    ) -> Result<(usize, Option<UnixAddress>)> {
        let capacity = buf.len();
        let (length, from) = self.io(operation, PollFlags::IN, wait, |fd, dont_wait| {
            sys::recv_message_from(fd, buf, dont_wait)
        })?;
        let length = self.fits(operation, length, capacity)?;
        Ok((length, from.and_then(UnixAddress::from_raw)))
    }

    /// The length of the next message, waiting for one, without consuming it
    /// (`MSG_PEEK | MSG_TRUNC` into no buffer).
    ///
    /// # Errors
    ///
    /// As [`Socket::io`].
    pub(crate) fn peek_message_size(&self, operation: &'static str, wait: Wait) -> Result<usize> {
        self.io(operation, PollFlags::IN, wait, |fd, dont_wait| {
            sys::recv_message(fd, &mut [], true, dont_wait)
        })
    }

    /// `length` if it fits a buffer of `capacity` bytes; else the `MessageTooLarge` error.
    fn fits(&self, operation: &'static str, length: usize, capacity: usize) -> Result<usize> {
        if length <= capacity {
            return Ok(length);
        }
        Err(Error::new(ErrorKind::MessageTooLarge, operation)
            .with_object(self.object().clone())
            .with_detail(format!(
                "a message of {length} bytes arrived for a buffer of {capacity} bytes; it was \
                 consumed and discarded, not truncated"
            )))
    }

    /// Adds the sizes to a `MessageTooLarge` (`EMSGSIZE`) send error.
    pub(crate) fn explain_size(&self, err: Error, length: usize) -> Error {
        if err.kind() != ErrorKind::MessageTooLarge {
            return err;
        }
        let detail = match sys::send_buffer_size(self.fd()) {
            Ok(size) => format!(
                "a message of {length} bytes is more than this socket can send in one piece \
                 (its send buffer, SO_SNDBUF, is {size} bytes)"
            ),
            Err(_) => format!("a message of {length} bytes is more than this socket can send"),
        };
        err.with_detail(detail)
    }
}

/// Attempts `attempt` (which must not block) until it does not fail with `EAGAIN` or the
/// deadline passes (`ETIMEDOUT`), pausing in between; `EINTR` is tried again at once.
pub(crate) fn send_to_until(
    deadline: Deadline,
    mut attempt: impl FnMut() -> rustix::io::Result<usize>,
) -> rustix::io::Result<usize> {
    let (first, longest) = SEND_TO_PAUSES;
    let mut backoff = Backoff::new(first, longest, deadline);
    loop {
        match attempt() {
            Err(Errno::AGAIN) => {
                if !backoff.pause() {
                    return Err(Errno::TIMEDOUT);
                }
            }
            Err(Errno::INTR) => {}
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipc_core::Object;
    use rustix::net::{AddressFamily, SocketType};

    fn pair(kind: SocketType) -> (Socket, Socket) {
        let (a, b) = crate::sys::socket::socketpair(AddressFamily::UNIX, kind).unwrap();
        (
            Socket::new(a, Object::Name("a".into()), Descriptor::Blocking),
            Socket::new(b, Object::Name("b".into()), Descriptor::Blocking),
        )
    }

    #[test]
    fn a_message_larger_than_the_buffer_is_too_large_and_consumed() {
        for kind in [SocketType::DGRAM, SocketType::SEQPACKET] {
            let (a, b) = pair(kind);
            a.send_message("send", b"0123456789", Wait::Forever)
                .unwrap();
            a.send_message("send", b"ok", Wait::Forever).unwrap();
            assert_eq!(b.peek_message_size("recv", Wait::Forever).unwrap(), 10);
            let mut buf = [0; 4];
            let err = b
                .receive_message("recv", &mut buf, Wait::Forever)
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
            assert_eq!(
                err.detail(),
                Some(
                    "a message of 10 bytes arrived for a buffer of 4 bytes; it was consumed \
                     and discarded, not truncated"
                )
            );
            assert_eq!(
                b.receive_message("recv", &mut buf, Wait::Forever).unwrap(),
                2
            );
            assert_eq!(&buf[..2], b"ok");
        }
    }

    /// Counts this process's open descriptors.
    fn open_descriptors() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    #[test]
    fn a_plain_receive_takes_the_data_of_a_message_that_carried_descriptors_and_leaks_none() {
        use std::os::fd::AsFd;
        let (a, b) = crate::Seqpacket::pair().unwrap();
        let (c, d) = crate::UnixDatagram::pair().unwrap();
        let files: Vec<_> = (0..3)
            .map(|_| std::fs::File::open("/dev/null").unwrap())
            .collect();
        let borrowed: Vec<_> = files.iter().map(AsFd::as_fd).collect();
        a.send_with_fds(b"with fds", &borrowed).unwrap();
        c.send_with_fds(b"with fds", &borrowed).unwrap();
        drop(files);
        let mut buf = [0; 16];
        // Other tests open and close descriptors in parallel threads: the count is compared
        // with slack, and what matters is that three per receive do not stay.
        let before = open_descriptors();
        let n = b.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"with fds");
        let n = d.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"with fds");
        assert!(open_descriptors() < before + 6);
    }

    #[test]
    fn a_bounded_send_to_gives_up_after_at_least_its_timeout() {
        let mut attempts = 0;
        let timeout = Duration::from_millis(20);
        let start = std::time::Instant::now();
        let result = send_to_until(Deadline::after(timeout), || {
            attempts += 1;
            Err(Errno::AGAIN)
        });
        assert_eq!(result, Err(Errno::TIMEDOUT));
        assert!(start.elapsed() >= timeout);
        assert!(attempts > 1);
    }
}
