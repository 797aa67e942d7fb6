//! The cheat sheet's message-queue program (reference doc 000, "POSIX Message Queues"): the
//! parent creates a queue of 10 messages of up to 256 bytes, a child sends "Hello via message
//! queue!" at priority 1, and the parent waits for the child, receives the message and prints
//! it with its priority, then removes the queue.
//!
//! Where the C program forks and the child uses the inherited descriptor, this one re-executes
//! itself as `mq_fork_priority child <name>`, and the child opens the queue by its name. The
//! differences, each on purpose:
//!
//! - The name is unique (`ObjectName::unique`), so runs never collide on `/myqueue`.
//! - The mode is the crate's `0o600`, not `0666`: a queue any user may open lets any user
//!   read (take) its messages or fill it.
//! - The message goes without the C string's terminating NUL (`strlen(msg) + 1`); the
//!   received length says where it ends.
//! - The parent's handle created the queue, so dropping it is the `mq_unlink`.
//!
//! Run it with `cargo run -p ipc-mq --example mq_fork_priority`.

use std::process::Command;

use ipc_core::ObjectName;
use ipc_mq::Queue;

/// The message and its priority, as in the reference.
const MESSAGE: &str = "Hello via message queue!";
const PRIORITY: u32 = 1;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "child"
    {
        // Child: send the message at priority 1, then close the queue (on drop).
        let queue = Queue::open(&ObjectName::new(name)?)?;
        queue.send(MESSAGE.as_bytes(), PRIORITY)?;
        println!("Child: sent (prio={PRIORITY}): {MESSAGE}");
        return Ok(());
    }

    // struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = 256};
    // mq_open(mq_name, O_CREAT | O_RDWR, ..., &attr);
    let name = ObjectName::unique("mq-fork-priority-example")?;
    let queue = Queue::builder()
        .max_messages(10)
        .max_message_size(256)
        .create_new(&name)?;

    // fork(), then wait(NULL) in the parent.
    let status = Command::new(std::env::current_exe()?)
        .arg("child")
        .arg(name.as_str())
        .status()?;
    if !status.success() {
        return Err(format!("the child failed: {status}").into());
    }

    // Parent: receive into a buffer of the queue's message size. The child has exited, so its
    // message is there already: a non-blocking receive cannot miss it.
    let mut buffer = [0_u8; 256];
    let (len, priority) = queue.try_receive(&mut buffer)?;
    println!(
        "Received (prio={priority}): {}",
        String::from_utf8_lossy(&buffer[..len])
    );
    assert_eq!((&buffer[..len], priority), (MESSAGE.as_bytes(), PRIORITY));

    // mq_close and mq_unlink: the creator's handle removes the queue as it drops.
    drop(queue);
    println!("Parent: removed the queue {name}");
    Ok(())
}
