//! Unix domain sockets for Linux.
//!
//! - [`UnixAddress`]: a filesystem path checked against `sun_path` (never truncated) or a
//!   name in the abstract namespace.
//! - [`UnixListener`] and [`UnixListenerBuilder`]: a listening stream socket whose socket file
//!   gets an exact mode (`0o600` by default) and never a wider one, not even between
//!   `bind(2)` and the `chmod` (the socket's inode gets the mode before the bind, and Linux
//!   creates the file from it), whose path is reclaimed from a dead listener but never taken
//!   from a live one (a `flock`ed `<path>.lock` held for the listener's lifetime), and
//!   removed on drop unless `persist`ed.
//! - [`UnixStream`]: a connected stream socket.
//! - [`UnixDatagram`]: a datagram socket, bound to a path (with the listener's mode, lock
//!   and reclaim rules), to an abstract name, or to nothing; a datagram larger than the
//!   buffer is [`MessageTooLarge`](ipc_core::ErrorKind::MessageTooLarge), never truncated.
//! - [`SeqpacketListener`] and [`Seqpacket`]: `SOCK_SEQPACKET`, a connection that keeps record
//!   boundaries, bound and connected as the stream types are.
//! - Descriptor passing and peer identity on it: [`UnixStream::send_with_fds`] and
//!   [`UnixStream::receive_with_fds`] (owned, close-on-exec descriptors; a truncated control
//!   message closes what arrived and is an error), [`UnixStream::peer_credentials`]
//!   ([`Credentials`]), [`UnixStream::peer_pidfd`], and `SCM_CREDENTIALS` through
//!   [`UnixStream::send_with_credentials`] and [`UnixStream::receive_message`]
//!   ([`ReceivedMessage`]). [`Seqpacket`] and a connected [`UnixDatagram`] have the same
//!   forms, one message each (an empty one may carry descriptors; one longer than the buffer
//!   is `MessageTooLarge` and its descriptors are closed), and an unconnected datagram sends
//!   them to an address ([`UnixDatagram::send_to_with_fds`],
//!   [`UnixDatagram::receive_message_from`]).
//! - [`TcpListener`] and [`TcpStream`]: TCP, with the same method names and forms as the Unix
//!   stream types (a change of types switches transports), plus `TCP_NODELAY`.
//! - [`FramedStream`]: length-prefixed messages over either stream ([`StreamSocket`]), whole
//!   or an error, with a receiver-set size limit checked before anything is allocated.
//!
//! Every call that can wait has a blocking form, a `try_` form
//! ([`WouldBlock`](ipc_core::ErrorKind::WouldBlock)) and `_timeout` / `_deadline` forms
//! ([`TimedOut`](ipc_core::ErrorKind::TimedOut)) measured on the monotonic clock, with `EINTR`
//! retried for the time that is left. Every send passes `MSG_NOSIGNAL`, so a peer that is gone
//! is [`PeerGone`](ipc_core::ErrorKind::PeerGone), never a `SIGPIPE`. Every descriptor is
//! close-on-exec and reachable through `AsFd`.
//!
//! # Examples
//!
//! ```
//! use ipc_sock::{UnixAddress, UnixListener, UnixStream};
//!
//! let dir = tempfile::tempdir()?;
//! let address = UnixAddress::path(dir.path().join("app.sock"))?;
//! let listener = UnixListener::bind(&address)?;
//! let client = UnixStream::connect(&address)?;
//! let server = listener.accept()?;
//! client.send_all(b"ping")?;
//! let mut buf = [0; 4];
//! server.receive_exact(&mut buf)?;
//! server.send_all(b"pong")?;
//! client.receive_exact(&mut buf)?;
//! assert_eq!(&buf, b"pong");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![doc(test(attr(deny(warnings))))]

mod accept_forms;
mod address;
mod ancillary;
mod connect;
mod datagram;
mod descriptor;
mod framed;
mod listener;
mod listener_forms;
mod message;
mod message_forms;
mod seqpacket;
mod socket;
mod stream;
mod stream_forms;
mod sys;
mod tcp;

pub use address::UnixAddress;
pub use ancillary::{Credentials, MAX_FDS, ReceivedMessage};
pub use datagram::UnixDatagram;
pub use framed::{FramedStream, StreamSocket};
pub use listener::{UnixListener, UnixListenerBuilder};
pub use seqpacket::{Seqpacket, SeqpacketListener};
pub use stream::UnixStream;
pub use tcp::{TcpListener, TcpStream};
