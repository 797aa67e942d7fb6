//! The layout header across processes: creators that live, die, corrupt or race.
//!
//! The region is a test-only [`SharedRegion`] over a mapped temporary file, so these tests
//! depend on nothing but the header and `ipc_core`.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use ipc_core::testing::{ChildBuilder, ChildContext, SpawnLock, TempPath};
use ipc_core::{ErrorKind, Object, SharedRegion};
use ipc_shm::header::{HEADER_LEN, Header, Layout, Liveness, validate};
use ipc_shm::{AnonymousRegion, MappedFile, RegionAccess};
use memmap2::MmapRaw;
use proptest::prelude::*;

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// The region's length.
const REGION_LEN: u64 = 4096;

/// The payload of these tests: a 64-byte message.
const MESSAGE: Layout = Layout::new(u64::from_ne_bytes(*b"hdr-test"), 1, 64);

/// Where a racing child finds the read end of the "go" pipe.
const GO_FD: i32 = 10;

/// A shared mapping of a whole regular file, read and write.
struct FileRegion {
    map: MmapRaw,
    path: PathBuf,
}

impl FileRegion {
    /// Creates the file at `path`, [`REGION_LEN`] zeroed bytes long, and maps it.
    fn create(path: &Path) -> Self {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .unwrap();
        file.set_len(REGION_LEN).unwrap();
        Self::map(&file, path)
    }

    /// Maps the existing file at `path`.
    fn open(path: &Path) -> Self {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        Self::map(&file, path)
    }

    fn map(file: &File, path: &Path) -> Self {
        Self {
            map: MmapRaw::map_raw(file).unwrap(),
            path: path.to_owned(),
        }
    }
}

// SAFETY: `MmapRaw` maps the whole file shared, readable and writable, at a page-aligned address
// that is fixed until it drops, and its length (the file's, REGION_LEN > 0) never changes.
// Nothing in these tests truncates the files, so no access can fault.
#[allow(unsafe_code, reason = "a test region states the SharedRegion contract")]
unsafe impl SharedRegion for FileRegion {
    fn as_ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn object(&self) -> Option<Object> {
        Some(Object::from(self.path.as_path()))
    }
}

/// The message a creator writes, padded to the payload's length.
fn message(pid: u32) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    let text = format!("hello from pid {pid}");
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    bytes
}

/// Initialises the region at the parent's path with [`message`].
fn init_message(region: &FileRegion) -> Header<'_, FileRegion> {
    Header::init(region, MESSAGE, |region, payload| {
        region.write_at(payload, &message(std::process::id()))
    })
    .unwrap()
}

/// Runs this process's role if it is a child of these tests; `true` if it was.
fn run_child() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    let region = FileRegion::open(Path::new(ctx.arg("path").unwrap()));
    match ctx.role() {
        "creator" => {
            init_message(&region);
            ctx.report("ready");
            park_forever();
        }
        "hung-initialiser" => {
            let _never = Header::init(&region, MESSAGE, |_, _| {
                ctx.report("initialising");
                park_forever();
            });
            unreachable!("the initialiser never returns");
        }
        "corrupter" => {
            init_message(&region);
            let offset: usize = ctx.arg("offset").unwrap().parse().unwrap();
            let value: u64 = ctx.arg("value").unwrap().parse().unwrap();
            let len: usize = ctx.arg("len").unwrap().parse().unwrap();
            region
                .write_at(offset, &value.to_ne_bytes()[..len])
                .unwrap();
            ctx.report("corrupted");
        }
        "racer" => {
            let mut go = File::from(ctx.take_fd(GO_FD));
            let mut byte = [0u8; 1];
            while go.read(&mut byte).unwrap() != 0 {}
            let header = match Header::init(&region, MESSAGE, |region, payload| {
                region.write_at(payload, &message(std::process::id()))
            }) {
                Ok(header) => {
                    ctx.report("won");
                    header
                }
                Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                    ctx.report("lost");
                    Header::open_timeout(&region, MESSAGE, PATIENCE).unwrap()
                }
                Err(err) => panic!("init: {err}"),
            };
            let mut seen = [0u8; 64];
            region.read_at(header.payload_offset(), &mut seen).unwrap();
            assert_eq!(seen, message(header.creator().pid()));
            ctx.report(&format!("creator={}", header.creator().pid()));
        }
        other => panic!("unknown role {other}"),
    }
    true
}

fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Spawns a child in `role` on the region file at `path`, under the spawn lock.
fn spawn(role: &str, path: &Path) -> ipc_core::testing::Child {
    SpawnLock::lock().spawn(ChildBuilder::new(role).arg("path", path.display()))
}

#[test]
fn a_child_creator_is_alive_while_it_runs_and_dead_once_killed() {
    if run_child() {
        return;
    }
    let file = TempPath::new("header");
    let region = FileRegion::create(file.path());
    let mut child = spawn("creator", file.path());
    child.expect_report("ready", PATIENCE);

    let sut = Header::open(&region, MESSAGE).unwrap();
    assert_eq!(sut.creator().pid(), child.pid());
    assert_eq!(sut.creator().liveness(), Liveness::Alive);
    let mut seen = [0u8; 64];
    region.read_at(sut.payload_offset(), &mut seen).unwrap();
    assert_eq!(seen, message(child.pid()));

    child.kill();
    assert_eq!(sut.creator().liveness(), Liveness::Dead);
    // The header stays valid after its creator is gone; only liveness changes.
    Header::open(&region, MESSAGE).unwrap();
}

#[test]
fn a_creator_killed_while_initialising_is_reported_gone_instead_of_awaited() {
    if run_child() {
        return;
    }
    let file = TempPath::new("header");
    let region = FileRegion::create(file.path());
    let mut child = spawn("hung-initialiser", file.path());
    child.expect_report("initialising", PATIENCE);

    let err = Header::open(&region, MESSAGE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let err = Header::init(&region, MESSAGE, |_, _| Ok(())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    let pid = child.pid();
    child.kill();
    let sut = Header::open_timeout(&region, MESSAGE, PATIENCE).unwrap_err();
    assert_eq!(sut.kind(), ErrorKind::PeerGone, "{sut}");
    let text = sut.to_string();
    assert!(
        text.contains(&format!("pid {pid} claimed the header and died")),
        "{text}"
    );
    assert!(text.contains(&file.path().display().to_string()), "{text}");
}

#[test]
fn a_field_corrupted_by_a_peer_is_refused_naming_the_field() {
    if run_child() {
        return;
    }
    // (field, offset, bytes, value written), at the offsets the module documents.
    let cases: [(&str, usize, usize, u64); 4] = [
        ("magic", 0, 8, u64::from_ne_bytes(*b"NOTMAGIC")),
        ("header_version", 8, 4, 7),
        ("layout_len", 32, 8, 1_000_000),
        ("layout_tag", 24, 8, 42),
    ];
    for (field, offset, len, value) in cases {
        let file = TempPath::new("header");
        let region = FileRegion::create(file.path());
        let mut child = SpawnLock::lock().spawn(
            ChildBuilder::new("corrupter")
                .arg("path", file.path().display())
                .arg("offset", offset)
                .arg("len", len)
                .arg("value", value),
        );
        child.expect_report("corrupted", PATIENCE);
        child.expect_success(PATIENCE);

        let err = Header::open(&region, MESSAGE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{field}: {err}");
        assert!(err.detail().unwrap().starts_with(field), "{field}: {err}");
        assert_eq!(err.operation(), "header::open");
        assert!(err.to_string().contains(&file.path().display().to_string()));
        let err = Header::open_timeout(&region, MESSAGE, PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{field}: {err}");

        // A process that may only read the region is told the same.
        let reader = MappedFile::open_read_only(file.path()).unwrap();
        let err = Header::open_read_only(&reader, MESSAGE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{field}: {err}");
        assert!(err.detail().unwrap().starts_with(field), "{field}: {err}");
        assert_eq!(err.operation(), "header::open_read_only");
        let err = Header::open_read_only_timeout(&reader, MESSAGE, PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{field}: {err}");
    }
}

#[test]
fn a_read_only_opener_validates_the_header_a_child_created_and_reads_its_payload() {
    if run_child() {
        return;
    }
    let file = TempPath::new("header");
    drop(FileRegion::create(file.path()));
    let reader = MappedFile::open_read_only(file.path()).unwrap();
    let err = Header::open_read_only(&reader, MESSAGE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");

    let mut child = spawn("creator", file.path());
    child.expect_report("ready", PATIENCE);
    let sut = Header::open_read_only_timeout(&reader, MESSAGE, PATIENCE).unwrap();
    assert_eq!(sut.creator().pid(), child.pid());
    assert_eq!(sut.creator().liveness(), Liveness::Alive);
    assert_eq!(sut.payload_len(), 64);
    let mut seen = [0u8; 64];
    reader.read_at(sut.payload_offset(), &mut seen).unwrap();
    assert_eq!(seen, message(child.pid()));

    let other = Layout::new(u64::from_ne_bytes(*b"other!!!"), 1, 64);
    let err = Header::open_read_only(&reader, other).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert!(err.detail().unwrap().starts_with("layout_tag"), "{err}");
    child.kill();
}

#[test]
fn a_read_only_opener_is_told_when_the_initialiser_dies() {
    if run_child() {
        return;
    }
    let file = TempPath::new("header");
    drop(FileRegion::create(file.path()));
    let mut child = spawn("hung-initialiser", file.path());
    child.expect_report("initialising", PATIENCE);
    let reader = MappedFile::open_read_only(file.path()).unwrap();
    let err = Header::open_read_only(&reader, MESSAGE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");

    let pid = child.pid();
    child.kill();
    let deadline = std::time::Instant::now() + PATIENCE;
    let sut = Header::open_read_only_deadline(&reader, MESSAGE, deadline).unwrap_err();
    assert_eq!(sut.kind(), ErrorKind::PeerGone, "{sut}");
    assert!(
        sut.to_string()
            .contains(&format!("pid {pid} claimed the header and died")),
        "{sut}"
    );
}

#[test]
fn racing_initialisers_elect_exactly_one_and_the_others_open_its_header() {
    if run_child() {
        return;
    }
    const RACERS: usize = 4;
    let file = TempPath::new("header");
    let region = FileRegion::create(file.path());
    let mut children = {
        let spawner = SpawnLock::lock();
        let (go_reader, go_writer) = std::io::pipe().unwrap();
        let children: Vec<_> = (0..RACERS)
            .map(|_| {
                spawner.spawn(
                    ChildBuilder::new("racer")
                        .arg("path", file.path().display())
                        .inherit_fd(&go_reader, GO_FD),
                )
            })
            .collect();
        // Closing the last write end is the "go" for every racer at once.
        drop((go_reader, go_writer));
        children
    };

    let mut winners = Vec::new();
    let mut seen_creators = Vec::new();
    for child in &mut children {
        match child.next_report(PATIENCE).unwrap().as_deref() {
            Some("won") => winners.push(child.pid()),
            Some("lost") => {}
            other => panic!("unexpected report {other:?}"),
        }
        let creator = child.next_report(PATIENCE).unwrap().unwrap();
        seen_creators.push(creator);
        child.expect_success(PATIENCE);
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let expected = format!("creator={}", winners[0]);
    assert!(
        seen_creators.iter().all(|seen| *seen == expected),
        "{seen_creators:?}"
    );
    assert_eq!(
        Header::open(&region, MESSAGE).unwrap().creator().pid(),
        winners[0]
    );
}

#[test]
fn the_initialiser_runs_once_and_its_payload_is_what_openers_read() {
    let sut = AnonymousRegion::new(4096).unwrap();
    let mut calls = 0;
    let created = Header::init(&sut, MESSAGE, |region, payload| {
        calls += 1;
        region.atomic_u64(payload)?.store(7, Ordering::Relaxed);
        Ok(())
    })
    .unwrap();
    assert_eq!(calls, 1);
    let opened = Header::open(&sut, MESSAGE).unwrap();
    assert_eq!(opened.payload_offset(), created.payload_offset());
    assert_eq!(
        sut.atomic_u64(opened.payload_offset())
            .unwrap()
            .load(Ordering::Relaxed),
        7
    );
}

proptest! {
    #[test]
    fn any_layout_that_fits_round_trips_through_init_and_validate(
        tag in any::<u64>(),
        version in any::<u32>(),
        len in 0..=4096 - HEADER_LEN,
    ) {
        let region = AnonymousRegion::new(4096).unwrap();
        let layout = Layout::new(tag, version, len);
        let created = Header::init(&region, layout, |_, _| Ok(())).unwrap();
        prop_assert_eq!(created.payload_len(), len);
        let mut bytes = [0u8; HEADER_LEN];
        region.read_at(0, &mut bytes).unwrap();
        let validated = validate(&bytes, &layout, region.len()).unwrap();
        prop_assert_eq!(validated.payload_offset(), HEADER_LEN);
        prop_assert_eq!(validated.payload_len(), len);
        prop_assert_eq!(validated.creator(), created.creator());
        let opened = Header::open(&region, layout).unwrap();
        prop_assert_eq!(opened.creator().pid(), std::process::id());
    }
}
