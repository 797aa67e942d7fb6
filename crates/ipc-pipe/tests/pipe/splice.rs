//! Zero-copy transfers between processes: `splice` to and from files and pipes, `tee`, and
//! `vmsplice`, with their non-blocking forms and refusals.

use std::fs::OpenOptions;
use std::io::{IoSlice, Read, Seek, Write};

use ipc_core::ErrorKind;
use ipc_core::testing::{Child, ChildBuilder, ChildContext, TempPath};
use ipc_pipe::{PIPE_BUF, Reader, Writer, pipe};

use crate::support::{
    END_FD, PATIENCE, Watchdog, fill, hold_end_and_park, pattern, read_all, spawn_with_reader,
    spawn_with_writer, take_reader, take_writer,
};

/// How much the streaming tests move: more than a pipe holds.
const STREAM: usize = 100_000;

/// In a child in role "writer": writes `STREAM` bytes of the pattern to the end at `END_FD`.
/// In role "checker": reads to the end and reports how much arrived and whether it was the
/// pattern. In role "holder": holds the end and reports it.
fn roles(ctx: &ChildContext) {
    match ctx.role() {
        "writer" => take_writer(ctx, END_FD)
            .write_all(&pattern(STREAM))
            .unwrap(),
        "checker" => {
            let got = read_all(&take_reader(ctx, END_FD));
            let intact = got == pattern(got.len());
            ctx.report(&format!("received={} intact={intact}", got.len()));
        }
        "holder" => hold_end_and_park(ctx),
        other => panic!("unknown role {other}"),
    }
}

/// A child writing the pattern into a new pipe; the parent gets the read end.
fn stream_from_child() -> (Child, Reader) {
    spawn_with_writer(ChildBuilder::new("writer"))
}

/// A child checking what arrives through a new pipe; the parent gets the write end.
fn checker_child() -> (Child, Writer) {
    spawn_with_reader(ChildBuilder::new("checker"))
}

/// A temporary file holding `data`, positioned at its start.
fn file_with(data: &[u8]) -> std::fs::File {
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(data).unwrap();
    file.rewind().unwrap();
    file
}

#[test]
fn splice_to_moves_a_child_stream_into_a_file() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let (mut child, sut) = stream_from_child();
    let watchdog = Watchdog::new([child.pid()]);
    let mut file = tempfile::tempfile().unwrap();
    let mut moved = 0;
    loop {
        match sut.splice_to(&file, 1 << 16).unwrap() {
            0 => break,
            n => moved += n,
        }
    }
    assert_eq!(moved, STREAM);
    child.expect_success(PATIENCE);
    drop(watchdog);
    let mut got = Vec::new();
    file.rewind().unwrap();
    file.read_to_end(&mut got).unwrap();
    assert_eq!(got, pattern(STREAM));
}

#[test]
fn splice_from_moves_a_file_into_a_pipe_a_child_reads() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let file = file_with(&pattern(STREAM));
    let (mut child, sut) = checker_child();
    let watchdog = Watchdog::new([child.pid()]);
    let mut moved = 0;
    loop {
        match sut.splice_from(&file, 1 << 16).unwrap() {
            0 => break,
            n => moved += n,
        }
    }
    assert_eq!(moved, STREAM);
    drop(sut);
    child.expect_report(&format!("received={STREAM} intact=true"), PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn splice_relays_a_stream_from_one_child_to_another() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let (mut source, from) = stream_from_child();
    let (mut sink, sut) = checker_child();
    let watchdog = Watchdog::new([source.pid(), sink.pid()]);
    let mut moved = 0;
    loop {
        match sut.splice_from(&from, 1 << 16).unwrap() {
            0 => break,
            n => moved += n,
        }
    }
    assert_eq!(moved, STREAM);
    drop(sut);
    sink.expect_report(&format!("received={STREAM} intact=true"), PATIENCE);
    source.expect_success(PATIENCE);
    sink.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn tee_to_copies_a_child_stream_without_consuming_it() {
    if let Some(ctx) = ChildContext::current() {
        take_writer(&ctx, END_FD).write_all(b"teed data").unwrap();
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_success(PATIENCE);
    let (copy_reader, copy_writer) = pipe().unwrap();
    assert_eq!(sut.tee_to(&copy_writer, 64).unwrap(), 9);
    drop(copy_writer);
    assert_eq!(read_all(&sut), b"teed data", "tee left the data in place");
    assert_eq!(read_all(&copy_reader), b"teed data");
}

#[test]
fn vmsplice_hands_pages_to_a_reader_child() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    // The buffer is not touched until the child has read everything (see Writer::vmsplice).
    let data = pattern(STREAM);
    let (mut child, sut) = checker_child();
    let watchdog = Watchdog::new([child.pid()]);
    let mut moved = 0;
    while moved < STREAM {
        moved += sut.vmsplice(&[IoSlice::new(&data[moved..])]).unwrap();
    }
    drop(sut);
    child.expect_report(&format!("received={STREAM} intact=true"), PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn try_splice_to_would_block_on_an_empty_pipe_while_a_child_holds_the_writer() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("holder"));
    child.expect_report("holding", PATIENCE);
    let file = tempfile::tempfile().unwrap();
    let err = sut.try_splice_to(&file, 64).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    child.kill();
    assert_eq!(sut.try_splice_to(&file, 64).unwrap(), 0, "end of input");
}

#[test]
fn try_splice_from_would_block_on_a_full_pipe_while_a_child_holds_the_reader() {
    if let Some(ctx) = ChildContext::current() {
        roles(&ctx);
        return;
    }
    let (mut child, sut) = spawn_with_reader(ChildBuilder::new("holder"));
    child.expect_report("holding", PATIENCE);
    fill(&sut);
    let file = file_with(&[1; PIPE_BUF]);
    let err = sut.try_splice_from(&file, PIPE_BUF).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
}

#[test]
fn splice_to_an_append_only_file_is_invalid_argument() {
    let path = TempPath::new("file");
    let file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(path.path())
        .unwrap();
    let (sut, writer) = pipe().unwrap();
    writer.write_all(b"kept").unwrap();
    let err = sut.splice_to(&file, 64).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(read_all_now(&sut, writer), b"kept", "nothing was moved");
}

/// Closes `writer` and reads what is left.
fn read_all_now(reader: &Reader, writer: Writer) -> Vec<u8> {
    drop(writer);
    read_all(reader)
}
