//! The read-write lock across processes: readers of two processes share and keep a writer out,
//! a writer keeps readers of another process out, and — the documented limit of a lock without
//! a robust mode — a process killed holding it, or killed while blocked waiting for it, leaves
//! it held, while the timed forms still return `TimedOut` after at least their timeout.

use std::time::Instant;

use ipc_core::ErrorKind;
use ipc_core::testing::ChildContext;
use ipc_shm::SharedMemory;
use ipc_shm::sync::RwLock;

use crate::asleep::wait_until_asleep;
use crate::mutex::{PATIENCE, SHORT, TestRegion, park_forever, spawn};

/// Where the tests place their lock.
const RWLOCK_AT: usize = 1024;

fn child_side() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    let shm = TestRegion::open_in_child(&ctx);
    let sut = RwLock::<_, u32>::open(&*shm, RWLOCK_AT).unwrap();
    match ctx.role() {
        "read-hold" => {
            let _guard = sut.read().unwrap();
            ctx.report("reading");
            park_forever();
        }
        "write-hold" => {
            let guard = sut.write().unwrap();
            guard.set(&7);
            ctx.report("writing");
            park_forever();
        }
        // Reports, then blocks in `write` (behind the parent's reader) until killed.
        "write-blocked" => {
            ctx.report("blocking");
            let _never = sut.write();
            park_forever();
        }
        // Reports, then blocks in `read` (behind the parent's writer) until killed.
        "read-blocked" => {
            ctx.report("blocking");
            let _never = sut.read();
            park_forever();
        }
        "probe-read" => match sut.try_read() {
            Ok(guard) => ctx.report(&format!("read {}", guard.get())),
            Err(err) if err.kind() == ErrorKind::WouldBlock => ctx.report("busy"),
            Err(err) => panic!("{err}"),
        },
        other => panic!("unknown role {other}"),
    }
    true
}

/// Asserts that both timed forms give up with `TimedOut`, each after at least [`SHORT`].
#[track_caller]
fn assert_timed_forms_time_out(sut: &RwLock<'_, SharedMemory, u32>, read_too: bool) {
    let start = Instant::now();
    let err = sut.write_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(
        start.elapsed() >= SHORT,
        "gave up after {:?}",
        start.elapsed()
    );
    if read_too {
        let start = Instant::now();
        let err = sut.read_timeout(SHORT).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert!(
            start.elapsed() >= SHORT,
            "gave up after {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn readers_of_two_processes_share_and_keep_out_a_writer() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = RwLock::init(&*region.shm, RWLOCK_AT, 3_u32).unwrap();
    let mut reader = spawn(region.child("read-hold"));
    reader.expect_report("reading", PATIENCE);
    assert_eq!(sut.try_read().unwrap().get(), 3);
    assert_eq!(sut.read_timeout(SHORT).unwrap().get(), 3);
    let err = sut.try_write().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_timed_forms_time_out(&sut, false);
    // A reader that dies holding its share leaves it taken: writers time out for good.
    reader.kill();
    assert_timed_forms_time_out(&sut, false);
}

#[test]
fn a_writer_keeps_readers_of_another_process_out_until_it_releases() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = RwLock::init(&*region.shm, RWLOCK_AT, 0_u32).unwrap();
    let probe = |expected: &str| {
        let mut child = spawn(region.child("probe-read"));
        child.expect_report(expected, PATIENCE);
        child.expect_success(PATIENCE);
    };
    let guard = sut.write_timeout(PATIENCE).unwrap();
    guard.set(&5);
    probe("busy");
    drop(guard);
    probe("read 5");
}

#[test]
fn a_writer_killed_holding_the_lock_leaves_it_held_but_timed_acquisition_returns() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = RwLock::init(&*region.shm, RWLOCK_AT, 0_u32).unwrap();
    let mut writer = spawn(region.child("write-hold"));
    writer.expect_report("writing", PATIENCE);
    writer.kill();
    let err = sut.try_read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_timed_forms_time_out(&sut, true);
    let err = sut.write_deadline(Instant::now()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn a_writer_killed_while_waiting_leaves_the_lock_held_after_the_reader_releases() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = RwLock::init(&*region.shm, RWLOCK_AT, 0_u32).unwrap();
    let reading = sut.read_timeout(PATIENCE).unwrap();
    let mut writer = spawn(region.child("write-blocked"));
    writer.expect_report("blocking", PATIENCE);
    wait_until_asleep(&writer, PATIENCE);
    writer.kill();
    drop(reading);
    // glibc hands the released lock to the queued writer, which is dead: the documented limit.
    let err = sut.try_read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let err = sut.try_write().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_timed_forms_time_out(&sut, true);
}

#[test]
fn a_reader_killed_while_waiting_keeps_writers_out_after_the_writer_releases() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = RwLock::init(&*region.shm, RWLOCK_AT, 0_u32).unwrap();
    let writing = sut.write_timeout(PATIENCE).unwrap();
    let mut reader = spawn(region.child("read-blocked"));
    reader.expect_report("blocking", PATIENCE);
    wait_until_asleep(&reader, PATIENCE);
    reader.kill();
    drop(writing);
    // The dead reader was counted in when the writer released: readers still share the
    // lock, writers never get it again.
    assert_eq!(sut.try_read().unwrap().get(), 0);
    let err = sut.try_write().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_timed_forms_time_out(&sut, false);
}
