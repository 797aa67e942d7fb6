//! Sending and receiving on a TCP stream: the blocking, `try_` and bounded forms, each a
//! thin call into the core engine, with the same names as `UnixStream`'s.

use std::time::{Duration, Instant};

use ipc_core::{Result, Wait};

use super::stream::TcpStream;

impl TcpStream {
    /// Sends some bytes of `buf`, waiting for room; returns how many went (at least one for a
    /// non-empty `buf`).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the peer closed or reset the connection
    /// (`EPIPE`, `ECONNRESET`; never a `SIGPIPE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// assert_eq!(a.send(b"abc")?, 3);
    /// drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.socket.send("send", buf, Wait::Forever)
    }

    /// Sends some bytes of `buf` without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the send buffer is full; as
    /// [`send`](Self::send) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// assert_eq!(a.try_send(b"abc")?, 3);
    /// drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_send(&self, buf: &[u8]) -> Result<usize> {
        self.socket.send("send", buf, Wait::NonBlocking)
    }

    /// Sends some bytes of `buf`, waiting at most `timeout` for room.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when no room came; as [`send`](Self::send)
    /// otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// assert_eq!(a.send_timeout(b"abc", std::time::Duration::from_secs(1))?, 3);
    /// drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_timeout(&self, buf: &[u8], timeout: Duration) -> Result<usize> {
        self.socket.send("send", buf, Wait::timeout(timeout))
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// assert_eq!(a.send_deadline(b"abc", deadline)?, 3);
    /// drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_deadline(&self, buf: &[u8], deadline: Instant) -> Result<usize> {
        self.socket.send("send", buf, Wait::deadline(deadline))
    }

    /// Sends all of `buf`, waiting for room as often as needed.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send). An error after part of `buf` went says how much in its detail;
    /// that part stays sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all(&[7; 1000])?;
    /// b.receive_exact(&mut [0; 1000])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_all(&self, buf: &[u8]) -> Result<()> {
        self.socket.send_all("send", buf, Wait::Forever)
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all_timeout(b"abc", std::time::Duration::from_secs(1))?;
    /// drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_all_timeout(&self, buf: &[u8], timeout: Duration) -> Result<()> {
        self.socket.send_all("send", buf, Wait::timeout(timeout))
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    /// a.send_all_deadline(b"abc", deadline)?;
    /// drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_all_deadline(&self, buf: &[u8], deadline: Instant) -> Result<()> {
        self.socket.send_all("send", buf, Wait::deadline(deadline))
    }

    /// Receives some bytes into `buf`, waiting for them; `Ok(0)` means the peer shut down
    /// writing or closed and everything it sent has been received, or that `buf` is empty
    /// (which returns at once).
    ///
    /// # Errors
    ///
    /// [`PeerGone`](ipc_core::ErrorKind::PeerGone) when the connection was reset
    /// (`ECONNRESET`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all(b"abc")?;
    /// drop(a);
    /// let mut buf = [0; 8];
    /// assert_eq!(b.receive(&mut buf)?, 3);
    /// assert_eq!(b.receive(&mut buf)?, 0, "end of input");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive(&self, buf: &mut [u8]) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::Forever)
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// let err = b.try_receive(&mut [0; 8]).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::WouldBlock);
    /// drop(a);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_receive(&self, buf: &mut [u8]) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::NonBlocking)
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// let timeout = std::time::Duration::from_millis(10);
    /// let err = b.receive_timeout(&mut [0; 8], timeout).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// drop(a);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_timeout(&self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::timeout(timeout))
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all(b"x")?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    /// assert_eq!(b.receive_deadline(&mut [0; 8], deadline)?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_deadline(&self, buf: &mut [u8], deadline: Instant) -> Result<usize> {
        self.socket.receive("recv", buf, Wait::deadline(deadline))
    }

    /// Fills `buf`, waiting as long as it takes.
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](ipc_core::ErrorKind::UnexpectedEof) when the peer closed before `buf`
    /// was full; as [`receive`](Self::receive) otherwise. The bytes that did arrive are at the
    /// start of `buf`, and [`Error::transferred`](ipc_core::Error::transferred) says how many.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all(b"ab")?;
    /// drop(a);
    /// let err = b.receive_exact(&mut [0; 4]).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::UnexpectedEof);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_exact(&self, buf: &mut [u8]) -> Result<()> {
        self.socket.receive_exact("recv", buf, Wait::Forever)
    }

    /// Fills `buf`, giving up `timeout` from now.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when `buf` was not filled in time; as
    /// [`receive_exact`](Self::receive_exact) otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all(b"ab")?;
    /// b.receive_exact_timeout(&mut [0; 2], std::time::Duration::from_secs(5))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_exact_timeout(&self, buf: &mut [u8], timeout: Duration) -> Result<()> {
        self.socket
            .receive_exact("recv", buf, Wait::timeout(timeout))
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
    /// use ipc_sock::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    /// let a = TcpStream::connect(&listener.local_address())?;
    /// let b = listener.accept()?;
    /// a.send_all(b"ab")?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    /// b.receive_exact_deadline(&mut [0; 2], deadline)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn receive_exact_deadline(&self, buf: &mut [u8], deadline: Instant) -> Result<()> {
        self.socket
            .receive_exact("recv", buf, Wait::deadline(deadline))
    }
}
