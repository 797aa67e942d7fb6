//! Length-prefixed messages over a byte stream (a pipe, a FIFO, or any `Read`/`Write`).
//!
//! A pipe carries bytes, not messages; most users want messages. A frame is a 4-byte
//! little-endian payload length followed by the payload. The reader checks the announced
//! length against its limit before allocating, and reports a stream that ends inside a frame as
//! truncated, never as a short message.

use std::io::{self, BufReader, IoSlice, Read, Write};

use ipc_core::{Error, ErrorKind, Result};

use crate::PIPE_BUF;

/// The size of a frame header: the payload length as a little-endian `u32`.
pub const FRAME_HEADER_LEN: usize = 4;

/// The largest payload accepted unless the reader or writer is told otherwise: 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 << 20;

/// The largest payload whose frame (header included) fits in one atomic pipe write, and so
/// never interleaves with frames from other writers on the same pipe.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_pipe::MAX_ATOMIC_FRAME_LEN, 4092);
/// ```
pub const MAX_ATOMIC_FRAME_LEN: usize = PIPE_BUF - FRAME_HEADER_LEN;

/// The object named in framing errors.
const STREAM: &str = "frame stream";

/// Writes length-prefixed frames to a byte stream.
///
/// Each frame goes out in one vectored write when the stream takes it whole; on a pipe, a frame
/// of at most [`MAX_ATOMIC_FRAME_LEN`] payload bytes is written atomically, so several
/// processes may share one pipe as long as their frames stay that small
/// ([`atomic_only`](Self::atomic_only) enforces it).
///
/// # Examples
///
/// ```
/// use ipc_pipe::{FrameReader, FrameWriter};
///
/// let (reader, writer) = ipc_pipe::pipe()?;
/// let mut frames_out = FrameWriter::new(writer);
/// frames_out.send(b"first")?;
/// frames_out.send(b"")?;
/// drop(frames_out); // closes the write end
///
/// let mut frames_in = FrameReader::new(reader);
/// assert_eq!(frames_in.recv()?.as_deref(), Some(&b"first"[..]));
/// assert_eq!(frames_in.recv()?.as_deref(), Some(&b""[..]));
/// assert_eq!(frames_in.recv()?, None, "clean end of input between frames");
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    max_frame_len: usize,
}

impl<W: Write> FrameWriter<W> {
    /// Frames written to `inner`, with payloads up to [`DEFAULT_MAX_FRAME_LEN`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = ipc_pipe::FrameWriter::new(Vec::new());
    /// out.send(b"ab")?;
    /// assert_eq!(out.get_ref(), &[2, 0, 0, 0, b'a', b'b']);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }

    /// Sets the largest payload [`send`](Self::send) accepts (at most `u32::MAX` bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = ipc_pipe::FrameWriter::new(Vec::new()).max_frame_len(2);
    /// assert!(out.send(b"abc").is_err());
    /// ```
    #[must_use]
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max.min(u32::MAX as usize);
        self
    }

    /// Refuses payloads over [`MAX_ATOMIC_FRAME_LEN`], so that on a pipe shared by several
    /// writers no frame is ever interleaved with another.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// let mut out = ipc_pipe::FrameWriter::new(writer).atomic_only();
    /// let err = out.send(&[0; ipc_pipe::MAX_ATOMIC_FRAME_LEN + 1]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    #[must_use]
    pub fn atomic_only(self) -> Self {
        self.max_frame_len(MAX_ATOMIC_FRAME_LEN)
    }

    /// Sends `payload` as one frame, blocking as the stream does.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::MessageTooLarge`] for a payload over the limit, before anything is written;
    /// [`ErrorKind::PeerGone`] when the stream's reader is gone; the stream's other errors. An
    /// error after part of the frame went out leaves the stream unusable (the reader will see
    /// a truncated frame), and the detail says how much was written.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// ipc_pipe::FrameWriter::new(&writer).send(b"request")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        if payload.len() > self.max_frame_len {
            return Err(Error::new(ErrorKind::MessageTooLarge, "frame_send")
                .with_object(STREAM)
                .with_detail(format!(
                    "{} bytes exceed the frame limit of {} bytes",
                    payload.len(),
                    self.max_frame_len
                )));
        }
        // The limit is at most u32::MAX, so the length fits.
        let header = (payload.len() as u32).to_le_bytes();
        let total = FRAME_HEADER_LEN + payload.len();
        let mut written = 0;
        while written < total {
            let result = if written < FRAME_HEADER_LEN {
                self.inner
                    .write_vectored(&[IoSlice::new(&header[written..]), IoSlice::new(payload)])
            } else {
                self.inner.write(&payload[written - FRAME_HEADER_LEN..])
            };
            match result {
                Ok(0) => {
                    return Err(Error::new(ErrorKind::PeerGone, "frame_send")
                        .with_object(STREAM)
                        .with_detail(format!(
                            "the stream took no more bytes after {written} of {total}"
                        )));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(stream_error("frame_send", e, written, total)),
            }
        }
        Ok(())
    }

    /// The stream.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_pipe::FrameWriter::new(Vec::<u8>::new()).get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The stream, taken back.
    ///
    /// # Examples
    ///
    /// ```
    /// let bytes: Vec<u8> = ipc_pipe::FrameWriter::new(Vec::new()).into_inner();
    /// assert!(bytes.is_empty());
    /// ```
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Reads length-prefixed frames from a byte stream, with a buffer so that small frames cost
/// one `read` for many.
///
/// # Examples
///
/// ```
/// let bytes = [3, 0, 0, 0, b'a', b'b', b'c'];
/// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]);
/// assert_eq!(frames.recv()?.as_deref(), Some(&b"abc"[..]));
/// assert_eq!(frames.recv()?, None);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: BufReader<R>,
    max_frame_len: usize,
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
            inner: BufReader::with_capacity(64 * 1024, inner),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
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
    /// assert_eq!(frames.recv().unwrap_err().kind(), ErrorKind::MessageTooLarge);
    /// ```
    #[must_use]
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Receives the next frame's payload; `None` when the stream ends cleanly between frames.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnexpectedEof`] when the stream ends inside a frame (the detail says how
    /// much of it arrived); [`ErrorKind::MessageTooLarge`] when a header announces more than the
    /// limit (the stream is then unusable: it is positioned inside that frame); the stream's
    /// own errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::ErrorKind;
    ///
    /// let cut = [5, 0, 0, 0, b'a', b'b'];
    /// let err = ipc_pipe::FrameReader::new(&cut[..]).recv().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    /// assert_eq!(err.detail(), Some("the stream ended after 2 of 5 payload bytes"));
    /// ```
    pub fn recv(&mut self) -> Result<Option<Vec<u8>>> {
        let mut payload = Vec::new();
        Ok(self.recv_into(&mut payload)?.then_some(payload))
    }

    /// Receives the next frame's payload into `payload` (replacing its contents, reusing its
    /// allocation); `false` when the stream ends cleanly between frames.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// let bytes = [1, 0, 0, 0, b'z'];
    /// let mut frames = ipc_pipe::FrameReader::new(&bytes[..]);
    /// let mut payload = Vec::with_capacity(64);
    /// assert!(frames.recv_into(&mut payload)?);
    /// assert_eq!(payload, b"z");
    /// assert!(!frames.recv_into(&mut payload)?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn recv_into(&mut self, payload: &mut Vec<u8>) -> Result<bool> {
        let mut header = [0u8; FRAME_HEADER_LEN];
        let got = self.fill(&mut header)?;
        if got == 0 {
            return Ok(false);
        }
        if got < FRAME_HEADER_LEN {
            return Err(truncated(format!(
                "the stream ended {got} bytes into a {FRAME_HEADER_LEN}-byte frame header"
            )));
        }
        let len = u32::from_le_bytes(header) as usize;
        if len > self.max_frame_len {
            return Err(Error::new(ErrorKind::MessageTooLarge, "frame_recv")
                .with_object(STREAM)
                .with_detail(format!(
                    "a frame header announces {len} bytes, more than the limit of {} bytes",
                    self.max_frame_len
                )));
        }
        payload.clear();
        payload.resize(len, 0);
        let got = self.fill(payload)?;
        if got < len {
            payload.clear();
            return Err(truncated(format!(
                "the stream ended after {got} of {len} payload bytes"
            )));
        }
        Ok(true)
    }

    /// The stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let frames = ipc_pipe::FrameReader::new(&b""[..]);
    /// assert!(frames.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &R {
        self.inner.get_ref()
    }

    /// Reads until `buf` is full or the stream ends; returns how much was read.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match self.inner.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(stream_error("frame_recv", e, 0, 0)),
            }
        }
        Ok(got)
    }
}

fn truncated(detail: String) -> Error {
    Error::new(ErrorKind::UnexpectedEof, "frame_recv")
        .with_object(STREAM)
        .with_detail(detail)
}

/// Turns the stream's `io::Error` back into the workspace error: our own ends wrap an
/// [`Error`] in it, which is unwrapped whole; anything else is converted.
fn stream_error(operation: &'static str, error: io::Error, written: usize, total: usize) -> Error {
    let err = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Error>())
    {
        Some(_) => match error.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(inner)) => *inner,
            _ => Error::new(ErrorKind::Other, operation).with_object(STREAM),
        },
        None => Error::from_io(operation, STREAM, error),
    };
    if written == 0 {
        return err;
    }
    let note = format!("{written} of {total} frame bytes were written before the error");
    let detail = match err.detail() {
        Some(detail) => format!("{detail}; {note}"),
        None => note,
    };
    err.with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut out = FrameWriter::new(Vec::new());
        for payload in payloads {
            out.send(payload).unwrap();
        }
        out.into_inner()
    }

    proptest! {
        #[test]
        fn frames_round_trip(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 0..20)) {
            let bytes = encode(&payloads);
            let mut sut = FrameReader::new(&bytes[..]);
            for payload in &payloads {
                prop_assert_eq!(sut.recv().unwrap(), Some(payload.clone()));
            }
            prop_assert_eq!(sut.recv().unwrap(), None);
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
                prop_assert_eq!(sut.recv().unwrap(), Some(payload.clone()));
            }
            let next = sut.recv();
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
                match sut.recv() {
                    Ok(Some(payload)) => prop_assert!(payload.len() <= max),
                    Ok(None) | Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn oversized_payload_is_refused_before_writing() {
        let mut sut = FrameWriter::new(Vec::new()).max_frame_len(3);
        assert_eq!(
            sut.send(b"four").unwrap_err().kind(),
            ErrorKind::MessageTooLarge
        );
        assert!(sut.get_ref().is_empty());
    }
}
