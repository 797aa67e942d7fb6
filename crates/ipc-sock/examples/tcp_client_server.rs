//! The reference's TCP client and server (`004_…`, "Sockets" → "Designing Sockets in C++";
//! `001_…` §2.6 "TCP/IP Sockets" is the same program minus the reply, so its client's
//! `"Hello via TCP!"` is sent as a second, framed request here), with a re-executed process
//! as the client, and three changes:
//!
//! - the server binds `127.0.0.1` port 0 rather than every interface on port 8080, so it is
//!   never reachable from the network and never collides with another program; the client is
//!   told the port the kernel picked;
//! - `SO_REUSEADDR` only (the reference adds `SO_REUSEPORT`, which would let a second live
//!   server share the port);
//! - the reference's single `read` into 1024 bytes hopes the whole message arrives at once; a
//!   TCP stream promises no such thing, so the greeting is read to the end of the client's
//!   writing, and the second exchange uses length-prefixed frames (`FramedStream`).
//!
//! ```text
//! $ cargo run -q -p ipc-sock --example tcp_client_server
//! Message from client: Hello from client
//! Message from server: Hello from server
//! Framed request: Hello via TCP!
//! Framed response: 14 bytes received
//! ```

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use ipc_sock::{FramedStream, TcpListener, TcpStream};

/// Set in the client's environment: the server's address.
const CLIENT_ENV: &str = "IPC_SOCK_EXAMPLE_TCP_SERVER";

/// How long either side waits for the other before giving up.
const PATIENCE: Duration = Duration::from_secs(30);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(address) = std::env::var(CLIENT_ENV) {
        return client(&address.parse()?);
    }
    let listener = TcpListener::bind(&"127.0.0.1:0".parse()?)?;
    let mut child = Command::new(std::env::current_exe()?)
        .env(CLIENT_ENV, listener.local_address().to_string())
        .spawn()?;

    let stream = listener.accept_timeout(PATIENCE)?;
    stream.set_nodelay(true)?;
    let mut greeting = [0; 17];
    stream.receive_exact_timeout(&mut greeting, PATIENCE)?;
    println!(
        "Message from client: {}",
        String::from_utf8_lossy(&greeting)
    );
    stream.send_all(b"Hello from server")?;

    let mut framed = FramedStream::new(stream).max_frame_len(1024);
    let request = framed
        .receive_timeout(PATIENCE)?
        .ok_or("the client closed")?;
    println!("Framed request: {}", String::from_utf8_lossy(&request));
    framed.send(format!("{} bytes received", request.len()).as_bytes())?;

    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the client failed: {status}").into());
    }
    Ok(())
}

/// The client: connect, greet, read the answer, then one framed request and response.
fn client(address: &SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let stream = TcpStream::connect_timeout(address, PATIENCE)?;
    stream.set_nodelay(true)?;
    stream.send_all(b"Hello from client")?;
    let mut reply = [0; 17];
    stream.receive_exact_timeout(&mut reply, PATIENCE)?;
    println!("Message from server: {}", String::from_utf8_lossy(&reply));

    let mut framed = FramedStream::new(stream);
    framed.send(b"Hello via TCP!")?;
    let response = framed
        .receive_timeout(PATIENCE)?
        .ok_or("the server closed")?;
    println!("Framed response: {}", String::from_utf8_lossy(&response));
    Ok(())
}
