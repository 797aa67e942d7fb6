//! What the Unix listener types ([`UnixListener`] and [`SeqpacketListener`]) share past
//! binding: taking a listening descriptor, the bound address, `persist`, the one accept,
//! the conversion into an [`OwnedFd`](std::os::fd::OwnedFd) and `Debug`, generated once by
//! [`listener_forms!`] for each.
//!
//! The two differ only in the socket type they listen with and the type they accept; both
//! hold the same three fields. A macro (as for the accept forms) writes these items next to
//! each type, with docs the caller completes and examples naming the type, so every example
//! runs for each.
//!
//! [`UnixListener`]: crate::UnixListener
//! [`SeqpacketListener`]: crate::SeqpacketListener

/// Writes, for `$listener` (fields `address: Option<UnixAddress>`, `bound: Option<BoundPath>`,
/// `socket: Socket`), `from_fd`, `local_address`, `persist` and the private
/// `accept_with(&self, Wait) -> Result<$stream>` (which `accept_forms!` calls), and
/// `From<$listener> for OwnedFd` and `Debug`.
///
/// `kind` is the [`SocketType`](rustix::net::SocketType) constant listened with; `what` names
/// such a socket in `from_fd`'s errors, whose operation is `operation`. `from_fd`, `persist`
/// and `into_fd` are the doc lines opening those items' docs; `from_fd_example` and
/// `persist_example` are those items' whole doc examples, hidden `Ok` line included.
macro_rules! listener_forms {
    (
        $listener:ident => $stream:ident,
        kind: $kind:ident,
        what: $what:literal,
        operation: $operation:literal,
        from_fd: [$($from_fd:literal),+ $(,)?],
        from_fd_example: [$($from_fd_example:literal),+ $(,)?],
        persist: [$($persist:literal),+ $(,)?],
        persist_example: [$($persist_example:literal),+ $(,)?],
        into_fd: [$($into_fd:literal),+ $(,)?] $(,)?
    ) => {
        impl $listener {
            $(#[doc = $from_fd])+
            ///
            /// # Errors
            ///
            /// [`InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when it is not one;
            /// the descriptor is closed.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $from_fd_example])+
            /// ```
            pub fn from_fd(fd: std::os::fd::OwnedFd) -> ipc_core::Result<Self> {
                let (socket, address) = $crate::listener::adopt_listening(
                    fd,
                    rustix::net::SocketType::$kind,
                    $what,
                    $operation,
                )?;
                Ok(Self {
                    address,
                    bound: None,
                    socket,
                })
            }

            /// The address the listener was bound to (`None` for one taken with
            /// [`from_fd`](Self::from_fd) whose address the kernel does not report).
            ///
            /// # Examples
            ///
            /// ```
            /// let name = ipc_core::unique_name("doc-addr");
            /// let address = ipc_sock::UnixAddress::abstract_name(name)?;
            #[doc = concat!(
                "let listener = ipc_sock::", stringify!($listener), "::bind(&address)?;"
            )]
            /// assert_eq!(listener.local_address(), Some(&address));
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn local_address(&self) -> Option<&$crate::UnixAddress> {
                self.address.as_ref()
            }

            $(#[doc = $persist])+
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $persist_example])+
            /// ```
            pub fn persist(&mut self) {
                if let Some(bound) = &mut self.bound {
                    bound.persist();
                }
            }

            /// The one accept, in the form `wait` asks for.
            fn accept_with(&self, wait: ipc_core::Wait) -> ipc_core::Result<$stream> {
                let fd = self.socket.io(
                    "accept4",
                    rustix::event::PollFlags::IN,
                    wait,
                    |fd, _| $crate::sys::socket::accept(fd),
                )?;
                let object = self.socket.object().clone();
                Ok($stream::from_socket($crate::socket::Socket::new(
                    fd,
                    object,
                    $crate::socket::Descriptor::Blocking,
                )))
            }
        }

        impl From<$listener> for std::os::fd::OwnedFd {
            $(#[doc = $into_fd])+
            fn from(listener: $listener) -> Self {
                let $listener { bound, socket, .. } = listener;
                drop(bound);
                socket.into_fd()
            }
        }

        impl std::fmt::Debug for $listener {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($listener))
                    .field("fd", &std::os::fd::AsRawFd::as_raw_fd(self))
                    .field("address", &self.address)
                    .field("locked", &self.bound.is_some())
                    .finish()
            }
        }
    };
}

pub(crate) use listener_forms;
