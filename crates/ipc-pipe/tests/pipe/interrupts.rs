//! Blocking and bounded calls under a storm of signals (DESIGN "Blocking, time and signals"):
//! `EINTR` is retried, a bounded call still waits out its whole timeout, and a blocking one
//! still returns the peer's data or room.
//!
//! In a child, the counting handler of `ipc_core::testing` is installed for `SIGUSR1` without
//! `SA_RESTART`, so that every system call the signal interrupts fails with `EINTR` instead of
//! being restarted by the kernel, and a storm thread aims the signal at the test thread with
//! `tgkill`.
#![allow(
    unsafe_code,
    reason = "tgkill has no safe wrapper in std or rustix; a test needs it to interrupt one \
              thread's system calls"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ipc_core::testing::{
    ChildBuilder, ChildContext, InterruptedCalls, install_counting_handler, signal_count,
};
use ipc_pipe::{PIPE_BUF, pipe};

use crate::support::{
    END_FD, PATIENCE, Spawner, Watchdog, fill, pattern, read_all, spawn_with_reader,
    spawn_with_writer, take_reader, take_writer,
};

/// The timeout of the bounded calls under the storm: long enough for many interruptions.
const STORMY: Duration = Duration::from_millis(300);

/// The calling thread's id, from the `/proc/thread-self` link (`<pid>/task/<tid>`).
fn current_tid() -> libc::pid_t {
    let link = std::fs::read_link("/proc/thread-self").unwrap();
    link.file_name().unwrap().to_str().unwrap().parse().unwrap()
}

/// A thread sending `SIGUSR1` to one thread about every millisecond until stopped. After 20
/// signals it reports "interrupting", so the parent knows the storm is on.
struct Storm {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Storm {
    fn aim_at_this_thread(ctx: ChildContext) -> Self {
        // Process-wide, which is why the storm runs in a child only.
        install_counting_handler(libc::SIGUSR1, InterruptedCalls::FailWithEintr).unwrap();
        let (pid, tid) = (std::process::id().cast_signed(), current_tid());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let mut sent = 0;
            // Relaxed: the flag carries no other data.
            while !stopped.load(Ordering::Relaxed) {
                // SAFETY: tgkill(2) takes three integers and touches none of our memory; `tid`
                // is a thread of this process that outlives the storm (it stops it).
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_tgkill,
                        libc::c_long::from(pid),
                        libc::c_long::from(tid),
                        libc::c_long::from(libc::SIGUSR1),
                    )
                };
                assert_eq!(rc, 0, "tgkill: {}", std::io::Error::last_os_error());
                sent += 1;
                if sent == 20 {
                    ctx.report("interrupting");
                }
                thread::sleep(Duration::from_millis(1));
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the storm; how many signals the target received.
    fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        signal_count(libc::SIGUSR1)
    }
}

#[test]
fn a_bounded_read_under_a_signal_storm_still_waits_out_its_timeout() {
    if let Some(ctx) = ChildContext::current() {
        let (sut, _writer) = pipe().unwrap();
        let storm = Storm::aim_at_this_thread(ctx);
        let start = Instant::now();
        let read = sut.read_timeout(&mut [0; 8], STORMY).map_err(|e| e.kind());
        let waited = start.elapsed() >= STORMY;
        let deadline = Instant::now() + STORMY;
        let by_deadline = sut
            .read_deadline(&mut [0; 8], deadline)
            .map_err(|e| e.kind());
        let waited = waited && Instant::now() >= deadline;
        let delivered = storm.stop();
        ctx.report(&format!(
            "{read:?} {by_deadline:?} waited={waited} interrupted={}",
            delivered > 0
        ));
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("reader"));
    child.expect_report("interrupting", PATIENCE);
    child.expect_report(
        "Err(TimedOut) Err(TimedOut) waited=true interrupted=true",
        PATIENCE,
    );
    child.expect_success(PATIENCE);
}

#[test]
fn a_bounded_write_under_a_signal_storm_still_waits_out_its_timeout() {
    if let Some(ctx) = ChildContext::current() {
        let (_reader, sut) = pipe().unwrap();
        fill(&sut);
        let storm = Storm::aim_at_this_thread(ctx);
        let start = Instant::now();
        let write = sut.write_timeout(b"x", STORMY).map_err(|e| e.kind());
        let waited = start.elapsed() >= STORMY;
        let delivered = storm.stop();
        ctx.report(&format!(
            "{write:?} waited={waited} interrupted={}",
            delivered > 0
        ));
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("writer"));
    child.expect_report("interrupting", PATIENCE);
    child.expect_report("Err(TimedOut) waited=true interrupted=true", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_blocking_read_under_a_signal_storm_returns_the_data_written_meanwhile() {
    if let Some(ctx) = ChildContext::current() {
        let sut = take_reader(&ctx, END_FD);
        let storm = Storm::aim_at_this_thread(ctx);
        let mut buf = [0_u8; 64];
        let read = sut.read(&mut buf).map_err(|e| e.kind());
        let delivered = storm.stop();
        let text = match read {
            Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
            Err(kind) => format!("{kind:?}"),
        };
        ctx.report(&format!("got {text} interrupted={}", delivered > 0));
        return;
    }
    let (mut child, writer) = spawn_with_reader(ChildBuilder::new("reader"));
    // The child's read is blocked, and interrupted, while the storm reports.
    child.expect_report("interrupting", PATIENCE);
    writer.write_all(b"through the storm").unwrap();
    child.expect_report("got through the storm interrupted=true", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_blocking_write_under_a_signal_storm_completes_once_drained() {
    if let Some(ctx) = ChildContext::current() {
        let sut = take_writer(&ctx, END_FD);
        let filled = fill(&sut);
        let storm = Storm::aim_at_this_thread(ctx);
        let result = sut.write_all(&pattern(2 * PIPE_BUF)).map_err(|e| e.kind());
        let delivered = storm.stop();
        ctx.report(&format!(
            "{result:?} filled={filled} interrupted={}",
            delivered > 0
        ));
        return;
    }
    let (mut child, reader) = spawn_with_writer(ChildBuilder::new("writer"));
    let capacity = reader.capacity().unwrap();
    let watchdog = Watchdog::new([child.pid()]);
    // The child's write is blocked on the full pipe, and interrupted, while the storm reports.
    child.expect_report("interrupting", PATIENCE);
    let got = read_all(&reader);
    assert_eq!(got.len(), capacity + 2 * PIPE_BUF);
    assert_eq!(&got[capacity..], pattern(2 * PIPE_BUF).as_slice());
    child.expect_report(
        &format!("Ok(()) filled={capacity} interrupted=true"),
        PATIENCE,
    );
    child.expect_success(PATIENCE);
    drop(watchdog);
}
