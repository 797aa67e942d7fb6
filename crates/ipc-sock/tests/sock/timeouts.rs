//! The `try_` forms give `WouldBlock` and the bounded forms `TimedOut` (after at least their
//! timeout) for accept, connect, send and receive.

use std::time::{Duration, Instant};

use ipc_core::ErrorKind;
use ipc_sock::{UnixAddress, UnixListener, UnixStream};

use crate::support::{SHORT, SockPath, assert_waited};

#[test]
fn accept_without_a_client_would_block_or_times_out() {
    let path = SockPath::new();
    let sut = UnixListener::bind(&path.address()).unwrap();
    assert_eq!(sut.try_accept().unwrap_err().kind(), ErrorKind::WouldBlock);
    let start = Instant::now();
    let err = sut.accept_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    let err = sut.accept_deadline(Instant::now()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn receive_without_data_would_block_or_times_out() {
    let (_peer, sut) = UnixStream::pair().unwrap();
    let mut buf = [0; 8];
    assert_eq!(
        sut.try_receive(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let start = Instant::now();
    let err = sut.receive_timeout(&mut buf, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    let err = sut.receive_exact_timeout(&mut buf, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn send_to_a_full_socket_would_block_or_times_out() {
    let (_peer, sut) = UnixStream::pair().unwrap();
    let chunk = [0xAB; 4096];
    let mut total = 0_usize;
    loop {
        match sut.try_send(&chunk) {
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => panic!("filling after {total} bytes: {err}"),
        }
        assert!(total < 64 << 20, "no WouldBlock after {total} bytes");
    }
    let start = Instant::now();
    let err = sut.send_timeout(&chunk, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    let err = sut.send_all_timeout(&chunk, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn connect_to_a_full_backlog_would_block_or_times_out() {
    let path = SockPath::new();
    let sut = UnixListener::builder()
        .backlog(1)
        .bind(&path.address())
        .unwrap();
    let address = path.address();
    let mut waiting = Vec::new();
    let mut full = false;
    for _ in 0..64 {
        match UnixStream::try_connect(&address) {
            Ok(stream) => waiting.push(stream),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                full = true;
                break;
            }
            Err(err) => panic!("connect {}: {err}", waiting.len()),
        }
    }
    assert!(full, "64 connections fit a backlog of 1");
    let start = Instant::now();
    let err = UnixStream::connect_timeout(&address, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    let err = UnixStream::connect_timeout(&address, Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    // Accepting one makes room: a bounded connect then succeeds.
    let _accepted = sut.accept().unwrap();
    UnixStream::connect_timeout(&address, Duration::from_secs(30)).unwrap();
}

#[test]
fn connect_where_nothing_listens_is_not_found_or_peer_gone() {
    let path = SockPath::new();
    let err = UnixStream::connect(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // A socket file whose listener closed without removing it.
    drop(std::os::unix::net::UnixListener::bind(path.path()).unwrap());
    let err = UnixStream::connect(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
    let err = UnixStream::connect(
        &UnixAddress::abstract_name(ipc_core::testing::unique_test_name("none")).unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
}
