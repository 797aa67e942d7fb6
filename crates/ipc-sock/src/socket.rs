//! The private core every socket type of this crate is built on: one owned descriptor, the
//! object its errors name, and the one loop that turns a system call into its blocking,
//! `try_`, timeout and deadline forms.
//!
//! A public type (a Unix stream, datagram or seqpacket socket, a listener, a TCP stream or
//! listener) holds a [`Socket`] and delegates: it passes the operation's name, the `poll` events that
//! mean "ready", the [`Wait`], and a closure that makes one attempt of the call with or without
//! `MSG_DONTWAIT`. Nothing about waiting, `EINTR`, `EAGAIN` or error building is written twice.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use ipc_core::{Backoff, Deadline, Error, ErrorKind, Object, Result, Wait, wait_ready};
use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketType};

use crate::sys::socket as sys;

/// Whether the descriptor itself is blocking, which decides how an unbounded wait is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Descriptor {
    /// The blocking form is the call itself (one system call); the other forms pass
    /// `MSG_DONTWAIT` per call, so the descriptor stays blocking for anyone it is handed to.
    Blocking,
    /// `O_NONBLOCK` is set (a listener, whose `accept` has no per-call flag): every form makes
    /// the call and waits with `poll` on `EAGAIN`.
    NonBlocking,
}

/// An owned socket descriptor and the object its errors name.
#[derive(Debug)]
pub(crate) struct Socket {
    fd: OwnedFd,
    object: Object,
    descriptor: Descriptor,
}

impl Socket {
    /// Wraps `fd`, whose errors name `object` (an address, or the descriptor).
    pub(crate) fn new(fd: OwnedFd, object: Object, descriptor: Descriptor) -> Self {
        Self {
            fd,
            object,
            descriptor,
        }
    }

    /// A new close-on-exec socket of `domain` and `kind`, blocking, whose errors name `object`.
    pub(crate) fn open(
        domain: AddressFamily,
        kind: SocketType,
        operation: &'static str,
        object: Object,
    ) -> Result<Self> {
        let fd = sys::socket(domain, kind)
            .map_err(|errno| Error::from_errno(operation, object.clone(), errno))?;
        Ok(Self::new(fd, object, Descriptor::Blocking))
    }

    /// Takes `fd` after checking with `SO_DOMAIN` and `SO_TYPE` that it is a socket of
    /// `domain` and `kind`; `called` names what was expected (`"a Unix stream socket"`).
    pub(crate) fn checked(
        fd: OwnedFd,
        domain: AddressFamily,
        kind: SocketType,
        called: &'static str,
        operation: &'static str,
    ) -> Result<Self> {
        let object = Object::fd(fd.as_fd());
        let refuse = |errno: Errno| {
            let kind = match errno {
                Errno::NOTSOCK => ErrorKind::InvalidArgument,
                _ => ErrorKind::Other,
            };
            Error::from_errno_as(kind, operation, object.clone(), errno)
                .with_detail(format!("is not {called}"))
        };
        let found_domain = sys::domain(fd.as_fd()).map_err(refuse)?;
        let found_kind = sys::kind(fd.as_fd()).map_err(refuse)?;
        if found_domain != domain || found_kind != kind {
            return Err(Error::new(ErrorKind::InvalidArgument, operation)
                .with_object(object)
                .with_detail(format!(
                    "is a socket of domain {} and type {}, not {called}",
                    found_domain.as_raw(),
                    found_kind.as_raw()
                )));
        }
        let descriptor = match rustix::fs::fcntl_getfl(&fd) {
            Ok(flags) if flags.contains(rustix::fs::OFlags::NONBLOCK) => Descriptor::NonBlocking,
            Ok(_) => Descriptor::Blocking,
            Err(errno) => return Err(Error::from_errno(operation, object, errno)),
        };
        Ok(Self::new(fd, object, descriptor))
    }

    /// The descriptor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Gives up the descriptor.
    pub(crate) fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// The object errors name.
    pub(crate) fn object(&self) -> &Object {
        &self.object
    }

    /// Names `object` in this socket's errors from now on (once it has an address).
    pub(crate) fn set_object(&mut self, object: Object) {
        self.object = object;
    }

    /// Whether the descriptor is in blocking mode (as this handle knows it).
    pub(crate) fn descriptor(&self) -> Descriptor {
        self.descriptor
    }

    /// Sets or clears `O_NONBLOCK` on the descriptor.
    pub(crate) fn set_descriptor(
        &mut self,
        descriptor: Descriptor,
        operation: &'static str,
    ) -> Result<()> {
        sys::set_nonblocking(self.fd(), descriptor == Descriptor::NonBlocking)
            .map_err(|errno| self.error(operation, errno))?;
        self.descriptor = descriptor;
        Ok(())
    }

    /// The error of `operation` on this socket for `errno`.
    pub(crate) fn error(&self, operation: &'static str, errno: Errno) -> Error {
        socket_error(operation, self.object.clone(), errno)
    }

    /// Runs one call in the form `wait` asks for, and builds its error.
    ///
    /// `attempt(fd, dont_wait)` makes the call once; with `dont_wait` it must not block
    /// (`MSG_DONTWAIT`, or an `O_NONBLOCK` descriptor) and fails with `EAGAIN` instead.
    /// `events` are the `poll(2)` events that mean the call can proceed (`POLLIN` to receive
    /// or accept, `POLLOUT` to send).
    ///
    /// - [`Wait::Forever`] on a blocking descriptor: the call itself, blocking, retried on
    ///   `EINTR` (one system call in the common case).
    /// - [`Wait::Forever`] on a non-blocking one, and [`Wait::Until`]: the call without waiting,
    ///   then on `EAGAIN` a `poll` for `events` with the time that is left, and again. The call
    ///   comes first, so a ready socket costs one system call, and it is made again after every
    ///   wake-up, because another process may have taken what `poll` saw (a pending connection,
    ///   the data) in between.
    /// - [`Wait::NonBlocking`]: the call without waiting, once (`WouldBlock`).
    ///
    /// `poll` and the call can disagree: a Unix datagram socket shut down for reading is
    /// readable to `poll`, yet a `MSG_DONTWAIT` receive fails with `EAGAIN` (only a blocking
    /// one returns `0`). So after a wake-up whose call still would block, the loop pauses
    /// ([`Backoff`], from [`SPURIOUS_FIRST`] doubling to [`SPURIOUS_LONGEST`], never past the
    /// deadline) before it polls again: such a state costs a few wake-ups, not a busy spin
    /// until the deadline, and a bounded form then ends `TimedOut`, as nothing arrived. The
    /// cost is that a wake-up lost to another process (which took the data or the connection
    /// first) is followed by a pause. A wake-up whose call succeeds stays one `poll` and one
    /// call.
    ///
    /// # Errors
    ///
    /// The error of the call through [`socket_error`]; `WouldBlock` for a `try_` form that
    /// could not proceed; `TimedOut` when the deadline passed first.
    pub(crate) fn io<T>(
        &self,
        operation: &'static str,
        events: PollFlags,
        wait: Wait,
        mut attempt: impl FnMut(BorrowedFd<'_>, bool) -> rustix::io::Result<T>,
    ) -> Result<T> {
        let fd = self.fd();
        let result = match (wait, self.descriptor) {
            (Wait::Forever, Descriptor::Blocking) => wait.retry(|_| attempt(fd, false)),
            (Wait::NonBlocking, _) => wait.retry(|_| attempt(fd, true)),
            (Wait::Until(deadline), _) => wait_then_attempt(fd, events, wait, deadline, attempt),
            (Wait::Forever, Descriptor::NonBlocking) => {
                let never = Deadline::after(Duration::MAX);
                wait_then_attempt(fd, events, wait, never, attempt)
            }
        };
        result.map_err(|errno| self.error(operation, errno))
    }

    /// Sends bytes from `buf` once (`MSG_NOSIGNAL`); returns how many went.
    pub(crate) fn send(&self, operation: &'static str, buf: &[u8], wait: Wait) -> Result<usize> {
        self.io(operation, PollFlags::OUT, wait, |fd, dont_wait| {
            sys::send(fd, buf, dont_wait)
        })
    }

    /// Sends all of `buf` on a stream, one `send` after another, each waiting as `wait`
    /// allows (a deadline bounds them all).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); an error after some bytes went says how many
    /// ([`Error::transferred`]), and those bytes stay sent.
    pub(crate) fn send_all(&self, operation: &'static str, buf: &[u8], wait: Wait) -> Result<()> {
        let mut sent = 0;
        while sent < buf.len() {
            match self.send(operation, &buf[sent..], wait) {
                Ok(n) => sent += n,
                Err(err) if sent == 0 => return Err(err),
                Err(err) => {
                    return Err(err.with_transferred(sent).with_detail(format!(
                        "{sent} of {} bytes were sent before this error",
                        buf.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Receives into `buf` once; `0` means end of input on a stream, or an empty `buf`, for
    /// which no call is made (on a stream it would wait for data it cannot take).
    pub(crate) fn receive(
        &self,
        operation: &'static str,
        buf: &mut [u8],
        wait: Wait,
    ) -> Result<usize> {
        // A stream recv(2) into no room waits for data that it then cannot take.
        if buf.is_empty() {
            return Ok(0);
        }
        self.io(operation, PollFlags::IN, wait, |fd, dont_wait| {
            sys::recv(fd, buf, dont_wait)
        })
    }

    /// Fills `buf` from a stream, one `recv` after another.
    ///
    /// # Errors
    ///
    /// As [`receive`](Self::receive); [`ErrorKind::UnexpectedEof`] when the peer closed first.
    /// An error after some bytes arrived says how many ([`Error::transferred`]); they are
    /// in `buf`.
    pub(crate) fn receive_exact(
        &self,
        operation: &'static str,
        buf: &mut [u8],
        wait: Wait,
    ) -> Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.receive(operation, &mut buf[filled..], wait) {
                Ok(0) => {
                    return Err(Error::new(ErrorKind::UnexpectedEof, operation)
                        .with_object(self.object.clone())
                        .with_transferred(filled)
                        .with_detail(format!(
                            "the peer closed after {filled} of {} bytes",
                            buf.len()
                        )));
                }
                Ok(n) => filled += n,
                Err(err) if filled == 0 => return Err(err),
                Err(err) => {
                    return Err(err.with_transferred(filled).with_detail(format!(
                        "{filled} of {} bytes arrived before this error",
                        buf.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Shuts down one or both directions.
    pub(crate) fn shutdown(&self, operation: &'static str, how: std::net::Shutdown) -> Result<()> {
        let how = match how {
            std::net::Shutdown::Read => rustix::net::Shutdown::Read,
            std::net::Shutdown::Write => rustix::net::Shutdown::Write,
            std::net::Shutdown::Both => rustix::net::Shutdown::Both,
        };
        sys::shutdown(self.fd(), how).map_err(|errno| self.error(operation, errno))
    }
}

/// The first pause after a wake-up whose call still would block ([`Socket::io`]).
const SPURIOUS_FIRST: Duration = Duration::from_micros(50);

/// The longest pause between such wake-ups: how late a state in which `poll` and the call
/// disagree notices a change.
const SPURIOUS_LONGEST: Duration = Duration::from_millis(1);

/// The waiting loop of [`Socket::io`]: the call without waiting, then on `EAGAIN` a `poll`
/// for `events` as `wait` allows, and again; a wake-up whose call still gets `EAGAIN` is
/// followed by a growing pause, ending at `deadline` with `ETIMEDOUT`.
fn wait_then_attempt<T>(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    wait: Wait,
    deadline: Deadline,
    mut attempt: impl FnMut(BorrowedFd<'_>, bool) -> rustix::io::Result<T>,
) -> rustix::io::Result<T> {
    let mut woken = false;
    let mut backoff = Backoff::new(SPURIOUS_FIRST, SPURIOUS_LONGEST, deadline);
    loop {
        match attempt(fd, true) {
            Err(Errno::AGAIN) => {
                // poll said ready, yet the call would block: pause before polling again.
                if woken && !backoff.pause() {
                    return Err(Errno::TIMEDOUT);
                }
                wait_ready(fd, events, wait)?;
                woken = true;
            }
            Err(Errno::INTR) => {}
            done => return done,
        }
    }
}

/// The error of a socket call: [`Error::from_errno`]'s table, with what sockets add.
///
/// | errno | kind | why |
/// |---|---|---|
/// | `ECONNREFUSED` | `PeerGone` | nobody listens at the address (a socket file whose listener is gone), as `ENXIO` is for a FIFO without reader |
/// | `EADDRINUSE` | `AlreadyExists` | the address is bound already |
/// | `EPIPE`, `ECONNRESET`, `ENOTCONN` | `PeerGone` | from the default table: the peer closed or was never there |
pub(crate) fn socket_error(operation: &'static str, object: Object, errno: Errno) -> Error {
    match errno {
        Errno::CONNREFUSED => Error::from_errno_as(ErrorKind::PeerGone, operation, object, errno)
            .with_detail("nothing listens at this address"),
        Errno::ADDRINUSE => {
            Error::from_errno_as(ErrorKind::AlreadyExists, operation, object, errno)
        }
        _ => Error::from_errno(operation, object, errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn pair() -> (Socket, Socket) {
        let (a, b) = sys::socketpair(AddressFamily::UNIX, SocketType::STREAM).unwrap();
        (
            Socket::new(a, Object::Name("a".into()), Descriptor::Blocking),
            Socket::new(b, Object::Name("b".into()), Descriptor::Blocking),
        )
    }

    #[test]
    fn every_form_receives_what_is_there() {
        let (a, b) = pair();
        let mut buf = [0; 8];
        for wait in [
            Wait::Forever,
            Wait::NonBlocking,
            Wait::timeout(Duration::from_secs(5)),
        ] {
            a.send_all("send", b"abc", wait).unwrap();
            b.receive_exact("recv", &mut buf[..3], wait).unwrap();
            assert_eq!(&buf[..3], b"abc");
        }
    }

    #[test]
    fn an_empty_socket_would_block_or_times_out_after_at_least_the_timeout() {
        let (_a, b) = pair();
        let mut buf = [0; 8];
        let err = b.receive("recv", &mut buf, Wait::NonBlocking).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(err.to_string(), "recv b: would block (EAGAIN)");
        let start = Instant::now();
        let timeout = Duration::from_millis(50);
        let err = b
            .receive("recv", &mut buf, Wait::timeout(timeout))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert!(start.elapsed() >= timeout);
    }

    /// The CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`).
    fn thread_cpu_time() -> Duration {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(
            u64::try_from(now.tv_sec).unwrap(),
            u32::try_from(now.tv_nsec).unwrap(),
        )
    }

    /// A datagram socket shut down for reading is readable to poll(2) while a MSG_DONTWAIT
    /// recv still fails with EAGAIN (only a blocking one returns 0). Nothing arrived, so the
    /// bounded receive ends `TimedOut`; and it waits with pauses, not a busy spin, so the
    /// thread's CPU time stays a fraction of the time waited (a spin detector: a spinning
    /// loop uses about all of it, whatever the machine's speed).
    #[test]
    fn a_receive_that_poll_and_the_call_disagree_on_times_out_without_spinning() {
        let (a, _b) = sys::socketpair(AddressFamily::UNIX, SocketType::DGRAM).unwrap();
        let sut = Socket::new(a, Object::Name("a".into()), Descriptor::Blocking);
        sut.shutdown("shutdown", std::net::Shutdown::Read).unwrap();
        let ready = wait_ready(sut.fd(), PollFlags::IN, Wait::NonBlocking).unwrap();
        assert!(ready.contains(PollFlags::IN), "poll reports readable");
        let mut buf = [0; 8];
        let err = sut
            .receive("recv", &mut buf, Wait::NonBlocking)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::WouldBlock,
            "yet the call would block"
        );

        // On a thread of its own, so that a loop that never ends fails the test instead of
        // hanging it.
        let timeout = Duration::from_millis(100);
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let cpu_before = thread_cpu_time();
            let start = Instant::now();
            let got = sut.receive("recv", &mut buf, Wait::timeout(timeout));
            let waited = start.elapsed();
            let _ = done.send((
                got.map_err(|err| err.kind()),
                waited,
                thread_cpu_time() - cpu_before,
            ));
        });
        let (got, waited, cpu) = result
            .recv_timeout(Duration::from_secs(30))
            .expect("the bounded receive never returned");
        assert_eq!(got, Err(ErrorKind::TimedOut));
        assert!(waited >= timeout);
        assert!(
            cpu < waited / 2,
            "used {cpu:?} of CPU in {waited:?}: the wait spins"
        );
    }

    #[test]
    fn a_closed_peer_is_end_of_input_then_peer_gone_on_send() {
        let (a, b) = pair();
        drop(b);
        let mut buf = [0; 8];
        assert_eq!(a.receive("recv", &mut buf, Wait::Forever).unwrap(), 0);
        let err = a.send("send", b"x", Wait::Forever).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PeerGone);
        let err = a
            .receive_exact("recv", &mut buf, Wait::Forever)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_descriptor_of_another_kind_is_refused() {
        let (fd, _other) = sys::socketpair(AddressFamily::UNIX, SocketType::DGRAM).unwrap();
        let err = Socket::checked(
            fd,
            AddressFamily::UNIX,
            SocketType::STREAM,
            "a Unix stream socket",
            "from_fd",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        let (reader, _writer) = std::io::pipe().unwrap();
        let err = Socket::checked(
            reader.into(),
            AddressFamily::UNIX,
            SocketType::STREAM,
            "a Unix stream socket",
            "from_fd",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.to_string().ends_with("is not a Unix stream socket"),
            "{err}"
        );
    }

    #[test]
    fn refused_and_in_use_addresses_have_socket_kinds() {
        let object = || Object::Name("s".into());
        assert_eq!(
            socket_error("connect", object(), Errno::CONNREFUSED).kind(),
            ErrorKind::PeerGone
        );
        assert_eq!(
            socket_error("bind", object(), Errno::ADDRINUSE).kind(),
            ErrorKind::AlreadyExists
        );
    }
}
