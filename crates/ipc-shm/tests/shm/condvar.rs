//! The condition variable across processes: a waiter killed inside `wait` leaves `notify_all`
//! and later waiters working, a notification from another process wakes a waiter, timed waits
//! (also the `_while` forms) time out after at least their timeout, and signal handlers end
//! neither a timed wait early nor an unbounded wait at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ipc_core::testing::{
    ChildBuilder, ChildContext, InterruptedCalls, install_counting_handler, signal_count,
};
use ipc_shm::AnonymousRegion;
use ipc_shm::sync::{Condvar, Mutex};

use crate::asleep::wait_until_asleep;
use crate::mutex::{MUTEX_AT, PATIENCE, SHORT, TestRegion, park_forever, spawn};

/// Where the tests place their condition variable.
const CONDVAR_AT: usize = 512;

fn child_side() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    if ctx.role() == "stormed" {
        stormed_side(&ctx);
        return true;
    }
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
    wait_until_asleep(&doomed, PATIENCE);
    // Asleep, so inside `wait`'s futex, having unlocked the mutex it held when it reported.
    drop(mutex.lock_timeout(PATIENCE).unwrap());
    doomed.kill();
    sut.notify_all();

    let mut waiters = [spawn(region.child("waiter")), spawn(region.child("waiter"))];
    for waiter in &mut waiters {
        waiter.expect_report("waiting", PATIENCE);
        wait_until_asleep(waiter, PATIENCE);
    }
    let guard = mutex
        .lock_timeout(PATIENCE)
        .expect("nobody died holding the mutex");
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
    let guard = mutex.lock_timeout(PATIENCE).unwrap();
    let mut notifier = spawn(region.child("notifier"));
    // One timeout for the whole wait, however many wakeups it takes.
    let (guard, result) = sut
        .wait_timeout_while(guard, PATIENCE, |&value| value == 0)
        .unwrap();
    assert!(!result.timed_out(), "no notification came");
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
    let (guard, result) = sut
        .wait_timeout(mutex.lock_timeout(PATIENCE).unwrap(), SHORT)
        .unwrap();
    assert!(result.timed_out());
    assert_waited(start, SHORT);
    let (guard, result) = sut.wait_deadline(guard, Instant::now()).unwrap();
    assert!(result.timed_out(), "a passed deadline times out at once");

    let start = Instant::now();
    let (guard, result) = sut.wait_timeout_while(guard, SHORT, |_| true).unwrap();
    assert!(result.timed_out());
    assert_waited(start, SHORT);
    let deadline = Instant::now() + SHORT;
    let (guard, result) = sut.wait_while_deadline(guard, deadline, |_| true).unwrap();
    assert!(result.timed_out());
    assert!(Instant::now() >= deadline);
    let (_guard, result) = sut.wait_while_deadline(guard, deadline, |_| false).unwrap();
    assert!(!result.timed_out(), "a false condition is no timeout");
}

#[track_caller]
fn assert_waited(start: Instant, timeout: Duration) {
    assert!(
        start.elapsed() >= timeout,
        "gave up after {:?}",
        start.elapsed()
    );
}

/// Sends SIGUSR1 to `target` (a thread of this process) every 200 µs until `stop`.
#[allow(
    unsafe_code,
    reason = "signals are aimed at the waiting thread with pthread_kill, which takes a raw thread id"
)]
fn storm(target: libc::pthread_t, stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            // SAFETY: `target` is the waiting thread, which outlives this thread (it sets
            // `stop` and joins it before it returns).
            unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
            thread::sleep(Duration::from_micros(200));
        }
    })
}

/// The calling thread, for [`storm`].
#[allow(unsafe_code, reason = "pthread_self is an FFI call")]
fn this_thread() -> libc::pthread_t {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() }
}

/// In a child whose handler makes `FUTEX_WAIT` fail with `EINTR`: a timed wait under a storm
/// of signals, then an unbounded wait that only a notification (sent after 20 signals) ends.
fn stormed_side(ctx: &ChildContext) {
    install_counting_handler(libc::SIGUSR1, InterruptedCalls::FailWithEintr).unwrap();
    let region = Arc::new(AnonymousRegion::new(4096).unwrap());
    let mutex = Mutex::init(&region, MUTEX_AT, 0_u32).unwrap();
    let sut = Condvar::init(&*region, CONDVAR_AT).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = storm(this_thread(), Arc::clone(&stop));

    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    let (guard, result) = sut.wait_timeout(mutex.lock().unwrap(), timeout).unwrap();
    let timed = format!(
        "timed-out={} at-least={}",
        result.timed_out(),
        start.elapsed() >= timeout
    );

    let before = signal_count(libc::SIGUSR1);
    let woke = thread::scope(|scope| {
        scope.spawn(|| {
            while signal_count(libc::SIGUSR1) < before + 20 {
                thread::sleep(Duration::from_millis(1));
            }
            // The waiter unlocks only inside `wait`, so this runs while it sleeps.
            mutex.lock().unwrap().set(&1);
            sut.notify_all();
        });
        // A plain `wait`: a handler that ended it would show the value still 0.
        sut.wait(guard).unwrap().get()
    });
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    ctx.report(&format!("{timed} woke={woke}"));
}

#[test]
fn signal_handlers_end_neither_a_timed_wait_early_nor_an_unbounded_wait() {
    if child_side() {
        return;
    }
    let mut child = spawn(ChildBuilder::new("stormed"));
    child.expect_report("timed-out=true at-least=true woke=1", PATIENCE);
    child.expect_success(PATIENCE);
}
