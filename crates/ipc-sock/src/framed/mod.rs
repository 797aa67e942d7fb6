//! Length-prefixed messages over a connected stream socket (Unix or TCP), in the format of
//! `ipc_core`'s frame header.

mod stream;
mod transport;

pub use stream::FramedStream;
pub use transport::StreamSocket;
