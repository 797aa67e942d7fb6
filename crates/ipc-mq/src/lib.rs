//! POSIX message queues for Linux: discrete messages with priorities, shared by processes
//! that find the queue by name.
//!
//! - [`Queue`]: created, opened or either by a validated [`ObjectName`](ipc_core::ObjectName)
//!   through [`QueueBuilder`] (message count and size, [`Access`], mode `0o600` by default
//!   set exactly with `fchmod`); the creator removes it on drop unless
//!   [`persist`](Queue::persist)ed.
//! - `send`/`receive` block; `try_*` return [`WouldBlock`](ipc_core::ErrorKind::WouldBlock);
//!   `*_timeout`/`*_deadline` return [`TimedOut`](ipc_core::ErrorKind::TimedOut), with the
//!   monotonic deadline converted to `CLOCK_REALTIME` just before each `mq_timedsend` or
//!   `mq_timedreceive` (at most a second ahead, so a stepped wall clock neither ends a wait
//!   early nor stretches it by more than that), and `EINTR` retried with the time left.
//! - A receive buffer smaller than the queue's message size is refused up front, never cut
//!   short; a message over it is [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge).
//! - Limit errors name their knob (`/proc/sys/fs/mqueue/msg_max`, `msgsize_max`,
//!   `queues_max`, `RLIMIT_MSGQUEUE`) and its value.
//!
//! - [`Queue::set_nonblocking`] sets `O_NONBLOCK` (`mq_setattr`): the plain `send`/`receive`
//!   then fail with `WouldBlock` instead of sleeping.
//! - `mq_notify` in three forms: [`Queue::notify_descriptor`] ([`Notification`], a socket that
//!   polls readable when a message arrives in the empty queue), [`Queue::notify_signal`] and
//!   [`Queue::notify_thread`] ([`NotifyThread`]); a second registrant is
//!   [`AlreadyExists`](ipc_core::ErrorKind::AlreadyExists).
//!
//! On Linux a queue descriptor is a file descriptor: [`Queue`] implements `AsFd`, and it polls
//! readable when a message is waiting, writable when there is room. `OwnedFd::from(queue)`
//! takes the descriptor out and [`Queue::from_fd`] checks one that came from elsewhere.
//!
//! # Examples
//!
//! ```
//! use ipc_core::ObjectName;
//! use ipc_mq::Queue;
//!
//! let name = ObjectName::unique("mq-crate-doc")?;
//! let queue = Queue::builder().max_messages(10).max_message_size(1024).create_new(&name)?;
//! queue.send(b"Hello from sender!", 0)?;
//! let message = queue.receive_vec()?;
//! println!("Received: {}", String::from_utf8_lossy(&message.bytes));
//! # Ok::<(), ipc_core::Error>(())
//! ```
//!
//! # References
//!
//! - [`mq_overview(7)`](https://man7.org/linux/man-pages/man7/mq_overview.7.html)
#![doc(test(attr(deny(warnings))))]

mod builder;
mod descriptor;
mod limits;
mod named;
mod notify;
mod queue;
mod sys;
mod transfer;

pub use builder::{Access, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_MESSAGES, QueueBuilder};
pub use notify::{Notification, NotificationEvent, NotifyThread};
pub use queue::{Attributes, Queue};
pub use transfer::Message;
