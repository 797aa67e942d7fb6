//! The reference's "child signals parent" (doc 000, POSIX Semaphores): the parent creates a
//! named semaphore holding 0 and waits on it; the child does its work and posts.
//!
//! Instead of `fork`, the parent re-executes this program as `child_signals_parent child
//! <name>`. The name is unique (`ObjectName::unique`), so runs never collide, and the parent,
//! which created the semaphore, removes it when its handle drops.
//!
//! Run it with `cargo run -p ipc-sem --example child_signals_parent`.

use std::process::Command;
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_sem::Semaphore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "child"
    {
        let sem = Semaphore::open(&ObjectName::new(name)?)?;
        println!("Child: doing work...");
        std::thread::sleep(Duration::from_millis(100));
        println!("Child: signaling parent");
        sem.post()?;
        return Ok(());
    }

    let name = ObjectName::unique("child-signals-parent-example")?;
    let sem = Semaphore::create_new(&name, 0)?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("child")
        .arg(name.as_str())
        .spawn()?;
    println!("Parent: waiting for signal...");
    // Bounded, so a child that fails cannot hang the parent.
    let waited = sem.wait_timeout(Duration::from_secs(30));
    let status = child.wait()?;
    waited?;
    println!("Parent: received signal!");
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }
    Ok(())
}
