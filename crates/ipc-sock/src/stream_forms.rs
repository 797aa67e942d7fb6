//! The sending, receiving and shutdown forms of the byte-stream types ([`UnixStream`] and
//! [`TcpStream`]), generated once by [`stream_forms!`] for each.
//!
//! The two types differ in their addresses and in how a connected pair is made, not in how
//! bytes move: every form is the same thin call of the core socket's `send`, `send_all`,
//! `receive` or `receive_exact` with one [`Wait`](ipc_core::Wait). A macro (rather than a
//! private trait with default methods, which would put the methods behind a `use` and out of
//! each type's page) writes the fourteen forms, `shutdown`, and `std::io::Read` / `Write` for
//! the type and for a shared reference to it, with docs whose examples start from lines the
//! caller gives (making a connected `a` and `b` of that type), so every example is compiled
//! and run for both.
//!
//! [`UnixStream`]: crate::UnixStream
//! [`TcpStream`]: crate::TcpStream

/// Writes, into `impl $ty`, the four forms each of `send`, `receive`, and the three each of
/// `send_all` and `receive_exact` (blocking, `_timeout`, `_deadline`; plus `try_send` and
/// `try_receive`), and `shutdown`; and `io::Read` / `io::Write` for `$ty` and `&$ty`.
///
/// The type must have `fn socket(&self) -> &Socket`. `setup` are the doc-example lines that
/// bind a connected `a` and `b` of the type (both are used by every example); `ok` is the
/// hidden last line of each example (the `Ok` with the example's error type).
macro_rules! stream_forms {
    ($ty:ident, setup: [$($setup:literal),+ $(,)?], ok: $ok:literal $(,)?) => {
        impl $crate::$ty {
            /// Sends some bytes of `buf`, waiting for room; returns how many went (at least
            /// one for a non-empty `buf`).
            ///
            /// # Errors
            ///
            /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the peer closed its end or
            /// reset the connection (`EPIPE`, `ECONNRESET`; never a `SIGPIPE`).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// assert_eq!(a.send(b"abc")?, 3);
            /// b.receive_exact(&mut [0; 3])?;
            #[doc = $ok]
            /// ```
            pub fn send(&self, buf: &[u8]) -> ipc_core::Result<usize> {
                self.socket().send("send", buf, ipc_core::Wait::Forever)
            }

            /// Sends some bytes of `buf` without waiting.
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the send buffer is full;
            /// as [`send`](Self::send) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// assert_eq!(a.try_send(b"abc")?, 3);
            /// b.receive_exact(&mut [0; 3])?;
            #[doc = $ok]
            /// ```
            pub fn try_send(&self, buf: &[u8]) -> ipc_core::Result<usize> {
                self.socket().send("send", buf, ipc_core::Wait::NonBlocking)
            }

            /// Sends some bytes of `buf`, waiting at most `timeout` for room.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as
            /// [`send`](Self::send) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// assert_eq!(a.send_timeout(b"abc", std::time::Duration::from_secs(5))?, 3);
            /// b.receive_exact(&mut [0; 3])?;
            #[doc = $ok]
            /// ```
            pub fn send_timeout(
                &self,
                buf: &[u8],
                timeout: std::time::Duration,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .send("send", buf, ipc_core::Wait::timeout(timeout))
            }

            /// Sends some bytes of `buf`, waiting until `deadline` at most for room.
            ///
            /// # Errors
            ///
            /// As [`send_timeout`](Self::send_timeout).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            /// assert_eq!(a.send_deadline(b"abc", deadline)?, 3);
            /// b.receive_exact(&mut [0; 3])?;
            #[doc = $ok]
            /// ```
            pub fn send_deadline(
                &self,
                buf: &[u8],
                deadline: std::time::Instant,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .send("send", buf, ipc_core::Wait::deadline(deadline))
            }

            /// Sends all of `buf`, waiting for room as often as needed.
            ///
            /// # Errors
            ///
            /// As [`send`](Self::send). An error after part of `buf` went says how much
            /// ([`Error::transferred`](ipc_core::Error::transferred), and its detail); that
            /// part stays sent, so the stream is then out of step with any framing.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all(&[7; 1000])?;
            /// b.receive_exact(&mut [0; 1000])?;
            #[doc = $ok]
            /// ```
            pub fn send_all(&self, buf: &[u8]) -> ipc_core::Result<()> {
                self.socket().send_all("send", buf, ipc_core::Wait::Forever)
            }

            /// Sends all of `buf`, giving up `timeout` from now.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when not all went in time; as
            /// [`send_all`](Self::send_all) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all_timeout(b"abc", std::time::Duration::from_secs(5))?;
            /// b.receive_exact(&mut [0; 3])?;
            #[doc = $ok]
            /// ```
            pub fn send_all_timeout(
                &self,
                buf: &[u8],
                timeout: std::time::Duration,
            ) -> ipc_core::Result<()> {
                self.socket()
                    .send_all("send", buf, ipc_core::Wait::timeout(timeout))
            }

            /// Sends all of `buf`, giving up at `deadline`.
            ///
            /// # Errors
            ///
            /// As [`send_all_timeout`](Self::send_all_timeout).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            /// a.send_all_deadline(b"abc", deadline)?;
            /// b.receive_exact(&mut [0; 3])?;
            #[doc = $ok]
            /// ```
            pub fn send_all_deadline(
                &self,
                buf: &[u8],
                deadline: std::time::Instant,
            ) -> ipc_core::Result<()> {
                self.socket()
                    .send_all("send", buf, ipc_core::Wait::deadline(deadline))
            }

            /// Receives some bytes into `buf`, waiting for them; `Ok(0)` means the peer
            /// closed its end (or shut down writing) and everything it sent has been
            /// received, or that `buf` is empty (which returns at once).
            ///
            /// # Errors
            ///
            /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the connection was reset
            /// (`ECONNRESET`).
            ///
            /// # Descriptors
            ///
            /// On a Unix stream, descriptors the peer sent with `send_with_fds` ride with
            /// the bytes they were sent with; a plain receive (this one, the other `receive*`
            /// forms, `io::Read`, a framed stream's reads) gives no room for them, so the kernel
            /// closes them, unreported. Receive such bytes with `receive_with_fds`. A plain
            /// receive does not check: that would cost a `recvmsg` (and a control buffer) on
            /// every read of the stream, where `recv` is one plain copy.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all(b"abc")?;
            /// drop(a);
            /// let mut buf = [0; 8];
            /// assert_eq!(b.receive(&mut buf)?, 3);
            /// assert_eq!(b.receive(&mut buf)?, 0, "end of input");
            #[doc = $ok]
            /// ```
            pub fn receive(&self, buf: &mut [u8]) -> ipc_core::Result<usize> {
                self.socket().receive("recv", buf, ipc_core::Wait::Forever)
            }

            /// Receives some bytes without waiting.
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when nothing is there; as
            /// [`receive`](Self::receive) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// let err = b.try_receive(&mut [0; 8]).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
            /// drop(a);
            #[doc = $ok]
            /// ```
            pub fn try_receive(&self, buf: &mut [u8]) -> ipc_core::Result<usize> {
                self.socket()
                    .receive("recv", buf, ipc_core::Wait::NonBlocking)
            }

            /// Receives some bytes, waiting at most `timeout`.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when nothing came; as
            /// [`receive`](Self::receive) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// let timeout = std::time::Duration::from_millis(10);
            /// let err = b.receive_timeout(&mut [0; 8], timeout).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
            /// drop(a);
            #[doc = $ok]
            /// ```
            pub fn receive_timeout(
                &self,
                buf: &mut [u8],
                timeout: std::time::Duration,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .receive("recv", buf, ipc_core::Wait::timeout(timeout))
            }

            /// Receives some bytes, waiting until `deadline` at most.
            ///
            /// # Errors
            ///
            /// As [`receive_timeout`](Self::receive_timeout).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all(b"x")?;
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            /// assert_eq!(b.receive_deadline(&mut [0; 8], deadline)?, 1);
            #[doc = $ok]
            /// ```
            pub fn receive_deadline(
                &self,
                buf: &mut [u8],
                deadline: std::time::Instant,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .receive("recv", buf, ipc_core::Wait::deadline(deadline))
            }

            /// Fills `buf`, waiting as long as it takes.
            ///
            /// # Errors
            ///
            /// [`UnexpectedEof`](ipc_core::ErrorKind::UnexpectedEof) when the peer closed
            /// before `buf` was full; as [`receive`](Self::receive) otherwise. The bytes that
            /// did arrive are at the start of `buf`, and
            /// [`Error::transferred`](ipc_core::Error::transferred) says how many.
            ///
            /// # Descriptors
            ///
            /// As [`receive`](Self::receive) says: descriptors sent with
            /// `send_with_fds` are closed by a plain receive.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all(b"ab")?;
            /// drop(a);
            /// let err = b.receive_exact(&mut [0; 4]).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::UnexpectedEof);
            /// assert_eq!(err.transferred(), Some(2));
            #[doc = $ok]
            /// ```
            pub fn receive_exact(&self, buf: &mut [u8]) -> ipc_core::Result<()> {
                self.socket()
                    .receive_exact("recv", buf, ipc_core::Wait::Forever)
            }

            /// Fills `buf`, giving up `timeout` from now.
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when `buf` was not filled in time;
            /// as [`receive_exact`](Self::receive_exact) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all(b"ab")?;
            /// b.receive_exact_timeout(&mut [0; 2], std::time::Duration::from_secs(5))?;
            #[doc = $ok]
            /// ```
            pub fn receive_exact_timeout(
                &self,
                buf: &mut [u8],
                timeout: std::time::Duration,
            ) -> ipc_core::Result<()> {
                self.socket()
                    .receive_exact("recv", buf, ipc_core::Wait::timeout(timeout))
            }

            /// Fills `buf`, giving up at `deadline`.
            ///
            /// # Errors
            ///
            /// As [`receive_exact_timeout`](Self::receive_exact_timeout).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.send_all(b"ab")?;
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            /// b.receive_exact_deadline(&mut [0; 2], deadline)?;
            #[doc = $ok]
            /// ```
            pub fn receive_exact_deadline(
                &self,
                buf: &mut [u8],
                deadline: std::time::Instant,
            ) -> ipc_core::Result<()> {
                self.socket()
                    .receive_exact("recv", buf, ipc_core::Wait::deadline(deadline))
            }

            /// Shuts down reading, writing or both (`shutdown(2)`): after `Write`, the peer
            /// receives end of input (for TCP, a FIN) once it has read what was sent.
            ///
            /// # Errors
            ///
            /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) (`ENOTCONN`) when not connected:
            /// the peer is gone, or the socket was never connected (a descriptor adopted
            /// with `from_fd` before its `connect`).
            ///
            /// # Examples
            ///
            /// ```
            $(#[doc = $setup])+
            /// a.shutdown(std::net::Shutdown::Write)?;
            /// assert_eq!(b.receive(&mut [0; 1])?, 0);
            #[doc = $ok]
            /// ```
            ///
            /// # References
            ///
            /// - [`shutdown(2)`](https://man7.org/linux/man-pages/man2/shutdown.2.html)
            pub fn shutdown(&self, how: std::net::Shutdown) -> ipc_core::Result<()> {
                self.socket().shutdown("shutdown", how)
            }
        }

        impl std::io::Read for &$crate::$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                Ok(self.receive(buf)?)
            }
        }

        impl std::io::Read for $crate::$ty {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                Ok(self.receive(buf)?)
            }
        }

        impl std::io::Write for &$crate::$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                Ok(self.send(buf)?)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Write for $crate::$ty {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                Ok(self.send(buf)?)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}

pub(crate) use stream_forms;
