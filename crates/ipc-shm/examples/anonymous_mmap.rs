//! The reference's anonymous-mmap program: the parent writes 42 into a `MAP_SHARED |
//! MAP_ANONYMOUS` region, a forked child reads it and writes 84 back, and the parent sees the
//! child's write.
//!
//! The mapping is shared with a forked child but not with a program it execs, so the child's
//! work happens between `fork` and `exec`, in a `Command::pre_exec` hook, where only
//! async-signal-safe code may run: atomic loads and stores on the region are exactly that.
//! The child then execs `/bin/true`, and the mapping goes with the old program image. (A child
//! that must run another program shares a `Memfd` instead; see `memfd_handoff`.)
//!
//! Run it with `cargo run -p ipc-shm --example anonymous_mmap`.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ipc_shm::{AnonymousRegion, RegionAccess};

/// The word the parent writes.
const PARENT_WORD: usize = 0;
/// The word the child copies the value it read into.
const CHILD_READ_WORD: usize = 4;
/// The word the child writes its answer into.
const CHILD_WROTE_WORD: usize = 8;

/// Adds `hook` to `command`, to run in the forked child just before `exec`.
#[allow(
    unsafe_code,
    reason = "pre_exec is how code runs in a forked child before exec"
)]
fn run_in_forked_child(
    command: &mut Command,
    hook: impl FnMut() -> std::io::Result<()> + Send + Sync + 'static,
) -> &mut Command {
    // SAFETY: `hook` (the closure in `main`) only loads and stores atomics in a shared mapping
    // that fork kept at the same address; it allocates nothing, takes no lock and touches no
    // other state, so it is async-signal-safe as a pre_exec hook must be.
    unsafe { command.pre_exec(hook) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let region = Arc::new(AnonymousRegion::new(4096)?);
    // Release: pairs with the child's Acquire load (fork copies the parent's memory view, so
    // this is belt and braces).
    region.atomic_u32(PARENT_WORD)?.store(42, Ordering::Release);

    let shared = Arc::clone(&region);
    let mut command = Command::new("/bin/true");
    run_in_forked_child(&mut command, move || {
        // The successful paths of `atomic_u32` allocate nothing.
        let (Ok(parent), Ok(read), Ok(wrote)) = (
            shared.atomic_u32(PARENT_WORD),
            shared.atomic_u32(CHILD_READ_WORD),
            shared.atomic_u32(CHILD_WROTE_WORD),
        ) else {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        };
        let value = parent.load(Ordering::Acquire);
        read.store(value, Ordering::Relaxed);
        // Release: pairs with the parent's Acquire load once it has reaped this child.
        wrote.store(value * 2, Ordering::Release);
        Ok(())
    });
    let status = command.spawn()?.wait()?;
    if !status.success() {
        return Err(format!("child failed: {status}").into());
    }

    let read = region.atomic_u32(CHILD_READ_WORD)?.load(Ordering::Relaxed);
    // Acquire: pairs with the child's Release store (waiting for the child ordered it anyway).
    let wrote = region.atomic_u32(CHILD_WROTE_WORD)?.load(Ordering::Acquire);
    println!("Child read: {read}");
    println!("Parent sees child's write: {wrote}");
    if (read, wrote) != (42, 84) {
        return Err("the mapping was not shared with the child".into());
    }
    Ok(())
}
