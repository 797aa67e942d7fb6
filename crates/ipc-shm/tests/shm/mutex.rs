//! The robust mutex across processes: a killed owner hands the next locker "owner died",
//! repaired with `mark_consistent` or left not recoverable for every process; a process blocked
//! in `lock` wakes when the owner is killed; `try_lock` and `lock_timeout` against a holder in
//! another process; a soak of four processes counting under the lock while one of them is
//! killed inside the lock and respawned, with every committed increment (the killed ones'
//! included) and every repair accounted for exactly; and a forgotten guard
//! whose region is dropped, which leaves the region mapped for glibc's robust list.

use crate::asleep::wait_until_asleep;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytemuck::{Pod, Zeroable};
use ipc_core::SharedRegion;
use ipc_core::testing::{Child, ChildBuilder, ChildContext, SpawnLock, unique_test_name};
use ipc_core::{ErrorKind, ObjectName};
use ipc_shm::sync::{LockError, Mutex, MutexGuard};
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

/// What the soak counts, all under one lock: the total, each worker's committed increments,
/// and the word that tells the survivors to stop.
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
#[repr(C)]
struct Tally {
    total: u64,
    per_worker: [u64; WORKERS],
    /// Set by the parent, under the lock, once the kills are over: the survivors stop.
    stop: u64,
}

impl Tally {
    /// Whether every committed increment is counted in both places.
    fn consistent(&self) -> bool {
        self.total == self.per_worker.iter().sum::<u64>()
    }
}

/// The soak's worker processes: index 0 is the victim's (killed and respawned), 1.. survive.
const WORKERS: usize = 4;

/// How often the soak kills and respawns its victim, each time while it holds the lock.
const SOAK_KILLS: u64 = 8;

/// The increments the last worker 0, which is not killed, makes before it exits.
const FINAL_ROUNDS: u64 = 500;

/// The increments victim number `kill` commits before it reports, holding the lock, and is
/// killed: varied, so that the kills fall at different points of the others' work.
fn victim_rounds(kill: u64) -> u64 {
    50 + (kill * 137) % 400
}

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

/// One soak round by worker `index`: locks (repairing after a dead owner), and unless the
/// stop word is set commits one increment with a single copy of the tally. Returns the guard,
/// the tally as this round left it, whether it counted, and whether it repaired.
///
/// Every victim is killed only after it reported from inside the lock, so a dead owner always
/// left its last increment committed: the repair checks that the tally is consistent (the
/// check fails the child, and with it the test) rather than rewriting it, then marks the mutex
/// consistent.
fn soak_round(
    mutex: &Mutex<SharedMemory, Tally>,
    index: usize,
) -> (MutexGuard<'_, SharedMemory, Tally>, Tally, bool, bool) {
    let (guard, repaired) = match mutex.lock() {
        Ok(guard) => (guard, false),
        Err(LockError::OwnerDied(died)) => {
            let mut guard = died.into_guard();
            let tally = guard.get();
            assert!(tally.consistent(), "a dead owner left {tally:?}");
            guard.mark_consistent().unwrap();
            (guard, true)
        }
        Err(LockError::Failed(err)) => panic!("soak lock: {err}"),
    };
    let (tally, counted) = guard.update(|tally| {
        let counted = tally.stop == 0;
        if counted {
            tally.total += 1;
            tally.per_worker[index] += 1;
        }
        (*tally, counted)
    });
    (guard, tally, counted, repaired)
}

/// The "soak" child: counts as worker `index` until the stop word, or for `rounds`; with
/// `hold`, it then reports `holding <own> <worker 0's count> <total> <repairs>` from inside
/// the lock and waits to be killed there; otherwise it reports `done <own> <repairs>`.
fn soak_worker(ctx: &ChildContext, shm: &Arc<SharedMemory>) {
    let mutex = Mutex::<_, Tally>::open(shm, MUTEX_AT).unwrap();
    let index: usize = ctx.arg("index").unwrap().parse().unwrap();
    let rounds: Option<u64> = ctx.arg("rounds").map(|r| r.parse().unwrap());
    let hold = ctx.arg("hold").is_some();
    ctx.report("started");
    let (mut own, mut repairs) = (0_u64, 0_u64);
    loop {
        let (guard, tally, counted, repaired) = soak_round(&mutex, index);
        repairs += u64::from(repaired);
        own += u64::from(counted);
        if !counted {
            break; // the stop word
        }
        if Some(own) == rounds {
            if hold {
                ctx.report(&format!(
                    "holding {own} {} {} {repairs}",
                    tally.per_worker[0], tally.total
                ));
                let _held = guard;
                park_forever();
            }
            break;
        }
    }
    ctx.report(&format!("done {own} {repairs}"));
}

/// The numbers of a child's soak report that starts with `word`.
fn soak_report(child: &mut Child, word: &str) -> Vec<u64> {
    let report = child.next_report(PATIENCE).unwrap().unwrap();
    let mut words = report.split(' ');
    assert_eq!(words.next(), Some(word), "{report}");
    words.map(|n| n.parse().unwrap()).collect()
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
        "soak" => soak_worker(&ctx, &shm),
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
    let Err(LockError::OwnerDied(died)) = sut.lock_timeout(PATIENCE) else {
        panic!("the next locker must be told the owner died");
    };
    let mut guard = died.into_guard();
    assert_eq!(guard.get(), 41, "the dead owner's write is visible");
    guard.set(&42);
    guard.mark_consistent().unwrap();
    drop(guard);

    assert_eq!(sut.lock_timeout(PATIENCE).unwrap().get(), 42);
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

    let died = sut.lock_timeout(PATIENCE).unwrap_err();
    assert!(died.is_owner_died(), "{died}");
    drop(died); // the guard inside unlocks without marking the mutex consistent

    let err = sut.lock_timeout(PATIENCE).unwrap_err();
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
    // The owner dies only once the waiter sleeps in `lock` (every thread of it asleep).
    wait_until_asleep(&waiter, PATIENCE);
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
    let worker = |index: usize, rounds: Option<u64>, hold: bool| {
        let mut builder = region.child("soak").arg("index", index);
        if let Some(rounds) = rounds {
            builder = builder.arg("rounds", rounds);
        }
        if hold {
            builder = builder.arg("hold", "yes");
        }
        let mut child = spawn(builder);
        child.expect_report("started", PATIENCE);
        child
    };
    // The survivors count until the stop word, through every kill below.
    let mut survivors: Vec<Child> = (1..WORKERS)
        .map(|index| worker(index, None, false))
        .collect();

    // Each victim commits its rounds, reports from inside the lock, and is killed there.
    let (mut victims_own, mut repairs, mut others_counted_meanwhile) = (0, 0, false);
    for kill in 0..SOAK_KILLS {
        let mut victim = worker(0, Some(victim_rounds(kill)), true);
        let holding = soak_report(&mut victim, "holding");
        victim.kill();
        let [own, count0, total, repaired] = holding[..] else {
            panic!("report {holding:?}");
        };
        assert_eq!(
            own,
            victim_rounds(kill),
            "the victim's own committed rounds"
        );
        victims_own += own;
        assert_eq!(
            count0, victims_own,
            "worker 0's count is every victim's rounds so far"
        );
        others_counted_meanwhile |= total > count0;
        repairs += repaired;
    }
    let mut last = worker(0, Some(FINAL_ROUNDS), false);
    let done = soak_report(&mut last, "done");
    assert_eq!(done[0], FINAL_ROUNDS);
    repairs += done[1];
    last.expect_success(PATIENCE);

    match sut.lock_timeout(PATIENCE) {
        Ok(guard) => guard.update(|tally| tally.stop = 1),
        Err(err) => panic!("setting the stop word: {err}"),
    }
    let mut survivors_own = [0_u64; WORKERS];
    for (child, index) in survivors.iter_mut().zip(1..) {
        let done = soak_report(child, "done");
        survivors_own[index] = done[0];
        repairs += done[1];
        child.expect_success(PATIENCE);
    }

    let tally = match sut.lock_timeout(PATIENCE) {
        Ok(guard) => guard.get(),
        Err(err) => panic!("every kill was repaired: {err}"),
    };
    assert_eq!(
        repairs, SOAK_KILLS,
        "each kill inside the lock is repaired exactly once"
    );
    assert_eq!(
        tally.per_worker[0],
        victims_own + FINAL_ROUNDS,
        "the killed victims' committed rounds are all kept"
    );
    assert_eq!(
        tally.per_worker[1..],
        survivors_own[1..],
        "each survivor's own count"
    );
    assert!(
        survivors_own[1..].iter().all(|&n| n > 0),
        "{survivors_own:?}"
    );
    assert!(tally.consistent(), "{tally:?}");
    assert!(
        others_counted_meanwhile,
        "the survivors counted while the victims ran"
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
