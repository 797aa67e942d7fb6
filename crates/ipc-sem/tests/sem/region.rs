//! Unnamed semaphores in a shared region, opened and validated by another process.

use ipc_core::testing::{ChildBuilder, ChildContext, unique_test_name};
use ipc_core::{ErrorKind, ObjectName};
use ipc_sem::RegionSemaphore;
use ipc_shm::{RegionAccess, SharedMemory};

use crate::support::{PATIENCE, Spawner};

const SEM_AT: usize = 64;
const DATA_AT: usize = 512;

#[test]
fn a_region_semaphore_posted_by_another_process_publishes_its_data() {
    if let Some(ctx) = ChildContext::current() {
        let shm = SharedMemory::open(&ObjectName::new(ctx.arg("shm").unwrap()).unwrap()).unwrap();
        let sut = RegionSemaphore::open(&shm, SEM_AT).unwrap();
        shm.write_at(DATA_AT, b"written before the post").unwrap();
        sut.post().unwrap();
        return;
    }
    let name = ObjectName::new(&format!("/{}", unique_test_name("sem-region"))).unwrap();
    let shm = SharedMemory::create_new(&name, 4096).unwrap();
    let sut = RegionSemaphore::init(&shm, SEM_AT, 0).unwrap();
    let mut child = Spawner::lock().spawn(ChildBuilder::new("poster").arg("shm", name.as_str()));
    sut.wait_timeout(PATIENCE).unwrap();
    let mut data = [0; 23];
    shm.read_at(DATA_AT, &mut data).unwrap();
    assert_eq!(&data, b"written before the post");
    child.expect_success(PATIENCE);
}

#[test]
fn a_region_semaphore_with_a_corrupted_tag_is_refused_as_corrupt() {
    let name = ObjectName::new(&format!("/{}", unique_test_name("sem-region-bad"))).unwrap();
    let shm = SharedMemory::create_new(&name, 4096).unwrap();
    RegionSemaphore::init(&shm, SEM_AT, 1).unwrap();
    shm.write_at(SEM_AT + 4, b"MTX1").unwrap();
    let err = RegionSemaphore::open(&shm, SEM_AT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert!(err.to_string().contains("tag"), "{err}");
}

#[test]
fn a_region_semaphore_is_not_opened_before_it_is_initialised_or_out_of_bounds() {
    let name = ObjectName::new(&format!("/{}", unique_test_name("sem-region-empty"))).unwrap();
    let shm = SharedMemory::create_new(&name, 4096).unwrap();
    let err = RegionSemaphore::open(&shm, SEM_AT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let err = RegionSemaphore::init(&shm, 4096 - 8, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = RegionSemaphore::init(&shm, 12, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}
