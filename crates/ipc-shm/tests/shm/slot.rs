//! Slots across processes and alignments: an initialiser that dies is reported, not awaited,
//! one that fails or panics leaves the slot free, and a body is aligned in the region as its
//! type asks.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ipc_core::testing::{ChildBuilder, ChildContext, SpawnLock, TempPath};
use ipc_core::{ErrorKind, SharedRegion};
use ipc_shm::slot::{SLOT_TAG_LEN, Slot, SlotType};
use ipc_shm::{AnonymousRegion, MappedFile, RegionAccess};

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// The slot the processes share, at [`AT`].
const COUNTER: SlotType = SlotType::new("counter", *b"CNT1", 8, 8);

/// A slot type for the single-process tests: 24 bytes, 8-aligned.
const THING: SlotType = SlotType::new("thing", *b"THG1", 24, 8);

/// Where the shared slot starts.
const AT: usize = 512;

/// Runs this process's role if it is a child of these tests; `true` if it was.
fn run_child() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    let region = MappedFile::open(ctx.arg("path").unwrap()).unwrap();
    match ctx.role() {
        "hung-initialiser" => {
            let _never = Slot::init(&region, AT, COUNTER, |_, _| {
                ctx.report("initialising");
                loop {
                    std::thread::park();
                }
            });
            unreachable!("the initialiser never returns");
        }
        "opener" => {
            let slot = Slot::open(&region, AT, COUNTER).unwrap();
            let counter = region.atomic_u64(slot.body_offset()).unwrap();
            let seen = counter.fetch_add(1, Ordering::Relaxed);
            ctx.report(&format!("seen={seen}"));
        }
        other => panic!("unknown role {other}"),
    }
    true
}

/// Spawns a child in `role` on the region file at `path`, under the spawn lock.
fn spawn(role: &str, path: &Path) -> ipc_core::testing::Child {
    SpawnLock::lock().spawn(ChildBuilder::new(role).arg("path", path.display()))
}

#[test]
fn a_slot_whose_initialiser_was_killed_is_reported_gone_instead_of_awaited() {
    if run_child() {
        return;
    }
    let file = TempPath::new("slot");
    let region = MappedFile::create_new(file.path(), 4096).unwrap();
    let mut child = spawn("hung-initialiser", file.path());
    child.expect_report("initialising", PATIENCE);

    let pid = child.pid();
    let err = Slot::open(&region, AT, COUNTER).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("pid {pid} is still initialising")),
        "{err}"
    );
    let err = Slot::init(&region, AT, COUNTER, |_, _| Ok(())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    child.kill();
    let sut = Slot::open(&region, AT, COUNTER).unwrap_err();
    assert_eq!(sut.kind(), ErrorKind::PeerGone, "{sut}");
    let text = sut.to_string();
    assert!(
        text.contains(&format!("pid {pid} claimed the slot and died")),
        "{text}"
    );
    assert!(text.contains(&file.path().display().to_string()), "{text}");
}

#[test]
fn a_child_opens_the_slot_the_parent_initialised_and_shares_its_body() {
    if run_child() {
        return;
    }
    let file = TempPath::new("slot");
    let region = MappedFile::create_new(file.path(), 4096).unwrap();
    let sut = Slot::init(&region, AT, COUNTER, |region, body| {
        region.atomic_u64(body)?.store(41, Ordering::Relaxed);
        Ok(())
    })
    .unwrap();
    let mut child = spawn("opener", file.path());
    child.expect_report("seen=41", PATIENCE);
    child.expect_success(PATIENCE);
    let counter = region.atomic_u64(sut.body_offset()).unwrap();
    assert_eq!(counter.load(Ordering::Relaxed), 42);
}

#[test]
fn a_body_aligned_beyond_eight_bytes_is_aligned_in_the_region() {
    let region = AnonymousRegion::new(4 * 4096).unwrap();
    for align in [16, 64, 4096] {
        let sut_type = SlotType::new("aligned", *b"ALN1", 64, align);
        assert_eq!(sut_type.offset_align(), align);
        for offset in [8, align / 2, align + 8] {
            let err = Slot::init(&region, offset, sut_type, |_, _| Ok(())).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidArgument,
                "{align}@{offset}: {err}"
            );
            assert!(
                err.to_string().contains(&format!("multiples of {align}")),
                "{err}"
            );
            let err = Slot::open(&region, offset, sut_type).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::InvalidArgument,
                "{align}@{offset}: {err}"
            );
        }
        let at = 2 * align;
        let created = Slot::init(&region, at, sut_type, |_, _| Ok(())).unwrap();
        let body = created.body_offset();
        assert_eq!(body % align, 0, "{align}");
        assert_eq!((region.as_ptr() as usize + body) % align, 0, "{align}");
        assert!(body >= at + SLOT_TAG_LEN);
        assert_eq!(
            Slot::open(&region, at, sut_type).unwrap().body_offset(),
            body
        );
    }
}

#[test]
fn a_body_of_at_most_eight_byte_alignment_fits_any_eight_aligned_offset() {
    let region = AnonymousRegion::new(4096).unwrap();
    for (i, align) in [1, 2, 4, 8].into_iter().enumerate() {
        let sut_type = SlotType::new("small", *b"SML1", 8, align);
        let at = 8 + 64 * i;
        let sut = Slot::init(&region, at, sut_type, |_, _| Ok(())).unwrap();
        assert_eq!(sut.body_offset(), at + SLOT_TAG_LEN);
    }
}

#[test]
fn a_failed_initialiser_leaves_the_slot_empty_for_a_retry() {
    let region = AnonymousRegion::new(4096).unwrap();
    let failed = Slot::init(&region, 0, THING, |_, _| {
        Err(ipc_core::Error::new(ErrorKind::Other, "test"))
    });
    assert!(failed.is_err());
    assert_eq!(
        Slot::open(&region, 0, THING).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let mut tag = [1u8; SLOT_TAG_LEN];
    region.read_at(0, &mut tag).unwrap();
    assert_eq!(tag, [0; SLOT_TAG_LEN]);
    Slot::init(&region, 0, THING, |_, _| Ok(())).unwrap();
    Slot::open(&region, 0, THING).unwrap();
}

#[test]
fn a_panicking_initialiser_leaves_the_slot_empty_too() {
    let region = AnonymousRegion::new(4096).unwrap();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Slot::init(&region, 0, THING, |_, _| panic!("initialiser bug"))
    }));
    assert!(unwound.is_err());
    assert_eq!(
        Slot::open(&region, 0, THING).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    Slot::init(&region, 0, THING, |_, _| Ok(())).unwrap();
}

#[test]
fn slots_outside_the_region_or_misaligned_are_refused() {
    let region = AnonymousRegion::new(100).unwrap();
    for offset in [4, 64, usize::MAX - 7] {
        let err = Slot::init(&region, offset, THING, |_, _| Ok(())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
    Slot::init(&region, 56, THING, |_, _| Ok(())).unwrap(); // 56 + 16 + 24 = 96 <= 100
}

#[test]
fn a_claim_by_this_live_process_makes_openers_wait() {
    let region = AnonymousRegion::new(4096).unwrap();
    Slot::init(&region, 0, THING, |region, _| {
        let err = Slot::open(region, 0, THING).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(err.to_string().contains("is still initialising"), "{err}");
        let err = Slot::init(region, 0, THING, |_, _| Ok(())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert!(
            err.to_string().contains("being initialised by pid"),
            "{err}"
        );
        Ok(())
    })
    .unwrap();
}
