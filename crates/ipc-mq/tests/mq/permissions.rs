//! A new queue gets exactly the mode asked for, whatever the umask.

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, ObjectName, Permissions};
use ipc_mq::Queue;
use rustix::fs::Mode;

use crate::support::{PATIENCE, Spawner, TestName};

/// The mode of the queue behind `queue`'s descriptor (`st_mode` of an mqueue inode).
fn mode_of(queue: &Queue) -> u32 {
    rustix::fs::fstat(queue).unwrap().st_mode & 0o777
}

#[test]
fn a_new_queue_has_exactly_the_mode_asked_for_under_any_umask() {
    if let Some(ctx) = ChildContext::current() {
        let umask = u32::from_str_radix(ctx.arg("umask").unwrap(), 8).unwrap();
        rustix::process::umask(Mode::from_raw_mode(umask));
        for (index, mode) in [0o600, 0o640, 0o666, 0o400].into_iter().enumerate() {
            let name = ObjectName::new(&format!("{}-{index}", ctx.arg("queue").unwrap())).unwrap();
            let queue = Queue::builder()
                .permissions(Permissions::from_mode(mode).unwrap())
                .create_new(&name)
                .unwrap();
            assert_eq!(mode_of(&queue), mode, "umask {umask:o}");
        }
        let name = ObjectName::new(&format!("{}-default", ctx.arg("queue").unwrap())).unwrap();
        assert_eq!(mode_of(&Queue::create_new(&name).unwrap()), 0o600);
        ctx.report("checked");
        return;
    }
    for umask in ["0", "77", "22"] {
        let name = TestName::new();
        let spawner = Spawner::lock();
        let mut child = spawner.spawn(
            ChildBuilder::new("creator")
                .arg("queue", name.name.as_str())
                .arg("umask", umask),
        );
        drop(spawner);
        child.expect_report("checked", PATIENCE);
        child.expect_success(PATIENCE);
    }
}

#[test]
fn opening_an_existing_queue_keeps_its_mode() {
    let name = TestName::new();
    let made = Queue::builder()
        .permissions(Permissions::from_mode(0o640).unwrap())
        .create_new(&name.name)
        .unwrap();
    let sut = Queue::builder()
        .permissions(Permissions::from_mode(0o666).unwrap())
        .open_or_create(&name.name)
        .unwrap();
    assert!(!sut.was_created());
    assert_eq!(mode_of(&sut), 0o640);
    drop(made);
}

#[test]
fn a_mode_without_owner_read_or_write_is_refused_at_creation() {
    let name = TestName::new();
    for mode in [0o000, 0o044, 0o100, 0o077] {
        let options = Queue::builder().permissions(Permissions::from_mode(mode).unwrap());
        for err in [
            options.create_new(&name.name).unwrap_err(),
            options.open_or_create(&name.name).unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(err.to_string().contains(&format!("{mode:#05o}")), "{err}");
        }
        assert_eq!(
            Queue::open(&name.name).unwrap_err().kind(),
            ErrorKind::NotFound,
            "mode {mode:o} made a queue"
        );
    }
    // Opening an existing queue takes no mode, so any given is not checked.
    let made = Queue::create_new(&name.name).unwrap();
    Queue::builder()
        .permissions(Permissions::from_mode(0o044).unwrap())
        .open(&name.name)
        .unwrap();
    drop(made);
}

#[test]
fn a_creator_with_only_read_or_only_write_removes_its_queue_on_drop() {
    for mode in [0o400, 0o200] {
        let name = TestName::new();
        let sut = Queue::builder()
            .permissions(Permissions::from_mode(mode).unwrap())
            .create_new(&name.name)
            .unwrap();
        drop(sut);
        assert_eq!(
            Queue::open(&name.name).unwrap_err().kind(),
            ErrorKind::NotFound,
            "mode {mode:o}: the creator's drop left the queue"
        );
    }
}

/// Another user's queue is refused unless trusted. Root gives the queue to a stranger with
/// `fchown`; any other user keeps it and trusts a stranger instead, which refuses the caller's
/// own queue on the same check (the owner is neither the trusted user nor root).
#[test]
fn a_queue_owned_by_an_untrusted_user_is_refused_unless_trusted() {
    let name = TestName::new();
    let made = Queue::create_new(&name.name).unwrap();
    let me = rustix::process::geteuid();
    let stranger = 12345;
    let (owner, untrusting) = if me.is_root() {
        rustix::fs::fchown(&made, Some(rustix::process::Uid::from_raw(stranger)), None).unwrap();
        (stranger, Queue::builder())
    } else {
        (me.as_raw(), Queue::builder().trust_owner(stranger))
    };
    assert_eq!(rustix::fs::fstat(&made).unwrap().st_uid, owner);

    let err = untrusting.open(&name.name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.to_string().contains(&owner.to_string()), "{err}");
    assert!(
        err.to_string().contains("QueueBuilder::trust_owner"),
        "{err}"
    );
    assert!(
        untrusting.open_or_create(&name.name).is_err(),
        "open_or_create finds the queue and refuses it too"
    );

    Queue::builder()
        .trust_owner(owner)
        .open(&name.name)
        .unwrap();
    Queue::builder().trust_any_owner().open(&name.name).unwrap();
    drop(made);
}
