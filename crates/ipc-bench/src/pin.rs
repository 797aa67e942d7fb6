//! CPU placement: the parent on one CPU, the peer on another, when there are two.

use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
use serde::Serialize;

use crate::error::{Context, Result};

/// Where the two processes run.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Placement {
    /// The CPU the parent (the leader, holding the clock) is pinned to.
    pub(crate) parent_cpu: usize,
    /// The CPU every peer is pinned to.
    pub(crate) peer_cpu: usize,
}

/// The first two CPUs this process may run on, when `available_parallelism() >= 2`; `None`
/// otherwise (both processes then float).
///
/// # Errors
/// When the affinity mask cannot be read.
pub(crate) fn choose() -> Result<Option<Placement>> {
    let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
    if parallelism < 2 {
        return Ok(None);
    }
    let allowed = sched_getaffinity(None).context("read the CPU affinity (sched_getaffinity)")?;
    let mut cpus = (0..CpuSet::MAX_CPU).filter(|&cpu| allowed.is_set(cpu));
    Ok(match (cpus.next(), cpus.next()) {
        (Some(parent_cpu), Some(peer_cpu)) => Some(Placement {
            parent_cpu,
            peer_cpu,
        }),
        _ => None,
    })
}

/// Pins the calling thread (and so the threads it starts later) to `cpu`.
///
/// # Errors
/// When `sched_setaffinity` refuses, for example for a CPU outside the cgroup's set.
pub(crate) fn pin_current_thread(cpu: usize) -> Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu);
    sched_setaffinity(None, &set).with_context(|| format!("pin to CPU {cpu} (sched_setaffinity)"))
}
