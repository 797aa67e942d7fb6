//! The reference's anonymous-pipe program: the parent writes "Hello from parent!" into a pipe
//! and the child prints what it received.
//!
//! Instead of `fork()`, the parent re-executes this program as the child and hands it the read
//! end of the pipe as its stdin; the parent drops its copy of the read end, the child never
//! has the write end, so end of input arrives when the parent closes its writer.
//!
//! Run it with `cargo run -p ipc-pipe --example parent_to_child`.

use std::io::Read;
use std::process::{Command, Stdio};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("--child") {
        // Child: read from the pipe (our stdin) until the parent closes its end.
        let mut received = String::new();
        std::io::stdin().read_to_string(&mut received)?;
        println!("Child received: {received}");
        return Ok(());
    }

    // Parent: make the pipe, give the read end to the child, write, close, wait.
    let (reader, writer) = ipc_pipe::pipe()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child")
        .stdin(Stdio::from(reader))
        .spawn()?;
    writer.write_all(b"Hello from parent!")?;
    drop(writer);
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    Ok(())
}
