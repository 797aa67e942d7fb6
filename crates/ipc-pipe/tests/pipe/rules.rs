//! The read and write rules of §1.1, with the peer in another process: empty pipe, full pipe,
//! and a closed write end.

use std::io;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_pipe::{PIPE_BUF, pipe};

use crate::support::{
    END_FD, FILL_BYTE, PATIENCE, SECOND_FD, Spawner, Watchdog, fill, hold_end_and_park,
    park_forever, pattern, read_all, spawn_with_control, spawn_with_reader, spawn_with_writer,
    take_reader, take_writer, wait_for_go,
};

#[test]
fn a_blocking_read_waits_until_the_child_writes() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        ctx.report("writing");
        writer.write_all(b"written by the child").unwrap();
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    let _watchdog = Watchdog::new([child.pid()]);
    // The child has not even started its test yet: a read that did not wait would fail with
    // WouldBlock or return end of input here.
    let mut buf = [0_u8; 64];
    let n = sut.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"written by the child");
    child.expect_report("writing", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn try_read_on_an_empty_pipe_would_block_while_a_child_holds_the_writer() {
    if let Some(ctx) = ChildContext::current() {
        hold_end_and_park(&ctx);
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("holder"));
    child.expect_report("holding", PATIENCE);
    let err = sut.try_read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::WouldBlock);
    assert!(
        !sut.is_nonblocking().unwrap(),
        "try_read must not set O_NONBLOCK on the shared description"
    );
    child.kill();
    assert_eq!(
        sut.try_read(&mut [0; 8]).unwrap(),
        0,
        "with the writer gone, an empty pipe is end of input, not WouldBlock"
    );
}

#[test]
fn a_nonblocking_reader_would_block_on_an_empty_pipe_in_every_process_that_shares_it() {
    if let Some(ctx) = ChildContext::current() {
        let reader = take_reader(&ctx, END_FD);
        let shared = reader.is_nonblocking().unwrap();
        let kind = reader.read(&mut [0; 8]).unwrap_err().kind();
        ctx.report(&format!("nonblocking={shared} read={kind:?}"));
        return;
    }
    let (sut, writer) = pipe().unwrap();
    sut.set_nonblocking(true).unwrap();
    assert!(sut.is_nonblocking().unwrap());
    let err = sut.read(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let spawner = Spawner::lock();
    // The flag belongs to the open file description, which the child's copy shares.
    let mut child = spawner.spawn(ChildBuilder::new("reader").inherit_fd(&sut, END_FD));
    drop(spawner);
    child.expect_report("nonblocking=true read=WouldBlock", PATIENCE);
    child.expect_success(PATIENCE);
    drop(writer);
}

#[test]
fn a_full_pipe_makes_try_write_would_block_while_a_child_holds_the_reader() {
    if let Some(ctx) = ChildContext::current() {
        hold_end_and_park(&ctx);
    }
    let (mut child, sut) = spawn_with_reader(ChildBuilder::new("holder"));
    child.expect_report("holding", PATIENCE);
    assert_eq!(fill(&sut), sut.capacity().unwrap());
    for (path, err) in [
        ("try_write", sut.try_write(b"x").unwrap_err()),
        ("try_write_atomic", sut.try_write_atomic(b"x").unwrap_err()),
    ] {
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{path}: {err}");
    }
    assert!(!sut.is_nonblocking().unwrap());
}

#[test]
fn a_blocking_write_on_a_full_pipe_completes_once_a_child_drains_it() {
    if let Some(ctx) = ChildContext::current() {
        let reader = take_reader(&ctx, END_FD);
        ctx.report("ready");
        wait_for_go(&ctx, SECOND_FD);
        let got = read_all(&reader);
        let capacity: usize = ctx.arg("capacity").unwrap().parse().unwrap();
        let (filled, rest) = got.split_at(capacity.min(got.len()));
        let intact =
            filled.iter().all(|&b| b == FILL_BYTE) && rest == pattern(2 * capacity).as_slice();
        ctx.report(&format!("received={} intact={intact}", got.len()));
        return;
    }
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    let capacity = sut.capacity().unwrap();
    let (mut child, control) = spawn_with_control(
        &spawner,
        ChildBuilder::new("drainer")
            .arg("capacity", capacity)
            .inherit_fd(&reader, END_FD),
    );
    drop((reader, spawner));
    let watchdog = Watchdog::new([child.pid()]);
    child.expect_report("ready", PATIENCE);
    assert_eq!(fill(&sut), capacity);
    assert_eq!(
        sut.try_write(b"x").unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    drop(control);
    // Twice the capacity cannot go in before the child has drained at least as much.
    sut.write_all(&pattern(2 * capacity)).unwrap();
    drop(sut);
    child.expect_report(&format!("received={} intact=true", 3 * capacity), PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn the_reader_gets_the_remaining_data_then_end_of_input_after_the_writer_child_exits() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(&pattern(3 * PIPE_BUF + 7)).unwrap();
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_success(PATIENCE);
    // The only writer is gone: no read below can block.
    let mut got = Vec::new();
    let mut buf = [0_u8; 1000];
    loop {
        let n = sut.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, pattern(3 * PIPE_BUF + 7));
    assert_eq!(sut.read(&mut buf).unwrap(), 0, "end of input stays");
}

#[test]
fn read_timeout_on_a_pipe_whose_only_writer_was_killed_returns_end_of_input() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(b"before the kill").unwrap();
        ctx.report("holding");
        park_forever();
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_report("holding", PATIENCE);
    child.kill();
    let mut buf = [0_u8; 64];
    let n = sut.read_timeout(&mut buf, PATIENCE).unwrap();
    assert_eq!(&buf[..n], b"before the kill");
    let end = sut.read_timeout(&mut buf, PATIENCE);
    assert_eq!(
        end.unwrap(),
        0,
        "a killed writer is end of input, not TimedOut"
    );
}

#[test]
fn writes_to_a_reader_child_that_was_killed_are_peer_gone() {
    if let Some(ctx) = ChildContext::current() {
        let reader = take_reader(&ctx, END_FD);
        let mut buf = [0_u8; 5];
        let n = reader.read(&mut buf).unwrap();
        ctx.report(&format!("read {}", String::from_utf8_lossy(&buf[..n])));
        park_forever();
    }
    let (mut child, sut) = spawn_with_reader(ChildBuilder::new("reader"));
    sut.write_all(b"hello").unwrap();
    child.expect_report("read hello", PATIENCE);
    child.kill();
    let err = sut.write(b"anyone?").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
}

#[test]
fn two_pipes_carry_a_request_and_its_reply_between_parent_and_child() {
    if let Some(ctx) = ChildContext::current() {
        let requests = take_reader(&ctx, END_FD);
        let replies = take_writer(&ctx, SECOND_FD);
        let request = read_all(&requests);
        let mut reply = b"re: ".to_vec();
        reply.extend_from_slice(&request);
        replies.write_all(&reply).unwrap();
        return;
    }
    let spawner = Spawner::lock();
    // A pipe is one-way: a request and its reply need one pipe each.
    let (request_reader, sut) = pipe().unwrap();
    let (replies, reply_writer) = pipe().unwrap();
    let mut child = spawner.spawn(
        ChildBuilder::new("server")
            .inherit_fd(&request_reader, END_FD)
            .inherit_fd(&reply_writer, SECOND_FD),
    );
    drop((request_reader, reply_writer, spawner));
    let watchdog = Watchdog::new([child.pid()]);
    sut.write_all(b"ping").unwrap();
    drop(sut);
    assert_eq!(read_all(&replies), b"re: ping");
    child.expect_success(PATIENCE);
    drop(watchdog);
}
