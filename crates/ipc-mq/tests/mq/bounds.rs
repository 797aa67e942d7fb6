//! Full and empty queues, message sizes, buffer sizes and priorities.

use std::time::Instant;

use ipc_core::ErrorKind;
use ipc_mq::{Access, Queue};

use crate::support::{SHORT, TestName, assert_waited};

#[test]
fn a_full_queue_refuses_try_send_with_would_block() {
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(2)
        .create_new(&name.name)
        .unwrap();
    sut.try_send(b"1", 0).unwrap();
    sut.try_send(b"2", 0).unwrap();
    let err = sut.try_send(b"3", 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(
        std::io::Error::from(err).kind(),
        std::io::ErrorKind::WouldBlock
    );
    assert_eq!(sut.attributes().unwrap().current_messages(), 2);
}

#[test]
fn a_full_queue_times_out_a_send_after_at_least_the_timeout() {
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(1)
        .create_new(&name.name)
        .unwrap();
    sut.send(b"1", 0).unwrap();
    let start = Instant::now();
    let err = sut.send_timeout(b"2", 0, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(start, SHORT);
    let start = Instant::now();
    let err = sut.send_deadline(b"2", 0, start + SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(start, SHORT);
}

#[test]
fn an_empty_queue_refuses_try_receive_and_times_out_a_receive() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    assert_eq!(
        sut.try_receive(&mut buffer).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let start = Instant::now();
    let err = sut.receive_timeout(&mut buffer, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(start, SHORT);
}

#[test]
fn a_message_over_the_queue_size_is_message_too_large() {
    let name = TestName::new();
    let sut = Queue::builder()
        .max_message_size(16)
        .create_new(&name.name)
        .unwrap();
    sut.send(&[7; 16], 0).unwrap();
    let err = sut.send(&[7; 17], 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
    assert_eq!(sut.attributes().unwrap().current_messages(), 1);
}

#[test]
fn a_buffer_smaller_than_the_message_size_is_refused_and_takes_nothing() {
    let name = TestName::new();
    let sut = Queue::builder()
        .max_message_size(64)
        .create_new(&name.name)
        .unwrap();
    sut.send(b"short", 0).unwrap();
    let mut small = [0; 63];
    let err = sut.try_receive(&mut small).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("64"), "{err}");
    assert_eq!(sut.attributes().unwrap().current_messages(), 1);
    let mut exact = [0; 64];
    assert_eq!(sut.try_receive(&mut exact).unwrap(), (5, 0));
}

#[test]
fn a_priority_at_mq_prio_max_is_invalid_argument() {
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    sut.send(b"top", 32767).unwrap();
    let err = sut.send(b"over", 32768).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(sut.attributes().unwrap().current_messages(), 1);
}

#[test]
fn a_receive_only_handle_cannot_send_and_a_send_only_handle_cannot_receive() {
    let name = TestName::new();
    let made = Queue::create_new(&name.name).unwrap();
    let receiver = Queue::builder()
        .access(Access::ReceiveOnly)
        .open(&name.name)
        .unwrap();
    let sender = Queue::builder()
        .access(Access::SendOnly)
        .open(&name.name)
        .unwrap();
    assert_eq!(
        receiver.try_send(b"x", 0).unwrap_err().raw_os_error(),
        Some(libc::EBADF)
    );
    let mut buffer = vec![0; 8192];
    assert_eq!(
        sender.try_receive(&mut buffer).unwrap_err().raw_os_error(),
        Some(libc::EBADF)
    );
    drop(made);
}

#[test]
fn a_wait_longer_than_one_kernel_slice_still_waits_its_whole_timeout() {
    // The kernel is given at most REALTIME_SLICE of a wait at a time; its ETIMEDOUT before
    // the deadline is retried, not returned.
    let timeout = ipc_core::REALTIME_SLICE + SHORT;
    let name = TestName::new();
    let sut = Queue::builder()
        .max_messages(1)
        .create_new(&name.name)
        .unwrap();
    let mut buffer = vec![0; sut.attributes().unwrap().max_message_size()];
    let start = Instant::now();
    let err = sut.receive_timeout(&mut buffer, timeout).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(start, timeout);

    sut.try_send(b"fills it", 0).unwrap();
    let start = Instant::now();
    let err = sut
        .send_deadline(b"no room", 0, start + timeout)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(start, timeout);
}
