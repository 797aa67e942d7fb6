//! Listening Unix stream sockets: binding (with the socket file's exact mode and the
//! lock that proves a predecessor dead), accepting, and removal on drop.

mod bind;
mod builder;
mod handle;
mod lock;
mod publish;

pub(crate) use bind::{BoundPath, bind_listening, bind_socket};
pub use builder::UnixListenerBuilder;
pub use handle::UnixListener;
pub(crate) use handle::adopt_listening;
