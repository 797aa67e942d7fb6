//! Growing pauses between attempts at something the kernel offers no bounded wait for.

use std::time::Duration;

use crate::Deadline;

/// Pauses between polls of a condition the kernel cannot wait on with a deadline (a file lock,
/// a FIFO's reader, a region's header): each pause doubles, from `first` up to `longest`, and
/// none runs past the deadline.
///
/// The cost of polling, which callers document: a change is noticed up to `longest` late, and
/// pollers are not served in order.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use ipc_core::{Backoff, Deadline};
///
/// let mut backoff = Backoff::new(
///     Duration::from_micros(100),
///     Duration::from_millis(4),
///     Deadline::after(Duration::from_millis(20)),
/// );
/// let mut attempts = 0;
/// loop {
///     attempts += 1; // poll the condition here
///     if !backoff.pause() {
///         break; // the deadline passed
///     }
/// }
/// assert!(attempts > 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    next: Duration,
    longest: Duration,
    deadline: Deadline,
}

impl Backoff {
    /// Pauses starting at `first`, doubling up to `longest`, until `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let deadline = ipc_core::Deadline::after(Duration::ZERO);
    /// let mut sut = ipc_core::Backoff::new(Duration::from_millis(1), Duration::from_millis(8), deadline);
    /// assert!(!sut.pause());
    /// ```
    pub fn new(first: Duration, longest: Duration, deadline: Deadline) -> Self {
        Self {
            next: first,
            longest,
            deadline,
        }
    }

    /// Sleeps for the next pause, cut short at the deadline, and returns `true`; returns
    /// `false` without sleeping once the deadline has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = ipc_core::Deadline::after(Duration::from_millis(5));
    /// let mut sut = ipc_core::Backoff::new(Duration::from_millis(1), Duration::from_millis(2), deadline);
    /// let start = Instant::now();
    /// while sut.pause() {}
    /// assert!(start.elapsed() >= Duration::from_millis(5));
    /// ```
    pub fn pause(&mut self) -> bool {
        let pause = match self.deadline.remaining() {
            Some(Duration::ZERO) => return false,
            Some(left) => self.next.min(left),
            None => self.next,
        };
        std::thread::sleep(pause);
        self.next = (self.next * 2).min(self.longest);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn pauses_double_up_to_the_longest_and_stop_at_the_deadline() {
        let mut sut = Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(4),
            Deadline::after(Duration::from_millis(30)),
        );
        let start = Instant::now();
        let mut pauses = 0;
        while sut.pause() {
            pauses += 1;
            assert!(sut.next <= Duration::from_millis(4));
        }
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert!(pauses >= 3, "{pauses}");
    }
}
