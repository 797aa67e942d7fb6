//! The receive side of the frame format, resumable, with sticky failures.

use std::fmt;

use super::header::{FRAME_HEADER_LEN, decode_frame_header};
use crate::{Error, ErrorKind, Object, Result};

/// The most payload bytes a [`FrameDecoder`] asks its `read` for at a time: 64 KiB.
///
/// A header announcing 16 MiB costs nothing until the peer sends them: the payload buffer is
/// filled before it grows, and grows as a `Vec` does (doubling, or by what is asked for), so
/// it holds at most twice the bytes that came, or this much beyond them, never what the header
/// alone announced.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::FRAME_READ_CHUNK, 64 * 1024);
/// ```
pub const FRAME_READ_CHUNK: usize = 64 * 1024;

/// The receive side of the frame format, written once for every transport: a resumable state
/// machine that a reader drives with its own `read`.
///
/// [`receive`](Self::receive) goes on with the frame in progress, pulling bytes through the
/// `read` it is given, until the frame is whole, the stream ends between frames, or `read`
/// fails. It holds the header bytes and payload bytes received so far, so a `read` that
/// stops with [`ErrorKind::WouldBlock`] or [`ErrorKind::TimedOut`] loses nothing: the next
/// call resumes where this one stopped.
///
/// # Out of step
///
/// Three failures leave the stream inside a frame, out of step:
///
/// - a header announcing more than [`max_frame_len`](Self::max_frame_len)
///   ([`ErrorKind::MessageTooLarge`]; its payload was never read);
/// - an end of input inside a frame ([`ErrorKind::UnexpectedEof`]);
/// - any other error of `read` once part of a frame came (a reset connection, a closed
///   descriptor: every kind but [`ErrorKind::WouldBlock`] and [`ErrorKind::TimedOut`]),
///   returned as `read` made it, with a detail saying so. Nothing says how much of the
///   frame the transport lost.
///
/// Whatever the stream carries next is not a header, and reading it as one would let a peer
/// forge frames (a refused payload that starts with a plausible header). So these failures
/// are sticky: every later `receive` fails with [`ErrorKind::CorruptSharedState`], whose
/// detail names the first failure. The only way on is to close the stream.
///
/// The rule, in one line: `WouldBlock` and `TimedOut` from `read` resume; every other error
/// resumes only when it came between frames (no byte of a frame in yet), since then nothing
/// was lost.
///
/// # Memory
///
/// The announced length is checked against the limit before anything is allocated for it,
/// and the payload buffer then grows with the bytes that arrive: it holds at most twice them,
/// or [`FRAME_READ_CHUNK`] beyond them.
///
/// # Examples
///
/// ```
/// use ipc_core::{ErrorKind, FrameDecoder, Object};
///
/// // A payload over the limit that carries a forged header inside it.
/// let mut stream = &[9, 0, 0, 0, 1, 0, 0, 0, b'x', 0, 0, 0, 0][..];
/// let mut read = |buf: &mut [u8]| -> ipc_core::Result<usize> {
///     let n = buf.len().min(stream.len());
///     buf[..n].copy_from_slice(&stream[..n]);
///     stream = &stream[n..];
///     Ok(n)
/// };
/// let object = || Object::from("demo");
///
/// let mut sut = FrameDecoder::new(8);
/// let mut payload = Vec::new();
/// let err = sut.receive("receive", object, &mut payload, &mut read).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
/// // The forged frame is never handed out: the stream is out of step for good.
/// let err = sut.receive("receive", object, &mut payload, &mut read).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
/// assert!(sut.is_out_of_step());
/// ```
pub struct FrameDecoder {
    max_frame_len: usize,
    /// The header of the frame in progress; `header_got` of its bytes are in.
    header: [u8; FRAME_HEADER_LEN],
    header_got: usize,
    /// The payload length the header announced, once the header is whole and accepted.
    payload_len: Option<usize>,
    /// The payload bytes received so far: its length is how many.
    payload: Vec<u8>,
    /// The failure that put the stream out of step (its `Display`), reported by every later
    /// receive.
    failure: Option<Box<str>>,
}

impl FrameDecoder {
    /// A decoder at the start of a stream, accepting payloads up to `max_frame_len` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let sut = ipc_core::FrameDecoder::new(ipc_core::DEFAULT_MAX_FRAME_LEN);
    /// assert_eq!(sut.received(), 0);
    /// ```
    pub fn new(max_frame_len: usize) -> Self {
        Self {
            max_frame_len,
            header: [0; FRAME_HEADER_LEN],
            header_got: 0,
            payload_len: None,
            payload: Vec::new(),
            failure: None,
        }
    }

    /// The largest payload accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::FrameDecoder::new(8).max_frame_len(), 8);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Sets the largest payload accepted, from the next header on.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut sut = ipc_core::FrameDecoder::new(8);
    /// sut.set_max_frame_len(16);
    /// assert_eq!(sut.max_frame_len(), 16);
    /// ```
    pub fn set_max_frame_len(&mut self, max: usize) {
        self.max_frame_len = max;
    }

    /// How many bytes of the frame in progress (header included) have been received; 0
    /// between frames.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ErrorKind, FrameDecoder, Object};
    ///
    /// let mut sut = FrameDecoder::new(8);
    /// let mut part = &[2, 0, 0, 0, b'a'][..];
    /// let err = sut
    ///     .receive("receive", || Object::from("demo"), &mut Vec::new(), |buf| {
    ///         if part.is_empty() {
    ///             return Err(ipc_core::Error::new(ErrorKind::WouldBlock, "read"));
    ///         }
    ///         let n = buf.len().min(part.len());
    ///         buf[..n].copy_from_slice(&part[..n]);
    ///         part = &part[n..];
    ///         Ok(n)
    ///     })
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// assert_eq!(sut.received(), 5);
    /// ```
    pub fn received(&self) -> usize {
        self.header_got + self.payload.len()
    }

    /// Whether an earlier failure left the stream inside a frame, so that every receive fails
    /// (see [Out of step](Self#out-of-step)).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!ipc_core::FrameDecoder::new(8).is_out_of_step());
    /// ```
    pub fn is_out_of_step(&self) -> bool {
        self.failure.is_some()
    }

    /// Goes on with the frame in progress until it is whole (`true`: the payload is in
    /// `payload`, which it replaces), the stream ends cleanly between frames (`false`), or an
    /// error stops it.
    ///
    /// `read(buf)` fills some of `buf` (never empty) from the stream and returns how many bytes
    /// it wrote; 0 means the end of the stream. `operation` and `object()` name the errors the
    /// decoder makes itself. The allocation `payload` had serves the next frame.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::MessageTooLarge`]: the header announces more than the limit;
    /// - [`ErrorKind::UnexpectedEof`]: the stream ended inside a frame (the detail says how
    ///   much of it came);
    /// - [`ErrorKind::CorruptSharedState`]: one of those two happened before, so the stream
    ///   is out of step (see [Out of step](Self#out-of-step));
    /// - the errors of `read`, as it made them. After `WouldBlock` or `TimedOut`, or any
    ///   error between frames, what arrived is kept and the next call goes on from there;
    ///   any other error inside a frame puts the stream out of step (see
    ///   [Out of step](Self#out-of-step)).
    ///
    /// `payload` is left as it was on every error.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{FrameDecoder, Object};
    ///
    /// let mut stream = &[3, 0, 0, 0, b'a', b'b', b'c'][..];
    /// let mut read = |buf: &mut [u8]| -> ipc_core::Result<usize> {
    ///     let n = buf.len().min(stream.len());
    ///     buf[..n].copy_from_slice(&stream[..n]);
    ///     stream = &stream[n..];
    ///     Ok(n)
    /// };
    /// let mut sut = FrameDecoder::new(16);
    /// let mut payload = Vec::new();
    /// assert!(sut.receive("receive", || Object::from("demo"), &mut payload, &mut read)?);
    /// assert_eq!(payload, b"abc");
    /// assert!(!sut.receive("receive", || Object::from("demo"), &mut payload, &mut read)?);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn receive(
        &mut self,
        operation: &'static str,
        object: impl Fn() -> Object,
        payload: &mut Vec<u8>,
        mut read: impl FnMut(&mut [u8]) -> Result<usize>,
    ) -> Result<bool> {
        if let Some(failure) = &self.failure {
            return Err(Error::new(ErrorKind::CorruptSharedState, operation)
                .with_object(object())
                .with_detail(format!(
                    "the frame stream is out of step since an earlier receive failed \
                     ({failure}); close it"
                )));
        }
        let len = match self.payload_len {
            Some(len) => len,
            None => {
                while self.header_got < FRAME_HEADER_LEN {
                    let want = FRAME_HEADER_LEN - self.header_got;
                    // A misbehaving `read` may claim more than it was given.
                    let n = match read(&mut self.header[self.header_got..]) {
                        Ok(n) => n.min(want),
                        Err(err) => return Err(self.read_failed(err)),
                    };
                    if n == 0 {
                        let got = self.header_got;
                        if got == 0 {
                            return Ok(false);
                        }
                        return Err(self.fail(truncated(
                            operation,
                            object(),
                            format!(
                                "the stream ended {got} bytes into a {FRAME_HEADER_LEN}-byte \
                                 frame header"
                            ),
                        )));
                    }
                    self.header_got += n;
                }
                let len = decode_frame_header(self.header, self.max_frame_len, operation, object())
                    .map_err(|err| self.fail(err))?;
                self.payload_len = Some(len);
                self.payload.clear();
                len
            }
        };
        while self.payload.len() < len {
            let got = self.payload.len();
            // Read into the room the buffer has; when it is full, grow it by what is asked
            // for now, never by what the header announced.
            let room = match self.payload.capacity() - got {
                0 => FRAME_READ_CHUNK,
                spare => spare.min(FRAME_READ_CHUNK),
            };
            let want = (len - got).min(room);
            self.payload.resize(got + want, 0);
            let n = match read(&mut self.payload[got..]) {
                Ok(n) => n.min(want),
                Err(err) => {
                    self.payload.truncate(got);
                    return Err(self.read_failed(err));
                }
            };
            self.payload.truncate(got + n);
            if n == 0 {
                return Err(self.fail(truncated(
                    operation,
                    object(),
                    format!("the stream ended after {got} of {len} payload bytes"),
                )));
            }
        }
        // The caller gets the payload; its old allocation serves the next frame.
        std::mem::swap(payload, &mut self.payload);
        self.payload.clear();
        self.header_got = 0;
        self.payload_len = None;
        Ok(true)
    }

    /// What an error of `read` means: `WouldBlock` and `TimedOut` resume, as does any error
    /// between frames; any other error inside a frame puts the stream out of step.
    fn read_failed(&mut self, err: Error) -> Error {
        let got = self.received();
        if got == 0 || matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
            return err;
        }
        let note = format!(
            "{got} bytes of a frame came before this error; the frame stream is out of step \
             and must be closed"
        );
        let detail = match err.detail() {
            Some(detail) => format!("{detail}; {note}"),
            None => note,
        };
        let err = err.with_detail(detail);
        self.fail(err)
    }

    /// Records `err` as the failure that put the stream out of step, drops the frame in
    /// progress, and returns `err`.
    fn fail(&mut self, err: Error) -> Error {
        self.failure = Some(err.to_string().into_boxed_str());
        self.header_got = 0;
        self.payload_len = None;
        self.payload = Vec::new();
        err
    }
}

impl fmt::Debug for FrameDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameDecoder")
            .field("max_frame_len", &self.max_frame_len)
            .field("received", &self.received())
            .field("payload_len", &self.payload_len)
            .field("failure", &self.failure)
            .finish()
    }
}

/// The error of a stream that ended inside a frame.
fn truncated(operation: &'static str, object: Object, detail: String) -> Error {
    Error::new(ErrorKind::UnexpectedEof, operation)
        .with_object(object)
        .with_detail(detail)
}

#[cfg(test)]
mod tests;
