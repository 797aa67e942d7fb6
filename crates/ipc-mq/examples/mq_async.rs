//! A message queue read from async code, two ways, with tokio's `AsyncFd`:
//!
//! 1. Readiness on the queue descriptor itself: on Linux an `mqd_t` is a descriptor that
//!    polls readable while a message waits; `try_receive` takes it, or fails with
//!    `WouldBlock` (converting to `io::ErrorKind::WouldBlock` exactly), so `try_io` clears a
//!    stale readiness and waits again.
//! 2. `mq_notify` through a descriptor: a `Notification` polls readable when a message
//!    arrives in the empty queue. It is one-shot, so it is rearmed after each event, and the
//!    queue is drained after (re)arming, because a message already there is never announced.
//!
//! A sender process (this program re-executed as `mq_async sender <name>`) sends four
//! messages a little apart; the runtime's one thread takes two each way. No runtime is a
//! dependency of `ipc-mq`: `AsFd` is the integration point. The queue has a unique name and
//! its creator removes it on drop.
//!
//! Run it with `cargo run -p ipc-mq --example mq_async`.

use std::io;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::Duration;

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use ipc_core::ObjectName;
use ipc_mq::{Access, NotificationEvent, Queue};

const MESSAGES: [&str; 4] = ["one", "two", "three", "four"];

/// Registers `inner`'s descriptor with the runtime's reactor, for reading.
#[allow(
    unsafe_code,
    reason = "tokio's AsyncFd registration is unsafe: it trusts the descriptor to stay put"
)]
fn register<T: AsRawFd>(inner: T) -> Result<AsyncFd<T>, Box<dyn std::error::Error>> {
    // SAFETY: tokio requires the descriptor to stay open and the same for the AsyncFd's whole
    // life. A Queue owns its descriptor from open to drop and a Notification its socket from
    // registration to drop (rearming reuses it); neither replaces it, `as_raw_fd` always
    // returns that one number, and the AsyncFd owns the handle.
    let registered = unsafe { AsyncFd::register_with_interest(inner, Interest::READABLE) };
    registered.map_err(|err| err.to_string().into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "sender"
    {
        let queue = Queue::builder()
            .access(Access::SendOnly)
            .open(&ObjectName::new(name)?)?;
        for message in MESSAGES {
            std::thread::sleep(Duration::from_millis(30));
            queue.send(message.as_bytes(), 0)?;
        }
        return Ok(());
    }

    let name = ObjectName::unique("mq-async-example")?;
    let queue = Queue::builder()
        .max_messages(4)
        .max_message_size(64)
        .create_new(&name)?;
    let mut sender = Command::new(std::env::current_exe()?)
        .args(["sender", name.as_str()])
        .spawn()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), receive_all(queue)).await
    });
    let status = sender.wait()?;
    let received = outcome.map_err(|_| "the messages did not come within 30 s")??;
    if !status.success() {
        return Err(format!("the sender failed: {status}").into());
    }
    if received != MESSAGES {
        return Err(format!("unexpected messages {received:?}").into());
    }
    println!("received all {} messages, in order", received.len());
    Ok(())
}

async fn receive_all(queue: Queue) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut buffer = [0; 64];
    let mut received = Vec::new();

    // 1. Readiness on the queue descriptor.
    let queue = register(queue)?;
    while received.len() < 2 {
        let mut guard = queue.readable().await?;
        match guard.try_io(|q| {
            q.get_ref()
                .try_receive(&mut buffer)
                .map_err(io::Error::from)
        }) {
            Ok(Ok((len, _))) => {
                let text = String::from_utf8_lossy(&buffer[..len]).into_owned();
                println!("queue readable: took {text:?}");
                received.push(text);
            }
            Ok(Err(err)) => return Err(err.into()),
            Err(_would_block) => continue, // readiness was stale; wait again
        }
    }

    // 2. The notification descriptor.
    let queue = queue.get_ref();
    let mut notification = register(queue.notify_descriptor()?)?;
    loop {
        // Drain after arming: a message that came before the registration is never announced.
        while let Ok((len, _)) = queue.try_receive(&mut buffer) {
            let text = String::from_utf8_lossy(&buffer[..len]).into_owned();
            println!("drained after arming: took {text:?}");
            received.push(text);
        }
        if received.len() == MESSAGES.len() {
            return Ok(received);
        }
        let mut guard = notification.readable().await?;
        match guard.try_io(|n| n.get_ref().try_wait().map_err(io::Error::from)) {
            Ok(Ok(NotificationEvent::MessageArrived)) => {
                println!("notified: a message arrived in the empty queue");
                drop(guard);
                notification.get_mut().rearm()?;
            }
            Ok(Ok(NotificationEvent::Removed)) => return Err("the registration was removed".into()),
            Ok(Err(err)) => return Err(err.into()),
            Err(_would_block) => continue,
        }
    }
}
