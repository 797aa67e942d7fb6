//! The reference's Unix domain socket program (`000_…`, "Unix Domain Sockets"; the same
//! server and client as `001_…` §2.6 "Sockets"), with a re-executed process as the client
//! instead of `fork()`, and without its `sleep(1)`: the server is bound before the client
//! starts, so the client's connect cannot come too early.
//!
//! The server binds a socket file (mode 0o600, whatever the umask) in the temporary
//! directory, the client connects and says hello, the server answers, and the listener removes
//! its socket file and lock file when it drops.
//!
//! ```text
//! $ cargo run -q -p ipc-sock --example unix_stream
//! Server received: Hello from client!
//! Client received: Hello from server!
//! ```

use std::process::Command;

use ipc_sock::{UnixAddress, UnixListener, UnixStream};

/// Set in the client's environment: the socket path to connect to.
const CLIENT_ENV: &str = "IPC_SOCK_EXAMPLE_CONNECT";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os(CLIENT_ENV) {
        return client(&UnixAddress::path(path)?);
    }
    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-sock-example"));
    let address = UnixAddress::path(&path)?;
    let listener = UnixListener::bind(&address)?;
    let mut child = Command::new(std::env::current_exe()?)
        .env(CLIENT_ENV, &path)
        .spawn()?;

    let stream = listener.accept()?;
    let mut buf = [0; 100];
    let n = stream.receive(&mut buf)?;
    println!("Server received: {}", String::from_utf8_lossy(&buf[..n]));
    stream.send_all(b"Hello from server!")?;
    drop(stream);

    let status = child.wait()?;
    drop(listener);
    assert!(status.success(), "the client failed: {status}");
    assert!(!path.exists(), "the listener removed its socket file");
    Ok(())
}

/// The client: connect, send, print the answer.
fn client(address: &UnixAddress) -> Result<(), Box<dyn std::error::Error>> {
    let stream = UnixStream::connect(address)?;
    stream.send_all(b"Hello from client!")?;
    let mut buf = [0; 100];
    let n = stream.receive(&mut buf)?;
    println!("Client received: {}", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}
