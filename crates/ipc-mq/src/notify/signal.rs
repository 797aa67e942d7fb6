//! The signal form of `mq_notify`, and removing a registration of any form.

use std::os::fd::AsFd;

use ipc_core::{Error, ErrorKind, Result};

use super::watch::registration_error;
use crate::queue::Queue;
use crate::sys::notify;

impl Queue {
    /// Registers this process to receive `signal` when a message arrives in the empty queue,
    /// with `value` as its `si_value.sival_int` (and `si_code` `SI_MESGQ`, `si_pid` and
    /// `si_uid` those of the sender).
    ///
    /// The caller prepares the signal first: an `SA_SIGINFO` handler, or the signal blocked in
    /// every thread and taken with `sigwaitinfo`, `sigtimedwait` or a `signalfd`. Most
    /// signals, the real-time ones among them, end the process at their default disposition.
    /// The registration is one-shot and follows the rules of [`Notification`]'s
    /// `# One-shot` and `# One registrant`; the kernel does not send the signal to a program
    /// the registrant has since `exec`uted.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a number that is not a signal,
    ///   for `SIGKILL` and `SIGSTOP` (which cannot be caught or blocked), and for the
    ///   real-time signals the C library keeps for itself (32 up to `SIGRTMIN()`).
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) (`EBUSY`): a process is already
    ///   registered, as for [`notify_descriptor`](Self::notify_descriptor).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-notify-signal-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert_eq!(queue.notify_signal(libc::SIGKILL, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    /// // Registered but never sent: nothing arrives before it is cleared.
    /// queue.notify_signal(libc::SIGUSR1, 7)?;
    /// queue.clear_notification()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_notify(3)`](https://man7.org/linux/man-pages/man3/mq_notify.3.html)
    /// - [`sigaction(2)`](https://man7.org/linux/man-pages/man2/sigaction.2.html) (`SI_MESGQ`)
    ///
    /// [`Notification`]: crate::Notification
    #[doc(alias = "mq_notify")]
    #[doc(alias = "SIGEV_SIGNAL")]
    pub fn notify_signal(&self, signal: i32, value: i32) -> Result<()> {
        let object = self.name().as_str();
        if let Some(problem) = signal_problem(signal) {
            return Err(Error::new(ErrorKind::InvalidArgument, "mq_notify")
                .with_object(object)
                .with_detail(problem));
        }
        notify::register_signal(self.as_fd(), signal, value)
            .map_err(|errno| registration_error(object, errno))
    }

    /// Removes this process's registration for notification on the queue, whatever its form;
    /// a descriptor-form [`Notification`](crate::Notification) then reports
    /// [`Removed`](crate::NotificationEvent::Removed), and a [`NotifyThread`](crate::NotifyThread)
    /// ends without running its closure. The kernel ignores the call when this process holds
    /// no registration (another process's is left alone).
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) should `mq_notify` refuse the
    /// descriptor (`EBADF`), which it does not for an open queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-clear-notification-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.clear_notification()?; // nothing registered: no effect
    /// queue.notify_signal(libc::SIGUSR2, 0)?;
    /// queue.clear_notification()?;
    /// queue.notify_signal(libc::SIGUSR2, 0)?; // free again
    /// queue.clear_notification()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_notify")]
    pub fn clear_notification(&self) -> Result<()> {
        notify::unregister(self.as_fd())
            .map_err(|errno| Error::from_errno("mq_notify", self.name().as_str(), errno))
    }
}

/// Why `signal` cannot be a notification, if it cannot.
fn signal_problem(signal: i32) -> Option<String> {
    let max = libc::SIGRTMAX();
    if !(1..=max).contains(&signal) {
        return Some(format!("{signal} is not a signal number (1 to {max})"));
    }
    if signal == libc::SIGKILL || signal == libc::SIGSTOP {
        return Some(format!(
            "signal {signal} (SIGKILL or SIGSTOP) can be neither caught nor blocked"
        ));
    }
    let min = libc::SIGRTMIN();
    if (32..min).contains(&signal) {
        return Some(format!(
            "signal {signal} is reserved by the C library (real-time signals start at \
             SIGRTMIN, {min})"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catchable_signals_for_the_application_are_accepted() {
        for signal in [0, -1, 65, libc::SIGKILL, libc::SIGSTOP, 32] {
            assert!(signal_problem(signal).is_some(), "{signal}");
        }
        for signal in [
            libc::SIGUSR1,
            libc::SIGIO,
            libc::SIGRTMIN(),
            libc::SIGRTMAX(),
        ] {
            assert_eq!(signal_problem(signal), None, "{signal}");
        }
    }
}
