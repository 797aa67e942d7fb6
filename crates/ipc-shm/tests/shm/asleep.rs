//! Confirming that a child process is asleep, blocked in the call it reported it was about to
//! make, before the parent acts on it (kills it, or wakes it): every thread of the child in
//! state `S` ("sleeping in an interruptible wait", proc(5)).

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use ipc_core::testing::Child;

/// The state letter of each thread of `pid`, from `/proc/<pid>/task/*/stat`; empty once the
/// process is gone.
fn thread_states(pid: u32) -> Vec<char> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| fs::read_to_string(task.ok()?.path().join("stat")).ok())
        // proc(5): "(3) state %c", after "(2) comm %s" in parentheses, which may itself hold
        // spaces and parentheses: the state follows the last ')'.
        .filter_map(|stat| stat.rsplit_once(')')?.1.trim_start().chars().next())
        .collect()
}

/// Waits, polling for at most `patience`, until every thread of `child` sleeps (state `S`).
///
/// A child reports just before the blocking call; this confirms it got there and went to
/// sleep. Any thread of a test child that is not the one under test sleeps too (the harness's
/// main thread waits for the test thread), so "all of them" is what the blocked call adds.
#[track_caller]
pub(crate) fn wait_until_asleep(child: &Child, patience: Duration) {
    let start = Instant::now();
    loop {
        let states = thread_states(child.pid());
        if !states.is_empty() && states.iter().all(|&state| state == 'S') {
            return;
        }
        assert!(
            start.elapsed() < patience,
            "child {} never went to sleep: thread states {states:?}",
            child.pid()
        );
        thread::sleep(Duration::from_millis(1));
    }
}
