//! Memfds handed to child processes: seals hold against the receiver, a receiver checks what it
//! gets, write seals freeze the contents, and nothing is inherited by accident.

use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, unique_test_name};
use ipc_core::{ErrorKind, SharedRegion};
use ipc_shm::{Memfd, RegionAccess, Seals};

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// Where a child finds the memfd under test.
const MEMFD_FD: RawFd = 10;

/// Spawns `builder` with `fd` placed at [`MEMFD_FD`], under the spawn lock.
fn spawn_with(fd: impl AsFd, builder: ChildBuilder) -> Child {
    SpawnLock::lock().spawn(builder.inherit_fd(fd, MEMFD_FD))
}

/// The errno of a result as a report word: `ok`, or the error's number.
fn outcome(result: rustix::io::Result<()>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(errno) => errno.raw_os_error().to_string(),
    }
}

/// In a child: tries to shrink and then grow the memfd at [`MEMFD_FD`] with `ftruncate`.
fn truncate_role(ctx: &ChildContext) {
    let fd = ctx.take_fd(MEMFD_FD);
    let size = rustix::fs::fstat(&fd).unwrap().st_size as u64;
    let shrink = outcome(rustix::fs::ftruncate(&fd, size / 2));
    let grow = outcome(rustix::fs::ftruncate(&fd, size * 2));
    ctx.report(&format!("shrink={shrink} grow={grow}"));
}

#[test]
fn a_child_can_neither_shrink_nor_grow_a_sealed_memfd_and_the_parents_mapping_keeps_working() {
    if let Some(ctx) = ChildContext::current() {
        truncate_role(&ctx);
        return;
    }
    let sut = Memfd::create(&unique_test_name("memfd"), 8192).unwrap();
    let region = sut.map().unwrap();
    region.write_at(8188, b"tail").unwrap();
    let mut child = spawn_with(&sut, ChildBuilder::new("truncate"));
    let eperm = libc::EPERM;
    child.expect_report(&format!("shrink={eperm} grow={eperm}"), PATIENCE);
    child.expect_success(PATIENCE);
    // The last page is still there: reading it does not raise SIGBUS.
    let mut tail = [0u8; 4];
    region.read_at(8188, &mut tail).unwrap();
    assert_eq!(&tail, b"tail");
    assert_eq!(rustix::fs::fstat(&sut).unwrap().st_size, 8192);
}

#[test]
fn a_growable_memfd_can_be_grown_by_a_child_but_not_shrunk() {
    if let Some(ctx) = ChildContext::current() {
        truncate_role(&ctx);
        return;
    }
    let sut = Memfd::builder(&unique_test_name("memfd"), 8192)
        .growable()
        .create()
        .unwrap();
    let mut child = spawn_with(&sut, ChildBuilder::new("truncate"));
    child.expect_report(&format!("shrink={} grow=ok", libc::EPERM), PATIENCE);
    child.expect_success(PATIENCE);
    assert_eq!(rustix::fs::fstat(&sut).unwrap().st_size, 16384);
}

#[test]
fn an_unsealed_memfd_can_be_shrunk_by_a_child_which_is_what_the_seals_prevent() {
    if let Some(ctx) = ChildContext::current() {
        truncate_role(&ctx);
        return;
    }
    let sut = Memfd::builder(&unique_test_name("memfd"), 8192)
        .unsealed()
        .create()
        .unwrap();
    let mut child = spawn_with(&sut, ChildBuilder::new("truncate"));
    child.expect_report("shrink=ok grow=ok", PATIENCE);
    child.expect_success(PATIENCE);
    // The child left it at 16384 bytes; shrink it below 8192 here, and a new mapping is refused
    // rather than made over pages that no longer exist.
    rustix::fs::ftruncate(&sut, 4096).unwrap();
    let err = sut.map().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert!(sut.map_read_only().is_err());
}

/// In a child: checks the memfd at [`MEMFD_FD`] as the `checks` argument says, and reports
/// `accepted len=<len> head=<first 5 bytes>` or `refused kind=<kind>: <error>`.
fn receive_role(ctx: &ChildContext) {
    let fd = ctx.take_fd(MEMFD_FD);
    let foreign = Memfd::foreign(fd);
    let foreign = match ctx.arg("checks").unwrap() {
        "default" => foreign,
        "accept_unsealed" => foreign.accept_unsealed(),
        "min_len" => foreign.min_len(ctx.arg("min_len").unwrap().parse().unwrap()),
        other => panic!("unknown checks {other}"),
    };
    match foreign.open() {
        Ok(memfd) => {
            let mut head = [0u8; 5];
            memfd
                .map_read_only()
                .unwrap()
                .read_at(0, &mut head)
                .unwrap();
            let head = String::from_utf8_lossy(&head);
            ctx.report(&format!("accepted len={} head={head}", memfd.len()));
        }
        Err(err) => {
            let mut line = format!("refused kind={:?}: {err}", err.kind());
            line.truncate(500);
            ctx.report(&line);
        }
    }
}

/// Hands `fd` to a [`receive_role`] child with `checks` and returns its one report.
fn receive_in_child(fd: impl AsFd, checks: &str, min_len: usize) -> String {
    let mut child = spawn_with(
        fd,
        ChildBuilder::new("receive")
            .arg("checks", checks)
            .arg("min_len", min_len),
    );
    let report = child.next_report(PATIENCE).unwrap().unwrap();
    child.expect_success(PATIENCE);
    report
}

#[test]
fn a_foreign_unsealed_memfd_is_refused_by_default_naming_the_missing_seal() {
    if let Some(ctx) = ChildContext::current() {
        receive_role(&ctx);
        return;
    }
    let sut = Memfd::builder(&unique_test_name("memfd"), 4096)
        .unsealed()
        .create()
        .unwrap();
    let report = receive_in_child(&sut, "default", 1);
    assert!(
        report.starts_with("refused kind=PermissionDenied"),
        "{report}"
    );
    assert!(report.contains("lacks the seals SHRINK"), "{report}");
}

#[test]
fn a_foreign_unsealed_memfd_is_accepted_with_the_explicit_opt_in() {
    if let Some(ctx) = ChildContext::current() {
        receive_role(&ctx);
        return;
    }
    let sut = Memfd::builder(&unique_test_name("memfd"), 4096)
        .unsealed()
        .create()
        .unwrap();
    sut.map().unwrap().write_at(0, b"hello").unwrap();
    let report = receive_in_child(&sut, "accept_unsealed", 1);
    assert_eq!(report, "accepted len=4096 head=hello");
}

#[test]
fn a_foreign_sealed_memfd_passes_the_default_checks() {
    if let Some(ctx) = ChildContext::current() {
        receive_role(&ctx);
        return;
    }
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    sut.map().unwrap().write_at(0, b"hello").unwrap();
    assert_eq!(
        receive_in_child(&sut, "default", 1),
        "accepted len=4096 head=hello"
    );
}

#[test]
fn a_foreign_memfd_smaller_than_min_len_is_refused() {
    if let Some(ctx) = ChildContext::current() {
        receive_role(&ctx);
        return;
    }
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    let report = receive_in_child(&sut, "min_len", 4097);
    assert!(
        report.starts_with("refused kind=CorruptSharedState"),
        "{report}"
    );
    assert!(report.contains("fewer than the 4097 required"), "{report}");
    assert!(receive_in_child(&sut, "min_len", 4096).starts_with("accepted len=4096"));
}

#[test]
fn a_regular_file_or_a_pipe_handed_over_as_a_memfd_is_the_wrong_object_type() {
    if let Some(ctx) = ChildContext::current() {
        receive_role(&ctx);
        return;
    }
    let file = tempfile::tempfile().unwrap();
    file.set_len(4096).unwrap();
    let report = receive_in_child(&file, "accept_unsealed", 1);
    assert!(
        report.starts_with("refused kind=WrongObjectType"),
        "{report}"
    );
    assert!(report.contains("cannot be sealed"), "{report}");

    let (reader, _writer) = std::io::pipe().unwrap();
    let report = receive_in_child(&reader, "accept_unsealed", 1);
    assert!(
        report.starts_with("refused kind=WrongObjectType"),
        "{report}"
    );
    assert!(report.contains("pipe or FIFO, not a memfd"), "{report}");
}

#[test]
fn after_seal_write_a_child_can_map_only_read_only_and_its_writes_fail() {
    if let Some(ctx) = ChildContext::current() {
        let memfd = Memfd::foreign(ctx.take_fd(MEMFD_FD))
            .require_seals(Seals::WRITE)
            .open()
            .unwrap();
        let map = memfd.map().unwrap_err().kind();
        let write = match rustix::io::pwrite(&memfd, b"x", 0) {
            Ok(n) => format!("wrote {n}"),
            Err(errno) => errno.raw_os_error().to_string(),
        };
        let mut head = [0u8; 6];
        memfd
            .map_read_only()
            .unwrap()
            .read_at(0, &mut head)
            .unwrap();
        let head = String::from_utf8_lossy(&head);
        ctx.report(&format!("map={map:?} write={write} read={head}"));
        return;
    }
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    let region = sut.map().unwrap();
    region.write_at(0, b"frozen").unwrap();
    drop(region);
    sut.seal_write().unwrap();
    assert!(sut.seals().unwrap().contains(Seals::WRITE | Seals::SHRINK));
    let err = sut.map().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let mut child = spawn_with(&sut, ChildBuilder::new("frozen"));
    child.expect_report(
        &format!("map=PermissionDenied write={} read=frozen", libc::EPERM),
        PATIENCE,
    );
    child.expect_success(PATIENCE);
}

/// The permissions column of the `/proc/self/maps` line of the mapping that starts at `addr`
/// (`r--s` for shared, `r--p` for private).
fn mapping_perms(addr: *const u8) -> String {
    let start = format!("{:x}-", addr as usize);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps
        .lines()
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("no mapping starts at {start} in\n{maps}"));
    line.split_whitespace().nth(1).unwrap().to_owned()
}

#[test]
fn a_write_sealed_memfd_is_mapped_read_only_private_on_every_kernel_and_shows_the_sealed_bytes() {
    // Before Linux 6.7 every MAP_SHARED mapping of an F_SEAL_WRITE memfd fails with EPERM,
    // even PROT_READ; a private read-only view works everywhere and shows the same bytes.
    let sut = Memfd::create(&unique_test_name("memfd"), 8192).unwrap();
    sut.map().unwrap().write_at(4000, b"sealed bytes").unwrap();
    let before_seal = sut.map_read_only().unwrap();
    assert_eq!(
        mapping_perms(before_seal.as_ptr()),
        "r--s",
        "unsealed: shared"
    );
    // A shared mapping of a descriptor open for writing may be made writable with mprotect,
    // so it counts as writable and would keep F_SEAL_WRITE from being added (EBUSY).
    drop(before_seal);

    sut.seal_write().unwrap();
    let region = sut.map_read_only().unwrap();
    assert_eq!(mapping_perms(region.as_ptr()), "r--p");
    let mut seen = [0u8; 12];
    region.read_at(4000, &mut seen).unwrap();
    assert_eq!(&seen, b"sealed bytes");
}

#[test]
fn seal_write_while_a_writable_region_lives_is_refused_with_the_documented_error() {
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    let region = sut.map().unwrap();
    let err = sut.seal_write().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
    assert!(
        err.to_string()
            .contains("drop every writable mapping first"),
        "{err}"
    );
    assert!(!sut.seals().unwrap().contains(Seals::WRITE));
    drop(region);
    sut.seal_write().unwrap();
    assert!(sut.seals().unwrap().contains(Seals::WRITE));
}

#[test]
fn seal_write_is_refused_while_a_child_holds_a_writable_mapping_and_succeeds_once_it_is_gone() {
    if let Some(ctx) = ChildContext::current() {
        let memfd = Memfd::from_fd(ctx.take_fd(MEMFD_FD)).unwrap();
        let _region = memfd.map().unwrap();
        ctx.report("mapped");
        loop {
            std::thread::park();
        }
    }
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    let mut child = spawn_with(&sut, ChildBuilder::new("holder"));
    child.expect_report("mapped", PATIENCE);
    let err = sut.seal_write().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
    child.kill();
    sut.seal_write().unwrap();
}

#[test]
fn after_seal_future_write_the_creator_keeps_writing_and_a_child_sees_it_read_only() {
    if let Some(ctx) = ChildContext::current() {
        let memfd = Memfd::foreign(ctx.take_fd(MEMFD_FD))
            .require_seals(Seals::FUTURE_WRITE)
            .open()
            .unwrap();
        let map = memfd.map().unwrap_err().kind();
        let region = memfd.map_read_only().unwrap();
        ctx.report(&format!("map={map:?}"));
        let deadline = Instant::now() + PATIENCE;
        // Acquire: pairs with the parent's Release store of 42.
        while region.load_u64(0, Ordering::Acquire).unwrap() != 42 {
            assert!(Instant::now() < deadline, "the parent's write never came");
            std::thread::sleep(Duration::from_millis(1));
        }
        ctx.report("saw=42");
        return;
    }
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    let region = sut.map().unwrap();
    sut.seal_future_write().unwrap();
    let mut child = spawn_with(&sut, ChildBuilder::new("reader"));
    child.expect_report("map=PermissionDenied", PATIENCE);
    // Release: pairs with the child's Acquire loads.
    region.atomic_u64(0).unwrap().store(42, Ordering::Release);
    child.expect_report("saw=42", PATIENCE);
    child.expect_success(PATIENCE);
}

/// In a child: whether descriptor `fd` of this process is the memfd named `name`.
fn holds_memfd(fd: RawFd, name: &str) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .is_ok_and(|target| target.to_string_lossy().contains(name))
}

#[test]
fn a_memfd_is_not_inherited_by_a_spawned_child_unless_placed_explicitly() {
    if let Some(ctx) = ChildContext::current() {
        let name = ctx.arg("name").unwrap();
        let raw: RawFd = ctx.arg("raw").unwrap().parse().unwrap();
        let at_raw = holds_memfd(raw, name);
        let at_placed = holds_memfd(MEMFD_FD, name);
        ctx.report(&format!("raw={at_raw} placed={at_placed}"));
        return;
    }
    let name = unique_test_name("memfd");
    let sut = Memfd::create(&name, 4096).unwrap();
    let raw = std::os::fd::AsRawFd::as_raw_fd(&sut);
    let builder = || {
        ChildBuilder::new("inspect")
            .arg("name", &name)
            .arg("raw", raw)
    };
    let mut child = SpawnLock::lock().spawn(builder());
    child.expect_report("raw=false placed=false", PATIENCE);
    child.expect_success(PATIENCE);

    let mut child = spawn_with(&sut, builder());
    child.expect_report(&format!("raw={} placed=true", raw == MEMFD_FD), PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn a_memfd_handed_over_as_an_owned_fd_round_trips_through_try_from() {
    let sut = Memfd::create(&unique_test_name("memfd"), 4096).unwrap();
    sut.map().unwrap().write_at(10, b"kept").unwrap();
    let fd: OwnedFd = sut.into();
    let back = Memfd::try_from(fd).unwrap();
    let mut copy = [0u8; 4];
    back.map_read_only()
        .unwrap()
        .read_at(10, &mut copy)
        .unwrap();
    assert_eq!(&copy, b"kept");
    assert_eq!(
        back.map().unwrap().object().unwrap().to_string(),
        format!("fd {}", std::os::fd::AsRawFd::as_raw_fd(&back))
    );
}
