//! A memfd handed to another program: the parent writes a payload, seals it against writes
//! (`F_SEAL_WRITE`) on top of the default `F_SEAL_SHRINK | F_SEAL_GROW`, and places the
//! descriptor at number 3 of a child (this example re-executed). The child checks what it
//! received (a memfd, sealed against shrinking and writing, large enough), maps it read-only,
//! prints the payload, and shows that the seals hold against it: `ftruncate` and a writable
//! mapping are refused.
//!
//! Run it with `cargo run -p ipc-shm --example memfd_handoff`.

use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Command;

use ipc_shm::{Memfd, RegionAccess, Seals};

/// The descriptor number the child finds the memfd at.
const MEMFD_FD: i32 = 3;

const PAYLOAD: &[u8] = b"Frozen payload from the parent";

/// Takes ownership of the descriptor the parent placed at [`MEMFD_FD`].
#[allow(
    unsafe_code,
    reason = "a child must claim the raw descriptor number it inherited"
)]
fn take_memfd() -> OwnedFd {
    // SAFETY: the parent placed the memfd at MEMFD_FD for this process (main runs this only
    // with --child), and nothing else in this program owns that number.
    unsafe { OwnedFd::from_raw_fd(MEMFD_FD) }
}

fn child(len: usize) -> Result<(), Box<dyn std::error::Error>> {
    let memfd = Memfd::foreign(take_memfd())
        .min_len(len)
        .require_seals(Seals::WRITE)
        .open()?;
    println!(
        "Child received a memfd of {} bytes, seals: {}",
        memfd.len(),
        memfd.seals()?
    );
    let mut payload = vec![0u8; len];
    memfd.map_read_only()?.read_at(0, &mut payload)?;
    println!("Child read: {}", String::from_utf8_lossy(&payload));

    match rustix::fs::ftruncate(&memfd, 0) {
        Ok(()) => return Err("ftruncate succeeded on a sealed memfd".into()),
        Err(errno) => println!("Child's ftruncate refused: {}", std::io::Error::from(errno)),
    }
    match memfd.map() {
        Ok(_) => return Err("a write-sealed memfd was mapped writable".into()),
        Err(err) => println!("Child's writable mapping refused: {err}"),
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--child") {
        let len = args.next().ok_or("--child needs a length")?.parse()?;
        return child(len);
    }

    let memfd = Memfd::create("payload", 4096)?;
    let region = memfd.map()?;
    region.write_at(0, PAYLOAD)?;
    drop(region); // F_SEAL_WRITE is refused while a writable mapping exists
    memfd.seal_write()?;
    println!("Parent sealed the memfd: {}", memfd.seals()?);

    let mut command = Command::new(std::env::current_exe()?);
    command.arg("--child").arg(PAYLOAD.len().to_string());
    // A duplicate goes to the child; the parent keeps its own handle.
    let mut child = ipc_core::ChildFds::new()
        .place(memfd.try_clone()?, MEMFD_FD)?
        .spawn(command)?;
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    Ok(())
}
