//! The counting "connection pool" of doc 001 §2.8, under contention from 8 processes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use ipc_core::ObjectName;
use ipc_core::testing::{ChildBuilder, ChildContext, unique_test_name};
use ipc_sem::Semaphore;
use ipc_shm::{RegionAccess, SharedMemory};

use crate::support::{PATIENCE, Spawner, TestName};

const CAPACITY: u32 = 5;
const PROCESSES: usize = 8;
const ROUNDS: usize = 25;
/// Offsets in the shared counters region: connections in use now, and the most ever seen.
const IN_USE: usize = 0;
const MAX_SEEN: usize = 8;

#[test]
fn a_counting_pool_never_hands_out_more_than_its_capacity_across_eight_processes() {
    if let Some(ctx) = ChildContext::current() {
        let pool = Semaphore::open(&ObjectName::new(ctx.arg("pool").unwrap()).unwrap()).unwrap();
        let shm = SharedMemory::open(&ObjectName::new(ctx.arg("shm").unwrap()).unwrap()).unwrap();
        let in_use = shm.atomic_u32(IN_USE).unwrap();
        let max_seen = shm.atomic_u32(MAX_SEEN).unwrap();
        for _ in 0..ROUNDS {
            pool.wait_timeout(PATIENCE).unwrap();
            // AcqRel: the counter is the data under test; the semaphore orders the rest.
            let now = in_use.fetch_add(1, Ordering::AcqRel) + 1;
            max_seen.fetch_max(now, Ordering::AcqRel);
            std::thread::sleep(Duration::from_micros(500));
            in_use.fetch_sub(1, Ordering::AcqRel);
            pool.post().unwrap();
        }
        return;
    }
    let name = TestName::new("sem-pool");
    let sut = Semaphore::create_new(&name.name, CAPACITY).unwrap();
    let shm_name = ObjectName::new(&format!("/{}", unique_test_name("sem-pool-shm"))).unwrap();
    let shm = SharedMemory::create_new(&shm_name, 4096).unwrap();
    let spawner = Spawner::lock();
    let mut children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            spawner.spawn(
                ChildBuilder::new("client")
                    .arg("pool", name.name.as_str())
                    .arg("shm", shm_name.as_str()),
            )
        })
        .collect();
    drop(spawner);
    for child in &mut children {
        child.expect_success(PATIENCE);
    }
    let max_seen = shm.atomic_u32(MAX_SEEN).unwrap().load(Ordering::Acquire);
    assert!(
        (1..=CAPACITY).contains(&max_seen),
        "{max_seen} connections were in use at once"
    );
    assert_eq!(shm.atomic_u32(IN_USE).unwrap().load(Ordering::Acquire), 0);
    assert_eq!(
        sut.value().unwrap(),
        CAPACITY,
        "the pool is not whole again"
    );
}
