//! A Unix stream socket served from async code with tokio's `AsyncFd`: the runtime waits for
//! readiness on the descriptors, and the `try_` calls do the work, failing with `WouldBlock`
//! (which converts to `io::ErrorKind::WouldBlock` exactly) when readiness was stale, so
//! `try_io` clears it and waits again. No runtime is a dependency of `ipc-sock`: `AsFd` is
//! the integration point.
//!
//! The listener is registered too: `try_accept` takes each client as it connects. Two client
//! processes (this program re-executed) each send framed requests; a `FramedStream` keeps a
//! frame that arrives in parts across `try_receive` calls and reads nothing ahead, so the
//! descriptor's readiness always tells the whole story. The listener's abstract address
//! leaves nothing in the filesystem.
//!
//! ```text
//! $ cargo run -q -p ipc-sock --example sock_async
//! accepted client 1
//! ...
//! served 6 requests from 2 clients
//! ```

use std::io;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use ipc_sock::{FramedStream, UnixAddress, UnixListener, UnixStream};

/// Set in a client's environment: the abstract name to connect to.
const CLIENT_ENV: &str = "IPC_SOCK_EXAMPLE_ASYNC_CONNECT";
const CLIENTS: usize = 2;
const REQUESTS: usize = 3;

/// Registers `inner`'s descriptor with the runtime's reactor, for reading.
#[allow(
    unsafe_code,
    reason = "tokio's AsyncFd registration is unsafe: it trusts the descriptor to stay put"
)]
fn register<T: AsRawFd>(inner: T) -> Result<AsyncFd<T>, Box<dyn std::error::Error>> {
    // SAFETY: tokio requires the descriptor to stay open and the same for the AsyncFd's whole
    // life. A UnixListener or FramedStream<UnixStream> owns its descriptor from creation to
    // drop, never replaces it, and `as_raw_fd` always returns that one number; the AsyncFd
    // owns the handle.
    let registered = unsafe { AsyncFd::register_with_interest(inner, Interest::READABLE) };
    registered.map_err(|err| err.to_string().into())
}

/// The framing, with its descriptor visible to the reactor.
struct Framed(FramedStream<UnixStream>);

impl AsRawFd for Framed {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.get_ref().as_raw_fd()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(name) = std::env::var(CLIENT_ENV) {
        return client(&UnixAddress::abstract_name(name)?);
    }
    let name = ipc_core::unique_name("ipc-sock-async-example");
    let listener = UnixListener::bind(&UnixAddress::abstract_name(&name)?)?;
    let mut children = Vec::new();
    for _ in 0..CLIENTS {
        children.push(
            Command::new(std::env::current_exe()?)
                .env(CLIENT_ENV, &name)
                .spawn()?,
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let served = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(30), serve(listener)).await });
    for mut child in children {
        let status = child.wait()?;
        if !status.success() {
            return Err(format!("a client failed: {status}").into());
        }
    }
    let served = served.map_err(|_| "the clients were not served within 30 s")??;
    if served != CLIENTS * REQUESTS {
        return Err(format!("served {served} requests").into());
    }
    println!("served {served} requests from {CLIENTS} clients");
    Ok(())
}

/// Accepts every client and serves each in its own task; returns the requests served.
async fn serve(listener: UnixListener) -> Result<usize, Box<dyn std::error::Error>> {
    let listener = register(listener)?;
    let mut tasks = Vec::new();
    while tasks.len() < CLIENTS {
        let mut guard = listener.readable().await?;
        match guard.try_io(|l| l.get_ref().try_accept().map_err(io::Error::from)) {
            Ok(Ok(stream)) => {
                println!("accepted client {}", tasks.len() + 1);
                tasks.push(tokio::spawn(answer(stream)));
            }
            Ok(Err(err)) => return Err(err.into()),
            Err(_would_block) => continue, // readiness was stale; wait again
        }
    }
    let mut served = 0;
    for task in tasks {
        served += task
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| err.to_string())?;
    }
    Ok(served)
}

/// Answers one client's frames until it closes; returns how many.
async fn answer(stream: UnixStream) -> Result<usize, String> {
    let mut framed = register(Framed(FramedStream::new(stream))).map_err(|err| err.to_string())?;
    let mut answered = 0;
    loop {
        let mut guard = framed.readable_mut().await.map_err(|err| err.to_string())?;
        match guard.try_io(|f| f.get_mut().0.try_receive().map_err(io::Error::from)) {
            Ok(Ok(Some(request))) => {
                let text = String::from_utf8_lossy(&request).into_owned();
                println!("request: {text}");
                // A reply this small always fits the socket buffer at once.
                guard
                    .get_inner_mut()
                    .0
                    .send(format!("done: {text}").as_bytes())
                    .map_err(|err| err.to_string())?;
                answered += 1;
            }
            Ok(Ok(None)) => return Ok(answered),
            Ok(Err(err)) => return Err(err.to_string()),
            Err(_would_block) => continue,
        }
    }
}

/// A client: sends its requests one by one and checks each answer.
fn client(address: &UnixAddress) -> Result<(), Box<dyn std::error::Error>> {
    let mut framed = FramedStream::new(UnixStream::connect(address)?);
    for i in 0..REQUESTS {
        let request = format!("request {i} from pid {}", std::process::id());
        framed.send(request.as_bytes())?;
        let answer = framed
            .receive_timeout(Duration::from_secs(30))?
            .ok_or("the server closed")?;
        if answer != format!("done: {request}").into_bytes() {
            return Err("a wrong answer".into());
        }
    }
    Ok(())
}
