//! The decoder's unit tests: frames split anywhere, sticky failures, bounded allocation.

use std::collections::VecDeque;

use super::*;
use crate::frame::header::{DEFAULT_MAX_FRAME_LEN, encode_frame_header};
use proptest::prelude::*;

/// A stream over `bytes` cut into `chunks`, with a `WouldBlock` between two chunks, as a
/// non-blocking transport fed in bursts would be.
struct Bursts {
    chunks: VecDeque<Vec<u8>>,
    stall_next: bool,
}

impl Bursts {
    fn new(bytes: &[u8], cuts: &[usize]) -> Self {
        let mut cuts: Vec<usize> = cuts.iter().map(|&cut| cut % (bytes.len() + 1)).collect();
        cuts.extend([0, bytes.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        let chunks = cuts
            .windows(2)
            .map(|w| bytes[w[0]..w[1]].to_vec())
            .collect();
        Self {
            chunks,
            stall_next: false,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        assert!(!buf.is_empty(), "the decoder never reads into nothing");
        if std::mem::take(&mut self.stall_next) {
            return Err(Error::new(ErrorKind::WouldBlock, "read"));
        }
        let Some(chunk) = self.chunks.front_mut() else {
            return Ok(0);
        };
        let n = buf.len().min(chunk.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        chunk.drain(..n);
        if chunk.is_empty() {
            self.chunks.pop_front();
            self.stall_next = true;
        }
        Ok(n)
    }
}

fn encode(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for payload in payloads {
        bytes.extend(encode_frame_header(payload.len(), usize::MAX, "send", "s").unwrap());
        bytes.extend(payload);
    }
    bytes
}

/// What a correct reader makes of `bytes`: the frames before the first failure, and that
/// failure's kind (`None` for a clean end).
fn model(bytes: &[u8], max: usize) -> (Vec<Vec<u8>>, Option<ErrorKind>) {
    let mut frames = Vec::new();
    let mut rest = bytes;
    loop {
        if rest.is_empty() {
            return (frames, None);
        }
        let Some((header, tail)) = rest.split_first_chunk::<FRAME_HEADER_LEN>() else {
            return (frames, Some(ErrorKind::UnexpectedEof));
        };
        let len = u32::from_le_bytes(*header) as usize;
        if len > max {
            return (frames, Some(ErrorKind::MessageTooLarge));
        }
        if tail.len() < len {
            return (frames, Some(ErrorKind::UnexpectedEof));
        }
        frames.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
}

/// Drives `sut` over `stream` until the end or a failure of its own, retrying on
/// `WouldBlock`: the frames it gave and the failure's kind.
fn drive(sut: &mut FrameDecoder, stream: &mut Bursts) -> (Vec<Vec<u8>>, Option<ErrorKind>) {
    let mut frames = Vec::new();
    let mut payload = Vec::new();
    loop {
        match sut.receive(
            "receive",
            || Object::from("s"),
            &mut payload,
            |buf| stream.read(buf),
        ) {
            Ok(true) => frames.push(payload.clone()),
            Ok(false) => return (frames, None),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) => return (frames, Some(err.kind())),
        }
    }
}

proptest! {
    #[test]
    fn frames_split_anywhere_by_would_block_come_out_whole_and_in_order(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
        large in proptest::option::weighted(0.2, proptest::collection::vec(any::<u8>(), FRAME_READ_CHUNK..FRAME_READ_CHUNK + 2000)),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let mut payloads = payloads;
        payloads.extend(large);
        let bytes = encode(&payloads);
        let mut sut = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
        let (frames, failure) = drive(&mut sut, &mut Bursts::new(&bytes, &cuts));
        prop_assert_eq!(frames, payloads);
        prop_assert_eq!(failure, None);
        prop_assert_eq!(sut.received(), 0);
    }

    #[test]
    fn any_bytes_give_the_frames_a_correct_reader_sees_then_fail_for_good(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        prefix in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..16), 0..4),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
        max in 0usize..64,
    ) {
        // Some whole frames first, so failures also come after a few good frames.
        let mut stream = encode(&prefix);
        stream.extend(&bytes);
        let mut sut = FrameDecoder::new(max);
        let (frames, failure) = drive(&mut sut, &mut Bursts::new(&stream, &cuts));
        let (expected_frames, expected_failure) = model(&stream, max);
        prop_assert_eq!(frames, expected_frames);
        prop_assert_eq!(failure, expected_failure);
        if failure.is_some() {
            prop_assert!(sut.is_out_of_step());
            for _ in 0..3 {
                let err = sut
                    .receive("receive", || Object::from("s"), &mut Vec::new(), |_| Ok(0))
                    .unwrap_err();
                prop_assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
            }
        }
    }
}

#[test]
fn a_refused_payload_is_never_read_as_a_header() {
    // The probe: a payload over the limit that starts with a header of its own.
    let bytes = [12, 0, 0, 0, 3, 0, 0, 0, b'e', b'v', b'i', b'l', 0, 0, 0, 0];
    let mut stream = Bursts::new(&bytes, &[]);
    let mut sut = FrameDecoder::new(8);
    let mut payload = b"kept".to_vec();
    let mut receive = |sut: &mut FrameDecoder, payload: &mut Vec<u8>| {
        sut.receive(
            "receive",
            || Object::from("s"),
            payload,
            |buf| stream.read(buf),
        )
    };
    let err = receive(&mut sut, &mut payload).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
    for _ in 0..2 {
        let err = receive(&mut sut, &mut payload).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
        assert_eq!(
            err.to_string(),
            "receive s: corrupt shared state: the frame stream is out of step since an \
             earlier receive failed (receive s: message too large: a frame header announces \
             12 bytes, more than the limit of 8 bytes); close it"
        );
    }
    assert_eq!(payload, b"kept");
}

#[test]
fn a_stream_that_ended_inside_a_frame_never_reads_as_a_clean_end() {
    let bytes = [5, 0, 0, 0, b'a', b'b'];
    let mut stream = Bursts::new(&bytes, &[]);
    let mut sut = FrameDecoder::new(8);
    let mut receive = |sut: &mut FrameDecoder| loop {
        let result = sut.receive(
            "receive",
            || Object::from("s"),
            &mut Vec::new(),
            |buf| stream.read(buf),
        );
        match result {
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            other => break other,
        }
    };
    let err = receive(&mut sut).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        err.detail(),
        Some("the stream ended after 2 of 5 payload bytes")
    );
    let err = receive(&mut sut).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
}

#[test]
fn a_hard_read_error_inside_a_frame_leaves_the_stream_out_of_step() {
    for bytes in [&[3, 0][..], &[3, 0, 0, 0, b'a'][..]] {
        let mut stream = bytes;
        let mut calls = 0;
        let mut read = |buf: &mut [u8]| {
            calls += 1;
            if stream.is_empty() {
                return Err(Error::new(ErrorKind::PeerGone, "read"));
            }
            let n = buf.len().min(stream.len());
            buf[..n].copy_from_slice(&stream[..n]);
            stream = &stream[n..];
            Ok(n)
        };
        let mut sut = FrameDecoder::new(8);
        let mut payload = b"kept".to_vec();
        let err = sut
            .receive("receive", || Object::from("s"), &mut payload, &mut read)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
        assert!(
            err.detail().is_some_and(|d| d.contains("out of step")),
            "{err}"
        );
        assert!(sut.is_out_of_step());
        let err = sut
            .receive("receive", || Object::from("s"), &mut payload, &mut read)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
        assert_eq!(payload, b"kept");
    }
}

#[test]
fn a_hard_read_error_between_frames_leaves_the_stream_resumable() {
    let mut failed = false;
    let mut stream = &[1, 0, 0, 0, b'z'][..];
    let mut read = |buf: &mut [u8]| {
        if !failed {
            failed = true;
            return Err(Error::new(ErrorKind::PeerGone, "read"));
        }
        let n = buf.len().min(stream.len());
        buf[..n].copy_from_slice(&stream[..n]);
        stream = &stream[n..];
        Ok(n)
    };
    let mut sut = FrameDecoder::new(8);
    let mut payload = Vec::new();
    let err = sut
        .receive("receive", || Object::from("s"), &mut payload, &mut read)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
    assert!(!sut.is_out_of_step());
    assert!(
        sut.receive("receive", || Object::from("s"), &mut payload, &mut read)
            .unwrap()
    );
    assert_eq!(payload, b"z");
}

#[test]
fn a_timed_out_read_inside_a_frame_resumes() {
    let mut stalled = false;
    let mut stream = &[1, 0, 0, 0, b'z'][..];
    let mut read = |buf: &mut [u8]| {
        if stream.len() == 1 && !stalled {
            stalled = true;
            return Err(Error::new(ErrorKind::TimedOut, "read"));
        }
        let n = buf.len().min(stream.len());
        buf[..n].copy_from_slice(&stream[..n]);
        stream = &stream[n..];
        Ok(n)
    };
    let mut sut = FrameDecoder::new(8);
    let mut payload = Vec::new();
    let err = sut
        .receive("receive", || Object::from("s"), &mut payload, &mut read)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(!sut.is_out_of_step());
    assert!(
        sut.receive("receive", || Object::from("s"), &mut payload, &mut read)
            .unwrap()
    );
    assert_eq!(payload, b"z");
}

#[test]
fn a_large_announcement_allocates_only_for_the_bytes_that_came() {
    let mut bytes = encode_frame_header(DEFAULT_MAX_FRAME_LEN, DEFAULT_MAX_FRAME_LEN, "s", "s")
        .unwrap()
        .to_vec();
    bytes.extend([7; 10]);
    let mut stream = Bursts::new(&bytes, &[]);
    stream.chunks.push_back(Vec::new());
    let mut sut = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
    let err = sut
        .receive(
            "receive",
            || Object::from("s"),
            &mut Vec::new(),
            |buf| {
                match stream.read(buf) {
                    // The empty chunk stands for "nothing more yet".
                    Ok(0) => Err(Error::new(ErrorKind::WouldBlock, "read")),
                    other => other,
                }
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_eq!(sut.received(), FRAME_HEADER_LEN + 10);
    assert!(
        sut.payload.capacity() <= FRAME_READ_CHUNK,
        "{} bytes held for 10 that came",
        sut.payload.capacity()
    );
}
