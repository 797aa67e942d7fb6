//! Limit errors name the knob that raises them, with its value.

use ipc_core::{ErrorKind, LimitScope};
use ipc_mq::Queue;

use crate::support::TestName;

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
fn the_defaults_fit_the_default_limits() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let attributes = sut.attributes().unwrap();
    assert_eq!(attributes.max_messages(), 10);
    assert_eq!(attributes.max_message_size(), 8192);
}
