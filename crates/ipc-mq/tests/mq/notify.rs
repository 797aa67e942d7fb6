//! `mq_notify` across processes: the descriptor, signal and thread forms, and the
//! one-registrant rule.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, ObjectName};
use ipc_mq::{Access, NotificationEvent, Queue};

use crate::support::{
    PATIENCE, Spawner, TestName, join_within, receive_within, wait_until_blocked_in,
};

/// The role of a child that opens the queue named by its `queue` argument, sends `payload`
/// once the parent is registered, and exits.
fn send_as_child(ctx: &ChildContext) {
    let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
    let queue = Queue::builder()
        .access(Access::SendOnly)
        .open(&name)
        .unwrap();
    queue.send(b"payload", 2).unwrap();
    ctx.report("sent");
}

#[test]
fn a_message_another_process_sends_into_the_empty_queue_wakes_the_notification() {
    if let Some(ctx) = ChildContext::current() {
        send_as_child(&ctx);
        return;
    }
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let sut = queue.notify_descriptor().unwrap();
    assert_eq!(sut.try_wait().unwrap_err().kind(), ErrorKind::WouldBlock);
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("sender").arg("queue", name.name.as_str()));
    drop(spawner);
    assert_eq!(
        sut.wait_timeout(PATIENCE).unwrap(),
        NotificationEvent::MessageArrived
    );
    child.expect_success(PATIENCE);
    assert!(!sut.is_armed());
    assert_eq!(receive_within(&queue).bytes, b"payload");
}

#[test]
fn a_rearmed_notification_wakes_again_for_the_next_message() {
    if let Some(ctx) = ChildContext::current() {
        send_as_child(&ctx);
        return;
    }
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let mut sut = queue.notify_descriptor().unwrap();
    for _ in 0..2 {
        let spawner = Spawner::lock();
        let mut child = spawner.spawn(ChildBuilder::new("sender").arg("queue", name.name.as_str()));
        drop(spawner);
        assert_eq!(
            sut.wait_timeout(PATIENCE).unwrap(),
            NotificationEvent::MessageArrived
        );
        child.expect_success(PATIENCE);
        sut.rearm().unwrap();
        assert_eq!(receive_within(&queue).bytes, b"payload");
    }
}

#[test]
fn a_second_registrant_in_another_process_is_refused_with_already_exists() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::open(&name).unwrap();
        let err = queue.notify_descriptor().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert_eq!(err.operation(), "mq_notify");
        assert_eq!(err.raw_os_error(), Some(libc::EBUSY));
        assert!(err.to_string().contains(name.as_str()), "{err}");
        let err = queue.notify_signal(libc::SIGUSR1, 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        // Clearing from a process that is not the registrant leaves the registration alone.
        queue.clear_notification().unwrap();
        ctx.report("refused");
        return;
    }
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let sut = queue.notify_descriptor().unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("rival").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("refused", PATIENCE);
    child.expect_success(PATIENCE);
    assert_eq!(sut.try_wait().unwrap_err().kind(), ErrorKind::WouldBlock);
    queue.try_send(b"still mine", 0).unwrap();
    assert_eq!(sut.try_wait().unwrap(), NotificationEvent::MessageArrived);
}

#[test]
fn a_second_registration_in_the_same_process_is_refused_with_already_exists() {
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let sut = queue.notify_descriptor().unwrap();
    let other = Queue::open(&name.name).unwrap();
    let err = other.notify_descriptor().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(sut.is_armed());
}

#[test]
fn dropping_the_notification_removes_the_registration_so_another_process_can_register() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::open(&name).unwrap();
        let _registered = queue.notify_descriptor().unwrap();
        ctx.report("registered");
        return;
    }
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let sut = queue.notify_descriptor().unwrap();
    drop(sut);
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("successor").arg("queue", name.name.as_str()));
    drop(spawner);
    child.expect_report("registered", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn closing_another_descriptor_of_the_queue_reports_the_registration_removed() {
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let sut = queue.notify_descriptor().unwrap();
    drop(Queue::open(&name.name).unwrap());
    assert_eq!(sut.try_wait().unwrap(), NotificationEvent::Removed);
    // The registration is gone: a new one succeeds.
    let _again = queue.notify_descriptor().unwrap();
}

#[test]
fn a_receiver_blocked_in_receive_takes_the_message_and_the_registration_stays() {
    if let Some(ctx) = ChildContext::current() {
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::builder()
            .access(Access::ReceiveOnly)
            .open(&name)
            .unwrap();
        assert_eq!(queue.receive_vec().unwrap().bytes, b"taken");
        return;
    }
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let sut = queue.notify_descriptor().unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("receiver").arg("queue", name.name.as_str()));
    drop(spawner);
    // glibc's mq_receive is the mq_timedreceive system call; once the child sleeps in it, the
    // kernel hands the next message straight to it (`pipelined_send`), bypassing the notify.
    wait_until_blocked_in(&child, libc::SYS_mq_timedreceive, PATIENCE);
    queue.try_send(b"taken", 0).unwrap();
    child.expect_success(PATIENCE);
    assert_eq!(sut.try_wait().unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(
        queue.notify_descriptor().unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    queue.try_send(b"announced", 0).unwrap();
    assert_eq!(sut.try_wait().unwrap(), NotificationEvent::MessageArrived);
}

/// The `si_value.sival_int`, `si_code` and `si_pid` of the last signal the child's handler
/// took; `si_code` is 0 until one came.
static SIGNAL_VALUE: AtomicI32 = AtomicI32::new(0);
static SIGNAL_CODE: AtomicI32 = AtomicI32::new(0);
static SIGNAL_PID: AtomicI32 = AtomicI32::new(0);

/// Records the signal's value, code and sender; atomic stores are async-signal-safe.
#[allow(
    unsafe_code,
    reason = "a signal handler reads the siginfo_t the kernel passes by pointer"
)]
extern "C" fn record_signal(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes an SA_SIGINFO handler a pointer to a siginfo_t that is valid
    // (or null, which `as_ref` turns into `None`) for the handler's run.
    let Some(info) = (unsafe { info.as_ref() }) else {
        return;
    };
    // SAFETY: for SI_MESGQ the kernel fills the `_rt` member (pid, uid, value), which
    // `si_value` reads.
    let value = unsafe { info.si_value() };
    // SAFETY: `sival_int` is at offset 0 of `union sigval` on every ABI; reading the first 4
    // bytes of the copied union gives it, whatever the byte order.
    let int = unsafe { std::ptr::from_ref(&value).cast::<libc::c_int>().read() };
    // SAFETY: as for `si_value`: the `_rt` member begins with the sender's pid.
    let pid = unsafe { info.si_pid() };
    let code = info.si_code;
    SIGNAL_VALUE.store(int, Ordering::Relaxed);
    SIGNAL_PID.store(pid, Ordering::Relaxed);
    // Release: pairs with the Acquire load of the child's wait, which then reads the others.
    SIGNAL_CODE.store(code, Ordering::Release);
}

/// Installs `record_signal` for `signal`, process-wide: only in a child.
#[allow(unsafe_code, reason = "sigaction takes raw pointers to a C struct")]
fn install_recorder(signal: libc::c_int) {
    // SAFETY: `sigaction` is a plain C struct, for which all zeroes is valid.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = record_signal as *const () as libc::sighandler_t;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
    // SAFETY: `action` is a valid sigaction on the stack, the old action may be null, and the
    // handler only stores atomics.
    let rc = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
}

#[test]
fn the_signal_form_delivers_the_signal_with_the_value_and_si_mesgq() {
    if let Some(ctx) = ChildContext::current() {
        // A handler in this re-executed child only: the harness's signals stay untouched.
        let signal = libc::SIGRTMIN() + 1;
        install_recorder(signal);
        let name = ObjectName::new(ctx.arg("queue").unwrap()).unwrap();
        let queue = Queue::builder()
            .access(Access::ReceiveOnly)
            .open(&name)
            .unwrap();
        queue.notify_signal(signal, 4242).unwrap();
        ctx.report("registered");
        let deadline = Instant::now() + PATIENCE;
        // Acquire: pairs with the Release store of the handler.
        while SIGNAL_CODE.load(Ordering::Acquire) == 0 {
            assert!(Instant::now() < deadline, "no signal came");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(SIGNAL_CODE.load(Ordering::Relaxed), libc::SI_MESGQ);
        assert_eq!(SIGNAL_VALUE.load(Ordering::Relaxed), 4242);
        let parent = ctx.arg("parent").unwrap().parse::<i32>().unwrap();
        assert_eq!(SIGNAL_PID.load(Ordering::Relaxed), parent);
        // One-shot: the queue is free for a new registration.
        queue.notify_signal(signal, 1).unwrap();
        queue.clear_notification().unwrap();
        ctx.report("signalled");
        return;
    }
    let name = TestName::new();
    let sut = Queue::create_new(&name.name).unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(
        ChildBuilder::new("signalled")
            .arg("queue", name.name.as_str())
            .arg("parent", std::process::id()),
    );
    drop(spawner);
    child.expect_report("registered", PATIENCE);
    sut.try_send(b"ring", 0).unwrap();
    child.expect_report("signalled", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn the_thread_form_runs_the_closure_once_when_another_process_sends() {
    if let Some(ctx) = ChildContext::current() {
        send_as_child(&ctx);
        return;
    }
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let (tx, rx) = mpsc::channel();
    let sut = queue
        .notify_thread(move || tx.send("ran").unwrap())
        .unwrap();
    let spawner = Spawner::lock();
    let mut child = spawner.spawn(ChildBuilder::new("sender").arg("queue", name.name.as_str()));
    drop(spawner);
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "ran");
    assert_eq!(join_within(sut).unwrap(), NotificationEvent::MessageArrived);
    child.expect_success(PATIENCE);
    // The sender dropped with the closure: it ran once.
    assert_eq!(
        rx.recv_timeout(PATIENCE),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

#[test]
fn the_thread_form_ends_without_running_the_closure_when_the_queue_is_dropped() {
    let name = TestName::new();
    let queue = Queue::create_new(&name.name).unwrap();
    let (tx, rx) = mpsc::channel::<()>();
    let sut = queue.notify_thread(move || tx.send(()).unwrap()).unwrap();
    drop(queue);
    assert_eq!(join_within(sut).unwrap(), NotificationEvent::Removed);
    assert_eq!(
        rx.recv_timeout(PATIENCE),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}
