//! The cross-process harness itself, exercised with real re-executed children.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use ipc_core::testing::{
    Child, ChildBuilder, ChildContext, InterruptedCalls, SigpipeDisposition,
    install_counting_handler, set_sigpipe, signal_count, sigpipe_count,
};

/// A bound for things that do happen; generous because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(60);

fn proc_entry(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// In a child: reports "parked" and parks until the parent ends it.
fn report_parked_and_park(ctx: &ChildContext) -> ! {
    ctx.report("parked");
    loop {
        std::thread::park();
    }
}

/// Spawns a child in role "sleeper" (whose test calls [`report_parked_and_park`]) and waits
/// until it is parked.
fn spawn_parked_sleeper() -> Child {
    let mut sut = ChildBuilder::new("sleeper").spawn().unwrap();
    sut.expect_report("parked", PATIENCE);
    sut
}

/// Reads two pipes to their ends, once the child that held the only write ends has exited.
fn read_both(mut a: io::PipeReader, mut b: io::PipeReader) -> (String, String) {
    let (mut got_a, mut got_b) = (String::new(), String::new());
    a.read_to_string(&mut got_a).unwrap();
    b.read_to_string(&mut got_b).unwrap();
    (got_a, got_b)
}

#[test]
fn child_gets_its_role_args_and_environment() {
    if let Some(ctx) = ChildContext::current() {
        assert_eq!(ctx.role(), "echo");
        ctx.report(&format!("count={}", ctx.arg("count").unwrap()));
        ctx.report(&format!("tricky={:?}", ctx.arg("tricky").unwrap()));
        ctx.report(&format!("missing={:?}", ctx.arg("missing")));
        ctx.report(&format!(
            "env={}",
            std::env::var("IPC_HARNESS_TEST").unwrap()
        ));
        return;
    }
    let mut sut = ChildBuilder::new("echo")
        .arg("count", 5)
        .arg("tricky", "a=b%0A\nc")
        .env("IPC_HARNESS_TEST", "set")
        .spawn()
        .unwrap();
    sut.expect_report("count=5", PATIENCE);
    sut.expect_report(r#"tricky="a=b%0A\nc""#, PATIENCE);
    sut.expect_report("missing=None", PATIENCE);
    sut.expect_report("env=set", PATIENCE);
    sut.expect_success(PATIENCE);
}

#[test]
fn child_writes_through_inherited_pipe_ends() {
    if let Some(ctx) = ChildContext::current() {
        for target in [10, 11] {
            let fd = ctx.take_fd(target);
            let flags = rustix::io::fcntl_getfd(&fd).unwrap();
            assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
            write!(File::from(fd), "through {target}").unwrap();
        }
        return;
    }
    let (first, first_writer) = io::pipe().unwrap();
    let (second, second_writer) = io::pipe().unwrap();
    let mut sut = ChildBuilder::new("writer")
        .inherit_fd(&first_writer, 10)
        .inherit_fd(&second_writer, 11)
        .spawn()
        .unwrap();
    // The child now holds the only write ends, so its exit ends both pipes.
    drop((first_writer, second_writer));
    sut.expect_success(PATIENCE);
    let (a, b) = read_both(first, second);
    assert_eq!((a.as_str(), b.as_str()), ("through 10", "through 11"));
}

#[test]
fn descriptors_placed_at_each_others_numbers_arrive_crossed() {
    if let Some(ctx) = ChildContext::current() {
        for key in ["a", "b"] {
            let target = ctx.arg(key).unwrap().parse().unwrap();
            write!(File::from(ctx.take_fd(target)), "{key}").unwrap();
        }
        return;
    }
    let (a, a_writer) = io::pipe().unwrap();
    let (b, b_writer) = io::pipe().unwrap();
    let (a_number, b_number) = (a_writer.as_raw_fd(), b_writer.as_raw_fd());
    // Each pipe goes to the number the other one has here: placement follows the target, not
    // the number the descriptor had in the parent.
    let mut sut = ChildBuilder::new("swapper")
        .arg("a", b_number)
        .arg("b", a_number)
        .inherit_fd(&a_writer, b_number)
        .inherit_fd(&b_writer, a_number)
        .spawn()
        .unwrap();
    drop((a_writer, b_writer));
    sut.expect_success(PATIENCE);
    let (got_a, got_b) = read_both(a, b);
    assert_eq!((got_a.as_str(), got_b.as_str()), ("a", "b"));
}

#[test]
fn reports_arrive_in_order_and_end_when_the_child_exits() {
    if let Some(ctx) = ChildContext::current() {
        ctx.report("one");
        ctx.report("two");
        return;
    }
    let mut sut = ChildBuilder::new("reporter").spawn().unwrap();
    assert_eq!(sut.next_report(PATIENCE).unwrap().as_deref(), Some("one"));
    sut.expect_report("two", PATIENCE);
    assert_eq!(sut.next_report(PATIENCE).unwrap(), None);
    sut.expect_success(PATIENCE);
}

#[test]
fn expect_report_of_another_event_panics_naming_both() {
    if let Some(ctx) = ChildContext::current() {
        eprintln!("child-side marker");
        ctx.report("actual");
        return;
    }
    let mut sut = ChildBuilder::new("reporter").spawn().unwrap();
    let panic =
        catch_unwind(AssertUnwindSafe(|| sut.expect_report("expected", PATIENCE))).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains(r#"expected report "expected", got "actual""#),
        "{message}"
    );
    assert!(message.contains("--- child output ---"), "{message}");
    sut.expect_success(PATIENCE);
    assert!(sut.output_so_far().contains("child-side marker"));
}

#[test]
fn kill_at_a_reported_point_reaps_the_child() {
    if let Some(ctx) = ChildContext::current() {
        report_parked_and_park(&ctx);
    }
    let mut sut = spawn_parked_sleeper();
    let pid = sut.pid();
    assert!(proc_entry(pid));
    let status = sut.kill();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert!(!proc_entry(pid), "a reaped child has no /proc entry");
    assert_eq!(sut.kill(), status, "kill is idempotent");
    assert_eq!(sut.next_report(PATIENCE).unwrap(), None);
}

#[test]
fn wait_timeout_on_a_parked_child_times_out_and_reaps_it() {
    if let Some(ctx) = ChildContext::current() {
        report_parked_and_park(&ctx);
    }
    let mut sut = spawn_parked_sleeper();
    let pid = sut.pid();
    let timeout = Duration::from_millis(200);
    let start = Instant::now();
    let err = sut.wait_timeout(timeout).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() >= timeout);
    assert!(!proc_entry(pid), "a reaped child has no /proc entry");
    let status = sut.try_wait().unwrap().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
}

#[test]
fn a_panicking_child_exits_with_a_failure_status() {
    if ChildContext::current().is_some() {
        panic!("deliberate failure in the child");
    }
    let mut sut = ChildBuilder::new("panicker").spawn().unwrap();
    let status = sut.wait_timeout(PATIENCE).unwrap();
    assert!(!status.success());
    // libtest exits with 101 when a test fails.
    assert_eq!(status.code(), Some(101));
    assert!(
        sut.output_so_far()
            .contains("deliberate failure in the child")
    );
}

#[test]
fn a_signal_sent_to_the_child_is_its_end() {
    if let Some(ctx) = ChildContext::current() {
        report_parked_and_park(&ctx);
    }
    let mut sut = spawn_parked_sleeper();
    // Real-time signals have no rustix name and are refused without reaching the child.
    let err = sut.signal(libc::SIGRTMIN()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    sut.signal(libc::SIGTERM).unwrap();
    let status = sut.wait_timeout(PATIENCE).unwrap();
    assert_eq!(status.signal(), Some(libc::SIGTERM));
}

#[test]
fn a_child_at_default_sigpipe_dies_of_a_broken_pipe() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::Default);
        let (reader, mut writer) = io::pipe().unwrap();
        drop(reader);
        ctx.report("writing");
        let _ = writer.write_all(b"x");
        ctx.report("survived");
        return;
    }
    let mut sut = ChildBuilder::new("victim").spawn().unwrap();
    sut.expect_report("writing", PATIENCE);
    let status = sut.wait_timeout(PATIENCE).unwrap();
    assert_eq!(status.signal(), Some(libc::SIGPIPE));
}

#[test]
fn a_child_with_the_counting_handler_counts_each_sigpipe() {
    if let Some(ctx) = ChildContext::current() {
        set_sigpipe(SigpipeDisposition::CountingHandler);
        let (reader, mut writer) = io::pipe().unwrap();
        drop(reader);
        for _ in 0..3 {
            let err = writer.write_all(b"x").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        }
        ctx.report(&format!("count={}", sigpipe_count()));
        return;
    }
    let mut sut = ChildBuilder::new("counter").spawn().unwrap();
    sut.expect_report("count=3", PATIENCE);
    sut.expect_success(PATIENCE);
}

#[test]
fn a_child_cannot_spawn_children() {
    if let Some(ctx) = ChildContext::current() {
        let err = ChildBuilder::new("grandchild").spawn().unwrap_err();
        ctx.report(&format!("{:?}", err.kind()));
        return;
    }
    let mut sut = ChildBuilder::new("parent").spawn().unwrap();
    sut.expect_report("Unsupported", PATIENCE);
    sut.expect_success(PATIENCE);
}

#[test]
fn a_report_timeout_leaves_the_child_running() {
    if let Some(ctx) = ChildContext::current() {
        report_parked_and_park(&ctx);
    }
    let mut sut = spawn_parked_sleeper();
    let timeout = Duration::from_millis(50);
    let start = Instant::now();
    let err = sut.next_report(timeout).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert!(start.elapsed() >= timeout);
    assert_eq!(sut.try_wait().unwrap(), None);
}

#[test]
fn a_counting_handler_counts_a_signal_the_parent_sends() {
    if let Some(ctx) = ChildContext::current() {
        install_counting_handler(libc::SIGUSR1, InterruptedCalls::Restart).unwrap();
        ctx.report("installed");
        // The signal is process-directed, so any thread may take it (libtest's main thread,
        // usually); wait for the count with a bound rather than for this thread.
        let deadline = Instant::now() + PATIENCE;
        while signal_count(libc::SIGUSR1) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        ctx.report(&format!("counted={}", signal_count(libc::SIGUSR1)));
        return;
    }
    let mut sut = ChildBuilder::new("counter").spawn().unwrap();
    sut.expect_report("installed", PATIENCE);
    sut.signal(libc::SIGUSR1).unwrap();
    sut.expect_report("counted=1", PATIENCE);
    sut.expect_success(PATIENCE);
}

#[test]
fn counting_handlers_refuse_signals_that_cannot_be_counted() {
    // Refused before sigaction, so this changes nothing in the test process.
    for signal in [0, libc::SIGKILL, libc::SIGSTOP, 32, libc::SIGRTMAX() + 1] {
        let err = install_counting_handler(signal, InterruptedCalls::Restart).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{signal}: {err}");
    }
}
