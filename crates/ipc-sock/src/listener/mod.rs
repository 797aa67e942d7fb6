//! Listening Unix stream sockets: binding (with the socket file's exact mode and the
//! lock that proves a predecessor dead), accepting, and removal on drop.

mod builder;
mod handle;
mod lock;
mod publish;

pub use builder::UnixListenerBuilder;
pub use handle::UnixListener;
