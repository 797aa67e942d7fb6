//! Our own control-message (`cmsg(3)`) encoder and parser, over plain byte buffers.
//!
//! The layout is the kernel's `struct cmsghdr`: a `size_t cmsg_len` (header plus data, without
//! the trailing padding), an `int cmsg_level`, an `int cmsg_type`, then the data; each message
//! starts at a multiple of `sizeof(size_t)` (`CMSG_ALIGN`). Everything here is safe code on
//! `&[u8]`: the parser reads fields with `from_ne_bytes`, so it needs no alignment, and it yields
//! each message's data as a range of the buffer it was given, never past its end, whatever the
//! bytes say. Turning `SCM_RIGHTS` data into descriptors is a separate step, made only on a
//! buffer the kernel has just filled (`sys::ancillary::recvmsg`).

use std::ops::Range;

use super::credentials::UCRED_LEN;

/// `sizeof(size_t)`: the width of `cmsg_len` and the alignment of every message.
const ALIGN: usize = size_of::<usize>();

/// `sizeof(struct cmsghdr)`: `cmsg_len`, `cmsg_level`, `cmsg_type`, already aligned.
pub(crate) const HEADER_LEN: usize = ALIGN + 2 * size_of::<i32>();

// The layout above is libc's `struct cmsghdr` on this target.
const _: () = assert!(HEADER_LEN == size_of::<libc::cmsghdr>());
const _: () = assert!(ALIGN == align_of::<libc::cmsghdr>());
const _: () = assert!(std::mem::offset_of!(libc::cmsghdr, cmsg_level) == ALIGN);
const _: () = assert!(std::mem::offset_of!(libc::cmsghdr, cmsg_type) == ALIGN + 4);

/// `CMSG_ALIGN(len)`; `None` on overflow.
const fn align(len: usize) -> Option<usize> {
    match len.checked_add(ALIGN - 1) {
        Some(len) => Some(len & !(ALIGN - 1)),
        None => None,
    }
}

/// `CMSG_SPACE(data_len)`: the room one message with `data_len` bytes of data takes,
/// padding included; saturates (a request that large fails later as too large).
pub(crate) const fn space(data_len: usize) -> usize {
    match align(data_len) {
        Some(data) => match data.checked_add(HEADER_LEN) {
            Some(space) => space,
            None => usize::MAX,
        },
        None => usize::MAX,
    }
}

/// How many descriptors a control buffer holds without a heap allocation, next to one
/// `SCM_CREDENTIALS` message.
pub(crate) const INLINE_FDS: usize = 16;

/// The room of a control buffer kept on the stack: one `SCM_CREDENTIALS` message and one
/// `SCM_RIGHTS` message of [`INLINE_FDS`] descriptors (112 bytes on a 64-bit target).
pub(crate) const INLINE_LEN: usize =
    space(UCRED_LEN) + space(INLINE_FDS * size_of::<std::os::fd::RawFd>());

/// Zeroed control bytes, on the stack up to [`INLINE_LEN`] and on the heap only beyond: the
/// one buffer of a send's encoder and of a receive's `msg_control`, so the common message
/// (a few descriptors, perhaps credentials) costs no allocation.
///
/// Nothing reads it through a `cmsghdr` pointer (the kernel copies it, [`parse`] reads
/// bytes), so it needs no alignment.
#[derive(Debug)]
pub(crate) struct ControlBuffer {
    /// The bytes while they fit; zero past `len`.
    inline: [u8; INLINE_LEN],
    /// The bytes once they do not fit (then all of them); empty, and unallocated, before.
    heap: Vec<u8>,
    /// How many bytes are in use.
    len: usize,
}

impl ControlBuffer {
    /// An empty buffer (no allocation).
    pub(crate) const fn new() -> Self {
        Self {
            inline: [0; INLINE_LEN],
            heap: Vec::new(),
            len: 0,
        }
    }

    /// `len` zero bytes, inline when they fit.
    pub(crate) fn zeroed(len: usize) -> Self {
        let mut buffer = Self::new();
        buffer.extend(len);
        buffer
    }

    /// Appends `more` zero bytes and returns them, moving everything to the heap once they
    /// no longer fit inline.
    pub(crate) fn extend(&mut self, more: usize) -> &mut [u8] {
        let start = self.len;
        let end = start.saturating_add(more);
        self.len = end;
        if self.heap.is_empty() && end <= INLINE_LEN {
            return &mut self.inline[start..end];
        }
        if self.heap.is_empty() {
            self.heap.reserve_exact(end);
            self.heap.extend_from_slice(&self.inline[..start]);
        }
        self.heap.resize(end, 0);
        &mut self.heap[start..end]
    }

    /// The bytes in use.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    /// The bytes in use, to be written (`recvmsg`).
    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8] {
        if self.heap.is_empty() {
            &mut self.inline[..self.len]
        } else {
            &mut self.heap
        }
    }
}

/// One control message found by [`parse`]: its level, type and where its data lies in the
/// buffer that was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ControlMessage {
    /// `cmsg_level` (`SOL_SOCKET`).
    pub(crate) level: i32,
    /// `cmsg_type` (`SCM_RIGHTS`, `SCM_CREDENTIALS`).
    pub(crate) kind: i32,
    /// The data's bytes, as a range of the parsed buffer.
    pub(crate) data: Range<usize>,
}

/// Why [`parse`] stopped before the end of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// A `cmsg_len` smaller than the header it includes.
    LengthBelowHeader,
    /// A `cmsg_len` that reaches past the end of the buffer.
    LengthPastEnd,
}

/// The control messages in `buf` (the first `msg_controllen` bytes after `recvmsg`), in order.
///
/// Mirrors `CMSG_FIRSTHDR`/`CMSG_NXTHDR`: a message needs a whole header; its `cmsg_len`
/// must cover the header and stay inside `buf`; the next one starts at the aligned end. Fewer
/// bytes than a header at the end are padding and end the walk quietly. A bad `cmsg_len`
/// yields one [`Malformed`] and ends the walk, so a caller sees every good message before it.
pub(crate) fn parse(buf: &[u8]) -> Parser<'_> {
    Parser {
        buf,
        offset: 0,
        done: false,
    }
}

/// The iterator of [`parse`].
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    buf: &'a [u8],
    offset: usize,
    done: bool,
}

impl Iterator for Parser<'_> {
    type Item = Result<ControlMessage, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.buf.get(self.offset..).unwrap_or_default();
        let Some(header) = rest.get(..HEADER_LEN) else {
            self.done = true;
            return None;
        };
        let (len, fields) = header.split_at(ALIGN);
        let (level, kind) = fields.split_at(4);
        let len = usize::from_ne_bytes(len.try_into().unwrap_or([0; ALIGN]));
        let level = i32::from_ne_bytes(level.try_into().unwrap_or([0; 4]));
        let kind = i32::from_ne_bytes(kind.try_into().unwrap_or([0; 4]));
        if len < HEADER_LEN {
            self.done = true;
            return Some(Err(Malformed::LengthBelowHeader));
        }
        if len > rest.len() {
            self.done = true;
            return Some(Err(Malformed::LengthPastEnd));
        }
        let start = self.offset + HEADER_LEN;
        let end = self.offset + len;
        // `len <= rest.len()`, so the aligned step overflows only past `usize::MAX - ALIGN`,
        // which no buffer reaches; saturating ends the walk there all the same.
        self.offset = align(end).unwrap_or(usize::MAX);
        Some(Ok(ControlMessage {
            level,
            kind,
            data: start..end,
        }))
    }
}

/// Builds a control buffer for `sendmsg`, in place: each message with its header and
/// padding, in a [`ControlBuffer`] (so on the stack for the common message).
#[derive(Debug)]
pub(crate) struct Encoder {
    buf: ControlBuffer,
}

impl Encoder {
    /// An empty control buffer.
    pub(crate) const fn new() -> Self {
        Self {
            buf: ControlBuffer::new(),
        }
    }

    /// Appends one message of `level` and `kind` whose data is `data`, padded to the
    /// alignment (`CMSG_SPACE`), with `cmsg_len` = `CMSG_LEN(data.len())`.
    pub(crate) fn push(&mut self, level: i32, kind: i32, data: &[u8]) {
        self.push_with(level, kind, data.len())
            .copy_from_slice(data);
    }

    /// Appends the header of one message of `level` and `kind` with `data_len` bytes of
    /// data, and its zeroed padding, and returns the data bytes for the caller to fill (so
    /// the data is written where it goes, never gathered first).
    pub(crate) fn push_with(&mut self, level: i32, kind: i32, data_len: usize) -> &mut [u8] {
        // space() >= HEADER_LEN + data_len: the slot holds the header, the data and padding.
        let slot = self.buf.extend(space(data_len));
        debug_assert!(slot.len() >= HEADER_LEN + data_len);
        slot[..ALIGN].copy_from_slice(&(HEADER_LEN + data_len).to_ne_bytes());
        slot[ALIGN..ALIGN + 4].copy_from_slice(&level.to_ne_bytes());
        slot[ALIGN + 4..HEADER_LEN].copy_from_slice(&kind.to_ne_bytes());
        &mut slot[HEADER_LEN..HEADER_LEN + data_len]
    }

    /// The encoded bytes (`msg_control`, with `msg_controllen` their length).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn space_matches_the_c_macros() {
        assert_eq!(space(0), HEADER_LEN);
        assert_eq!(space(4), HEADER_LEN + ALIGN);
        assert_eq!(space(12), HEADER_LEN + 16);
        assert_eq!(space(usize::MAX), usize::MAX);
        for n in [0_u32, 1, 4, 7, 8, 12, 1012] {
            #[allow(
                unsafe_code,
                reason = "comparing with libc's CMSG_SPACE, a const unsafe fn"
            )]
            // SAFETY: CMSG_SPACE only computes a size from its argument.
            let expected = unsafe { libc::CMSG_SPACE(n) } as usize;
            assert_eq!(space(n as usize), expected);
        }
    }

    #[test]
    fn an_encoded_message_parses_back() {
        let mut sut = Encoder::new();
        sut.push(1, 1, &[1, 2, 3, 4, 5]);
        sut.push(1, 2, &[]);
        let buf = sut.as_bytes();
        assert_eq!(buf.len(), space(5) + space(0));
        let got: Vec<_> = parse(buf).collect();
        assert_eq!(
            got,
            vec![
                Ok(ControlMessage {
                    level: 1,
                    kind: 1,
                    data: HEADER_LEN..HEADER_LEN + 5
                }),
                Ok(ControlMessage {
                    level: 1,
                    kind: 2,
                    data: space(5) + HEADER_LEN..space(5) + HEADER_LEN
                }),
            ]
        );
    }

    #[test]
    fn credentials_and_sixteen_descriptors_stay_on_the_stack_and_more_move_to_the_heap() {
        let mut sut = Encoder::new();
        sut.push(1, 2, &[7; UCRED_LEN]);
        sut.push_with(1, 1, INLINE_FDS * 4).fill(9);
        assert_eq!(sut.as_bytes().len(), INLINE_LEN);
        assert_eq!(sut.buf.heap.capacity(), 0, "no allocation");
        let inline = sut.as_bytes().to_vec();
        sut.push(1, 3, &[5]);
        assert!(sut.buf.heap.capacity() > 0);
        assert_eq!(&sut.as_bytes()[..INLINE_LEN], &inline[..], "moved whole");
        assert_eq!(parse(sut.as_bytes()).count(), 3);
        let mut control = ControlBuffer::zeroed(INLINE_LEN + 1);
        assert_eq!(control.as_mut_bytes(), &[0; INLINE_LEN + 1][..]);
        assert_eq!(ControlBuffer::zeroed(8).heap.capacity(), 0);
    }

    #[test]
    fn a_length_below_the_header_or_past_the_end_stops_the_walk() {
        let mut buf = vec![0; HEADER_LEN];
        buf[..ALIGN].copy_from_slice(&(HEADER_LEN - 1).to_ne_bytes());
        assert_eq!(
            parse(&buf).collect::<Vec<_>>(),
            vec![Err(Malformed::LengthBelowHeader)]
        );
        buf[..ALIGN].copy_from_slice(&(HEADER_LEN + 1).to_ne_bytes());
        assert_eq!(
            parse(&buf).collect::<Vec<_>>(),
            vec![Err(Malformed::LengthPastEnd)]
        );
        buf[..ALIGN].copy_from_slice(&usize::MAX.to_ne_bytes());
        assert_eq!(
            parse(&buf).collect::<Vec<_>>(),
            vec![Err(Malformed::LengthPastEnd)]
        );
    }

    #[test]
    fn a_last_message_without_its_padding_is_whole_and_a_short_tail_is_ignored() {
        let mut sut = Encoder::new();
        sut.push(1, 1, &[9; 4]);
        let unpadded = &sut.as_bytes()[..HEADER_LEN + 4];
        assert_eq!(parse(unpadded).count(), 1);
        let mut tail = sut.as_bytes().to_vec();
        tail.extend_from_slice(&[0xff; HEADER_LEN - 1]);
        assert_eq!(parse(&tail).count(), 1);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_nor_reach_past_the_buffer(
            buf in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut last_end = 0;
            let mut saw_error = false;
            for item in parse(&buf) {
                prop_assert!(!saw_error, "nothing follows an error");
                match item {
                    Ok(message) => {
                        prop_assert!(message.data.start >= last_end + HEADER_LEN);
                        prop_assert!(message.data.start <= message.data.end);
                        prop_assert!(message.data.end <= buf.len());
                        last_end = message.data.end;
                    }
                    Err(_) => saw_error = true,
                }
            }
        }

        #[test]
        fn encoded_messages_parse_back_exactly(
            messages in proptest::collection::vec(
                (any::<i32>(), any::<i32>(), proptest::collection::vec(any::<u8>(), 0..40)),
                0..8,
            ),
            cut in any::<bool>(),
        ) {
            let mut sut = Encoder::new();
            for (level, kind, data) in &messages {
                sut.push(*level, *kind, data);
            }
            let mut buf = sut.as_bytes().to_vec();
            if cut {
                // The kernel may leave the last message's padding out of msg_controllen.
                if let Some((_, _, data)) = messages.last() {
                    buf.truncate(buf.len() - (space(data.len()) - HEADER_LEN - data.len()));
                }
            }
            let parsed: Vec<_> = parse(&buf).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(parsed.len(), messages.len());
            for (got, (level, kind, data)) in parsed.iter().zip(&messages) {
                prop_assert_eq!(got.level, *level);
                prop_assert_eq!(got.kind, *kind);
                prop_assert_eq!(&buf[got.data.clone()], &data[..]);
            }
        }
    }
}
