//! Bounds every wait on a peer: a thread that kills the peer when a deadline passes, which turns
//! any blocked read into end-of-file and any blocked write into `EPIPE`.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::cases::Unstick;

/// How often a fired watchdog calls the case's [`Unstick`] until it is stopped.
const UNSTICK_EVERY: Duration = Duration::from_millis(50);

#[derive(Default)]
struct State {
    deadline: Option<Instant>,
    fired: bool,
    stop: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// The watchdog of one peer process. The owner must stop it before reaping the peer, so the pid
/// it kills is never reused.
pub(crate) struct Watchdog {
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching `pid`, unarmed.
    pub(crate) fn start(pid: Pid, unstick: Option<Unstick>) -> Self {
        let shared = Shared::default();
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ipc-bench-watchdog".to_owned())
            .spawn(move || watch(&theirs, pid, unstick.as_deref()))
            .ok();
        Self { shared, thread }
    }

    /// Kills the peer unless [`Watchdog::arm`] is called again within `limit`.
    pub(crate) fn arm(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let earlier = self
            .state()
            .deadline
            .replace(deadline)
            .is_none_or(|old| old > deadline);
        // A later deadline needs no wake-up: the thread re-checks when its wait ends.
        if earlier {
            self.shared.1.notify_all();
        }
    }

    /// Whether the watchdog killed the peer.
    pub(crate) fn fired(&self) -> bool {
        self.state().fired
    }

    /// Stops and joins the thread; after this the peer may be reaped.
    pub(crate) fn stop(&mut self) {
        self.state().stop = true;
        self.shared.1.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The watchdog thread: sleeps until the deadline (or a wake-up), kills the peer when it passes,
/// then keeps unsticking the owner until stopped.
fn watch(shared: &Shared, pid: Pid, unstick: Option<&(dyn Fn() + Send + Sync)>) {
    let (lock, wake) = &**shared;
    let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
    while !state.stop {
        let now = Instant::now();
        let wait = match (state.fired, state.deadline) {
            (true, _) => {
                if let Some(unstick) = unstick {
                    unstick();
                }
                UNSTICK_EVERY
            }
            (false, Some(deadline)) if deadline <= now => {
                // The owner reaps only after `stop`, so `pid` is still our unreaped child.
                let _ = kill_process(pid, Signal::KILL);
                state.fired = true;
                continue;
            }
            (false, Some(deadline)) => deadline - now,
            (false, None) => Duration::from_secs(3600),
        };
        state = wake
            .wait_timeout(state, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}
