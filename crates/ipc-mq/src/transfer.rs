//! Sending and receiving messages: blocking, non-blocking and bounded.

use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use ipc_core::{Error, ErrorKind, Result, Wait};
use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::time::Timespec;

use crate::queue::Queue;
use crate::sys::mq::{self, Until};

/// A message taken from a queue by [`Queue::receive_vec`]: its bytes and priority.
///
/// # Examples
///
/// ```
/// let name = ipc_core::ObjectName::unique("mq-message-doc")?;
/// let queue = ipc_mq::Queue::create_new(&name)?;
/// queue.send(b"hi", 7)?;
/// let message = queue.receive_vec()?;
/// assert_eq!((message.bytes.as_slice(), message.priority), (&b"hi"[..], 7));
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message's bytes.
    pub bytes: Vec<u8>,
    /// Its priority: 0 is the lowest.
    pub priority: u32,
}

/// An absolute `CLOCK_REALTIME` time long past: a timed call given it returns `ETIMEDOUT` at
/// once rather than block (`mq_send(3)`: "If the message queue is full, and the timeout has
/// already expired by the time of the call, mq_timedsend() returns immediately").
const EXPIRED: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

impl Queue {
    /// Queues `message` at `priority` (0 the lowest, up to `MQ_PRIO_MAX - 1`, 32767 on
    /// Linux), blocking while the queue is full.
    ///
    /// A signal handler that interrupts the wait does not end it (`EINTR` is retried).
    ///
    /// # Errors
    ///
    /// - [`MessageTooLarge`](ErrorKind::MessageTooLarge) when `message` is longer than the
    ///   queue's [`max_message_size`](crate::Attributes::max_message_size).
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a priority of `MQ_PRIO_MAX` or
    ///   more, or a handle not opened for sending (`EBADF`).
    /// - [`WouldBlock`](ErrorKind::WouldBlock) when the queue is full and the descriptor was
    ///   made non-blocking ([`set_nonblocking`](Self::set_nonblocking)).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-send-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.send(b"low", 1)?;
    /// queue.send(b"high", 9)?;
    /// assert_eq!(queue.receive_vec()?.bytes, b"high");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_send(3)`](https://man7.org/linux/man-pages/man3/mq_send.3.html)
    #[doc(alias = "mq_send")]
    pub fn send(&self, message: &[u8], priority: u32) -> Result<()> {
        self.send_wait(message, priority, Wait::Forever)
    }

    /// Queues `message` at `priority` if there is room now.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ErrorKind::WouldBlock) when the queue is full; the others of
    /// [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-try-send-doc")?;
    /// let queue = ipc_mq::Queue::builder().max_messages(1).create_new(&name)?;
    /// queue.try_send(b"one", 0)?;
    /// assert_eq!(queue.try_send(b"two", 0).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send(&self, message: &[u8], priority: u32) -> Result<()> {
        self.send_wait(message, priority, Wait::NonBlocking)
    }

    /// Queues `message` at `priority`, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ErrorKind::TimedOut) when the queue stayed full; the others of
    /// [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-send-timeout-doc")?;
    /// let queue = ipc_mq::Queue::builder().max_messages(1).create_new(&name)?;
    /// queue.send_timeout(b"one", 0, Duration::from_millis(10))?;
    /// let err = queue.send_timeout(b"two", 0, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_timedsend")]
    pub fn send_timeout(&self, message: &[u8], priority: u32, timeout: Duration) -> Result<()> {
        self.send_wait(message, priority, Wait::timeout(timeout))
    }

    /// Queues `message` at `priority`, waiting for room until `deadline`.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Clocks
    ///
    /// The deadline is on the monotonic clock, but `mq_timedsend` takes a `CLOCK_REALTIME`
    /// time, which follows the wall clock when it is stepped. Each call is given the deadline
    /// converted just before it, or one second from then if that is sooner
    /// ([`Deadline::to_realtime`](ipc_core::Deadline::to_realtime)); a call that times out
    /// before the monotonic deadline is made again. So a wall clock stepped forward does not
    /// end the wait early, and one stepped back makes it at most a second late.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let name = ipc_core::ObjectName::unique("mq-send-deadline-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.send_deadline(b"soon", 0, Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_timedsend")]
    pub fn send_deadline(&self, message: &[u8], priority: u32, deadline: Instant) -> Result<()> {
        self.send_wait(message, priority, Wait::deadline(deadline))
    }

    /// Takes the oldest message of the highest priority into `buffer`, blocking while the
    /// queue is empty; returns its length and priority.
    ///
    /// `buffer` must hold the largest message the queue takes
    /// ([`max_message_size`](crate::Attributes::max_message_size)), as `mq_receive` demands;
    /// a smaller one is refused before anything is taken, so no message is ever cut short.
    ///
    /// # Errors
    ///
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) when `buffer` is shorter than the
    ///   queue's message size, or the handle was not opened for receiving (`EBADF`).
    /// - [`WouldBlock`](ErrorKind::WouldBlock) when the queue is empty and the descriptor was
    ///   made non-blocking ([`set_nonblocking`](Self::set_nonblocking)).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-receive-doc")?;
    /// let queue = ipc_mq::Queue::builder().max_message_size(16).create_new(&name)?;
    /// queue.send(b"ping", 3)?;
    /// let mut buffer = [0; 16];
    /// let (len, priority) = queue.receive(&mut buffer)?;
    /// assert_eq!((&buffer[..len], priority), (&b"ping"[..], 3));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_receive(3)`](https://man7.org/linux/man-pages/man3/mq_receive.3.html)
    #[doc(alias = "mq_receive")]
    pub fn receive(&self, buffer: &mut [u8]) -> Result<(usize, u32)> {
        self.receive_wait(buffer, Wait::Forever)
    }

    /// Takes a message into `buffer` if there is one now.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ErrorKind::WouldBlock) when the queue is empty; the others of
    /// [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-try-receive-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let mut buffer = vec![0; queue.attributes()?.max_message_size()];
    /// assert_eq!(queue.try_receive(&mut buffer).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive(&self, buffer: &mut [u8]) -> Result<(usize, u32)> {
        self.receive_wait(buffer, Wait::NonBlocking)
    }

    /// Takes a message into `buffer`, waiting at most `timeout` for one.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ErrorKind::TimedOut) when none came; the others of
    /// [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-receive-timeout-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let mut buffer = vec![0; 8192];
    /// let err = queue.receive_timeout(&mut buffer, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_timedreceive")]
    pub fn receive_timeout(&self, buffer: &mut [u8], timeout: Duration) -> Result<(usize, u32)> {
        self.receive_wait(buffer, Wait::timeout(timeout))
    }

    /// Takes a message into `buffer`, waiting for one until `deadline`.
    ///
    /// # Errors
    ///
    /// As [`receive_timeout`](Self::receive_timeout).
    ///
    /// # Clocks
    ///
    /// As for [`send_deadline`](Self::send_deadline): the deadline is monotonic, and
    /// `mq_timedreceive` is given it in `CLOCK_REALTIME` slices of at most a second, so a
    /// stepped wall clock neither ends the wait early nor makes it more than a second late.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let name = ipc_core::ObjectName::unique("mq-receive-deadline-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.send(b"x", 0)?;
    /// let mut buffer = vec![0; 8192];
    /// queue.receive_deadline(&mut buffer, Instant::now() + Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_timedreceive")]
    pub fn receive_deadline(&self, buffer: &mut [u8], deadline: Instant) -> Result<(usize, u32)> {
        self.receive_wait(buffer, Wait::deadline(deadline))
    }

    /// Takes a message into a new buffer of the queue's message size, blocking while the
    /// queue is empty.
    ///
    /// # Errors
    ///
    /// As [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-receive-vec-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.send(b"owned", 2)?;
    /// assert_eq!(queue.receive_vec()?.bytes, b"owned");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_vec(&self) -> Result<Message> {
        let mut bytes = vec![0; self.max_message_size];
        let (len, priority) = self.receive(&mut bytes)?;
        bytes.truncate(len);
        Ok(Message { bytes, priority })
    }

    fn send_wait(&self, message: &[u8], priority: u32, wait: Wait) -> Result<()> {
        // The name is looked up only to build an error: not on the path of a message sent.
        let object = || self.name().as_str();
        if priority >= mq::prio_max() {
            return Err(Error::new(ErrorKind::InvalidArgument, "mq_send")
                .with_object(object())
                .with_detail(format!(
                    "priority {priority} is above the highest, {} (MQ_PRIO_MAX - 1)",
                    mq::prio_max() - 1
                )));
        }
        if message.len() > self.max_message_size {
            return Err(Error::new(ErrorKind::MessageTooLarge, "mq_send")
                .with_object(object())
                .with_detail(format!(
                    "{} bytes exceed the queue's message size of {} bytes",
                    message.len(),
                    self.max_message_size
                )));
        }
        let fd = self.fd_for_io();
        wait.retry(|wait| match mq::send(fd, message, priority, until(wait)) {
            Err(Errno::AGAIN) => ready_or_again(fd, PollFlags::OUT, wait),
            result => result,
        })
        .map_err(|errno| io_error("mq_send", object(), errno, wait))
    }

    fn receive_wait(&self, buffer: &mut [u8], wait: Wait) -> Result<(usize, u32)> {
        let object = || self.name().as_str();
        if buffer.len() < self.max_message_size {
            return Err(Error::new(ErrorKind::InvalidArgument, "mq_receive")
                .with_object(object())
                .with_detail(format!(
                    "a buffer of {} bytes is smaller than the queue's message size of {} bytes",
                    buffer.len(),
                    self.max_message_size
                )));
        }
        let fd = self.fd_for_io();
        wait.retry(|wait| match mq::receive(fd, buffer, until(wait)) {
            Err(Errno::AGAIN) => ready_or_again(fd, PollFlags::IN, wait),
            result => result,
        })
        .map_err(|errno| io_error("mq_receive", object(), errno, wait))
    }

    fn fd_for_io(&self) -> BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(self)
    }
}

/// What a call that met `EAGAIN` does next. Only a descriptor made non-blocking with
/// [`Queue::set_nonblocking`] gives `EAGAIN`, and the kernel gives it before looking at a
/// timeout (`do_mq_timedsend`: `if (f_flags & O_NONBLOCK) ret = -EAGAIN; else wq_sleep(…)`):
/// a bounded wait then polls the descriptor for `events` until its deadline and has the call
/// tried again (returning `EINTR` to [`Wait::retry`], which checks the deadline); the other
/// waits keep the `EAGAIN`, which is `WouldBlock`.
fn ready_or_again<T>(fd: BorrowedFd<'_>, events: PollFlags, wait: Wait) -> Result<T, Errno> {
    match wait {
        Wait::Until(_) => {
            ipc_core::wait_ready(fd, events, wait)?;
            Err(Errno::INTR)
        }
        Wait::NonBlocking | Wait::Forever => Err(Errno::AGAIN),
    }
}

/// When the raw call gives up for `wait`: the monotonic deadline becomes a `CLOCK_REALTIME`
/// time here, at the last moment before the call, at most a second ahead
/// ([`Deadline::to_realtime`](ipc_core::Deadline::to_realtime)); [`Wait::retry`] makes the
/// call again when it times out before the deadline.
fn until(wait: Wait) -> Until {
    match wait {
        Wait::Forever => Until::Forever,
        Wait::NonBlocking => Until::Realtime(EXPIRED),
        Wait::Until(deadline) => Until::Realtime(deadline.to_realtime()),
    }
}

/// The error of a send or receive: `ETIMEDOUT` of a non-blocking attempt is `WouldBlock`, and
/// `EBADF` says which end the handle lacks.
fn io_error(operation: &'static str, object: &str, errno: Errno, wait: Wait) -> Error {
    match (errno, wait) {
        (Errno::TIMEDOUT, Wait::NonBlocking) => {
            Error::from_errno_as(ErrorKind::WouldBlock, operation, object, errno)
        }
        (Errno::BADF, _) => {
            Error::from_errno(operation, object, errno).with_detail(if operation == "mq_send" {
                "the queue was not opened for sending"
            } else {
                "the queue was not opened for receiving"
            })
        }
        _ => Error::from_errno(operation, object, errno),
    }
}
