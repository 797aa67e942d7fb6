//! Limit errors name the knob that raises them, with its value.

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, LimitScope, ObjectName};
use ipc_mq::Queue;
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use crate::support::{PATIENCE, Spawner, TestName};

/// The `RLIMIT_MSGQUEUE` the child lowers itself to: less than one default queue takes.
const LOW_MSGQUEUE: u64 = 4096;

fn proc_value(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn more_messages_than_msg_max_is_limit_reached_naming_msg_max() {
    let name = TestName::new();
    let msg_max = proc_value("/proc/sys/fs/mqueue/msg_max");
    let err = Queue::builder()
        .max_messages(usize::try_from(msg_max).unwrap() + 1)
        .create_new(&name.name)
        .expect_err("created a queue above msg_max: does this process have CAP_SYS_RESOURCE?");
    assert_eq!(err.kind(), ErrorKind::LimitReached);
    let limit = err.limit().unwrap();
    assert_eq!(limit.knob(), "/proc/sys/fs/mqueue/msg_max");
    assert_eq!(limit.scope(), LimitScope::SystemWide);
    assert_eq!(limit.current(), Some(msg_max));
    assert!(err.to_string().contains("fs.mqueue.msg_max"), "{err}");
    assert!(err.raw_os_error() == Some(libc::EINVAL));
}

#[test]
fn larger_messages_than_msgsize_max_is_limit_reached_naming_msgsize_max() {
    let name = TestName::new();
    let msgsize_max = proc_value("/proc/sys/fs/mqueue/msgsize_max");
    let err = Queue::builder()
        .max_message_size(usize::try_from(msgsize_max).unwrap() + 1)
        .create_new(&name.name)
        .expect_err("created a queue above msgsize_max: does this process have CAP_SYS_RESOURCE?");
    assert_eq!(err.kind(), ErrorKind::LimitReached);
    let limit = err.limit().unwrap();
    assert_eq!(limit.knob(), "/proc/sys/fs/mqueue/msgsize_max");
    assert_eq!(limit.current(), Some(msgsize_max));
}

#[test]
fn a_queue_of_zero_messages_is_invalid_argument_not_a_limit() {
    let name = TestName::new();
    let err = Queue::builder()
        .max_messages(0)
        .create_new(&name.name)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.limit().is_none());
}

#[test]
fn sizes_are_not_checked_when_only_opening() {
    let name = TestName::new();
    let made = Queue::builder()
        .max_messages(3)
        .create_new(&name.name)
        .unwrap();
    let sut = Queue::builder()
        .max_messages(0)
        .max_message_size(0)
        .open(&name.name)
        .unwrap();
    assert_eq!(sut.attributes().unwrap().max_messages(), 3);
    drop(made);
}

#[test]
fn the_defaults_fit_the_default_limits() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let attributes = sut.attributes().unwrap();
    assert_eq!(attributes.max_messages(), 10);
    assert_eq!(attributes.max_message_size(), 8192);
}

#[test]
fn a_queue_past_a_lowered_rlimit_msgqueue_is_limit_reached_naming_it_and_its_value() {
    if let Some(ctx) = ChildContext::current() {
        // Only this child's limit is lowered; the harness and other tests keep theirs.
        let maximum = getrlimit(Resource::Msgqueue).maximum;
        setrlimit(
            Resource::Msgqueue,
            Rlimit {
                current: Some(LOW_MSGQUEUE),
                maximum,
            },
        )
        .unwrap();
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        // 10 messages of 8192 bytes are charged as more than 80 KiB (mq_overview(7)).
        let err = Queue::create_new(&name).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitReached, "{err}");
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE));
        let limit = err.limit().unwrap();
        assert_eq!(limit.knob(), "RLIMIT_MSGQUEUE");
        assert_eq!(limit.scope(), LimitScope::PerUser);
        assert_eq!(limit.current(), Some(LOW_MSGQUEUE));
        let message = err.to_string();
        assert!(message.contains("RLIMIT_MSGQUEUE"), "{message}");
        assert!(message.contains(&LOW_MSGQUEUE.to_string()), "{message}");
        assert_eq!(
            Queue::open(&name).unwrap_err().kind(),
            ErrorKind::NotFound,
            "the refused queue was created anyway"
        );
        return;
    }
    let name = TestName::new();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("creator").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_success(PATIENCE);
}
