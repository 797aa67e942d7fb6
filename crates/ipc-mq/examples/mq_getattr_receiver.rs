//! The complete guide's message-queue sender and receiver (reference doc 001, section 2.4
//! "Message Queues"): `sender()` opens the queue write-only, creating it with the system's
//! default attributes, sends "Hello via message queue!" and closes it; `receiver()` opens it
//! read-only, asks `mq_getattr` for the message size, receives into a buffer of exactly that
//! size, prints the message, and removes the queue.
//!
//! Here the two functions run as two processes (this program re-executed as
//! `mq_getattr_receiver sender <name>` and `… receiver <name>`), one after the other, which
//! find the queue by its name alone; the queue outlives the sender because the sender
//! [`persist`](ipc_mq::Queue::persist)s it, as the C sender's `mq_close` leaves it for the
//! receiver's `mq_unlink`. The differences, each on purpose:
//!
//! - The name is unique (`ObjectName::unique`), so runs never collide on `/my_queue`.
//! - The mode is the crate's `0o600`, not `0666`: a queue any user may open lets any user
//!   read (take) its messages or fill it.
//! - The message goes without the C string's terminating NUL; the received length says where
//!   it ends.
//! - Should either process fail, this program removes the queue itself, so no run leaves one
//!   behind.
//!
//! Run it with `cargo run -p ipc-mq --example mq_getattr_receiver`.

use std::process::Command;
use std::time::Duration;

use ipc_core::{ErrorKind, ObjectName};
use ipc_mq::{Access, Queue};

const MESSAGE: &str = "Hello via message queue!";

/// `sender()`: `mq_open(name, O_CREAT | O_WRONLY, …, nullptr)`, `mq_send`, `mq_close`.
fn sender(name: &ObjectName) -> Result<(), ipc_core::Error> {
    // O_CREAT without O_EXCL: create the queue or open the one there. The builder's sizes are
    // Linux's defaults for a NULL attr (10 messages of up to 8192 bytes).
    let mut queue = Queue::builder()
        .access(Access::SendOnly)
        .open_or_create(name)?;
    // The receiver removes the queue, not this handle's drop.
    queue.persist();
    queue.send(MESSAGE.as_bytes(), 0)?;
    println!("Sender: sent: {MESSAGE}");
    Ok(())
}

/// `receiver()`: `mq_open(name, O_RDONLY)`, `mq_getattr`, `mq_receive` into a buffer of
/// `mq_msgsize` bytes, `mq_close`, `mq_unlink`.
fn receiver(name: &ObjectName) -> Result<(), ipc_core::Error> {
    let mut queue = Queue::builder().access(Access::ReceiveOnly).open(name)?;
    let attributes = queue.attributes()?;
    println!(
        "Receiver: mq_getattr: {} message(s) waiting, at most {} of up to {} bytes",
        attributes.current_messages(),
        attributes.max_messages(),
        attributes.max_message_size()
    );
    // A buffer of exactly mq_msgsize bytes, the least mq_receive accepts.
    let mut buffer = vec![0_u8; attributes.max_message_size()];
    let (len, _priority) = queue.receive_timeout(&mut buffer, Duration::from_secs(30))?;
    println!("Received: {}", String::from_utf8_lossy(&buffer[..len]));
    queue.unlink()?;
    println!("Receiver: removed the queue {name}");
    Ok(())
}

/// Runs this program again as `role` on the queue `name`.
fn run(role: &str, name: &ObjectName) -> Result<(), Box<dyn std::error::Error>> {
    let status = Command::new(std::env::current_exe()?)
        .arg(role)
        .arg(name.as_str())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the {role} failed: {status}").into())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice() {
        let name = ObjectName::new(name)?;
        return match role.as_str() {
            "sender" => Ok(sender(&name)?),
            "receiver" => Ok(receiver(&name)?),
            other => Err(format!("unknown role {other}").into()),
        };
    }

    let name = ObjectName::unique("mq-getattr-receiver-example")?;
    let outcome = run("sender", &name).and_then(|()| run("receiver", &name));
    // The receiver removed the queue; should anything have failed, remove it here.
    match Queue::unlink_name(&name) {
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Ok(()) => println!("Removed the queue {name} the receiver left"),
        Err(err) => return Err(err.into()),
    }
    outcome
}
