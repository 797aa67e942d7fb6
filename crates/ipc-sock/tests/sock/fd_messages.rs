//! Descriptors and credentials on the message socket types between real processes: a
//! seqpacket record keeps its descriptors and its boundaries, a datagram carries descriptors
//! to an address, a record too large for the buffer is an error whose descriptors are closed,
//! and a seqpacket peer's credentials arrive with its records. Descriptor counting happens in
//! child roles, never in the multithreaded harness.

use std::io::{Read, Write};
use std::os::fd::AsFd;

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::{Credentials, Seqpacket, SeqpacketListener, UnixAddress, UnixDatagram};

use crate::support::{PATIENCE, SockPath, Spawner, open_descriptors};

/// Where a child finds its end of the socket pair.
const SOCKET_FD: i32 = 10;

/// In a child: sends three records (one pipe end with "one", two descriptors with "2", none
/// with "three"), then reads what the parent writes through that pipe end.
fn record_sender(ctx: &ChildContext) {
    let socket = Seqpacket::from_fd(ctx.take_fd(SOCKET_FD)).unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    let null = std::fs::File::open("/dev/null").unwrap();
    socket.send_with_fds(b"one", &[writer.as_fd()]).unwrap();
    socket
        .send_with_fds(b"2", &[null.as_fd(), null.as_fd()])
        .unwrap();
    socket.send(b"three").unwrap();
    drop(writer);
    let mut got = String::new();
    reader.read_to_string(&mut got).unwrap();
    ctx.report(&format!("read {got:?}"));
}

#[test]
fn a_seqpacket_record_keeps_its_descriptors_and_its_boundaries_across_processes() {
    if let Some(ctx) = ChildContext::current() {
        record_sender(&ctx);
        return;
    }
    let (sut, theirs) = Seqpacket::pair().unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("sender").inherit_fd(&theirs, SOCKET_FD));
    drop(theirs);
    let mut buf = [0; 16];
    let (len, mut fds) = sut.receive_with_fds_timeout(&mut buf, 4, PATIENCE).unwrap();
    assert_eq!((&buf[..len], fds.len()), (&b"one"[..], 1));
    let (len, two) = sut.receive_with_fds_timeout(&mut buf, 4, PATIENCE).unwrap();
    assert_eq!((&buf[..len], two.len()), (&b"2"[..], 2));
    let (len, none) = sut.receive_with_fds_timeout(&mut buf, 4, PATIENCE).unwrap();
    assert_eq!((&buf[..len], none.len()), (&b"three"[..], 0));
    std::fs::File::from(fds.remove(0))
        .write_all(b"through the record's pipe")
        .unwrap();
    child.expect_report("read \"through the record's pipe\"", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn an_empty_seqpacket_record_is_refused_whatever_it_carries_and_never_reaches_the_peer() {
    let (sut, peer) = Seqpacket::pair().unwrap();
    let null = std::fs::File::open("/dev/null").unwrap();
    let fds = [null.as_fd()];
    let me = Credentials::current();
    let results = [
        sut.send_with_fds(b"", &[]),
        sut.send_with_fds(b"", &fds),
        sut.try_send_with_fds(b"", &fds),
        sut.send_with_fds_timeout(b"", &fds, PATIENCE),
        sut.send_with_credentials(b"", me),
        sut.try_send_with_credentials(b"", me),
    ];
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ipc_core::ErrorKind::InvalidArgument, "{err}");
        assert!(
            err.detail()
                .is_some_and(|detail| detail.contains("end of input")),
            "{err}"
        );
    }
    sut.send_with_fds(b"after", &fds).unwrap();
    let (len, got) = peer
        .receive_with_fds_timeout(&mut [0; 8], 4, PATIENCE)
        .unwrap();
    assert_eq!((len, got.len()), (5, 1), "the first record the peer sees");
}

#[test]
fn an_empty_datagram_still_carries_descriptors() {
    let (sut, peer) = UnixDatagram::pair().unwrap();
    let null = std::fs::File::open("/dev/null").unwrap();
    sut.send_with_fds(b"", &[null.as_fd()]).unwrap();
    let (len, got) = peer
        .receive_with_fds_timeout(&mut [0; 8], 4, PATIENCE)
        .unwrap();
    assert_eq!((len, got.len()), (0, 1));
}

/// In a child: sends a pipe end in a datagram to the `to` address from an unbound socket,
/// then reads what the receiver writes through it.
fn datagram_sender(ctx: &ChildContext) {
    let to = UnixAddress::path(ctx.arg("to").unwrap()).unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    UnixDatagram::unbound()
        .unwrap()
        .send_to_with_fds_timeout(b"to-address", &[writer.as_fd()], &to, PATIENCE)
        .unwrap();
    drop(writer);
    let mut got = String::new();
    reader.read_to_string(&mut got).unwrap();
    ctx.report(&format!("read {got:?}"));
}

#[test]
fn a_datagram_with_a_descriptor_sent_to_an_address_reaches_the_socket_bound_there() {
    if let Some(ctx) = ChildContext::current() {
        datagram_sender(&ctx);
        return;
    }
    let path = SockPath::new();
    let sut = UnixDatagram::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("sender").arg("to", path.path().display()));
    let mut buf = [0; 16];
    let (mut got, from) = sut
        .receive_message_from_timeout(&mut buf, 1, PATIENCE)
        .unwrap();
    assert_eq!((&buf[..got.len], got.fds.len()), (&b"to-address"[..], 1));
    assert_eq!(from, None, "the sender did not bind");
    std::fs::File::from(got.fds.remove(0))
        .write_all(b"through the datagram's pipe")
        .unwrap();
    child.expect_report("read \"through the datagram's pipe\"", PATIENCE);
    child.expect_success(PATIENCE);
    drop(sut);
    path.assert_nothing_left();
}

/// In a child: receives a record too large for a 4-byte buffer, reports the error and how
/// many descriptors it leaked, then receives the next record whole.
fn small_buffer_receiver(ctx: &ChildContext) {
    let socket = Seqpacket::from_fd(ctx.take_fd(SOCKET_FD)).unwrap();
    let baseline = open_descriptors();
    ctx.report("ready");
    let mut buf = [0; 4];
    let err = socket
        .receive_with_fds_timeout(&mut buf, 8, PATIENCE)
        .unwrap_err();
    let leaked = open_descriptors() - baseline;
    let (len, fds) = socket
        .receive_with_fds_timeout(&mut buf, 8, PATIENCE)
        .unwrap();
    ctx.report(&format!(
        "{:?} leaked {leaked}; next {:?} with {}",
        err.kind(),
        String::from_utf8_lossy(&buf[..len]),
        fds.len()
    ));
}

#[test]
fn a_record_too_large_for_the_buffer_is_refused_and_its_descriptors_are_closed() {
    if let Some(ctx) = ChildContext::current() {
        small_buffer_receiver(&ctx);
        return;
    }
    let (sut, theirs) = Seqpacket::pair().unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("receiver").inherit_fd(&theirs, SOCKET_FD));
    drop(theirs);
    child.expect_report("ready", PATIENCE);
    let null = std::fs::File::open("/dev/null").unwrap();
    sut.send_with_fds(b"0123456789", &[null.as_fd(), null.as_fd(), null.as_fd()])
        .unwrap();
    sut.send_with_fds(b"ok", &[null.as_fd()]).unwrap();
    child.expect_report("MessageTooLarge leaked 0; next \"ok\" with 1", PATIENCE);
    child.expect_success(PATIENCE);
}

/// In a child: connects a seqpacket socket to the `path` argument, waits for a go-ahead
/// record, then sends its credentials explicitly and a plain record.
fn credentials_client(ctx: &ChildContext) {
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let socket = Seqpacket::connect_timeout(&address, PATIENCE).unwrap();
    socket.receive_timeout(&mut [0; 2], PATIENCE).unwrap();
    socket
        .send_with_credentials(b"explicit", Credentials::current())
        .unwrap();
    socket.send(b"implicit").unwrap();
    assert_eq!(socket.receive_timeout(&mut [0; 1], PATIENCE).unwrap(), 0);
}

#[test]
fn a_seqpacket_peer_has_its_credentials_on_the_connection_and_on_every_record() {
    if let Some(ctx) = ChildContext::current() {
        credentials_client(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = SeqpacketListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("client").arg("path", path.path().display()));
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    let me = Credentials::current();
    let theirs = Credentials {
        pid: child.pid(),
        uid: me.uid,
        gid: me.gid,
    };
    assert_eq!(sut.peer_credentials().unwrap(), theirs);
    sut.set_pass_credentials(true).unwrap();
    sut.send(b"go").unwrap();
    let mut buf = [0; 8];
    for expected in [&b"explicit"[..], b"implicit"] {
        let got = sut.receive_message_timeout(&mut buf, 0, PATIENCE).unwrap();
        assert_eq!(&buf[..got.len], expected);
        assert_eq!(got.credentials, Some(theirs));
    }
    drop(sut);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}
