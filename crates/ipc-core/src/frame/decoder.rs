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
/// fails. It holds the header bytes and payload bytes received so far, so a `read` error
/// (`WouldBlock`, `TimedOut`, an interrupted wait) loses nothing: the next call resumes where
/// this one stopped.
///
/// # Out of step
///
/// Two failures leave the stream inside a frame: a header announcing more than
/// [`max_frame_len`](Self::max_frame_len) ([`ErrorKind::MessageTooLarge`]; its payload was
/// never read), and an end of input inside a frame ([`ErrorKind::UnexpectedEof`]). Whatever the
/// stream carries next is not a header, and reading it as one would let a peer forge frames
/// (a refused payload that starts with a plausible header). So these failures are sticky:
/// every later `receive` fails with [`ErrorKind::CorruptSharedState`], whose detail names the
/// first failure. The only way on is to close the stream. Errors of `read` itself are not
/// sticky: they are the transport's, and resumable.
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
    /// - the errors of `read`, as it made them; what arrived is kept and the next call goes on
    ///   from there.
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
                    let n = read(&mut self.header[self.header_got..])?.min(want);
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
                    return Err(err);
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
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::frame::header::{DEFAULT_MAX_FRAME_LEN, encode_frame_header};
    use proptest::prelude::*;

    /// A stream over `bytes` cut into `chunks`, with a `WouldBlock` between two chunks, as a
    /// non-blocking transport fed in bursts would be.
    struct Bursts {
        chunks: VecDeque<Vec<u8>>,
        stall_next: bool,
    }

    impl Bursts {
        fn new(bytes: &[u8], cuts: &[usize]) -> Self {
            let mut cuts: Vec<usize> = cuts.iter().map(|&cut| cut % (bytes.len() + 1)).collect();
            cuts.extend([0, bytes.len()]);
            cuts.sort_unstable();
            cuts.dedup();
            let chunks = cuts
                .windows(2)
                .map(|w| bytes[w[0]..w[1]].to_vec())
                .collect();
            Self {
                chunks,
                stall_next: false,
            }
        }

        fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
            assert!(!buf.is_empty(), "the decoder never reads into nothing");
            if std::mem::take(&mut self.stall_next) {
                return Err(Error::new(ErrorKind::WouldBlock, "read"));
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

    fn encode(payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for payload in payloads {
            bytes.extend(encode_frame_header(payload.len(), usize::MAX, "send", "s").unwrap());
            bytes.extend(payload);
        }
        bytes
    }

    /// What a correct reader makes of `bytes`: the frames before the first failure, and that
    /// failure's kind (`None` for a clean end).
    fn model(bytes: &[u8], max: usize) -> (Vec<Vec<u8>>, Option<ErrorKind>) {
        let mut frames = Vec::new();
        let mut rest = bytes;
        loop {
            if rest.is_empty() {
                return (frames, None);
            }
            let Some((header, tail)) = rest.split_first_chunk::<FRAME_HEADER_LEN>() else {
                return (frames, Some(ErrorKind::UnexpectedEof));
            };
            let len = u32::from_le_bytes(*header) as usize;
            if len > max {
                return (frames, Some(ErrorKind::MessageTooLarge));
            }
            if tail.len() < len {
                return (frames, Some(ErrorKind::UnexpectedEof));
            }
            frames.push(tail[..len].to_vec());
            rest = &tail[len..];
        }
    }

    /// Drives `sut` over `stream` until the end or a failure of its own, retrying on
    /// `WouldBlock`: the frames it gave and the failure's kind.
    fn drive(sut: &mut FrameDecoder, stream: &mut Bursts) -> (Vec<Vec<u8>>, Option<ErrorKind>) {
        let mut frames = Vec::new();
        let mut payload = Vec::new();
        loop {
            match sut.receive(
                "receive",
                || Object::from("s"),
                &mut payload,
                |buf| stream.read(buf),
            ) {
                Ok(true) => frames.push(payload.clone()),
                Ok(false) => return (frames, None),
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => return (frames, Some(err.kind())),
            }
        }
    }

    proptest! {
        #[test]
        fn frames_split_anywhere_by_would_block_come_out_whole_and_in_order(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12),
            large in proptest::option::weighted(0.2, proptest::collection::vec(any::<u8>(), FRAME_READ_CHUNK..FRAME_READ_CHUNK + 2000)),
            cuts in proptest::collection::vec(any::<usize>(), 0..40),
        ) {
            let mut payloads = payloads;
            payloads.extend(large);
            let bytes = encode(&payloads);
            let mut sut = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
            let (frames, failure) = drive(&mut sut, &mut Bursts::new(&bytes, &cuts));
            prop_assert_eq!(frames, payloads);
            prop_assert_eq!(failure, None);
            prop_assert_eq!(sut.received(), 0);
        }

        #[test]
        fn any_bytes_give_the_frames_a_correct_reader_sees_then_fail_for_good(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
            prefix in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..16), 0..4),
            cuts in proptest::collection::vec(any::<usize>(), 0..16),
            max in 0usize..64,
        ) {
            // Some whole frames first, so failures also come after a few good frames.
            let mut stream = encode(&prefix);
            stream.extend(&bytes);
            let mut sut = FrameDecoder::new(max);
            let (frames, failure) = drive(&mut sut, &mut Bursts::new(&stream, &cuts));
            let (expected_frames, expected_failure) = model(&stream, max);
            prop_assert_eq!(frames, expected_frames);
            prop_assert_eq!(failure, expected_failure);
            if failure.is_some() {
                prop_assert!(sut.is_out_of_step());
                for _ in 0..3 {
                    let err = sut
                        .receive("receive", || Object::from("s"), &mut Vec::new(), |_| Ok(0))
                        .unwrap_err();
                    prop_assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
                }
            }
        }
    }

    #[test]
    fn a_refused_payload_is_never_read_as_a_header() {
        // The probe: a payload over the limit that starts with a header of its own.
        let bytes = [12, 0, 0, 0, 3, 0, 0, 0, b'e', b'v', b'i', b'l', 0, 0, 0, 0];
        let mut stream = Bursts::new(&bytes, &[]);
        let mut sut = FrameDecoder::new(8);
        let mut payload = b"kept".to_vec();
        let mut receive = |sut: &mut FrameDecoder, payload: &mut Vec<u8>| {
            sut.receive(
                "receive",
                || Object::from("s"),
                payload,
                |buf| stream.read(buf),
            )
        };
        let err = receive(&mut sut, &mut payload).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge, "{err}");
        for _ in 0..2 {
            let err = receive(&mut sut, &mut payload).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
            assert_eq!(
                err.to_string(),
                "receive s: corrupt shared state: the frame stream is out of step since an \
                 earlier receive failed (receive s: message too large: a frame header announces \
                 12 bytes, more than the limit of 8 bytes); close it"
            );
        }
        assert_eq!(payload, b"kept");
    }

    #[test]
    fn a_stream_that_ended_inside_a_frame_never_reads_as_a_clean_end() {
        let bytes = [5, 0, 0, 0, b'a', b'b'];
        let mut stream = Bursts::new(&bytes, &[]);
        let mut sut = FrameDecoder::new(8);
        let mut receive = |sut: &mut FrameDecoder| loop {
            let result = sut.receive(
                "receive",
                || Object::from("s"),
                &mut Vec::new(),
                |buf| stream.read(buf),
            );
            match result {
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                other => break other,
            }
        };
        let err = receive(&mut sut).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{err}");
        assert_eq!(
            err.detail(),
            Some("the stream ended after 2 of 5 payload bytes")
        );
        let err = receive(&mut sut).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    }

    #[test]
    fn a_large_announcement_allocates_only_for_the_bytes_that_came() {
        let mut bytes = encode_frame_header(DEFAULT_MAX_FRAME_LEN, DEFAULT_MAX_FRAME_LEN, "s", "s")
            .unwrap()
            .to_vec();
        bytes.extend([7; 10]);
        let mut stream = Bursts::new(&bytes, &[]);
        stream.chunks.push_back(Vec::new());
        let mut sut = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
        let err = sut
            .receive(
                "receive",
                || Object::from("s"),
                &mut Vec::new(),
                |buf| {
                    match stream.read(buf) {
                        // The empty chunk stands for "nothing more yet".
                        Ok(0) => Err(Error::new(ErrorKind::WouldBlock, "read")),
                        other => other,
                    }
                },
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
        assert_eq!(sut.received(), FRAME_HEADER_LEN + 10);
        assert!(
            sut.payload.capacity() <= FRAME_READ_CHUNK,
            "{} bytes held for 10 that came",
            sut.payload.capacity()
        );
    }
}
