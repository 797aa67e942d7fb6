//! TCP stream sockets, with the names and forms of the Unix stream sockets.

mod connect;
mod listener;
mod stream;

pub use listener::TcpListener;
pub use stream::TcpStream;
