//! The frame format, its limits, and the errors of the stream underneath.

use std::io;

use ipc_core::{Error, ErrorKind};

use crate::PIPE_BUF;

pub use ipc_core::{DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN};

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
pub(super) const STREAM: &str = "frame stream";

/// Turns the stream's `io::Error` back into the workspace error: our own ends wrap an
/// [`Error`] in it, which is unwrapped whole; anything else is converted, as an error of
/// `operation` on the frame stream.
pub(super) fn stream_error(operation: &'static str, error: io::Error) -> Error {
    match error.get_ref().map(|inner| inner.is::<Error>()) {
        Some(true) => match error.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(inner)) => *inner,
            // Not reached: the payload was just found to be an `Error`.
            _ => Error::new(ErrorKind::Other, operation).with_object(STREAM),
        },
        _ => Error::from_io(operation, STREAM, error),
    }
}
