//! Unix datagram sockets: the handle and its constructors, and its sends and receives.

mod handle;
mod transfer;

pub use handle::UnixDatagram;
