//! The reference's named semaphore used as a lock (doc 001, §2.8): `init_semaphore` creates
//! it holding 1, and `use_semaphore`, in three processes at once, waits, prints "In critical
//! section", and posts.
//!
//! The users are this program re-executed as `critical_section user <name>`; the creator
//! removes the semaphore when its handle drops.
//!
//! Run it with `cargo run -p ipc-sem --example critical_section`.

use std::process::Command;
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_sem::Semaphore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "user"
    {
        return use_semaphore(&ObjectName::new(name)?);
    }

    // init_semaphore: a binary semaphore, 1 = unlocked.
    let name = ObjectName::unique("critical-section-example")?;
    let sem = Semaphore::create_new(&name, 1)?;
    let users: Vec<_> = (0..3)
        .map(|_| {
            Command::new(std::env::current_exe()?)
                .arg("user")
                .arg(name.as_str())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    for mut user in users {
        let status = user.wait()?;
        if !status.success() {
            return Err(format!("a user failed: {status}").into());
        }
    }
    assert_eq!(sem.value()?, 1, "every user gave the lock back");
    println!("All users done; the semaphore is back at 1");
    Ok(())
}

/// use_semaphore: open the existing semaphore, lock, work, unlock.
fn use_semaphore(name: &ObjectName) -> Result<(), Box<dyn std::error::Error>> {
    let sem = Semaphore::open(name)?;
    sem.wait_timeout(Duration::from_secs(30))?;
    println!("In critical section (pid {})", std::process::id());
    std::thread::sleep(Duration::from_millis(20));
    sem.post()?;
    Ok(())
}
