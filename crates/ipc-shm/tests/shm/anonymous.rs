//! Anonymous shared mappings (reference doc 001, "Anonymous mmap"): a forked child shares the
//! parent's mapping. The harness never forks, so the child here is the moment between `fork`
//! and `exec` of a `Command`, in its `pre_exec` hook, which may only make async-signal-safe
//! calls: atomic loads and stores on the region are exactly that. (After `exec` the mapping is
//! gone, as `AnonymousRegion`'s docs say; that is not tested.) What it execs is this test
//! binary again, asked to list the tests that match a name none has, so it exits at once.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ipc_core::testing::SpawnLock;
use ipc_shm::{AnonymousRegion, RegionAccess};

/// A bound for things that do happen; generous, because the machine may be busy building.
const PATIENCE: Duration = Duration::from_secs(30);

/// A program for a forked child to exec that exits 0 at once: this test binary, listing the
/// tests whose name is exactly one that no test has (libtest prints nothing of interest and
/// exits 0). Unlike `/bin/true`, it exists wherever the tests run.
pub(crate) fn exits_at_once() -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--list", "--exact", "no-test-has-this-name"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits for `child` to exit within `timeout`, polling `try_wait`; past it, kills and reaps the
/// child and panics, so a child that hangs never hangs the test.
pub(crate) fn wait_bounded(mut child: std::process::Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let status = child.wait().unwrap();
            panic!("the child did not exit within {timeout:?}; killed and reaped ({status})");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Where the parent stores the value, the child copies what it read, and the child stores its
/// answer.
const PARENT_WORD: usize = 0;
const CHILD_READ_WORD: usize = 4;
const CHILD_WROTE_WORD: usize = 8;

#[test]
fn a_forked_child_reads_the_parents_write_and_the_parent_sees_the_childs() {
    let sut = Arc::new(AnonymousRegion::new(4096).unwrap());
    // Release: pairs with the child's Acquire load (fork copies this thread's view anyway).
    sut.atomic_u32(PARENT_WORD)
        .unwrap()
        .store(42, Ordering::Release);

    let region = Arc::clone(&sut);
    let mut command = exits_at_once();
    let hook = move || {
        // Only atomic loads and stores on a mapping that fork kept: async-signal-safe. The
        // successful paths of `atomic_u32` allocate nothing.
        let (Ok(parent), Ok(read), Ok(wrote)) = (
            region.atomic_u32(PARENT_WORD),
            region.atomic_u32(CHILD_READ_WORD),
            region.atomic_u32(CHILD_WROTE_WORD),
        ) else {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        };
        let value = parent.load(Ordering::Acquire);
        read.store(value, Ordering::Relaxed);
        // Release: pairs with the parent's Acquire load after it reaped this child.
        wrote.store(value * 2, Ordering::Release);
        Ok(())
    };
    // SAFETY: the hook runs in the forked child before exec and only loads and stores atomics
    // in a shared mapping that the fork kept at the same address; it allocates nothing, takes
    // no lock and touches no other state of the parent.
    #[allow(unsafe_code, reason = "pre_exec runs code in the forked child")]
    let command = unsafe { command.pre_exec(hook) };
    let child = SpawnLock::lock().command(command);
    let status = wait_bounded(child, PATIENCE);
    assert!(status.success(), "{status}");

    let read = sut
        .atomic_u32(CHILD_READ_WORD)
        .unwrap()
        .load(Ordering::Relaxed);
    // Acquire: pairs with the child's Release store; waiting for the child ordered it anyway.
    let wrote = sut
        .atomic_u32(CHILD_WROTE_WORD)
        .unwrap()
        .load(Ordering::Acquire);
    assert_eq!(read, 42, "the child did not see the parent's write");
    assert_eq!(wrote, 84, "the parent did not see the child's write");
}
