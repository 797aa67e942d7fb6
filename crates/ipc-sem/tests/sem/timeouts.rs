//! Bounded waits: they last at least their timeout, also while signal handlers interrupt
//! them, and an unbounded wait is not ended by a handler.
#![allow(
    unsafe_code,
    reason = "signals are aimed at the waiting thread with pthread_kill, which takes a thread id"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ipc_core::ErrorKind;
use ipc_core::testing::{
    ChildBuilder, ChildContext, InterruptedCalls, install_counting_handler, signal_count,
};
use ipc_sem::{RegionSemaphore, Semaphore};
use ipc_shm::AnonymousRegion;

use crate::support::{PATIENCE, SHORT, Spawner, TestName, assert_waited};

#[test]
fn a_timed_wait_times_out_after_at_least_its_timeout() {
    let name = TestName::new("sem-timeout");
    let sut = Semaphore::create_new(&name.name, 0).unwrap();
    let start = Instant::now();
    let err = sut.wait_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let deadline = Instant::now() + SHORT;
    let err = sut.wait_deadline(deadline).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(Instant::now() >= deadline);

    let err = sut.try_wait().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::WouldBlock
    );
}

/// Sends SIGUSR1 to `target` (a pthread of this process) every 200 µs until `stop`.
fn storm(target: libc::pthread_t, stop: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            // SAFETY: `target` is the waiting thread, which outlives this thread (it joins it).
            unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
            thread::sleep(Duration::from_micros(200));
        }
    })
}

#[test]
fn a_timed_wait_lasts_its_timeout_under_a_storm_of_signals() {
    if let Some(ctx) = ChildContext::current() {
        install_counting_handler(libc::SIGUSR1, InterruptedCalls::FailWithEintr).unwrap();
        let name = TestName::new("sem-storm-timed");
        let named = Semaphore::create_new(&name.name, 0).unwrap();
        let region = AnonymousRegion::new(4096).unwrap();
        let unnamed = RegionSemaphore::init(&region, 0, 0).unwrap();
        let timeout = Duration::from_millis(300);
        let waits: [(&str, &dyn Fn() -> ipc_core::Result<()>); 2] = [
            ("named", &|| named.wait_timeout(timeout)),
            ("region", &|| unnamed.wait_timeout(timeout)),
        ];
        let mut outcomes = Vec::new();
        for (which, wait) in waits {
            let before = signal_count(libc::SIGUSR1);
            let stop = Arc::new(AtomicBool::new(false));
            // SAFETY: pthread_self has no preconditions.
            let me = unsafe { libc::pthread_self() };
            let sender = storm(me, Arc::clone(&stop));
            let start = Instant::now();
            let result = wait();
            let waited = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            sender.join().unwrap();
            let kind = result.unwrap_err().kind();
            outcomes.push(format!(
                "{which}: {kind:?} at-least={} handled={}",
                waited >= timeout,
                signal_count(libc::SIGUSR1) > before
            ));
        }
        ctx.report(&outcomes.join(", "));
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("stormed"));
    child.expect_report(
        "named: TimedOut at-least=true handled=true, \
         region: TimedOut at-least=true handled=true",
        PATIENCE,
    );
    child.expect_success(PATIENCE);
}

#[test]
fn an_unbounded_wait_is_not_ended_by_signal_handlers() {
    if let Some(ctx) = ChildContext::current() {
        install_counting_handler(libc::SIGUSR1, InterruptedCalls::FailWithEintr).unwrap();
        let name = TestName::new("sem-storm");
        let sut = Semaphore::create_new(&name.name, 0).unwrap();
        let poster = Semaphore::open(&name.name).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        let sender = storm(me, Arc::clone(&stop));
        let post_later = thread::spawn(move || {
            while signal_count(libc::SIGUSR1) < 20 {
                thread::sleep(Duration::from_millis(1));
            }
            poster.post().unwrap();
        });
        let result = sut.wait();
        stop.store(true, Ordering::Relaxed);
        sender.join().unwrap();
        post_later.join().unwrap();
        ctx.report(&format!(
            "{result:?} handled={}",
            signal_count(libc::SIGUSR1) >= 20
        ));
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("stormed"));
    child.expect_report("Ok(()) handled=true", PATIENCE);
    child.expect_success(PATIENCE);
}
