//! Options for creating and opening a message queue.

use ipc_core::{ObjectName, OpenMode, Permissions, Result, TrustedOwner};

use crate::queue::Queue;

/// Which ends of a queue a handle may use.
///
/// # Examples
///
/// ```
/// use ipc_mq::{Access, Queue};
///
/// let name = ipc_core::ObjectName::unique("mq-access-doc")?;
/// let sender = Queue::builder().access(Access::SendOnly).create_new(&name)?;
/// assert_eq!(sender.access(), Access::SendOnly);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Access {
    /// Send only (`O_WRONLY`).
    SendOnly,
    /// Receive only (`O_RDONLY`).
    ReceiveOnly,
    /// Send and receive (`O_RDWR`): the default.
    #[default]
    SendReceive,
}

impl Access {
    pub(crate) fn oflag(self) -> libc::c_int {
        match self {
            Self::SendOnly => libc::O_WRONLY,
            Self::ReceiveOnly => libc::O_RDONLY,
            Self::SendReceive => libc::O_RDWR,
        }
    }
}

/// The number of messages a new queue holds unless asked otherwise: Linux's default
/// `/proc/sys/fs/mqueue/msg_max` (10), the most an unprivileged process may ask for there.
pub const DEFAULT_MAX_MESSAGES: usize = 10;

/// The size of the largest message a new queue takes unless asked otherwise: Linux's default
/// `/proc/sys/fs/mqueue/msgsize_max` (8192 bytes).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 8192;

/// Options for a [`Queue`]: the sizes and mode of a new queue, and the access of the handle.
///
/// The sizes and mode apply only when the call creates the queue; an existing queue keeps its
/// own.
///
/// # Examples
///
/// The reference's queue of 10 messages of up to 1024 bytes (doc 004):
///
/// ```
/// use ipc_core::{ObjectName, Permissions};
/// use ipc_mq::Queue;
///
/// let name = ObjectName::unique("mq-builder-doc")?;
/// let queue = Queue::builder()
///     .max_messages(10)
///     .max_message_size(1024)
///     .permissions(Permissions::from_mode(0o640)?)
///     .create_new(&name)?;
/// assert_eq!(queue.attributes()?.max_message_size(), 1024);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct QueueBuilder {
    pub(crate) max_messages: usize,
    pub(crate) max_message_size: usize,
    pub(crate) access: Access,
    pub(crate) permissions: Permissions,
    pub(crate) owner: TrustedOwner,
}

impl Default for QueueBuilder {
    fn default() -> Self {
        Self {
            max_messages: DEFAULT_MAX_MESSAGES,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            access: Access::default(),
            permissions: Permissions::default(),
            owner: TrustedOwner::default(),
        }
    }
}

impl QueueBuilder {
    /// The number of messages a new queue holds (default [`DEFAULT_MAX_MESSAGES`]). Above
    /// `/proc/sys/fs/mqueue/msg_max` only a process with `CAP_SYS_RESOURCE` may create it.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-max-messages-doc")?;
    /// let queue = ipc_mq::Queue::builder().max_messages(3).create_new(&name)?;
    /// assert_eq!(queue.attributes()?.max_messages(), 3);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn max_messages(mut self, max_messages: usize) -> Self {
        self.max_messages = max_messages;
        self
    }

    /// The size in bytes of the largest message a new queue takes (default
    /// [`DEFAULT_MAX_MESSAGE_SIZE`]). Above `/proc/sys/fs/mqueue/msgsize_max` only a process
    /// with `CAP_SYS_RESOURCE` may create it.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-size-doc")?;
    /// let queue = ipc_mq::Queue::builder().max_message_size(64).create_new(&name)?;
    /// assert_eq!(queue.attributes()?.max_message_size(), 64);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn max_message_size(mut self, max_message_size: usize) -> Self {
        self.max_message_size = max_message_size;
        self
    }

    /// Which ends the handle may use (default [`Access::SendReceive`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_mq::{Access, Queue};
    ///
    /// let name = ipc_core::ObjectName::unique("mq-receive-only-doc")?;
    /// let queue = Queue::builder().access(Access::ReceiveOnly).create_new(&name)?;
    /// assert!(queue.try_send(b"x", 0).is_err());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    /// The permission bits of a new queue (default `0o600`), set exactly with `fchmod` on its
    /// descriptor right after `mq_open` creates it, so the umask neither widens nor narrows
    /// them. An existing queue keeps its mode.
    ///
    /// The mode must give the owner read or write (or both): creating with one that gives
    /// neither is [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument), because the
    /// creator's removal opens the name to check that it still names its queue (see the
    /// section on removal in [`Queue`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::Permissions;
    ///
    /// let name = ipc_core::ObjectName::unique("mq-mode-doc")?;
    /// let _queue = ipc_mq::Queue::builder()
    ///     .permissions(Permissions::from_mode(0o660)?)
    ///     .create_new(&name)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// Accepts an existing queue owned by `uid` (or root) instead of the caller's own user.
    ///
    /// By default an opened queue must belong to the caller's effective user or to root: a
    /// queue planted under the name by another user could be read or filled by them.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-trust-owner-doc")?;
    /// let made = ipc_mq::Queue::create_new(&name)?;
    /// let me = rustix::process::geteuid().as_raw();
    /// let _queue = ipc_mq::Queue::builder().trust_owner(me).open(&name)?;
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn trust_owner(mut self, uid: u32) -> Self {
        self.owner = TrustedOwner::Uid(uid);
        self
    }

    /// Accepts an existing queue whoever owns it; use this only where that is the design.
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-trust-any-doc")?;
    /// let made = ipc_mq::Queue::create_new(&name)?;
    /// let _queue = ipc_mq::Queue::builder().trust_any_owner().open(&name)?;
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn trust_any_owner(mut self) -> Self {
        self.owner = TrustedOwner::Any;
        self
    }

    /// Creates the queue `name`; fails if it exists.
    ///
    /// # Errors
    ///
    /// As [`Queue::create_new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-builder-create-doc")?;
    /// let queue = ipc_mq::Queue::builder().create_new(&name)?;
    /// assert!(queue.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[doc(alias = "mq_open")]
    pub fn create_new(self, name: &ObjectName) -> Result<Queue> {
        Queue::make(name, OpenMode::CreateNew, self)
    }

    /// Opens the existing queue `name`.
    ///
    /// # Errors
    ///
    /// As [`Queue::open`].
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_mq::{Access, Queue};
    ///
    /// let name = ipc_core::ObjectName::unique("mq-builder-open-doc")?;
    /// let made = Queue::create_new(&name)?;
    /// let receiver = Queue::builder().access(Access::ReceiveOnly).open(&name)?;
    /// assert!(!receiver.was_created());
    /// # drop(made);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open(self, name: &ObjectName) -> Result<Queue> {
        Queue::make(name, OpenMode::Open, self)
    }

    /// Creates the queue `name`, or opens the one already there (which keeps its sizes and
    /// mode).
    ///
    /// # Errors
    ///
    /// As [`Queue::open_or_create`].
    ///
    /// # Examples
    ///
    /// ```
    /// let name = ipc_core::ObjectName::unique("mq-builder-either-doc")?;
    /// let first = ipc_mq::Queue::builder().open_or_create(&name)?;
    /// let second = ipc_mq::Queue::builder().open_or_create(&name)?;
    /// assert!(first.was_created() && !second.was_created());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn open_or_create(self, name: &ObjectName) -> Result<Queue> {
        Queue::make(name, OpenMode::OpenOrCreate, self)
    }
}
