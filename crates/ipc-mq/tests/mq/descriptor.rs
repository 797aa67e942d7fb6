//! The queue as a descriptor: handed to another process, taken back with `from_fd`.

use std::os::fd::OwnedFd;

use ipc_core::ErrorKind;
use ipc_core::ObjectName;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_mq::{Access, Queue};

use crate::support::{PATIENCE, Spawner, TestName, receive_within};

/// The descriptor number the child finds its queue at.
const QUEUE_FD: i32 = 10;

#[test]
fn a_queue_descriptor_inherited_by_another_process_becomes_a_queue_with_from_fd() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::from_fd(ctx.take_fd(QUEUE_FD), name).unwrap();
        assert_eq!(queue.access(), Access::SendOnly);
        assert!(!queue.was_created());
        queue.send(b"through an inherited descriptor", 6).unwrap();
        return;
    }
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let sender = Queue::builder()
        .access(Access::SendOnly)
        .open(&name.name)
        .unwrap();
    let fd = OwnedFd::from(sender);
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(
        ChildBuilder::new("inheritor")
            .arg("queue", name.name.as_str())
            .inherit_fd(&fd, QUEUE_FD),
    );
    drop(spawner);
    child.expect_success(PATIENCE);
    let message = receive_within(&sut);
    assert_eq!(
        (message.bytes.as_slice(), message.priority),
        (&b"through an inherited descriptor"[..], 6)
    );
}

#[test]
fn converting_a_creator_to_a_descriptor_removes_the_name_unless_persisted() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let fd = OwnedFd::from(sut);
    assert_eq!(
        Queue::open(&name.name).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let queue = Queue::from_fd(fd, name.name.clone()).unwrap();
    queue.try_send(b"still open", 0).unwrap();

    let mut sut = Queue::create_new(&name.name).unwrap();
    sut.persist();
    let _fd = OwnedFd::from(sut);
    Queue::open(&name.name).unwrap();
}

#[test]
fn from_fd_refuses_a_descriptor_that_is_not_a_queue() {
    let name = TestName::new();
    let file = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
    let err = Queue::from_fd(file, name.name.clone()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongObjectType);
    assert_eq!(err.operation(), "mq_getattr");
}
