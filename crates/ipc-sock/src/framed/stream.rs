//! Sending and receiving whole frames over a stream socket, resumably.

use std::fmt;
use std::time::{Duration, Instant};

use ipc_core::{DEFAULT_MAX_FRAME_LEN, FrameDecoder, Result, Wait, encode_frame_header};

use super::transport::{StreamSocket, object};

/// Length-prefixed messages ("frames") over a [`UnixStream`](crate::UnixStream) or
/// [`TcpStream`](crate::TcpStream), for request and response: each frame is the payload's
/// length as a 4-byte little-endian header ([`ipc_core::FRAME_HEADER_LEN`], the format
/// `ipc-pipe`'s frames use too), then the payload.
///
/// # Whole frames or errors
///
/// [`receive`](Self::receive) returns a whole payload or an error, never part of one:
///
/// - a header announcing more than [`max_frame_len`](Self::max_frame_len) (16 MiB unless
///   set) is [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge), found before anything
///   is allocated for it (and a payload within the limit is allocated as it arrives, not as
///   its header announces);
/// - a peer that closes, or dies, inside a frame is
///   [`UnexpectedEof`](ipc_core::ErrorKind::UnexpectedEof) (the detail says how much of the
///   frame came), as for `receive_exact`; a reset connection is
///   [`PeerGone`](ipc_core::ErrorKind::PeerGone); a close between frames is `Ok(None)`;
/// - a `try_` or bounded receive that stops inside a frame
///   ([`WouldBlock`](ipc_core::ErrorKind::WouldBlock),
///   [`TimedOut`](ipc_core::ErrorKind::TimedOut)) keeps what came, and the next receive goes
///   on from there: no byte is lost or read twice;
/// - every other error inside a frame (`MessageTooLarge`, `UnexpectedEof`, `PeerGone`, any
///   error of the socket once part of a frame came) leaves the stream out of step: every
///   later receive is [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState), so the
///   bytes of a refused payload are never read as frames (a peer could forge them there);
///   close it. An error of the socket between frames (no byte of the next one in yet) loses
///   nothing, and the next receive may try again. The receive side is
///   [`ipc_core::FrameDecoder`], the one `ipc-pipe`'s frames use too.
///
/// Sends are whole too: a payload over the limit is refused before anything is sent. A send
/// that stops after part of its frame went keeps the rest, which goes out first on the next
/// send or [`flush`](Self::flush) ([`unsent`](Self::unsent) says how much), so the peer never
/// sees frames interleaved or cut short by a timeout.
///
/// # Was my payload taken?
///
/// A send takes its payload (it will reach the peer, whole, unless the connection fails)
/// exactly when it returns `Ok` or an error whose [`transferred`](ipc_core::Error::transferred)
/// is `Some`; otherwise nothing of it went and nothing of it is kept, and sending it again is
/// the caller's choice:
///
/// | A send returns | Its payload | Why |
/// |---|---|---|
/// | `Ok(())` | taken, all sent | |
/// | an error, `transferred()` is `Some(n)` | taken: `n` bytes of its frame went, the rest is kept ([`unsent`](Self::unsent)) and goes out first on the next send or flush | the socket filled (`WouldBlock`, `TimedOut`) or failed inside this frame |
/// | an error, `transferred()` is `None`, detail "the previous frame is still being sent; this payload was not taken" | not taken | an earlier frame is still part-sent and its rest did not all go |
/// | any other error, `transferred()` is `None` | not taken | over the limit, or nothing of the frame went |
///
/// # Readiness
///
/// Nothing is read ahead: the reader takes a header, then exactly the payload it announces,
/// so every byte not yet handed out is still in the socket, and `poll(2)` or tokio's
/// `AsyncFd` on the descriptor see it. That costs two `recv` calls per frame (more for a
/// payload over [`ipc_core::FRAME_READ_CHUNK`], which is taken as it arrives). A frame is sent
/// with one `send` (header and payload copied together into a buffer that is reused), so
/// Nagle's algorithm never holds back a payload behind its header.
///
/// # Examples
///
/// ```
/// use ipc_sock::{FramedStream, UnixStream};
///
/// let (a, b) = UnixStream::pair()?;
/// let mut client = FramedStream::new(a);
/// let mut server = FramedStream::new(b).max_frame_len(1024);
/// client.send(b"request")?;
/// assert_eq!(server.receive()?.as_deref(), Some(&b"request"[..]));
/// server.send(b"response")?;
/// assert_eq!(client.receive()?.as_deref(), Some(&b"response"[..]));
/// drop(server);
/// assert_eq!(client.receive()?, None, "the peer closed between frames");
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub struct FramedStream<S> {
    stream: S,
    /// The frame being received, the limit both ways, and a failure that left the stream out
    /// of step.
    decoder: FrameDecoder,
    /// The frame being sent (header and payload); `sent` of its bytes went.
    outgoing: Vec<u8>,
    sent: usize,
}

impl<S: StreamSocket> FramedStream<S> {
    /// Frames over `stream`, with payloads up to [`DEFAULT_MAX_FRAME_LEN`] both ways.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let _framed = ipc_sock::FramedStream::new(a);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            decoder: FrameDecoder::new(DEFAULT_MAX_FRAME_LEN),
            outgoing: Vec::new(),
            sent: 0,
        }
    }

    /// Sets the largest payload sent or received (the format's own limit is `u32::MAX`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// let mut sender = ipc_sock::FramedStream::new(a);
    /// let mut receiver = ipc_sock::FramedStream::new(b).max_frame_len(2);
    /// sender.send(b"abc")?;
    /// let err = receiver.receive().unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::MessageTooLarge);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.decoder.set_max_frame_len(max);
        self
    }

    /// Sends `payload` as one frame, waiting for room as long as it takes.
    ///
    /// # Errors
    ///
    /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): `payload` is over the limit;
    ///   nothing is sent.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): the peer is gone (never a `SIGPIPE`).
    ///
    /// Whether the payload was taken: see [Was my payload taken?](Self#was-my-payload-taken).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// ipc_sock::FramedStream::new(a).send(b"hello")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        self.send_with("send_frame", payload, Wait::Forever)
    }

    /// Sends `payload` as one frame without waiting.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the socket had no room: if none of
    /// the frame went, nothing is kept; if part went, the payload is taken and the rest is
    /// kept for the next send or [`flush`](Self::flush) (the detail says so,
    /// [`transferred`](ipc_core::Error::transferred) is `Some`, and [`unsent`](Self::unsent)
    /// is not 0); if an earlier frame is still part-sent and its rest did not all go, this
    /// payload is not taken (the detail says so; see
    /// [Was my payload taken?](Self#was-my-payload-taken)). Otherwise as
    /// [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// ipc_sock::FramedStream::new(a).try_send(b"hello")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_send(&mut self, payload: &[u8]) -> Result<()> {
        self.send_with("send_frame", payload, Wait::NonBlocking)
    }

    /// Sends `payload` as one frame, giving up `timeout` from now.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut), taking the payload or not as
    /// [`try_send`](Self::try_send) says; otherwise as [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// ipc_sock::FramedStream::new(a).send_timeout(b"hello", Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_timeout(&mut self, payload: &[u8], timeout: Duration) -> Result<()> {
        self.send_with("send_frame", payload, Wait::timeout(timeout))
    }

    /// Sends `payload` as one frame, giving up at `deadline`.
    ///
    /// # Errors
    ///
    /// As [`send_timeout`](Self::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// ipc_sock::FramedStream::new(a).send_deadline(b"hello", deadline)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send_deadline(&mut self, payload: &[u8], deadline: Instant) -> Result<()> {
        self.send_with("send_frame", payload, Wait::deadline(deadline))
    }

    /// Sends the rest of a frame an earlier send left part-sent, waiting as long as it takes;
    /// does nothing when there is none.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let mut framed = ipc_sock::FramedStream::new(a);
    /// framed.flush()?;
    /// assert_eq!(framed.unsent(), 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn flush(&mut self) -> Result<()> {
        self.flush_with(Wait::Forever)
    }

    /// Sends the rest of a part-sent frame, giving up `timeout` from now.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) (what is still unsent stays kept); otherwise as
    /// [`send`](Self::send).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// ipc_sock::FramedStream::new(a).flush_timeout(std::time::Duration::from_secs(1))?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn flush_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.flush_with(Wait::timeout(timeout))
    }

    /// Receives the next frame's payload, waiting as long as it takes; `None` when the peer
    /// closed between frames.
    ///
    /// # Errors
    ///
    /// - [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge): the header announces more
    ///   than the limit.
    /// - [`UnexpectedEof`](ipc_core::ErrorKind::UnexpectedEof): the peer closed (or died)
    ///   inside a frame.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): the connection was reset.
    /// - [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState): an earlier receive
    ///   failed inside a frame with anything but `WouldBlock` or `TimedOut` (one of the
    ///   errors above, or the socket's own); the stream is out of step and must be closed
    ///   (see [Whole frames or errors](Self#whole-frames-or-errors)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// a.send_all(&[5, 0, 0, 0, b'h', b'e'])?;
    /// drop(a);
    /// let err = ipc_sock::FramedStream::new(b).receive().unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::UnexpectedEof);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive(&mut self) -> Result<Option<Vec<u8>>> {
        self.receive_with("receive_frame", Wait::Forever)
    }

    /// Receives the next frame if all of it is here, without waiting; `None` when the peer
    /// closed between frames.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the frame is not all here: what came is
    /// kept, and the next receive goes on from there. Otherwise as
    /// [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (a, b) = ipc_sock::UnixStream::pair()?;
    /// let mut framed = ipc_sock::FramedStream::new(b);
    /// a.send_all(&[2, 0, 0, 0, b'h'])?;
    /// assert_eq!(framed.try_receive().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// a.send_all(b"i")?;
    /// assert_eq!(framed.try_receive()?.as_deref(), Some(&b"hi"[..]));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive(&mut self) -> Result<Option<Vec<u8>>> {
        self.receive_with("receive_frame", Wait::NonBlocking)
    }

    /// Receives the next frame, waiting at most `timeout` in all for it to arrive whole.
    ///
    /// # Errors
    ///
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut) when it did not: what came is kept, as for
    /// [`try_receive`](Self::try_receive). Otherwise as [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (_a, b) = ipc_sock::UnixStream::pair()?;
    /// let err = ipc_sock::FramedStream::new(b)
    ///     .receive_timeout(Duration::from_millis(10))
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::TimedOut);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_timeout(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>> {
        self.receive_with("receive_frame", Wait::timeout(timeout))
    }

    /// Receives the next frame, waiting until `deadline` at most for it to arrive whole.
    ///
    /// # Errors
    ///
    /// As [`receive_timeout`](Self::receive_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ipc_sock::{FramedStream, UnixStream};
    ///
    /// let (a, b) = UnixStream::pair()?;
    /// FramedStream::new(&a).send(b"ready")?;
    /// let got = FramedStream::new(b).receive_deadline(Instant::now() + Duration::from_secs(5))?;
    /// assert_eq!(got.as_deref(), Some(&b"ready"[..]));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_deadline(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>> {
        self.receive_with("receive_frame", Wait::deadline(deadline))
    }

    /// The body of every send: finish an earlier frame, then this one. An error carries
    /// `transferred` exactly when this payload was taken.
    fn send_with(&mut self, operation: &'static str, payload: &[u8], wait: Wait) -> Result<()> {
        if self.unsent() > 0 {
            self.flush_with(wait).map_err(|err| {
                let note = "the previous frame is still being sent; this payload was not taken";
                let detail = match err.detail() {
                    Some(detail) => format!("{detail}; {note}"),
                    None => note.to_owned(),
                };
                err.with_detail(detail)
            })?;
        }
        let header = encode_frame_header(
            payload.len(),
            self.decoder.max_frame_len(),
            operation,
            self.object(),
        )?;
        self.outgoing.clear();
        self.outgoing.extend_from_slice(&header);
        self.outgoing.extend_from_slice(payload);
        self.sent = 0;
        // A frame of which nothing went is dropped (not taken); one part-sent is kept (taken).
        self.flush_with(wait).map_err(|err| match self.unsent() {
            0 => err,
            _ => err.with_transferred(self.sent),
        })
    }

    /// Sends what is left of the outgoing frame. A frame of which nothing went is dropped on
    /// error; one that is part-sent is kept.
    fn flush_with(&mut self, wait: Wait) -> Result<()> {
        let total = self.outgoing.len();
        while self.sent < total {
            match self.stream.send_some(&self.outgoing[self.sent..], wait) {
                Ok(n) => self.sent += n,
                Err(err) if self.sent == 0 => {
                    self.outgoing.clear();
                    return Err(err);
                }
                Err(err) => {
                    // The error stays the socket's own (its errno is its source); the detail
                    // adds where the frame stands.
                    let note = format!(
                        "{} of {total} frame bytes went before this error; the rest goes out \
                         first on the next send or flush",
                        self.sent
                    );
                    let detail = match err.detail() {
                        Some(detail) => format!("{detail}; {note}"),
                        None => note,
                    };
                    return Err(err.with_detail(detail));
                }
            }
        }
        self.outgoing.clear();
        self.sent = 0;
        Ok(())
    }

    /// The body of every receive: go on with the frame in progress until it is whole, the
    /// peer closes between frames, or an error stops it (what came is kept, unless the stream
    /// is out of step).
    fn receive_with(&mut self, operation: &'static str, wait: Wait) -> Result<Option<Vec<u8>>> {
        let Self {
            stream, decoder, ..
        } = self;
        let mut payload = Vec::new();
        let whole = decoder.receive(
            operation,
            || object(stream),
            &mut payload,
            |buf| stream.receive_some(buf, wait),
        )?;
        Ok(whole.then_some(payload))
    }

    fn object(&self) -> ipc_core::Object {
        object(&self.stream)
    }
}

impl<S> FramedStream<S> {
    /// How many bytes of a part-sent frame wait to go out first on the next send or
    /// [`flush`](Self::flush); 0 when none.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// assert_eq!(ipc_sock::FramedStream::new(a).unsent(), 0);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn unsent(&self) -> usize {
        self.outgoing.len() - self.sent
    }

    /// The stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let framed = ipc_sock::FramedStream::new(a);
    /// framed.get_ref().shutdown(std::net::Shutdown::Write)?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, taken back; a frame part-received or part-sent is dropped with the
    /// framing.
    ///
    /// # Examples
    ///
    /// ```
    /// let (a, _b) = ipc_sock::UnixStream::pair()?;
    /// let _a: ipc_sock::UnixStream = ipc_sock::FramedStream::new(a).into_inner();
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn into_inner(self) -> S {
        self.stream
    }
}

impl<S: fmt::Debug> fmt::Debug for FramedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramedStream")
            .field("stream", &self.stream)
            .field("max_frame_len", &self.decoder.max_frame_len())
            .field("received_of_frame", &self.decoder.received())
            .field("unsent", &self.unsent())
            .finish()
    }
}

#[cfg(test)]
mod tests;
