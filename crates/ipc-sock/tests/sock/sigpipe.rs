//! A writer whose `SIGPIPE` is at `SIG_DFL` gets `PeerGone` from every send form when the peer
//! is gone, and survives: the plain sends, the `sendmsg` ones (descriptors, credentials),
//! `io::Write`, [`FramedStream`](ipc_sock::FramedStream), on a Unix stream, a TCP stream, a
//! seqpacket socket and a datagram socket.

use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use ipc_core::testing::{ChildBuilder, ChildContext, SigpipeDisposition, set_sigpipe};
use ipc_core::{Error, ErrorKind, Result};
use ipc_sock::{
    Credentials, FramedStream, Seqpacket, SeqpacketListener, TcpListener, TcpStream, UnixAddress,
    UnixDatagram, UnixListener, UnixStream,
};
use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::support::{PATIENCE, SockPath, Spawner};

/// Where a child finds its end of a socket pair.
const SOCKET_FD: i32 = 10;

/// Where a child finds the stream whose end of input says "the peer is gone now".
const SIGNAL_FD: i32 = 11;

/// The kind of each failed send, space-separated; `ok` for one that did not fail.
fn kinds(results: &[Result<()>]) -> String {
    let kinds: Vec<String> = results
        .iter()
        .map(|result| match result {
            Ok(()) => "ok".to_owned(),
            Err(err) => format!("{:?}", err.kind()),
        })
        .collect();
    kinds.join(" ")
}

/// An `io::Write` result as a [`Result`], with the workspace error it carries.
fn from_io(result: std::io::Result<()>) -> Result<()> {
    result.map_err(|err| {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<Error>())
            .map_or_else(
                || Error::new(ErrorKind::Other, "write").with_detail(err.to_string()),
                |ours| Error::new(ours.kind(), "write"),
            )
    })
}

/// In a child with `SIGPIPE` at `SIG_DFL`: connects, waits for the server to close, then sends
/// in every form and reports each error's kind.
fn writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let stream = UnixStream::connect_timeout(&address, PATIENCE).unwrap();
    let mut buf = [0; 1];
    assert_eq!(
        stream.receive_timeout(&mut buf, PATIENCE).unwrap(),
        0,
        "the server closed"
    );
    let null = std::fs::File::open("/dev/null").unwrap();
    let fds = [null.as_fd()];
    let me = Credentials::current();
    let mut writer = &stream;
    let results = [
        stream.send(b"x").map(drop),
        stream.try_send(b"x").map(drop),
        stream.send_timeout(b"x", Duration::from_secs(1)).map(drop),
        stream.send_all(&[0; 100_000]),
        stream.send_all_deadline(b"x", Instant::now() + PATIENCE),
        stream.send_with_fds(b"x", &fds).map(drop),
        stream.try_send_with_fds(b"x", &fds).map(drop),
        stream
            .send_with_fds_timeout(b"x", &fds, Duration::from_secs(1))
            .map(drop),
        stream.send_with_credentials(b"x", me).map(drop),
        stream.try_send_with_credentials(b"x", me).map(drop),
        from_io(writer.write(b"x").map(drop)),
        from_io(writer.write_all(&[0; 100_000])),
        FramedStream::new(&stream).send(b"x"),
        FramedStream::new(&stream).try_send(b"x"),
        FramedStream::new(&stream).send_timeout(&[0; 100_000], PATIENCE),
    ];
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&kinds(&results));
}

#[test]
fn a_writer_with_default_sigpipe_gets_peer_gone_from_every_send_and_survives() {
    if let Some(ctx) = ChildContext::current() {
        writer(&ctx);
        return;
    }
    let path = SockPath::new();
    let sut = UnixListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").arg("path", path.path().display()));
    drop(sut.accept_timeout(PATIENCE).unwrap());
    child.expect_report(&["PeerGone"; 15].join(" "), PATIENCE);
    child.expect_success(PATIENCE);
    drop(sut);
    path.assert_nothing_left();
}

/// In a child with `SIGPIPE` at `SIG_DFL`: connects a seqpacket socket, waits for end of
/// input, then sends descriptors and credentials in every form and reports each error's kind.
fn packet_writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let sut = Seqpacket::connect_timeout(&address, PATIENCE).unwrap();
    assert_eq!(
        sut.receive_timeout(&mut [0; 8], PATIENCE).unwrap(),
        0,
        "end of input"
    );
    let null = std::fs::File::open("/dev/null").unwrap();
    let fds = [null.as_fd()];
    let me = Credentials::current();
    let results = [
        sut.send_with_fds(b"x", &fds).map(drop),
        sut.send_with_fds_timeout(b"x", &fds, PATIENCE).map(drop),
        sut.try_send_with_fds(b"x", &fds).map(drop),
        sut.send_with_fds_deadline(b"x", &fds, Instant::now() + PATIENCE)
            .map(drop),
        sut.send_with_credentials(b"x", me).map(drop),
        sut.try_send_with_credentials(b"x", me).map(drop),
    ];
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&kinds(&results));
}

#[test]
fn a_seqpacket_writer_with_default_sigpipe_gets_peer_gone_from_every_sendmsg_and_survives() {
    if let Some(ctx) = ChildContext::current() {
        packet_writer(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = SeqpacketListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").arg("path", path.path().display()));
    drop(listener.accept_timeout(PATIENCE).unwrap());
    child.expect_report(&["PeerGone"; 6].join(" "), PATIENCE);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}

/// In a child with `SIGPIPE` at `SIG_DFL`: reports "ready", waits for end of input on the
/// signal stream (the parent has closed its end of the datagram pair and its bound socket by
/// then), then sends on the pair in every form and to the bound socket's path, and reports
/// each error's kind.
fn datagram_writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let sut = UnixDatagram::from_fd(ctx.take_fd(SOCKET_FD)).unwrap();
    let signal = UnixStream::from_fd(ctx.take_fd(SIGNAL_FD)).unwrap();
    let to = UnixAddress::path(ctx.arg("to").unwrap()).unwrap();
    ctx.report("ready");
    assert_eq!(
        signal.receive_timeout(&mut [0; 1], PATIENCE).unwrap(),
        0,
        "the parent closed"
    );
    let null = std::fs::File::open("/dev/null").unwrap();
    let fds = [null.as_fd()];
    let results = [
        sut.send_with_fds(b"x", &fds).map(drop),
        sut.send(b"x"),
        sut.send_with_credentials(b"x", Credentials::current())
            .map(drop),
        sut.try_send_with_fds(b"x", &fds).map(drop),
    ];
    let unbound = UnixDatagram::unbound().unwrap();
    let to_path = [
        unbound.send_to(b"x", &to),
        unbound.send_to_with_fds(b"x", &fds, &to),
    ];
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&format!("{}; to path {}", kinds(&results), kinds(&to_path)));
}

#[test]
fn a_datagram_writer_with_default_sigpipe_gets_peer_gone_or_not_found_and_survives() {
    if let Some(ctx) = ChildContext::current() {
        datagram_writer(&ctx);
        return;
    }
    let path = SockPath::new();
    let bound = UnixDatagram::bind(&path.address()).unwrap();
    let (sut, theirs) = UnixDatagram::pair().unwrap();
    let (signal, their_signal) = UnixStream::pair().unwrap();
    let mut child = Spawner::lock().spawn(
        ChildBuilder::new("writer")
            .arg("to", path.path().display())
            .inherit_fd(&theirs, SOCKET_FD)
            .inherit_fd(&their_signal, SIGNAL_FD),
    );
    drop((theirs, their_signal));
    child.expect_report("ready", PATIENCE);
    drop(sut);
    drop(bound);
    drop(signal);
    // The first send on the pair learns that the peer closed (ECONNREFUSED), which
    // disconnects the socket; the later ones find it not connected (ENOTCONN). The path is
    // gone with the bound socket (NotFound).
    child.expect_report(
        "PeerGone PeerGone PeerGone PeerGone; to path NotFound NotFound",
        PATIENCE,
    );
    child.expect_success(PATIENCE);
    path.assert_nothing_left();
}

/// In a child with `SIGPIPE` at `SIG_DFL`: connects over TCP, waits for the server to close,
/// draws and waits for its reset, then sends through `io::Write` and `FramedStream` and
/// reports each error's kind.
fn tcp_writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let address = ctx.arg("address").unwrap().parse().unwrap();
    let stream = TcpStream::connect_timeout(&address, PATIENCE).unwrap();
    assert_eq!(stream.receive_timeout(&mut [0; 1], PATIENCE).unwrap(), 0);
    // The first send after the peer's close draws its RST; wait for the reset itself
    // (POLLERR | POLLHUP, reported whatever events are asked for).
    stream.send(b"x").unwrap();
    let mut fds = [PollFd::new(&stream, PollFlags::empty())];
    let patience = Timespec::try_from(PATIENCE).unwrap();
    assert_eq!(poll(&mut fds, Some(&patience)).unwrap(), 1, "no reset");
    let mut writer = &stream;
    let results = [
        from_io(writer.write(b"x").map(drop)),
        from_io(writer.write_all(&[0; 100_000])),
        FramedStream::new(&stream).send(b"x"),
        FramedStream::new(&stream).try_send(b"x"),
        FramedStream::new(&stream).send_timeout(&[0; 100_000], PATIENCE),
    ];
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&kinds(&results));
}

#[test]
fn a_tcp_writer_with_default_sigpipe_gets_peer_gone_from_io_write_and_frames_and_survives() {
    if let Some(ctx) = ChildContext::current() {
        tcp_writer(&ctx);
        return;
    }
    let sut = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").arg("address", sut.local_address()));
    drop(sut.accept_timeout(PATIENCE).unwrap());
    child.expect_report(&["PeerGone"; 5].join(" "), PATIENCE);
    child.expect_success(PATIENCE);
}
