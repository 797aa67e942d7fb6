//! Anonymous pipes and FIFOs for Linux.
//!
//! - [`pipe()`] makes an anonymous pipe: a [`Reader`] and a [`Writer`], both close-on-exec,
//!   for a parent and the children it spawns.
//! - [`Fifo`] makes or opens a named pipe in the filesystem, for unrelated processes, with
//!   `0o600` by default, `O_NOFOLLOW`, a check that the node really is a FIFO, removal by its
//!   creator, and blocking, non-blocking and bounded opens.
//! - [`FrameWriter`] and [`FrameReader`] carry length-prefixed messages over either; a frame
//!   that arrives in parts survives a `WouldBlock` or a timeout in between.
//! - [`Reader::splice_to`], [`Writer::splice_from`], [`Reader::tee_to`] and
//!   [`Writer::vmsplice`] move data without copying it through user space.
//!
//! The rules of `pipe(7)` as this crate applies them:
//!
//! | situation | blocking call | `try_` call | bounded call |
//! |---|---|---|---|
//! | read, pipe empty, a writer remains | waits for data | `WouldBlock` | waits, then `TimedOut` |
//! | write, pipe full, a reader remains | waits for room | `WouldBlock` | waits, then `TimedOut` |
//! | read, every writer closed | returns the data left, then `Ok(0)` | same | same |
//! | write, every reader closed | `PeerGone`, never `SIGPIPE` (see [`SigpipeGuard`]) | same | same |
//! | write of at most [`PIPE_BUF`] bytes | atomic | atomic or `WouldBlock` | atomic or `TimedOut` |
//!
//! [`Writer::write_atomic`] refuses a message over [`PIPE_BUF`] with `MessageTooLarge` rather
//! than split it. Capacity is read and changed with [`Writer::capacity`] and
//! [`Writer::set_capacity`] (`F_GETPIPE_SZ` / `F_SETPIPE_SZ`).
//!
//! # Examples
//!
//! ```
//! use std::io::Read;
//!
//! let (mut reader, writer) = ipc_pipe::pipe()?;
//! writer.write_atomic(b"one record")?;
//! drop(writer);
//! let mut got = Vec::new();
//! reader.read_to_end(&mut got)?;
//! assert_eq!(got, b"one record");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![doc(test(attr(deny(warnings))))]

mod end;
mod fifo;
mod frame;
mod pipe;
mod reader;
mod sigpipe;
mod splice;
mod sys;
mod writer;

pub use fifo::{Fifo, FifoBuilder};
pub use frame::{
    DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN, FrameReader, FrameWriter, MAX_ATOMIC_FRAME_LEN,
};
pub use pipe::pipe;
pub use reader::Reader;
pub use sigpipe::{SigpipeGuard, assume_sigpipe_ignored, revoke_sigpipe_assumption, sigpipe_guard};
pub use writer::{PIPE_BUF, Writer};
