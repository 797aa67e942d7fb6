//! Named pipes (§1.2, §1.3): unrelated processes meet by path; the node is created with an exact
//! mode, refused when something else sits at the path, removed only by its creator, and opened
//! blocking, non-blocking or bounded.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use ipc_core::testing::{Child, ChildBuilder, ChildContext, TempPath};
use ipc_core::{ErrorKind, Permissions};
use ipc_pipe::{Fifo, Reader};
use rustix::fs::Mode;

use crate::support::{
    PATIENCE, SECOND_FD, SHORT, Spawner, Watchdog, read_all, spawn_with_control, wait_for_go,
};

/// In a child: opens the FIFO at the `path` argument for writing (blocking until a reader
/// comes) and writes the `message` argument.
fn write_message_role(ctx: &ChildContext) {
    let sut = Fifo::open(ctx.arg("path").unwrap()).unwrap();
    ctx.report("opening");
    let writer = sut.open_writer().unwrap();
    writer
        .write_all(ctx.arg("message").unwrap().as_bytes())
        .unwrap();
}

fn spawn_message_writer(path: &Path, message: &str) -> Child {
    Spawner::lock().spawn(
        ChildBuilder::new("writer")
            .arg("path", path.display())
            .arg("message", message),
    )
}

/// Spawns a [`write_message_role`] child with `message`, opens the reader of `sut` (waiting at
/// most [`PATIENCE`]) and asserts that `message` arrives; returns the child, still to be
/// reaped, and the watchdog that guards it.
#[track_caller]
fn expect_message_from_a_child(sut: &Fifo, message: &str) -> (Child, Watchdog) {
    let child = spawn_message_writer(sut.path(), message);
    let watchdog = Watchdog::new([child.pid()]);
    let reader = sut.open_reader_timeout(PATIENCE).unwrap();
    assert_eq!(read_all(&reader), message.as_bytes());
    (child, watchdog)
}

/// Asserts that `open`, a bounded open of an end of `sut` given [`SHORT`], times out after at
/// least that long and leaves no descriptor on the node.
#[track_caller]
fn assert_times_out_leaving_no_descriptor(
    sut: &Fifo,
    open: impl FnOnce(Duration) -> Result<(), ipc_core::Error>,
) {
    let start = Instant::now();
    let err = open(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(
        start.elapsed() >= SHORT,
        "gave up after {:?}",
        start.elapsed()
    );
    assert_eq!(
        descriptors_on(sut.path()),
        0,
        "the timed-out open left a descriptor"
    );
}

/// How many descriptors of this process refer to the node at `path`.
/// Descriptors of this process open for reading or writing on `path`. The `O_PATH` descriptor
/// a `Fifo` holds to pin its node opens no end, so it is not counted.
fn descriptors_on(path: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            let info = std::fs::read_to_string(format!(
                "/proc/self/fdinfo/{}",
                entry.file_name().to_str()?
            ))
            .ok()?;
            let flags = info
                .lines()
                .find_map(|line| line.strip_prefix("flags:"))?
                .trim();
            let flags = u32::from_str_radix(flags, 8).ok()?;
            (target == path && flags & (libc::O_PATH as u32) == 0).then_some(())
        })
        .count()
}

/// In a child: reads `reader` to its end and reports `got <what was read>`.
fn report_all_read(ctx: &ChildContext, reader: &Reader) {
    ctx.report(&format!(
        "got {}",
        String::from_utf8_lossy(&read_all(reader))
    ));
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_fifo())
}

#[test]
fn a_child_finds_the_fifo_by_its_path_and_its_message_arrives() {
    if let Some(ctx) = ChildContext::current() {
        write_message_role(&ctx);
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    let mut child = spawn_message_writer(path.path(), "Hello via FIFO!");
    let watchdog = Watchdog::new([child.pid()]);
    let mut reader = sut.open_reader_timeout(PATIENCE).unwrap();
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "Hello via FIFO!");
    child.expect_report("opening", PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
    drop(sut);
    assert!(!path.path().exists(), "the creator removes the node");
}

#[test]
fn a_new_fifo_gets_exactly_its_mode_whatever_the_umask() {
    if let Some(ctx) = ChildContext::current() {
        // The umask is process-wide, so it is changed here, in a child, never in the harness.
        for (umask, mode) in [
            (0o000, None),
            (0o077, None),
            (0o277, None),
            (0o077, Some(0o640)),
        ] {
            rustix::process::umask(Mode::from_raw_mode(umask));
            let path = TempPath::new("fifo");
            let sut = match mode {
                None => Fifo::create_new(path.path()),
                Some(mode) => Fifo::builder()
                    .permissions(Permissions::from_mode(mode).unwrap())
                    .create_new(path.path()),
            }
            .unwrap();
            let meta = std::fs::symlink_metadata(sut.path()).unwrap();
            let got = meta.permissions().mode() & 0o7777;
            let fifo = meta.file_type().is_fifo();
            ctx.report(&format!("umask={umask:03o} fifo={fifo} mode={got:o}"));
        }
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("creator"));
    for expected in [
        "umask=000 fifo=true mode=600",
        "umask=077 fifo=true mode=600",
        "umask=277 fifo=true mode=600",
        "umask=077 fifo=true mode=640",
    ] {
        child.expect_report(expected, PATIENCE);
    }
    child.expect_success(PATIENCE);
}

#[test]
fn a_symlink_planted_at_the_path_is_refused_and_its_target_is_untouched() {
    let target = TempPath::new("target");
    std::fs::write(target.path(), b"precious").unwrap();
    std::fs::set_permissions(target.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = TempPath::new("fifo");
    std::os::unix::fs::symlink(target.path(), path.path()).unwrap();

    let err = Fifo::create_new(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let err = Fifo::open(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let err = Fifo::open_or_create(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");

    assert!(std::fs::symlink_metadata(path.path()).unwrap().is_symlink());
    let meta = std::fs::symlink_metadata(target.path()).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    assert_eq!(std::fs::read(target.path()).unwrap(), b"precious");
}

#[test]
fn a_symlink_to_a_real_fifo_is_refused_too() {
    let real = TempPath::new("fifo");
    let _real = Fifo::create_new(real.path()).unwrap();
    let path = TempPath::new("fifo");
    std::os::unix::fs::symlink(real.path(), path.path()).unwrap();
    let err = Fifo::open(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
}

#[test]
fn a_regular_file_at_the_path_is_the_wrong_object_type_and_is_untouched() {
    let path = TempPath::new("fifo");
    std::fs::write(path.path(), b"not a fifo").unwrap();
    let err = Fifo::create_new(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    for err in [
        Fifo::open(path.path()).unwrap_err(),
        Fifo::open_or_create(path.path()).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    }
    assert_eq!(std::fs::read(path.path()).unwrap(), b"not a fifo");
}

/// The unprivileged user that owns the "other user's" nodes below.
const NOBODY: u32 = 65534;

/// Makes a FIFO at `path` owned by [`NOBODY`], as another user's service would.
fn plant_foreign_fifo(path: &Path) {
    rustix::fs::mkfifoat(rustix::fs::CWD, path, Mode::from_raw_mode(0o600)).unwrap();
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
}

#[test]
fn a_fifo_owned_by_another_user_is_refused_unless_that_owner_is_trusted() {
    let path = TempPath::new("fifo");
    plant_foreign_fifo(path.path());
    for err in [
        Fifo::open(path.path()).unwrap_err(),
        Fifo::open_or_create(path.path()).unwrap_err(),
        Fifo::builder()
            .trust_owner(NOBODY + 1)
            .open(path.path())
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }
    drop(
        Fifo::builder()
            .trust_owner(NOBODY)
            .open(path.path())
            .unwrap(),
    );
    drop(Fifo::builder().trust_any_owner().open(path.path()).unwrap());
    let meta = std::fs::symlink_metadata(path.path()).unwrap();
    assert!(meta.file_type().is_fifo(), "an opener removed the node");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), NOBODY);
}

#[test]
fn a_foreign_fifo_swapped_in_under_a_handle_is_refused_when_opening_an_end() {
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    std::fs::remove_file(path.path()).unwrap();
    plant_foreign_fifo(path.path());
    for err in [
        sut.try_open_reader().unwrap_err(),
        sut.try_open_writer().unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }
}

#[test]
fn the_creator_leaves_alone_a_fifo_another_process_made_after_its_own_was_removed() {
    if let Some(ctx) = ChildContext::current() {
        // Removal and re-creation back to back, as a service restarting over a stale node
        // would: on ext4 the new node usually gets the inode number the old one had.
        let path = ctx.arg("path").unwrap();
        std::fs::remove_file(path).unwrap();
        Fifo::create_new(path).unwrap().persist();
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    let first = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path.path()).unwrap());
    let spawner = Spawner::lock();
    let mut child =
        spawner.spawn(ChildBuilder::new("successor").arg("path", path.path().display()));
    drop(spawner);
    child.expect_success(PATIENCE);
    let second = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path.path()).unwrap());
    drop(sut);
    assert!(
        is_fifo(path.path()),
        "the first creator's drop removed the successor's FIFO (inode {first}, then {second})"
    );
}

#[test]
fn opening_a_missing_fifo_is_not_found() {
    let path = TempPath::new("fifo");
    let err = Fifo::open(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn an_opener_in_another_process_never_removes_the_node_and_the_creator_does() {
    if let Some(ctx) = ChildContext::current() {
        let sut = Fifo::open(ctx.arg("path").unwrap()).unwrap();
        drop(sut);
        ctx.report("dropped");
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("opener").arg("path", path.path().display()));
    child.expect_report("dropped", PATIENCE);
    child.expect_success(PATIENCE);
    assert!(is_fifo(path.path()), "an opener's drop removed the node");
    drop(sut);
    assert!(!path.path().exists(), "the creator's drop left the node");
}

#[test]
fn a_persisted_fifo_outlives_its_creator_process_and_is_found_by_path() {
    if let Some(ctx) = ChildContext::current() {
        let mut sut = Fifo::create_new(ctx.arg("path").unwrap()).unwrap();
        sut.persist();
        return;
    }
    let path = TempPath::new("fifo");
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("creator").arg("path", path.path().display()));
    child.expect_success(PATIENCE);
    assert!(is_fifo(path.path()), "the persisted node is gone");
    let sut = Fifo::open(path.path()).unwrap();
    let reader = sut.try_open_reader().unwrap();
    let writer = sut.try_open_writer().unwrap();
    writer.write_all(b"still a pipe").unwrap();
    let mut buf = [0_u8; 16];
    let n = reader.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still a pipe");
    drop(sut);
    assert!(is_fifo(path.path()), "an opener removed the node");
    Fifo::open(path.path()).unwrap().unlink().unwrap();
    assert!(!path.path().exists());
}

#[test]
fn open_writer_timeout_without_a_reader_times_out_and_the_fifo_still_works() {
    if let Some(ctx) = ChildContext::current() {
        write_message_role(&ctx);
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    // While the bounded open runs, its helper holds descriptors on the FIFO; a fork by another
    // test at that moment would copy them, and the copy would pass for a peer below.
    let spawner = Spawner::lock();
    assert_times_out_leaving_no_descriptor(&sut, |timeout| {
        sut.open_writer_timeout(timeout).map(drop)
    });
    let err = sut.try_open_writer().unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::PeerGone,
        "the timed-out open left a reader: {err}"
    );
    drop(spawner);

    let (mut child, watchdog) = expect_message_from_a_child(&sut, "after the timeout");
    child.expect_report("opening", PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn open_reader_timeout_without_a_writer_times_out_and_leaves_no_writer_behind() {
    if let Some(ctx) = ChildContext::current() {
        write_message_role(&ctx);
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    // While the bounded open runs, its helper holds descriptors on the FIFO; a fork by another
    // test at that moment would copy them, and the copy would pass for a peer below.
    let spawner = Spawner::lock();
    assert_times_out_leaving_no_descriptor(&sut, |timeout| {
        sut.open_reader_timeout(timeout).map(drop)
    });
    // Once a writer has come and gone, an empty FIFO is at its end; a writer left behind by
    // the timed-out open would make it WouldBlock instead.
    let reader = sut.try_open_reader().unwrap();
    drop(sut.try_open_writer().unwrap());
    assert_eq!(reader.try_read(&mut [0; 8]).unwrap(), 0);
    drop(reader);
    drop(spawner);

    let (mut child, watchdog) = expect_message_from_a_child(&sut, "after the timeout");
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn open_reader_timeout_succeeds_when_a_child_opens_the_writer_in_time() {
    if let Some(ctx) = ChildContext::current() {
        write_message_role(&ctx);
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    // Called before the child has started: its open arrives during the wait.
    let (mut child, watchdog) = expect_message_from_a_child(&sut, "in time");
    child.expect_report("opening", PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}

#[test]
fn try_open_writer_is_peer_gone_without_a_reader_and_succeeds_once_a_child_reads() {
    if let Some(ctx) = ChildContext::current() {
        let sut = Fifo::open(ctx.arg("path").unwrap()).unwrap();
        let reader = sut.try_open_reader().unwrap();
        ctx.report("reader open");
        wait_for_go(&ctx, SECOND_FD);
        report_all_read(&ctx, &reader);
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    let err = sut.try_open_writer().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");

    let spawner = Spawner::lock();
    let (mut child, control) = spawn_with_control(
        &spawner,
        ChildBuilder::new("reader").arg("path", path.path().display()),
    );
    drop(spawner);
    child.expect_report("reader open", PATIENCE);
    let writer = sut.try_open_writer().unwrap();
    writer.write_all(b"late hello").unwrap();
    drop(writer);
    drop(control);
    child.expect_report("got late hello", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn read_timeout_on_a_fifo_reader_opened_before_any_writer_waits_as_documented() {
    // Fifo::try_open_reader: "Until a writer opens the FIFO, reads return end of input at once
    // (`Ok(0)`); bounded reads (`Reader::read_timeout`) wait for data as usual."
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    let reader = sut.try_open_reader().unwrap();
    assert_eq!(
        reader.read(&mut [0; 8]).unwrap(),
        0,
        "a plain read is end of input"
    );
    let start = Instant::now();
    let result = reader.read_timeout(&mut [0; 8], SHORT);
    let waited = start.elapsed();
    assert_eq!(
        result.map_err(|err| err.kind()),
        Err(ErrorKind::TimedOut),
        "a bounded read before any writer came (returned after {waited:?})"
    );
    assert!(waited >= SHORT, "gave up after {waited:?}");
}

#[test]
fn ends_open_across_processes_keep_working_after_the_node_is_removed() {
    if let Some(ctx) = ChildContext::current() {
        let sut = Fifo::open(ctx.arg("path").unwrap()).unwrap();
        let writer = sut.open_writer().unwrap();
        drop(sut);
        ctx.report("connected");
        wait_for_go(&ctx, SECOND_FD);
        writer.write_all(b"after the unlink").unwrap();
        return;
    }
    let path = TempPath::new("fifo");
    let mut sut = Fifo::create_new(path.path()).unwrap();
    let spawner = Spawner::lock();
    let (mut child, control) = spawn_with_control(
        &spawner,
        ChildBuilder::new("writer").arg("path", path.path().display()),
    );
    drop(spawner);
    let watchdog = Watchdog::new([child.pid()]);
    let reader = sut.open_reader_timeout(PATIENCE).unwrap();
    child.expect_report("connected", PATIENCE);
    sut.unlink().unwrap();
    assert!(!path.path().exists());
    let err = Fifo::open(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    drop(control);
    assert_eq!(read_all(&reader), b"after the unlink");
    child.expect_success(PATIENCE);
    drop(watchdog);
}

/// The kernel's name (its first 15 bytes) of the helper thread a bounded open for reading waits
/// in.
const HELPER_COMM: &str = "ipc-pipe-fifo-o";

/// How many helper threads of bounded opens this process has, once any that has just been
/// joined is gone from `/proc` (a joined thread's task can linger an instant; one that leaked
/// stays, and fails the caller's assertion after [`PATIENCE`]).
fn settled_helper_threads() -> usize {
    let count = || {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| {
                let comm = std::fs::read_to_string(task.ok()?.path().join("comm")).ok()?;
                (comm.trim_end() == HELPER_COMM).then_some(())
            })
            .count()
    };
    let start = Instant::now();
    loop {
        let helpers = count();
        if helpers == 0 || start.elapsed() >= PATIENCE {
            return helpers;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn bounded_opens_of_zero_and_one_millisecond_time_out_and_leave_no_descriptor_or_thread() {
    if let Some(ctx) = ChildContext::current() {
        // In a child of its own, so that no other test's bounded open runs a helper meanwhile.
        let path = ctx.arg("path").unwrap();
        let sut = Fifo::open(path).unwrap();
        for (end, millis) in [("reader", 0), ("reader", 1), ("writer", 0), ("writer", 1)] {
            let timeout = std::time::Duration::from_millis(millis);
            // Many rounds: the helper thread starts at a different point each time, and a
            // release issued before it reaches open() must still end its wait.
            let mut kinds = std::collections::BTreeSet::new();
            let mut leftovers = 0;
            for _ in 0..50 {
                let result = match end {
                    "reader" => sut.open_reader_timeout(timeout).map(drop),
                    _ => sut.open_writer_timeout(timeout).map(drop),
                };
                kinds.insert(format!("{:?}", result.map_err(|err| err.kind())));
                leftovers += descriptors_on(Path::new(path));
            }
            ctx.report(&format!(
                "{end} {millis}ms: {kinds:?} descriptors={leftovers} helpers={}",
                settled_helper_threads()
            ));
        }
        return;
    }
    let path = TempPath::new("fifo");
    let _sut = Fifo::create_new(path.path()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("opener").arg("path", path.path().display()));
    for expected in [
        "reader 0ms: {\"Err(TimedOut)\"} descriptors=0 helpers=0",
        "reader 1ms: {\"Err(TimedOut)\"} descriptors=0 helpers=0",
        "writer 0ms: {\"Err(TimedOut)\"} descriptors=0 helpers=0",
        "writer 1ms: {\"Err(TimedOut)\"} descriptors=0 helpers=0",
    ] {
        child.expect_report(expected, PATIENCE);
    }
    child.expect_success(PATIENCE);
}

#[test]
fn open_writer_timeout_succeeds_when_a_child_opens_the_reader_in_time() {
    if let Some(ctx) = ChildContext::current() {
        let sut = Fifo::open(ctx.arg("path").unwrap()).unwrap();
        ctx.report("opening");
        report_all_read(&ctx, &sut.open_reader().unwrap());
        return;
    }
    let path = TempPath::new("fifo");
    let sut = Fifo::create_new(path.path()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("reader").arg("path", path.path().display()));
    let watchdog = Watchdog::new([child.pid()]);
    // Called before the child has started: its blocking open arrives during the wait, and the
    // child's open returns once this one succeeds.
    let writer = sut.open_writer_timeout(PATIENCE).unwrap();
    writer.write_all(b"in time").unwrap();
    drop(writer);
    child.expect_report("opening", PATIENCE);
    child.expect_report("got in time", PATIENCE);
    child.expect_success(PATIENCE);
    drop(watchdog);
}
