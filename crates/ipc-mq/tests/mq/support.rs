//! What the tests share: bounds, the spawn lock, test names for queues, stamped messages and
//! confirming that a child is blocked in a queue call.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use ipc_core::ObjectName;
use ipc_core::testing::{Child, unique_test_name};
use ipc_mq::{Message, NotificationEvent, NotifyThread, Queue};

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

/// Takes one message from `queue`, waiting at most [`PATIENCE`] for it.
#[track_caller]
pub(crate) fn receive_within(queue: &Queue) -> Message {
    let mut bytes = vec![0; queue.attributes().unwrap().max_message_size()];
    let (len, priority) = queue.receive_timeout(&mut bytes, PATIENCE).unwrap();
    bytes.truncate(len);
    Message { bytes, priority }
}

/// Joins `thread` once it has ended, waiting at most [`PATIENCE`] for that.
#[track_caller]
pub(crate) fn join_within(thread: NotifyThread) -> ipc_core::Result<NotificationEvent> {
    let start = Instant::now();
    while !thread.is_finished() {
        assert!(
            start.elapsed() < PATIENCE,
            "the notification thread never ended"
        );
        thread::sleep(Duration::from_millis(1));
    }
    thread.join()
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

/// The bytes a stamp adds to a payload: producer and sequence in front, checksum behind.
pub(crate) const STAMP_LEN: usize = 4 + 4 + 8;

/// A message that proves itself whole: `producer` and `sequence` (little-endian `u32`s), a
/// payload of `payload_len` bytes derived from both, and the FNV-1a hash of all that.
pub(crate) fn stamped(producer: u32, sequence: u32, payload_len: usize) -> Vec<u8> {
    let mut message = Vec::with_capacity(payload_len + STAMP_LEN);
    message.extend_from_slice(&producer.to_le_bytes());
    message.extend_from_slice(&sequence.to_le_bytes());
    // A xorshift stream seeded by the stamp, so equal lengths still differ in content.
    let mut state = (u64::from(producer) << 32 | u64::from(sequence)) ^ 0x9e37_79b9_7f4a_7c15;
    message.extend((0..payload_len).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.to_le_bytes()[0]
    }));
    let checksum = fnv1a(&message);
    message.extend_from_slice(&checksum.to_le_bytes());
    message
}

/// What a whole [`stamped`] message says: (producer, sequence, payload length), or why it is
/// not whole.
pub(crate) fn unstamp(message: &[u8]) -> Result<(u32, u32, usize), String> {
    let Some(body_len) = message.len().checked_sub(8) else {
        return Err(format!("{} bytes is shorter than a stamp", message.len()));
    };
    if body_len < 8 {
        return Err(format!("{} bytes is shorter than a stamp", message.len()));
    }
    let (body, checksum) = message.split_at(body_len);
    let checksum = u64::from_le_bytes(checksum.try_into().unwrap());
    if fnv1a(body) != checksum {
        return Err(format!(
            "checksum mismatch in a message of {} bytes",
            message.len()
        ));
    }
    let producer = u32::from_le_bytes(body[..4].try_into().unwrap());
    let sequence = u32::from_le_bytes(body[4..8].try_into().unwrap());
    let whole = stamped(producer, sequence, body_len - 8);
    if whole != message {
        return Err(format!(
            "producer {producer} message {sequence}: payload differs"
        ));
    }
    Ok((producer, sequence, body_len - 8))
}

/// The 64-bit FNV-1a hash of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The system call each thread of `pid` is blocked in, from `/proc/<pid>/task/*/syscall`
/// (proc(5): "the number of the system call being executed", or `running`, or `-1` when
/// blocked but not in a system call); `None` for a thread not asleep (state `S`).
fn blocked_syscalls(pid: u32) -> Vec<Option<i64>> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let task = task.ok()?.path();
            // proc(5): "(3) state %c" follows "(2) comm" in parentheses: after the last ')'.
            let stat = fs::read_to_string(task.join("stat")).ok()?;
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            let syscall = fs::read_to_string(task.join("syscall")).ok()?;
            let number = syscall.split_whitespace().next()?.parse().ok();
            Some(number.filter(|_| state == 'S'))
        })
        .collect()
}

/// Waits, polling for at most `patience`, until a thread of `child` sleeps in system call
/// `syscall` (say `libc::SYS_mq_timedsend`, which glibc's `mq_send` is too).
///
/// A child reports just before the blocking call; this confirms it got there and is blocked,
/// so a fault or a wake-up fires at that point and not before it.
#[track_caller]
pub(crate) fn wait_until_blocked_in(child: &Child, syscall: libc::c_long, patience: Duration) {
    let start = Instant::now();
    loop {
        let syscalls = blocked_syscalls(child.pid());
        if syscalls.contains(&Some(syscall)) {
            return;
        }
        assert!(
            start.elapsed() < patience,
            "child {} never blocked in system call {syscall}: its threads are in {syscalls:?}",
            child.pid()
        );
        thread::sleep(Duration::from_millis(1));
    }
}
