//! The reference's file-lock program (§2.9 "Files"): lock a file exclusively with `flock`,
//! write "Locked write\n", unlock. A second process (this program re-executed) wants the lock
//! meanwhile: it finds it held, waits, and gets it once the parent unlocks; the order of events
//! is printed as it happens.
//!
//! Run it with `cargo run -p ipc-shm --example file_lock`.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use ipc_shm::lock::{Flock, LockMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--child") {
        let path = args.next().ok_or("the child needs the file's path")?;
        return child(&path);
    }

    // Open (create) a file with a unique name in the temporary directory.
    let path = std::env::temp_dir().join(ipc_core::unique_name("ipc-rs-example-file-lock"));
    let result = parent(&path);
    std::fs::remove_file(&path)?;
    result
}

fn parent(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let file = OpenOptions::new()
        .create_new(true)
        .read(true)
        .append(true)
        .open(path)?;
    let guard = Flock::lock(&file, LockMode::Exclusive)?;
    println!("1. parent: locked {} exclusively", path.display());

    let mut child = Command::new(std::env::current_exe()?)
        .arg("--child")
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no child stdout")?).lines();
    // Wait until the child has seen the lock held, so the order below is certain.
    let line = lines.next().ok_or("the child said nothing")??;
    println!("{line}");

    let mut writer: &std::fs::File = guard.get_ref();
    writer.write_all(b"Locked write\n")?;
    println!("3. parent: wrote \"Locked write\" under the lock");
    guard.unlock()?;
    println!("4. parent: unlocked");

    for line in lines {
        println!("{}", line?);
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    let contents = std::fs::read_to_string(path)?;
    print!("7. parent: the file now holds:\n{contents}");
    if contents != "Locked write\nChild write\n" {
        return Err("the writes came in the wrong order".into());
    }
    Ok(())
}

fn child(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let file = OpenOptions::new().read(true).append(true).open(path)?;
    let mut out = std::io::stdout();
    match Flock::try_lock(&file, LockMode::Exclusive) {
        Err(err) if err.is_would_block() => {
            writeln!(out, "2. child:  the lock is held ({err}); waiting")?;
        }
        Err(err) => return Err(err.into()),
        Ok(_) => return Err("the child got the lock while the parent held it".into()),
    }
    out.flush()?;
    // A bounded wait, so a broken parent cannot hang the example.
    let guard = Flock::lock_timeout(&file, LockMode::Exclusive, Duration::from_secs(30))?;
    writeln!(out, "5. child:  got the lock after the parent unlocked")?;
    let mut writer: &std::fs::File = guard.get_ref();
    writer.write_all(b"Child write\n")?;
    writeln!(out, "6. child:  wrote \"Child write\" and unlocks on drop")?;
    Ok(())
}
