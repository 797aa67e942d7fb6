//! `set_nonblocking`: the plain calls stop sleeping, the bounded ones keep their meaning.

use std::time::Instant;

use ipc_core::ErrorKind;
use ipc_core::ObjectName;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_mq::{Access, Queue};

use crate::support::{PATIENCE, SHORT, Spawner, TestName, assert_waited, wait_until_blocked_in};

#[test]
fn set_nonblocking_shows_in_the_attributes_and_can_be_cleared() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    assert!(!sut.attributes().unwrap().is_nonblocking());
    sut.set_nonblocking(true).unwrap();
    assert!(sut.attributes().unwrap().is_nonblocking());
    sut.set_nonblocking(false).unwrap();
    assert!(!sut.attributes().unwrap().is_nonblocking());
}

#[test]
fn a_nonblocking_receive_on_an_empty_queue_is_would_block() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    sut.set_nonblocking(true).unwrap();
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    let err = sut.receive(&mut buffer).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
}

#[test]
fn a_nonblocking_send_on_a_full_queue_is_would_block() {
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(1)
        .create_new(&name.name)
        .unwrap();
    sut.set_nonblocking(true).unwrap();
    sut.send(b"fills it", 0).unwrap();
    assert_eq!(
        sut.send(b"no room", 0).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        sut.try_send(b"no room", 0).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn a_timed_send_on_a_nonblocking_full_queue_still_waits_its_timeout() {
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(1)
        .create_new(&name.name)
        .unwrap();
    sut.set_nonblocking(true).unwrap();
    sut.send(b"fills it", 0).unwrap();
    let start = Instant::now();
    let err = sut.send_timeout(b"no room", 0, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(start, SHORT);
}

#[test]
fn a_timed_receive_on_a_nonblocking_queue_waits_for_another_process_to_send() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::builder()
            .access(Access::ReceiveOnly)
            .open(&name)
            .unwrap();
        queue.set_nonblocking(true).unwrap();
        let mut buffer = vec![0; queue.attributes().unwrap().max_message_size()];
        let (len, priority) = queue.receive_timeout(&mut buffer, PATIENCE).unwrap();
        assert_eq!((&buffer[..len], priority), (&b"late"[..], 4));
        return;
    }
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("receiver").arg("queue", name.name.as_str()));
    drop(spawner);
    // The child's descriptor is non-blocking, so its timed receive waits in `poll`.
    wait_until_blocked_in(&child, libc::SYS_ppoll, PATIENCE);
    sut.send_timeout(b"late", 4, PATIENCE).unwrap();
    child.expect_success(PATIENCE);
}
