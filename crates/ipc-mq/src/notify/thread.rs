//! The thread form of `mq_notify`: a closure run on a thread of this crate.

use std::fmt;
use std::os::fd::AsFd;
use std::thread::JoinHandle;

use ipc_core::{Error, ErrorKind, Result, Wait};

use super::descriptor::NotificationEvent;
use super::watch::Watch;
use crate::queue::Queue;
use crate::sys::notify;

/// The thread of [`Queue::notify_thread`]: it waits for the notification and runs the
/// closure once if a message arrived.
///
/// Dropping the handle detaches the thread, as dropping a `JoinHandle` does; the thread still
/// ends when the kernel reports, which it does when a message arrives, when
/// [`Queue::clear_notification`] is called, or when this process closes a descriptor of the
/// queue (dropping the [`Queue`] among them).
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
///
/// let name = ipc_core::ObjectName::unique("mq-notify-thread-type-doc")?;
/// let queue = ipc_mq::Queue::create_new(&name)?;
/// let (tx, rx) = mpsc::channel();
/// let thread = queue.notify_thread(move || tx.send("a message came").unwrap())?;
/// queue.send(b"x", 0)?;
/// assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "a message came");
/// assert_eq!(thread.join()?, ipc_mq::NotificationEvent::MessageArrived);
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub struct NotifyThread {
    handle: JoinHandle<Result<NotificationEvent>>,
    object: String,
}

impl Queue {
    /// Registers this process for notification of the next message that arrives in the empty
    /// queue, and starts a thread that runs `on_message` once when it does.
    ///
    /// It is built on [`notify_descriptor`](Self::notify_descriptor): the thread waits on the
    /// registration's socket. (glibc's own `SIGEV_THREAD` form calls a C function on a thread
    /// it starts; no Rust closure goes near it.) If the registration is removed instead (see
    /// [`NotifyThread`]), the thread ends without running `on_message`. The rules of
    /// [`Notification`](crate::Notification) hold: one-shot, one registrant.
    ///
    /// # Errors
    ///
    /// Those of [`notify_descriptor`](Self::notify_descriptor), and
    /// [`Other`](ErrorKind::Other) when the thread cannot be started (the registration is
    /// removed again).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-notify-thread-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let thread = queue.notify_thread(|| println!("a message came"))?;
    /// queue.clear_notification()?;
    /// assert_eq!(thread.join()?, ipc_mq::NotificationEvent::Removed);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_notify")]
    #[doc(alias = "SIGEV_THREAD")]
    pub fn notify_thread<F>(&self, on_message: F) -> Result<NotifyThread>
    where
        F: FnOnce() + Send + 'static,
    {
        let object = self.name().as_str().to_owned();
        let watch = Watch::new(self)?;
        watch.register(self)?;
        let spawned = std::thread::Builder::new()
            .name("ipc-mq-notify".to_owned())
            .spawn(move || {
                let event = watch.wait(Wait::Forever)?;
                if event == NotificationEvent::MessageArrived {
                    on_message();
                }
                Ok(event)
            });
        match spawned {
            Ok(handle) => Ok(NotifyThread { handle, object }),
            Err(err) => {
                // The socket closed with the closure; the registration would wait on it until
                // a message came, holding the queue from other registrants.
                let _ = notify::unregister(self.as_fd());
                Err(Error::from_io("pthread_create", object, err))
            }
        }
    }
}

impl NotifyThread {
    /// Waits for the thread to end and returns what it saw.
    ///
    /// # Errors
    ///
    /// [`Other`](ErrorKind::Other) when the closure panicked, or the socket delivered
    /// something that is not the registration's cookie.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-notify-thread-join-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let thread = queue.notify_thread(|| {})?;
    /// drop(queue); // closing the descriptor removes the registration
    /// assert_eq!(thread.join()?, ipc_mq::NotificationEvent::Removed);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn join(self) -> Result<NotificationEvent> {
        self.handle.join().unwrap_or_else(|_| {
            Err(Error::new(ErrorKind::Other, "mq_notify")
                .with_object(self.object)
                .with_detail("the notification closure panicked"))
        })
    }

    /// Whether the thread has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-notify-thread-finished-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// let thread = queue.notify_thread(|| {})?;
    /// assert!(!thread.is_finished());
    /// queue.clear_notification()?;
    /// thread.join()?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }
}

impl fmt::Debug for NotifyThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyThread")
            .field("queue", &self.object)
            .field("finished", &self.is_finished())
            .finish()
    }
}
