//! Stale path reclaim: a dead listener's path is taken over, a live one's never.

use std::io::{Read, Write};

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::{UnixAddress, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, Spawner, is_socket};

/// In a child: binds at `path`, reports "listening", and answers every connection with
/// "alive" until killed.
fn listen_and_serve(ctx: &ChildContext) -> ! {
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let listener = UnixListener::bind(&address).unwrap();
    ctx.report("listening");
    loop {
        let stream = listener.accept().unwrap();
        let _ = stream.send_all(b"alive");
    }
}

#[test]
fn a_killed_listener_leaves_its_path_and_a_new_listener_takes_it_over() {
    if let Some(ctx) = ChildContext::current() {
        listen_and_serve(&ctx);
    }
    let path = SockPath::new();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("listener").arg("path", path.path().display()));
    child.expect_report("listening", PATIENCE);
    child.kill();
    assert!(
        is_socket(path.path()),
        "the killed listener left its socket file"
    );
    assert!(path.lock().exists(), "and its lock file");
    let err = UnixStream::connect(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");

    let sut = UnixListener::bind(&path.address()).unwrap();
    let client = UnixStream::connect(&path.address()).unwrap();
    let accepted = sut.accept_timeout(PATIENCE).unwrap();
    client.send_all(b"new").unwrap();
    let mut buf = [0; 3];
    accepted.receive_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"new");
    drop(sut);
    path.assert_nothing_left();
}

#[test]
fn a_live_listener_in_another_process_is_not_stolen() {
    if let Some(ctx) = ChildContext::current() {
        listen_and_serve(&ctx);
    }
    let path = SockPath::new();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("listener").arg("path", path.path().display()));
    child.expect_report("listening", PATIENCE);

    let err = UnixListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let err = UnixListener::builder()
        .reclaim_unlocked()
        .bind(&path.address())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    // The live listener still has its path: a new client reaches it.
    let client = UnixStream::connect_timeout(&path.address(), PATIENCE).unwrap();
    let mut buf = [0; 5];
    client.receive_exact_timeout(&mut buf, PATIENCE).unwrap();
    assert_eq!(&buf, b"alive");

    child.kill();
    // The path is stale now; a listener reclaims it and removes it on drop.
    drop(UnixListener::bind(&path.address()).unwrap());
    path.assert_nothing_left();
}

#[test]
fn a_socket_without_a_lock_file_is_left_alone_unless_reclaim_unlocked() {
    let path = SockPath::new();
    // A listener of a program that does not use the lock, alive in this process.
    let foreign = std::os::unix::net::UnixListener::bind(path.path()).unwrap();
    let err = UnixListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(
        !path.lock().exists(),
        "the refused bind removed the lock file it made"
    );
    let mut client = std::os::unix::net::UnixStream::connect(path.path()).unwrap();
    let (mut accepted, _) = foreign.accept().unwrap();
    client.write_all(b"x").unwrap();
    let mut buf = [0; 1];
    accepted.read_exact(&mut buf).unwrap();

    let sut = UnixListener::builder()
        .reclaim_unlocked()
        .bind(&path.address())
        .unwrap();
    let _client = UnixStream::connect(&path.address()).unwrap();
    sut.accept_timeout(PATIENCE).unwrap();
    drop(sut);
    path.assert_nothing_left();
}

#[test]
fn a_regular_file_at_the_path_is_never_removed() {
    let path = SockPath::new();
    std::fs::write(path.path(), b"precious").unwrap();
    for builder in [
        UnixListener::builder(),
        UnixListener::builder().reclaim_unlocked(),
    ] {
        let err = builder.bind(&path.address()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    }
    assert_eq!(std::fs::read(path.path()).unwrap(), b"precious");
    assert!(!path.lock().exists());
}
