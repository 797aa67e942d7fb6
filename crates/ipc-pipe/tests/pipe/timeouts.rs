//! The bounded forms (`*_timeout`, `*_deadline`): they wait at least as long as asked when the
//! peer process stays silent, and return the peer's data or room when it arrives in time.

use std::io::IoSlice;
use std::time::Instant;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_pipe::PIPE_BUF;

use crate::support::{
    END_FD, FILL_BYTE, PATIENCE, SECOND_FD, SHORT, Watchdog, assert_waited, fill,
    hold_end_and_park, park_forever, pattern, read_all, spawn_with_reader,
    spawn_with_reader_and_control, spawn_with_writer, spawn_with_writer_and_control, take_reader,
    take_writer, wait_for_go,
};

#[test]
fn read_timeout_with_a_silent_writer_child_times_out_after_at_least_the_timeout() {
    if let Some(ctx) = ChildContext::current() {
        hold_end_and_park(&ctx);
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("holder"));
    child.expect_report("holding", PATIENCE);

    let start = Instant::now();
    let err = sut.read_timeout(&mut [0; 8], SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let deadline = Instant::now() + SHORT;
    let err = sut.read_deadline(&mut [0; 8], deadline).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(Instant::now() >= deadline);
}

#[test]
fn write_timeout_on_a_full_pipe_times_out_after_at_least_the_timeout() {
    if let Some(ctx) = ChildContext::current() {
        hold_end_and_park(&ctx);
    }
    let (mut child, sut) = spawn_with_reader(ChildBuilder::new("holder"));
    child.expect_report("holding", PATIENCE);
    fill(&sut);

    let start = Instant::now();
    let err = sut.write_timeout(b"x", SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let start = Instant::now();
    let err = sut.write_atomic_timeout(b"x", SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let deadline = Instant::now() + SHORT;
    let err = sut.write_deadline(b"x", deadline).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(Instant::now() >= deadline);

    let deadline = Instant::now() + SHORT;
    let err = sut.write_atomic_deadline(b"x", deadline).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(Instant::now() >= deadline);

    let bufs = [IoSlice::new(b"x"), IoSlice::new(b"y")];
    let err = sut.try_write_vectored(&bufs).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");

    let start = Instant::now();
    let err = sut.write_vectored_timeout(&bufs, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let deadline = Instant::now() + SHORT;
    let err = sut.write_vectored_deadline(&bufs, deadline).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(Instant::now() >= deadline);
}

#[test]
fn read_timeout_returns_the_data_a_child_writes_within_the_timeout() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        ctx.report("writing");
        writer.write_all(b"in time").unwrap();
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    // Called before the child has started: the data arrives during the wait.
    let mut buf = [0_u8; 16];
    let n = sut.read_timeout(&mut buf, PATIENCE).unwrap();
    assert_eq!(&buf[..n], b"in time");
    child.expect_report("writing", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn write_timeout_on_a_full_pipe_completes_when_a_child_drains_within_the_timeout() {
    if let Some(ctx) = ChildContext::current() {
        let reader = take_reader(&ctx, END_FD);
        ctx.report("ready");
        wait_for_go(&ctx, SECOND_FD);
        ctx.report(&format!("received={}", read_all(&reader).len()));
        return;
    }
    let (mut child, sut, control) = spawn_with_reader_and_control(ChildBuilder::new("drainer"));
    child.expect_report("ready", PATIENCE);
    let filled = fill(&sut);
    drop(control);
    assert_eq!(
        sut.write_timeout(&[1; PIPE_BUF], PATIENCE).unwrap(),
        PIPE_BUF
    );
    drop(sut);
    child.expect_report(&format!("received={}", filled + PIPE_BUF), PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn an_atomic_write_that_does_not_fit_whole_times_out_and_writes_nothing() {
    if let Some(ctx) = ChildContext::current() {
        let reader = take_reader(&ctx, END_FD);
        ctx.report("ready");
        wait_for_go(&ctx, SECOND_FD);
        let got = read_all(&reader);
        let stray = got.iter().filter(|&&b| b == FILL_BYTE).count();
        ctx.report(&format!("received={} stray={stray}", got.len()));
        return;
    }
    let (mut child, sut, control) = spawn_with_reader_and_control(ChildBuilder::new("drainer"));
    let watchdog = Watchdog::new([child.pid()]);
    child.expect_report("ready", PATIENCE);
    // All pages taken but the last, which holds 100 bytes: room for 3996 more bytes, but not
    // for a whole PIPE_BUF record. The pattern never contains FILL_BYTE.
    let capacity = sut.capacity().unwrap();
    let content = pattern(capacity - PIPE_BUF + 100);
    assert!(!content.contains(&FILL_BYTE));
    sut.write_all(&content).unwrap();

    let start = Instant::now();
    let err = sut
        .write_atomic_timeout(&[FILL_BYTE; PIPE_BUF], SHORT)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    let err = sut.try_write_atomic(&[FILL_BYTE; PIPE_BUF]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");

    drop(control);
    drop(sut);
    child.expect_report(&format!("received={} stray=0", content.len()), PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn read_exact_timeout_keeps_the_bytes_a_child_wrote_before_the_deadline_and_says_how_many() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(b"abc").unwrap();
        ctx.report("three written");
        wait_for_go(&ctx, SECOND_FD);
        writer.write_all(b"defgh").unwrap();
        ctx.report("five more written");
        park_forever();
    }
    let (mut child, sut, control) = spawn_with_writer_and_control(ChildBuilder::new("writer"));
    child.expect_report("three written", PATIENCE);

    let mut buf = [0_u8; 8];
    let start = Instant::now();
    let err = sut.read_exact_timeout(&mut buf, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    assert_eq!(
        err.detail(),
        Some("3 of 8 bytes arrived before the deadline")
    );
    assert_eq!(&buf[..3], b"abc");

    drop(control);
    child.expect_report("five more written", PATIENCE);
    let mut buf = [0_u8; 4];
    sut.read_exact_deadline(&mut buf, Instant::now() + PATIENCE)
        .unwrap();
    assert_eq!(&buf, b"defg");

    child.kill();
    let err = sut.read_exact_timeout(&mut buf, PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
    assert_eq!(
        err.detail(),
        Some("every writer closed after 1 of 4 bytes arrived")
    );
    assert_eq!(buf[0], b'h');
}
