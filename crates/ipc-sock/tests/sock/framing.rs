//! Frames across processes, over TCP and Unix streams: round trips, an oversized header
//! refused, and a peer killed inside a frame seen as an error, never as a short frame.

use std::net::SocketAddr;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::{FramedStream, TcpListener, TcpStream, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, Spawner, park_forever};

fn connect(ctx: &ChildContext) -> TcpStream {
    let address: SocketAddr = ctx.arg("address").unwrap().parse().unwrap();
    TcpStream::connect_timeout(&address, PATIENCE).unwrap()
}

/// In a child: echoes every frame back, doubled, until the peer closes.
fn echo(ctx: &ChildContext) {
    let mut framed = FramedStream::new(connect(ctx));
    while let Some(payload) = framed.receive_timeout(PATIENCE).unwrap() {
        framed.send(&[payload.clone(), payload].concat()).unwrap();
    }
    ctx.report("closed");
}

#[test]
fn frames_of_every_size_round_trip_through_a_tcp_peer_process() {
    if let Some(ctx) = ChildContext::current() {
        echo(&ctx);
        return;
    }
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("echo").arg("address", listener.local_address()));
    let mut sut = FramedStream::new(listener.accept_timeout(PATIENCE).unwrap());
    for len in [0, 1, 3, 1000, 65_536, 1 << 20] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        sut.send_timeout(&payload, PATIENCE).unwrap();
        let echoed = sut.receive_timeout(PATIENCE).unwrap().unwrap();
        assert_eq!(echoed, [payload.clone(), payload].concat(), "length {len}");
    }
    drop(sut);
    child.expect_report("closed", PATIENCE);
    child.expect_success(PATIENCE);
}

/// In a child: sends a header announcing `len` bytes, then a payload that starts with a
/// forged frame of its own, and waits to be killed.
fn announcer(ctx: &ChildContext) {
    let stream = connect(ctx);
    let len: u32 = ctx.arg("len").unwrap().parse().unwrap();
    stream.send_all(&len.to_le_bytes()).unwrap();
    stream
        .send_all(&[3, 0, 0, 0, b'e', b'v', b'i', b'l'])
        .unwrap();
    ctx.report("announced");
    park_forever();
}

#[test]
fn a_header_over_the_receivers_limit_is_refused_and_its_payload_never_read_as_frames() {
    if let Some(ctx) = ChildContext::current() {
        announcer(&ctx);
        return;
    }
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let mut child = Spawner::lock().spawn(
        ChildBuilder::new("announcer")
            .arg("address", listener.local_address())
            .arg("len", u32::MAX),
    );
    let mut sut = FramedStream::new(listener.accept_timeout(PATIENCE).unwrap()).max_frame_len(1024);
    child.expect_report("announced", PATIENCE);
    let err = sut.receive_timeout(PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    assert!(err.to_string().contains("4294967295"), "{err}");
    // The refused payload's bytes are never read as a frame, whatever they look like.
    let err = sut.receive_timeout(PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    child.kill();
}

/// In a child: writes the header and half the payload of a frame, reports, and waits to be
/// killed.
fn half_writer(ctx: &ChildContext) {
    let mut frame = 100_u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&[9; 50]);
    // Both streams stay open until the parent kills this process.
    let _stream: Box<dyn std::any::Any> = match ctx.arg("path") {
        Some(path) => {
            let address = ipc_sock::UnixAddress::path(path).unwrap();
            let stream = UnixStream::connect_timeout(&address, PATIENCE).unwrap();
            stream.send_all(&frame).unwrap();
            Box::new(stream)
        }
        None => {
            let stream = connect(ctx);
            stream.send_all(&frame).unwrap();
            Box::new(stream)
        }
    };
    ctx.report("half sent");
    park_forever();
}

fn assert_half_frame_is_an_error<S: ipc_sock::StreamSocket>(
    sut: S,
    child: &mut ipc_core::testing::Child,
) {
    let mut sut = FramedStream::new(sut);
    child.expect_report("half sent", PATIENCE);
    // The half frame is kept across a timeout, not handed out.
    let err = sut.receive_timeout(crate::support::SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    child.kill();
    let err = sut.receive_timeout(PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        err.detail(),
        Some("the stream ended after 50 of 100 payload bytes"),
        "{err}"
    );
    let err = sut.receive_timeout(PATIENCE).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::CorruptSharedState,
        "never a clean end after a cut frame: {err}"
    );
}

#[test]
fn a_tcp_peer_killed_inside_a_frame_is_an_error_never_a_short_frame() {
    if let Some(ctx) = ChildContext::current() {
        half_writer(&ctx);
        return;
    }
    let listener = TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let mut child = Spawner::lock()
        .spawn(ChildBuilder::new("half_writer").arg("address", listener.local_address()));
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    assert_half_frame_is_an_error(sut, &mut child);
}

#[test]
fn a_unix_peer_killed_inside_a_frame_is_an_error_never_a_short_frame() {
    if let Some(ctx) = ChildContext::current() {
        half_writer(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = UnixListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("half_writer").arg("path", path.path().display()));
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    assert_half_frame_is_an_error(&sut, &mut child);
    drop(listener);
    path.assert_nothing_left();
}

mod codec {
    use ipc_sock::{FramedStream, UnixStream};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn frames_written_in_arbitrary_pieces_come_out_whole_and_in_order(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..10),
            cuts in proptest::collection::vec(any::<usize>(), 0..20),
        ) {
            let (a, b) = UnixStream::pair().unwrap();
            let mut bytes = Vec::new();
            for payload in &payloads {
                bytes.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_le_bytes());
                bytes.extend_from_slice(payload);
            }
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.extend([0, bytes.len()]);
            cuts.sort_unstable();
            cuts.dedup();
            let mut sut = FramedStream::new(b);
            let mut received = Vec::new();
            for piece in cuts.windows(2) {
                a.send_all(&bytes[piece[0]..piece[1]]).unwrap();
                loop {
                    match sut.try_receive() {
                        Ok(Some(payload)) => received.push(payload),
                        Ok(None) => unreachable!("the writer is open"),
                        Err(err) => {
                            prop_assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
                            break;
                        }
                    }
                }
            }
            drop(a);
            prop_assert_eq!(sut.receive().unwrap(), None);
            prop_assert_eq!(received, payloads);
        }

        #[test]
        fn what_a_framed_sender_sends_a_framed_receiver_gets(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2000), 0..10),
        ) {
            let (a, b) = UnixStream::pair().unwrap();
            let mut sender = FramedStream::new(a);
            let mut sut = FramedStream::new(b);
            for payload in &payloads {
                sender.send(payload).unwrap();
                prop_assert_eq!(sut.receive().unwrap(), Some(payload.clone()));
            }
        }

        #[test]
        fn arbitrary_bytes_give_frames_within_the_limit_or_errors_never_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
            max in 0usize..512,
        ) {
            let (a, b) = UnixStream::pair().unwrap();
            a.send_all(&bytes).unwrap();
            drop(a);
            let mut sut = FramedStream::new(b).max_frame_len(max);
            for _ in 0..=bytes.len() {
                match sut.receive() {
                    Ok(Some(payload)) => prop_assert!(payload.len() <= max),
                    Ok(None) | Err(_) => break,
                }
            }
        }
    }
}
