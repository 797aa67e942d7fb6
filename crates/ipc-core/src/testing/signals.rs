//! Counting the deliveries of a signal in a test process.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::sys::{self, Action};

/// One slot per signal number; Linux numbers signals from 1 to 64 (`SIGRTMAX`).
const SLOTS: usize = 65;

/// Deliveries seen by [`count_signal`], indexed by signal number.
static COUNTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

/// The counting handler. An atomic add is all it does, which is async-signal-safe.
pub(super) extern "C" fn count_signal(signal: libc::c_int) {
    if let Some(slot) = usize::try_from(signal).ok().and_then(|i| COUNTS.get(i)) {
        // Relaxed: the count is the only data; no other memory is published through it.
        slot.fetch_add(1, Ordering::Relaxed);
    }
}

/// What happens to a system call that a signal with the counting handler interrupts.
///
/// # Examples
///
/// ```
/// use ipc_core::testing::InterruptedCalls;
///
/// // A test of EINTR handling wants its calls to fail, not to be restarted.
/// let interrupted = InterruptedCalls::FailWithEintr;
/// assert_ne!(interrupted, InterruptedCalls::Restart);
/// ```
///
/// # References
///
/// - [signal(7), "Interruption of system calls and library functions by signal
///   handlers"](https://man7.org/linux/man-pages/man7/signal.7.html)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptedCalls {
    /// `SA_RESTART`: the kernel restarts the call where it can (signal(7) lists the calls it
    /// never restarts, `poll` among them).
    Restart,
    /// No `SA_RESTART`: the call fails with `EINTR`, which is how a test provokes the retry
    /// paths.
    FailWithEintr,
}

/// Installs, process-wide, a handler for `signal` that only counts its deliveries in
/// [`signal_count`] (`sigaction(2)`).
///
/// It affects every thread of the process: call it in a re-executed child, not in the parent
/// test, whose harness runs other tests concurrently.
///
/// # Errors
///
/// `InvalidInput` for a number that is not a signal, for `SIGKILL` and `SIGSTOP` (which
/// cannot be caught), and for the real-time signals the C library reserves for itself (from
/// 32 up to, not including, `SIGRTMIN()`); the OS error of `sigaction` otherwise.
///
/// # Examples
///
/// ```
/// use ipc_core::testing::{InterruptedCalls, install_counting_handler, signal_count};
///
/// // A doctest is a process of its own, so the handler affects nothing else.
/// install_counting_handler(libc::SIGUSR2, InterruptedCalls::Restart)?;
/// let before = signal_count(libc::SIGUSR2);
/// rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::USR2)?;
/// // Any thread of the process may take the signal, so wait (with a bound) for the count.
/// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
/// while signal_count(libc::SIGUSR2) == before {
///     assert!(std::time::Instant::now() < deadline, "SIGUSR2 was not counted");
///     std::thread::yield_now();
/// }
/// assert_eq!(signal_count(libc::SIGUSR2), before + 1);
/// assert!(install_counting_handler(libc::SIGKILL, InterruptedCalls::Restart).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [sigaction(2)](https://man7.org/linux/man-pages/man2/sigaction.2.html)
#[doc(alias = "sigaction")]
pub fn install_counting_handler(
    signal: libc::c_int,
    interrupted: InterruptedCalls,
) -> io::Result<()> {
    let reserved = 32..libc::SIGRTMIN();
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("install_counting_handler({signal}): {why}"),
        ))
    };
    if !(1..=libc::SIGRTMAX()).contains(&signal) {
        return refuse("not a signal number");
    }
    if signal == libc::SIGKILL || signal == libc::SIGSTOP {
        return refuse("SIGKILL and SIGSTOP cannot be caught");
    }
    if reserved.contains(&signal) {
        return refuse("a real-time signal the C library reserves for itself");
    }
    sys::set_action(
        signal,
        Action::Count {
            restart: interrupted == InterruptedCalls::Restart,
        },
    )
}

/// How many deliveries of `signal` the handler of [`install_counting_handler`] has counted in
/// this process; 0 for a number that is not a signal.
///
/// # Examples
///
/// ```
/// // Nothing was counted: no handler was installed for SIGUSR1 in this process.
/// assert_eq!(ipc_core::testing::signal_count(libc::SIGUSR1), 0);
/// assert_eq!(ipc_core::testing::signal_count(-1), 0);
/// ```
pub fn signal_count(signal: libc::c_int) -> usize {
    usize::try_from(signal)
        .ok()
        .and_then(|i| COUNTS.get(i))
        // Relaxed: see `count_signal`; a signal that a thread raises in itself is delivered
        // to that thread before the raising call returns, so that thread reads its own count.
        .map_or(0, |slot| slot.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counting_handler_restarts_calls_only_when_asked() {
        // SIGUSR2 is sent to nothing in this binary; the default is restored at the end.
        let signal = libc::SIGUSR2;
        let handler = count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        for (sut, restarts) in [
            (InterruptedCalls::Restart, true),
            (InterruptedCalls::FailWithEintr, false),
        ] {
            install_counting_handler(signal, sut).unwrap();
            let (installed, flags) = sys::installed_action(signal).unwrap();
            assert_eq!(installed, handler);
            assert_eq!(flags & libc::SA_RESTART != 0, restarts, "{sut:?}");
        }
        sys::set_action(signal, Action::Default).unwrap();
        assert_eq!(sys::installed_action(signal).unwrap().0, libc::SIG_DFL);
    }

    #[test]
    fn counts_are_kept_per_signal() {
        count_signal(libc::SIGWINCH);
        assert!(signal_count(libc::SIGWINCH) >= 1);
        assert_eq!(signal_count(SLOTS as libc::c_int), 0);
    }
}
