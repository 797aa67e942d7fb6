//! Descriptor passing (`SCM_RIGHTS`) and peer identity (`SO_PEERCRED`, `SO_PEERPIDFD`,
//! `SCM_CREDENTIALS`): our own control-message codec, the send and receive core on the
//! private socket, and their forms on each socket type.

pub(crate) mod cmsg;
mod credentials;
mod datagram;
mod forms;
mod identity;
mod message;
mod packet;
mod stream;

pub use credentials::Credentials;
pub use message::{MAX_FDS, ReceivedMessage};
