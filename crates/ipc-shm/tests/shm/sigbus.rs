//! A peer that shrinks a POSIX shm object under a mapping: the reader still dies of `SIGBUS`
//! (nothing can recover it safely), but with `ipc_shm::sigbus::install_diagnostic` it first
//! names the object; a `SIGBUS` that is not a fault in one of our mappings is handed to the
//! previous action without a word.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use ipc_core::ObjectName;
use ipc_core::testing::{
    Child, ChildBuilder, ChildContext, InterruptedCalls, SpawnLock, TempPath,
    install_counting_handler, signal_count, unique_test_name,
};
use ipc_shm::{MappedFile, RegionAccess, SharedMemory};
use rustix::process::{Resource, Rlimit, Signal, getpid, getrlimit, kill_process, setrlimit};

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// Where the child finds the pipe whose end of input tells it to read.
const GO_FD: i32 = 10;

/// The object is two pages; the parent cuts it to one.
const PAGE: usize = 4096;

/// The start of the diagnostic line.
const LINE_START: &str = "ipc-shm: SIGBUS at 0x";

/// What the child sets up before it maps the object.
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// Nothing: `SIGBUS` keeps the action std installed (its stack-overflow reporter).
    Untouched,
    /// `install_diagnostic`, chaining to std's handler.
    Diagnostic,
    /// `SIG_DFL` first, then `install_diagnostic`, which chains to it.
    DefaultThenDiagnostic,
    /// A counting handler first, then `install_diagnostic`, which chains to it.
    CounterThenDiagnostic,
}

impl Setup {
    fn from_arg(ctx: &ChildContext) -> Self {
        match ctx.arg("setup").unwrap() {
            "Untouched" => Self::Untouched,
            "Diagnostic" => Self::Diagnostic,
            "DefaultThenDiagnostic" => Self::DefaultThenDiagnostic,
            "CounterThenDiagnostic" => Self::CounterThenDiagnostic,
            other => panic!("unknown setup {other}"),
        }
    }

    /// Applies the setup in this (child) process.
    fn apply(self) {
        // A SIGBUS death would otherwise write a core file wherever core_pattern says.
        let core = getrlimit(Resource::Core);
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: core.maximum,
            },
        )
        .unwrap();
        match self {
            Self::Untouched => {}
            Self::Diagnostic => ipc_shm::sigbus::install_diagnostic().unwrap(),
            Self::DefaultThenDiagnostic => {
                // SAFETY: SIG_DFL is not a function, so no handler runs; the disposition is
                // process-wide, and this is a child process of its own.
                #[allow(unsafe_code, reason = "signal(2) to restore SIGBUS's default action")]
                let previous = unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
                assert_ne!(previous, libc::SIG_ERR);
                ipc_shm::sigbus::install_diagnostic().unwrap();
            }
            Self::CounterThenDiagnostic => {
                install_counting_handler(libc::SIGBUS, InterruptedCalls::Restart).unwrap();
                ipc_shm::sigbus::install_diagnostic().unwrap();
            }
        }
    }
}

/// In a child: applies the setup, maps the object the parent named, reports `mapped`, waits
/// for the end of input on [`GO_FD`], then reads the second page, which the parent cut off.
fn read_after_truncation_role(ctx: &ChildContext) {
    Setup::from_arg(ctx).apply();
    let name = ObjectName::new(ctx.arg("name").unwrap()).unwrap();
    let shm = SharedMemory::open(&name).unwrap();
    let mut byte = [0u8; 1];
    shm.read_at(PAGE + 4, &mut byte).unwrap();
    ctx.report("mapped");
    let mut go = std::fs::File::from(ctx.take_fd(GO_FD));
    let mut rest = Vec::new();
    go.read_to_end(&mut rest).unwrap();
    assert!(shm.check_size().is_err(), "the parent truncated the object");
    // Past the new end: SIGBUS.
    let _ = shm.read_at(PAGE + 4, &mut byte);
    ctx.report("survived");
}

/// In a child: as [`read_after_truncation_role`], for a file mapped with `MappedFile`.
fn read_file_after_truncation_role(ctx: &ChildContext) {
    Setup::from_arg(ctx).apply();
    let file = MappedFile::open(ctx.arg("path").unwrap()).unwrap();
    let mut byte = [0u8; 1];
    file.read_at(PAGE + 4, &mut byte).unwrap();
    ctx.report("mapped");
    let mut go = std::fs::File::from(ctx.take_fd(GO_FD));
    let mut rest = Vec::new();
    go.read_to_end(&mut rest).unwrap();
    // Past the new end: SIGBUS.
    let _ = file.read_at(PAGE + 4, &mut byte);
    ctx.report("survived");
}

/// In a child: applies the setup, maps an object (so one mapping is registered), then sends
/// itself `SIGBUS` with `kill`, where `si_addr` is 0 and no fault happened.
fn sent_sigbus_role(ctx: &ChildContext) {
    let setup = Setup::from_arg(ctx);
    setup.apply();
    let name = ObjectName::new(ctx.arg("name").unwrap()).unwrap();
    let _shm = SharedMemory::open(&name).unwrap();
    let before = signal_count(libc::SIGBUS);
    ctx.report("mapped");
    kill_process(getpid(), Signal::BUS).unwrap();
    // Any thread may take a signal sent to the process, so wait (with a bound) for the count.
    let deadline = Instant::now() + PATIENCE;
    while signal_count(libc::SIGBUS) == before && Instant::now() < deadline {
        std::thread::yield_now();
    }
    ctx.report(&format!("counted={}", signal_count(libc::SIGBUS) - before));
}

fn run_child() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    match ctx.role() {
        "read-after-truncation" => read_after_truncation_role(&ctx),
        "read-file-after-truncation" => read_file_after_truncation_role(&ctx),
        "sent-sigbus" => sent_sigbus_role(&ctx),
        other => panic!("unknown role {other}"),
    }
    true
}

/// The parent's half: makes a two-page object, lets a child with `setup` map it, cuts the
/// object to one page with a raw `ftruncate` on `/dev/shm/<name>`, tells the child to read the
/// second page, and returns how the child ended, its output and the object's name.
fn truncate_under_a_reader(setup: Setup) -> (ExitStatus, String, String) {
    let name = ObjectName::new(&format!("/{}", unique_test_name("sigbus"))).unwrap();
    let sut = SharedMemory::create_new(&name, 2 * PAGE).unwrap();
    let (mut child, go_writer) = {
        let spawner = SpawnLock::lock();
        let (go_reader, go_writer) = std::io::pipe().unwrap();
        let child = spawner.spawn(
            ChildBuilder::new("read-after-truncation")
                .arg("name", &name)
                .arg("setup", format!("{setup:?}"))
                .inherit_fd(&go_reader, GO_FD),
        );
        drop(go_reader);
        (child, go_writer)
    };
    child.expect_report("mapped", PATIENCE);
    std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/dev/shm{name}"))
        .unwrap()
        .set_len(PAGE as u64)
        .unwrap();
    assert!(sut.check_size().is_err(), "the truncation took");
    drop(go_writer); // the end of input is the child's "go"
    let status = wait(&mut child);
    (status, child.output_so_far(), name.to_string())
}

fn wait(child: &mut Child) -> ExitStatus {
    child.wait_timeout(PATIENCE).unwrap()
}

#[test]
fn with_the_diagnostic_a_reader_of_a_truncated_object_dies_of_sigbus_naming_the_object() {
    if run_child() {
        return;
    }
    let (status, output, name) = truncate_under_a_reader(Setup::Diagnostic);
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status}\n{output}");
    assert_names_the_second_page(&output, &name);
}

#[test]
fn with_the_diagnostic_over_the_default_action_the_reader_still_dies_of_sigbus_naming_the_object() {
    if run_child() {
        return;
    }
    let (status, output, name) = truncate_under_a_reader(Setup::DefaultThenDiagnostic);
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status}\n{output}");
    assert_names_the_second_page(&output, &name);
}

#[test]
fn with_the_diagnostic_a_reader_of_a_truncated_mapped_file_dies_of_sigbus_naming_the_file() {
    if run_child() {
        return;
    }
    let path = TempPath::new("sigbus-file");
    let sut = MappedFile::create_new(path.path(), 2 * PAGE).unwrap();
    let (mut child, go_writer) = {
        let spawner = SpawnLock::lock();
        let (go_reader, go_writer) = std::io::pipe().unwrap();
        let child = spawner.spawn(
            ChildBuilder::new("read-file-after-truncation")
                .arg("path", path.path().display().to_string())
                .arg("setup", format!("{:?}", Setup::Diagnostic))
                .inherit_fd(&go_reader, GO_FD),
        );
        drop(go_reader);
        (child, go_writer)
    };
    child.expect_report("mapped", PATIENCE);
    std::fs::OpenOptions::new()
        .write(true)
        .open(path.path())
        .unwrap()
        .set_len(PAGE as u64)
        .unwrap();
    drop(go_writer);
    let status = wait(&mut child);
    let output = child.output_so_far();
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status}\n{output}");
    assert_names_the_second_page(&output, &path.path().display().to_string());
    drop(sut);
}

#[test]
fn without_the_diagnostic_a_reader_of_a_truncated_object_dies_of_sigbus_silently() {
    if run_child() {
        return;
    }
    let (status, output, _) = truncate_under_a_reader(Setup::Untouched);
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status}\n{output}");
    assert!(!output.contains(LINE_START), "{output}");
}

#[test]
fn a_sigbus_sent_with_kill_reaches_the_previous_handler_without_a_line() {
    if run_child() {
        return;
    }
    let (status, output) = send_sigbus(Setup::CounterThenDiagnostic, Some("counted=1"));
    assert!(status.success(), "{status}\n{output}");
    assert!(!output.contains(LINE_START), "{output}");
}

#[test]
fn a_sigbus_sent_with_kill_over_the_default_action_kills_without_a_line() {
    if run_child() {
        return;
    }
    let (status, output) = send_sigbus(Setup::DefaultThenDiagnostic, None);
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status}\n{output}");
    assert!(!output.contains(LINE_START), "{output}");
}

/// Lets a child with `setup` map an object and send itself `SIGBUS`; `report` is what it
/// should say if it survives. Returns how it ended and its output.
fn send_sigbus(setup: Setup, report: Option<&str>) -> (ExitStatus, String) {
    let name = ObjectName::new(&format!("/{}", unique_test_name("sigbus"))).unwrap();
    let _object = SharedMemory::create_new(&name, PAGE).unwrap();
    let mut child = SpawnLock::lock().spawn(
        ChildBuilder::new("sent-sigbus")
            .arg("name", &name)
            .arg("setup", format!("{setup:?}")),
    );
    child.expect_report("mapped", PATIENCE);
    if let Some(report) = report {
        child.expect_report(report, PATIENCE);
    }
    let status = wait(&mut child);
    (status, child.output_so_far())
}

/// Asserts that `output` holds the diagnostic line for the second page of `name`.
fn assert_names_the_second_page(output: &str, name: &str) {
    let line = output
        .lines()
        .find(|line| line.starts_with(LINE_START))
        .unwrap_or_else(|| panic!("no diagnostic line in:\n{output}"));
    let head = format!(" in the mapping of {name} (offset ");
    let (_, after) = line
        .split_once(&head)
        .unwrap_or_else(|| panic!("the line does not name {name}: {line}"));
    let offset: usize = after.split(')').next().unwrap().parse().unwrap();
    assert!(
        (PAGE..2 * PAGE).contains(&offset),
        "the fault is on the second page: {line}"
    );
    assert!(
        line.ends_with("(a peer truncated it); see ipc_shm docs \"SIGBUS\""),
        "{line}"
    );
}
