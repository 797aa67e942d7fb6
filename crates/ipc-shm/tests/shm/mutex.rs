//! The robust mutex across processes: a killed owner hands the next locker "owner died",
//! repaired with `mark_consistent` or left not recoverable for every process; a process blocked
//! in `lock` wakes when the owner is killed; `try_lock` and `lock_timeout` against a holder in
//! another process; a soak of four processes counting under the lock while one of them is
//! killed and respawned, with every committed increment accounted for; and a forgotten guard
//! whose region is dropped, which leaves the region mapped for glibc's robust list.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytemuck::{Pod, Zeroable};
use ipc_core::SharedRegion;
use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, unique_test_name};
use ipc_core::{ErrorKind, ObjectName};
use ipc_shm::sync::{LockError, Mutex};
use ipc_shm::{AnonymousRegion, SharedMemory};

/// A bound for things that do happen; generous, because the machine may be busy building.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// The timeout given to bounded calls that are expected to time out.
pub(crate) const SHORT: Duration = Duration::from_millis(100);

/// The length of the regions of these tests.
const REGION_LEN: usize = 4096;

/// Where the tests place their mutex.
pub(crate) const MUTEX_AT: usize = 0;

/// A POSIX shm object for one test, created by the parent and removed when the last reference
/// is dropped (a `Mutex` keeps one).
pub(crate) struct TestRegion {
    pub(crate) shm: Arc<SharedMemory>,
}

impl TestRegion {
    pub(crate) fn new() -> Self {
        let name = ObjectName::new(&format!("/{}", unique_test_name("sync"))).unwrap();
        Self {
            shm: Arc::new(SharedMemory::create_new(&name, REGION_LEN).unwrap()),
        }
    }

    /// A child of `role` that opens this region.
    pub(crate) fn child(&self, role: &str) -> ChildBuilder {
        ChildBuilder::new(role).arg("name", self.shm.name().as_str())
    }

    /// In a child: the region its parent named.
    pub(crate) fn open_in_child(ctx: &ChildContext) -> Arc<SharedMemory> {
        let name = ObjectName::new(ctx.arg("name").unwrap()).unwrap();
        Arc::new(SharedMemory::open(&name).unwrap())
    }
}

pub(crate) fn spawn(builder: ChildBuilder) -> Child {
    SpawnLock::lock().spawn(builder)
}

pub(crate) fn park_forever() -> ! {
    loop {
        thread::park();
    }
}

/// What the soak counts: the total and each worker's committed increments, all under one lock.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Tally {
    total: u64,
    per_worker: [u64; WORKERS],
}

/// The soak's worker processes.
const WORKERS: usize = 4;

/// Increments each surviving soak worker makes.
const SOAK_ROUNDS: u64 = 3000;

/// How often the soak kills and respawns its victim.
const SOAK_KILLS: usize = 8;

/// A short word for how a lock call ended, for child reports.
fn outcome<G>(result: Result<G, LockError<G>>) -> String {
    match result {
        Ok(_) => "locked".to_owned(),
        Err(LockError::OwnerDied(_)) => "owner-died".to_owned(),
        Err(LockError::Failed(err)) if err.kind() == ErrorKind::CorruptSharedState => {
            "not-recoverable".to_owned()
        }
        Err(LockError::Failed(err)) => format!("failed: {err}"),
    }
}

/// One soak increment by worker `index`; a dead predecessor's lock is repaired by making the
/// total the sum of the per-worker counts (each word is stored whole, so each count is either
/// before or after the dead worker's last increment). Returns the worker's new count and
/// whether it repaired.
fn soak_increment(mutex: &Mutex<SharedMemory, Tally>, index: usize) -> (u64, bool) {
    let (guard, repaired) = match mutex.lock() {
        Ok(guard) => (guard, false),
        Err(LockError::OwnerDied(died)) => {
            let guard = died.into_guard();
            guard.update(|tally| tally.total = tally.per_worker.iter().sum());
            guard.mark_consistent().unwrap();
            (guard, true)
        }
        Err(LockError::Failed(err)) => panic!("soak lock: {err}"),
    };
    let mine = guard.update(|tally| {
        tally.total += 1;
        tally.per_worker[index] += 1;
        tally.per_worker[index]
    });
    (mine, repaired)
}

/// Whether the `len` bytes from `addr` lie in one mapping of this process, per /proc/self/maps.
fn mapped(addr: usize, len: usize) -> bool {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().any(|line| {
        let range = line.split(' ').next().unwrap();
        let (start, end) = range.split_once('-').unwrap();
        let start = usize::from_str_radix(start, 16).unwrap();
        let end = usize::from_str_radix(end, 16).unwrap();
        start <= addr && addr + len <= end
    })
}

/// The "forget" child: on one thread, locks mutex X (kept) and then mutex A of a second region,
/// forgets A's guard, drops A and the second region's only `Arc`, unlocks X, and exits the
/// thread. glibc's robust list is then head → A → X; unlocking X unlinks it by writing into its
/// neighbour A, and the thread's exit makes the kernel walk the list through A. Reports whether
/// the second region's range is still mapped.
fn forget_a_guard_and_drop_its_region(ctx: &ChildContext) {
    let kept = Arc::new(AnonymousRegion::new(REGION_LEN).unwrap());
    let x = Mutex::init(&kept, MUTEX_AT, 0_u64).unwrap();
    let range = thread::scope(|scope| {
        scope
            .spawn(|| {
                let held = x.lock().unwrap();
                let doomed = Arc::new(AnonymousRegion::new(REGION_LEN).unwrap());
                let range = (doomed.as_ptr() as usize, doomed.len());
                let a = Mutex::init(&doomed, MUTEX_AT, 0_u64).unwrap();
                std::mem::forget(a.lock().unwrap());
                drop(a);
                drop(doomed);
                ctx.report("forgotten");
                drop(held); // walks the robust list through A
                ctx.report("unlocked");
                range
            })
            .join()
            .unwrap()
    });
    // The thread has exited: the kernel walked its robust list too.
    let (addr, len) = range;
    ctx.report(if mapped(addr, len) {
        "mapped"
    } else {
        "unmapped"
    });
    // X was unlocked cleanly and is usable.
    drop(x.lock().unwrap());
}

fn child_side() -> bool {
    let Some(ctx) = ChildContext::current() else {
        return false;
    };
    if ctx.role() == "forget" {
        forget_a_guard_and_drop_its_region(&ctx);
        return true;
    }
    let shm = TestRegion::open_in_child(&ctx);
    let mutex = Mutex::<_, u64>::open(&shm, MUTEX_AT);
    match ctx.role() {
        "hold" => {
            let mutex = mutex.unwrap();
            let guard = mutex.lock().unwrap();
            guard.set(&41);
            ctx.report("locked");
            park_forever();
        }
        "lock" => {
            let mutex = mutex.unwrap();
            ctx.report("waiting");
            let result = mutex.lock();
            ctx.report(&outcome(result));
        }
        "soak" => {
            let mutex = Mutex::<_, Tally>::open(&shm, MUTEX_AT).unwrap();
            let index: usize = ctx.arg("index").unwrap().parse().unwrap();
            let rounds: Option<u64> = ctx.arg("rounds").map(|r| r.parse().unwrap());
            ctx.report("started");
            let (mut mine, mut repairs) = (0, 0);
            for _ in 0..rounds.unwrap_or(u64::MAX) {
                let (now, repaired) = soak_increment(&mutex, index);
                mine = now;
                repairs += u64::from(repaired);
            }
            ctx.report(&format!("done {mine} repairs {repairs}"));
        }
        other => panic!("unknown role {other}"),
    }
    true
}

/// A child holding the mutex of `region`, which it set to 41.
fn spawn_holder(region: &TestRegion) -> Child {
    let mut holder = spawn(region.child("hold"));
    holder.expect_report("locked", PATIENCE);
    holder
}

#[test]
fn a_killed_owner_hands_the_next_locker_owner_died_and_mark_consistent_restores_it() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = Mutex::init(&region.shm, MUTEX_AT, 0_u64).unwrap();
    let mut holder = spawn_holder(&region);

    let err = sut.try_lock().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let start = Instant::now();
    let err = sut.lock_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(
        start.elapsed() >= SHORT,
        "gave up after {:?}",
        start.elapsed()
    );

    holder.kill();
    let Err(LockError::OwnerDied(died)) = sut.lock() else {
        panic!("the next locker must be told the owner died");
    };
    let guard = died.into_guard();
    assert_eq!(guard.get(), 41, "the dead owner's write is visible");
    guard.set(&42);
    guard.mark_consistent().unwrap();
    drop(guard);

    assert_eq!(sut.lock().unwrap().get(), 42);
    assert_eq!(sut.try_lock().unwrap().get(), 42);
}

#[test]
fn an_owner_died_mutex_dropped_without_mark_consistent_is_not_recoverable_for_every_process() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = Mutex::init(&region.shm, MUTEX_AT, 0_u64).unwrap();
    spawn_holder(&region).kill();

    let died = sut.lock().unwrap_err();
    assert!(died.is_owner_died(), "{died}");
    drop(died); // the guard inside unlocks without marking the mutex consistent

    let err = sut.lock().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptSharedState, "{err}");
    assert!(err.to_string().contains("not recoverable"), "{err}");
    let mut other = spawn(region.child("lock"));
    other.expect_report("waiting", PATIENCE);
    other.expect_report("not-recoverable", PATIENCE);
    other.expect_success(PATIENCE);
}

#[test]
fn a_process_blocked_in_lock_wakes_when_the_owner_is_killed() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let _sut = Mutex::init(&region.shm, MUTEX_AT, 0_u64).unwrap();
    let mut holder = spawn_holder(&region);
    let mut waiter = spawn(region.child("lock"));
    waiter.expect_report("waiting", PATIENCE);
    // Give the waiter time to block in the kernel; it wakes whether or not it got there.
    thread::sleep(SHORT);
    assert!(
        waiter.try_wait().unwrap().is_none(),
        "the waiter must be blocked"
    );
    holder.kill();
    waiter.expect_report("owner-died", PATIENCE);
    waiter.expect_success(PATIENCE);
}

#[test]
fn four_processes_counting_under_the_lock_lose_no_committed_increment_while_one_is_killed() {
    if child_side() {
        return;
    }
    let region = TestRegion::new();
    let sut = Mutex::init(&region.shm, MUTEX_AT, Tally::zeroed()).unwrap();
    let worker = |index: usize, rounds: Option<u64>| {
        let builder = region.child("soak").arg("index", index);
        let mut child = spawn(match rounds {
            Some(rounds) => builder.arg("rounds", rounds),
            None => builder,
        });
        child.expect_report("started", PATIENCE);
        child
    };
    let mut survivors: Vec<Child> = (1..WORKERS)
        .map(|index| worker(index, Some(SOAK_ROUNDS)))
        .collect();
    for round in 0..SOAK_KILLS {
        let mut victim = worker(0, None);
        thread::sleep(Duration::from_millis(10 + 5 * round as u64));
        victim.kill();
    }
    survivors.push(worker(0, Some(SOAK_ROUNDS)));

    let mut reported = [0_u64; WORKERS];
    for (child, index) in survivors.iter_mut().zip([1, 2, 3, 0]) {
        let report = child.next_report(PATIENCE).unwrap().unwrap();
        let words: Vec<&str> = report.split(' ').collect();
        assert_eq!(words[0], "done", "{report}");
        reported[index] = words[1].parse().unwrap();
        child.expect_success(PATIENCE);
    }

    let tally = match sut.lock() {
        Ok(guard) => guard.get(),
        Err(LockError::OwnerDied(_)) => panic!("every worker finished or was repaired"),
        Err(LockError::Failed(err)) => panic!("{err}"),
    };
    assert_eq!(
        tally.per_worker, reported,
        "each worker's last committed count"
    );
    assert_eq!(tally.total, tally.per_worker.iter().sum::<u64>());
    assert!(tally.per_worker[1..].iter().all(|&n| n == SOAK_ROUNDS));
    assert!(
        tally.per_worker[0] >= SOAK_ROUNDS,
        "the victim's work is kept"
    );
}

#[test]
fn a_forgotten_guard_keeps_its_region_mapped_for_the_robust_list_after_the_region_is_dropped() {
    if child_side() {
        return;
    }
    // In a child: without the leak, the unlock or the thread's exit touches unmapped memory.
    let mut child = spawn(ChildBuilder::new("forget"));
    child.expect_report("forgotten", PATIENCE);
    child.expect_report("unlocked", PATIENCE);
    child.expect_report("mapped", PATIENCE);
    child.expect_success(PATIENCE);
}
