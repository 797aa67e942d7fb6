//! The reference's FIFO program: a child process writes "Hello via FIFO!" into a named pipe
//! and the parent reads it, then the FIFO is removed.
//!
//! The child is this program re-executed with the FIFO's path; it is unrelated to the parent
//! as far as the FIFO is concerned: it finds the pipe by its name alone.
//!
//! Run it with `cargo run -p ipc-pipe --example fifo`.

use std::io::Read;
use std::process::Command;

use ipc_pipe::Fifo;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--child") {
        // Child: open the FIFO for writing by its path (blocks until the reader is there).
        let path = args.next().ok_or("the child needs the FIFO's path")?;
        let writer = Fifo::open(path)?.open_writer()?;
        writer.write_all(b"Hello via FIFO!")?;
        return Ok(());
    }

    // Parent: create the FIFO (mode 0o600), start the writer, read, and remove the FIFO.
    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-rs-example-fifo"));
    let fifo = Fifo::create_new(&path)?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(fifo.path())
        .spawn()?;
    let mut reader = fifo.open_reader()?;
    let mut received = String::new();
    reader.read_to_string(&mut received)?;
    println!("Received: {received}");
    let status = child.wait()?;
    drop(fifo); // the creator removes the node
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    if path.exists() {
        return Err("the FIFO was not removed".into());
    }
    Ok(())
}
