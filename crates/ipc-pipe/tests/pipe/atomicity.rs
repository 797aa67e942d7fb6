//! Atomicity (§1.1): writes of at most `PIPE_BUF` bytes from several processes never
//! interleave, and `write_atomic` refuses a larger message rather than split it.

use std::io::Read;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_pipe::PIPE_BUF;

use crate::support::{
    END_FD, PATIENCE, SECOND_FD, Watchdog, park_forever, spawn_with_writer,
    spawn_writers_with_control, take_writer, wait_for_go,
};

/// Concurrent writer processes.
const WRITERS: u32 = 4;

/// Records each writer sends.
const RECORDS: u32 = 256;

/// A `PIPE_BUF`-sized record: the 8-byte word (writer id, sequence number) over and over, so a
/// record cut by another writer's bytes shows as a chunk whose words differ.
fn record(writer: u32, seq: u32) -> Vec<u8> {
    let mut word = [0_u8; 8];
    word[..4].copy_from_slice(&writer.to_le_bytes());
    word[4..].copy_from_slice(&seq.to_le_bytes());
    word.repeat(PIPE_BUF / word.len())
}

/// The (writer, sequence) of a received chunk, or `None` if its words are not all equal.
fn parse(chunk: &[u8]) -> Option<(u32, u32)> {
    let first = &chunk[..8];
    if !chunk.chunks_exact(8).all(|word| word == first) {
        return None;
    }
    let writer = u32::from_le_bytes(first[..4].try_into().unwrap());
    let seq = u32::from_le_bytes(first[4..].try_into().unwrap());
    Some((writer, seq))
}

#[test]
fn pipe_buf_records_from_concurrent_writer_children_never_interleave() {
    if let Some(ctx) = ChildContext::current() {
        let id: u32 = ctx.arg("id").unwrap().parse().unwrap();
        let sut = take_writer(&ctx, END_FD);
        let records: Vec<Vec<u8>> = (0..RECORDS).map(|seq| record(id, seq)).collect();
        ctx.report("ready");
        wait_for_go(&ctx, SECOND_FD);
        for rec in &records {
            sut.write_atomic(rec).unwrap();
        }
        return;
    }
    let (mut children, mut reader, go) = spawn_writers_with_control(
        (0..WRITERS).map(|id| ChildBuilder::new("writer").arg("id", id)),
    );
    let watchdog = Watchdog::new(children.iter().map(|child| child.pid()));
    for child in &mut children {
        child.expect_report("ready", PATIENCE);
    }
    // Closing the control pipe releases every writer at once.
    drop(go);

    let mut next_seq = [0_u32; WRITERS as usize];
    let mut chunk = vec![0_u8; PIPE_BUF];
    let mut received = 0;
    while received < WRITERS * RECORDS {
        reader
            .read_exact(&mut chunk)
            .unwrap_or_else(|err| panic!("after {received} records: {err}"));
        let (writer, seq) = parse(&chunk)
            .unwrap_or_else(|| panic!("record {received} is interleaved with another"));
        assert!(writer < WRITERS, "record {received} names writer {writer}");
        let expected = &mut next_seq[writer as usize];
        assert_eq!(seq, *expected, "writer {writer}'s records out of order");
        *expected += 1;
        received += 1;
    }
    assert_eq!(reader.read(&mut chunk).unwrap(), 0, "more than was sent");
    assert_eq!(next_seq, [RECORDS; WRITERS as usize]);
    for child in &mut children {
        child.expect_success(PATIENCE);
    }
    drop(watchdog);
}

#[test]
fn an_atomic_write_over_pipe_buf_is_refused_and_writes_nothing() {
    if let Some(ctx) = ChildContext::current() {
        let sut = take_writer(&ctx, END_FD);
        let message = vec![9_u8; PIPE_BUF + 1];
        let kinds = [
            sut.write_atomic(&message).unwrap_err().kind(),
            sut.try_write_atomic(&message).unwrap_err().kind(),
            sut.write_atomic_timeout(&message, PATIENCE)
                .unwrap_err()
                .kind(),
        ];
        ctx.report(&format!("{kinds:?}"));
        park_forever();
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_report(
        "[MessageTooLarge, MessageTooLarge, MessageTooLarge]",
        PATIENCE,
    );
    // The writer is alive and nothing was written: the pipe is empty, not at its end.
    let err = reader.try_read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    child.kill();
    assert_eq!(
        reader.try_read(&mut [0; 8]).unwrap(),
        0,
        "no byte ever came"
    );
}
