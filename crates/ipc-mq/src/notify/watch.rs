//! The socket a descriptor-form notification arrives on, and the reading of what arrives.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ipc_core::{Error, ErrorKind, Wait};
use rustix::event::PollFlags;
use rustix::io::Errno;

use super::descriptor::NotificationEvent;
use crate::queue::Queue;
use crate::sys::notify::{self, COOKIE_LEN, REMOVED, WOKENUP};

/// What every cookie of this crate starts with.
const MAGIC: &[u8; 8] = b"ipc-mq\0n";

/// A netlink socket, the cookie the kernel returns on it, and whether a registration through
/// it may still report: the part of a [`Notification`](super::Notification) that needs no
/// queue, so the thread form can move it to its thread.
#[derive(Debug)]
pub(crate) struct Watch {
    socket: OwnedFd,
    cookie: [u8; COOKIE_LEN],
    /// Set when a registration through this socket succeeds, cleared when its one event has
    /// been read: while set, the registration is live or its event is waiting unread.
    /// Relaxed: the flag publishes no other memory; the socket is the source of truth.
    armed: AtomicBool,
    /// The queue's name, for errors.
    object: String,
}

impl Watch {
    /// A new socket and cookie for notifications of `queue`; nothing is registered yet.
    pub(crate) fn new(queue: &Queue) -> ipc_core::Result<Self> {
        let object = queue.name().as_str().to_owned();
        let socket = notify::socket()
            .map_err(|errno| Error::from_errno_creating_fd("socket", object.as_str(), errno))?;
        Ok(Self {
            socket,
            cookie: new_cookie(),
            armed: AtomicBool::new(false),
            object,
        })
    }

    pub(crate) fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }

    /// Registers this process on `queue` to be told on this socket; nothing to do while a
    /// registration made here is live or its event unread.
    pub(crate) fn register(&self, queue: &Queue) -> ipc_core::Result<()> {
        if self.is_armed() {
            return Ok(());
        }
        notify::register_socket(queue.as_fd(), self.socket.as_fd(), &self.cookie)
            .map_err(|errno| registration_error(queue.name().as_str(), errno))?;
        self.armed.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Waits as `wait` allows for the registration's event.
    pub(crate) fn wait(&self, wait: Wait) -> ipc_core::Result<NotificationEvent> {
        let object = self.object.as_str();
        if !self.is_armed() {
            return Err(Error::new(ErrorKind::InvalidArgument, "mq_notify")
                .with_object(object)
                .with_detail(
                    "nothing is registered: the notification already reported its event \
                     (register again with rearm)",
                ));
        }
        let socket = self.socket.as_fd();
        let (bytes, len) = wait
            .retry(|wait| match notify::receive(socket) {
                Err(Errno::AGAIN) if wait != Wait::NonBlocking => {
                    ipc_core::wait_ready(socket, PollFlags::IN, wait)?;
                    Err(Errno::INTR)
                }
                result => result,
            })
            .map_err(|errno| Error::from_errno("mq_notify", object, errno))?;
        let event = self.parse(&bytes, len)?;
        self.armed.store(false, Ordering::Relaxed);
        Ok(event)
    }

    /// Checks what arrived before trusting it: exactly one cookie, ours, with a known code in
    /// its last byte.
    fn parse(
        &self,
        bytes: &[u8; COOKIE_LEN + 1],
        len: usize,
    ) -> ipc_core::Result<NotificationEvent> {
        let invalid = |detail: String| {
            Error::new(ErrorKind::Other, "mq_notify")
                .with_object(self.object.as_str())
                .with_detail(detail)
        };
        if len != COOKIE_LEN {
            return Err(invalid(format!(
                "the notification socket delivered {len} bytes, not a {COOKIE_LEN}-byte cookie"
            )));
        }
        if bytes[..COOKIE_LEN - 1] != self.cookie[..COOKIE_LEN - 1] {
            return Err(invalid(
                "the notification socket delivered a cookie that is not this registration's"
                    .to_owned(),
            ));
        }
        match bytes[COOKIE_LEN - 1] {
            WOKENUP => Ok(NotificationEvent::MessageArrived),
            REMOVED => Ok(NotificationEvent::Removed),
            code => Err(invalid(format!(
                "the notification carried the unknown code {code} (NOTIFY_WOKENUP is 1, \
                 NOTIFY_REMOVED 2)"
            ))),
        }
    }

    /// Before the socket closes: removes the registration made through it if it is still
    /// live on `queue`. An event already waiting on the socket means the kernel has dropped
    /// it, and `mq_notify(NULL)` would remove whatever registration this process made since.
    pub(crate) fn unregister_if_live(&self, queue: &Queue) {
        if !self.is_armed() || self.wait(Wait::NonBlocking).is_ok() {
            return;
        }
        // Nothing to report to from a drop; the kernel ignores a process that holds no
        // registration.
        let _ = notify::unregister(queue.as_fd());
        self.armed.store(false, Ordering::Relaxed);
    }

    pub(crate) fn socket(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// The error of a registration: `EBUSY` is the one-registrant rule.
pub(crate) fn registration_error(object: &str, errno: Errno) -> Error {
    match errno {
        // `mq_notify(3)`: "EBUSY: Another process has already registered to receive
        // notification for this message queue." The kernel refuses this process's second
        // registration the same way.
        Errno::BUSY => Error::from_errno_as(ErrorKind::AlreadyExists, "mq_notify", object, errno)
            .with_detail(
                "a process (this one or another) is already registered for notification on \
                 this queue, and only one may be until it is notified or unregisters",
            ),
        _ => Error::from_errno("mq_notify", object, errno),
    }
}

/// A cookie unique to this process and registration socket: a magic, the pid and a counter;
/// the last byte is the kernel's to fill in.
fn new_cookie() -> [u8; COOKIE_LEN] {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Relaxed: only uniqueness matters, which the atomic add gives in any order.
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut cookie = [0; COOKIE_LEN];
    cookie[..8].copy_from_slice(MAGIC);
    cookie[8..12].copy_from_slice(&std::process::id().to_ne_bytes());
    cookie[12..20].copy_from_slice(&serial.to_ne_bytes());
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_differ_and_leave_the_last_byte_to_the_kernel() {
        let (a, b) = (new_cookie(), new_cookie());
        assert_ne!(a, b);
        assert_eq!(a[COOKIE_LEN - 1], 0);
    }
}
