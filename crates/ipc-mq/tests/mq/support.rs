//! What the tests share: bounds, the spawn lock, and test names for queues.

use std::time::{Duration, Instant};

use ipc_core::ObjectName;
use ipc_core::testing::unique_test_name;

/// A bound for things that do happen; generous, because the machine may be busy building.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// The timeout given to bounded calls that are expected to time out.
pub(crate) const SHORT: Duration = Duration::from_millis(200);

/// The spawn lock, shared by every test of this binary.
pub(crate) use ipc_core::testing::SpawnLock as Spawner;

/// A queue name for a test; on drop it removes the queue if a failed test left it.
#[derive(Debug)]
pub(crate) struct TestName {
    pub(crate) name: ObjectName,
}

impl TestName {
    pub(crate) fn new() -> Self {
        let name = ObjectName::new(&format!("/{}", unique_test_name("mq"))).unwrap();
        Self { name }
    }
}

impl Drop for TestName {
    fn drop(&mut self) {
        let _ = ipc_mq::Queue::unlink_name(&self.name);
    }
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
