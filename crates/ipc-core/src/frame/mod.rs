//! The frame format shared by every byte stream of the workspace (a pipe, a FIFO, a Unix or
//! TCP stream socket): a 4-byte little-endian payload length, then the payload.
//!
//! The header codec ([`header`]) and the receive side ([`decoder`]) live here, written once:
//! [`FrameDecoder`] is the resumable state machine every transport's reader drives with its
//! own reads (buffered or not, with whichever waits). How the bytes are moved belongs to each
//! transport.
//!
//! The length is checked against the receiver's limit as the header is decoded, and the
//! payload buffer grows with the bytes that actually arrive, never from the header alone, so
//! no transport allocates what a peer merely claims. A failure that leaves the stream inside a
//! frame (a header over the limit, an end of input mid-frame) is sticky: the next bytes are
//! not a header, so no later receive may read them as one.

mod decoder;
mod header;

pub use decoder::{FRAME_READ_CHUNK, FrameDecoder};
pub use header::{
    DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN, decode_frame_header, encode_frame_header,
};
