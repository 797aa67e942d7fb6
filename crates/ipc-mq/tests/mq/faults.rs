//! Peers that die: a killed sender's messages are whole or absent, a killed receiver takes
//! nothing with it, and a full queue blocks a sender until there is room.

use std::os::unix::process::ExitStatusExt;

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, ObjectName};
use ipc_mq::{Access, Queue};

use crate::support::{
    PATIENCE, STAMP_LEN, Spawner, TestName, stamped, unstamp, wait_until_blocked_in,
};

/// The queue's capacity in the killed-sender test: the sender is to send twice as many, and
/// blocks on the one after these.
const CAPACITY: u32 = 5;

/// The payload length of message `sequence`: empty, tiny, and up to the queue's whole size.
fn payload_len(sequence: u32) -> usize {
    const LENGTHS: [usize; 5] = [0, 1, 4000, 8192 - STAMP_LEN, 77];
    LENGTHS[sequence as usize % LENGTHS.len()]
}

/// The queue named by the child's `queue` argument, with `access`.
fn open_child_queue(ctx: &ChildContext, access: Access) -> Queue {
    let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
    Queue::builder().access(access).open(&name).unwrap()
}

/// Receives every message left in `sut` without waiting; asserts each is whole.
fn drain(sut: &Queue) -> Vec<(u32, u32, usize, u32)> {
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    let mut messages = Vec::new();
    loop {
        match sut.try_receive(&mut buffer) {
            Ok((len, priority)) => {
                let (producer, sequence, payload) = unstamp(&buffer[..len]).unwrap();
                messages.push((producer, sequence, payload, priority));
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => return messages,
            Err(err) => panic!("draining the queue: {err}"),
        }
    }
}

#[test]
fn a_sender_killed_after_n_of_2n_messages_leaves_exactly_n_whole_messages() {
    if let Some(ctx) = ChildContext::current() {
        let queue = open_child_queue(&ctx, Access::SendOnly);
        ctx.report("sending");
        // The first N fill the queue; the send of message N + 1 blocks until the kill.
        for sequence in 0..2 * CAPACITY {
            queue
                .send(&stamped(1, sequence, payload_len(sequence)), 3)
                .unwrap();
        }
        ctx.report("sent all");
        return;
    }
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(CAPACITY as usize)
        .access(Access::ReceiveOnly)
        .create_new(&name.name)
        .unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("sender").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("sending", PATIENCE);
    // Only a full queue makes the sender sleep in mq_timedsend (glibc's mq_send), so it is
    // now sending message N + 1.
    wait_until_blocked_in(&child, libc::SYS_mq_timedsend, PATIENCE);
    assert_eq!(child.kill().signal(), Some(libc::SIGKILL));

    let expected: Vec<_> = (0..CAPACITY)
        .map(|sequence| (1, sequence, payload_len(sequence), 3))
        .collect();
    // `drain` receives until WouldBlock and checks that each message is whole.
    assert_eq!(drain(&sut), expected);
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    assert_eq!(
        sut.try_receive(&mut buffer).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn a_receiver_killed_while_blocked_leaves_the_next_message_to_the_next_receiver() {
    if let Some(ctx) = ChildContext::current() {
        let queue = open_child_queue(&ctx, Access::ReceiveOnly);
        ctx.report("receiving");
        let message = queue.receive_vec().unwrap();
        assert_eq!(unstamp(&message.bytes).unwrap(), (2, 0, 300));
        assert_eq!(message.priority, 7);
        ctx.report("received");
        return;
    }
    let name = TestName::new();
    let sut = Queue::builder()
        .access(Access::SendOnly)
        .create_new(&name.name)
        .unwrap();
    let spawner = Spawner::lock();
    let mut first = spawner.spawn(ChildBuilder::new("receiver").arg("queue", name.name.as_str()));
    drop(spawner);
    first.expect_report("receiving", PATIENCE);
    wait_until_blocked_in(&first, libc::SYS_mq_timedreceive, PATIENCE);
    assert_eq!(first.kill().signal(), Some(libc::SIGKILL));

    sut.send_timeout(&stamped(2, 0, 300), 7, PATIENCE).unwrap();
    assert_eq!(sut.attributes().unwrap().current_messages(), 1);
    let spawner = Spawner::lock();
    let mut next = spawner.spawn(ChildBuilder::new("receiver").arg("queue", name.name.as_str()));
    drop(spawner);
    next.expect_report("receiving", PATIENCE);
    next.expect_report("received", PATIENCE);
    next.expect_success(PATIENCE);
    assert_eq!(sut.attributes().unwrap().current_messages(), 0);
}

#[test]
fn a_sender_blocked_on_a_full_queue_wakes_when_a_message_is_received() {
    if let Some(ctx) = ChildContext::current() {
        let queue = open_child_queue(&ctx, Access::SendOnly);
        queue.try_send(&stamped(3, 0, 10), 0).unwrap();
        queue.try_send(&stamped(3, 1, 20), 0).unwrap();
        ctx.report("full");
        queue.send(&stamped(3, 2, 30), 0).unwrap();
        ctx.report("sent the third");
        return;
    }
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(2)
        .access(Access::ReceiveOnly)
        .create_new(&name.name)
        .unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("sender").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("full", PATIENCE);
    wait_until_blocked_in(&child, libc::SYS_mq_timedsend, PATIENCE);
    assert_eq!(sut.attributes().unwrap().current_messages(), 2);

    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    let (len, _) = sut.receive_timeout(&mut buffer, PATIENCE).unwrap();
    assert_eq!(unstamp(&buffer[..len]).unwrap(), (3, 0, 10));
    child.expect_report("sent the third", PATIENCE);
    child.expect_success(PATIENCE);
    assert_eq!(drain(&sut), vec![(3, 1, 20, 0), (3, 2, 30, 0)]);
}

#[test]
fn a_sender_killed_while_blocked_on_a_full_queue_leaves_no_partial_or_phantom_message() {
    if let Some(ctx) = ChildContext::current() {
        let queue = open_child_queue(&ctx, Access::SendOnly);
        ctx.report("sending");
        // A whole-size message at a priority above the queued ones: had any of it got in,
        // it would be received first.
        queue.send(&stamped(4, 9, 8192 - STAMP_LEN), 9).unwrap();
        ctx.report("sent");
        return;
    }
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(2)
        .create_new(&name.name)
        .unwrap();
    sut.try_send(&stamped(0, 0, 8192 - STAMP_LEN), 1).unwrap();
    sut.try_send(&stamped(0, 1, 5), 1).unwrap();
    let spawner = Spawner::lock();
    let mut child =
        spawner.spawn(ChildBuilder::new("blocked-sender").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("sending", PATIENCE);
    wait_until_blocked_in(&child, libc::SYS_mq_timedsend, PATIENCE);
    assert_eq!(child.kill().signal(), Some(libc::SIGKILL));

    assert_eq!(sut.attributes().unwrap().current_messages(), 2);
    assert_eq!(drain(&sut), vec![(0, 0, 8192 - STAMP_LEN, 1), (0, 1, 5, 1)]);
    // The room the dead sender waited for is free and stays empty until someone sends.
    assert_eq!(sut.attributes().unwrap().current_messages(), 0);
    sut.try_send(&stamped(0, 2, 64), 1).unwrap();
    assert_eq!(drain(&sut), vec![(0, 2, 64, 1)]);
}
