//! A pipe read from async code: `tokio::io::unix::AsyncFd` waits for readiness on the
//! descriptor, and `Reader::try_read` does the read, failing with `WouldBlock` (which converts to
//! `io::ErrorKind::WouldBlock` exactly) when another task drained the pipe first, so `try_io`
//! clears the readiness and waits again. No runtime is a dependency of `ipc-pipe`: `AsFd` is
//! the integration point.
//!
//! A child process writes three lines a few milliseconds apart; the runtime's single thread
//! reads them as they arrive, while a timer task ticks alongside.
//!
//! Run it with `cargo run -p ipc-pipe --example async_reader`.

use std::io;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use ipc_pipe::Reader;

/// Registers the read end with the runtime's reactor.
#[allow(
    unsafe_code,
    reason = "tokio's AsyncFd registration is unsafe: it trusts the descriptor to stay put"
)]
fn register(reader: Reader) -> Result<AsyncFd<Reader>, Box<dyn std::error::Error>> {
    // SAFETY: tokio requires the descriptor to stay open and the same for the AsyncFd's whole
    // life. A Reader owns its descriptor from creation to drop, never replaces it, and
    // `as_raw_fd` always returns that one number; the AsyncFd owns the Reader.
    let registered = unsafe { AsyncFd::register_with_interest(reader, Interest::READABLE) };
    registered.map_err(|err| err.to_string().into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (reader, writer) = ipc_pipe::pipe()?;
    let mut child = Command::new("sh")
        .args(["-c", "for i in 1 2 3; do echo line $i; sleep 0.05; done"])
        .stdout(Stdio::from(writer))
        .spawn()?;

    let ticker = tokio::spawn(async {
        let mut ticks = 0;
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            ticks += 1;
        }
        ticks
    });

    let reader = register(reader)?;
    let mut received = Vec::new();
    let mut buf = [0; 256];
    loop {
        let mut guard = reader.readable().await?;
        match guard.try_io(|fd| fd.get_ref().try_read(&mut buf).map_err(io::Error::from)) {
            Ok(Ok(0)) => break, // the child closed its end: end of input
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return Err(e.into()),
            Err(_would_block) => continue, // readiness was stale; wait again
        }
    }
    child.wait()?;
    let text = String::from_utf8(received)?;
    print!("{text}");
    println!("the timer ticked {} times meanwhile", ticker.await?);
    if text != "line 1\nline 2\nline 3\n" {
        return Err(format!("unexpected output {text:?}").into());
    }
    Ok(())
}
