//! Deadlines on the monotonic clock and the one `EINTR` retry loop.

use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::time::{ClockId, Timespec, clock_gettime};

/// A point in time on the monotonic clock after which a bounded operation gives up.
///
/// Built from a [`Duration`] it is fixed once, so retries after `EINTR` wait only for the time
/// that is left. A duration too large to represent means "never" rather than an overflow.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ipc_core::Deadline;
///
/// let deadline = Deadline::after(Duration::from_secs(5));
/// assert!(!deadline.has_passed());
/// assert!(deadline.remaining().unwrap() <= Duration::from_secs(5));
/// assert_eq!(Deadline::after(Duration::MAX).remaining(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Deadline {
    /// `None` when the deadline lies beyond what `Instant` can hold: it never passes.
    at: Option<Instant>,
}

impl Deadline {
    /// The deadline `timeout` from now.
    ///
    /// # Examples
    ///
    /// ```
    /// let deadline = ipc_core::Deadline::after(std::time::Duration::ZERO);
    /// assert!(deadline.has_passed());
    /// ```
    pub fn after(timeout: Duration) -> Self {
        Self {
            at: Instant::now().checked_add(timeout),
        }
    }

    /// The deadline at `instant`.
    ///
    /// # Examples
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// assert_eq!(ipc_core::Deadline::at(now).instant(), Some(now));
    /// ```
    pub fn at(instant: Instant) -> Self {
        Self { at: Some(instant) }
    }

    /// The instant, or `None` for a deadline that never passes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_core::Deadline::after(std::time::Duration::MAX).instant().is_none());
    /// ```
    pub fn instant(self) -> Option<Instant> {
        self.at
    }

    /// The time left (zero once passed), or `None` for a deadline that never passes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let deadline = ipc_core::Deadline::after(Duration::ZERO);
    /// assert_eq!(deadline.remaining(), Some(Duration::ZERO));
    /// ```
    pub fn remaining(self) -> Option<Duration> {
        self.at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_core::Deadline::after(std::time::Duration::from_secs(60)).has_passed());
    /// ```
    pub fn has_passed(self) -> bool {
        self.remaining() == Some(Duration::ZERO)
    }

    /// The `CLOCK_REALTIME` time at which one attempt of a wall-clock wait (`mq_timedsend`,
    /// `sem_timedwait`) gives up: the deadline, or [`REALTIME_SLICE`] (one second) from now if
    /// that comes sooner. Call it at the last moment before each attempt, inside
    /// [`Wait::retry`].
    ///
    /// The kernel measures such a wait on the wall clock, which can be stepped while it
    /// sleeps. Stepped forward, the wait ends early with `ETIMEDOUT`, and [`Wait::retry`]
    /// tries again while the monotonic deadline has not passed. Stepped back, the wait would
    /// last longer by the step; the slice bounds that to one second, after which the next
    /// attempt converts the time left again. So the deadline is kept on the monotonic clock
    /// whatever the wall clock does, at the cost of one wake-up a second in a long wait. A
    /// deadline that never passes converts to the largest representable time (no wall-clock
    /// step can make it pass).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let before = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    /// let soon = ipc_core::Deadline::after(Duration::from_millis(300)).to_realtime();
    /// let late = ipc_core::Deadline::after(Duration::from_secs(60)).to_realtime();
    /// let after = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    /// // The sooner deadline is the time given; the later one is cut to a slice of a second.
    /// assert!(soon.tv_sec <= after.tv_sec + 1);
    /// assert!(late.tv_sec >= before.tv_sec + 1 && late.tv_sec <= after.tv_sec + 2);
    /// assert!((0..1_000_000_000).contains(&late.tv_nsec));
    /// ```
    pub fn to_realtime(self) -> Timespec {
        match self.remaining() {
            Some(remaining) => add(
                clock_gettime(ClockId::Realtime),
                remaining.min(REALTIME_SLICE),
            ),
            None => FAR_FUTURE,
        }
    }

    /// The same moment on `CLOCK_MONOTONIC`, for calls that take an absolute time on that
    /// clock (`pthread_mutex_clocklock`, `sem_clockwait`): now on that clock plus the time
    /// left, so nothing is assumed about the epoch of [`Instant`]. Stepping the wall clock
    /// moves nothing, so the time is the whole deadline, not a slice as in
    /// [`to_realtime`](Self::to_realtime). A deadline that never passes converts to the
    /// largest representable time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let before = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    /// let ts = ipc_core::Deadline::after(Duration::from_secs(2)).to_monotonic();
    /// assert!(ts.tv_sec >= before.tv_sec + 1);
    /// assert!((0..1_000_000_000).contains(&ts.tv_nsec));
    /// ```
    pub fn to_monotonic(self) -> Timespec {
        match self.remaining() {
            Some(remaining) => add(clock_gettime(ClockId::Monotonic), remaining),
            None => FAR_FUTURE,
        }
    }
}

/// The longest one attempt of a wall-clock wait sleeps ([`Deadline::to_realtime`]): how much
/// longer than its deadline a wait can last when the wall clock is stepped back during it.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::REALTIME_SLICE, std::time::Duration::from_secs(1));
/// ```
pub const REALTIME_SLICE: Duration = Duration::from_secs(1);

/// The largest representable time: where a deadline that never passes lies on any clock.
const FAR_FUTURE: Timespec = Timespec {
    tv_sec: i64::MAX,
    tv_nsec: 999_999_999,
};

/// `now + remaining`, carrying nanoseconds into seconds and saturating at [`FAR_FUTURE`].
fn add(now: Timespec, remaining: Duration) -> Timespec {
    let Some(tv_sec) = i64::try_from(remaining.as_secs())
        .ok()
        .and_then(|secs| now.tv_sec.checked_add(secs))
    else {
        return FAR_FUTURE;
    };
    let tv_nsec = now.tv_nsec + i64::from(remaining.subsec_nanos());
    if tv_nsec < 1_000_000_000 {
        return Timespec { tv_sec, tv_nsec };
    }
    match tv_sec.checked_add(1) {
        Some(tv_sec) => Timespec {
            tv_sec,
            tv_nsec: tv_nsec - 1_000_000_000,
        },
        None => FAR_FUTURE,
    }
}

/// How long a blocking operation may wait: not at all, without bound, or until a deadline.
///
/// Every crate's `try_x` / `x` / `x_timeout` / `x_deadline` quartet maps onto one of these and
/// shares one implementation underneath.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ipc_core::Wait;
///
/// assert_eq!(Wait::NonBlocking.remaining(), Some(Duration::ZERO));
/// assert_eq!(Wait::Forever.remaining(), None);
/// assert!(Wait::timeout(Duration::from_secs(1)).remaining().unwrap() <= Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wait {
    /// Do not wait: fail with `WouldBlock` (`EAGAIN`) when the operation cannot proceed now.
    NonBlocking,
    /// Wait as long as it takes.
    Forever,
    /// Wait until the deadline, then fail with `TimedOut`.
    Until(Deadline),
}

impl Wait {
    /// Waits at most `timeout`, counted from now.
    ///
    /// # Examples
    ///
    /// ```
    /// let wait = ipc_core::Wait::timeout(std::time::Duration::from_millis(10));
    /// assert!(matches!(wait, ipc_core::Wait::Until(_)));
    /// ```
    pub fn timeout(timeout: Duration) -> Self {
        Self::Until(Deadline::after(timeout))
    }

    /// Waits until `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// let wait = ipc_core::Wait::deadline(std::time::Instant::now());
    /// assert_eq!(wait.remaining(), Some(std::time::Duration::ZERO));
    /// ```
    pub fn deadline(deadline: Instant) -> Self {
        Self::Until(Deadline::at(deadline))
    }

    /// The time left to wait: zero for [`Wait::NonBlocking`] or a passed deadline, `None` for
    /// no bound.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::Wait::Forever.remaining(), None);
    /// ```
    pub fn remaining(self) -> Option<Duration> {
        match self {
            Self::NonBlocking => Some(Duration::ZERO),
            Self::Forever => None,
            Self::Until(deadline) => deadline.remaining(),
        }
    }

    /// The time left as a `poll(2)`-style timeout: `None` for no bound.
    ///
    /// # Examples
    ///
    /// ```
    /// let ts = ipc_core::Wait::NonBlocking.timespec().unwrap();
    /// assert_eq!((ts.tv_sec, ts.tv_nsec), (0, 0));
    /// ```
    pub fn timespec(self) -> Option<Timespec> {
        self.remaining().map(|left| Timespec {
            tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(left.subsec_nanos()),
        })
    }

    /// Runs `attempt` until it returns something other than `EINTR`, giving each retry only the
    /// time that is left: the retry loop of every bounded wait, written once for the workspace.
    ///
    /// `attempt` receives this `Wait` and reads the time left from it (it is recomputed on each
    /// call of [`remaining`](Self::remaining)). It is tried again:
    ///
    /// - after `EINTR`; but when a signal interrupts a bounded wait whose deadline has passed,
    ///   the result is `ETIMEDOUT` instead of another attempt. A non-blocking attempt that is
    ///   interrupted is retried (it cannot block).
    /// - after `ETIMEDOUT` from a bounded ([`Wait::Until`]) attempt while the monotonic
    ///   deadline has not passed: the kernel measured the attempt on another clock (the wall
    ///   clock of `mq_timedsend` or `sem_timedwait`, stepped forward meanwhile) or was given
    ///   a slice of the wait ([`Deadline::to_realtime`]). The deadline, not the kernel, says
    ///   when a bounded wait is over.
    ///
    /// # Errors
    ///
    /// Whatever `attempt` returns other than `EINTR`, or `ETIMEDOUT` as above.
    ///
    /// # Examples
    ///
    /// ```
    /// use rustix::io::Errno;
    /// use std::time::Duration;
    ///
    /// let mut calls = 0;
    /// let result = ipc_core::Wait::timeout(Duration::from_secs(5)).retry(|_| {
    ///     calls += 1;
    ///     if calls < 3 { Err(Errno::INTR) } else { Ok(calls) }
    /// });
    /// assert_eq!(result, Ok(3));
    ///
    /// // A kernel timeout before the deadline is tried again.
    /// let mut calls = 0;
    /// let result = ipc_core::Wait::timeout(Duration::from_secs(5)).retry(|_| {
    ///     calls += 1;
    ///     if calls < 2 { Err(Errno::TIMEDOUT) } else { Ok(calls) }
    /// });
    /// assert_eq!(result, Ok(2));
    ///
    /// let expired = ipc_core::Wait::timeout(Duration::ZERO).retry(|_| Err::<(), _>(Errno::INTR));
    /// assert_eq!(expired, Err(Errno::TIMEDOUT));
    /// ```
    pub fn retry<T>(
        self,
        mut attempt: impl FnMut(Self) -> rustix::io::Result<T>,
    ) -> rustix::io::Result<T> {
        loop {
            match (attempt(self), self) {
                (Err(Errno::INTR), Self::Until(deadline)) if deadline.has_passed() => {
                    return Err(Errno::TIMEDOUT);
                }
                (Err(Errno::INTR), _) => {}
                (Err(Errno::TIMEDOUT), Self::Until(deadline)) if !deadline.has_passed() => {}
                (result, _) => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_conversion_gives_at_most_a_slice() {
        let before = clock_gettime(ClockId::Realtime);
        let ts = Deadline::after(Duration::from_secs(3600)).to_realtime();
        let after = clock_gettime(ClockId::Realtime);
        let nanos = |ts: Timespec| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec);
        let slice = i128::try_from(REALTIME_SLICE.as_nanos()).unwrap();
        assert!(nanos(ts) >= nanos(before) + slice);
        assert!(nanos(ts) <= nanos(after) + slice);
    }

    #[test]
    fn an_attempt_timed_out_early_is_retried_until_the_monotonic_deadline() {
        let timeout = Duration::from_millis(150);
        let start = Instant::now();
        let sut = Wait::timeout(timeout);
        let mut attempts = 0;
        // Each attempt ends as a kernel wait on a wall clock stepped forward would: at once,
        // with ETIMEDOUT, long before the deadline.
        let result = sut.retry(|_| {
            attempts += 1;
            std::thread::sleep(Duration::from_millis(10));
            Err::<(), _>(Errno::TIMEDOUT)
        });
        assert_eq!(result, Err(Errno::TIMEDOUT));
        assert!(
            start.elapsed() >= timeout,
            "gave up after {:?}",
            start.elapsed()
        );
        assert!(attempts > 1, "{attempts}");
    }

    #[test]
    fn a_timed_out_attempt_after_the_deadline_ends_the_wait() {
        let mut attempts = 0;
        let result = Wait::timeout(Duration::ZERO).retry(|_| {
            attempts += 1;
            Err::<(), _>(Errno::TIMEDOUT)
        });
        assert_eq!((result, attempts), (Err(Errno::TIMEDOUT), 1));
    }

    #[test]
    fn a_non_blocking_or_unbounded_attempt_that_timed_out_is_not_retried() {
        for sut in [Wait::NonBlocking, Wait::Forever] {
            let mut attempts = 0;
            let result = sut.retry(|_| {
                attempts += 1;
                Err::<(), _>(Errno::TIMEDOUT)
            });
            assert_eq!((result, attempts), (Err(Errno::TIMEDOUT), 1));
        }
    }

    #[test]
    fn realtime_conversion_carries_nanoseconds() {
        let sut = Deadline::after(Duration::from_millis(999));
        let ts = sut.to_realtime();
        assert!((0..1_000_000_000).contains(&ts.tv_nsec));
        let now = clock_gettime(ClockId::Realtime);
        let ahead = (ts.tv_sec - now.tv_sec) * 1_000_000_000 + (ts.tv_nsec - now.tv_nsec);
        assert!(ahead > 900_000_000 && ahead <= 999_000_000, "{ahead}");
    }

    #[test]
    fn monotonic_conversion_lies_ahead_by_the_time_left() {
        let now = clock_gettime(ClockId::Monotonic);
        let sut = Deadline::after(Duration::from_secs(2));
        let ts = sut.to_monotonic();
        assert!((0..1_000_000_000).contains(&ts.tv_nsec));
        // Only a lower bound: a loaded machine may take any time between the two readings.
        assert!(ts.tv_sec > now.tv_sec);
    }

    #[test]
    fn never_deadline_converts_to_far_future() {
        let sut = Deadline::after(Duration::MAX);
        assert_eq!(sut.to_realtime().tv_sec, i64::MAX);
        assert_eq!(sut.to_monotonic().tv_sec, i64::MAX);
        assert!(!sut.has_passed());
    }

    #[test]
    fn adding_carries_nanoseconds_and_saturates() {
        let now = Timespec {
            tv_sec: 5,
            tv_nsec: 900_000_000,
        };
        let sut = add(now, Duration::from_millis(200));
        assert_eq!((sut.tv_sec, sut.tv_nsec), (6, 100_000_000));
        assert_eq!(add(now, Duration::MAX), FAR_FUTURE);
        let last = Timespec {
            tv_sec: i64::MAX,
            tv_nsec: 900_000_000,
        };
        assert_eq!(add(last, Duration::from_millis(200)), FAR_FUTURE);
    }

    #[test]
    fn retry_passes_other_errors_through() {
        let sut = Wait::Forever;
        assert_eq!(sut.retry(|_| Err::<(), _>(Errno::PIPE)), Err(Errno::PIPE));
    }

    #[test]
    fn retry_gives_each_attempt_less_time() {
        let sut = Wait::timeout(Duration::from_secs(10));
        let mut seen = Vec::new();
        let _ = sut.retry(|wait| {
            seen.push(wait.remaining().unwrap());
            if seen.len() < 2 {
                std::thread::sleep(Duration::from_millis(5));
                Err(Errno::INTR)
            } else {
                Ok(())
            }
        });
        assert!(seen[1] < seen[0]);
    }
}
