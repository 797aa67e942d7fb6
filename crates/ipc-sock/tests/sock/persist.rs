//! `persist`: a bound socket whose descriptor outlives its handle keeps its path reachable,
//! and the path is then refused to the next bind rather than taken from it.

use std::os::fd::OwnedFd;

use ipc_core::ErrorKind;
use ipc_sock::{Seqpacket, SeqpacketListener, UnixDatagram, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, is_socket};

/// Asserts what a persisted handle leaves: the socket file without its lock file, which the
/// next bind refuses while the descriptor lives.
#[track_caller]
fn assert_persisted(path: &SockPath) {
    assert!(is_socket(path.path()), "the socket file stayed");
    assert!(!path.lock().exists(), "the lock file went");
    let err = UnixListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(is_socket(path.path()), "the refused bind left it alone");
}

#[test]
fn a_persisted_listener_turned_into_a_descriptor_is_still_reached_by_its_path() {
    let path = SockPath::new();
    let mut sut = UnixListener::bind(&path.address()).unwrap();
    sut.persist();
    let fd: OwnedFd = sut.into();
    assert_persisted(&path);
    let client = UnixStream::connect(&path.address()).unwrap();
    let accepted = UnixListener::from_fd(fd)
        .unwrap()
        .accept_timeout(PATIENCE)
        .unwrap();
    client.send_all(b"x").unwrap();
    let mut buf = [0; 1];
    accepted.receive_exact_timeout(&mut buf, PATIENCE).unwrap();
    std::fs::remove_file(path.path()).unwrap();
    path.assert_nothing_left();
}

#[test]
fn a_listener_turned_into_a_descriptor_without_persist_gives_up_its_path() {
    let path = SockPath::new();
    let sut = UnixListener::bind(&path.address()).unwrap();
    let _fd: OwnedFd = sut.into();
    path.assert_nothing_left();
}

#[test]
fn a_persisted_seqpacket_listener_is_still_reached_by_its_path() {
    let path = SockPath::new();
    let mut sut = SeqpacketListener::bind(&path.address()).unwrap();
    sut.persist();
    let fd: OwnedFd = sut.into();
    assert_persisted(&path);
    let _client = Seqpacket::connect(&path.address()).unwrap();
    SeqpacketListener::from_fd(fd)
        .unwrap()
        .accept_timeout(PATIENCE)
        .unwrap();
    std::fs::remove_file(path.path()).unwrap();
    path.assert_nothing_left();
}

#[test]
fn a_persisted_datagram_socket_still_receives_at_its_path() {
    let path = SockPath::new();
    let mut sut = UnixDatagram::bind(&path.address()).unwrap();
    sut.persist();
    let fd: OwnedFd = sut.into();
    assert_persisted(&path);
    UnixDatagram::unbound()
        .unwrap()
        .send_to(b"kept", &path.address())
        .unwrap();
    let mut buf = [0; 8];
    let n = UnixDatagram::from_fd(fd)
        .unwrap()
        .receive(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], b"kept");
    std::fs::remove_file(path.path()).unwrap();
    path.assert_nothing_left();
}

#[test]
fn a_persisted_listener_that_dropped_leaves_a_path_reclaim_unlocked_takes_over() {
    let path = SockPath::new();
    let mut sut = UnixListener::bind(&path.address()).unwrap();
    sut.persist();
    drop(sut);
    assert!(is_socket(path.path()));
    let err = UnixListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    drop(
        UnixListener::builder()
            .reclaim_unlocked()
            .bind(&path.address())
            .unwrap(),
    );
    path.assert_nothing_left();
}
