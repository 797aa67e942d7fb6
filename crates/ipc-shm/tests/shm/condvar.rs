//! The condition variable across processes: a waiter killed inside `wait` leaves `notify_all`
//! and later waiters working, a notification from another process wakes a waiter, and a timed
//! wait times out after at least its timeout.

use std::time::Instant;

use ipc_core::testing::ChildContext;
use ipc_shm::sync::{Condvar, Mutex};

use crate::mutex::{MUTEX_AT, PATIENCE, SHORT, TestRegion, park_forever, spawn};

/// Where the tests place their condition variable.
const CONDVAR_AT: usize = 512;

fn child_side() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    let shm = TestRegion::open_in_child(&ctx);
    let mutex = Mutex::<_, u32>::open(&shm, MUTEX_AT).unwrap();
    let sut = Condvar::open(&*shm, CONDVAR_AT).unwrap();
    match ctx.role() {
        // Reports while holding the mutex, then waits (unlocking it) until killed.
        "doomed-waiter" => {
            let guard = mutex.lock().unwrap();
            ctx.report("waiting");
            let _never = sut.wait_while(guard, |_| true);
            park_forever();
        }
        // Reports while holding the mutex, then waits until the value is not zero.
        "waiter" => {
            let guard = mutex.lock().unwrap();
            ctx.report("waiting");
            let guard = sut.wait_while(guard, |&value| value == 0).unwrap();
            ctx.report(&format!("woke {}", guard.get()));
        }
        "notifier" => {
            mutex.lock().unwrap().set(&7);
            sut.notify_one();
        }
        other => panic!("unknown role {other}"),
    }
    true
}

#[test]
fn a_waiter_killed_inside_wait_leaves_notify_all_and_later_waiters_working() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let mutex = Mutex::init(&region.shm, MUTEX_AT, 0_u32).unwrap();
    let sut = Condvar::init(&*region.shm, CONDVAR_AT).unwrap();

    let mut doomed = spawn(region.child("doomed-waiter"));
    doomed.expect_report("waiting", PATIENCE);
    // The doomed waiter held the mutex when it reported; the parent gets it only once the
    // waiter released it inside `wait`.
    drop(mutex.lock().unwrap());
    doomed.kill();
    sut.notify_all();

    let mut waiters = [spawn(region.child("waiter")), spawn(region.child("waiter"))];
    for waiter in &mut waiters {
        waiter.expect_report("waiting", PATIENCE);
    }
    // Both held the mutex when they reported and release it only inside `wait`.
    let guard = mutex.lock().expect("nobody died holding the mutex");
    guard.set(&1);
    sut.notify_all();
    drop(guard);
    for waiter in &mut waiters {
        waiter.expect_report("woke 1", PATIENCE);
        waiter.expect_success(PATIENCE);
    }
}

#[test]
fn a_notification_from_another_process_wakes_a_waiter() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let mutex = Mutex::init(&region.shm, MUTEX_AT, 0_u32).unwrap();
    let sut = Condvar::init(&*region.shm, CONDVAR_AT).unwrap();
    let guard = mutex.lock().unwrap();
    let mut notifier = spawn(region.child("notifier"));
    let start = Instant::now();
    let mut guard = guard;
    while guard.get() == 0 {
        assert!(start.elapsed() < PATIENCE, "no notification came");
        let (next, _) = sut.wait_timeout(guard, PATIENCE).unwrap();
        guard = next;
    }
    assert_eq!(guard.get(), 7);
    drop(guard);
    notifier.expect_success(PATIENCE);
}

#[test]
fn a_timed_wait_without_notification_times_out_after_at_least_its_timeout() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let mutex = Mutex::init(&region.shm, MUTEX_AT, 0_u32).unwrap();
    let sut = Condvar::init(&*region.shm, CONDVAR_AT).unwrap();
    let start = Instant::now();
    let (guard, result) = sut.wait_timeout(mutex.lock().unwrap(), SHORT).unwrap();
    assert!(result.timed_out());
    assert!(
        start.elapsed() >= SHORT,
        "gave up after {:?}",
        start.elapsed()
    );
    let (_guard, result) = sut.wait_deadline(guard, Instant::now()).unwrap();
    assert!(result.timed_out(), "a passed deadline times out at once");
}
