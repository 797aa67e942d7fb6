//! Unix seqpacket sockets between processes: records keep their boundaries, a record longer
//! than the buffer is `MessageTooLarge`, a peer that is gone is end of input on receive and
//! `PeerGone` on send (never `SIGPIPE`), and listener paths behave as the stream listener's.

use std::time::{Duration, Instant};

use ipc_core::ErrorKind;
use ipc_core::testing::{
    ChildBuilder, ChildContext, SigpipeDisposition, set_sigpipe, unique_test_name,
};
use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};

use crate::support::{PATIENCE, SHORT, SockPath, Spawner, assert_waited, is_socket, park_forever};

/// The address in a child's `path` or `abstract` argument.
fn address_of(ctx: &ChildContext) -> UnixAddress {
    match (ctx.arg("path"), ctx.arg("abstract")) {
        (Some(path), _) => UnixAddress::path(path).unwrap(),
        (None, Some(name)) => UnixAddress::abstract_name(name).unwrap(),
        (None, None) => panic!("no address given"),
    }
}

/// The records the client sends, in order.
const RECORDS: [&[u8]; 4] = [b"a", &[0x5A; 3000], b"bc", &[1; 100]];

/// In a child: connects, sends [`RECORDS`] and a 100-byte record, reports "sent", and waits
/// for the server to close.
fn client(ctx: &ChildContext) {
    let sut = Seqpacket::connect_timeout(&address_of(ctx), PATIENCE).unwrap();
    for record in RECORDS {
        sut.send(record).unwrap();
    }
    ctx.report("sent");
    assert_eq!(sut.receive_timeout(&mut [0; 1], PATIENCE).unwrap(), 0);
}

/// The server's half: accepts the client and receives each record whole.
fn receive_records(listener: &SeqpacketListener) -> Seqpacket {
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    let mut buf = [0; 4096];
    for record in RECORDS {
        let n = sut.receive_timeout(&mut buf, PATIENCE).unwrap();
        assert_eq!(&buf[..n], record);
    }
    sut
}

#[test]
fn records_from_another_process_keep_their_boundaries_on_a_path() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = SeqpacketListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("client").arg("path", path.path().display()));
    let sut = receive_records(&listener);
    child.expect_report("sent", PATIENCE);
    drop(sut);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}

#[test]
fn records_from_another_process_keep_their_boundaries_on_an_abstract_name() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let name = unique_test_name("seqpacket");
    let listener = SeqpacketListener::bind(&UnixAddress::abstract_name(&name).unwrap()).unwrap();
    let mut child = Spawner::lock().spawn(ChildBuilder::new("client").arg("abstract", &name));
    let sut = receive_records(&listener);
    child.expect_report("sent", PATIENCE);
    drop(sut);
    child.expect_success(PATIENCE);
}

#[test]
fn a_record_longer_than_the_buffer_is_message_too_large_and_consumed() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = SeqpacketListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("client").arg("path", path.path().display()));
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    child.expect_report("sent", PATIENCE);
    let mut buf = [0; 100];
    assert_eq!(sut.receive(&mut buf).unwrap(), 1);
    assert_eq!(sut.peek_size().unwrap(), 3000);
    let err = sut.receive(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("3000 bytes") && text.contains("100 bytes"),
        "{text}"
    );
    assert_eq!(
        sut.receive(&mut buf).unwrap(),
        2,
        "the long record was consumed whole"
    );
    assert_eq!(&buf[..2], b"bc");
    assert_eq!(
        sut.receive(&mut buf).unwrap(),
        100,
        "a record that fills the buffer fits"
    );
    drop(sut);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}

/// In a child with `SIGPIPE` at `SIG_DFL`: connects, waits for end of input, then sends in
/// every form and reports each error's kind.
fn writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let sut = Seqpacket::connect_timeout(&address_of(ctx), PATIENCE).unwrap();
    assert_eq!(
        sut.receive_timeout(&mut [0; 8], PATIENCE).unwrap(),
        0,
        "end of input"
    );
    let kinds = [
        sut.send(b"x"),
        sut.try_send(b"x"),
        sut.send_timeout(b"x", Duration::from_secs(1)),
        sut.send_deadline(b"x", Instant::now() + PATIENCE),
    ]
    .map(|result| format!("{:?}", result.unwrap_err().kind()));
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&kinds.join(" "));
}

#[test]
fn a_peer_gone_is_end_of_input_then_peer_gone_on_every_send_without_sigpipe() {
    if let Some(ctx) = ChildContext::current() {
        writer(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = SeqpacketListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").arg("path", path.path().display()));
    drop(listener.accept_timeout(PATIENCE).unwrap());
    child.expect_report("PeerGone PeerGone PeerGone PeerGone", PATIENCE);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}

/// In a child: connects, sends one record, reports "sent", and waits to be killed.
fn send_and_park(ctx: &ChildContext) -> ! {
    let sut = Seqpacket::connect_timeout(&address_of(ctx), PATIENCE).unwrap();
    sut.send(b"before").unwrap();
    ctx.report("sent");
    park_forever()
}

#[test]
fn a_killed_peer_leaves_its_records_then_end_of_input() {
    if let Some(ctx) = ChildContext::current() {
        send_and_park(&ctx);
    }
    let name = unique_test_name("killed");
    let listener = SeqpacketListener::bind(&UnixAddress::abstract_name(&name).unwrap()).unwrap();
    let mut child = Spawner::lock().spawn(ChildBuilder::new("sender").arg("abstract", &name));
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    child.expect_report("sent", PATIENCE);
    child.kill();
    let mut buf = [0; 16];
    assert_eq!(sut.receive_timeout(&mut buf, PATIENCE).unwrap(), 6);
    assert_eq!(&buf[..6], b"before");
    assert_eq!(sut.receive_timeout(&mut buf, PATIENCE).unwrap(), 0);
    let err = sut.send(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
}

#[test]
fn an_empty_record_is_refused_because_it_would_read_as_end_of_input() {
    let (sut, peer) = Seqpacket::pair().unwrap();
    let err = sut.send(b"").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(
        peer.try_receive(&mut [0; 1]).unwrap_err().is_would_block(),
        "nothing was sent"
    );
}

#[test]
fn accept_receive_and_send_would_block_or_time_out() {
    let name = unique_test_name("timeouts");
    let listener = SeqpacketListener::bind(&UnixAddress::abstract_name(&name).unwrap()).unwrap();
    assert!(listener.try_accept().unwrap_err().is_would_block());
    let start = Instant::now();
    let err = listener.accept_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let (_peer, sut) = Seqpacket::pair().unwrap();
    let mut buf = [0; 8];
    assert!(sut.try_receive(&mut buf).unwrap_err().is_would_block());
    let start = Instant::now();
    let err = sut.receive_timeout(&mut buf, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let mut sent = 0;
    loop {
        match sut.try_send(&[0; 1024]) {
            Ok(()) => sent += 1,
            Err(err) if err.is_would_block() => break,
            Err(err) => panic!("after {sent} records: {err}"),
        }
        assert!(sent < 1 << 20, "no WouldBlock after {sent} records");
    }
    let start = Instant::now();
    let err = sut.send_timeout(&[0; 1024], SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
}

/// In a child: binds a seqpacket listener at `path`, reports "listening", waits to be killed.
fn listen_forever(ctx: &ChildContext) -> ! {
    let _sut = SeqpacketListener::bind(&address_of(ctx)).unwrap();
    ctx.report("listening");
    park_forever()
}

#[test]
fn a_killed_listener_path_is_reclaimed_but_a_live_one_is_not() {
    if let Some(ctx) = ChildContext::current() {
        listen_forever(&ctx);
    }
    let path = SockPath::new();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("listener").arg("path", path.path().display()));
    child.expect_report("listening", PATIENCE);
    let err = SeqpacketListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    child.kill();
    assert!(
        is_socket(path.path()),
        "the killed listener left its socket file"
    );
    let err = Seqpacket::connect(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");

    let sut = SeqpacketListener::bind(&path.address()).unwrap();
    let client = Seqpacket::connect(&path.address()).unwrap();
    let accepted = sut.accept_timeout(PATIENCE).unwrap();
    client.send(b"new").unwrap();
    assert_eq!(accepted.receive(&mut [0; 3]).unwrap(), 3);
    drop(sut);
    path.assert_nothing_left();
}
