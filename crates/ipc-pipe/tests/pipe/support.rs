//! What the tests share: bounds, descriptor numbers, the spawn lock, spawning a child with one
//! end of a new pipe, a watchdog, and fill/drain helpers.

use std::os::fd::RawFd;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ipc_core::ErrorKind;
use ipc_core::testing::{Child, ChildBuilder, ChildContext};
use ipc_pipe::{PIPE_BUF, Reader, Writer, pipe};
use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

/// A bound for things that do happen; generous, because the machine may be busy building.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// The timeout given to bounded calls that are expected to time out; they must take at least
/// this long.
pub(crate) const SHORT: Duration = Duration::from_millis(100);

/// How long the parent watches for something that must not happen yet (a child still blocked
/// must not report "done" within it).
pub(crate) const QUIET: Duration = Duration::from_millis(200);

/// Where a child finds the pipe end under test.
pub(crate) const END_FD: RawFd = 10;

/// Where a child finds a second descriptor: a control pipe, or a second end.
pub(crate) const SECOND_FD: RawFd = 11;

/// The byte [`fill`] writes; [`pattern`] never contains it.
pub(crate) const FILL_BYTE: u8 = 0xFE;

/// The spawn lock, shared by every test of this binary.
pub(crate) use ipc_core::testing::SpawnLock as Spawner;

/// Parks a child role until the parent kills it.
pub(crate) fn park_forever() -> ! {
    loop {
        thread::park();
    }
}

/// The write end the parent placed at `target`.
pub(crate) fn take_writer(ctx: &ChildContext, target: RawFd) -> Writer {
    Writer::from(ctx.take_fd(target))
}

/// The read end the parent placed at `target`.
pub(crate) fn take_reader(ctx: &ChildContext, target: RawFd) -> Reader {
    Reader::from(ctx.take_fd(target))
}

/// In a child: blocks until the parent closes the control pipe at `target` (end of input is
/// the "go" signal, which reaches every child holding a copy at once).
pub(crate) fn wait_for_go(ctx: &ChildContext, target: RawFd) {
    let control = take_reader(ctx, target);
    let mut byte = [0_u8; 1];
    while control.read(&mut byte).expect("reading the control pipe") != 0 {}
}

/// Spawns `builder` with a control pipe's read end at [`SECOND_FD`] (for [`wait_for_go`]);
/// returns the child and the write end, whose closing is the "go". This process's copy of the
/// read end is closed before the spawner is released.
pub(crate) fn spawn_with_control(spawner: &Spawner, builder: ChildBuilder) -> (Child, Writer) {
    let (control_reader, control) = pipe().expect("the control pipe");
    let child = spawner.spawn(builder.inherit_fd(&control_reader, SECOND_FD));
    drop(control_reader);
    (child, control)
}

/// In a child: holds the pipe end the parent placed at [`END_FD`], reports "holding", and parks
/// until the parent kills it.
pub(crate) fn hold_end_and_park(ctx: &ChildContext) -> ! {
    let _end = ctx.take_fd(END_FD);
    ctx.report("holding");
    park_forever();
}

/// Spawns `builder` with the write end of a new pipe at [`END_FD`]; returns the child and the
/// read end. The pipe is made under the spawn lock, and this process's copy of the write end is
/// closed before the lock is released, so the child's end is the reader's end of input.
pub(crate) fn spawn_with_writer(builder: ChildBuilder) -> (Child, Reader) {
    let spawner = Spawner::lock();
    let (reader, writer) = pipe().expect("a pipe");
    let child = spawner.spawn(builder.inherit_fd(&writer, END_FD));
    drop((writer, spawner));
    (child, reader)
}

/// Spawns `builder` with the read end of a new pipe at [`END_FD`]; returns the child and the
/// write end. The pipe is made under the spawn lock, and this process's copy of the read end is
/// closed before the lock is released, so the child's end is the writer's `PeerGone`.
pub(crate) fn spawn_with_reader(builder: ChildBuilder) -> (Child, Writer) {
    let spawner = Spawner::lock();
    let (reader, writer) = pipe().expect("a pipe");
    let child = spawner.spawn(builder.inherit_fd(&reader, END_FD));
    drop((reader, spawner));
    (child, writer)
}

/// [`spawn_with_writer`], with a control pipe as [`spawn_with_control`] gives: returns the
/// child, the read end, and the control pipe's write end, whose closing is the "go".
pub(crate) fn spawn_with_writer_and_control(builder: ChildBuilder) -> (Child, Reader, Writer) {
    let spawner = Spawner::lock();
    let (reader, writer) = pipe().expect("a pipe");
    let (child, control) = spawn_with_control(&spawner, builder.inherit_fd(&writer, END_FD));
    drop((writer, spawner));
    (child, reader, control)
}

/// [`spawn_with_reader`], with a control pipe as [`spawn_with_control`] gives: returns the
/// child, the write end, and the control pipe's write end, whose closing is the "go".
pub(crate) fn spawn_with_reader_and_control(builder: ChildBuilder) -> (Child, Writer, Writer) {
    let spawner = Spawner::lock();
    let (reader, writer) = pipe().expect("a pipe");
    let (child, control) = spawn_with_control(&spawner, builder.inherit_fd(&reader, END_FD));
    drop((reader, spawner));
    (child, writer, control)
}

/// Spawns each of `builders` with the write end of one new pipe at [`END_FD`] and the read end
/// of one control pipe at [`SECOND_FD`] (for [`wait_for_go`]); returns the children, the read
/// end, and the control pipe's write end, whose closing releases every child at once. This
/// process's copies of the ends the children hold are closed before the spawner is released.
pub(crate) fn spawn_writers_with_control(
    builders: impl IntoIterator<Item = ChildBuilder>,
) -> (Vec<Child>, Reader, Writer) {
    let spawner = Spawner::lock();
    let (reader, writer) = pipe().expect("a pipe");
    let (go_reader, go) = pipe().expect("the control pipe");
    let children = builders
        .into_iter()
        .map(|builder| {
            spawner.spawn(
                builder
                    .inherit_fd(&writer, END_FD)
                    .inherit_fd(&go_reader, SECOND_FD),
            )
        })
        .collect();
    drop((writer, go_reader, spawner));
    (children, reader, go)
}

/// Asserts that a bounded call begun at `start` gave up no sooner than `timeout`.
#[track_caller]
pub(crate) fn assert_waited(start: Instant, timeout: Duration) {
    let waited = start.elapsed();
    assert!(
        waited >= timeout,
        "gave up after {waited:?}, before {timeout:?}"
    );
}

/// Fills the pipe with whole pages through `try_write` until it reports `WouldBlock`, and
/// returns the bytes written. Whoever holds the read end must not be reading.
///
/// # Panics
///
/// If any other error comes, or if more than the capacity goes in (someone is draining).
pub(crate) fn fill(sut: &Writer) -> usize {
    let page = [FILL_BYTE; PIPE_BUF];
    let capacity = sut.capacity().expect("capacity");
    let mut total = 0;
    loop {
        match sut.try_write(&page) {
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return total,
            Err(err) => panic!("filling the pipe after {total} bytes: {err}"),
        }
        assert!(
            total <= capacity,
            "{total} bytes went into a pipe of {capacity} without WouldBlock"
        );
    }
}

/// Reads with blocking `read` until end of input. Bound it by the writers' lives (a
/// [`Watchdog`] on the child that holds the write end).
pub(crate) fn read_all(reader: &Reader) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0_u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) => panic!("reading after {} bytes: {err}", got.len()),
        }
    }
}

/// `len` bytes of a pattern that shows misplaced or missing bytes: byte `i` is `i % 251`.
pub(crate) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Kills processes still running after [`PATIENCE`], unless dropped first.
///
/// A parent blocked on a pipe end whose other end a child holds returns once that child dies
/// (end of input, or `PeerGone`), so the watchdog turns a hang into a failing assertion. The
/// parent must not hold the other end itself. Signals go through pidfds, so they can never hit
/// a recycled pid; create the watchdog after the children and drop it before them.
#[derive(Debug)]
pub(crate) struct Watchdog {
    cancel: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Guards the processes `pids` (children not yet reaped).
    pub(crate) fn new(pids: impl IntoIterator<Item = u32>) -> Self {
        let pidfds: Vec<_> = pids
            .into_iter()
            .map(|pid| {
                let raw = Pid::from_raw(pid.cast_signed()).expect("a child's pid is positive");
                (
                    pid,
                    pidfd_open(raw, PidfdFlags::empty()).expect("pidfd_open"),
                )
            })
            .collect();
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("watchdog".to_owned())
            .spawn(move || {
                if let Err(RecvTimeoutError::Timeout) = cancelled.recv_timeout(PATIENCE) {
                    for (pid, pidfd) in &pidfds {
                        eprintln!("watchdog: pid {pid} outlived {PATIENCE:?}; killing it");
                        let _ = pidfd_send_signal(pidfd, Signal::KILL);
                    }
                }
            })
            .expect("spawning the watchdog thread");
        Self {
            cancel: Some(cancel),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
