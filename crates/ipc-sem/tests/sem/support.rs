//! What the tests share: bounds, the spawn lock, and test names for semaphores.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ipc_core::ObjectName;
use ipc_core::testing::unique_test_name;

/// A bound for things that do happen; generous, because the machine may be busy building.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// The timeout given to bounded waits that are expected to time out.
pub(crate) const SHORT: Duration = Duration::from_millis(200);

/// The spawn lock, shared by every test of this binary.
pub(crate) use ipc_core::testing::SpawnLock as Spawner;

/// A semaphore name for a test. On drop it removes the semaphore's file if a failed test left
/// it, since the workspace's leak sweep looks for the test prefix at the start of a name in
/// `/dev/shm`, and a named semaphore's file starts with `sem.`.
#[derive(Debug)]
pub(crate) struct TestName {
    pub(crate) name: ObjectName,
}

impl TestName {
    pub(crate) fn new(kind: &str) -> Self {
        let name = ObjectName::new(&format!("/{}", unique_test_name(kind))).unwrap();
        Self { name }
    }

    /// The semaphore's file: `/dev/shm/sem.<name without slash>`.
    pub(crate) fn path(&self) -> PathBuf {
        sem_path(&self.name)
    }
}

impl Drop for TestName {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.path());
    }
}

/// The file of the named semaphore `name`.
pub(crate) fn sem_path(name: &ObjectName) -> PathBuf {
    PathBuf::from(format!("/dev/shm/sem.{}", &name.as_str()[1..]))
}

/// Asserts that a bounded call begun at `start` gave up no sooner than `timeout`.
#[track_caller]
pub(crate) fn assert_waited(start: Instant, timeout: Duration) {
    let waited = start.elapsed();
    assert!(
        waited >= timeout,
        "gave up after {waited:?}, before {timeout:?}"
    );
}

/// Parks a child role until the parent kills it.
pub(crate) fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}
