//! Record locks on byte ranges: two processes lock different ranges of one file at the same
//! time, then one asks for a range overlapping the other's; `holder()` tells it who is in the
//! way (by pid, for these process-associated locks), and it gets the range once the other
//! unlocks.
//!
//! Run it with `cargo run -p ipc-shm --example record_locks`.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use ipc_shm::lock::{ByteRange, LockMode, ProcessLock};

const PARENT_RANGE: ByteRange = ByteRange::new(0, 100);
const CHILD_RANGE: ByteRange = ByteRange::new(100, 100);
const OVERLAP: ByteRange = ByteRange::new(50, 100);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--child") {
        let path = args.next().ok_or("the child needs the file's path")?;
        return child(&path);
    }
    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-rs-example-record-locks"));
    let result = parent(&path);
    std::fs::remove_file(&path)?;
    result
}

fn parent(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let file = OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(path)?;
    file.set_len(200)?;
    let guard = ProcessLock::lock(&file, PARENT_RANGE, LockMode::Exclusive)?;
    println!("parent (pid {}): locked {PARENT_RANGE}", std::process::id());

    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no child stdout")?).lines();
    // The child reports its own range, then that it waits for the overlap.
    for _ in 0..3 {
        println!("{}", lines.next().ok_or("the child stopped talking")??);
    }
    file.write_all_at(&[b'P'; 100], 0)?;
    let holder = ProcessLock::holder(&file, CHILD_RANGE, LockMode::Shared)?
        .ok_or("the child's range should be locked")?;
    println!(
        "parent: {CHILD_RANGE} is held {:?} by pid {:?} (the child is pid {})",
        holder.mode(),
        holder.pid(),
        child.id()
    );
    guard.unlock()?;
    println!("parent: unlocked {PARENT_RANGE}");
    for line in lines {
        println!("{}", line?);
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    Ok(())
}

fn child(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    let mut out = std::io::stdout();
    let pid = std::process::id();
    // A different range: no conflict with the parent's, both are held at once.
    let _mine = ProcessLock::try_lock(&file, CHILD_RANGE, LockMode::Exclusive)?;
    file.write_all_at(&[b'C'; 100], 100)?;
    writeln!(
        out,
        "child (pid {pid}): locked {CHILD_RANGE} while the parent holds {PARENT_RANGE}"
    )?;
    // An overlapping range: the parent is in the way.
    let err = ProcessLock::try_lock(&file, OVERLAP, LockMode::Exclusive)
        .err()
        .ok_or("the overlap should be held by the parent")?;
    let holder = ProcessLock::holder(&file, OVERLAP, LockMode::Exclusive)?
        .ok_or("holder() should name the parent")?;
    writeln!(
        out,
        "child: try_lock({OVERLAP}) failed ({}); holder() says {} is held {:?} by pid {:?}",
        err.kind(),
        holder.range(),
        holder.mode(),
        holder.pid()
    )?;
    writeln!(out, "child: waiting for {OVERLAP}")?;
    out.flush()?;
    let _overlap =
        ProcessLock::lock_timeout(&file, OVERLAP, LockMode::Exclusive, Duration::from_secs(30))?;
    let mut seen = [0_u8; 100];
    file.read_exact_at(&mut seen, 50)?;
    writeln!(
        out,
        "child: got {OVERLAP} once the parent unlocked; it reads {}",
        String::from_utf8_lossy(&seen[45..55])
    )?;
    Ok(())
}
