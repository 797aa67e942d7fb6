//! The queue as a descriptor: the non-blocking flag and conversions to and from `OwnedFd`.

use std::os::fd::{AsFd, OwnedFd};

use ipc_core::{Error, ErrorKind, ObjectName, Ownership, Result};
use rustix::fs::OFlags;
use rustix::io::Errno;

use crate::builder::Access;
use crate::named::Named;
use crate::queue::Queue;
use crate::sys::mq;

impl Queue {
    /// Sets (`true`) or clears (`false`) `O_NONBLOCK` on the queue descriptor with
    /// `mq_setattr`, the one attribute it changes; [`Attributes::is_nonblocking`] reports it.
    ///
    /// What it changes: the plain [`send`](Self::send) and [`receive`](Self::receive) (and
    /// [`receive_vec`](Self::receive_vec)) no longer sleep on a full or empty queue but fail
    /// at once with [`WouldBlock`](ErrorKind::WouldBlock). The `try_*` forms already never
    /// sleep and keep their meaning. The bounded forms (`*_timeout`, `*_deadline`) keep theirs
    /// too: the kernel would fail them at once with `EAGAIN` on a non-blocking descriptor, so
    /// they then wait for readiness with `poll` until the deadline and try again, ending in
    /// [`TimedOut`](ErrorKind::TimedOut) as before.
    ///
    /// The flag belongs to the open queue description, not to this handle alone: descriptors
    /// duplicated from it (`dup`, inherited, passed over a socket) see the change too; queues
    /// opened separately by name do not.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](ErrorKind::InvalidArgument) should `mq_setattr` refuse the
    /// descriptor (`EBADF`), which it does not for an open queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-nonblocking-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.set_nonblocking(true)?;
    /// assert!(queue.attributes()?.is_nonblocking());
    /// // The blocking receive no longer waits on an empty queue.
    /// assert_eq!(queue.receive_vec().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_getattr(3)`](https://man7.org/linux/man-pages/man3/mq_getattr.3.html)
    ///
    /// [`Attributes::is_nonblocking`]: crate::Attributes::is_nonblocking
    #[doc(alias = "mq_setattr")]
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        mq::set_nonblocking(self.fd.as_fd(), nonblocking)
            .map_err(|errno| Error::from_errno("mq_setattr", self.name().as_str(), errno))
    }

    /// Takes ownership of `fd`, a message queue descriptor received from elsewhere (inherited,
    /// passed over a Unix socket, or from [`OwnedFd::from`] of a [`Queue`]), after checking
    /// with `mq_getattr` that it is one.
    ///
    /// `name` labels the handle ([`name`](Self::name), errors); it is not checked against the
    /// descriptor, which carries no name. The handle only opened the queue, so it never
    /// removes the name. Its [`access`](Self::access) is read from the descriptor's flags, and
    /// its close-on-exec flag is left as it is.
    ///
    /// This is a fallible constructor rather than `From<OwnedFd>`: any descriptor converts to
    /// an `OwnedFd`, and a `From` could not refuse one that is not a queue, whose every later
    /// call would then fail.
    ///
    /// # Errors
    ///
    /// [`WrongObjectType`](ErrorKind::WrongObjectType) when `fd` is not a message queue
    /// (`mq_getattr` fails with `EBADF`), or [`Other`](ErrorKind::Other) should `fstat` or
    /// `fcntl` fail on it; the descriptor is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-from-fd-doc")?;
    /// let mut queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.persist();
    /// let fd = OwnedFd::from(queue);
    /// let queue = ipc_mq::Queue::from_fd(fd, name.clone())?;
    /// queue.send(b"still the same queue", 0)?;
    /// ipc_mq::Queue::unlink_name(&name)?;
    ///
    /// let not_a_queue = OwnedFd::from(std::fs::File::open("/dev/null")?);
    /// let err = ipc_mq::Queue::from_fd(not_a_queue, name).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::WrongObjectType);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_fd(fd: OwnedFd, name: ObjectName) -> Result<Self> {
        let object = name.as_str();
        let attr = mq::getattr(fd.as_fd()).map_err(|errno| match errno {
            Errno::BADF => {
                Error::from_errno_as(ErrorKind::WrongObjectType, "mq_getattr", object, errno)
                    .with_detail("the descriptor is not a message queue")
            }
            _ => Error::from_errno("mq_getattr", object, errno),
        })?;
        // The inode, so that `unlink` removes the name only while it names this queue.
        let stat =
            rustix::fs::fstat(&fd).map_err(|errno| Error::from_errno("fstat", object, errno))?;
        let flags = rustix::fs::fcntl_getfl(&fd)
            .map_err(|errno| Error::from_errno("fcntl", object, errno))?;
        let access = match flags & OFlags::RWMODE {
            OFlags::WRONLY => Access::SendOnly,
            OFlags::RDWR => Access::SendReceive,
            _ => Access::ReceiveOnly,
        };
        Ok(Self {
            fd,
            named: Named {
                name,
                ownership: Ownership::Opener,
                identity: (stat.st_dev, stat.st_ino),
            },
            access,
            max_message_size: usize::try_from(attr.max_message_size).unwrap_or(0),
            created: false,
        })
    }
}

/// The queue's descriptor, for a caller that manages it itself.
///
/// The conversion ends the handle as a drop would: a handle that created the queue removes
/// its name now unless [`persist`](Queue::persist)ed (the queue itself lives on while a
/// descriptor is open, so the returned one keeps working). Call `persist()` first to keep the
/// name for [`Queue::from_fd`] or other processes.
///
/// The removal checks that the name still names this queue by opening it for a moment. As
/// closing any descriptor of a queue does, closing that one ends whatever `mq_notify`
/// registration this process holds on the queue, in any form: a
/// [`Notification`](crate::Notification) or [`NotifyThread`](crate::NotifyThread) then
/// reports [`Removed`](crate::NotificationEvent::Removed), and a signal-form
/// ([`Queue::notify_signal`]) registration ends without a signal. Register again after the
/// conversion if you need one.
///
/// # Examples
///
/// ```
/// use std::os::fd::OwnedFd;
///
/// let name = ipc_core::ObjectName::unique("mq-into-fd-doc")?;
/// let queue = ipc_mq::Queue::create_new(&name)?;
/// let fd = OwnedFd::from(queue);
/// // The creator's handle ended: the name is gone, the descriptor still works.
/// assert!(ipc_mq::Queue::open(&name).is_err());
/// let queue = ipc_mq::Queue::from_fd(fd, name)?;
/// queue.send(b"x", 0)?;
/// # Ok::<(), ipc_core::Error>(())
/// ```
impl From<Queue> for OwnedFd {
    fn from(queue: Queue) -> Self {
        let Queue { fd, named, .. } = queue;
        // Dropping the name part removes the name if this handle created it.
        drop(named);
        fd
    }
}
