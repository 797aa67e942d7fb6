//! Options for binding a listener.

use ipc_core::{Permissions, Result, TrustedOwner};

use super::handle::UnixListener;
use crate::address::UnixAddress;

/// The backlog of a listener unless [`UnixListenerBuilder::backlog`] says otherwise; the
/// kernel caps it at `/proc/sys/net/core/somaxconn`.
const DEFAULT_BACKLOG: u32 = 128;

/// Options for [`UnixListener::bind`]: the socket file's mode, the backlog, whose lock file
/// to accept, and whether to take over a path no lock protects.
///
/// # Examples
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
/// use ipc_core::Permissions;
/// use ipc_sock::{UnixAddress, UnixListener};
///
/// let dir = tempfile::tempdir()?;
/// let address = UnixAddress::path(dir.path().join("group.sock"))?;
/// let listener = UnixListener::builder()
///     .permissions(Permissions::from_mode(0o660)?)
///     .backlog(16)
///     .bind(&address)?;
/// let mode = std::fs::symlink_metadata(dir.path().join("group.sock"))?.permissions().mode();
/// assert_eq!(mode & 0o777, 0o660);
/// # drop(listener);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use = "a builder does nothing until bind()"]
pub struct UnixListenerBuilder {
    pub(super) permissions: Permissions,
    pub(super) backlog: u32,
    pub(super) owner: TrustedOwner,
    pub(super) reclaim_unlocked: bool,
}

impl Default for UnixListenerBuilder {
    fn default() -> Self {
        Self {
            permissions: Permissions::default(),
            backlog: DEFAULT_BACKLOG,
            owner: TrustedOwner::default(),
            reclaim_unlocked: false,
        }
    }
}

impl UnixListenerBuilder {
    /// The socket file's permission bits (default `0o600`), set exactly whatever the umask.
    /// Connecting needs write permission on the file. No effect on an abstract address, which
    /// has no file.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = ipc_sock::UnixListener::builder()
    ///     .permissions(ipc_core::Permissions::from_mode(0o666)?);
    /// # let _ = builder;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// How many connections may wait to be accepted (default 128; the kernel caps it at
    /// `/proc/sys/net/core/somaxconn`). When it is full, a connecting client waits, or gets
    /// `WouldBlock` from `try_connect`.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = ipc_sock::UnixListener::builder().backlog(1);
    /// # let _ = builder;
    /// ```
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// Accepts a lock file (`<path>.lock`) owned by `uid` (or root) instead of the caller's
    /// own user: for a path whose directory another user's service shares with this one.
    ///
    /// # Examples
    ///
    /// ```
    /// let me = rustix::process::geteuid().as_raw();
    /// let builder = ipc_sock::UnixListener::builder().trust_owner(me);
    /// # let _ = builder;
    /// ```
    pub fn trust_owner(mut self, uid: u32) -> Self {
        self.owner = TrustedOwner::Uid(uid);
        self
    }

    /// Accepts a lock file whoever owns it. Its owner can then hold the lock and keep this
    /// listener from starting; use it only where that is the design.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = ipc_sock::UnixListener::builder().trust_any_owner();
    /// # let _ = builder;
    /// ```
    pub fn trust_any_owner(mut self) -> Self {
        self.owner = TrustedOwner::Any;
        self
    }

    /// Takes over a socket (or symbolic link) at the path even when no lock file of this crate
    /// is beside it.
    ///
    /// Without it such a path is refused with `AlreadyExists`, because nothing proves its
    /// listener dead: it may be a live listener of a program that does not use this crate's
    /// lock (a C server), which a takeover would silently cut off from new clients. A
    /// leftover of a listener of this crate always has its lock file beside it (the lock is
    /// taken before the socket file is made, and removed after it), so this is needed only
    /// for paths that other programs used, and for the socket file a
    /// [`persist`](UnixListener::persist)ed listener left.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{UnixAddress, UnixListener};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("c-server.sock");
    /// // What a C server that crashed leaves behind: a socket file and no lock.
    /// drop(std::os::unix::net::UnixListener::bind(&path)?);
    /// let address = UnixAddress::path(&path)?;
    /// assert!(UnixListener::bind(&address).is_err());
    /// let _listener = UnixListener::builder().reclaim_unlocked().bind(&address)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reclaim_unlocked(mut self) -> Self {
        self.reclaim_unlocked = true;
        self
    }

    /// Binds a listener to `address` with these options.
    ///
    /// # Errors
    ///
    /// As [`UnixListener::bind`].
    ///
    /// # Examples
    ///
    /// ```
    /// let address = ipc_sock::UnixAddress::abstract_name(ipc_core::unique_name("doc-builder"))?;
    /// let _listener = ipc_sock::UnixListener::builder().bind(&address)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn bind(self, address: &UnixAddress) -> Result<UnixListener> {
        UnixListener::bind_with(address, self)
    }
}
