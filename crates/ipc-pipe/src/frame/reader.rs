//! Reading frames, resumably.

use std::borrow::Borrow;
use std::fmt;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use ipc_core::{FrameDecoder, Object, Result, Wait};

use super::format::{DEFAULT_MAX_FRAME_LEN, STREAM, stream_error};
use crate::Reader;

/// The size of the read buffer: small frames cost one `read` for many.
const BUFFER_LEN: usize = 64 * 1024;

/// Reads length-prefixed frames from a byte stream, with a buffer so that small frames cost
/// one `read` for many.
///
/// # Resuming
///
/// A call that stops inside a frame (the stream's `WouldBlock` or `TimedOut`, or any other
/// error it may recover from) keeps what arrived of the frame, and the next call resumes
/// where it stopped: no byte is lost or read twice. This makes it safe to read a non-blocking
/// stream, and to use the bounded forms [`try_receive`](Self::try_receive),
/// [`receive_timeout`](Self::receive_timeout) and [`receive_deadline`](Self::receive_deadline) on a
/// [`Reader`].
///
/// # Out of step
///
/// A header over the limit, a stream that ends inside a frame, or any read error inside a
/// frame other than `WouldBlock` and `TimedOut` leaves the stream inside a frame: what comes
/// next is not a header. Every later receive fails with
/// [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState), never reading a refused
/// payload as frames (which would let a peer forge them); close the stream. The receive side
/// is [`ipc_core::FrameDecoder`], the one `ipc-sock`'s framing uses too.
///
/// # Readiness
///
/// Bytes already read from the stream into the buffer ([`buffered`](Self::buffered)) are
/// invisible to `poll(2)`, `epoll` or `AsyncFd` watching the stream's descriptor: receive
/// until `WouldBlock` before waiting for readiness again, or frames that are already here
/// wait for more data to arrive.
///
/// # Examples
///
/// ```
/// let bytes = [3, 0, 0, 0, b'a', b'b', b'c'];
/// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]);
/// assert_eq!(frames.receive()?.as_deref(), Some(&b"abc"[..]));
/// assert_eq!(frames.receive()?, None);
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub struct FrameReader<R> {
    inner: R,
    buffer: Buffer,
    /// The frame in progress, the limit, and a failure that left the stream out of step.
    decoder: FrameDecoder,
}

impl<R: Read> FrameReader<R> {
    /// Frames read from `inner`, accepting payloads up to [`DEFAULT_MAX_FRAME_LEN`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// let _frames = ipc_pipe::FrameReader::new(reader);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buffer: Buffer::new(),
            decoder: FrameDecoder::new(DEFAULT_MAX_FRAME_LEN),
        }
    }

    /// Sets the largest payload accepted; a header announcing more is refused before any
    /// allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let bytes = [9, 0, 0, 0];
    /// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]).max_frame_len(8);
    /// assert_eq!(frames.receive().unwrap_err().kind(), ErrorKind::MessageTooLarge);
    /// ```
    #[must_use]
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.decoder.set_max_frame_len(max);
        self
    }

    /// Receives the next frame's payload, blocking as the stream does; `None` when the stream
    /// ends cleanly between frames.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::UnexpectedEof`](ipc_core::ErrorKind::UnexpectedEof) when the stream ends
    ///   inside a frame (the detail says how much of it arrived);
    /// - [`ErrorKind::MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge) when a header
    ///   announces more than the limit;
    /// - [`ErrorKind::CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState) on every
    ///   receive after one of those two, or after any error other than `WouldBlock` and
    ///   `TimedOut` inside a frame: the stream is out of step and must be closed (see
    ///   [Out of step](Self#out-of-step));
    /// - the stream's own errors (a [`Reader`]'s are returned as it made them); after
    ///   `WouldBlock` or `TimedOut`, or any error between frames, the next call resumes (see
    ///   [Resuming](Self#resuming)).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let cut = [5, 0, 0, 0, b'a', b'b'];
    /// let err = ipc_pipe::FrameReader::new(&cut[..]).receive().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    /// assert_eq!(err.detail(), Some("the stream ended after 2 of 5 payload bytes"));
    /// ```
    pub fn receive(&mut self) -> Result<Option<Vec<u8>>> {
        let mut payload = Vec::new();
        Ok(self
            .receive_with("receive", &mut payload, read_stream("receive"))?
            .then_some(payload))
    }

    /// Receives the next frame's payload into `payload`, replacing its contents; `false` when
    /// the stream ends cleanly between frames. Allocations are recycled: the one `payload`
    /// had serves the next frame.
    ///
    /// # Errors
    ///
    /// As [`receive`](Self::receive); `payload` is left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// let bytes = [1, 0, 0, 0, b'z'];
    /// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]);
    /// let mut payload = Vec::with_capacity(64);
    /// assert!(frames.receive_into(&mut payload)?);
    /// assert_eq!(payload, b"z");
    /// assert!(!frames.receive_into(&mut payload)?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_into(&mut self, payload: &mut Vec<u8>) -> Result<bool> {
        self.receive_with("receive_into", payload, read_stream("receive_into"))
    }
}

impl<R: Borrow<Reader>> FrameReader<R> {
    /// Receives the next frame if all of it has arrived, without blocking; `None` when the
    /// stream ends cleanly between frames. For a `FrameReader` over a [`Reader`] (or a
    /// `&Reader`), through [`Reader::try_read`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`](ipc_core::ErrorKind::WouldBlock) when the frame is not all here yet: what did arrive is kept,
    /// and the next call resumes; the errors of [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// let mut frames = ipc_pipe::FrameReader::new(reader);
    /// writer.write_all(&[2, 0, 0, 0, b'h'])?;
    /// assert_eq!(frames.try_receive().unwrap_err().kind(), ErrorKind::WouldBlock);
    /// writer.write_all(b"i")?;
    /// assert_eq!(frames.try_receive()?.as_deref(), Some(&b"hi"[..]));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn try_receive(&mut self) -> Result<Option<Vec<u8>>> {
        self.receive_bounded("try_receive", Wait::NonBlocking)
    }

    /// Receives the next frame, waiting at most `timeout` in all for it to arrive whole;
    /// `None` when the stream ends cleanly between frames.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`](ipc_core::ErrorKind::TimedOut) when the frame was not all here in time: what did arrive is
    /// kept, and the next call resumes; the errors of [`receive`](Self::receive).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipc_core::ErrorKind;
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// let mut frames = ipc_pipe::FrameReader::new(&reader);
    /// let err = frames.receive_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// ipc_pipe::FrameWriter::new(&writer).send(b"late")?;
    /// let got = frames.receive_timeout(Duration::from_secs(1))?;
    /// assert_eq!(got.as_deref(), Some(&b"late"[..]));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_timeout(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>> {
        self.receive_bounded("receive_timeout", Wait::timeout(timeout))
    }

    /// Receives the next frame, waiting until `deadline` at the latest for it to arrive whole;
    /// `None` when the stream ends cleanly between frames.
    ///
    /// # Errors
    ///
    /// As [`receive_timeout`](Self::receive_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let (reader, writer) = ipc_pipe::pipe()?;
    /// ipc_pipe::FrameWriter::new(&writer).send(b"ready")?;
    /// let mut frames = ipc_pipe::FrameReader::new(reader);
    /// let got = frames.receive_deadline(Instant::now() + Duration::from_secs(1))?;
    /// assert_eq!(got.as_deref(), Some(&b"ready"[..]));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive_deadline(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>> {
        self.receive_bounded("receive_deadline", Wait::deadline(deadline))
    }

    fn receive_bounded(&mut self, operation: &'static str, wait: Wait) -> Result<Option<Vec<u8>>> {
        let mut payload = Vec::new();
        let source = |inner: &mut R, buf: &mut [u8]| {
            Borrow::<Reader>::borrow(inner).read_bounded(operation, buf, wait)
        };
        Ok(self
            .receive_with(operation, &mut payload, source)?
            .then_some(payload))
    }
}

impl<R> FrameReader<R> {
    /// The stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let frames = ipc_pipe::FrameReader::new(&b""[..]);
    /// assert!(frames.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The stream, to change its settings. Reading from it directly takes bytes from the
    /// middle of the frame stream: what this reader has [`buffered`](Self::buffered) comes
    /// before them.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = ipc_pipe::pipe()?;
    /// let mut frames = ipc_pipe::FrameReader::new(reader);
    /// frames.get_mut().set_nonblocking(true)?;
    /// assert!(frames.get_ref().is_nonblocking()?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The stream, taken back. The bytes [`buffered`](Self::buffered) and any part of a frame
    /// received so far are dropped with the reader.
    ///
    /// # Examples
    ///
    /// ```
    /// let bytes = [1, 0, 0, 0, b'a'];
    /// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]);
    /// frames.receive()?;
    /// let rest: &[u8] = frames.into_inner();
    /// assert!(rest.is_empty());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The bytes read from the stream and not yet handed out as frames, in stream order
    /// (after any part of a frame already received).
    ///
    /// They are no longer in the stream's descriptor, so `poll(2)`, `epoll` or an `AsyncFd`
    /// watching it do not report them: while this is not empty, receive before waiting for
    /// readiness (see [Readiness](Self#readiness)).
    ///
    /// # Examples
    ///
    /// ```
    /// let bytes = [1, 0, 0, 0, b'a', 1, 0, 0, 0, b'b'];
    /// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]);
    /// assert_eq!(frames.receive()?.as_deref(), Some(&b"a"[..]));
    /// assert_eq!(frames.buffered(), &[1, 0, 0, 0, b'b'], "the next frame, read already");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn buffered(&self) -> &[u8] {
        self.buffer.unread()
    }

    /// The body of every receive: continues the frame in progress with bytes from `source`
    /// until it is whole (true), the stream ends between frames (false), or an error stops it
    /// (the progress is kept for the next call, unless the stream is out of step).
    fn receive_with(
        &mut self,
        operation: &'static str,
        payload: &mut Vec<u8>,
        mut source: impl FnMut(&mut R, &mut [u8]) -> Result<usize>,
    ) -> Result<bool> {
        let Self {
            inner,
            buffer,
            decoder,
        } = self;
        decoder.receive(
            operation,
            || Object::from(STREAM),
            payload,
            |dst| buffer.read(inner, dst, &mut source),
        )
    }
}

impl<R: fmt::Debug> fmt::Debug for FrameReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("inner", &self.inner)
            .field("buffered", &self.buffer.unread().len())
            .field("decoder", &self.decoder)
            .finish()
    }
}

/// The source of a generic stream: `Read::read`, retried on `Interrupted`.
fn read_stream<R: Read>(operation: &'static str) -> impl FnMut(&mut R, &mut [u8]) -> Result<usize> {
    move |inner, buf| loop {
        match inner.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(stream_error(operation, e)),
        }
    }
}

/// The read buffer: `bytes[start..end]` are read from the stream and not yet handed out.
struct Buffer {
    bytes: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Buffer {
    fn new() -> Self {
        Self {
            bytes: vec![0; BUFFER_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    fn unread(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    /// Fills some of `dst` (not empty): from the buffer while it holds bytes, else from
    /// `source`, straight into `dst` when that is at least as large as the buffer. Returns 0
    /// only at the end of the stream; an error leaves the buffer as it was.
    fn read<R>(
        &mut self,
        inner: &mut R,
        dst: &mut [u8],
        source: &mut impl FnMut(&mut R, &mut [u8]) -> Result<usize>,
    ) -> Result<usize> {
        debug_assert!(
            !dst.is_empty(),
            "a read into an empty buffer proves nothing"
        );
        if self.start == self.end {
            if dst.len() >= self.bytes.len() {
                // A misbehaving stream may claim more than it was given.
                return Ok(source(inner, dst)?.min(dst.len()));
            }
            let n = source(inner, &mut self.bytes)?;
            self.start = 0;
            self.end = n.min(self.bytes.len());
        }
        let n = dst.len().min(self.end - self.start);
        dst[..n].copy_from_slice(&self.bytes[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::{FRAME_HEADER_LEN, FrameWriter};
    use ipc_core::ErrorKind;
    use proptest::prelude::*;

    fn encode(payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut out = FrameWriter::new(Vec::new());
        for payload in payloads {
            out.send(payload).unwrap();
        }
        out.into_inner()
    }

    /// A stream that hands out `chunks` one at a time, with `WouldBlock` (and, every third
    /// time, `Interrupted`) between two chunks, as a non-blocking pipe fed in bursts would.
    struct Bursts {
        chunks: VecDeque<Vec<u8>>,
        stalls: usize,
        stall_next: bool,
    }

    impl Read for Bursts {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.stall_next {
                self.stall_next = false;
                self.stalls += 1;
                return Err(if self.stalls.is_multiple_of(3) {
                    io::ErrorKind::Interrupted.into()
                } else {
                    io::ErrorKind::WouldBlock.into()
                });
            }
            let Some(chunk) = self.chunks.front_mut() else {
                return Ok(0);
            };
            let n = buf.len().min(chunk.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            chunk.drain(..n);
            if chunk.is_empty() {
                self.chunks.pop_front();
                self.stall_next = true;
            }
            Ok(n)
        }
    }

    /// `bytes` cut at the (sorted, deduplicated) offsets `cuts`.
    fn split(bytes: &[u8], cuts: &[usize]) -> VecDeque<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|&cut| cut % (bytes.len() + 1)).collect();
        cuts.extend([0, bytes.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        cuts.windows(2)
            .map(|w| bytes[w[0]..w[1]].to_vec())
            .collect()
    }

    proptest! {
        #[test]
        fn frames_round_trip(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 0..20)) {
            let bytes = encode(&payloads);
            let mut sut = FrameReader::new(&bytes[..]);
            for payload in &payloads {
                prop_assert_eq!(sut.receive().unwrap(), Some(payload.clone()));
            }
            prop_assert_eq!(sut.receive().unwrap(), None);
        }

        #[test]
        fn frames_split_by_would_block_anywhere_come_out_whole_and_in_order(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
            large in proptest::option::weighted(0.2, proptest::collection::vec(any::<u8>(), BUFFER_LEN..BUFFER_LEN + 2000)),
            cuts in proptest::collection::vec(any::<usize>(), 0..40),
            into in any::<bool>(),
        ) {
            // A payload at least as large as the buffer takes the direct path into the decoder's
            // payload.
            let mut payloads = payloads;
            payloads.extend(large);
            let bytes = encode(&payloads);
            let chunks = split(&bytes, &cuts);
            let pieces = chunks.len();
            let mut sut = FrameReader::new(Bursts { chunks, stalls: 0, stall_next: false });
            let mut received = Vec::new();
            let mut reused = Vec::new();
            // Each chunk costs at most one stall and the reads it takes; more calls than that
            // would mean the reader is stuck.
            for _ in 0..=(2 * pieces + payloads.len() + bytes.len() / BUFFER_LEN + 2) {
                let next = if into {
                    sut.receive_into(&mut reused).map(|more| more.then(|| reused.clone()))
                } else {
                    sut.receive()
                };
                match next {
                    Ok(Some(payload)) => received.push(payload),
                    Ok(None) => break,
                    Err(err) => prop_assert_eq!(err.kind(), ErrorKind::WouldBlock, "{}", err),
                }
            }
            prop_assert_eq!(received, payloads);
            prop_assert!(sut.buffered().is_empty());
        }

        #[test]
        fn a_stream_cut_inside_a_frame_is_reported_truncated(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let bytes = encode(&payloads);
            let boundaries: Vec<usize> = payloads.iter().scan(0, |end, p| { *end += FRAME_HEADER_LEN + p.len(); Some(*end) }).collect();
            let cut = cut.index(bytes.len());
            let mut sut = FrameReader::new(&bytes[..cut]);
            let whole = boundaries.iter().filter(|&&end| end <= cut).count();
            for payload in &payloads[..whole] {
                prop_assert_eq!(sut.receive().unwrap(), Some(payload.clone()));
            }
            let next = sut.receive();
            if cut == 0 || boundaries.contains(&cut) {
                prop_assert_eq!(next.unwrap(), None);
            } else {
                prop_assert_eq!(next.unwrap_err().kind(), ErrorKind::UnexpectedEof);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..256), max in 0usize..512) {
            let mut sut = FrameReader::new(&bytes[..]).max_frame_len(max);
            for _ in 0..bytes.len() + 1 {
                match sut.receive() {
                    Ok(Some(payload)) => prop_assert!(payload.len() <= max),
                    Ok(None) | Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn a_failed_receive_into_leaves_the_callers_payload_alone() {
        let bytes = [4, 0, 0, 0, b'a'];
        let mut sut = FrameReader::new(&bytes[..]);
        let mut payload = b"kept".to_vec();
        let err = sut.receive_into(&mut payload).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
        assert_eq!(payload, b"kept");
    }

    #[test]
    fn a_refused_payload_is_never_read_as_frames() {
        // A payload over the limit that starts with a header of its own: "evi" must not come
        // out of the next receive.
        let bytes = [12, 0, 0, 0, 3, 0, 0, 0, b'e', b'v', b'i', b'l', 0, 0, 0, 0];
        let mut sut = FrameReader::new(&bytes[..]).max_frame_len(8);
        let err = sut.receive().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        for _ in 0..2 {
            let err = sut.receive().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
            assert_eq!(err.operation(), "receive");
        }
    }

    #[test]
    fn a_stream_that_ended_inside_a_frame_stays_an_error() {
        let bytes = [4, 0, 0, 0, b'a'];
        let mut sut = FrameReader::new(&bytes[..]);
        let err = sut.receive().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
        let err = sut.receive().unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::CorruptSharedState,
            "not a clean end: {err}"
        );
    }
}
