//! The reference's "mmap + Semaphores" pattern (doc 001, Part 5): shared data guarded by a
//! semaphore. Here the semaphore lives in the same shared memory as the data: a POSIX shm
//! object holds an unnamed semaphore (`RegionSemaphore`, a validated slot at offset 0) and a
//! message at offset 256. A writer process, this program re-executed as `mmap_semaphore
//! writer <name>`, opens the object and the semaphore, writes the message and posts; the
//! reader waits for the post and only then reads, so it never sees a half-written message.
//!
//! (The reference uses a named semaphore beside a mapped file, with `msync` before the post;
//! that works with `ipc_sem::Semaphore` and `ipc_shm::MappedFile` the same way.)
//!
//! Run it with `cargo run -p ipc-sem --example mmap_semaphore`.

use std::process::Command;
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_sem::RegionSemaphore;
use ipc_shm::{RegionAccess, SharedMemory};

const SEM_AT: usize = 0;
const DATA_AT: usize = 256;
const MESSAGE: &[u8] = b"Hello, written under the semaphore";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "writer"
    {
        let shm = SharedMemory::open(&ObjectName::new(name)?)?;
        let sem = RegionSemaphore::open(&shm, SEM_AT)?; // validated: it is a semaphore
        shm.write_at(DATA_AT, MESSAGE)?;
        println!("Writer: wrote {} bytes, posting", MESSAGE.len());
        sem.post()?;
        return Ok(());
    }

    let name = ObjectName::unique("mmap-semaphore-example")?;
    let shm = SharedMemory::create_new(&name, 4096)?; // removed when `shm` drops
    let sem = RegionSemaphore::init(&shm, SEM_AT, 0)?;
    let mut writer = Command::new(std::env::current_exe()?)
        .arg("writer")
        .arg(name.as_str())
        .spawn()?;
    let waited = sem.wait_timeout(Duration::from_secs(30));
    let status = writer.wait()?;
    waited?;
    let mut message = vec![0; MESSAGE.len()];
    shm.read_at(DATA_AT, &mut message)?;
    println!("Reader: {}", String::from_utf8_lossy(&message));
    if !status.success() || message != MESSAGE {
        return Err(format!("writer failed: {status}").into());
    }
    Ok(())
}
