//! Handing pipe ends to child processes (§1.2's workflow): as stdin or stdout of a program, at a
//! fixed descriptor of a child role, and never by accident across `exec` (close-on-exec).

use std::io::Read;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext, TempPath};
use ipc_pipe::{Fifo, pipe};

use crate::support::{
    END_FD, PATIENCE, Spawner, Watchdog, read_all, spawn_with_writer, take_writer,
};

/// The `/proc/<pid>/fd` link target of a pipe end: `pipe:[<inode>]`.
fn pipe_link(end: impl AsFd) -> String {
    let stat = rustix::fs::fstat(end).unwrap();
    format!("pipe:[{}]", stat.st_ino)
}

#[test]
fn cat_prints_what_the_parent_writes_into_its_stdin() {
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    // The Command is a temporary: it and the parent's copy of the reader are gone after spawn.
    let cat = spawner.command(
        Command::new("cat")
            .stdin(Stdio::from(reader))
            .stdout(Stdio::piped()),
    );
    drop(spawner);
    let watchdog = Watchdog::new([cat.id()]);
    sut.write_all(b"Hello from parent!").unwrap();
    drop(sut); // cat sees end of input
    let output = cat.wait_with_output().unwrap();
    drop(watchdog);
    assert!(output.status.success(), "{}", output.status);
    assert_eq!(output.stdout, b"Hello from parent!");
}

#[test]
fn a_reader_handed_to_a_program_that_exits_leaves_the_parent_writer_peer_gone() {
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    let head = spawner.command(
        Command::new("head")
            .args(["-c", "5"])
            .stdin(Stdio::from(reader))
            .stdout(Stdio::piped()),
    );
    drop(spawner);
    let watchdog = Watchdog::new([head.id()]);
    sut.write_all(b"hello").unwrap();
    let output = head.wait_with_output().unwrap();
    drop(watchdog);
    assert_eq!(output.stdout, b"hello");
    // The reader went to the child by value; with the child gone no reader is left anywhere.
    let err = sut.write_all(b" world").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
}

#[test]
fn a_child_role_receives_the_parent_message_on_its_stdin() {
    if let Some(ctx) = ChildContext::current() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).unwrap();
        ctx.report(&format!("Child received: {text}"));
        return;
    }
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    let mut child = spawner.spawn(ChildBuilder::new("reader").stdin(Stdio::from(reader)));
    drop(spawner);
    sut.write_all(b"Hello from parent!").unwrap();
    drop(sut);
    child.expect_report("Child received: Hello from parent!", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_program_writes_its_stdout_into_the_pipe() {
    let spawner = Spawner::lock();
    let (sut, writer) = pipe().unwrap();
    let mut sh = spawner.command(
        Command::new("sh")
            .args(["-c", "printf 'Hello from child!'"])
            .stdout(Stdio::from(writer)),
    );
    drop(spawner);
    let watchdog = Watchdog::new([sh.id()]);
    assert_eq!(read_all(&sut), b"Hello from child!");
    assert!(sh.wait().unwrap().success());
    drop(watchdog);
}

#[test]
fn a_writer_inherited_by_a_child_role_carries_its_message() {
    if let Some(ctx) = ChildContext::current() {
        let sut = take_writer(&ctx, END_FD);
        sut.write_all(b"Hello from child!").unwrap();
        return;
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("writer"));
    let watchdog = Watchdog::new([child.pid()]);
    assert_eq!(read_all(&reader), b"Hello from child!");
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn pipe_and_fifo_ends_are_not_inherited_by_an_executed_program() {
    let (reader, writer) = pipe().unwrap();
    let path = TempPath::new("fifo");
    let fifo = Fifo::create_new(path.path()).unwrap();
    let fifo_reader = fifo.try_open_reader().unwrap();
    let fifo_writer = fifo.try_open_writer().unwrap();
    let ls = Spawner::lock().command(
        Command::new("ls")
            .args(["-l", "/proc/self/fd"])
            .stdout(Stdio::piped()),
    );
    let watchdog = Watchdog::new([ls.id()]);
    let output = ls.wait_with_output().unwrap();
    drop(watchdog);
    assert!(output.status.success());
    let listing = String::from_utf8(output.stdout).unwrap();
    // Control: ls's own stdout is a pipe, and the listing shows it.
    assert!(listing.contains("pipe:["), "{listing}");
    assert!(!listing.contains(&pipe_link(&reader)), "{listing}");
    let fifo_name = path.path().to_str().unwrap();
    assert!(!listing.contains(fifo_name), "{listing}");
    drop((reader, writer, fifo_reader, fifo_writer, fifo));
}

#[test]
fn pipe_and_fifo_ends_are_not_inherited_by_a_re_executed_child() {
    if let Some(ctx) = ChildContext::current() {
        let secret = [ctx.arg("pipe").unwrap(), ctx.arg("fifo").unwrap()];
        let mut pipes = 0;
        let mut leaked = Vec::new();
        for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
            let Ok(target) = std::fs::read_link(entry.unwrap().path()) else {
                continue; // the directory's own descriptor, closed by now
            };
            let target = target.to_string_lossy().into_owned();
            pipes += usize::from(target.starts_with("pipe:["));
            if secret.contains(&target.as_str()) {
                leaked.push(target);
            }
        }
        // Control: the report pipe and the captured stdout and stderr are pipes.
        ctx.report(&format!("pipes>=3:{} leaked={leaked:?}", pipes >= 3));
        return;
    }
    let (reader, writer) = pipe().unwrap();
    let path = TempPath::new("fifo");
    let fifo = Fifo::create_new(path.path()).unwrap();
    let fifo_reader = fifo.try_open_reader().unwrap();
    let fifo_writer = fifo.try_open_writer().unwrap();
    let mut child = Spawner::lock().spawn(
        ChildBuilder::new("lister")
            .arg("pipe", pipe_link(&reader))
            .arg("fifo", path.path().display()),
    );
    child.expect_report("pipes>=3:true leaked=[]", PATIENCE);
    child.expect_success(PATIENCE);
    drop((reader, writer, fifo_reader, fifo_writer, fifo));
}
