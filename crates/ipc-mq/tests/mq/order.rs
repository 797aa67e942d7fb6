//! Delivery order across processes: highest priority first, first in first out within one.

use ipc_core::ObjectName;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_mq::{Access, Queue};

use crate::support::{PATIENCE, Spawner, TestName, wait_until_blocked_in};

/// What the sender child sends, in this order: (priority, payload).
const SENT: [(u32, &str); 7] = [
    (1, "low-a"),
    (5, "mid-a"),
    (32767, "top"),
    (1, "low-b"),
    (5, "mid-b"),
    (0, "zero"),
    (5, "mid-c"),
];

#[test]
fn a_receiver_gets_the_highest_priority_first_and_fifo_within_a_priority() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::builder()
            .access(Access::SendOnly)
            .open(&name)
            .unwrap();
        for (priority, payload) in SENT {
            queue.send(payload.as_bytes(), priority).unwrap();
        }
        ctx.report("sent");
        return;
    }
    let name = TestName::new();
    let sut = Queue::builder()
        .access(Access::ReceiveOnly)
        .create_new(&name.name)
        .unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("sender").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("sent", PATIENCE);
    child.expect_success(PATIENCE);

    let mut expected: Vec<(u32, &str)> = SENT.to_vec();
    // A stable sort keeps the sending order within a priority.
    expected.sort_by_key(|&(priority, _)| std::cmp::Reverse(priority));
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    let mut received = Vec::new();
    for _ in 0..SENT.len() {
        let (len, priority) = sut.receive_timeout(&mut buffer, PATIENCE).unwrap();
        received.push((priority, String::from_utf8(buffer[..len].to_vec()).unwrap()));
    }
    let expected: Vec<(u32, String)> = expected
        .into_iter()
        .map(|(priority, payload)| (priority, payload.to_owned()))
        .collect();
    assert_eq!(received, expected);
    assert_eq!(sut.attributes().unwrap().current_messages(), 0);
}

#[test]
fn a_blocked_receiver_wakes_when_another_process_sends() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::builder()
            .access(Access::ReceiveOnly)
            .open(&name)
            .unwrap();
        ctx.report("ready");
        let message = queue.receive_vec().unwrap();
        assert_eq!(
            (message.bytes.as_slice(), message.priority),
            (&b"wake"[..], 3)
        );
        return;
    }
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("receiver").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("ready", PATIENCE);
    // glibc's mq_receive is the mq_timedreceive system call: once the child sleeps in it,
    // the message sent next is one it was blocked waiting for.
    wait_until_blocked_in(&child, libc::SYS_mq_timedreceive, PATIENCE);
    sut.try_send(b"wake", 3).unwrap();
    child.expect_success(PATIENCE);
}
