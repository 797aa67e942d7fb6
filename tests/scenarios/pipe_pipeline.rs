//! A two-stage pipeline: the parent sends framed records to a filter process over an anonymous
//! pipe; the filter forwards them, transformed, to the parent over a FIFO it found by name.

use std::time::Duration;

use ipc_core::ErrorKind;
use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, TempPath};
use ipc_pipe::{Fifo, FrameReader, FrameWriter, Reader, Writer};

const BOUND: Duration = Duration::from_secs(20);
const RECORDS: u32 = 2_000;

/// The filter: reads frames from the pipe at fd 10, writes each one upper-cased with its
/// checksum to the FIFO named by the `fifo` argument, and ends when its input ends.
fn filter(ctx: &ChildContext) {
    let input = Reader::from(ctx.take_fd(10));
    let fifo = Fifo::open(ctx.arg("fifo").expect("the fifo argument")).expect("the FIFO exists");
    let output = fifo.open_writer().expect("the parent reads the FIFO");
    ctx.report("connected");
    let mut frames_in = FrameReader::new(input);
    let mut frames_out = FrameWriter::new(&output).atomic_only();
    while let Some(record) = frames_in.receive().expect("whole frames from the parent") {
        let mut out = record.to_ascii_uppercase();
        out.extend_from_slice(&checksum(&record).to_le_bytes());
        frames_out.send(&out).expect("the parent still reads");
    }
}

/// The child roles of this module's tests.
fn roles(ctx: &ChildContext) {
    match ctx.role() {
        "filter" => filter(ctx),
        other => panic!("unknown role {other}"),
    }
}

/// Starts a [`filter`] child that feeds the FIFO `fifo`, and waits until it is connected;
/// returns the child, the write end of the pipe into it, and the read end of the FIFO.
fn start_filter(fifo: &Fifo) -> (Child, Writer, Reader) {
    // Held until our copy of the filter's read end is closed, so no other test's child copies it.
    let spawner = SpawnLock::lock();
    let (to_filter_reader, to_filter_writer) = ipc_pipe::pipe().expect("a pipe");
    let mut sut = spawner.spawn(
        ChildBuilder::new("filter")
            .arg("fifo", fifo.path().display())
            .inherit_fd(&to_filter_reader, 10),
    );
    drop((to_filter_reader, spawner));
    let from_filter = fifo
        .open_reader_timeout(BOUND)
        .expect("the filter opens the FIFO");
    sut.expect_report("connected", BOUND);
    (sut, to_filter_writer, from_filter)
}

fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn record(i: u32) -> Vec<u8> {
    format!("record {i} {}", "x".repeat((i % 97) as usize)).into_bytes()
}

#[test]
fn records_cross_a_pipe_and_a_fifo_in_order_and_whole() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let path = TempPath::new("pipeline-fifo");
    let fifo = Fifo::create_new(path.path()).expect("a new FIFO");
    let (mut sut, to_filter_writer, from_filter) = start_filter(&fifo);

    // Write on another thread while this one reads: the pipe and the FIFO each hold 64 KiB,
    // so writing everything before reading could fill both and stall the filter.
    let writer = std::thread::spawn(move || {
        let mut frames = FrameWriter::new(&to_filter_writer);
        for i in 0..RECORDS {
            frames.send(&record(i)).expect("the filter reads");
        }
    });
    let mut frames = FrameReader::new(from_filter);
    for i in 0..RECORDS {
        let got = frames
            .receive()
            .expect("a whole frame")
            .expect("not the end yet");
        let (text, sum) = got.split_at(got.len() - 4);
        let original = record(i);
        assert_eq!(
            text,
            original.to_ascii_uppercase(),
            "record {i} arrives in order"
        );
        assert_eq!(
            sum,
            checksum(&original).to_le_bytes(),
            "record {i} arrives intact"
        );
    }
    writer.join().expect("the writer thread");
    assert_eq!(
        frames.receive().expect("a clean end"),
        None,
        "the filter's exit ends the stream"
    );
    sut.expect_success(BOUND);
}

#[test]
fn a_filter_killed_mid_stream_leaves_whole_frames_then_an_end() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let path = TempPath::new("pipeline-fifo");
    let fifo = Fifo::create_new(path.path()).expect("a new FIFO");
    let (mut sut, to_filter_writer, from_filter) = start_filter(&fifo);

    let mut frames_out = FrameWriter::new(&to_filter_writer);
    for i in 0..10 {
        frames_out.send(&record(i)).expect("the filter reads");
    }
    let mut frames_in = FrameReader::new(from_filter);
    for i in 0..10 {
        let got = frames_in
            .receive()
            .expect("a whole frame")
            .expect("a record");
        assert_eq!(&got[..got.len() - 4], record(i).to_ascii_uppercase());
    }
    sut.kill();
    // Its frames are atomic writes, so the stream ends cleanly, between frames.
    assert_eq!(frames_in.receive().expect("no truncated frame"), None);
    // And the parent's next write finds the reader gone, without SIGPIPE.
    let err = frames_out.send(&record(10)).expect_err("no reader is left");
    assert_eq!(err.kind(), ErrorKind::PeerGone);
}
