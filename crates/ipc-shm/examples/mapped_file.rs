//! The reference's mapped-file program (§2.7): the parent creates a 4096-byte file, writes
//! "Hello from mmap!" through a shared mapping and flushes it (`msync`); a second process (this
//! example re-executed) maps the file read-only and prints what it finds. The parent's handle
//! created the file, so dropping it removes the file.
//!
//! Run it with `cargo run -p ipc-shm --example mapped_file`.

use std::path::PathBuf;
use std::process::Command;

use ipc_shm::{MappedFile, RegionAccess};

const MESSAGE: &[u8] = b"Hello from mmap!";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() == Some("--read".as_ref()) {
        let path = PathBuf::from(args.next().ok_or("--read needs a path")?);
        let region = MappedFile::open_read_only(&path)?;
        let mut content = vec![0u8; MESSAGE.len()];
        region.read_at(0, &mut content)?;
        println!("Content: {}", String::from_utf8_lossy(&content));
        return Ok(());
    }

    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-shm-example-mmap"));
    let file = MappedFile::create_new(&path, 4096)?;
    file.write_at(0, MESSAGE)?;
    file.flush()?;
    println!("Wrote {} bytes to {}", MESSAGE.len(), path.display());

    let status = Command::new(std::env::current_exe()?)
        .arg("--read")
        .arg(&path)
        .status()?;
    drop(file); // the creator removes the file
    if !status.success() {
        return Err(format!("reader failed: {status}").into());
    }
    Ok(())
}
