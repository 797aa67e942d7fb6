//! The design chapter's message-queue sender and receiver programs (reference doc 004,
//! "Message Queues" / "Designing Message Queues in C++"): the sender sets the attributes
//! (`mq_maxmsg` 10, `mq_msgsize` 1024), creates the queue write-only, sends "Hello, Message
//! Queue!" and closes it; the receiver opens it read-only, receives into a 1024-byte buffer,
//! prints "Received message: …", closes and removes the queue.
//!
//! The chapter's "Key Considerations" follow in the same run: the sender also tries a message
//! over `mq_msgsize` (refused as `MessageTooLarge`, nothing queued) and sends one at a higher
//! priority, which the receiver gets first; then it fills the queue to `mq_maxmsg`, where a
//! `try_send` is refused with `WouldBlock` instead of overflowing.
//!
//! The sender and the receiver are two processes (this program re-executed as
//! `mq_attributes_priorities sender <name>` and `… receiver <name>`), one after the other. The
//! differences, each on purpose:
//!
//! - The name is unique (`ObjectName::unique`), so runs never collide on `/test_queue`.
//! - The mode is the crate's `0o600`, not `0644`: read permission on a queue lets a user
//!   receive, that is take, its messages.
//! - Should either process fail, this program removes the queue itself, so no run leaves one
//!   behind.
//!
//! Run it with `cargo run -p ipc-mq --example mq_attributes_priorities`.

use std::process::Command;

use ipc_core::{ErrorKind, ObjectName};
use ipc_mq::{Access, Queue};

/// The reference's message, sent at priority 0 (`strlen(message)` bytes: no NUL).
const MESSAGE: &str = "Hello, Message Queue!";

/// A message that overtakes the reference's one.
const URGENT: (&str, u32) = ("Urgent: read me first", 5);

/// The sender program.
fn sender(name: &ObjectName) -> Result<(), ipc_core::Error> {
    // attr.mq_maxmsg = 10; attr.mq_msgsize = 1024;
    // mq_open("/test_queue", O_CREAT | O_WRONLY, 0644, &attr);
    let mut queue = Queue::builder()
        .max_messages(10)
        .max_message_size(1024)
        .access(Access::SendOnly)
        .open_or_create(name)?;
    // The receiver program removes the queue; this one only closes it.
    queue.persist();

    queue.send(MESSAGE.as_bytes(), 0)?;
    println!("Sender: sent (priority 0): {MESSAGE}");

    // Message size: a message over mq_msgsize is refused whole, never cut.
    let oversize = [b'x'; 1025];
    match queue.try_send(&oversize, 0) {
        Err(err) if err.kind() == ErrorKind::MessageTooLarge => {
            println!(
                "Sender: a {}-byte message is refused: {err}",
                oversize.len()
            );
        }
        other => {
            return Err(ipc_core::Error::new(ErrorKind::Other, "mq_send")
                .with_detail(format!("an oversize message was not refused: {other:?}")));
        }
    }

    // Priority: a higher priority is received first, whenever it was sent.
    let (urgent, priority) = URGENT;
    queue.send(urgent.as_bytes(), priority)?;
    println!("Sender: sent (priority {priority}): {urgent}");

    // Queue length: fill the queue up to mq_maxmsg; one more would block.
    let mut filler = 0;
    loop {
        let text = format!("Filler {filler}");
        match queue.try_send(text.as_bytes(), 0) {
            Ok(()) => filler += 1,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    println!(
        "Sender: the queue is full after {filler} filler messages ({} in all); \
         try_send says WouldBlock",
        queue.attributes()?.current_messages()
    );
    Ok(())
}

/// The receiver program.
fn receiver(name: &ObjectName) -> Result<(), ipc_core::Error> {
    // mq_open("/test_queue", O_RDONLY); char buffer[1024];
    let mut queue = Queue::builder().access(Access::ReceiveOnly).open(name)?;
    let mut buffer = [0_u8; 1024];
    let mut received = Vec::new();
    // The sender has exited, so every message is there: receive until the queue is empty.
    loop {
        match queue.try_receive(&mut buffer) {
            Ok((len, priority)) => {
                let text = String::from_utf8_lossy(&buffer[..len]).into_owned();
                println!("Received message (priority {priority}): {text}");
                received.push(text);
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    let order_kept = received.first().map(String::as_str) == Some(URGENT.0)
        && received.get(1).map(String::as_str) == Some(MESSAGE)
        && received.len() == 10;
    if !order_kept {
        return Err(ipc_core::Error::new(ErrorKind::Other, "mq_receive")
            .with_detail(format!("unexpected messages or order: {received:?}")));
    }
    // mq_close(mq); mq_unlink("/test_queue");
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

    let name = ObjectName::unique("mq-attributes-priorities-example")?;
    let outcome = run("sender", &name).and_then(|()| run("receiver", &name));
    // The receiver removed the queue; should anything have failed, remove it here.
    match Queue::unlink_name(&name) {
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Ok(()) => println!("Removed the queue {name} the receiver left"),
        Err(err) => return Err(err.into()),
    }
    outcome
}
