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
/// - after either of those two the stream is inside a frame, out of step: every later receive
///   is [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState), so the bytes of a
///   refused payload are never read as frames (a peer could forge them there); close it. The
///   receive side is [`ipc_core::FrameDecoder`], the one `ipc-pipe`'s frames use too;
/// - a `try_` or bounded receive that stops inside a frame
///   ([`WouldBlock`](ipc_core::ErrorKind::WouldBlock),
///   [`TimedOut`](ipc_core::ErrorKind::TimedOut)) keeps what came, and the next receive goes
///   on from there: no byte is lost or read twice.
///
/// Sends are whole too: a payload over the limit is refused before anything is sent. A send
/// that stops after part of its frame went keeps the rest, which goes out first on the next
/// send or [`flush`](Self::flush) ([`unsent`](Self::unsent) says how much), so the peer never
/// sees frames interleaved or cut short by a timeout.
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
    /// [`WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the socket had no room: if none of the frame
    /// went, nothing is kept; if part went, the rest is kept for the next send or
    /// [`flush`](Self::flush) (the detail says so, and [`unsent`](Self::unsent) is not 0).
    /// Otherwise as [`send`](Self::send).
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
    /// [`TimedOut`](ipc_core::ErrorKind::TimedOut), keeping the rest of a part-sent frame as
    /// [`try_send`](Self::try_send) does; otherwise as [`send`](Self::send).
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
    /// - [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState): one of those two
    ///   happened before; the stream is out of step and must be closed.
    /// - [`PeerGone`](ipc_core::ErrorKind::PeerGone): the connection was reset.
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

    /// The body of every send: finish an earlier frame, then this one.
    fn send_with(&mut self, operation: &'static str, payload: &[u8], wait: Wait) -> Result<()> {
        self.flush_with(wait)?;
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
        self.flush_with(wait)
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
mod tests {
    use super::*;
    use crate::UnixStream;
    use ipc_core::{ErrorKind, FRAME_HEADER_LEN};

    #[test]
    fn a_framed_stream_is_send_and_sync_when_its_stream_is() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FramedStream<UnixStream>>();
        assert_send_sync::<FramedStream<crate::TcpStream>>();
    }

    #[test]
    fn a_frame_fed_a_byte_at_a_time_comes_out_whole_once() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut sut = FramedStream::new(b);
        let mut bytes = encode_frame_header(3, 3, "t", "t").unwrap().to_vec();
        bytes.extend_from_slice(b"abc");
        for byte in &bytes {
            assert_eq!(sut.try_receive().unwrap_err().kind(), ErrorKind::WouldBlock);
            a.send_all(&[*byte]).unwrap();
        }
        assert_eq!(sut.try_receive().unwrap().as_deref(), Some(&b"abc"[..]));
        assert_eq!(sut.try_receive().unwrap_err().kind(), ErrorKind::WouldBlock);
    }

    #[test]
    fn an_oversized_payload_is_refused_before_anything_is_sent() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut sut = FramedStream::new(a).max_frame_len(2);
        let err = sut.send(b"abc").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        assert_eq!(sut.unsent(), 0);
        let err = b.try_receive(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "nothing was sent");
    }

    #[test]
    fn a_send_that_stops_inside_a_frame_finishes_it_before_the_next() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut sut = FramedStream::new(&a);
        let big = vec![7_u8; 4 << 20];
        let err = sut.try_send(&big).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
        assert!(sut.unsent() > 0 && sut.unsent() < big.len() + FRAME_HEADER_LEN);
        let reader = std::thread::spawn(move || {
            let mut framed = FramedStream::new(b);
            (framed.receive().unwrap(), framed.receive().unwrap())
        });
        sut.send(b"next").unwrap();
        let (first, second) = reader.join().unwrap();
        assert_eq!(first.map(|p| p.len()), Some(big.len()));
        assert_eq!(second.as_deref(), Some(&b"next"[..]));
    }

    #[test]
    fn a_refused_payload_is_never_read_as_frames() {
        // The probe: a payload over the limit that starts with a header of its own.
        let (a, b) = UnixStream::pair().unwrap();
        a.send_all(&[12, 0, 0, 0, 3, 0, 0, 0, b'e', b'v', b'i', b'l', 0, 0, 0, 0])
            .unwrap();
        let mut sut = FramedStream::new(b).max_frame_len(8);
        let err = sut.receive().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        for _ in 0..2 {
            let err = sut.try_receive().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
        }
    }

    #[test]
    fn a_peer_that_closed_inside_a_frame_is_never_a_clean_end_later() {
        let (a, b) = UnixStream::pair().unwrap();
        a.send_all(&[5, 0, 0, 0, b'h']).unwrap();
        drop(a);
        let mut sut = FramedStream::new(b);
        let err = sut.receive().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
        assert_eq!(
            err.detail(),
            Some("the stream ended after 1 of 5 payload bytes")
        );
        let err = sut.receive().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    }

    #[test]
    fn a_send_stopped_inside_a_frame_keeps_the_os_error_as_its_source() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut sut = FramedStream::new(a);
        let err = sut.try_send(&vec![7_u8; 4 << 20]).unwrap_err();
        assert!(sut.unsent() > 0, "part of the frame went");
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN), "{err}");
        assert!(std::error::Error::source(&err).is_some(), "{err}");
        assert!(
            err.detail()
                .is_some_and(|detail| detail.contains("frame bytes went before this error")),
            "{err}"
        );
    }
}
