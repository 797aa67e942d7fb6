//! Another process shares the region: a child reached by name, path or descriptor (or, for an
//! anonymous mapping, a forked child) and the parent add to one counter at the same time and
//! see each other's bytes, which proves the atomics are shared between processes.

use std::os::unix::process::CommandExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use ipc_core::testing::{ChildBuilder, ChildContext, SpawnLock};
use ipc_shm::RegionAccess;

use super::backing::{Backing, Reachable};
use super::region::{ADDS, pattern};
use super::{LEN, PATIENCE};
use crate::anonymous::{exits_at_once, wait_bounded};

/// Offsets of the cross-process test: the counter both processes add to, the word that lets
/// the child start, and where each process writes its pattern for the other.
const COUNTER: usize = 0;
const GO: usize = 8;
const READY: usize = 12;
const PARENT_PATTERN: usize = 4096;
const CHILD_PATTERN: usize = 6144;
const PATTERN_LEN: usize = 1000;

/// In a child: reaches the region, checks the parent's pattern, reports `ready`, waits for
/// `GO`, then adds to the counter while the parent does, writes its own pattern and reports
/// `done`.
fn add_and_write_role<B: Reachable>(ctx: &ChildContext) {
    let region = B::reach_from_child(ctx);
    let mut seen = vec![0; PATTERN_LEN];
    region.read_at(PARENT_PATTERN, &mut seen).unwrap();
    assert_eq!(seen, pattern(1, PATTERN_LEN), "the parent's pattern");
    ctx.report("ready");
    let go = region.atomic_u32(GO).unwrap();
    let deadline = Instant::now() + PATIENCE;
    // Acquire: pairs with the parent's Release store of GO.
    while go.load(Ordering::Acquire) == 0 {
        assert!(Instant::now() < deadline, "the parent never said go");
        std::thread::yield_now();
    }
    let counter = region.atomic_u64(COUNTER).unwrap();
    for _ in 0..ADDS {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    region
        .write_at(CHILD_PATTERN, &pattern(2, PATTERN_LEN))
        .unwrap();
    ctx.report("done");
}

pub(super) fn a_child_process_and_the_parent_add_to_one_counter_and_see_each_others_bytes<
    B: Reachable,
>() {
    if let Some(ctx) = ChildContext::current() {
        add_and_write_role::<B>(&ctx);
        return;
    }
    let (sut, fixture) = B::create(LEN);
    sut.write_at(PARENT_PATTERN, &pattern(1, PATTERN_LEN))
        .unwrap();
    let builder = B::hand_to_child(&fixture, ChildBuilder::new("add-and-write"));
    let mut child = SpawnLock::lock().spawn(builder);
    child.expect_report("ready", PATIENCE);
    // Release: pairs with the child's Acquire load of GO.
    sut.atomic_u32(GO).unwrap().store(1, Ordering::Release);
    let counter = sut.atomic_u64(COUNTER).unwrap();
    for _ in 0..ADDS {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    child.expect_report("done", PATIENCE);
    child.expect_success(PATIENCE);
    // Reaping the child ordered its writes before these loads.
    assert_eq!(counter.load(Ordering::Relaxed), 2 * ADDS);
    let mut seen = vec![0; PATTERN_LEN];
    sut.read_at(CHILD_PATTERN, &mut seen).unwrap();
    assert_eq!(seen, pattern(2, PATTERN_LEN), "the child's pattern");
}

/// The same for a backing that only a forked child shares: the child is the moment between
/// `fork` and `exec` of a `Command` (the harness never forks), whose `pre_exec` hook may only
/// make async-signal-safe calls. Atomic loads, stores and adds, the successful paths of
/// `RegionAccess` (which allocate nothing) and reading the monotonic clock are exactly that.
/// While the hook runs, the parent's spawning thread waits for the exec, so another thread of
/// the parent adds at the same time.
pub(super) fn a_forked_child_and_the_parent_add_to_one_counter_and_see_each_others_bytes<
    B: Backing,
>() {
    let (sut, _fixture) = B::create(LEN);
    let sut = Arc::new(sut);
    sut.write_at(PARENT_PATTERN, &pattern(1, PATTERN_LEN))
        .unwrap();
    let child_pattern = pattern(2, PATTERN_LEN);
    let region = Arc::clone(&sut);
    let hook = move || {
        let fail = || std::io::Error::from_raw_os_error(libc::EINVAL);
        let (Ok(counter), Ok(go), Ok(ready)) = (
            region.atomic_u64(COUNTER),
            region.atomic_u32(GO),
            region.atomic_u32(READY),
        ) else {
            return Err(fail());
        };
        ready.store(1, Ordering::Relaxed);
        let deadline = Instant::now() + PATIENCE;
        // Acquire: pairs with the parent thread's Release store of GO.
        while go.load(Ordering::Acquire) == 0 {
            if Instant::now() > deadline {
                return Err(fail());
            }
            std::hint::spin_loop();
        }
        for _ in 0..ADDS {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        region
            .write_at(CHILD_PATTERN, &child_pattern)
            .map_err(|_| fail())
    };
    let mut command = exits_at_once();
    // SAFETY: the hook runs in the forked child before exec and only uses atomics and copies
    // on a shared mapping that the fork kept at the same address, and the monotonic clock; it
    // allocates nothing, takes no lock and touches no other state of the parent.
    #[allow(unsafe_code, reason = "pre_exec runs code in the forked child")]
    let command = unsafe { command.pre_exec(hook) };
    let status = std::thread::scope(|scope| {
        scope.spawn(|| {
            let ready = sut.atomic_u32(READY).unwrap();
            let deadline = Instant::now() + PATIENCE;
            while ready.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
                std::thread::yield_now();
            }
            // Release: pairs with the child's Acquire load of GO.
            sut.atomic_u32(GO).unwrap().store(1, Ordering::Release);
            let counter = sut.atomic_u64(COUNTER).unwrap();
            for _ in 0..ADDS {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let child = SpawnLock::lock().command(command);
        wait_bounded(child, PATIENCE)
    });
    assert!(status.success(), "the forked child failed: {status}");
    assert_eq!(
        sut.atomic_u64(COUNTER).unwrap().load(Ordering::Relaxed),
        2 * ADDS
    );
    let mut seen = vec![0; PATTERN_LEN];
    sut.read_at(CHILD_PATTERN, &mut seen).unwrap();
    assert_eq!(seen, pattern(2, PATTERN_LEN), "the child's pattern");
}
