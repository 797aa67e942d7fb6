//! Length-prefixed frames between processes: whole and in order, truncation by a killed writer
//! reported as such, atomic frames from several writers kept apart, limits enforced, and a
//! frame that arrives in parts kept across calls that stop early.

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_pipe::{FRAME_HEADER_LEN, FrameReader, FrameWriter, MAX_ATOMIC_FRAME_LEN, Reader, Writer};

use crate::support::{
    END_FD, PATIENCE, SECOND_FD, SHORT, Watchdog, park_forever, pattern, spawn_with_writer,
    spawn_with_writer_and_control, spawn_writers_with_control, take_writer, wait_for_go,
};

/// The payload sizes of the in-order test: empty, tiny, the largest atomic frame, more than a
/// pipe's capacity, and a mebibyte.
const SIZES: &[usize] = &[0, 1, MAX_ATOMIC_FRAME_LEN, 70_000, 1 << 20];

/// Concurrent frame writers, and the frames each sends.
const WRITERS: u32 = 3;
const FRAMES: u32 = 300;

/// The payload writer `id` sends as frame `seq`: the word (id, seq) repeated, cut to a length
/// that varies with `seq` and is the largest atomic payload every tenth frame.
fn atomic_payload(id: u32, seq: u32) -> Vec<u8> {
    let len = if seq.is_multiple_of(10) {
        MAX_ATOMIC_FRAME_LEN
    } else {
        8 + (seq as usize * 37) % 4000
    };
    let mut word = [0_u8; 8];
    word[..4].copy_from_slice(&id.to_le_bytes());
    word[4..].copy_from_slice(&seq.to_le_bytes());
    let mut payload = word.repeat(len.div_ceil(8));
    payload.truncate(len);
    payload
}

#[test]
fn frames_from_a_child_arrive_whole_and_in_order_then_none() {
    if let Some(ctx) = ChildContext::current() {
        let mut sut = FrameWriter::new(take_writer(&ctx, END_FD));
        for &size in SIZES {
            sut.send(&pattern(size)).unwrap();
        }
        return;
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("sender"));
    let watchdog = Watchdog::new([child.pid()]);
    let mut sut = FrameReader::new(reader);
    for &size in SIZES {
        let payload = sut.receive().unwrap().expect("a frame, not the end");
        assert_eq!(payload.len(), size);
        assert_eq!(payload, pattern(size));
    }
    assert_eq!(sut.receive().unwrap(), None, "a clean end between frames");
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn a_frame_cut_by_killing_its_writer_child_is_unexpected_eof() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        FrameWriter::new(&writer).send(b"whole").unwrap();
        // Half a frame, with raw writes: the header announces 10000 bytes, 5000 follow.
        writer.write_all(&10_000_u32.to_le_bytes()).unwrap();
        writer.write_all(&pattern(5000)).unwrap();
        ctx.report("half-sent");
        park_forever();
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("sender"));
    child.expect_report("half-sent", PATIENCE);
    child.kill();
    let mut sut = FrameReader::new(reader);
    assert_eq!(sut.receive().unwrap().as_deref(), Some(&b"whole"[..]));
    let err = sut.receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        err.detail(),
        Some("the stream ended after 5000 of 10000 payload bytes")
    );
}

#[test]
fn a_header_cut_by_killing_its_writer_child_is_unexpected_eof() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(&[8, 0]).unwrap();
        ctx.report("half-header");
        park_forever();
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("sender"));
    child.expect_report("half-header", PATIENCE);
    child.kill();
    let err = FrameReader::new(reader).receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        err.detail(),
        Some(
            format!("the stream ended 2 bytes into a {FRAME_HEADER_LEN}-byte frame header")
                .as_str()
        )
    );
}

#[test]
fn atomic_frames_from_concurrent_writer_children_never_interleave() {
    if let Some(ctx) = ChildContext::current() {
        let id: u32 = ctx.arg("id").unwrap().parse().unwrap();
        let mut sut = FrameWriter::new(take_writer(&ctx, END_FD)).atomic_only();
        ctx.report("ready");
        wait_for_go(&ctx, SECOND_FD);
        for seq in 0..FRAMES {
            sut.send(&atomic_payload(id, seq)).unwrap();
        }
        return;
    }
    let (mut children, reader, go) = spawn_writers_with_control(
        (0..WRITERS).map(|id| ChildBuilder::new("sender").arg("id", id)),
    );
    let watchdog = Watchdog::new(children.iter().map(|child| child.pid()));
    for child in &mut children {
        child.expect_report("ready", PATIENCE);
    }
    drop(go);

    let mut sut = FrameReader::new(reader);
    let mut next_seq = [0_u32; WRITERS as usize];
    let mut received = 0;
    while let Some(payload) = sut.receive().unwrap() {
        assert!(
            payload.len() >= 8,
            "frame {received} is {} bytes",
            payload.len()
        );
        let id = u32::from_le_bytes(payload[..4].try_into().unwrap());
        let seq = u32::from_le_bytes(payload[4..8].try_into().unwrap());
        assert!(id < WRITERS, "frame {received} names writer {id}");
        assert_eq!(
            seq, next_seq[id as usize],
            "writer {id}'s frames out of order"
        );
        assert!(
            payload == atomic_payload(id, seq),
            "frame {received} (writer {id}, seq {seq}) is mixed with another"
        );
        next_seq[id as usize] += 1;
        received += 1;
    }
    assert_eq!(next_seq, [FRAMES; WRITERS as usize]);
    for child in &mut children {
        child.expect_success(PATIENCE);
    }
    drop(watchdog);
}

#[test]
fn a_frame_header_from_a_child_announcing_more_than_the_limit_is_message_too_large() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(&(1_u32 << 30).to_le_bytes()).unwrap();
        return;
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("sender"));
    child.expect_success(PATIENCE);
    let err = FrameReader::new(reader)
        .max_frame_len(1024)
        .receive()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
}

#[test]
fn an_atomic_only_frame_writer_refuses_a_large_payload_and_writes_nothing() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        let mut sut = FrameWriter::new(&writer).atomic_only();
        let err = sut.send(&[0; MAX_ATOMIC_FRAME_LEN + 1]).unwrap_err();
        ctx.report(&format!("{:?}", err.kind()));
        park_forever();
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("sender"));
    child.expect_report("MessageTooLarge", PATIENCE);
    let err = reader.try_read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
}

/// In a child: sends a frame in two parts, the header and half the payload, then, after the
/// "go" on the control pipe, the rest.
fn split_frame_role(ctx: &ChildContext) {
    let writer = take_writer(ctx, END_FD);
    let payload = pattern(SPLIT_LEN);
    writer.write_all(&(SPLIT_LEN as u32).to_le_bytes()).unwrap();
    writer.write_all(&payload[..SPLIT_LEN / 2]).unwrap();
    ctx.report("half-sent");
    wait_for_go(ctx, SECOND_FD);
    writer.write_all(&payload[SPLIT_LEN / 2..]).unwrap();
    FrameWriter::new(&writer).send(b"next").unwrap();
}

/// The payload length of the frame [`split_frame_role`] sends in two parts.
const SPLIT_LEN: usize = 1000;

/// Spawns [`split_frame_role`]; returns the child, the read end and the control pipe's write
/// end, whose closing is the "go".
fn spawn_split_frame_sender() -> (ipc_core::testing::Child, Reader, Writer) {
    spawn_with_writer_and_control(ChildBuilder::new("sender"))
}

#[test]
fn a_frame_a_child_sends_in_two_parts_survives_a_try_receive_that_would_block_in_between() {
    if let Some(ctx) = ChildContext::current() {
        split_frame_role(&ctx);
        return;
    }
    let (mut child, reader, control) = spawn_split_frame_sender();
    let watchdog = Watchdog::new([child.pid()]);
    let mut sut = FrameReader::new(reader);
    child.expect_report("half-sent", PATIENCE);
    let err = sut.try_receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let err = sut.receive_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    drop(control);
    assert_eq!(
        sut.receive_timeout(PATIENCE).unwrap(),
        Some(pattern(SPLIT_LEN)),
        "the frame resumed whole"
    );
    assert_eq!(
        sut.receive_timeout(PATIENCE).unwrap().as_deref(),
        Some(&b"next"[..])
    );
    assert_eq!(sut.receive_timeout(PATIENCE).unwrap(), None);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn a_frame_reader_on_a_nonblocking_end_resumes_a_frame_after_would_block() {
    if let Some(ctx) = ChildContext::current() {
        split_frame_role(&ctx);
        return;
    }
    let (mut child, reader, control) = spawn_split_frame_sender();
    let watchdog = Watchdog::new([child.pid()]);
    reader.set_nonblocking(true).unwrap();
    let mut sut = FrameReader::new(reader);
    child.expect_report("half-sent", PATIENCE);
    let err = sut.receive().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    sut.get_mut().set_nonblocking(false).unwrap();
    drop(control);
    assert_eq!(
        sut.receive().unwrap(),
        Some(pattern(SPLIT_LEN)),
        "the frame resumed whole"
    );
    assert_eq!(sut.receive().unwrap().as_deref(), Some(&b"next"[..]));
    assert_eq!(sut.receive().unwrap(), None);
    child.expect_success(PATIENCE);
    drop(watchdog);
}
