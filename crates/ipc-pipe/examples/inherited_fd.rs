//! The reference's parent-to-child program with the pipe end passed as an inherited descriptor
//! (not as stdin): the child finds the read end at descriptor 3, the way a forked child finds
//! `pipefd[0]`.
//!
//! Run it with `cargo run -p ipc-pipe --example inherited_fd`.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Command;

/// The descriptor number the child finds the read end at.
const READ_END: i32 = 3;

/// Takes ownership of the descriptor the parent placed at [`READ_END`].
#[allow(
    unsafe_code,
    reason = "a child must claim the raw descriptor number it inherited"
)]
fn take_read_end() -> OwnedFd {
    // SAFETY: the parent placed the pipe's read end at READ_END for this process (main runs
    // this only with --child), and nothing else in this program owns that number.
    unsafe { OwnedFd::from_raw_fd(READ_END) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("--child") {
        let mut reader = ipc_pipe::Reader::from(take_read_end());
        let mut received = String::new();
        reader.read_to_string(&mut received)?;
        println!("Child received: {received}");
        return Ok(());
    }

    let (reader, writer) = ipc_pipe::pipe()?;
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("--child");
    // The parent's copy of the read end is closed once the child has started.
    let mut child = ipc_core::ChildFds::new()
        .place(reader, READ_END)?
        .spawn(command)?;
    writer.write_all(b"Hello from parent!")?;
    drop(writer);
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    Ok(())
}
