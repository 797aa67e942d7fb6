//! The reference's "Shared Memory with Synchronization": a `struct { pthread_mutex_t mutex;
//! int counter; }` in shared memory, initialised once by the creator and used by any process.
//!
//! Here the object is a POSIX shm region with a layout header; its payload holds a robust,
//! process-shared `Mutex<u64>` guarding the counter. The parent initialises both inside
//! `Header::init` (so an opener sees them only once they are complete), re-executes this program
//! twice as `shm_mutex child <name>`, and all three processes add one to the counter
//! `ROUNDS` times each, under the lock. The final count must be `3 * ROUNDS`.
//!
//! Run it with `cargo run -p ipc-shm --example shm_mutex`.

use std::process::Command;
use std::sync::Arc;

use ipc_core::ObjectName;
use ipc_shm::SharedMemory;
use ipc_shm::header::{HEADER_LEN, Header, Layout};
use ipc_shm::sync::{LockError, Mutex};

/// Increments per process.
const ROUNDS: u64 = 10_000;

/// The payload: the counter's mutex, at the start of the payload.
const COUNTER: Layout = Layout::new(
    u64::from_ne_bytes(*b"shmmutex"),
    1,
    Mutex::<SharedMemory, u64>::FOOTPRINT,
);

fn increment(mutex: &Mutex<SharedMemory, u64>) -> Result<(), ipc_core::Error> {
    for _ in 0..ROUNDS {
        let guard = match mutex.lock() {
            Ok(guard) => guard,
            // A process died holding the lock (none is killed in this example). The counter
            // may then be one behind, or, where copies are atomic only per byte (they are one
            // 8-byte store on x86-64), torn; a lone counter has nothing to be repaired from,
            // so this example takes it as it is. Real data keeps what a repair needs (a
            // checksum, a second copy, a log) and repairs before `mark_consistent`.
            Err(LockError::OwnerDied(died)) => {
                let mut guard = died.into_guard();
                guard.mark_consistent()?;
                guard
            }
            Err(LockError::Failed(err)) => return Err(err),
        };
        guard.update(|counter| *counter += 1);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, name] = args.as_slice()
        && role == "child"
    {
        // Child: open the object by name, validate the header, open the mutex, count.
        let shm = Arc::new(SharedMemory::open(&ObjectName::new(name)?)?);
        let header = Header::open(&*shm, COUNTER)?;
        let mutex = Mutex::<_, u64>::open(&shm, header.payload_offset())?;
        increment(&mutex)?;
        println!("child {}: added {ROUNDS}", std::process::id());
        return Ok(());
    }

    // Parent: create the object, initialise the header and the mutex once.
    let name = ObjectName::unique("shm-mutex-example")?;
    // In an `Arc`: each `Mutex` keeps a reference to its region, so that the region stays
    // mapped while a lock taken through it may be held.
    let shm = Arc::new(SharedMemory::create_new(&name, HEADER_LEN + COUNTER.len())?);
    let header = Header::init(&*shm, COUNTER, |_, payload| {
        Mutex::init(&shm, payload, 0_u64).map(drop)
    })?;
    let mutex = Mutex::<_, u64>::open(&shm, header.payload_offset())?;

    let children = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe()?)
                .arg("child")
                .arg(name.as_str())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    increment(&mutex)?;
    println!("parent {}: added {ROUNDS}", std::process::id());
    for mut child in children {
        let status = child.wait()?;
        if !status.success() {
            return Err(format!("child failed: {status}").into());
        }
    }

    // `LockError` borrows the mutex; `into_error` turns it into an owned error (an owner-died
    // guard is dropped unrepaired, which leaves the mutex not recoverable).
    let count = mutex.lock().map_err(LockError::into_error)?.get();
    println!("final count: {count} (3 processes x {ROUNDS})");
    if count != 3 * ROUNDS {
        return Err(format!("expected {}, counted {count}", 3 * ROUNDS).into());
    }
    drop(mutex); // releases its reference to the region
    drop(shm); // the last reference: the creator unlinks the name
    println!("unlinked {name}");
    Ok(())
}
