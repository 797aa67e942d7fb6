//! What a process that dies leaves behind: POSIX semaphores have no undo.

use std::time::{Duration, Instant};

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
fn a_waiter_killed_while_blocked_takes_nothing_wedges_nothing_and_stays_counted() {
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
    // The child counts itself as a waiter in the sem_t just before it sleeps in the kernel.
    await_word(
        &name,
        SemWord {
            value: 0,
            waiters: 1,
        },
    );
    child.kill();
    sut.post().unwrap();
    sut.wait_timeout(PATIENCE).unwrap();
    sut.post().unwrap();
    assert_eq!(sut.value().unwrap(), 1);
    // What the dead waiter leaves: glibc still counts it, so every post makes a FUTEX_WAKE
    // system call from now on; the value, and so every later wait, is unaffected.
    assert_eq!(
        sem_word(&name),
        SemWord {
            value: 1,
            waiters: 1
        }
    );
}

/// The first word of glibc's `sem_t` (`struct new_sem` on 64-bit: `uint64_t data`, the value
/// in the low 32 bits and the number of waiters in the high 32, `SEM_NWAITERS_SHIFT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SemWord {
    value: u32,
    waiters: u32,
}

/// Reads the first word of the named semaphore's `sem_t` from its file.
fn sem_word(name: &TestName) -> SemWord {
    let bytes = std::fs::read(name.path()).unwrap();
    assert_eq!(bytes.len(), size_of::<libc::sem_t>());
    let data = u64::from_ne_bytes(bytes[..8].try_into().unwrap());
    SemWord {
        value: data as u32,
        waiters: (data >> 32) as u32,
    }
}

/// Polls the semaphore's first word until it is `expected`, failing after [`PATIENCE`].
#[track_caller]
fn await_word(name: &TestName, expected: SemWord) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = sem_word(name);
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the sem_t stayed {now:?}, never {expected:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
