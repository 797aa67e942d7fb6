//! A datagram server and a re-executed client process: each bound to a path in the
//! temporary directory, the client sends requests, the server answers each at the address it
//! came from, and a request longer than the server's buffer is refused whole
//! (`MessageTooLarge`), never truncated. Both paths and their lock files are removed on drop.
//!
//! ```text
//! $ cargo run -q -p ipc-sock --example unix_datagram
//! Server received: "hello" from the client's address
//! Server refused a datagram: ... a message of 64 bytes arrived for a buffer of 16 bytes ...
//! Server received: "bye" from the client's address
//! Client received: "HELLO"
//! Client received: "BYE"
//! ```

use std::process::Command;

use ipc_core::ErrorKind;
use ipc_sock::{UnixAddress, UnixDatagram};

/// Set in the client's environment: the server's path, then the client's own.
const SERVER_ENV: &str = "IPC_SOCK_EXAMPLE_DGRAM_SERVER";
const CLIENT_ENV: &str = "IPC_SOCK_EXAMPLE_DGRAM_CLIENT";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let (Some(server), Some(own)) = (std::env::var_os(SERVER_ENV), std::env::var_os(CLIENT_ENV))
    {
        return client(&UnixAddress::path(server)?, &UnixAddress::path(own)?);
    }
    let dir = std::env::temp_dir();
    let server_path = dir.join(ipc_core::unique_name("ipc-sock-example-dgram-server"));
    let client_path = dir.join(ipc_core::unique_name("ipc-sock-example-dgram-client"));
    let server = UnixDatagram::bind(&UnixAddress::path(&server_path)?)?;
    let mut child = Command::new(std::env::current_exe()?)
        .env(SERVER_ENV, &server_path)
        .env(CLIENT_ENV, &client_path)
        .spawn()?;

    let mut buf = [0; 16];
    let mut answered = 0;
    while answered < 2 {
        match server.receive_from(&mut buf) {
            Ok((n, Some(from))) => {
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                println!("Server received: {request:?} from the client's address");
                server.send_to(request.to_uppercase().as_bytes(), &from)?;
                answered += 1;
            }
            Ok((_, None)) => println!("Server ignored a datagram from an unbound sender"),
            Err(err) if err.kind() == ErrorKind::MessageTooLarge => {
                println!("Server refused a datagram: {err}");
            }
            Err(err) => return Err(err.into()),
        }
    }
    let status = child.wait()?;
    drop(server);
    assert!(status.success(), "the client failed: {status}");
    assert!(!server_path.exists(), "the server removed its socket file");
    assert!(!client_path.exists(), "the client removed its socket file");
    Ok(())
}

/// The client: bind (so that the server can answer), connect to the server, send three
/// requests (one too long for the server), print the answers.
fn client(server: &UnixAddress, own: &UnixAddress) -> Result<(), Box<dyn std::error::Error>> {
    let mut socket = UnixDatagram::bind(own)?;
    socket.connect(server)?;
    socket.send(b"hello")?;
    socket.send(&[b'!'; 64])?;
    socket.send(b"bye")?;
    let mut buf = [0; 16];
    for _ in 0..2 {
        let n = socket.receive(&mut buf)?;
        println!("Client received: {:?}", String::from_utf8_lossy(&buf[..n]));
    }
    Ok(())
}
