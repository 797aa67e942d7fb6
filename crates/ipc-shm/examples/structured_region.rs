//! A structured region: a layout header, then a counter and a message.
//!
//! The creator maps a temporary file, initialises the header and the payload once, and
//! re-executes this program as a child that maps the same file, opens the header (which
//! validates every field against the layout it expects), prints who created the region and
//! whether that process is alive, reads the message and bumps the counter. The child also
//! opens the header through a read-only mapping of the same file, which validates the same
//! way, and shows what an opener expecting another layout is told.
//!
//! The region is a small `SharedRegion` over a mapped file written here, so the example needs
//! nothing but the header; any region of this crate would do the same.
//!
//! Run it with `cargo run -p ipc-shm --example structured_region`.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ipc_core::{Object, SharedRegion};
use ipc_shm::header::{Header, Layout};
use ipc_shm::{MappedFile, RegionAccess};
use memmap2::MmapRaw;

/// The payload: a `u64` counter, then a 64-byte message.
const GREETING: Layout = Layout::new(u64::from_ne_bytes(*b"greeting"), 1, 8 + 64);

/// A shared, writable mapping of a whole file.
struct FileRegion {
    map: MmapRaw,
    path: PathBuf,
}

impl FileRegion {
    fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Self {
            map: MmapRaw::map_raw(&file)?,
            path: path.to_owned(),
        })
    }
}

// SAFETY: `MmapRaw` maps the whole file shared, readable and writable, at a page-aligned
// address fixed until it drops; the file is 4096 bytes and nothing truncates it while the
// example runs, so the length never changes and no access can fault.
#[allow(unsafe_code, reason = "a region states the SharedRegion contract")]
unsafe impl SharedRegion for FileRegion {
    fn as_ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn object(&self) -> Option<Object> {
        Some(Object::from(self.path.as_path()))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--child") {
        let path = PathBuf::from(args.next().ok_or("--child needs the region's path")?);
        return child(&path);
    }

    // Creator: a 4096-byte file, removed when `file` drops.
    let file = tempfile::Builder::new()
        .prefix("ipc-shm-example-")
        .tempfile()?;
    file.as_file().set_len(4096)?;
    let region = FileRegion::open(file.path())?;
    let header = Header::init(&region, GREETING, |region, payload| {
        region.atomic_u64(payload)?.store(1, Ordering::Relaxed);
        let mut message = [0u8; 64];
        let text = b"hello from the creator";
        message[..text.len()].copy_from_slice(text);
        region.write_at(payload + 8, &message)
    })?;
    println!(
        "creator (pid {}): initialised a {}-byte payload at offset {}",
        std::process::id(),
        header.payload_len(),
        header.payload_offset()
    );

    let status = Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(file.path())
        .status()?;
    if !status.success() {
        return Err(format!("the child failed: {status}").into());
    }
    let counter = region
        .atomic_u64(header.payload_offset())?
        .load(Ordering::Relaxed);
    println!("creator: the counter is now {counter}");
    if counter != 2 {
        return Err(format!("expected the child to bump the counter to 2, got {counter}").into());
    }
    Ok(())
}

/// The opener: validate, report the creator, read the payload, bump the counter.
fn child(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let region = FileRegion::open(path)?;
    let header = Header::open_timeout(&region, GREETING, Duration::from_secs(10))?;
    let creator = header.creator();
    println!(
        "child (pid {}): header valid; created by pid {}, which is {:?}",
        std::process::id(),
        creator.pid(),
        creator.liveness()
    );
    let mut message = [0u8; 64];
    region.read_at(header.payload_offset() + 8, &mut message)?;
    let text = String::from_utf8_lossy(&message);
    println!("child: the message is {:?}", text.trim_end_matches('\0'));
    let counter = region.atomic_u64(header.payload_offset())?;
    counter.fetch_add(1, Ordering::Relaxed);

    // A process that may only read maps the file read-only and validates the same header.
    let reader = MappedFile::open_read_only(path)?;
    let read_only = Header::open_read_only(&reader, GREETING)?;
    let mut again = [0u8; 64];
    reader.read_at(read_only.payload_offset() + 8, &mut again)?;
    if again != message {
        return Err("the read-only mapping shows another message".into());
    }
    println!(
        "child: a read-only mapping validates the header too (created by pid {})",
        read_only.creator().pid()
    );

    let other = Layout::new(u64::from_ne_bytes(*b"metrics!"), 1, 8 + 64);
    match Header::open(&region, other) {
        Ok(_) => return Err("a region of another layout was accepted".into()),
        Err(err) => println!("child: an opener expecting another layout is told: {err}"),
    }
    Ok(())
}
