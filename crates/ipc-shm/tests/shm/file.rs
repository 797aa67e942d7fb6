//! Mapped files (§2.7): a child's writes reach the parent, files are checked before they are
//! mapped, a symbolic link is never followed, modes are exact, and only the creator removes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, TempPath};
use ipc_core::{ErrorKind, Permissions};
use ipc_shm::{Advice, MappedFile, RegionAccess};
use rustix::fs::Mode;

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// The unprivileged user that owns the "other user's" files below.
const NOBODY: u32 = 65534;

fn spawn(builder: ChildBuilder) -> Child {
    SpawnLock::lock().spawn(builder)
}

/// In a child: reaches the file at the `path` argument the way the `how` argument says, and
/// reports `ok len=<len>` or `refused kind=<kind>`.
fn open_role(ctx: &ChildContext) {
    let path = ctx.arg("path").unwrap();
    let result = match ctx.arg("how").unwrap() {
        "open" => MappedFile::open(path).map(|file| file.len()),
        "open_read_only" => MappedFile::open_read_only(path).map(|region| region.len()),
        "open_or_create" => MappedFile::open_or_create(path, 4096).map(|file| file.len()),
        "create_new" => MappedFile::create_new(path, 4096).map(|file| file.len()),
        other => panic!("unknown way {other}"),
    };
    match result {
        Ok(len) => ctx.report(&format!("ok len={len}")),
        Err(err) => ctx.report(&format!("refused kind={:?}", err.kind())),
    }
}

/// Runs an [`open_role`] child on `path` for each way in `hows`, asserting its reports.
#[track_caller]
fn expect_in_child(path: &Path, cases: &[(&str, &str)]) {
    for (how, expected) in cases {
        let mut child = spawn(
            ChildBuilder::new("open")
                .arg("path", path.display())
                .arg("how", how),
        );
        child.expect_report(expected, PATIENCE);
        child.expect_success(PATIENCE);
    }
}

#[test]
fn data_a_child_writes_through_a_mapped_file_is_seen_by_the_parent_after_flush() {
    if let Some(ctx) = ChildContext::current() {
        let file = MappedFile::open(ctx.arg("path").unwrap()).unwrap();
        file.write_at(100, b"Hello from mmap!").unwrap();
        file.flush_range(100, 16).unwrap();
        file.flush().unwrap();
        ctx.report("flushed");
        return;
    }
    let path = TempPath::new("file");
    let sut = MappedFile::create_new(path.path(), 4096).unwrap();
    let mut child = spawn(ChildBuilder::new("writer").arg("path", path.path().display()));
    child.expect_report("flushed", PATIENCE);
    child.expect_success(PATIENCE);

    let mut seen = [0u8; 16];
    sut.read_at(100, &mut seen).unwrap();
    assert_eq!(&seen, b"Hello from mmap!");
    assert_eq!(
        &std::fs::read(path.path()).unwrap()[100..116],
        b"Hello from mmap!"
    );
    let read_only = MappedFile::open_read_only(path.path()).unwrap();
    let mut again = [0u8; 16];
    read_only.read_at(100, &mut again).unwrap();
    assert_eq!(&again, b"Hello from mmap!");
    assert!(
        read_only
            .load_u32(4096, std::sync::atomic::Ordering::Relaxed)
            .is_err()
    );
}

#[test]
fn a_file_truncated_to_zero_is_refused_on_open() {
    if let Some(ctx) = ChildContext::current() {
        open_role(&ctx);
        return;
    }
    let path = TempPath::new("file");
    let mut sut = MappedFile::create_new(path.path(), 4096).unwrap();
    sut.persist();
    drop(sut); // no mapping may see the truncation below: it would raise SIGBUS
    std::fs::OpenOptions::new()
        .write(true)
        .open(path.path())
        .unwrap()
        .set_len(0)
        .unwrap();
    expect_in_child(
        path.path(),
        &[
            ("open", "refused kind=CorruptSharedState"),
            ("open_read_only", "refused kind=CorruptSharedState"),
            ("open_or_create", "refused kind=CorruptSharedState"),
        ],
    );
    assert_eq!(std::fs::metadata(path.path()).unwrap().len(), 0);
}

#[test]
fn open_or_create_refuses_an_existing_file_smaller_than_asked_and_maps_a_larger_one_whole() {
    let path = TempPath::new("file");
    std::fs::write(path.path(), [1u8; 100]).unwrap();
    let err = MappedFile::open_or_create(path.path(), 4096).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    let sut = MappedFile::open_or_create(path.path(), 50).unwrap();
    assert_eq!(sut.len(), 100);
}

/// The entries of `path`'s directory whose names start with its file name (the file and any
/// temporary name derived from it), sorted.
fn entries_named_after(path: &Path) -> Vec<String> {
    let stem = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut found: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|entry| entry.starts_with(&stem))
        .collect();
    found.sort();
    found
}

#[test]
fn racing_open_or_create_calls_make_one_creator_and_every_opener_sees_the_full_file() {
    const RACERS: usize = 8;
    const LEN: usize = 4 << 20;
    if let Some(ctx) = ChildContext::current() {
        let go = std::fs::File::from(ctx.take_fd(10));
        // End of input on the control pipe is the "go" that reaches every racer at once.
        std::io::Read::read_to_end(&mut &go, &mut Vec::new()).unwrap();
        let mut sut = MappedFile::builder()
            .permissions(Permissions::from_mode(0o640).unwrap())
            .open_or_create(ctx.arg("path").unwrap(), LEN)
            .unwrap();
        // A file reached by path was complete from the moment the path existed: an opener
        // never finds it empty, so none has to wait or retry.
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
    let path = TempPath::new("file");
    let spawner = SpawnLock::lock();
    let (reader, writer) = std::io::pipe().unwrap();
    let mut children: Vec<Child> = (0..RACERS)
        .map(|_| {
            spawner.spawn(
                ChildBuilder::new("racer")
                    .arg("path", path.path().display())
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
    assert_eq!(std::fs::metadata(path.path()).unwrap().len(), LEN as u64);
    let bare = path
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        entries_named_after(path.path()),
        [bare],
        "no temporary name is left"
    );
}

#[test]
fn create_new_on_a_taken_path_is_already_exists_and_leaves_no_temporary_name() {
    let path = TempPath::new("file");
    std::fs::write(path.path(), b"planted").unwrap();
    let err = MappedFile::create_new(path.path(), 4096).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(
        err.to_string().starts_with("open "),
        "names the operation: {err}"
    );
    // The fallback for a filesystem without O_TMPFILE: a temporary name next to the file.
    let staged = ipc_core::StagedFile::with_temporary_name(path.path()).unwrap();
    assert_eq!(staged.publish().unwrap_err(), rustix::io::Errno::EXIST);
    let bare = path
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(entries_named_after(path.path()), [bare]);
    assert_eq!(std::fs::read(path.path()).unwrap(), b"planted");
}

#[test]
fn errors_name_the_system_call_not_the_method() {
    let path = TempPath::new("file");
    let err = MappedFile::open(path.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().starts_with("open "), "{err}");
    let err = MappedFile::open_or_create(path.path(), 0).unwrap_err();
    assert!(err.to_string().starts_with("open "), "{err}");
    std::fs::write(path.path(), b"").unwrap();
    let err = MappedFile::open_or_create(path.path(), 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState);
    assert!(err.to_string().starts_with("open "), "{err}");
}

#[test]
fn persist_and_unlink_on_a_descriptor_mapping_touch_no_path() {
    let file = tempfile::tempfile().unwrap();
    file.set_len(4096).unwrap();
    let mut sut = MappedFile::map(&file).unwrap();
    sut.persist();
    assert_eq!(sut.unlink().unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(sut.path().is_none() && !sut.was_created());
    assert_eq!(rustix::fs::fstat(&sut).unwrap().st_size, 4096);
}

#[test]
fn a_symlink_at_the_path_is_refused_and_its_target_is_untouched() {
    if let Some(ctx) = ChildContext::current() {
        open_role(&ctx);
        return;
    }
    let victim = TempPath::new("victim");
    std::fs::write(victim.path(), b"precious").unwrap();
    std::fs::set_permissions(victim.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = TempPath::new("file");
    std::os::unix::fs::symlink(victim.path(), path.path()).unwrap();

    expect_in_child(
        path.path(),
        &[
            ("open", "refused kind=PermissionDenied"),
            ("open_read_only", "refused kind=PermissionDenied"),
            ("open_or_create", "refused kind=PermissionDenied"),
            ("create_new", "refused kind=AlreadyExists"),
        ],
    );
    assert!(std::fs::symlink_metadata(path.path()).unwrap().is_symlink());
    let meta = std::fs::symlink_metadata(victim.path()).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o644);
    assert_eq!(std::fs::read(victim.path()).unwrap(), b"precious");
}

#[test]
fn a_directory_or_fifo_at_the_path_is_the_wrong_object_type() {
    let dir = TempPath::new("dir");
    std::fs::create_dir(dir.path()).unwrap();
    let fifo = TempPath::new("fifo");
    rustix::fs::mkfifoat(rustix::fs::CWD, fifo.path(), Mode::from_raw_mode(0o600)).unwrap();
    for path in [dir.path(), fifo.path()] {
        let err = MappedFile::open(path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
        // A FIFO must not block the read-only open either.
        let err = MappedFile::open_read_only(path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WrongObjectType, "{err}");
    }
}

#[test]
fn a_file_owned_by_another_user_is_refused_unless_that_owner_is_trusted() {
    let path = TempPath::new("file");
    std::fs::write(path.path(), [0u8; 4096]).unwrap();
    std::os::unix::fs::chown(path.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    for err in [
        MappedFile::open(path.path()).unwrap_err(),
        MappedFile::open_read_only(path.path()).unwrap_err(),
        MappedFile::builder()
            .trust_owner(NOBODY + 1)
            .open(path.path())
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }
    let sut = MappedFile::builder()
        .trust_owner(NOBODY)
        .open(path.path())
        .unwrap();
    assert_eq!(sut.len(), 4096);
    drop(sut);
    drop(
        MappedFile::builder()
            .trust_any_owner()
            .open(path.path())
            .unwrap(),
    );
    assert!(path.path().exists(), "an opener removed the file");
}

#[test]
fn the_creator_removes_the_file_on_drop_and_an_opener_in_another_process_never_does() {
    if let Some(ctx) = ChildContext::current() {
        open_role(&ctx);
        return;
    }
    let path = TempPath::new("file");
    let sut = MappedFile::create_new(path.path(), 4096).unwrap();
    expect_in_child(
        path.path(),
        &[("open", "ok len=4096"), ("open_or_create", "ok len=4096")],
    );
    assert!(path.path().exists(), "an opener removed the file");
    drop(sut);
    assert!(!path.path().exists(), "the creator left the file");
}

#[test]
fn a_persisted_file_outlives_its_creator_process_and_is_found_by_path() {
    if let Some(ctx) = ChildContext::current() {
        let mut file = MappedFile::create_new(ctx.arg("path").unwrap(), 4096).unwrap();
        file.write_at(0, b"kept").unwrap();
        file.persist();
        return;
    }
    let path = TempPath::new("file");
    let mut child = spawn(ChildBuilder::new("creator").arg("path", path.path().display()));
    child.expect_success(PATIENCE);
    let sut = MappedFile::open(path.path()).unwrap();
    let mut kept = [0u8; 4];
    sut.read_at(0, &mut kept).unwrap();
    assert_eq!(&kept, b"kept");
}

#[test]
fn unlink_removes_the_file_early_and_the_mapping_keeps_working() {
    let path = TempPath::new("file");
    let mut sut = MappedFile::create_new(path.path(), 4096).unwrap();
    sut.unlink().unwrap();
    assert!(!path.path().exists());
    sut.write_at(0, b"still").unwrap();
    assert_eq!(sut.unlink().unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn the_creator_leaves_alone_a_file_that_replaced_its_own() {
    let path = TempPath::new("file");
    let sut = MappedFile::create_new(path.path(), 4096).unwrap();
    std::fs::remove_file(path.path()).unwrap();
    std::fs::write(path.path(), b"someone else's").unwrap();
    drop(sut);
    assert_eq!(std::fs::read(path.path()).unwrap(), b"someone else's");
}

#[test]
fn a_new_file_gets_exactly_its_mode_whatever_the_umask() {
    if let Some(ctx) = ChildContext::current() {
        // The umask is process-wide, so it is changed here, in a child, never in the harness.
        for (umask, mode) in [
            (0o000, None),
            (0o077, None),
            (0o277, None),
            (0o022, Some(0o666)),
        ] {
            rustix::process::umask(Mode::from_raw_mode(umask));
            let path = TempPath::new("file");
            let sut = match mode {
                None => MappedFile::create_new(path.path(), 4096),
                Some(mode) => MappedFile::builder()
                    .permissions(Permissions::from_mode(mode).unwrap())
                    .create_new(path.path(), 4096),
            }
            .unwrap();
            let got = std::fs::metadata(path.path()).unwrap().mode() & 0o7777;
            ctx.report(&format!("umask={umask:03o} mode={got:o}"));
            drop(sut);
        }
        return;
    }
    let mut child = spawn(ChildBuilder::new("creator"));
    for expected in [
        "umask=000 mode=600",
        "umask=077 mode=600",
        "umask=277 mode=600",
        "umask=022 mode=666",
    ] {
        child.expect_report(expected, PATIENCE);
    }
    child.expect_success(PATIENCE);
}

#[test]
fn flush_and_advice_accept_ranges_inside_the_mapping_only() {
    let path = TempPath::new("file");
    let sut = MappedFile::create_new(path.path(), 3 * 4096).unwrap();
    for advice in [
        Advice::Normal,
        Advice::Random,
        Advice::Sequential,
        Advice::WillNeed,
    ] {
        sut.advise(advice).unwrap();
        sut.advise_range(advice, 4096, 4096).unwrap();
    }
    sut.flush_async().unwrap();
    sut.flush_range(1, 3 * 4096 - 1).unwrap();
    for err in [
        sut.flush_range(3 * 4096, 1).unwrap_err(),
        sut.advise_range(Advice::Random, 1, usize::MAX).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}
