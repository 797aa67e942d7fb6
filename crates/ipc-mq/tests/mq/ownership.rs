//! Who removes a queue: the creator on drop unless persisted, never an opener.

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, ObjectName};
use ipc_mq::Queue;

use crate::support::{PATIENCE, Spawner, TestName, receive_within};

#[test]
fn dropping_the_creator_removes_the_queue() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    assert!(sut.was_created());
    drop(sut);
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn the_creators_drop_leaves_a_queue_made_since_under_its_name() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    Queue::unlink_name(&name.name).unwrap();
    let successor = Queue::create_new(&name.name).unwrap();
    successor.try_send(b"mine", 0).unwrap();
    drop(sut);
    let reopened = Queue::open(&name.name).unwrap();
    assert_eq!(receive_within(&reopened).bytes, b"mine");
    drop(successor);
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn a_persisted_queue_outlives_its_creator_until_unlinked() {
    let name = TestName::new();
    let mut sut = Queue::create_new(&name.name).unwrap();
    sut.try_send(b"kept", 4).unwrap();
    sut.persist();
    drop(sut);
    let reopened = Queue::open(&name.name).unwrap();
    assert!(!reopened.was_created());
    assert_eq!(receive_within(&reopened).bytes, b"kept");
    Queue::unlink_name(&name.name).unwrap();
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn an_early_unlink_leaves_the_handle_working_and_the_drop_quiet() {
    let name = TestName::new();
    let mut sut = Queue::create_new(&name.name).unwrap();
    sut.unlink().unwrap();
    sut.try_send(b"after", 0).unwrap();
    assert_eq!(receive_within(&sut).bytes, b"after");
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(sut.unlink().unwrap_err().kind(), ErrorKind::NotFound);
    // A new queue under the same name is not the old handle's to remove.
    let successor = Queue::create_new(&name.name).unwrap();
    drop(sut);
    assert!(Queue::open(&name.name).is_ok());
    drop(successor);
}

#[test]
fn unlink_leaves_a_queue_made_since_under_its_name_and_says_so() {
    let name = TestName::new();
    let mut sut = Queue::create_new(&name.name).unwrap();
    Queue::unlink_name(&name.name).unwrap();
    let successor = Queue::create_new(&name.name).unwrap();
    successor.try_send(b"mine", 0).unwrap();

    let err = sut.unlink().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongObjectType);
    assert_eq!(err.operation(), "mq_unlink");
    assert!(err.to_string().contains(name.name.as_str()), "{err}");
    // The handle stays usable, and the successor keeps its name and its message.
    sut.try_send(b"old", 1).unwrap();
    assert_eq!(receive_within(&sut).bytes, b"old");
    let reopened = Queue::open(&name.name).unwrap();
    assert_eq!(receive_within(&reopened).bytes, b"mine");
    drop(successor);
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn an_opener_may_unlink_the_queue_it_opened() {
    let name = TestName::new();
    let made = Queue::create_new(&name.name).unwrap();
    let mut sut = Queue::open(&name.name).unwrap();
    sut.unlink().unwrap();
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    made.try_send(b"shared", 0).unwrap();
    assert_eq!(receive_within(&sut).bytes, b"shared");
}

#[test]
fn open_or_create_creates_once_and_opens_after() {
    let name = TestName::new();
    let sut = Queue::open_or_create(&name.name).unwrap();
    let second = Queue::open_or_create(&name.name).unwrap();
    assert!(sut.was_created());
    assert!(!second.was_created());
    drop(second);
    assert!(
        Queue::open(&name.name).is_ok(),
        "an opener removed the queue"
    );
}

#[test]
fn an_opener_in_another_process_never_removes_the_queue() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::open(&name).unwrap();
        queue.send(b"from child", 2).unwrap();
        return;
    }
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("opener").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_success(PATIENCE);
    assert!(Queue::open(&name.name).is_ok());
    assert_eq!(receive_within(&sut).bytes, b"from child");
}

#[test]
fn the_descriptor_is_close_on_exec() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let flags = rustix::io::fcntl_getfd(&sut).unwrap();
    assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
}
