//! What a process that dies leaves behind: POSIX semaphores have no undo.

use ipc_core::ErrorKind;
use ipc_core::ObjectName;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sem::Semaphore;

use crate::support::{PATIENCE, SHORT, Spawner, TestName, park_forever};

#[test]
fn a_count_taken_by_a_killed_holder_is_not_given_back() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("name").unwrap()).unwrap();
        let sut = Semaphore::open(&name).unwrap();
        sut.wait_timeout(PATIENCE).unwrap();
        ctx.report("holding");
        park_forever();
    }
    let name = TestName::new("sem-killed-holder");
    let sut = Semaphore::create_new(&name.name, 1).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("holder").arg("name", name.name.as_str()));
    child.expect_report("holding", PATIENCE);
    child.kill();
    assert_eq!(sut.value().unwrap(), 0);
    let err = sut.wait_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn a_waiter_killed_while_blocked_takes_nothing_and_wedges_nothing() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("name").unwrap()).unwrap();
        let sut = Semaphore::open(&name).unwrap();
        ctx.report("waiting");
        sut.wait().unwrap();
        ctx.report("woke");
        park_forever();
    }
    let name = TestName::new("sem-killed-waiter");
    let sut = Semaphore::create_new(&name.name, 0).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("waiter").arg("name", name.name.as_str()));
    child.expect_report("waiting", PATIENCE);
    // Whether or not it has reached sem_wait yet, it cannot take a count that is not there.
    child.kill();
    sut.post().unwrap();
    sut.wait_timeout(PATIENCE).unwrap();
    sut.post().unwrap();
    assert_eq!(sut.value().unwrap(), 1);
}
