//! The four special scenarios of §1.4, each between two processes, and a peer killed in the
//! middle of a stream.
//!
//! The reference says of the fourth: "Kernel terminates the writing process". This crate's
//! answer is `PeerGone` instead, and the writer lives on.

use std::io;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext, SigpipeDisposition, set_sigpipe};

use crate::support::{
    END_FD, PATIENCE, QUIET, Watchdog, park_forever, pattern, read_all, spawn_with_reader,
    spawn_with_writer, take_reader, take_writer,
};

/// How much the killed writer writes before it reports progress.
const PROGRESS: usize = 8000;

#[test]
fn a_reader_child_waits_until_data_is_written() {
    if let Some(ctx) = ChildContext::current() {
        let sut = take_reader(&ctx, END_FD);
        ctx.report("reading");
        let mut buf = [0_u8; 64];
        let n = sut.read(&mut buf).unwrap();
        ctx.report(&format!("got {}", String::from_utf8_lossy(&buf[..n])));
        return;
    }
    let (mut child, writer) = spawn_with_reader(ChildBuilder::new("reader"));
    child.expect_report("reading", PATIENCE);
    let err = child.next_report(QUIET).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::TimedOut,
        "the reader did not wait"
    );
    assert_eq!(
        child.try_wait().unwrap(),
        None,
        "the reader is still waiting"
    );
    writer.write_all(b"data at last").unwrap();
    child.expect_report("got data at last", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_writer_child_blocks_while_the_pipe_is_full_until_the_parent_drains_it() {
    if let Some(ctx) = ChildContext::current() {
        let sut = take_writer(&ctx, END_FD);
        let len = 2 * sut.capacity().unwrap();
        ctx.report("about to write more than the capacity");
        sut.write_all(&pattern(len)).unwrap();
        ctx.report("done");
        return;
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("writer"));
    let capacity = reader.capacity().unwrap();
    let watchdog = Watchdog::new([child.pid()]);
    child.expect_report("about to write more than the capacity", PATIENCE);
    let err = child.next_report(QUIET).unwrap_err();
    assert_eq!(
        err.kind(),
        io::ErrorKind::TimedOut,
        "the writer finished without anyone reading"
    );
    assert_eq!(read_all(&reader), pattern(2 * capacity));
    child.expect_report("done", PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn after_a_writer_child_closes_the_reader_takes_the_rest_and_end_of_input_without_blocking() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(&pattern(10_000)).unwrap();
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_success(PATIENCE);
    // try_read never blocks: every call must return data or end of input, never WouldBlock.
    let mut got = Vec::new();
    let mut buf = [0_u8; 3000];
    loop {
        match sut.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) => panic!("after {} bytes: {err}", got.len()),
        }
    }
    assert_eq!(got, pattern(10_000));
}

#[test]
fn a_writer_child_whose_reader_closes_gets_peer_gone_and_is_not_killed() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Default);
        let sut = take_writer(&ctx, END_FD);
        let chunk = [7_u8; 1000];
        let mut written = 0;
        let err = loop {
            match sut.write_all(&chunk) {
                Ok(()) => written += chunk.len(),
                Err(err) => break err,
            }
            if written == chunk.len() {
                ctx.report("writing");
            }
        };
        ctx.report(&format!("stopped by {:?}", err.kind()));
        assert!(written > 0);
        return;
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_report("writing", PATIENCE);
    let mut buf = [0_u8; 500];
    assert_eq!(reader.read(&mut buf).unwrap(), 500);
    drop(reader);
    child.expect_report("stopped by PeerGone", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_writer_child_killed_mid_stream_leaves_what_it_wrote_then_end_of_input() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        // The stream is the pattern, written in 1000-byte pieces; it never ends on its own, so
        // the child blocks once the pipe is full and waits there for its SIGKILL.
        let stream = pattern(251_000);
        let mut offset = 0;
        loop {
            writer.write_all(&stream[offset..offset + 1000]).unwrap();
            offset = (offset + 1000) % stream.len();
            if offset == PROGRESS {
                ctx.report("progress");
            }
        }
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    let capacity = sut.capacity().unwrap();
    child.expect_report("progress", PATIENCE);
    child.kill();
    let got = read_all(&sut);
    assert!(
        (PROGRESS..=capacity).contains(&got.len()),
        "{} bytes arrived",
        got.len()
    );
    assert_eq!(
        got,
        pattern(got.len()),
        "the bytes arrive intact and in order"
    );
    assert_eq!(sut.read(&mut [0; 8]).unwrap(), 0);
}

#[test]
fn a_parent_writer_whose_reader_child_was_killed_mid_stream_gets_peer_gone() {
    if let Some(ctx) = ChildContext::current() {
        let reader = take_reader(&ctx, END_FD);
        let mut buf = [0_u8; 1000];
        let mut total = 0;
        while total < PROGRESS {
            total += reader.read(&mut buf).unwrap();
        }
        ctx.report("progress");
        park_forever();
    }
    let (mut child, sut) = spawn_with_reader(ChildBuilder::new("reader"));
    let watchdog = Watchdog::new([child.pid()]);
    sut.write_all(&pattern(PROGRESS)).unwrap();
    child.expect_report("progress", PATIENCE);
    child.kill();
    drop(watchdog);
    // The write blocks on no one: the pipe has room, but no reader is left.
    let err = sut.write_all(&pattern(4 * PROGRESS)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
}
