//! Every write path meets a pipe with no reader: `PeerGone`, and the process lives on, under each
//! `SIGPIPE` disposition a host program may have (STYLE.md 26).
//!
//! A child runs every path in turn and reports, for each, the error kind, whether `SIGPIPE` is
//! still blocked in the thread afterwards, whether one is pending (thread or process), and the
//! counting handler's tally. A `SIGPIPE` the library failed to consume would be delivered when
//! it restores the thread's mask: at `SIG_DFL` the child dies of it, under the counting handler
//! the tally rises. The controls show both would indeed be seen.

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use ipc_core::testing::{
    ChildBuilder, ChildContext, SigpipeDisposition, TempPath, set_sigpipe, sigpipe_count,
};
use ipc_core::{Error, ErrorKind};
use ipc_pipe::{
    Fifo, FrameWriter, PIPE_BUF, Reader, SigpipeGuard, Writer, assume_sigpipe_ignored, pipe,
    revoke_sigpipe_assumption, sigpipe_guard,
};

use crate::support::{PATIENCE, Spawner};

/// Every way this crate writes into a pipe.
const PATHS: &[&str] = &[
    "Writer::write",
    "Writer::write_all",
    "Writer::write_atomic",
    "Writer::try_write",
    "Writer::try_write_atomic",
    "Writer::write_timeout",
    "Writer::write_atomic_timeout",
    "Writer::write_deadline",
    "Writer::write_atomic_deadline",
    "Writer::write_vectored",
    "Writer::try_write_vectored",
    "Writer::write_vectored_timeout",
    "Writer::write_vectored_deadline",
    "io::Write for &Writer::write",
    "io::Write for &Writer::write_all",
    "io::Write for &Writer::write_vectored",
    "io::Write for Writer::write_all",
    "FrameWriter::send",
    "Writer::splice_from",
    "Writer::try_splice_from",
    "Reader::splice_to",
    "Reader::try_splice_to",
    "Reader::tee_to",
    "Writer::vmsplice",
    "FIFO Writer::write_all",
    "FIFO Writer::try_write",
];

/// The signal's bit in the masks of `/proc/<pid>/task/<tid>/status`.
const SIGPIPE_BIT: u64 = 1 << (libc::SIGPIPE - 1);

/// What a path left behind, as the child reports it.
fn outcome_line(path: &str, kind: ErrorKind, count: usize) -> String {
    let (blocked, pending) = thread_sigpipe_state();
    format!("{path}: {kind:?} blocked={blocked} pending={pending} count={count}")
}

/// Whether `SIGPIPE` is blocked in the calling thread, and whether one is pending for the
/// thread or the process, from `/proc/thread-self/status`.
fn thread_sigpipe_state() -> (bool, bool) {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let mask = |field: &str| {
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .unwrap_or_else(|| panic!("no {field} in /proc/thread-self/status"));
        u64::from_str_radix(line.trim(), 16).unwrap()
    };
    let blocked = mask("SigBlk:") & SIGPIPE_BIT != 0;
    let pending = (mask("SigPnd:") | mask("ShdPnd:")) & SIGPIPE_BIT != 0;
    (blocked, pending)
}

/// A write end whose reader is gone.
fn readerless() -> Writer {
    let (reader, writer) = pipe().unwrap();
    drop(reader);
    writer
}

/// A read end holding `data`, whose writer stays open (returned with it).
fn source(data: &[u8]) -> (Reader, Writer) {
    let (reader, writer) = pipe().unwrap();
    writer.write_all(data).unwrap();
    (reader, writer)
}

/// The workspace error inside an `io::Error` from an `io::Write` impl, whose own kind must be
/// `BrokenPipe`.
fn unwrap_io(err: io::Error) -> Error {
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    let inner = err.into_inner().expect("the workspace error is kept");
    *inner
        .downcast::<Error>()
        .expect("the payload is ipc_core::Error")
}

/// Runs write path `path` into a pipe with no reader; the error it returned.
fn run_path(path: &str) -> Error {
    let sut = readerless();
    let data = [5_u8; 100];
    let big = vec![6_u8; 3 * PIPE_BUF];
    let soon = Duration::from_secs(5);
    match path {
        "Writer::write" => sut.write(&data).unwrap_err(),
        "Writer::write_all" => sut.write_all(&big).unwrap_err(),
        "Writer::write_atomic" => sut.write_atomic(&data).unwrap_err(),
        "Writer::try_write" => sut.try_write(&data).unwrap_err(),
        "Writer::try_write_atomic" => sut.try_write_atomic(&data).unwrap_err(),
        "Writer::write_timeout" => sut.write_timeout(&data, soon).unwrap_err(),
        "Writer::write_atomic_timeout" => sut.write_atomic_timeout(&data, soon).unwrap_err(),
        "Writer::write_deadline" => sut
            .write_deadline(&data, Instant::now() + soon)
            .unwrap_err(),
        "Writer::write_atomic_deadline" => sut
            .write_atomic_deadline(&data, Instant::now() + soon)
            .unwrap_err(),
        "Writer::write_vectored" => sut
            .write_vectored(&[IoSlice::new(&data), IoSlice::new(&big)])
            .unwrap_err(),
        "Writer::try_write_vectored" => sut
            .try_write_vectored(&[IoSlice::new(&data), IoSlice::new(&big)])
            .unwrap_err(),
        "Writer::write_vectored_timeout" => sut
            .write_vectored_timeout(&[IoSlice::new(&data), IoSlice::new(&big)], soon)
            .unwrap_err(),
        "Writer::write_vectored_deadline" => sut
            .write_vectored_deadline(
                &[IoSlice::new(&data), IoSlice::new(&big)],
                Instant::now() + soon,
            )
            .unwrap_err(),
        // Through the trait, not the inherent methods of the same names.
        "io::Write for &Writer::write" => unwrap_io(Write::write(&mut &sut, &data).unwrap_err()),
        "io::Write for &Writer::write_all" => {
            unwrap_io(Write::write_all(&mut &sut, &big).unwrap_err())
        }
        "io::Write for &Writer::write_vectored" => {
            let bufs = [IoSlice::new(&data)];
            unwrap_io(Write::write_vectored(&mut &sut, &bufs).unwrap_err())
        }
        "io::Write for Writer::write_all" => {
            let mut owned = sut;
            unwrap_io(Write::write_all(&mut owned, &big).unwrap_err())
        }
        "FrameWriter::send" => FrameWriter::new(&sut).send(&data).unwrap_err(),
        "Writer::splice_from" => {
            let (from, _keep) = source(&data);
            sut.splice_from(&from, data.len()).unwrap_err()
        }
        "Writer::try_splice_from" => {
            let (from, _keep) = source(&data);
            sut.try_splice_from(&from, data.len()).unwrap_err()
        }
        "Reader::splice_to" => {
            let (from, _keep) = source(&data);
            from.splice_to(&sut, data.len()).unwrap_err()
        }
        "Reader::try_splice_to" => {
            let (from, _keep) = source(&data);
            from.try_splice_to(&sut, data.len()).unwrap_err()
        }
        "Reader::tee_to" => {
            let (from, _keep) = source(&data);
            from.tee_to(&sut, data.len()).unwrap_err()
        }
        "Writer::vmsplice" => sut.vmsplice(&[IoSlice::new(&big)]).unwrap_err(),
        "FIFO Writer::write_all" => {
            let path = TempPath::new("fifo");
            let fifo = Fifo::create_new(path.path()).unwrap();
            let reader = fifo.try_open_reader().unwrap();
            let writer = fifo.try_open_writer().unwrap();
            drop(reader);
            writer.write_all(&big).unwrap_err()
        }
        // A FIFO end refuses RWF_NOWAIT: the non-blocking write goes through the private
        // twin, opened here while the reader is still there.
        "FIFO Writer::try_write" => {
            let path = TempPath::new("fifo");
            let fifo = Fifo::create_new(path.path()).unwrap();
            let reader = fifo.try_open_reader().unwrap();
            let writer = fifo.try_open_writer().unwrap();
            assert_eq!(writer.try_write(&data).unwrap(), data.len());
            drop(reader);
            writer.try_write(&data).unwrap_err()
        }
        other => panic!("no write path {other}"),
    }
}

/// The child's half: every path in turn under `disposition`.
fn run_every_path(ctx: &ChildContext, disposition: SigpipeDisposition) {
    set_sigpipe(disposition);
    let (blocked, pending) = thread_sigpipe_state();
    assert!(
        !blocked && !pending,
        "SIGPIPE blocked or pending before any write"
    );
    for path in PATHS {
        ctx.report(&format!("attempt {path}"));
        let err = run_path(path);
        ctx.report(&outcome_line(path, err.kind(), sigpipe_count()));
    }
}

/// The parent's half: spawns the child in `role`, reads its reports, and checks it survived
/// every path with `PeerGone` and nothing left behind.
fn expect_every_path_survived(role: &str) {
    let mut child = Spawner::lock().spawn(ChildBuilder::new(role));
    drain_and_expect_survival(&mut child);
}

/// Reads a path-running child's reports and checks it survived every path with `PeerGone` and
/// nothing left behind.
fn drain_and_expect_survival(child: &mut ipc_core::testing::Child) {
    let mut outcomes = Vec::new();
    let mut last_attempt = None;
    while let Some(line) = child.next_report(PATIENCE).unwrap() {
        match line.strip_prefix("attempt ") {
            Some(path) => last_attempt = Some(path.to_owned()),
            None => outcomes.push(line),
        }
    }
    let status = child.wait_timeout(PATIENCE).unwrap();
    assert!(
        status.success(),
        "the child ended with {status} (signal {:?}) during {last_attempt:?}\n{}",
        status.signal(),
        child.output_so_far()
    );
    let expected: Vec<String> = PATHS
        .iter()
        .map(|path| format!("{path}: PeerGone blocked=false pending=false count=0"))
        .collect();
    assert_eq!(outcomes, expected);
}

#[test]
fn every_write_path_is_peer_gone_in_a_child_at_default_sigpipe() {
    if let Some(ctx) = ChildContext::current() {
        run_every_path(&ctx, SigpipeDisposition::Default);
        return;
    }
    expect_every_path_survived("default-sigpipe");
}

#[test]
fn every_write_path_consumes_its_sigpipe_in_a_child_with_a_counting_handler() {
    if let Some(ctx) = ChildContext::current() {
        run_every_path(&ctx, SigpipeDisposition::CountingHandler);
        return;
    }
    expect_every_path_survived("counting-handler");
}

#[test]
fn every_write_path_is_peer_gone_in_a_child_that_ignores_sigpipe() {
    if let Some(ctx) = ChildContext::current() {
        run_every_path(&ctx, SigpipeDisposition::Ignore);
        return;
    }
    expect_every_path_survived("ignoring");
}

/// The environment variable that makes the crate use the signal-mask guard of older kernels.
const GUARD_ENV: &str = "IPC_PIPE_SIGPIPE_GUARD";

#[test]
fn every_write_path_is_peer_gone_at_default_sigpipe_with_the_signal_mask_guard() {
    if let Some(ctx) = ChildContext::current() {
        assert_eq!(sigpipe_guard(), SigpipeGuard::SignalMask);
        run_every_path(&ctx, SigpipeDisposition::Default);
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("mask-default").env(GUARD_ENV, "mask"));
    drain_and_expect_survival(&mut child);
}

#[test]
fn every_write_path_consumes_its_sigpipe_under_a_handler_with_the_signal_mask_guard() {
    if let Some(ctx) = ChildContext::current() {
        assert_eq!(sigpipe_guard(), SigpipeGuard::SignalMask);
        run_every_path(&ctx, SigpipeDisposition::CountingHandler);
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("mask-handler").env(GUARD_ENV, "mask"));
    drain_and_expect_survival(&mut child);
}

/// The host changes `SIGPIPE`'s disposition after the crate has written: no policy is cached
/// that could go stale, so writes stay harmless under the new disposition too.
#[test]
fn every_write_path_survives_default_sigpipe_restored_after_an_earlier_write() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Ignore);
        assert_eq!(run_path("Writer::write").kind(), ErrorKind::PeerGone);
        run_every_path(&ctx, SigpipeDisposition::Default);
        return;
    }
    expect_every_path_survived("restorer");
}

/// A handler installed after the first write never sees a signal from the crate's writes.
#[test]
fn a_handler_installed_after_the_first_write_never_sees_a_signal() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Ignore);
        assert_eq!(run_path("Writer::write").kind(), ErrorKind::PeerGone);
        set_sigpipe(SigpipeDisposition::CountingHandler);
        let first = run_path("Writer::write").kind();
        let second = run_path("Writer::write_all").kind();
        ctx.report(&format!("{first:?} {second:?} {}", sigpipe_count()));
        return;
    }
    let mut sut = Spawner::lock().spawn(ChildBuilder::new("late-handler"));
    sut.expect_report("PeerGone PeerGone 0", PATIENCE);
    sut.expect_success(PATIENCE);
}

#[test]
fn control_a_raw_write_with_no_reader_kills_a_child_at_default_sigpipe() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Default);
        let mut raw = File::from(OwnedFd::from(readerless()));
        ctx.report("writing");
        let _ = raw.write_all(b"x");
        ctx.report("survived");
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("victim"));
    child.expect_report("writing", PATIENCE);
    assert_eq!(child.next_report(PATIENCE).unwrap(), None);
    let status = child.wait_timeout(PATIENCE).unwrap();
    assert_eq!(status.signal(), Some(libc::SIGPIPE));
}

#[test]
fn control_a_raw_write_with_no_reader_is_counted_by_the_counting_handler() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::CountingHandler);
        let mut raw = File::from(OwnedFd::from(readerless()));
        let kind = raw.write_all(b"x").unwrap_err().kind();
        ctx.report(&format!("{kind:?} count={}", sigpipe_count()));
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("counter"));
    child.expect_report("BrokenPipe count=1", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_failed_write_leaves_sigpipe_unblocked_for_the_rest_of_the_program() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::CountingHandler);
        let err = readerless().write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PeerGone);
        // A raw write after the library's call must still raise a signal the handler sees.
        let mut raw = File::from(OwnedFd::from(readerless()));
        let _ = raw.write_all(b"x");
        ctx.report(&format!("count={}", sigpipe_count()));
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("writer"));
    child.expect_report("count=1", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn every_write_path_is_peer_gone_when_the_program_promised_sigpipe_stays_ignored() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Ignore);
        assume_sigpipe_ignored().expect("SIGPIPE is ignored, so the promise can be made");
        assert_eq!(sigpipe_guard(), SigpipeGuard::AssumedIgnored);
        run_every_path(&ctx, SigpipeDisposition::Ignore);
        return;
    }
    expect_every_path_survived("assumed-ignored");
}

#[test]
fn the_promise_that_sigpipe_stays_ignored_is_refused_while_it_is_not_ignored() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Default);
        let kind = assume_sigpipe_ignored().unwrap_err().kind();
        let still_guarded = sigpipe_guard() != SigpipeGuard::AssumedIgnored;
        ctx.report(&format!("{kind:?} still-guarded={still_guarded}"));
        return;
    }
    let mut sut = Spawner::lock().spawn(ChildBuilder::new("refused-promise"));
    sut.expect_report("InvalidArgument still-guarded=true", PATIENCE);
    sut.expect_success(PATIENCE);
}

#[test]
fn every_write_path_survives_default_sigpipe_after_the_promise_is_revoked() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Ignore);
        assume_sigpipe_ignored().expect("SIGPIPE is ignored");
        assert_eq!(run_path("Writer::write").kind(), ErrorKind::PeerGone);
        revoke_sigpipe_assumption();
        run_every_path(&ctx, SigpipeDisposition::Default);
        return;
    }
    expect_every_path_survived("revoked-promise");
}
