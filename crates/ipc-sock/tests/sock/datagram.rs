//! Unix datagram sockets between processes: boundaries kept, no silent truncation, the
//! `try_` and bounded forms, and bound paths that are removed and reclaimed like a
//! listener's.

use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext, unique_test_name};
use ipc_sock::{UnixAddress, UnixDatagram};

use crate::support::{PATIENCE, SHORT, SockPath, Spawner, assert_waited, is_socket, park_forever};

/// The address in a child's `path` or `abstract` argument.
fn address_of(ctx: &ChildContext) -> UnixAddress {
    match (ctx.arg("path"), ctx.arg("abstract")) {
        (Some(path), _) => UnixAddress::path(path).unwrap(),
        (None, Some(name)) => UnixAddress::abstract_name(name).unwrap(),
        (None, None) => panic!("no address given"),
    }
}

/// The datagrams the sender sends, in order: an empty one is a datagram too.
const MESSAGES: [&[u8]; 4] = [b"one", b"", &[0xAB; 5000], b"last"];

/// In a child: sends [`MESSAGES`] to the address, then reports "sent".
fn sender(ctx: &ChildContext) {
    let to = address_of(ctx);
    let sut = UnixDatagram::unbound().unwrap();
    for message in MESSAGES {
        sut.send_to_timeout(message, &to, PATIENCE).unwrap();
    }
    ctx.report("sent");
}

#[test]
fn datagrams_from_another_process_keep_their_boundaries_on_a_path() {
    if let Some(ctx) = ChildContext::current() {
        sender(&ctx);
        return;
    }
    let path = SockPath::new();
    let sut = UnixDatagram::bind(&path.address()).unwrap();
    let mode = std::fs::symlink_metadata(path.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("sender").arg("path", path.path().display()));
    let mut buf = vec![0; 8192];
    for message in MESSAGES {
        let (n, from) = sut.receive_from_timeout(&mut buf, PATIENCE).unwrap();
        assert_eq!(&buf[..n], message);
        assert_eq!(from, None, "the sender did not bind");
    }
    child.expect_report("sent", PATIENCE);
    child.expect_success(PATIENCE);
    drop(sut);
    path.assert_nothing_left();
}

#[test]
fn datagrams_from_another_process_keep_their_boundaries_on_an_abstract_name() {
    if let Some(ctx) = ChildContext::current() {
        sender(&ctx);
        return;
    }
    let name = unique_test_name("dgram");
    let sut = UnixDatagram::bind(&UnixAddress::abstract_name(&name).unwrap()).unwrap();
    let mut child = Spawner::lock().spawn(ChildBuilder::new("sender").arg("abstract", &name));
    let mut buf = vec![0; 8192];
    for message in MESSAGES {
        let n = sut.receive_timeout(&mut buf, PATIENCE).unwrap();
        assert_eq!(&buf[..n], message);
    }
    child.expect_report("sent", PATIENCE);
    child.expect_success(PATIENCE);
}

/// In a child: sends a 100-byte datagram, then "next", to the address.
fn long_sender(ctx: &ChildContext) {
    let to = address_of(ctx);
    let sut = UnixDatagram::unbound().unwrap();
    sut.send_to(&[b'x'; 100], &to).unwrap();
    sut.send_to(b"next", &to).unwrap();
    ctx.report("sent");
}

#[test]
fn a_datagram_longer_than_the_buffer_is_message_too_large_naming_both_sizes() {
    if let Some(ctx) = ChildContext::current() {
        long_sender(&ctx);
        return;
    }
    let path = SockPath::new();
    let sut = UnixDatagram::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("long").arg("path", path.path().display()));
    child.expect_report("sent", PATIENCE);
    assert_eq!(
        sut.peek_size_timeout(PATIENCE).unwrap(),
        100,
        "peeking consumes nothing"
    );
    let mut buf = [0; 10];
    let err = sut.receive(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("100 bytes") && text.contains("10 bytes"),
        "{text}"
    );
    // The long datagram is gone whole; the next one arrives intact.
    assert_eq!(sut.receive(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"next");
    child.expect_success(PATIENCE);
    drop(sut);
    path.assert_nothing_left();
}

#[test]
fn a_datagram_larger_than_the_socket_can_send_is_message_too_large() {
    let (sut, _peer) = UnixDatagram::pair().unwrap();
    let err = sut.send(&vec![0; 16 << 20]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    assert!(err.to_string().contains("SO_SNDBUF"), "{err}");
}

#[test]
fn receive_without_a_datagram_would_block_or_times_out() {
    let (_peer, sut) = UnixDatagram::pair().unwrap();
    let mut buf = [0; 8];
    assert!(sut.try_receive(&mut buf).unwrap_err().is_would_block());
    assert!(sut.try_receive_from(&mut buf).unwrap_err().is_would_block());
    assert!(sut.try_peek_size().unwrap_err().is_would_block());
    let start = Instant::now();
    let err = sut.receive_timeout(&mut buf, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    let err = sut
        .receive_from_deadline(&mut buf, Instant::now())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn send_to_a_full_receiver_would_block_or_times_out() {
    let name = unique_test_name("full");
    let address = UnixAddress::abstract_name(&name).unwrap();
    let receiver = UnixDatagram::bind(&address).unwrap();
    let sut = UnixDatagram::unbound().unwrap();
    let mut sent = 0;
    loop {
        match sut.try_send_to(&[0; 256], &address) {
            Ok(()) => sent += 1,
            Err(err) if err.is_would_block() => break,
            Err(err) => panic!("after {sent} datagrams: {err}"),
        }
        assert!(sent < 1 << 20, "no WouldBlock after {sent} datagrams");
    }
    let start = Instant::now();
    let err = sut.send_to_timeout(b"x", &address, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    // Room again: a bounded send goes through.
    receiver.receive(&mut [0; 256]).unwrap();
    sut.send_to_timeout(b"x", &address, PATIENCE).unwrap();
}

#[test]
fn send_to_where_nothing_is_bound_is_not_found_or_peer_gone() {
    let path = SockPath::new();
    let sut = UnixDatagram::unbound().unwrap();
    let err = sut.send_to(b"x", &path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    drop(std::os::unix::net::UnixDatagram::bind(path.path()).unwrap());
    let err = sut.send_to(b"x", &path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
    std::fs::remove_file(path.path()).unwrap();
}

/// In a child: binds a datagram socket at `path`, reports "bound", and waits to be killed.
fn bound_forever(ctx: &ChildContext) -> ! {
    let _sut = UnixDatagram::bind(&address_of(ctx)).unwrap();
    ctx.report("bound");
    park_forever()
}

#[test]
fn a_killed_process_bound_path_is_reclaimed_but_a_live_one_is_not() {
    if let Some(ctx) = ChildContext::current() {
        bound_forever(&ctx);
    }
    let path = SockPath::new();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("bound").arg("path", path.path().display()));
    child.expect_report("bound", PATIENCE);
    let err = UnixDatagram::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    child.kill();
    assert!(is_socket(path.path()), "the killed socket left its file");

    let sut = UnixDatagram::bind(&path.address()).unwrap();
    UnixDatagram::unbound()
        .unwrap()
        .send_to(b"new", &path.address())
        .unwrap();
    assert_eq!(sut.receive(&mut [0; 3]).unwrap(), 3);
    drop(sut);
    path.assert_nothing_left();
}

/// In a child: binds at `path`, connects to the `server` path, sends "ping" and reports the
/// reply.
fn pinger(ctx: &ChildContext) {
    let mut sut =
        UnixDatagram::bind(&UnixAddress::path(ctx.arg("path").unwrap()).unwrap()).unwrap();
    sut.connect(&UnixAddress::path(ctx.arg("server").unwrap()).unwrap())
        .unwrap();
    sut.send(b"ping").unwrap();
    let mut buf = [0; 8];
    let n = sut.receive_timeout(&mut buf, PATIENCE).unwrap();
    ctx.report(&String::from_utf8_lossy(&buf[..n]));
}

#[test]
fn a_bound_connected_client_process_is_answered_at_its_address() {
    if let Some(ctx) = ChildContext::current() {
        pinger(&ctx);
        return;
    }
    let server = SockPath::new();
    let client = SockPath::new();
    let sut = UnixDatagram::bind(&server.address()).unwrap();
    let mut child = Spawner::lock().spawn(
        ChildBuilder::new("pinger")
            .arg("path", client.path().display())
            .arg("server", server.path().display()),
    );
    let mut buf = [0; 8];
    let (n, from) = sut.receive_from_timeout(&mut buf, PATIENCE).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, Some(client.address()));
    sut.send_to(b"pong", &client.address()).unwrap();
    child.expect_report("pong", PATIENCE);
    child.expect_success(PATIENCE);
    client.assert_nothing_left();
    drop(sut);
    server.assert_nothing_left();
}

#[test]
fn from_fd_keeps_a_non_blocking_descriptor_so_and_still_waits_in_the_blocking_forms() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let fd: std::os::fd::OwnedFd = b.into();
    rustix::io::ioctl_fionbio(&fd, true).unwrap();
    let duplicate = fd.try_clone().unwrap();
    let sut = UnixDatagram::from_fd(fd).unwrap();
    let flags = rustix::fs::fcntl_getfl(&duplicate).unwrap();
    assert!(
        flags.contains(rustix::fs::OFlags::NONBLOCK),
        "the shared open file description keeps its mode"
    );
    let err = sut.try_receive(&mut [0; 4]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(SHORT);
        a.send(b"late").unwrap();
        a
    });
    let mut buf = [0; 8];
    let n = sut.receive(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"late");
    drop(sender.join().unwrap());
}
