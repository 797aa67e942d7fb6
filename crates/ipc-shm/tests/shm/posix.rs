//! POSIX shared memory objects: created with an exact mode, opened without following links,
//! checked before mapping, removed by their creator, and shared with real child processes.

use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, TempPath, unique_test_name};
use ipc_core::{ErrorKind, ObjectName, Permissions};
use ipc_shm::{RegionAccess, SharedMemory};
use rustix::fs::Mode;

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// A unique test name for a shm object; whatever is at `/dev/shm/<name>` when the fixture drops
/// is removed, so a failing test leaves nothing behind.
struct TestName {
    name: ObjectName,
}

impl TestName {
    fn new() -> Self {
        Self {
            name: ObjectName::new(&format!("/{}", unique_test_name("shm"))).unwrap(),
        }
    }

    /// A name the parent passes to a child.
    fn from_arg(ctx: &ChildContext, key: &str) -> ObjectName {
        ObjectName::new(ctx.arg(key).unwrap()).unwrap()
    }

    fn path(&self) -> PathBuf {
        path_of(&self.name)
    }
}

impl std::ops::Deref for TestName {
    type Target = ObjectName;

    fn deref(&self) -> &ObjectName {
        &self.name
    }
}

impl Drop for TestName {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.path());
    }
}

fn path_of(name: &ObjectName) -> PathBuf {
    PathBuf::from(format!("/dev/shm{name}"))
}

fn spawn(builder: ChildBuilder) -> Child {
    SpawnLock::lock().spawn(builder)
}

#[test]
fn a_new_object_gets_exactly_its_mode_whatever_the_umask() {
    let cases = [
        (0o000, None, 0o600),
        (0o077, None, 0o600),
        (0o000, Some(0o640), 0o640),
        (0o077, Some(0o640), 0o640),
    ];
    if let Some(ctx) = ChildContext::current() {
        // The umask is process-wide, so it is changed here, in a child, never in the harness.
        for (index, (umask, mode, _)) in cases.into_iter().enumerate() {
            rustix::process::umask(Mode::from_raw_mode(umask));
            let name = TestName::from_arg(&ctx, &format!("name{index}"));
            let builder = match mode {
                None => SharedMemory::builder(),
                Some(mode) => {
                    SharedMemory::builder().permissions(Permissions::from_mode(mode).unwrap())
                }
            };
            builder.create_new(&name, 4096).unwrap().persist();
            ctx.report(&format!("created {index}"));
        }
        return;
    }
    let names: Vec<TestName> = cases.iter().map(|_| TestName::new()).collect();
    let mut builder = ChildBuilder::new("creator");
    for (index, name) in names.iter().enumerate() {
        builder = builder.arg(&format!("name{index}"), name.as_str());
    }
    let mut child = spawn(builder);
    for index in 0..cases.len() {
        child.expect_report(&format!("created {index}"), PATIENCE);
    }
    child.expect_success(PATIENCE);
    for ((umask, _, expected), name) in cases.iter().zip(&names) {
        let meta = std::fs::symlink_metadata(name.path()).unwrap();
        assert!(meta.is_file(), "{}", name.as_str());
        assert_eq!(
            meta.permissions().mode() & 0o7777,
            *expected,
            "umask {umask:03o}, object {}",
            name.as_str()
        );
    }
}

#[test]
fn a_symlink_planted_at_the_name_is_refused_and_its_target_is_untouched() {
    let victim = TempPath::new("victim");
    std::fs::write(victim.path(), b"precious").unwrap();
    std::fs::set_permissions(victim.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let name = TestName::new();
    std::os::unix::fs::symlink(victim.path(), name.path()).unwrap();

    let err = SharedMemory::create_new(&name, 4096).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    for err in [
        SharedMemory::open(&name).unwrap_err(),
        SharedMemory::open_or_create(&name, 4096).unwrap_err(),
        SharedMemory::open_read_only(&name).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(err.to_string().contains(name.as_str()), "{err}");
    }

    assert!(std::fs::symlink_metadata(name.path()).unwrap().is_symlink());
    let meta = std::fs::symlink_metadata(victim.path()).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    assert_eq!(std::fs::read(victim.path()).unwrap(), b"precious");
}

#[test]
fn an_object_truncated_below_what_is_required_is_refused_before_mapping() {
    let name = TestName::new();
    let sut = SharedMemory::create_new(&name, 8192).unwrap();
    let raw = std::fs::OpenOptions::new()
        .write(true)
        .open(name.path())
        .unwrap();

    rustix::fs::ftruncate(&raw, 100).unwrap();
    let err = SharedMemory::builder()
        .min_len(4096)
        .open(&name)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert!(err.to_string().contains("100 bytes"), "{err}");
    let err = sut.check_size().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert_eq!(
        SharedMemory::open(&name).unwrap().len(),
        100,
        "what is left opens"
    );

    rustix::fs::ftruncate(&raw, 0).unwrap();
    for err in [
        SharedMemory::open(&name).unwrap_err(),
        SharedMemory::open_read_only(&name).unwrap_err(),
        SharedMemory::open_or_create(&name, 4096).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
        assert!(err.to_string().contains("0 bytes"), "{err}");
    }
    assert_eq!(
        std::fs::metadata(name.path()).unwrap().len(),
        0,
        "nothing resized it"
    );
}

#[test]
fn an_existing_object_is_opened_as_it_is_and_never_resized() {
    let name = TestName::new();
    let first = SharedMemory::open_or_create(&name, 8192).unwrap();
    assert!(first.was_created());
    let sut = SharedMemory::open_or_create(&name, 4096).unwrap();
    assert!(!sut.was_created());
    assert_eq!(sut.len(), 8192);
    let err = SharedMemory::open_or_create(&name, 16384).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert_eq!(std::fs::metadata(name.path()).unwrap().len(), 8192);
    drop(sut);
    assert!(name.path().exists(), "an opener never removes the object");
    drop(first);
    assert!(!name.path().exists(), "the creator does");
}

/// The entries of `/dev/shm` whose names start with `name`'s (the object and any temporary
/// name derived from it), sorted.
fn entries_named_after(name: &ObjectName) -> Vec<String> {
    let stem = name.as_str().trim_start_matches('/');
    let mut found: Vec<String> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|entry| entry.starts_with(stem))
        .collect();
    found.sort();
    found
}

#[test]
fn racing_open_or_create_calls_make_exactly_one_creator() {
    const RACERS: usize = 8;
    /// Large enough that sizing and reserving it takes a while, which is when an opener of
    /// an object named before it was sized would have found it empty.
    const LEN: usize = 8 << 20;
    if let Some(ctx) = ChildContext::current() {
        let go = std::fs::File::from(ctx.take_fd(10));
        // End of input on the control pipe is the "go" that reaches every racer at once.
        std::io::Read::read_to_end(&mut &go, &mut Vec::new()).unwrap();
        let name = TestName::from_arg(&ctx, "name");
        let mut sut = SharedMemory::builder()
            .permissions(Permissions::from_mode(0o640).unwrap())
            .open_or_create(&name, LEN)
            .unwrap();
        // Whatever a racer found had its full size and mode from the moment it had a name.
        let stat = rustix::fs::fstat(&sut).unwrap();
        sut.persist();
        ctx.report(&format!(
            "created={} len={} size={} mode={:o}",
            sut.was_created(),
            sut.len(),
            stat.st_size,
            stat.st_mode & 0o777
        ));
        return;
    }
    let name = TestName::new();
    let spawner = SpawnLock::lock();
    let (reader, writer) = std::io::pipe().unwrap();
    let mut children: Vec<Child> = (0..RACERS)
        .map(|_| {
            spawner.spawn(
                ChildBuilder::new("racer")
                    .arg("name", name.as_str())
                    .inherit_fd(&reader, 10),
            )
        })
        .collect();
    drop((reader, spawner));
    drop(writer);
    let mut creators = 0;
    let sized = format!("len={LEN} size={LEN} mode=640");
    for child in &mut children {
        match child.next_report(PATIENCE).unwrap() {
            Some(report) if report == format!("created=true {sized}") => creators += 1,
            Some(report) if report == format!("created=false {sized}") => {}
            other => panic!("unexpected report {other:?}\n{}", child.output_so_far()),
        }
        child.expect_success(PATIENCE);
    }
    assert_eq!(creators, 1);
    assert_eq!(std::fs::metadata(name.path()).unwrap().len(), LEN as u64);
    let bare = name.as_str().trim_start_matches('/');
    assert_eq!(
        entries_named_after(&name),
        [bare],
        "no temporary name is left"
    );
}

#[test]
fn a_publisher_that_loses_to_a_planted_name_leaves_no_temporary_name_behind() {
    let name = TestName::new();
    let bare = name.as_str().trim_start_matches('/').to_owned();
    std::fs::write(name.path(), b"planted").unwrap();
    for len in [4096, 1 << 20] {
        let err = SharedMemory::create_new(&name, len).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    }
    // The fallback for a /dev/shm without O_TMPFILE: a temporary name next to the object.
    let staged = ipc_core::StagedFile::with_temporary_name(name.path()).unwrap();
    let temporary = staged.temporary_path().unwrap().to_owned();
    assert!(
        temporary
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&bare),
        "the leak sweep sees a temporary name as a test object"
    );
    assert_eq!(staged.publish().unwrap_err(), rustix::io::Errno::EXIST);
    assert_eq!(entries_named_after(&name), [bare.as_str()]);
    assert_eq!(std::fs::read(name.path()).unwrap(), b"planted");
}

#[test]
fn the_creator_removes_the_object_on_drop_unless_it_persists() {
    if let Some(ctx) = ChildContext::current() {
        let name = TestName::from_arg(&ctx, "name");
        let sut = SharedMemory::open(&name).unwrap();
        let mut text = [0u8; 9];
        sut.read_at(0, &mut text).unwrap();
        let reader = SharedMemory::open_read_only(&name).unwrap();
        let word = reader.load_u32(64, Ordering::Acquire).unwrap();
        ctx.report(&format!("read {} {word}", String::from_utf8_lossy(&text)));
        return;
    }
    let name = TestName::new();
    let sut = SharedMemory::create_new(&name, 4096).unwrap();
    assert!(name.path().exists());
    drop(sut);
    assert!(!name.path().exists(), "the creator's drop removed it");

    let mut sut = SharedMemory::create_new(&name, 4096).unwrap();
    sut.write_at(0, b"persisted").unwrap();
    sut.atomic_u32(64).unwrap().store(7, Ordering::Release);
    sut.persist();
    drop(sut);
    assert!(
        name.path().exists(),
        "a persisted object survives its creator"
    );

    let mut child = spawn(ChildBuilder::new("reader").arg("name", name.as_str()));
    child.expect_report("read persisted 7", PATIENCE);
    child.expect_success(PATIENCE);

    SharedMemory::unlink_name(&name).unwrap();
    assert!(!name.path().exists());
    let err = SharedMemory::unlink_name(&name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[test]
fn unlink_leaves_an_object_that_replaced_ours_alone() {
    let name = TestName::new();
    let mut sut = SharedMemory::create_new(&name, 4096).unwrap();
    SharedMemory::unlink_name(&name).unwrap();
    let replacement = SharedMemory::create_new(&name, 4096).unwrap();

    let err = sut.unlink().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    assert!(name.path().exists());
    drop(sut);
    assert!(
        name.path().exists(),
        "the drop left the replacement alone too"
    );
    drop(replacement);
    assert!(!name.path().exists());
}

#[test]
fn the_descriptor_is_not_inherited_by_a_spawned_program() {
    if let Some(ctx) = ChildContext::current() {
        let path = PathBuf::from(ctx.arg("path").unwrap());
        for key in ["creator_fd", "opener_fd", "reader_fd"] {
            let fd: i32 = ctx.arg(key).unwrap().parse().unwrap();
            let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok();
            assert_ne!(target.as_ref(), Some(&path), "{key} {fd} was inherited");
        }
        let inherited = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
            .filter(|target| *target == path)
            .count();
        ctx.report(&format!("inherited {inherited}"));
        return;
    }
    let name = TestName::new();
    let creator = SharedMemory::create_new(&name, 4096).unwrap();
    let opener = SharedMemory::open(&name).unwrap();
    let reader = SharedMemory::open_read_only(&name).unwrap();
    let mut child = spawn(
        ChildBuilder::new("checker")
            .arg("path", name.path().display())
            .arg("creator_fd", creator.as_raw_fd())
            .arg("opener_fd", opener.as_raw_fd())
            .arg("reader_fd", reader.as_fd().as_raw_fd()),
    );
    child.expect_report("inherited 0", PATIENCE);
    child.expect_success(PATIENCE);
    // The parent's own descriptors are open and are the object, so the check above can fail.
    for fd in [creator.as_raw_fd(), opener.as_raw_fd(), reader.as_raw_fd()] {
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert_eq!(target, name.path());
    }
}

#[test]
fn data_a_child_writes_is_seen_by_the_parent() {
    if let Some(ctx) = ChildContext::current() {
        let name = TestName::from_arg(&ctx, "name");
        let sut = SharedMemory::open(&name).unwrap();
        sut.write_at(0, b"Hello from child process!").unwrap();
        sut.pod::<[u64; 2]>(128).unwrap().store(&[u64::MAX, 3]);
        // Release: pairs with the Acquire load in the parent, after the report.
        sut.atomic_u32(64).unwrap().store(42, Ordering::Release);
        ctx.report("written");
        return;
    }
    let name = TestName::new();
    let sut = SharedMemory::create_new(&name, 4096).unwrap();
    let mut child = spawn(ChildBuilder::new("writer").arg("name", name.as_str()));
    child.expect_report("written", PATIENCE);
    child.expect_success(PATIENCE);
    assert_eq!(sut.atomic_u32(64).unwrap().load(Ordering::Acquire), 42);
    let mut text = [0u8; 25];
    sut.read_at(0, &mut text).unwrap();
    assert_eq!(&text, b"Hello from child process!");
    assert_eq!(sut.pod::<[u64; 2]>(128).unwrap().load(), [u64::MAX, 3]);
}

#[test]
fn an_object_owned_by_another_user_is_refused_unless_that_user_is_trusted() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: giving an object to another user needs root");
        return;
    }
    const OTHER: u32 = 12345;
    let name = TestName::new();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(name.path())
        .unwrap();
    file.set_len(4096).unwrap();
    rustix::fs::fchown(&file, Some(rustix::process::Uid::from_raw(OTHER)), None).unwrap();

    let err = SharedMemory::open(&name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("uid 12345"), "{err}");
    let err = SharedMemory::open_or_create(&name, 4096).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let err = SharedMemory::open_read_only(&name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");

    let sut = SharedMemory::builder()
        .trust_owner(OTHER)
        .open(&name)
        .unwrap();
    assert_eq!(sut.len(), 4096);
    let sut = SharedMemory::builder()
        .trust_any_owner()
        .open(&name)
        .unwrap();
    assert_eq!(sut.len(), 4096);
    assert_eq!(file.metadata().unwrap().uid(), OTHER);
}

#[test]
fn a_missing_name_is_not_found_and_a_taken_one_already_exists_naming_both() {
    let name = TestName::new();
    let err = SharedMemory::open(&name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        err.to_string(),
        format!("shm_open {}: not found (ENOENT)", name.as_str())
    );
    let err = SharedMemory::open_read_only(&name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let _sut = SharedMemory::create_new(&name, 4096).unwrap();
    let err = SharedMemory::create_new(&name, 4096).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(
        err.to_string(),
        format!("shm_open {}: already exists (EEXIST)", name.as_str())
    );
}

#[test]
fn something_other_than_a_regular_file_at_the_name_is_the_wrong_object_type() {
    if let Some(ctx) = ChildContext::current() {
        // In a child, under the parent's bound: a read-only open of a FIFO with no writer
        // blocks forever unless the library opens with O_NONBLOCK.
        let name = TestName::from_arg(&ctx, "name");
        for err in [
            SharedMemory::open(&name).unwrap_err(),
            SharedMemory::open_read_only(&name).unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
            assert!(err.to_string().contains("is a FIFO"), "{err}");
        }
        ctx.report("refused");
        return;
    }
    let name = TestName::new();
    std::fs::create_dir(name.path()).unwrap();
    let err = SharedMemory::open(&name).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    std::fs::remove_dir(name.path()).unwrap();

    rustix::fs::mknodat(
        rustix::fs::CWD,
        name.path(),
        rustix::fs::FileType::Fifo,
        Mode::RUSR | Mode::WUSR,
        0,
    )
    .unwrap();
    let mut child = spawn(ChildBuilder::new("opener").arg("name", name.as_str()));
    child.expect_report("refused", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_size_the_tmpfs_cannot_hold_is_a_limit_error_naming_dev_shm_and_leaves_nothing() {
    let stat = rustix::fs::statvfs("/dev/shm").unwrap();
    let fs_size = stat.f_blocks * stat.f_frsize;
    if fs_size == 0 {
        eprintln!("skipped: the tmpfs at /dev/shm has no size limit");
        return;
    }
    let Ok(len) = usize::try_from(fs_size * 2) else {
        return;
    };
    let name = TestName::new();
    // fallocate refuses a length beyond the whole filesystem at once, before allocating.
    let err = SharedMemory::create_new(&name, len).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitReached, "{err}");
    assert_eq!(err.limit().unwrap().knob(), "/dev/shm");
    assert!(err.to_string().contains("/dev/shm"), "{err}");
    assert!(
        !name.path().exists(),
        "the failed creator removed its object"
    );
}

#[test]
fn a_zero_length_is_refused_before_anything_is_created() {
    let name = TestName::new();
    let err = SharedMemory::create_new(&name, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = SharedMemory::open_or_create(&name, 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!name.path().exists());
}
