//! `mq_notify`: being told that a message arrived in an empty queue.
//!
//! One process at a time may be registered on a queue, for one notification; three forms:
//!
//! - [`Queue::notify_descriptor`] → [`Notification`]: a descriptor that polls readable when
//!   the notification comes (the kernel's netlink form, the one glibc builds its
//!   `SIGEV_THREAD` on), for `poll`, `epoll` or tokio's `AsyncFd`.
//! - [`Queue::notify_signal`]: a signal carrying a value.
//! - [`Queue::notify_thread`] → [`NotifyThread`]: a closure run on a thread of ours.
//!
//! [`Queue::clear_notification`] removes this process's registration, whatever its form.

mod descriptor;
mod signal;
mod thread;
mod watch;

pub use descriptor::{Notification, NotificationEvent};
pub use thread::NotifyThread;
