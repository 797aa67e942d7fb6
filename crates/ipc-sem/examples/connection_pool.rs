//! The reference's counting semaphore as a resource pool (doc 001, §2.8): a pool of 5
//! connections shared by 8 processes; each acquires one, uses it, and gives it back, so at
//! most 5 are ever in use.
//!
//! The clients are this program re-executed as `connection_pool client <name>`; the pool's
//! creator removes the semaphore when its handle drops.
//!
//! Run it with `cargo run -p ipc-sem --example connection_pool`.

use std::process::Command;
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_sem::Semaphore;

const CONNECTIONS: u32 = 5;
const CLIENTS: usize = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "client"
    {
        return resource_pool(&ObjectName::new(name)?);
    }

    let name = ObjectName::unique("connection-pool-example")?;
    let pool = Semaphore::create_new(&name, CONNECTIONS)?;
    println!("Pool of {CONNECTIONS} connections for {CLIENTS} clients");
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            Command::new(std::env::current_exe()?)
                .arg("client")
                .arg(name.as_str())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    for mut client in clients {
        let status = client.wait()?;
        if !status.success() {
            return Err(format!("a client failed: {status}").into());
        }
    }
    println!("All clients done; {} connections free", pool.value()?);
    Ok(())
}

/// resource_pool: acquire a connection, use it, release it.
fn resource_pool(name: &ObjectName) -> Result<(), Box<dyn std::error::Error>> {
    let pool = Semaphore::open(name)?;
    pool.wait_timeout(Duration::from_secs(30))?;
    println!(
        "Connection acquired (pid {}, {} left)",
        std::process::id(),
        pool.value()?
    );
    std::thread::sleep(Duration::from_millis(50)); // use the resource
    pool.post()?;
    Ok(())
}
