//! The waiting forms of receiving and of peeking at the size of one message, for the
//! message types ([`UnixDatagram`] and [`Seqpacket`]), generated once by
//! [`message_forms!`] for each.
//!
//! A datagram and a record move alike: each form is the same thin call of the core
//! socket's `receive_message` or `peek_message_size` with one [`Wait`](ipc_core::Wait).
//! Each type writes its own blocking `receive` (what it reports differs: end of input, the
//! errors of a connection); a macro (as for the stream forms) writes the rest into an
//! inherent `impl` of the type, with docs whose examples make a connected pair of that type,
//! so every example runs for each.
//!
//! [`UnixDatagram`]: crate::UnixDatagram
//! [`Seqpacket`]: crate::Seqpacket

/// Writes, into `impl $ty`, `try_receive`, `receive_timeout`, `receive_deadline`,
/// `peek_size`, `try_peek_size`, `peek_size_timeout` and `peek_size_deadline`.
///
/// The type must have `fn socket(&self) -> &Socket`, a blocking `receive` and a
/// `pair()`. `unit` names one message ("datagram", "record"); `peek` are the doc lines
/// describing `peek_size` (after its first sentence).
macro_rules! message_forms {
    ($ty:ident, unit: $unit:literal, peek: [$($peek:literal),* $(,)?] $(,)?) => {
        impl $crate::$ty {
            #[doc = concat!("Receives one ", $unit, " without waiting.")]
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when none is there; as
            /// [`receive`](Self::receive) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (_a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let err = b.try_receive(&mut [0; 4]).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn try_receive(&self, buf: &mut [u8]) -> ipc_core::Result<usize> {
                self.socket()
                    .receive_message("recv", buf, ipc_core::Wait::NonBlocking)
            }

            #[doc = concat!("Receives one ", $unit, ", waiting at most `timeout`.")]
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when none came; as
            /// [`receive`](Self::receive) otherwise.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (_a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let timeout = std::time::Duration::from_millis(10);
            /// let err = b.receive_timeout(&mut [0; 4], timeout).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_timeout(
                &self,
                buf: &mut [u8],
                timeout: std::time::Duration,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .receive_message("recv", buf, ipc_core::Wait::timeout(timeout))
            }

            #[doc = concat!("Receives one ", $unit, ", waiting until `deadline` at most.")]
            ///
            /// # Errors
            ///
            /// As [`receive_timeout`](Self::receive_timeout).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send(b"x")?;
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            /// assert_eq!(b.receive_deadline(&mut [0; 4], deadline)?, 1);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn receive_deadline(
                &self,
                buf: &mut [u8],
                deadline: std::time::Instant,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .receive_message("recv", buf, ipc_core::Wait::deadline(deadline))
            }

            #[doc = concat!(
                "The length of the next ", $unit, ", waiting for one, without consuming it"
            )]
            $(#[doc = $peek])*
            ///
            /// # Errors
            ///
            /// As [`receive`](Self::receive), except that nothing is too large.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send(&[1; 3000])?;
            /// let mut buf = vec![0; b.peek_size()?];
            /// assert_eq!(b.receive(&mut buf)?, 3000);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn peek_size(&self) -> ipc_core::Result<usize> {
                self.socket()
                    .peek_message_size("recv", ipc_core::Wait::Forever)
            }

            #[doc = concat!(
                "The length of the next ", $unit, " without waiting or consuming it."
            )]
            ///
            /// # Errors
            ///
            /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when none is there.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// assert!(b.try_peek_size().unwrap_err().is_would_block());
            /// a.send(b"abc")?;
            /// assert_eq!(b.try_peek_size()?, 3);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn try_peek_size(&self) -> ipc_core::Result<usize> {
                self.socket()
                    .peek_message_size("recv", ipc_core::Wait::NonBlocking)
            }

            #[doc = concat!(
                "The length of the next ", $unit,
                ", waiting at most `timeout`, without consuming it."
            )]
            ///
            /// # Errors
            ///
            /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when none came.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// let err = b.peek_size_timeout(std::time::Duration::from_millis(10)).unwrap_err();
            /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
            /// a.send(b"abc")?;
            /// assert_eq!(b.peek_size_timeout(std::time::Duration::from_secs(1))?, 3);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn peek_size_timeout(
                &self,
                timeout: std::time::Duration,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .peek_message_size("recv", ipc_core::Wait::timeout(timeout))
            }

            #[doc = concat!(
                "The length of the next ", $unit, ", waiting until `deadline` at most, without"
            )]
            /// consuming it.
            ///
            /// # Errors
            ///
            /// As [`peek_size_timeout`](Self::peek_size_timeout).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let (a, b) = ipc_sock::", stringify!($ty), "::pair()?;")]
            /// a.send(b"ab")?;
            /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            /// assert_eq!(b.peek_size_deadline(deadline)?, 2);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn peek_size_deadline(
                &self,
                deadline: std::time::Instant,
            ) -> ipc_core::Result<usize> {
                self.socket()
                    .peek_message_size("recv", ipc_core::Wait::deadline(deadline))
            }
        }
    };
}

pub(crate) use message_forms;
