//! The descriptor form of `mq_notify`: a socket that polls readable when a message arrives.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use ipc_core::{Result, Wait};

use super::watch::Watch;
use crate::queue::Queue;

/// What a [`Notification`] reports.
///
/// # Examples
///
/// ```
/// let name = ipc_core::ObjectName::unique("mq-event-doc")?;
/// let queue = ipc_mq::Queue::create_new(&name)?;
/// let notification = queue.notify_descriptor()?;
/// queue.send(b"x", 0)?;
/// assert_eq!(notification.try_wait()?, ipc_mq::NotificationEvent::MessageArrived);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationEvent {
    /// A message arrived in the empty queue (`NOTIFY_WOKENUP`). The registration is used up;
    /// [`Notification::rearm`] makes a new one.
    MessageArrived,
    /// The registration ended before a message came (`NOTIFY_REMOVED`):
    /// [`Queue::clear_notification`] was called, or this process closed a descriptor of the
    /// queue (the kernel removes the registration then, see [`Notification`]).
    Removed,
}

/// This process's registration for notification on a queue, delivered through a descriptor:
/// from [`Queue::notify_descriptor`].
///
/// The handle owns a netlink socket, which polls readable when the kernel reports; `wait`,
/// `try_wait`, `wait_timeout` and `wait_deadline` read what it reported. It implements
/// `AsFd`, so it fits `poll`, `epoll` and tokio's `AsyncFd`; the socket is non-blocking, and
/// [`try_wait`](Self::try_wait) fails with [`WouldBlock`](ipc_core::ErrorKind::WouldBlock)
/// (converting to `io::ErrorKind::WouldBlock` exactly, as `AsyncFd::try_io` needs).
///
/// # One-shot
///
/// `mq_notify(3)`: "After notification is delivered, the notification registration is
/// removed and the message queue is available for further message registration." Call
/// [`rearm`](Self::rearm) after each event. A notification comes only "when a new message
/// arrives and the queue was previously empty", so register (or rearm) first and then drain
/// the queue with `try_receive` before waiting, or a message already there is never
/// announced. And "if another process or thread is waiting to receive a message on an empty
/// queue using mq_receive(3), then any message notification registration is ignored": the
/// blocked receiver gets the message and the registration stays.
///
/// # One registrant
///
/// A queue has at most one registration, held by a process (not a thread or a handle): a
/// second one, from another process or from this one, fails with
/// [`AlreadyExists`](ipc_core::ErrorKind::AlreadyExists) (`EBUSY`).
///
/// # Removal
///
/// Dropping the handle removes its registration if it is still live (`mq_notify(NULL)`);
/// [`Queue::clear_notification`] removes it too. The kernel also removes it when the
/// registered process closes *any* descriptor of the queue (`ipc/mqueue.c`,
/// `mqueue_flush_file`), even another handle of the same queue; the handle then reports
/// [`Removed`](NotificationEvent::Removed).
///
/// The handle borrows its [`Queue`], so it can never unregister through a descriptor that
/// was closed or reused. (A duplicated queue descriptor instead would be worse: closing it
/// removes this process's registration, whichever handle made it.)
///
/// # Close-on-exec
///
/// The socket is opened `SOCK_CLOEXEC`.
///
/// # Examples
///
/// ```
/// use ipc_mq::NotificationEvent;
/// use std::time::Duration;
///
/// let name = ipc_core::ObjectName::unique("mq-notification-doc")?;
/// let queue = ipc_mq::Queue::create_new(&name)?;
/// let mut notification = queue.notify_descriptor()?;
/// for _round in 0..2 {
///     queue.send(b"hello", 0)?; // another process would send this
///     let event = notification.wait_timeout(Duration::from_secs(10))?;
///     assert_eq!(event, NotificationEvent::MessageArrived);
///     notification.rearm()?; // before draining, so nothing slips between
///     assert_eq!(queue.receive_vec()?.bytes, b"hello");
/// }
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`mq_notify(3)`](https://man7.org/linux/man-pages/man3/mq_notify.3.html)
/// - `include/uapi/linux/mqueue.h` (`NOTIFY_COOKIE_LEN`, `NOTIFY_WOKENUP`, `NOTIFY_REMOVED`)
pub struct Notification<'q> {
    queue: &'q Queue,
    watch: Watch,
}

impl Queue {
    /// Registers this process for notification of the next message that arrives in the empty
    /// queue, delivered through the descriptor of the returned [`Notification`].
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ipc_core::ErrorKind::AlreadyExists) (`EBUSY`, operation
    ///   `mq_notify`, object the queue's name): a process, this one or another, is already
    ///   registered on the queue. Chosen over `WouldBlock` because a registration exists and
    ///   registration is exclusive, like creating a name that is taken; `WouldBlock` would
    ///   also tell an async runtime to wait for readiness that never comes.
    /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached) (`RLIMIT_NOFILE`) or
    ///   [`Other`](ipc_core::ErrorKind::Other) (`ENOMEM`) from `socket` or `mq_notify`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-notify-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let first = queue.notify_descriptor()?;
    /// let second = queue.notify_descriptor().unwrap_err();
    /// assert_eq!(second.kind(), ErrorKind::AlreadyExists);
    /// assert_eq!(second.operation(), "mq_notify");
    /// drop(first); // unregisters
    /// let _again = queue.notify_descriptor()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_notify(3)`](https://man7.org/linux/man-pages/man3/mq_notify.3.html)
    #[doc(alias = "mq_notify")]
    #[doc(alias = "SIGEV_THREAD")]
    pub fn notify_descriptor(&self) -> Result<Notification<'_>> {
        let watch = Watch::new(self)?;
        watch.register(self)?;
        Ok(Notification { queue: self, watch })
    }
}

impl<'q> Notification<'q> {
    /// Blocks until the kernel reports: a message arrived, or the registration was removed.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when the event was already
    ///   taken and nothing was registered since ([`rearm`](Self::rearm) first).
    /// - [`Other`](ipc_core::ErrorKind::Other) when the socket delivered something that is
    ///   not this registration's cookie (it is checked: length, bytes, code).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-notification-wait-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let notification = queue.notify_descriptor()?;
    /// queue.clear_notification()?;
    /// assert_eq!(notification.wait()?, ipc_mq::NotificationEvent::Removed);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait(&self) -> Result<NotificationEvent> {
        self.watch.wait(Wait::Forever)
    }

    /// Reports the event if it came, without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when nothing came yet; the others of
    /// [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-notification-try-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let notification = queue.notify_descriptor()?;
    /// assert_eq!(notification.try_wait().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_wait(&self) -> Result<NotificationEvent> {
        self.watch.wait(Wait::NonBlocking)
    }

    /// Waits at most `timeout` for the event.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when nothing came; the others of
    /// [`wait`](Self::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-notification-timeout-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let notification = queue.notify_descriptor()?;
    /// let err = notification.wait_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<NotificationEvent> {
        self.watch.wait(Wait::timeout(timeout))
    }

    /// Waits for the event until `deadline` (monotonic).
    ///
    /// # Errors
    ///
    /// As [`wait_timeout`](Self::wait_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let name = ipc_core::ObjectName::unique("mq-notification-deadline-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let notification = queue.notify_descriptor()?;
    /// queue.send(b"x", 0)?;
    /// notification.wait_deadline(Instant::now() + Duration::from_secs(10))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<NotificationEvent> {
        self.watch.wait(Wait::deadline(deadline))
    }

    /// Registers again, on the same socket, after the event was taken; does nothing while
    /// the registration is live or its event unread. Registration is one-shot, so call this
    /// after each event (and then drain the queue, see [`Notification`]).
    ///
    /// # Errors
    ///
    /// As [`Queue::notify_descriptor`]: [`AlreadyExists`](ipc_core::ErrorKind::AlreadyExists)
    /// when another registrant took the queue meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-rearm-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let mut notification = queue.notify_descriptor()?;
    /// queue.send(b"one", 0)?;
    /// notification.try_wait()?;
    /// assert!(!notification.is_armed());
    /// notification.rearm()?;
    /// assert!(notification.is_armed());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_notify")]
    pub fn rearm(&mut self) -> Result<()> {
        self.watch.register(self.queue)
    }

    /// Whether a registration made through this handle is live or its event is waiting to be
    /// read; `false` once the event was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-armed-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert!(queue.notify_descriptor()?.is_armed());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_armed(&self) -> bool {
        self.watch.is_armed()
    }

    /// The queue this registration is on.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-notification-queue-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let notification = queue.notify_descriptor()?;
    /// assert_eq!(notification.queue().name(), &name);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn queue(&self) -> &'q Queue {
        self.queue
    }
}

/// Removes the registration if it is still live.
///
/// An event waiting unread means the kernel already removed it, and then nothing is done. A
/// narrow window remains: should the registration fire just after that check while another
/// thread of this process registers on the same queue, the `mq_notify(NULL)` removes that
/// thread's registration (the kernel knows registrations by process only).
impl Drop for Notification<'_> {
    fn drop(&mut self) {
        self.watch.unregister_if_live(self.queue);
    }
}

impl AsFd for Notification<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.watch.socket()
    }
}

impl AsRawFd for Notification<'_> {
    fn as_raw_fd(&self) -> RawFd {
        self.watch.socket().as_raw_fd()
    }
}

impl fmt::Debug for Notification<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("queue", self.queue.name())
            .field("socket", &self.as_raw_fd())
            .field("armed", &self.is_armed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Notification<'static>>();
    }
}
