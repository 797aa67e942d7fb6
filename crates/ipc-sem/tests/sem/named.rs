//! Named semaphores: the create/open vocabulary, exact modes, refused symbolic links,
//! removal by the creator, and nothing inherited across `exec`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use ipc_core::testing::{ChildBuilder, ChildContext, TempPath};
use ipc_core::{ErrorKind, ObjectName, Permissions};
use ipc_sem::Semaphore;

use crate::support::{PATIENCE, Spawner, TestName, sem_path};

#[test]
fn the_creator_removes_the_semaphore_on_drop_and_an_opener_does_not() {
    let name = TestName::new("sem-drop");
    let sut = Semaphore::create_new(&name.name, 0).unwrap();
    let opener = Semaphore::open(&name.name).unwrap();
    drop(opener);
    assert!(name.path().exists(), "an opener removed the semaphore");
    drop(sut);
    assert!(!name.path().exists());
    let err = Semaphore::open(&name.name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn a_persisted_semaphore_is_found_by_a_later_open_with_its_value() {
    let name = TestName::new("sem-persist");
    let mut sut = Semaphore::create_new(&name.name, 3).unwrap();
    sut.persist();
    drop(sut);
    let opened = Semaphore::open(&name.name).unwrap();
    assert_eq!(opened.value().unwrap(), 3);
    assert!(!opened.was_created());
    Semaphore::unlink_name(&name.name).unwrap();
    assert!(!name.path().exists());
}

#[test]
fn open_or_create_takes_an_existing_semaphore_without_resetting_it() {
    let name = TestName::new("sem-either");
    let sut = Semaphore::open_or_create(&name.name, 2).unwrap();
    sut.try_wait().unwrap();
    let second = Semaphore::open_or_create(&name.name, 7).unwrap();
    assert!(sut.was_created() && !second.was_created());
    assert_eq!(second.value().unwrap(), 1);
}

#[test]
fn an_early_unlink_leaves_the_semaphore_usable_and_the_name_free() {
    let name = TestName::new("sem-unlink");
    let mut sut = Semaphore::create_new(&name.name, 1).unwrap();
    sut.unlink().unwrap();
    assert!(!name.path().exists());
    sut.try_wait().unwrap();
    let again = Semaphore::create_new(&name.name, 0).unwrap();
    assert_eq!(again.value().unwrap(), 0);
    drop(sut); // must not remove the new semaphore
    assert!(name.path().exists());
}

#[test]
fn modes_are_exact_whatever_the_umask() {
    if let Some(ctx) = ChildContext::current() {
        let mask: u32 = ctx.arg("umask").unwrap().parse().unwrap();
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(mask));
        let mut modes = Vec::new();
        for mode in [None, Some(0o644), Some(0o660)] {
            let name = TestName::new("sem-mode");
            let builder = match mode {
                None => Semaphore::builder(),
                Some(mode) => {
                    Semaphore::builder().permissions(Permissions::from_mode(mode).unwrap())
                }
            };
            let sut = builder.create_new(&name.name, 0).unwrap();
            let meta = std::fs::metadata(name.path()).unwrap();
            modes.push(format!("{:o}", meta.permissions().mode() & 0o777));
            drop(sut);
        }
        ctx.report(&modes.join(" "));
        return;
    }
    for mask in [0, 0o077] {
        let mut child = Spawner::lock().spawn(ChildBuilder::new("umask").arg("umask", mask));
        child.expect_report("600 644 660", PATIENCE);
        child.expect_success(PATIENCE);
    }
}

#[test]
fn a_symbolic_link_at_the_name_is_refused_and_its_target_untouched() {
    let name = TestName::new("sem-symlink");
    let victim = TempPath::new("sem-victim");
    std::fs::write(victim.path(), b"precious").unwrap();
    std::fs::set_permissions(victim.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(victim.path(), name.path()).unwrap();

    let created = Semaphore::create_new(&name.name, 1).unwrap_err();
    assert_eq!(created.kind(), ErrorKind::AlreadyExists, "{created}");
    let opened = Semaphore::open(&name.name).unwrap_err();
    assert_eq!(opened.kind(), ErrorKind::PermissionDenied, "{opened}");
    let either = Semaphore::open_or_create(&name.name, 1).unwrap_err();
    assert_eq!(either.kind(), ErrorKind::PermissionDenied, "{either}");

    assert_eq!(std::fs::read(victim.path()).unwrap(), b"precious");
    let meta = std::fs::metadata(victim.path()).unwrap();
    assert_eq!((meta.len(), meta.mode() & 0o777), (8, 0o600));
    std::fs::remove_file(name.path()).unwrap();
}

#[test]
fn a_file_of_the_wrong_size_at_the_name_is_corrupt_shared_state() {
    let name = TestName::new("sem-size");
    std::fs::write(name.path(), b"not a sem_t").unwrap();
    std::fs::set_permissions(name.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = Semaphore::open(&name.name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
}

#[test]
fn no_descriptor_is_kept_and_an_executed_child_inherits_no_mapping() {
    if let Some(ctx) = ChildContext::current() {
        let inode: u64 = ctx.arg("inode").unwrap().parse().unwrap();
        ctx.report(&format!("mapped={}", maps_inode(inode)));
        return;
    }
    let name = TestName::new("sem-cloexec");
    let sut = Semaphore::create_new(&name.name, 0).unwrap();
    let path = name.path();
    let mut fds = 0;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap() {
        if std::fs::read_link(entry.unwrap().path()).is_ok_and(|target| target == path) {
            fds += 1;
        }
    }
    assert_eq!(fds, 0, "a descriptor of the semaphore's file stayed open");
    // Control: this process maps it. (The mapping was made before the file had a name, so
    // /proc/self/maps shows it by inode, not by path.)
    let inode = std::fs::metadata(&path).unwrap().ino();
    assert!(maps_inode(inode));
    let mut child = Spawner::lock().spawn(ChildBuilder::new("maps").arg("inode", inode));
    child.expect_report("mapped=false", PATIENCE);
    child.expect_success(PATIENCE);
    drop(sut);
}

/// Whether a mapping of this process is of a file with inode `inode` (the fifth column of
/// `/proc/self/maps`).
fn maps_inode(inode: u64) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let inode = inode.to_string();
    maps.lines()
        .any(|line| line.split_whitespace().nth(4) == Some(inode.as_str()))
}

#[test]
fn a_name_too_long_for_the_file_prefix_is_an_invalid_name() {
    let name = ObjectName::new(&format!("/{}", "n".repeat(255))).unwrap();
    let err = Semaphore::create_new(&name, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidName, "{err}");
    assert!(!sem_path(&name).exists());
}
