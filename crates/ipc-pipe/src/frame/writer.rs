//! Writing frames.

use std::io::{self, IoSlice, Write};

use ipc_core::{Error, ErrorKind, Result, encode_frame_header};

use super::format::stream_error;
use super::format::{DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN, MAX_ATOMIC_FRAME_LEN, STREAM};

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
/// assert_eq!(frames_in.receive()?.as_deref(), Some(&b"first"[..]));
/// assert_eq!(frames_in.receive()?.as_deref(), Some(&b""[..]));
/// assert_eq!(frames_in.receive()?, None, "clean end of input between frames");
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
    /// [`ErrorKind::PeerGone`] when the stream's reader is gone; the stream's other errors (a
    /// [`Writer`](crate::Writer)'s are returned as it made them). An error after part of the
    /// frame went out leaves the stream unusable (the reader will see a truncated frame), and
    /// the detail says how much was written.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = ipc_pipe::pipe()?;
    /// ipc_pipe::FrameWriter::new(&writer).send(b"request")?;
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn send(&mut self, payload: &[u8]) -> Result<()> {
        let header = encode_frame_header(payload.len(), self.max_frame_len, "send", STREAM)?;
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
                    return Err(Error::new(ErrorKind::PeerGone, "send")
                        .with_object(STREAM)
                        .with_detail(format!(
                            "the stream took no more bytes after {written} of {total}"
                        )));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(partial(stream_error("send", e), written, total)),
            }
        }
        Ok(())
    }
}

impl<W> FrameWriter<W> {
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

    /// The stream, to change its settings. Frames are written whole before
    /// [`send`](FrameWriter::send) returns, so nothing is pending here; bytes written to the
    /// stream directly come between frames, where the reader expects a header.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut out = ipc_pipe::FrameWriter::new(Vec::new());
    /// out.get_mut().reserve(1024);
    /// assert!(out.get_ref().capacity() >= 1024);
    /// ```
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
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

/// Adds to `err` how much of the frame went out before it, when some did.
fn partial(err: Error, written: usize, total: usize) -> Error {
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
