//! The reference's POSIX shared memory program: the parent creates a 4096-byte object, a child
//! writes "Hello from child process!" into it, and the parent waits, prints what it reads, and
//! removes the object.
//!
//! Instead of `fork()`, the parent re-executes this program as `posix_shm child <name>`; the
//! child opens the object by its name, as an unrelated process would. The name is unique
//! (`ObjectName::unique`), so runs never collide, and the creator's handle removes the object
//! when it drops, even if the child fails.
//!
//! Run it with `cargo run -p ipc-shm --example posix_shm`.

use std::process::Command;

use ipc_core::ObjectName;
use ipc_shm::{RegionAccess, SharedMemory};

const SIZE: usize = 4096;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "child"
    {
        // Child: open the object by name and write the message, NUL-terminated as in C.
        let shm = SharedMemory::open(&ObjectName::new(name)?)?;
        shm.write_at(0, b"Hello from child process!\0")?;
        return Ok(());
    }

    // Parent: create and size the object (mode 0o600, not the reference's 0666), start the
    // child, wait for it, then read.
    let name = ObjectName::unique("posix-shm-example")?;
    let shm = SharedMemory::create_new(&name, SIZE)?;
    let status = Command::new(std::env::current_exe()?)
        .arg("child")
        .arg(name.as_str())
        .status()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    let mut bytes = [0u8; SIZE];
    shm.read_at(0, &mut bytes)?;
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(SIZE);
    println!("Parent read: {}", String::from_utf8_lossy(&bytes[..end]));

    drop(shm); // the creator unlinks the name (shm_unlink)
    println!("Unlinked {name}");
    Ok(())
}
