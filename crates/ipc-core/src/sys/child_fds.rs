//! Placing descriptors at fixed numbers in a child process, between `fork` and `exec`.
#![allow(
    unsafe_code,
    reason = "pre_exec, fcntl and dup2 are unsafe to call; each is wrapped once here"
)]

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{self, Command};

/// Sources are moved to this number or above before any `dup2`, so a source can never sit at a
/// target that an earlier `dup2` overwrites. Targets are all below it.
const PARK_FD_MIN: RawFd = 256;

/// Spawns `cmd` with each descriptor of `fds` placed at its target number in the child, without
/// close-on-exec there.
///
/// The sources stay close-on-exec in this process, so children spawned concurrently by other
/// threads never inherit them. `fds` is borrowed for the whole call, so every source is open
/// when the child duplicates it.
pub(crate) fn spawn_with_fds(
    cmd: &mut Command,
    fds: &[(OwnedFd, RawFd)],
) -> io::Result<process::Child> {
    let moves: Vec<(RawFd, RawFd)> = fds
        .iter()
        .map(|(source, target)| (source.as_raw_fd(), *target))
        .collect();
    // Allocated here, before the fork: the child only writes into it.
    let mut parked: Vec<RawFd> = vec![-1; moves.len()];
    let remap = move || remap_fds(&moves, &mut parked);
    // SAFETY: `pre_exec` requires the closure to be safe to run between `fork` and `exec` in a
    // copy of a multithreaded process. `remap_fds` calls only `fcntl` and `dup2`, both
    // async-signal-safe (signal-safety(7)), takes no lock and does not allocate: it writes into
    // `parked`, sized above before the fork, and builds an `io::Error` only from `errno`.
    unsafe { cmd.pre_exec(remap) };
    cmd.spawn()
}

/// Runs in the forked child: parks every source at `PARK_FD_MIN` or above, then `dup2`s each to
/// its target, which clears close-on-exec on the target ("The two file descriptors do not share
/// file descriptor flags (the close-on-exec flag). The close-on-exec flag for the duplicate
/// descriptor is off.", dup(2)). The parked copies are close-on-exec and vanish at `exec`.
///
/// A target may hold a descriptor of this process that is close-on-exec (say, std's pipe that
/// reports an `exec` failure); `dup2` replaces it in the child only, which costs at most the
/// detail of an `exec` error that never happens for the running binary.
fn remap_fds(moves: &[(RawFd, RawFd)], parked: &mut [RawFd]) -> io::Result<()> {
    for (slot, &(source, _)) in parked.iter_mut().zip(moves) {
        // SAFETY: `fcntl(F_DUPFD_CLOEXEC)` reads and writes none of our memory; a source that is
        // not open yields `EBADF`, which is returned.
        let moved = unsafe { libc::fcntl(source, libc::F_DUPFD_CLOEXEC, PARK_FD_MIN) };
        if moved < 0 {
            return Err(io::Error::last_os_error());
        }
        *slot = moved;
    }
    for (&moved, &(_, target)) in parked.iter().zip(moves) {
        // SAFETY: `dup2` reads and writes none of our memory. Replacing whatever is at `target`
        // is the point: this is the child, about to `exec`, and no Rust object in it will use
        // the old descriptor again.
        let placed = unsafe { libc::dup2(moved, target) };
        if placed < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;

    #[test]
    fn remap_places_sources_that_sit_on_each_others_targets() {
        let (mut a_reader, a_writer) = std::io::pipe().unwrap();
        let (mut b_reader, b_writer) = std::io::pipe().unwrap();
        let (a, b) = (OwnedFd::from(a_writer), OwnedFd::from(b_writer));
        let (a_number, b_number) = (a.as_raw_fd(), b.as_raw_fd());
        // Swap: in-order dup2 without parking would overwrite b's source before copying it.
        // Every number involved is owned by this test, so no other test's descriptor is touched.
        let mut parked = [-1; 2];
        remap_fds(&[(a_number, b_number), (b_number, a_number)], &mut parked).unwrap();
        for fd in parked {
            assert!(fd >= PARK_FD_MIN);
            // SAFETY: `remap_fds` just made `fd` with F_DUPFD_CLOEXEC and nothing else knows it.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        // `b` now owns the number that holds a's write end, and `a` the one that holds b's.
        for fd in [&a, &b] {
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC).unwrap();
        }
        write!(File::from(b), "to a").unwrap();
        write!(File::from(a), "to b").unwrap();
        // Non-blocking reads: a wrong placement shows as wrong or missing bytes, never a hang.
        let read_now = |reader: &mut std::io::PipeReader| {
            rustix::fs::fcntl_setfl(&*reader, rustix::fs::OFlags::NONBLOCK).unwrap();
            let mut buf = [0_u8; 16];
            let n = reader.read(&mut buf).unwrap_or(0);
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        let (got_a, got_b) = (read_now(&mut a_reader), read_now(&mut b_reader));
        assert_eq!((got_a.as_str(), got_b.as_str()), ("to a", "to b"));
    }
}
