//! Descriptors passed between real processes: they work in the receiver, are close-on-exec,
//! survive their sender's death, and a receiver out of descriptors gets an error and leaks
//! nothing. Descriptor counting happens in child roles, never in the multithreaded harness.

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::UnixStream;

use crate::support::{PATIENCE, Spawner, open_descriptors, park_forever};

/// Where a child finds its end of the socket pair.
const SOCKET_FD: i32 = 10;
/// Where a child finds the pipe it waits on for the parent's go-ahead.
const GO_FD: i32 = 11;

/// The stream end the parent placed at [`SOCKET_FD`].
fn socket_of(ctx: &ChildContext) -> UnixStream {
    UnixStream::from_fd(ctx.take_fd(SOCKET_FD)).unwrap()
}

/// Whether `fd` is close-on-exec.
fn is_close_on_exec(fd: &OwnedFd) -> bool {
    rustix::io::fcntl_getfd(fd)
        .unwrap()
        .contains(rustix::io::FdFlags::CLOEXEC)
}

/// In a child: receives one descriptor, reports whether it is close-on-exec, and writes a
/// greeting through it.
fn writer_through_passed_fd(ctx: &ChildContext) {
    let stream = socket_of(ctx);
    let mut buf = [0; 8];
    let (len, mut fds) = stream
        .receive_with_fds_timeout(&mut buf, 4, PATIENCE)
        .unwrap();
    assert_eq!(&buf[..len], b"pipe");
    assert_eq!(fds.len(), 1);
    let fd = fds.remove(0);
    ctx.report(&format!("cloexec={}", is_close_on_exec(&fd)));
    std::fs::File::from(fd)
        .write_all(b"written through the passed descriptor")
        .unwrap();
}

#[test]
fn a_child_receives_a_pipe_end_that_is_close_on_exec_and_writes_through_it() {
    if let Some(ctx) = ChildContext::current() {
        writer_through_passed_fd(&ctx);
        return;
    }
    let (sut, theirs) = UnixStream::pair().unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").inherit_fd(&theirs, SOCKET_FD));
    drop(theirs);
    assert_eq!(sut.send_with_fds(b"pipe", &[writer.as_fd()]).unwrap(), 4);
    drop(writer);
    child.expect_report("cloexec=true", PATIENCE);
    let mut got = String::new();
    reader.read_to_string(&mut got).unwrap();
    assert_eq!(got, "written through the passed descriptor");
    child.expect_success(PATIENCE);
}

/// In a child: sends three descriptors of its own, reports, and waits to be killed.
fn doomed_sender(ctx: &ChildContext) {
    let stream = socket_of(ctx);
    let (reader, writer) = std::io::pipe().unwrap();
    let null = std::fs::File::open("/dev/null").unwrap();
    stream
        .send_with_fds(b"fds", &[reader.as_fd(), writer.as_fd(), null.as_fd()])
        .unwrap();
    ctx.report("sent");
    park_forever();
}

/// In a child: counts its descriptors, waits for the parent's go-ahead (sent once the sender
/// is dead), receives the three descriptors and then end of input, and reports whether its
/// count is back to the baseline after dropping them.
fn survivor_receiver(ctx: &ChildContext) {
    let stream = socket_of(ctx);
    let mut go = std::fs::File::from(ctx.take_fd(GO_FD));
    let baseline = open_descriptors();
    ctx.report("ready");
    go.read_exact(&mut [0; 1]).unwrap();
    let mut buf = [0; 8];
    let (len, fds) = stream
        .receive_with_fds_timeout(&mut buf, 8, PATIENCE)
        .unwrap();
    assert_eq!(&buf[..len], b"fds");
    let during = open_descriptors();
    let all_cloexec = fds.iter().all(is_close_on_exec);
    let (len, more) = stream
        .receive_with_fds_timeout(&mut buf, 8, PATIENCE)
        .unwrap();
    let count = fds.len();
    drop(fds);
    ctx.report(&format!(
        "got {count} (+{} open, cloexec={all_cloexec}) then {len} bytes and {} fds; leaked {}",
        during - baseline,
        more.len(),
        open_descriptors() - baseline
    ));
}

#[test]
fn descriptors_in_flight_when_the_sender_is_killed_still_arrive_then_end_of_input_without_leaks() {
    if let Some(ctx) = ChildContext::current() {
        match ctx.role() {
            "sender" => doomed_sender(&ctx),
            "receiver" => survivor_receiver(&ctx),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    let (sender_end, receiver_end) = UnixStream::pair().unwrap();
    let (go_reader, mut go_writer) = std::io::pipe().unwrap();
    let (mut sender, mut receiver) = {
        let spawner = Spawner::lock();
        let sender = spawner.spawn(ChildBuilder::new("sender").inherit_fd(&sender_end, SOCKET_FD));
        let receiver = spawner.spawn(
            ChildBuilder::new("receiver")
                .inherit_fd(&receiver_end, SOCKET_FD)
                .inherit_fd(&go_reader, GO_FD),
        );
        (sender, receiver)
    };
    drop((sender_end, receiver_end, go_reader));
    receiver.expect_report("ready", PATIENCE);
    sender.expect_report("sent", PATIENCE);
    sender.kill();
    go_writer.write_all(b"g").unwrap();
    receiver.expect_report(
        "got 3 (+3 open, cloexec=true) then 0 bytes and 0 fds; leaked 0",
        PATIENCE,
    );
    receiver.expect_success(PATIENCE);
}

/// How many descriptors the parent sends to the receiver near its limit: more than the free
/// slots below the limit it sets.
const FLOOD: usize = 40;

/// In a child: lowers `RLIMIT_NOFILE` to leave 3 descriptor numbers free, receives a
/// message with [`FLOOD`] descriptors, and reports the error's kind, limit and errno (none:
/// `recvmsg` does not say why an install failed), whether any descriptor leaked, and the data
/// the error says it left in the buffer.
fn receiver_near_its_limit(ctx: &ChildContext) {
    let stream = socket_of(ctx);
    let open: Vec<u64> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The limit below which exactly 3 descriptor numbers are free: room for the listing of
    // /proc/self/fd and a couple more, far fewer than FLOOD. (Descriptors already open above
    // it, like the report pipe at 255, stay usable.)
    let limit = (0..)
        .scan(0, |free, n| {
            *free += u64::from(!open.contains(&n));
            Some((n + 1, *free))
        })
        .find_map(|(limit, free)| (free == 3).then_some(limit))
        .unwrap();
    let old = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(limit),
            maximum: old.maximum,
        },
    )
    .unwrap();
    let baseline = open_descriptors();
    ctx.report("limited");
    let mut buf = [0; 4];
    let err = stream
        .receive_with_fds_timeout(&mut buf, FLOOD, PATIENCE)
        .unwrap_err();
    let knob = err.limit().map_or("none", |limit| limit.knob());
    // The byte the descriptors rode on was consumed: the error says it is in the buffer.
    let kept = String::from_utf8_lossy(&buf[..err.transferred().unwrap_or(0)]).into_owned();
    ctx.report(&format!(
        "{:?} {knob} errno {:?} leaked {} kept {kept:?}",
        err.kind(),
        err.raw_os_error(),
        open_descriptors() - baseline
    ));
}

#[test]
fn a_receiver_near_its_descriptor_limit_gets_an_error_not_a_message_and_leaks_nothing() {
    if let Some(ctx) = ChildContext::current() {
        receiver_near_its_limit(&ctx);
        return;
    }
    let (sut, theirs) = UnixStream::pair().unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("limited").inherit_fd(&theirs, SOCKET_FD));
    drop(theirs);
    child.expect_report("limited", PATIENCE);
    let null = std::fs::File::open("/dev/null").unwrap();
    let fds = vec![null.as_fd(); FLOOD];
    sut.send_with_fds(b"x", &fds).unwrap();
    child.expect_report(
        "LimitReached RLIMIT_NOFILE errno None leaked 0 kept \"x\"",
        PATIENCE,
    );
    child.expect_success(PATIENCE);
}

#[test]
fn more_descriptors_than_the_kernel_allows_per_message_are_refused_before_the_call() {
    let (sut, peer) = UnixStream::pair().unwrap();
    let null = std::fs::File::open("/dev/null").unwrap();
    let fds = vec![null.as_fd(); ipc_sock::MAX_FDS + 1];
    let err = sut.send_with_fds(b"x", &fds).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(err.raw_os_error(), None, "refused before sendmsg");
    assert!(err.to_string().contains("SCM_MAX_FD"), "{err}");
    assert!(peer.try_receive(&mut [0; 1]).unwrap_err().is_would_block());
}
