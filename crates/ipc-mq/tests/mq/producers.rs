//! Many producer processes, one consumer, a queue of the default size: the producers block on
//! a full queue most of the time, and still nothing is lost, duplicated, reordered or torn.

use ipc_core::testing::{Child, ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, ObjectName};
use ipc_mq::{Access, Queue};

use crate::support::{PATIENCE, STAMP_LEN, Spawner, TestName, stamped, unstamp};

/// The number of producer processes.
const PRODUCERS: u32 = 8;

/// The messages each producer sends.
const PER_PRODUCER: u32 = 10_000;

/// The priority of every message of `producer`: producers differ, so the consumer takes
/// some before others, but each keeps one priority, so its own messages stay in order.
fn priority_of(producer: u32) -> u32 {
    producer % 4
}

/// The payload length of message `sequence` of `producer`: mostly short and varied, every
/// 997th as large as the queue takes.
fn payload_len(producer: u32, sequence: u32) -> usize {
    if sequence.is_multiple_of(997) {
        ipc_mq::DEFAULT_MAX_MESSAGE_SIZE - STAMP_LEN
    } else {
        ((sequence.wrapping_mul(31) ^ producer.wrapping_mul(131)) % 300) as usize
    }
}

#[test]
fn eight_producers_of_ten_thousand_messages_lose_duplicate_reorder_and_tear_none() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let producer: u32 = ctx.arg("producer").unwrap().parse().unwrap();
        let queue = Queue::builder()
            .access(Access::SendOnly)
            .open(&name)
            .unwrap();
        for sequence in 0..PER_PRODUCER {
            let message = stamped(producer, sequence, payload_len(producer, sequence));
            queue.send(&message, priority_of(producer)).unwrap();
        }
        return;
    }
    let name = TestName::new();
    // The machine's default limits (10 messages of up to 8192 bytes): the producers block.
    let sut = Queue::builder()
        .access(Access::ReceiveOnly)
        .create_new(&name.name)
        .unwrap();
    let spawner = Spawner::lock();
    let mut producers: Vec<Child> = (0..PRODUCERS)
        .map(|producer| {
            spawner.spawn(
                ChildBuilder::new("producer")
                    .arg("queue", name.name.as_str())
                    .arg("producer", producer),
            )
        })
        .collect();
    drop(spawner);

    let mut next = [0_u32; PRODUCERS as usize];
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    for received in 0..PRODUCERS * PER_PRODUCER {
        let (len, priority) = sut
            .receive_timeout(&mut buffer, PATIENCE)
            .unwrap_or_else(|err| panic!("message {received}: {err}; next sequences {next:?}"));
        let (producer, sequence, payload) = unstamp(&buffer[..len])
            .unwrap_or_else(|why| panic!("message {received} is not whole: {why}"));
        assert!(producer < PRODUCERS, "message {received} from {producer}");
        let expected = &mut next[producer as usize];
        assert_eq!(
            sequence, *expected,
            "producer {producer}: message {sequence} came when {expected} was due"
        );
        assert_eq!(payload, payload_len(producer, sequence));
        assert_eq!(priority, priority_of(producer));
        *expected += 1;
    }
    assert_eq!(next, [PER_PRODUCER; PRODUCERS as usize]);
    for producer in &mut producers {
        producer.expect_success(PATIENCE);
    }
    assert_eq!(
        sut.try_receive(&mut buffer).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}
