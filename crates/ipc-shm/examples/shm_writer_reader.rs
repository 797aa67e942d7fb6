//! The reference's writer and reader (doc 001, §2.3): the writer creates an object the size of
//! `SharedData`, stores `counter = 42` and a message, and leaves the object in place; a reader,
//! another process, opens it read-only, prints both, and removes the object.
//!
//! Instead of two separate runs, the writer re-executes this program as
//! `shm_writer_reader reader <name>`. The name is unique (`ObjectName::unique`), so runs never
//! collide; the writer removes the object itself if the reader failed to.
//!
//! Run it with `cargo run -p ipc-shm --example shm_writer_reader`.

use std::mem::{align_of, offset_of, size_of};
use std::process::Command;

use bytemuck::{Pod, Zeroable};
use ipc_core::{ErrorKind, ObjectName};
use ipc_shm::{RegionAccess, SharedMemory};

/// The layout both processes agree on, as the reference's C struct.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct SharedData {
    counter: i32,
    message: [u8; 256],
}

// The layout is shared with another process, so it is pinned here (STYLE rule 11).
const _: () = assert!(size_of::<SharedData>() == 260);
const _: () = assert!(align_of::<SharedData>() == 4);
const _: () = assert!(offset_of!(SharedData, counter) == 0);
const _: () = assert!(offset_of!(SharedData, message) == 4);

const MESSAGE: &[u8] = b"Hello from shared memory!";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "reader"
    {
        return reader(&ObjectName::new(name)?);
    }

    // Writer: create, size and fill the object, and leave it in place for the reader.
    let name = ObjectName::unique("shm-writer-reader-example")?;
    let mut shm = SharedMemory::create_new(&name, size_of::<SharedData>())?;
    let mut data = SharedData::zeroed();
    data.counter = 42;
    data.message[..MESSAGE.len()].copy_from_slice(MESSAGE);
    shm.pod::<SharedData>(0)?.store(&data);
    shm.persist();
    drop(shm);
    println!("Writer: stored counter 42 and the message in {name}");

    let status = Command::new(std::env::current_exe()?)
        .arg("reader")
        .arg(name.as_str())
        .status()?;
    // The reader removes the object; if it failed before that, the writer cleans up.
    match SharedMemory::unlink_name(&name) {
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Err(err) => return Err(err.into()),
        Ok(()) => println!("Writer: removed {name}, which the reader left"),
    }
    if !status.success() {
        return Err(format!("reader failed: {status}").into());
    }
    Ok(())
}

/// Opens the object read-only, prints what the writer stored, and removes the object.
fn reader(name: &ObjectName) -> Result<(), Box<dyn std::error::Error>> {
    let shm = SharedMemory::builder()
        .min_len(size_of::<SharedData>())
        .open_read_only(name)?;
    let data: SharedData = shm.load_pod(0)?;
    let end = data.message.iter().position(|&b| b == 0).unwrap_or(256);
    println!("Counter: {}", data.counter);
    println!("Message: {}", String::from_utf8_lossy(&data.message[..end]));
    SharedMemory::unlink_name(name)?;
    println!("Reader: removed {name}");
    Ok(())
}
