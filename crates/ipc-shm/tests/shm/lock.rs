//! File locks across processes (§2.9): a killed holder releases every kind of lock, processes
//! contend and share, byte ranges conflict only where they overlap, a process-associated lock
//! is lost when any descriptor of the file closes while an open-file-description lock is not,
//! the holder query names the holder, and a counter incremented under `flock` by several
//! processes loses no increment.

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ipc_core::ErrorKind;
use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, TempPath};
use ipc_shm::lock::{ByteRange, Flock, LockMode, OfdLock, ProcessLock};

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// The timeout given to bounded calls that are expected to time out.
const SHORT: Duration = Duration::from_millis(100);

/// Where a holder child finds the read end of its control pipe.
const CONTROL_FD: i32 = 10;

/// The three kinds of lock, as child arguments.
const KINDS: [&str; 3] = ["flock", "process", "ofd"];

/// A file for the tests to lock, in the temporary directory, removed on drop.
fn lock_file() -> TempPath {
    let path = TempPath::new("lock");
    std::fs::write(path.path(), b"").unwrap();
    path
}

fn open_rw(path: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap()
}

fn mode_arg(mode: LockMode) -> &'static str {
    match mode {
        LockMode::Shared => "shared",
        LockMode::Exclusive => "exclusive",
    }
}

/// The range a child locks: its `start` and `len` arguments, or the whole file.
fn range_of(ctx: &ChildContext) -> ByteRange {
    let number = |key| ctx.arg(key).map_or(0, |value: &str| value.parse().unwrap());
    ByteRange::new(number("start"), number("len"))
}

/// Takes a lock of `kind` on `range` of `file` as `try` (non-blocking) or blocking; the guard
/// is boxed so every kind can be held and dropped alike.
fn take<'f>(
    kind: &str,
    file: &'f File,
    range: ByteRange,
    mode: LockMode,
    non_blocking: bool,
) -> ipc_core::Result<Box<dyn Debug + Send + 'f>> {
    Ok(match (kind, non_blocking) {
        ("flock", false) => Box::new(Flock::lock(file, mode)?),
        ("flock", true) => Box::new(Flock::try_lock(file, mode)?),
        ("process", false) => Box::new(ProcessLock::lock(file, range, mode)?),
        ("process", true) => Box::new(ProcessLock::try_lock(file, range, mode)?),
        ("ofd", false) => Box::new(OfdLock::lock(file, range, mode)?),
        ("ofd", true) => Box::new(OfdLock::try_lock(file, range, mode)?),
        (other, _) => panic!("unknown lock kind {other}"),
    })
}

/// [`take`] with a bound.
fn take_timeout<'f>(
    kind: &str,
    file: &'f File,
    range: ByteRange,
    mode: LockMode,
    timeout: Duration,
) -> ipc_core::Result<Box<dyn Debug + Send + 'f>> {
    Ok(match kind {
        "flock" => Box::new(Flock::lock_timeout(file, mode, timeout)?),
        "process" => Box::new(ProcessLock::lock_timeout(file, range, mode, timeout)?),
        "ofd" => Box::new(OfdLock::lock_timeout(file, range, mode, timeout)?),
        other => panic!("unknown lock kind {other}"),
    })
}

/// In a child: takes the lock its arguments describe (`path`, `kind`, `mode`, `start`, `len`),
/// reports "locked", then either parks until killed or, with `release`, waits for the parent
/// to close the control pipe, drops the guard, reports "released" and parks (alive, so the
/// release is the unlock, not the exit).
fn hold_role(ctx: &ChildContext) {
    let control = ctx
        .arg("release")
        .map(|_| File::from(ctx.take_fd(CONTROL_FD)));
    let file = open_rw(Path::new(ctx.arg("path").unwrap()));
    let mode = match ctx.arg("mode").unwrap() {
        "shared" => LockMode::Shared,
        _ => LockMode::Exclusive,
    };
    let guard = take(ctx.arg("kind").unwrap(), &file, range_of(ctx), mode, false).unwrap();
    ctx.report("locked");
    if let Some(mut control) = control {
        let mut rest = Vec::new();
        control.read_to_end(&mut rest).unwrap();
        drop(guard);
        ctx.report("released");
    }
    loop {
        thread::park();
    }
}

/// In a child: tries the lock its arguments describe once and reports "free" or "busy".
fn probe_role(ctx: &ChildContext) {
    let file = open_rw(Path::new(ctx.arg("path").unwrap()));
    let kind = ctx.arg("kind").unwrap();
    match take(kind, &file, range_of(ctx), LockMode::Exclusive, true) {
        Ok(_guard) => ctx.report("free"),
        Err(err) if err.is_would_block() => ctx.report("busy"),
        Err(err) => panic!("probing: {err}"),
    }
}

/// In a child: adds one to the little-endian counter at the start of the file `rounds` times,
/// each under an exclusive `flock`.
fn count_role(ctx: &ChildContext) {
    let mut control = File::from(ctx.take_fd(CONTROL_FD));
    let file = open_rw(Path::new(ctx.arg("path").unwrap()));
    let rounds: u64 = ctx.arg("rounds").unwrap().parse().unwrap();
    let mut rest = Vec::new();
    control.read_to_end(&mut rest).unwrap();
    for _ in 0..rounds {
        let guard = Flock::lock(&file, LockMode::Exclusive).unwrap();
        let mut word = [0_u8; 8];
        guard.get_ref().read_exact_at(&mut word, 0).unwrap();
        let next = u64::from_le_bytes(word) + 1;
        guard
            .get_ref()
            .write_all_at(&next.to_le_bytes(), 0)
            .unwrap();
    }
}

/// Runs the child side of every test of this module, if this process is a child.
fn child_side() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    match ctx.role() {
        "hold" => hold_role(&ctx),
        "probe" => probe_role(&ctx),
        "count" => count_role(&ctx),
        other => panic!("unknown role {other}"),
    }
    true
}

/// A holder child of `kind` on `range`, already reporting "locked"; with `release`, also the
/// write end of its control pipe, whose closing makes it unlock.
fn spawn_holder(
    path: &Path,
    kind: &str,
    range: ByteRange,
    mode: LockMode,
    release: bool,
) -> (Child, Option<std::io::PipeWriter>) {
    let builder = ChildBuilder::new("hold")
        .arg("path", path.display())
        .arg("kind", kind)
        .arg("mode", mode_arg(mode))
        .arg("start", range.start())
        .arg("len", range.len());
    let spawner = SpawnLock::lock();
    let (mut child, control) = if release {
        let (reader, writer) = std::io::pipe().unwrap();
        let child = spawner.spawn(
            builder
                .arg("release", "on-close")
                .inherit_fd(&reader, CONTROL_FD),
        );
        drop(reader);
        (child, Some(writer))
    } else {
        (spawner.spawn(builder), None)
    };
    drop(spawner);
    child.expect_report("locked", PATIENCE);
    (child, control)
}

/// What a fresh probe child finds for an exclusive lock of `kind` on `range`: "free" or "busy".
fn probe(path: &Path, kind: &str, range: ByteRange) -> String {
    let mut child = SpawnLock::lock().spawn(
        ChildBuilder::new("probe")
            .arg("path", path.display())
            .arg("kind", kind)
            .arg("start", range.start())
            .arg("len", range.len()),
    );
    let got = child.next_report(PATIENCE).unwrap().unwrap();
    child.expect_success(PATIENCE);
    got
}

/// Asserts that a non-blocking lock of `kind` fails with `WouldBlock`.
#[track_caller]
fn assert_busy(kind: &str, file: &File, range: ByteRange, mode: LockMode) {
    let err = take(kind, file, range, mode, true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{kind}: {err}");
}

/// Takes a lock of `kind` with the blocking call on another thread, which must return within
/// [`PATIENCE`]; the guard is dropped there.
#[track_caller]
fn assert_blocking_lock_succeeds(kind: &str, path: &Path, range: ByteRange) {
    let (done, result) = mpsc::channel();
    let file = open_rw(path);
    let kind_owned = kind.to_owned();
    thread::spawn(move || {
        let got = take(&kind_owned, &file, range, LockMode::Exclusive, false).map(drop);
        let _ = done.send(got);
    });
    match result.recv_timeout(PATIENCE) {
        Ok(got) => got.unwrap(),
        Err(err) => panic!("{kind}: the blocking lock did not return: {err}"),
    }
}

fn assert_a_killed_holder_releases(kind: &str) {
    let path = lock_file();
    let range = ByteRange::new(0, 100);
    let (mut holder, _) = spawn_holder(path.path(), kind, range, LockMode::Exclusive, false);
    let file = open_rw(path.path());
    assert_busy(kind, &file, range, LockMode::Shared);
    holder.kill();
    assert_blocking_lock_succeeds(kind, path.path(), range);
    take_timeout(kind, &file, range, LockMode::Exclusive, PATIENCE).unwrap();
}

#[test]
fn a_killed_child_releases_its_flock() {
    if child_side() {
        return;
    }
    assert_a_killed_holder_releases("flock");
}

#[test]
fn a_killed_child_releases_its_process_associated_record_lock() {
    if child_side() {
        return;
    }
    assert_a_killed_holder_releases("process");
}

#[test]
fn a_killed_child_releases_its_open_file_description_record_lock() {
    if child_side() {
        return;
    }
    assert_a_killed_holder_releases("ofd");
}

#[test]
fn a_held_exclusive_lock_makes_try_would_block_and_timeout_wait_at_least_its_timeout() {
    if child_side() {
        return;
    }
    for kind in KINDS {
        let path = lock_file();
        let range = ByteRange::whole_file();
        let (mut holder, control) =
            spawn_holder(path.path(), kind, range, LockMode::Exclusive, true);
        let file = open_rw(path.path());
        assert_busy(kind, &file, range, LockMode::Exclusive);
        let start = Instant::now();
        let err = take_timeout(kind, &file, range, LockMode::Shared, SHORT).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{kind}: {err}");
        assert!(
            start.elapsed() >= SHORT,
            "{kind}: gave up after {:?}",
            start.elapsed()
        );
        drop(control);
        holder.expect_report("released", PATIENCE);
        take_timeout(kind, &file, range, LockMode::Exclusive, PATIENCE).unwrap();
        holder.kill();
    }
}

#[test]
fn shared_locks_of_two_processes_coexist_and_keep_out_an_exclusive_one() {
    if child_side() {
        return;
    }
    for kind in KINDS {
        let path = lock_file();
        let range = ByteRange::new(0, 10);
        let (mut holder, _) = spawn_holder(path.path(), kind, range, LockMode::Shared, false);
        let file = open_rw(path.path());
        let shared = take(kind, &file, range, LockMode::Shared, true).unwrap();
        drop(shared);
        assert_busy(kind, &file, range, LockMode::Exclusive);
        holder.kill();
    }
}

#[test]
fn record_locks_conflict_only_where_their_ranges_overlap() {
    if child_side() {
        return;
    }
    for kind in ["process", "ofd"] {
        let path = lock_file();
        let held = ByteRange::new(10, 10);
        let (mut holder, _) = spawn_holder(path.path(), kind, held, LockMode::Exclusive, false);
        let file = open_rw(path.path());
        for free in [
            ByteRange::new(0, 10),
            ByteRange::new(20, 5),
            ByteRange::from_offset(20),
        ] {
            take(kind, &file, free, LockMode::Exclusive, true)
                .unwrap_or_else(|err| panic!("{kind} {free}: {err}"));
        }
        for busy in [
            ByteRange::new(5, 6),
            ByteRange::new(19, 1),
            ByteRange::from_offset(0),
        ] {
            assert_busy(kind, &file, busy, LockMode::Shared);
        }
        holder.kill();
    }
}

#[test]
fn closing_any_descriptor_of_the_file_drops_a_process_lock_but_not_an_ofd_lock() {
    if child_side() {
        return;
    }
    let path = lock_file();
    let range = ByteRange::new(0, 4);

    let a = open_rw(path.path());
    let b = open_rw(path.path());
    let sut = ProcessLock::lock(&a, range, LockMode::Exclusive).unwrap();
    assert_eq!(probe(path.path(), "process", range), "busy");
    drop(b); // the footgun: a close of another descriptor of the file
    assert_eq!(probe(path.path(), "process", range), "free");
    drop(sut);

    let c = open_rw(path.path());
    let sut = OfdLock::lock(&a, range, LockMode::Exclusive).unwrap();
    assert_eq!(probe(path.path(), "ofd", range), "busy");
    drop(c);
    assert_eq!(probe(path.path(), "ofd", range), "busy");
    assert_eq!(probe(path.path(), "process", range), "busy");
    drop(sut);
    assert_eq!(probe(path.path(), "ofd", range), "free");
}

#[test]
fn the_holder_query_names_the_pid_of_a_process_lock_and_none_for_an_ofd_lock() {
    if child_side() {
        return;
    }
    let path = lock_file();
    let range = ByteRange::new(100, 50);
    let probe_range = ByteRange::new(120, 1);
    let file = open_rw(path.path());

    let (mut holder, _) = spawn_holder(path.path(), "process", range, LockMode::Exclusive, false);
    for sut in [
        ProcessLock::holder(&file, probe_range, LockMode::Shared).unwrap(),
        OfdLock::holder(&file, probe_range, LockMode::Shared).unwrap(),
    ] {
        let sut = sut.expect("the child's lock is in the way");
        assert_eq!(sut.pid(), Some(holder.pid()));
        assert_eq!(sut.mode(), LockMode::Exclusive);
        assert_eq!(sut.range(), range);
    }
    holder.kill();
    assert_eq!(
        ProcessLock::holder(&file, probe_range, LockMode::Exclusive).unwrap(),
        None
    );

    let (mut holder, _) = spawn_holder(path.path(), "ofd", range, LockMode::Shared, false);
    let sut = OfdLock::holder(&file, probe_range, LockMode::Exclusive)
        .unwrap()
        .expect("the child's lock is in the way");
    assert_eq!(sut.pid(), None);
    assert_eq!(sut.mode(), LockMode::Shared);
    assert_eq!(
        OfdLock::holder(&file, probe_range, LockMode::Shared).unwrap(),
        None
    );
    holder.kill();
}

#[test]
fn a_failed_upgrade_keeps_the_shared_lock_of_the_guard() {
    if child_side() {
        return;
    }
    let path = lock_file();
    let range = ByteRange::new(0, 8);
    let (mut holder, control) = spawn_holder(path.path(), "process", range, LockMode::Shared, true);
    let file = open_rw(path.path());
    let mut sut = ProcessLock::lock(&file, range, LockMode::Shared).unwrap();
    assert!(sut.try_upgrade().unwrap_err().is_would_block());
    let start = Instant::now();
    let err = sut.upgrade_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() >= SHORT);
    assert_eq!(sut.mode(), LockMode::Shared);
    // The shared lock is still there: a fresh process cannot take the range exclusively even
    // after the child lets go.
    drop(control);
    holder.expect_report("released", PATIENCE);
    assert_eq!(probe(path.path(), "process", range), "busy");
    sut.upgrade_timeout(PATIENCE).unwrap();
    assert_eq!(sut.mode(), LockMode::Exclusive);
    holder.kill();
}

#[test]
fn a_counter_incremented_under_flock_by_four_processes_loses_nothing() {
    if child_side() {
        return;
    }
    const PROCESSES: u64 = 4;
    const ROUNDS: u64 = 200;
    let path = lock_file();
    std::fs::write(path.path(), 0_u64.to_le_bytes()).unwrap();
    let spawner = SpawnLock::lock();
    let (go_reader, go) = std::io::pipe().unwrap();
    let mut children: Vec<Child> = (0..PROCESSES)
        .map(|_| {
            spawner.spawn(
                ChildBuilder::new("count")
                    .arg("path", path.path().display())
                    .arg("rounds", ROUNDS)
                    .inherit_fd(&go_reader, CONTROL_FD),
            )
        })
        .collect();
    drop((go_reader, spawner));
    drop(go); // every counter starts at once
    for child in &mut children {
        child.expect_success(PATIENCE);
    }
    let word: [u8; 8] = std::fs::read(path.path()).unwrap().try_into().unwrap();
    assert_eq!(u64::from_le_bytes(word), PROCESSES * ROUNDS);
}
