//! A new queue gets exactly the mode asked for, whatever the umask.

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ObjectName, Permissions};
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
fn a_queue_owned_by_an_untrusted_user_is_refused_unless_trusted() {
    if !rustix::process::geteuid().is_root() {
        return; // only root can give a queue to another user
    }
    let name = TestName::new();
    let made = Queue::create_new(&name.name).unwrap();
    let stranger = rustix::process::Uid::from_raw(12345);
    rustix::fs::fchown(&made, Some(stranger), None).unwrap();
    assert_eq!(rustix::fs::fstat(&made).unwrap().st_uid, 12345);

    let err = Queue::open(&name.name).unwrap_err();
    assert_eq!(err.kind(), ipc_core::ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("12345"), "{err}");
    assert!(
        err.to_string().contains("QueueBuilder::trust_owner"),
        "{err}"
    );
    assert!(
        Queue::open_or_create(&name.name).is_err(),
        "open_or_create finds the queue and refuses it too"
    );

    Queue::builder()
        .trust_owner(12345)
        .open(&name.name)
        .unwrap();
    Queue::builder().trust_any_owner().open(&name.name).unwrap();
    drop(made);
}
