//! How every lock form waits: the kernel's blocking call, one non-blocking attempt, or
//! attempts with a growing sleep between them until a deadline.
//!
//! Neither `flock` nor `fcntl` takes a timeout, so a bounded wait cannot be handed to the
//! kernel. It could be built from a blocking call that a timer signal interrupts, but that
//! needs a signal handler installed without `SA_RESTART`, a signal number the host program
//! does not use, and a thread to aim it at: too invasive for a library. So the bounded forms
//! poll: a non-blocking attempt, then a sleep that starts at [`FIRST_PAUSE`] and doubles up to
//! [`LONGEST_PAUSE`], never past the deadline. The cost, stated where the forms are
//! documented: a release is noticed up to [`LONGEST_PAUSE`] late, and a poller is not queued
//! in the kernel, so a blocked waiter (or a luckier poller) can take the lock first.

use std::time::Duration;

use ipc_core::{Backoff, Wait};
use rustix::io::Errno;

/// The first sleep between two attempts of a bounded wait.
pub(crate) const FIRST_PAUSE: Duration = Duration::from_micros(100);

/// The longest sleep between two attempts of a bounded wait: how late at most a bounded wait
/// notices a release (plus the scheduler's delay).
pub(crate) const LONGEST_PAUSE: Duration = Duration::from_millis(4);

/// Takes a lock as `wait` says. `attempt(true)` is the blocking call (`flock` without
/// `LOCK_NB`, `F_SETLKW`), `attempt(false)` the non-blocking one, which fails with `EAGAIN`
/// or `EACCES` while someone else holds a conflicting lock.
///
/// `EINTR` is retried, each time with the time that is left. A bounded wait makes at least one
/// attempt, even with a deadline that has passed, and ends with `ETIMEDOUT`.
pub(crate) fn acquire(
    wait: Wait,
    mut attempt: impl FnMut(bool) -> Result<(), Errno>,
) -> Result<(), Errno> {
    match wait {
        Wait::NonBlocking => wait.retry(|_| attempt(false)),
        Wait::Forever => wait.retry(|_| attempt(true)),
        Wait::Until(deadline) => {
            let mut backoff = Backoff::new(FIRST_PAUSE, LONGEST_PAUSE, deadline);
            loop {
                match Wait::NonBlocking.retry(|_| attempt(false)) {
                    Err(Errno::AGAIN | Errno::ACCESS) => {}
                    done => return done,
                }
                if !backoff.pause() {
                    return Err(Errno::TIMEDOUT);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_bounded_wait_retries_until_the_attempt_succeeds() {
        let mut calls = 0;
        let sut = acquire(Wait::timeout(Duration::from_secs(60)), |block| {
            assert!(!block);
            calls += 1;
            if calls < 5 { Err(Errno::AGAIN) } else { Ok(()) }
        });
        assert_eq!(sut, Ok(()));
        assert_eq!(calls, 5);
    }

    #[test]
    fn a_bounded_wait_times_out_after_at_least_its_timeout() {
        let timeout = Duration::from_millis(30);
        let start = Instant::now();
        let sut = acquire(Wait::timeout(timeout), |_| Err(Errno::ACCESS));
        assert_eq!(sut, Err(Errno::TIMEDOUT));
        assert!(start.elapsed() >= timeout);
    }

    #[test]
    fn a_passed_deadline_still_makes_one_attempt() {
        let mut calls = 0;
        let sut = acquire(Wait::timeout(Duration::ZERO), |_| {
            calls += 1;
            Ok(())
        });
        assert_eq!((sut, calls), (Ok(()), 1));
    }

    #[test]
    fn interruptions_are_retried_and_other_errors_end_the_wait() {
        let mut calls = 0;
        let sut = acquire(Wait::Forever, |block| {
            assert!(block);
            calls += 1;
            if calls < 3 {
                Err(Errno::INTR)
            } else {
                Err(Errno::DEADLK)
            }
        });
        assert_eq!((sut, calls), (Err(Errno::DEADLK), 3));
        assert_eq!(
            acquire(Wait::NonBlocking, |_| Err(Errno::AGAIN)),
            Err(Errno::AGAIN)
        );
    }
}
