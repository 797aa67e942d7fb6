//! Unix seqpacket sockets: connected, reliable, ordered records with boundaries kept.

mod handle;
mod listener;
mod transfer;

pub use handle::Seqpacket;
pub use listener::SeqpacketListener;
