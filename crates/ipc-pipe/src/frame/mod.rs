//! Length-prefixed messages over a byte stream (a pipe, a FIFO, or any `Read`/`Write`).
//!
//! A pipe carries bytes, not messages; most users want messages. A frame is a 4-byte
//! little-endian payload length followed by the payload. The reader checks the announced
//! length against its limit before allocating (and then allocates as the payload arrives),
//! reports a stream that ends inside a frame as truncated, never as a short message, refuses
//! every receive once the stream is out of step, and keeps a frame that arrives in parts
//! across calls that stop early (`WouldBlock`, `TimedOut`).

mod format;
mod reader;
mod writer;

pub use format::{DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN, MAX_ATOMIC_FRAME_LEN};
pub use reader::FrameReader;
pub use writer::FrameWriter;
