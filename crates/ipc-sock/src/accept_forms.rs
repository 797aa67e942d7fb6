//! The four accept forms of the listener types ([`UnixListener`], [`SeqpacketListener`] and
//! [`TcpListener`]), generated once by [`accept_forms!`] for each.
//!
//! The listeners differ in how they bind and in what one accept does (a TCP accept skips
//! connections that failed while pending, and names the peer), which each keeps in its own
//! private `accept_with(&self, Wait)`; the forms are the same four thin calls of it. A macro
//! (as for the stream forms) writes them into an inherent `impl` of each type, with docs
//! whose examples start from lines the caller gives, so every example runs for each type.
//!
//! [`UnixListener`]: crate::UnixListener
//! [`SeqpacketListener`]: crate::SeqpacketListener
//! [`TcpListener`]: crate::TcpListener

/// Writes, into `impl $listener`, `accept`, `try_accept`, `accept_timeout` and
/// `accept_deadline`, each returning a `$stream` through `self.accept_with(wait)`.
///
/// `note` are doc lines added to `accept`'s first paragraph; `listener` are the doc-example
/// lines that bind a `listener`, `connect` those that connect a `_client` to it; `ok` is the
/// hidden last line of each example.
macro_rules! accept_forms {
    (
        $listener:ident => $stream:ident,
        note: [$($note:literal),* $(,)?],
        listener: [$($bind:literal),+ $(,)?],
        connect: [$($connect:literal),+ $(,)?],
        ok: $ok:literal $(,)?
    ) => {
        impl $listener {
            /// Accepts a connection, waiting for one.
            $(#[doc = $note])*
            ///
            /// # Errors
            ///
            /// - [`LimitReached`](ipc_core::ErrorKind::LimitReached): no descriptor is left,
            ///   in this process (`EMFILE`) or in the system (`ENFILE`); the error carries the
            ///   limit, and the connection stays pending.
            /// - [`PermissionDenied`](ipc_core::ErrorKind::PermissionDenied) (`EPERM`), for
            ///   TCP: a firewall rule forbade the connection (`accept(2)`).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $bind])+
            $(#[doc = $connect])+
            /// let _stream = listener.accept()?;
            #[doc = $ok]
            /// ```
            ///
            /// # References
            ///
            /// - [`accept4(2)`](https://man7.org/linux/man-pages/man2/accept4.2.html)
            #[doc(alias = "accept4")]
            pub fn accept(&self) -> ipc_core::Result<$stream> {
                self.accept_with(ipc_core::Wait::Forever)
            }

            /// Accepts a connection if one is pending.
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when none is; as
            /// [`accept`](Self::accept) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $bind])+
            /// let err = listener.try_accept().unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
            #[doc = $ok]
            /// ```
            pub fn try_accept(&self) -> ipc_core::Result<$stream> {
                self.accept_with(ipc_core::Wait::NonBlocking)
            }

            /// Accepts a connection, waiting at most `timeout` for one.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when none came; as
            /// [`accept`](Self::accept) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $bind])+
            /// let timeout = std::time::Duration::from_millis(10);
            /// let err = listener.accept_timeout(timeout).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
            #[doc = $ok]
            /// ```
            pub fn accept_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> ipc_core::Result<$stream> {
                self.accept_with(ipc_core::Wait::timeout(timeout))
            }

            /// Accepts a connection, waiting until `deadline` at most.
            ///
            /// # Errors
            ///
            /// As [`accept_timeout`](Self::accept_timeout).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $bind])+
            $(#[doc = $connect])+
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            /// let _stream = listener.accept_deadline(deadline)?;
            #[doc = $ok]
            /// ```
            pub fn accept_deadline(
                &self,
                deadline: std::time::Instant,
            ) -> ipc_core::Result<$stream> {
                self.accept_with(ipc_core::Wait::deadline(deadline))
            }
        }
    };
}

pub(crate) use accept_forms;
