//! Zero-copy through a pipe, as the reference recommends ("splice() for pipes"): a file is
//! moved into a pipe and from the pipe into another file without passing through a user-space
//! buffer, and `tee` duplicates the stream into a second pipe on the way.
//!
//! Run it with `cargo run -p ipc-pipe --example zero_copy`.

use std::io::{Read, Seek, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut source = tempfile::tempfile()?;
    source.write_all(&payload)?;
    source.rewind()?;
    let mut destination = tempfile::tempfile()?;

    let (reader, writer) = ipc_pipe::pipe()?;
    let (copy_reader, copy_writer) = ipc_pipe::pipe()?;
    copy_writer.set_capacity(1 << 20)?;
    let mut copied = Vec::new();
    let mut moved = 0;
    loop {
        let into_pipe = writer.splice_from(&source, 64 * 1024)?;
        if into_pipe == 0 {
            break;
        }
        // Copy what is in the pipe into the second pipe without consuming it …
        let teed = reader.tee_to(&copy_writer, into_pipe)?;
        let mut chunk = vec![0; teed];
        let mut got = 0;
        while got < teed {
            got += copy_reader.read(&mut chunk[got..])?;
        }
        copied.extend_from_slice(&chunk);
        // … then move it on to the destination file.
        let mut left = into_pipe;
        while left > 0 {
            left -= reader.splice_to(&destination, left)?;
        }
        moved += into_pipe;
    }
    destination.rewind()?;
    let mut written = Vec::new();
    destination.read_to_end(&mut written)?;
    println!("moved {moved} bytes by splice, {} by tee", copied.len());
    if written != payload || copied != payload {
        return Err("the data changed on the way".into());
    }
    Ok(())
}
