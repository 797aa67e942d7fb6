//! The message queue handle: opening, ownership, attributes.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use ipc_core::{Error, ErrorKind, NodeCheck, ObjectName, OpenMode, Ownership, Result};
use rustix::fs::FileType;
use rustix::io::Errno;

use crate::builder::{Access, QueueBuilder};
use crate::limits::open_error;
use crate::named::Named;
use crate::sys::mq;

/// A POSIX message queue: discrete messages with priorities, shared by processes that find it
/// by name (`/jobs`).
///
/// [`send`](Self::send) queues a message with a priority; [`receive`](Self::receive) takes
/// the oldest message of the highest priority. Each has a non-blocking form (`try_*`,
/// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock)) and bounded forms (`*_timeout`,
/// `*_deadline`, [`TimedOut`](ipc_core::ErrorKind::TimedOut)) measured on the monotonic clock.
///
/// The handle that created the queue removes its name on drop unless
/// [`persist`](Self::persist)ed; processes that have it open keep using it until they close
/// it.
///
/// # Close-on-exec
///
/// The descriptor is opened `O_CLOEXEC` (Linux makes every queue descriptor close-on-exec
/// anyway), so an executed program does not inherit it.
///
/// # Removal
///
/// The creator's drop (and [`unlink`](Self::unlink)) removes the name only while it still
/// names this queue: the name is opened for a moment and its inode compared with the one
/// recorded at creation. Creation therefore refuses a mode that gives the owner neither read
/// nor write, with which that check could not be made. What cannot be checked is left in
/// place by a drop, which has no one to tell: when no descriptor is left to open the name
/// (`EMFILE`), or the process lost the permission it had. Closing the probe descriptor ends any
/// `mq_notify` registration this process holds on the queue.
///
/// # Limits
///
/// A new queue's sizes are capped, for a process without `CAP_SYS_RESOURCE`, by
/// `/proc/sys/fs/mqueue/msg_max` (10 by default) and `msgsize_max` (8192); the number of
/// queues by `queues_max`; the bytes a user's queues may take by `RLIMIT_MSGQUEUE`. Reaching
/// one is a [`LimitReached`](ipc_core::ErrorKind::LimitReached) error that names it and its
/// value.
///
/// # Examples
///
/// The reference's sender and receiver (doc 001 §2.4), in one process:
///
/// ```
/// use ipc_core::ObjectName;
/// use ipc_mq::Queue;
///
/// let name = ObjectName::unique("my-queue-doc")?;
/// let queue = Queue::create_new(&name)?;
/// queue.send(b"Hello via message queue!", 0)?;
/// let message = queue.receive_vec()?;
/// assert_eq!(message.bytes, b"Hello via message queue!");
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`mq_overview(7)`](https://man7.org/linux/man-pages/man7/mq_overview.7.html)
/// - [`mq_open(3)`](https://man7.org/linux/man-pages/man3/mq_open.3.html)
pub struct Queue {
    pub(crate) fd: OwnedFd,
    pub(crate) named: Named,
    pub(crate) access: Access,
    pub(crate) max_message_size: usize,
    pub(crate) created: bool,
}

/// A queue's attributes at the time of [`Queue::attributes`].
///
/// # Examples
///
/// ```
/// let name = ipc_core::ObjectName::unique("mq-attributes-doc")?;
/// let queue = ipc_mq::Queue::create_new(&name)?;
/// let attributes = queue.attributes()?;
/// assert_eq!(attributes.current_messages(), 0);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    max_messages: usize,
    max_message_size: usize,
    current_messages: usize,
    nonblocking: bool,
}

impl Attributes {
    /// The most messages the queue holds (`mq_maxmsg`).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-maxmsg-doc")?;
    /// let queue = ipc_mq::Queue::builder().max_messages(4).create_new(&name)?;
    /// assert_eq!(queue.attributes()?.max_messages(), 4);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn max_messages(&self) -> usize {
        self.max_messages
    }

    /// The size in bytes of the largest message the queue takes (`mq_msgsize`).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-msgsize-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert_eq!(queue.attributes()?.max_message_size(), ipc_mq::DEFAULT_MAX_MESSAGE_SIZE);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The number of messages in the queue now (`mq_curmsgs`).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-curmsgs-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.send(b"one", 0)?;
    /// assert_eq!(queue.attributes()?.current_messages(), 1);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn current_messages(&self) -> usize {
        self.current_messages
    }

    /// Whether the descriptor is in non-blocking mode (`O_NONBLOCK` in `mq_flags`), as
    /// [`Queue::set_nonblocking`] leaves it; queues open blocking. The `try_*` forms do not
    /// need it.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-flags-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert!(!queue.attributes()?.is_nonblocking());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn is_nonblocking(&self) -> bool {
        self.nonblocking
    }
}

impl Queue {
    /// Options for a new or opened queue (sizes, access, mode).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-builder-fn-doc")?;
    /// let _queue = ipc_mq::Queue::builder().max_messages(2).create_new(&name)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn builder() -> QueueBuilder {
        QueueBuilder::default()
    }

    /// Creates the queue `name` (10 messages of up to 8192 bytes, mode `0o600`, send and
    /// receive); fails if it exists.
    ///
    /// # Errors
    ///
    /// - [`AlreadyExists`](ErrorKind::AlreadyExists) when the name is taken.
    /// - [`LimitReached`](ErrorKind::LimitReached) naming `/proc/sys/fs/mqueue/msg_max`,
    ///   `msgsize_max` or `queues_max`, `RLIMIT_MSGQUEUE` or `RLIMIT_NOFILE`, with its value.
    /// - [`InvalidArgument`](ErrorKind::InvalidArgument) for a size of 0, or a mode that gives
    ///   the owner neither read nor write (`0o044`, say; see `# Removal` on [`Queue`]).
    /// - [`InvalidName`](ErrorKind::InvalidName) for a name too long for the queue file system.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) from `mq_open` and `fchmod`, or
    ///   [`Other`](ErrorKind::Other) when the kernel is out of memory (`ENOMEM`, not a limit
    ///   with a knob).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    ///
    /// let name = ObjectName::unique("mq-create-doc")?;
    /// let _queue = ipc_mq::Queue::create_new(&name)?;
    /// let again = ipc_mq::Queue::create_new(&name).unwrap_err();
    /// assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_open")]
    pub fn create_new(name: &ObjectName) -> Result<Self> {
        Self::builder().create_new(name)
    }

    /// Opens the existing queue `name` for sending and receiving. The handle never removes it.
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when there is none.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when its mode refuses the access, or
    ///   it belongs to a user other than the caller or root (see
    ///   [`QueueBuilder::trust_owner`](crate::QueueBuilder::trust_owner)).
    /// - [`LimitReached`](ErrorKind::LimitReached) (`RLIMIT_NOFILE`), or the other kinds of
    ///   [`create_new`](Self::create_new) that `mq_open` can return.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, ObjectName};
    ///
    /// let name = ObjectName::unique("mq-open-doc")?;
    /// assert_eq!(ipc_mq::Queue::open(&name).unwrap_err().kind(), ErrorKind::NotFound);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_open")]
    pub fn open(name: &ObjectName) -> Result<Self> {
        Self::builder().open(name)
    }

    /// Creates the queue `name` as [`create_new`](Self::create_new) does, or opens the one
    /// already there as [`open`](Self::open) does.
    ///
    /// # Errors
    ///
    /// Those of [`create_new`](Self::create_new) other than `AlreadyExists`, and those of
    /// [`open`](Self::open); [`NotFound`](ErrorKind::NotFound) when other processes remove the
    /// queue each time it is found (three attempts).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-either-doc")?;
    /// let queue = ipc_mq::Queue::open_or_create(&name)?;
    /// assert!(queue.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_open")]
    pub fn open_or_create(name: &ObjectName) -> Result<Self> {
        Self::builder().open_or_create(name)
    }

    pub(crate) fn make(name: &ObjectName, mode: OpenMode, options: QueueBuilder) -> Result<Self> {
        let object = name.as_str();
        if mode.may_create() {
            check_creatable(object, &options)?;
        }
        let sizes = (options.max_messages, options.max_message_size);
        let raw_sizes = (
            libc::c_long::try_from(sizes.0).unwrap_or(libc::c_long::MAX),
            libc::c_long::try_from(sizes.1).unwrap_or(libc::c_long::MAX),
        );
        let base = options.access.oflag() | libc::O_CLOEXEC;
        let mode_bits = options.permissions.mode();
        let create = || {
            mq::open(
                name.as_c_str(),
                base | libc::O_CREAT | libc::O_EXCL,
                mode_bits,
                Some(raw_sizes),
            )
        };
        let open = || mq::open(name.as_c_str(), base, 0, None);
        let (fd, created) = match mode {
            OpenMode::CreateNew => (
                create().map_err(|errno| open_error(object, errno, Some(sizes)))?,
                true,
            ),
            OpenMode::Open => (
                open().map_err(|errno| open_error(object, errno, None))?,
                false,
            ),
            OpenMode::OpenOrCreate => {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match create() {
                        Ok(fd) => break (fd, true),
                        Err(Errno::EXIST) => {}
                        Err(errno) => return Err(open_error(object, errno, Some(sizes))),
                    }
                    match open() {
                        Ok(fd) => break (fd, false),
                        Err(Errno::NOENT) if attempt < 3 => {}
                        Err(errno) => return Err(open_error(object, errno, None)),
                    }
                }
            }
        };
        // The queue descriptor is a file of the mqueue file system, whose inodes are regular
        // files to `fstat`: its identity is what a removal checks.
        let stat = match rustix::fs::fstat(&fd) {
            Ok(stat) => stat,
            Err(errno) => {
                if created {
                    // Without an identity the handle could never prove the name its own, so
                    // the queue made a moment ago with O_EXCL is removed here, unchecked.
                    let _ = mq::unlink(name.as_c_str());
                }
                return Err(Error::from_errno("fstat", object, errno));
            }
        };
        let mut queue = Self {
            fd,
            named: Named {
                name: name.clone(),
                ownership: Ownership::created(created),
                identity: (stat.st_dev, stat.st_ino),
            },
            access: options.access,
            max_message_size: 0,
            created,
        };
        if created {
            // On Linux the queue descriptor takes `fchmod` like any other file: the mode is set
            // exactly, whatever the umask took away at creation (the umask only narrows, so
            // there is no wider window).
            options
                .permissions
                .apply(queue.fd.as_fd(), "mq_open", object)?;
        } else {
            // An existing queue must belong to a trusted user.
            NodeCheck::new(FileType::RegularFile, "a message queue")
                .owned_by(options.owner, "QueueBuilder::trust_owner")
                .check(&stat, "mq_open", object)?;
        }
        queue.max_message_size = queue.attributes()?.max_message_size;
        Ok(queue)
    }

    /// The queue's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-name-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert_eq!(queue.name(), &name);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn name(&self) -> &ObjectName {
        &self.named.name
    }

    /// Which ends this handle may use.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-access-fn-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert_eq!(queue.access(), ipc_mq::Access::SendReceive);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn access(&self) -> Access {
        self.access
    }

    /// Whether this handle created the queue (and so removes it on drop unless persisted).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-created-doc")?;
    /// assert!(ipc_mq::Queue::create_new(&name)?.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// The queue's sizes and the number of messages in it now.
    ///
    /// # Errors
    ///
    /// [`Other`](ErrorKind::Other) should `mq_getattr` fail, which it does not on an open
    /// queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-getattr-doc")?;
    /// let queue = ipc_mq::Queue::create_new(&name)?;
    /// assert_eq!(queue.attributes()?.max_messages(), ipc_mq::DEFAULT_MAX_MESSAGES);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_getattr(3)`](https://man7.org/linux/man-pages/man3/mq_getattr.3.html)
    #[doc(alias = "mq_getattr")]
    pub fn attributes(&self) -> Result<Attributes> {
        let raw = mq::getattr(self.fd.as_fd())
            .map_err(|errno| Error::from_errno("mq_getattr", self.name().as_str(), errno))?;
        let size = |value: libc::c_long| usize::try_from(value).unwrap_or(0);
        Ok(Attributes {
            max_messages: size(raw.max_messages),
            max_message_size: size(raw.max_message_size),
            current_messages: size(raw.current_messages),
            nonblocking: raw.flags & libc::c_long::from(libc::O_NONBLOCK) != 0,
        })
    }

    /// Keeps the queue after this handle drops (a creator removes it otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-persist-doc")?;
    /// let mut queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.persist();
    /// drop(queue);
    /// ipc_mq::Queue::unlink_name(&name)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn persist(&mut self) {
        self.named.ownership.persist();
    }

    /// Removes the queue's name now, if it still names this handle's queue (one that replaced
    /// it is left alone); any handle may, creator or not. This handle and others already open
    /// keep working, and the drop has nothing left to remove.
    ///
    /// To check the name, it is opened for a moment (see [`Queue`]'s `# Removal`): closing that descriptor ends any `mq_notify` registration this process holds on the
    /// queue, so a live [`Notification`](crate::Notification) or
    /// [`NotifyThread`](crate::NotifyThread) then reports
    /// [`Removed`](crate::NotificationEvent::Removed).
    ///
    /// # Errors
    ///
    /// - [`NotFound`](ErrorKind::NotFound) when the name is already gone.
    /// - [`WrongObjectType`](ErrorKind::WrongObjectType) when another queue has the name now.
    /// - [`PermissionDenied`](ErrorKind::PermissionDenied) when the caller may not open the
    ///   queue to check it, or may not remove it.
    /// - [`LimitReached`](ErrorKind::LimitReached) when no descriptor is left to check it with
    ///   (`EMFILE`, `ENFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-unlink-doc")?;
    /// let mut queue = ipc_mq::Queue::create_new(&name)?;
    /// queue.unlink()?;
    /// queue.send(b"still works", 1)?;
    /// assert!(ipc_mq::Queue::open(&name).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_unlink(3)`](https://man7.org/linux/man-pages/man3/mq_unlink.3.html)
    #[doc(alias = "mq_unlink")]
    pub fn unlink(&mut self) -> Result<()> {
        self.named.ownership.take_removal();
        self.named.unlink_if_same()
    }

    /// Removes the queue `name`, which another process may have created.
    ///
    /// # Errors
    ///
    /// [`NotFound`](ErrorKind::NotFound) when there is none;
    /// [`PermissionDenied`](ErrorKind::PermissionDenied) when the caller may not remove it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-unlink-name-doc")?;
    /// let err = ipc_mq::Queue::unlink_name(&name).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [`mq_unlink(3)`](https://man7.org/linux/man-pages/man3/mq_unlink.3.html)
    #[doc(alias = "mq_unlink")]
    pub fn unlink_name(name: &ObjectName) -> Result<()> {
        mq::unlink(name.as_c_str())
            .map_err(|errno| Error::from_errno("mq_unlink", name.as_str(), errno))
    }
}

/// Refuses options a new queue cannot be made with: sizes of 0, which the kernel refuses with
/// a bare `EINVAL`, and a mode without owner read or write, under which the creator could not
/// open the queue again to check it before removing it. Only the paths that may create check
/// them: an existing queue keeps its own sizes and mode.
fn check_creatable(object: &str, options: &QueueBuilder) -> Result<()> {
    if options.max_messages == 0 || options.max_message_size == 0 {
        return Err(Error::new(ErrorKind::InvalidArgument, "mq_open")
            .with_object(object)
            .with_detail("a queue must hold at least one message of at least one byte"));
    }
    let mode = options.permissions.mode();
    if mode & 0o600 == 0 {
        return Err(Error::new(ErrorKind::InvalidArgument, "mq_open")
            .with_object(object)
            .with_detail(format!(
                "mode {mode:#05o} gives the owner neither read nor write, so the creator \
                 could not check the queue before removing it"
            )));
    }
    Ok(())
}

impl AsFd for Queue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Queue {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("name", &self.named.name)
            .field("fd", &self.fd.as_raw_fd())
            .field("access", &self.access)
            .field("max_message_size", &self.max_message_size)
            .field("ownership", &self.named.ownership)
            .field("created", &self.created)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Queue>();
    }
}
