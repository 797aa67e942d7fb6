//! Sockets (`ipc-sock`, issue 5): one connection per case, between the parent and the peer,
//! over a Unix stream, a Unix datagram pair, a seqpacket connection, or TCP on the loopback
//! interface. Descriptor passing is its own case ([`super::sock_fd`]).
//!
//! - API: the `ipc_sock` handle's blocking calls: `UnixStream`/`TcpStream::send_all` and
//!   `receive_exact`; `UnixDatagram`/`Seqpacket::send` and `receive` (one message each, whose
//!   length is checked).
//! - Raw: `send(fd, …, MSG_NOSIGNAL)` and `recv(fd, …, 0)` on the same descriptor, looping
//!   on a stream; one call per message otherwise. The flag is the API's guarantee and costs
//!   nothing, so the ratio measures the API's own code. The descriptor is the one the API
//!   connected: setup (`socket`, `bind`, `connect`, `accept`) is not timed, and a second,
//!   raw-made connection would only differ in who called `socket(2)`.
//!
//! Both sides block in the kernel (no `MSG_DONTWAIT`, no `poll`); the API's blocking forms are
//! one system call each on its blocking descriptors.
//!
//! Decisions:
//!
//! - Addresses: the Unix sockets are bound in a fresh temporary directory whose name starts
//!   with the test prefix (`ipc-rs-test-bench-`), so the leftover check recognises it. The
//!   parent removes the directory as soon as the connection stands (a connected socket needs
//!   no path) and, through the connect closure's drop, when connecting fails. TCP listens on
//!   `127.0.0.1`, port chosen by the kernel.
//! - Connecting: stream, seqpacket and TCP listen in the parent and `accept` with
//!   [`CONNECT_LIMIT`] (a peer that dies before connecting turns into a timeout). The
//!   datagram peer binds its own path, connects to the parent's and sends a greeting; the
//!   parent learns from it that the peer's path exists and connects back, so each side
//!   receives only from the other. The parent waits for the greeting with a blocking
//!   receive, bounded by the watchdog as every round is (see the last point).
//! - 64 KiB messages: a Unix datagram or seqpacket message must fit the sender's send buffer
//!   in one piece (`SO_SNDBUF`, `net.core.wmem_default` = 212992 bytes on a default Linux,
//!   minus a few bytes of overhead), so 65536 fits with room to spare; a smaller buffer makes
//!   the send fail with `MessageTooLarge` naming `SO_SNDBUF` rather than truncate (tested
//!   below).
//! - Streaming messages: the sender blocks while the messages the receiver has not read yet
//!   fill the sender's send buffer, as a pipe's writer blocks on a full pipe; that is the flow
//!   control streaming measures. For the datagram pair this is the only limit:
//!   `net.unix.max_dgram_qlen` (10) bounds a receiver's queue only for senders it is not
//!   connected back to (`unix_dgram_sendmsg` tests `unix_peer(other) != sk`), and here each
//!   socket is connected to the other. A seqpacket connection is bounded the same way.
//! - TCP: `TCP_NODELAY` on both ends, so small messages are not held back by Nagle's
//!   algorithm; the raw side uses the same descriptor, and so the same setting.
//! - A dead peer: a stream's or seqpacket's peer that dies is end of input or `EPIPE` at once.
//!   A connected datagram socket sees no end of input, so the watchdog's unstick shuts the
//!   parent's socket down (through a duplicate descriptor), which returns a blocked receive
//!   with zero bytes, a length every round rejects; a blocked send is woken by the peer's
//!   death and fails with `ECONNREFUSED`.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use ipc_sock::{
    Seqpacket, SeqpacketListener, TcpListener, TcpStream, UnixAddress, UnixDatagram, UnixListener,
    UnixStream,
};
use tempfile::TempDir;

use super::sock_link::{Handle, SockLink};
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};
use crate::plan::CONNECT_LIMIT;
use crate::sys;

/// The prefix of every path the socket cases make, so the leftover check recognises them.
pub(crate) const PREFIX: &str = "ipc-rs-test-bench-";

/// What the datagram peer sends first, so the parent knows its path is bound.
const HELLO: &[u8] = b"hello";

/// The connection a [`Sock`] case measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Stream,
    Datagram,
    Seqpacket,
    Tcp,
}

/// The `sock-*` cases, one per transport.
pub(crate) struct Sock {
    id: &'static str,
    describe: &'static str,
    transport: Transport,
}

impl Sock {
    /// `sock-stream`: a Unix stream connection through a listener at a path.
    pub(crate) const STREAM: Self = Self {
        id: "sock-stream",
        describe: "a Unix stream connection (UnixListener at a path); API = UnixStream \
                   send_all/receive_exact, raw = send(MSG_NOSIGNAL)/recv loops",
        transport: Transport::Stream,
    };

    /// `sock-dgram`: two Unix datagram sockets bound at paths and connected to each other.
    pub(crate) const DATAGRAM: Self = Self {
        id: "sock-dgram",
        describe: "two Unix datagram sockets bound at paths, connected to each other; API = \
                   UnixDatagram send/receive, raw = one send(MSG_NOSIGNAL)/recv per message",
        transport: Transport::Datagram,
    };

    /// `sock-seqpacket`: a `SOCK_SEQPACKET` connection through a listener at a path.
    pub(crate) const SEQPACKET: Self = Self {
        id: "sock-seqpacket",
        describe: "a Unix seqpacket connection (SeqpacketListener at a path); API = Seqpacket \
                   send/receive, raw = one send(MSG_NOSIGNAL)/recv per message",
        transport: Transport::Seqpacket,
    };

    /// `sock-tcp`: TCP over the loopback interface, `TCP_NODELAY` on both ends.
    pub(crate) const TCP: Self = Self {
        id: "sock-tcp",
        describe: "TCP on 127.0.0.1, TCP_NODELAY on both ends; API = TcpStream \
                   send_all/receive_exact, raw = send(MSG_NOSIGNAL)/recv loops",
        transport: Transport::Tcp,
    };
}

impl Case for Sock {
    fn id(&self) -> &'static str {
        self.id
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn reference(&self) -> Option<Reference> {
        Some(match self.transport {
            Transport::Tcp => Reference {
                name: "TCP Sockets",
                msgs_per_s: 22_000.0,
                latency_us: 44.4,
            },
            _ => Reference {
                name: "Unix Sockets",
                msgs_per_s: 41_000.0,
                latency_us: 24.5,
            },
        })
    }

    fn prepare(&self) -> Result<Prepared> {
        match self.transport {
            Transport::Stream => {
                prepare_listener("stream", UnixListener::bind, |listener: &UnixListener| {
                    listener.accept_timeout(CONNECT_LIMIT)
                })
            }
            Transport::Seqpacket => prepare_listener(
                "seqpacket",
                SeqpacketListener::bind,
                |listener: &SeqpacketListener| listener.accept_timeout(CONNECT_LIMIT),
            ),
            Transport::Datagram => prepare_datagram(),
            Transport::Tcp => prepare_tcp(),
        }
    }

    fn join(&self, args: &[OsString], _fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        match (self.transport, args) {
            (Transport::Stream, [path]) => {
                let stream = UnixStream::connect(&address(Path::new(path))?)
                    .with_context(|| format!("connect to {}", path.display()))?;
                Ok(Box::new(SockLink::new(stream)))
            }
            (Transport::Seqpacket, [path]) => {
                let seqpacket = Seqpacket::connect(&address(Path::new(path))?)
                    .with_context(|| format!("connect to {}", path.display()))?;
                Ok(Box::new(SockLink::new(seqpacket)))
            }
            (Transport::Datagram, [parent, peer]) => join_datagram(parent, peer),
            (Transport::Tcp, [address]) => join_tcp(address),
            _ => Err(Error::msg(format!(
                "the {} peer got {} arguments",
                self.id,
                args.len()
            ))),
        }
    }
}

/// A fresh directory for socket files, named with the bench's prefix.
pub(crate) fn temp_dir() -> Result<TempDir> {
    tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir()
        .context("create the socket directory")
}

/// The socket address of `path`.
pub(crate) fn address(path: &Path) -> Result<UnixAddress> {
    UnixAddress::path(path).with_context(|| format!("the socket path {}", path.display()))
}

/// Binds a listener of `kind` in a fresh directory; connecting accepts the peer, then removes
/// the listener's files and the directory. The peer gets the path.
pub(crate) fn prepare_listener<L, H>(
    kind: &str,
    bind: fn(&UnixAddress) -> ipc_core::Result<L>,
    accept: fn(&L) -> ipc_core::Result<H>,
) -> Result<Prepared>
where
    L: 'static,
    H: Handle + 'static,
    SockLink<H>: AnyLink,
{
    let (dir, path) = socket_path(kind)?;
    let listener = bind(&address(&path)?).with_context(|| format!("bind {}", path.display()))?;
    let args = vec![path.clone().into()];
    let connect = move || -> Result<Box<dyn AnyLink>> {
        let handle = accept(&listener).with_context(|| format!("accept on {}", path.display()))?;
        // Connected: the listener (which removes its socket and lock files) and the directory
        // can go.
        drop(listener);
        dir.close().context("remove the socket directory")?;
        Ok(Box::new(SockLink::new(handle)))
    };
    Ok(Prepared {
        give: Vec::new(),
        args,
        connect: Box::new(connect),
        unstick: None,
    })
}

/// A fresh directory and the path of a socket called `kind` in it.
pub(crate) fn socket_path(kind: &str) -> Result<(TempDir, PathBuf)> {
    let dir = temp_dir()?;
    let path = dir.path().join(format!("{PREFIX}{kind}"));
    Ok((dir, path))
}

/// Binds the parent's datagram socket; connecting waits for the peer's greeting, then connects
/// to the peer's path and removes the directory.
fn prepare_datagram() -> Result<Prepared> {
    let (dir, parent_path) = socket_path("dgram-parent")?;
    let peer_path = dir.path().join(format!("{PREFIX}dgram-peer"));
    let mut parent = UnixDatagram::bind(&address(&parent_path)?)
        .with_context(|| format!("bind {}", parent_path.display()))?;
    let unstick = parent
        .as_fd()
        .try_clone_to_owned()
        .context("duplicate the datagram socket for the watchdog")?;
    let args = vec![parent_path.into(), peer_path.clone().into()];
    let connect = move || -> Result<Box<dyn AnyLink>> {
        let mut hello = [0; HELLO.len()];
        // Blocking: the watchdog bounds it. A bounded receive would spin once the watchdog
        // shuts the socket down, since a shut-down datagram socket polls readable but a
        // non-blocking receive on it is still `EAGAIN`; the blocking one returns 0 bytes.
        let len = parent
            .receive(&mut hello)
            .context("receive the peer's greeting")?;
        if hello.get(..len) != Some(HELLO) {
            return Err(Error::msg("the datagram peer's greeting is wrong"));
        }
        parent
            .connect(&address(&peer_path)?)
            .with_context(|| format!("connect to {}", peer_path.display()))?;
        dir.close().context("remove the socket directory")?;
        Ok(Box::new(SockLink::new(parent)))
    };
    Ok(Prepared {
        give: Vec::new(),
        args,
        connect: Box::new(connect),
        unstick: Some(Box::new(move || {
            let _ = sys::shutdown(unstick.as_fd());
        })),
    })
}

/// Binds the peer's datagram socket at `peer`, connects it to `parent`, and greets.
fn join_datagram(parent: &OsString, peer: &OsString) -> Result<Box<dyn AnyLink>> {
    let parent = address(Path::new(parent))?;
    let mut socket = UnixDatagram::bind(&address(Path::new(peer))?)
        .with_context(|| format!("bind {}", Path::new(peer).display()))?;
    socket
        .connect(&parent)
        .with_context(|| format!("connect to {parent}"))?;
    socket.send(HELLO).context("greet the parent")?;
    Ok(Box::new(SockLink::new(socket)))
}

/// Listens on the loopback interface; connecting accepts and sets `TCP_NODELAY`.
fn prepare_tcp() -> Result<Prepared> {
    let listener = TcpListener::bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .context("listen on 127.0.0.1")?;
    let args = vec![listener.local_address().to_string().into()];
    let connect = move || -> Result<Box<dyn AnyLink>> {
        let stream = listener
            .accept_timeout(CONNECT_LIMIT)
            .context("accept on 127.0.0.1")?;
        stream.set_nodelay(true).context("set TCP_NODELAY")?;
        Ok(Box::new(SockLink::new(stream)))
    };
    Ok(Prepared {
        give: Vec::new(),
        args,
        connect: Box::new(connect),
        unstick: None,
    })
}

/// Connects to the parent's listener at `address` and sets `TCP_NODELAY`.
fn join_tcp(address: &OsString) -> Result<Box<dyn AnyLink>> {
    let address: SocketAddr = address
        .to_str()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| Error::msg(format!("bad TCP address {address:?}")))?;
    let stream = TcpStream::connect(&address).with_context(|| format!("connect to {address}"))?;
    stream.set_nodelay(true).context("set TCP_NODELAY")?;
    Ok(Box::new(SockLink::new(stream)))
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use rustix::process::Pid;

    use super::*;
    use crate::measure::{Buffers, Imp, Job, Measure};
    use crate::plan::MAX_SIZE;
    use crate::watchdog::Watchdog;

    #[test]
    fn a_64_kib_message_fits_a_datagram_and_a_seqpacket_socket_in_one_piece() {
        let message = vec![7; MAX_SIZE];
        let mut buf = vec![0; MAX_SIZE];
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(&message).unwrap();
        assert_eq!(b.receive(&mut buf).unwrap(), MAX_SIZE);
        let (a, b) = Seqpacket::pair().unwrap();
        a.send(&message).unwrap();
        assert_eq!(b.receive(&mut buf).unwrap(), MAX_SIZE);
    }

    /// Runs every case's parent and peer halves in this process, one round each way.
    #[test]
    fn every_transport_connects_and_carries_a_round_trip_through_both_sides() {
        for sut in [&Sock::STREAM, &Sock::DATAGRAM, &Sock::SEQPACKET, &Sock::TCP] {
            let prepared = sut.prepare().unwrap();
            let dir = prepared
                .args
                .first()
                .and_then(|a| Path::new(a).parent())
                .map(Path::to_owned);
            let args = prepared.args.clone();
            let peer = std::thread::spawn(move || {
                let mut link = sut.join(&args, Vec::new()).unwrap();
                let mut bufs = Buffers::new(MAX_SIZE);
                for imp in [Imp::Api, Imp::Raw] {
                    let job = job(Measure::Latency, imp, MAX_SIZE);
                    link.follow(&job, &mut bufs).unwrap();
                }
            });
            let mut link = (prepared.connect)().unwrap();
            let mut bufs = Buffers::new(MAX_SIZE);
            for imp in [Imp::Api, Imp::Raw] {
                let job = job(Measure::Latency, imp, MAX_SIZE);
                link.lead(&job, &mut bufs, &mut Vec::new()).unwrap();
            }
            peer.join().unwrap();
            if let Some(dir) = dir.filter(|_| sut.transport != Transport::Tcp) {
                assert!(!dir.exists(), "{} left behind", dir.display());
            }
        }
    }

    fn job(measure: Measure, imp: Imp, size: usize) -> Job {
        Job {
            measure,
            imp,
            size,
            count: 3,
        }
    }

    #[test]
    fn a_parent_waiting_on_a_datagram_answer_that_never_comes_is_released_by_the_watchdog() {
        let sut = Sock::DATAGRAM.prepare().unwrap();
        let args = sut.args.clone();
        // The peer's half, greeting and then never answering (a connected datagram socket
        // sees no end of input, so only the watchdog's unstick can end the wait).
        let silent = Sock::DATAGRAM.join(&args, Vec::new()).unwrap();
        let mut link = (sut.connect)().unwrap();
        let mut stand_in = Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut watchdog = Watchdog::start(Pid::from_child(&stand_in), sut.unstick);
        watchdog.arm(Duration::from_millis(200));

        let mut lead = |imp| {
            let job = job(Measure::Latency, imp, 64);
            link.lead(&job, &mut Buffers::new(64), &mut Vec::new())
        };
        // The receive, released with no bytes, rejects the empty answer.
        let err = lead(Imp::Api).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        // The socket stays shut down: the raw side's send fails at once.
        let err = lead(Imp::Raw).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);

        assert!(watchdog.fired());
        watchdog.stop();
        stand_in.wait().unwrap();
        drop(silent);
    }

    #[test]
    fn a_parent_waiting_on_a_datagram_peer_that_never_greets_is_released_by_the_watchdog() {
        let sut = Sock::DATAGRAM.prepare().unwrap();
        let dir = PathBuf::from(&sut.args[0]).parent().unwrap().to_owned();
        // A stand-in peer that never binds or greets.
        let mut peer = Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut watchdog = Watchdog::start(Pid::from_child(&peer), sut.unstick);
        watchdog.arm(Duration::from_millis(200));

        let connected = (sut.connect)();

        assert!(watchdog.fired());
        watchdog.stop();
        assert!(peer.wait().unwrap().code().is_none(), "killed by a signal");
        assert!(connected.is_err());
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}
