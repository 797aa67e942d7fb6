//! The framed stream's unit tests: whole frames, part-sent frames, and what a send took.

use super::*;
use crate::UnixStream;
use ipc_core::{ErrorKind, FRAME_HEADER_LEN};

#[test]
fn a_framed_stream_is_send_and_sync_when_its_stream_is() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FramedStream<UnixStream>>();
    assert_send_sync::<FramedStream<crate::TcpStream>>();
}

#[test]
fn a_frame_fed_a_byte_at_a_time_comes_out_whole_once() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut sut = FramedStream::new(b);
    let mut bytes = encode_frame_header(3, 3, "t", "t").unwrap().to_vec();
    bytes.extend_from_slice(b"abc");
    for byte in &bytes {
        assert_eq!(sut.try_receive().unwrap_err().kind(), ErrorKind::WouldBlock);
        a.send_all(&[*byte]).unwrap();
    }
    assert_eq!(sut.try_receive().unwrap().as_deref(), Some(&b"abc"[..]));
    assert_eq!(sut.try_receive().unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn an_oversized_payload_is_refused_before_anything_is_sent() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut sut = FramedStream::new(a).max_frame_len(2);
    let err = sut.send(b"abc").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    assert_eq!(sut.unsent(), 0);
    let err = b.try_receive(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "nothing was sent");
}

#[test]
fn a_send_that_stops_inside_a_frame_finishes_it_before_the_next() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut sut = FramedStream::new(&a);
    let big = vec![7_u8; 4 << 20];
    let err = sut.try_send(&big).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert!(sut.unsent() > 0 && sut.unsent() < big.len() + FRAME_HEADER_LEN);
    let reader = std::thread::spawn(move || {
        let mut framed = FramedStream::new(b);
        (framed.receive().unwrap(), framed.receive().unwrap())
    });
    sut.send(b"next").unwrap();
    let (first, second) = reader.join().unwrap();
    assert_eq!(first.map(|p| p.len()), Some(big.len()));
    assert_eq!(second.as_deref(), Some(&b"next"[..]));
}

#[test]
fn a_refused_payload_is_never_read_as_frames() {
    // The probe: a payload over the limit that starts with a header of its own.
    let (a, b) = UnixStream::pair().unwrap();
    a.send_all(&[12, 0, 0, 0, 3, 0, 0, 0, b'e', b'v', b'i', b'l', 0, 0, 0, 0])
        .unwrap();
    let mut sut = FramedStream::new(b).max_frame_len(8);
    let err = sut.receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    for _ in 0..2 {
        let err = sut.try_receive().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    }
}

#[test]
fn a_peer_that_closed_inside_a_frame_is_never_a_clean_end_later() {
    let (a, b) = UnixStream::pair().unwrap();
    a.send_all(&[5, 0, 0, 0, b'h']).unwrap();
    drop(a);
    let mut sut = FramedStream::new(b);
    let err = sut.receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        err.detail(),
        Some("the stream ended after 1 of 5 payload bytes")
    );
    let err = sut.receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
}

#[test]
fn a_send_stopped_inside_a_frame_keeps_the_os_error_as_its_source() {
    let (a, _b) = UnixStream::pair().unwrap();
    let mut sut = FramedStream::new(a);
    let err = sut.try_send(&vec![7_u8; 4 << 20]).unwrap_err();
    assert!(sut.unsent() > 0, "part of the frame went");
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_eq!(err.raw_os_error(), Some(libc::EAGAIN), "{err}");
    assert!(std::error::Error::source(&err).is_some(), "{err}");
    assert!(
        err.detail()
            .is_some_and(|detail| detail.contains("frame bytes went before this error")),
        "{err}"
    );
}

#[test]
fn a_send_behind_a_part_sent_frame_says_its_payload_was_not_taken() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut sut = FramedStream::new(&a);
    let big = vec![7_u8; 4 << 20];
    let err = sut.try_send(&big).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert!(err.transferred().is_some_and(|n| n > 0), "taken: {err}");

    let err = sut.try_send(b"second").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_eq!(err.transferred(), None, "{err}");
    assert!(
        err.detail().is_some_and(|detail| detail
            .contains("the previous frame is still being sent; this payload was not taken")),
        "{err}"
    );
    let err = sut
        .send_timeout(b"third", Duration::from_millis(1))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_eq!(err.transferred(), None, "{err}");
    assert!(
        err.detail()
            .is_some_and(|detail| detail.contains("this payload was not taken")),
        "{err}"
    );

    let reader = std::thread::spawn(move || {
        let mut framed = FramedStream::new(b);
        let mut frames = Vec::new();
        while let Some(frame) = framed.receive().unwrap() {
            frames.push(frame);
        }
        frames
    });
    sut.send(b"second").unwrap();
    drop(sut);
    drop(a);
    let frames = reader.join().unwrap();
    assert_eq!(
        frames.len(),
        2,
        "frame 1, then frame 2 as re-sent, nothing else"
    );
    assert_eq!(frames[0], big);
    assert_eq!(frames[1], b"second");
}
