//! A seqpacket server and a re-executed client process: the client sends records of
//! different sizes over one connection, the server receives each whole (sizing its buffer
//! with `peek_size`) and echoes its length, and the client's close is end of input. The
//! listener removes its socket file and lock file on drop.
//!
//! ```text
//! $ cargo run -q -p ipc-sock --example seqpacket
//! Server received a record of 1 bytes
//! Server received a record of 5000 bytes
//! Server received a record of 12 bytes
//! Client: the server saw records of 1, 5000, 12 bytes
//! Server: end of input
//! ```

use std::process::Command;

use ipc_sock::{Seqpacket, SeqpacketListener, UnixAddress};

/// Set in the client's environment: the socket path to connect to.
const CLIENT_ENV: &str = "IPC_SOCK_EXAMPLE_SEQPACKET";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os(CLIENT_ENV) {
        return client(&UnixAddress::path(path)?);
    }
    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-sock-example-seqpacket"));
    let listener = SeqpacketListener::bind(&UnixAddress::path(&path)?)?;
    let mut child = Command::new(std::env::current_exe()?)
        .env(CLIENT_ENV, &path)
        .spawn()?;

    let connection = listener.accept()?;
    loop {
        let mut buf = vec![0; connection.peek_size()?];
        let n = connection.receive(&mut buf)?;
        if n == 0 {
            println!("Server: end of input");
            break;
        }
        println!("Server received a record of {n} bytes");
        connection.send(n.to_string().as_bytes())?;
    }
    drop(connection);
    let status = child.wait()?;
    drop(listener);
    assert!(status.success(), "the client failed: {status}");
    assert!(!path.exists(), "the listener removed its socket file");
    Ok(())
}

/// The client: connect, send three records, read the three lengths echoed, close.
fn client(address: &UnixAddress) -> Result<(), Box<dyn std::error::Error>> {
    let connection = Seqpacket::connect(address)?;
    let mut lengths = Vec::new();
    for record in [&b"a"[..], &[0; 5000], b"twelve bytes"] {
        connection.send(record)?;
        let mut buf = [0; 16];
        let n = connection.receive(&mut buf)?;
        lengths.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    connection.shutdown(std::net::Shutdown::Write)?;
    println!(
        "Client: the server saw records of {} bytes",
        lengths.join(", ")
    );
    Ok(())
}
