//! The reference's message-queue sender and receiver (doc 001 §2.4, doc 004): the sender
//! creates a queue of 10 messages of up to 1024 bytes, sends messages at several priorities,
//! and a receiver in another process reads them, highest priority first.
//!
//! Instead of `fork`, the sender re-executes this program as `mq_sender_receiver receiver
//! <name>`. The name is unique (`ObjectName::unique`), so runs never collide; the sender
//! created the queue, so its handle removes it on drop (the reference's receiver calls
//! `mq_unlink` instead).
//!
//! Run it with `cargo run -p ipc-mq --example mq_sender_receiver`.

use std::process::Command;
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_mq::{Access, Queue};

/// What the sender sends: (priority, text).
const MESSAGES: [(u32, &str); 4] = [
    (0, "Hello via message queue!"),
    (0, "Hello from sender!"),
    (5, "urgent: read me first"),
    (2, "important: read me second"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "receiver"
    {
        let queue = Queue::builder()
            .access(Access::ReceiveOnly)
            .open(&ObjectName::new(name)?)?;
        let attributes = queue.attributes()?;
        println!(
            "Receiver: queue holds {} of at most {} messages of up to {} bytes",
            attributes.current_messages(),
            attributes.max_messages(),
            attributes.max_message_size()
        );
        // A buffer of the queue's message size, as mq_receive requires.
        let mut buffer = vec![0; attributes.max_message_size()];
        for _ in 0..MESSAGES.len() {
            let (len, priority) = queue.receive_timeout(&mut buffer, Duration::from_secs(30))?;
            println!(
                "Receiver: received (priority {priority}): {}",
                String::from_utf8_lossy(&buffer[..len])
            );
        }
        return Ok(());
    }

    let name = ObjectName::unique("mq-sender-receiver-example")?;
    let queue = Queue::builder()
        .max_messages(10)
        .max_message_size(1024)
        .access(Access::SendOnly)
        .create_new(&name)?;
    for (priority, text) in MESSAGES {
        queue.send_timeout(text.as_bytes(), priority, Duration::from_secs(30))?;
        println!("Sender: sent (priority {priority}): {text}");
    }
    let status = Command::new(std::env::current_exe()?)
        .arg("receiver")
        .arg(name.as_str())
        .status()?;
    if !status.success() {
        return Err(format!("receiver failed: {status}").into());
    }
    println!("Sender: the receiver read every message; removing the queue");
    Ok(())
}
