//! Process-shared futex wait and wake, for the condition variable.
//!
//! Nothing here is unsafe: these are rustix's safe wrappers, gathered in one place so the
//! flags (shared, never `FUTEX_PRIVATE_FLAG`) are chosen once. A private futex is keyed by the
//! address in this process; a shared one by the page of the object behind the mapping, which is
//! what lets waiters and wakers in different processes, at different addresses, meet.

use std::sync::atomic::AtomicU32;
use std::time::Duration;

use rustix::io::Errno;
use rustix::thread::futex;

/// `FUTEX_WAIT`: sleeps while `*word == expected`, at most `timeout` (measured on
/// `CLOCK_MONOTONIC`, as futex(2) says of `FUTEX_WAIT`'s relative timeout).
///
/// `Err(AGAIN)`: the word had changed; `Err(TIMEDOUT)`; `Err(INTR)`: a signal handler ran
/// (the kernel does not restart a timed `FUTEX_WAIT`, even under `SA_RESTART`), which the
/// caller retries with the time left.
pub(crate) fn wait(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
) -> Result<(), Errno> {
    let timeout = timeout.map(|timeout| futex::Timespec {
        tv_sec: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(timeout.subsec_nanos()),
    });
    futex::wait(word, futex::Flags::empty(), expected, timeout.as_ref())
}

/// `FUTEX_WAKE`: wakes up to `count` waiters on `word`; returns how many woke.
pub(crate) fn wake(word: &AtomicU32, count: u32) -> Result<usize, Errno> {
    futex::wake(word, futex::Flags::empty(), count)
}
