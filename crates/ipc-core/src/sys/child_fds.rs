//! Placing descriptors at fixed numbers in a child process, between `fork` and `exec`.
#![allow(
    unsafe_code,
    reason = "pre_exec, fcntl, fstat and dup2 are unsafe to call; each is wrapped once here"
)]

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{self, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Sources are moved to this number or above before any `dup2`, so a source can never sit at a
/// target that an earlier `dup2` overwrites. Targets are all below it.
const PARK_FD_MIN: RawFd = 256;

/// How often a spawn is tried when the child found a target number changed (see [`Plan`]).
pub(crate) const MAX_ATTEMPTS: usize = 8;

/// The error a child returns when a target number holds a descriptor that was not there when the
/// parent recorded the targets; `spawn_with_fds` retries on it.
const CHANGED_TARGET: i32 = libc::EBUSY;

/// Spawns `cmd` with each descriptor of `fds` placed at its target number in the child, without
/// close-on-exec there, then drops `cmd` and `fds`, closing this process's copies.
///
/// The sources stay close-on-exec in this process, so children spawned concurrently by other
/// threads never inherit them.
///
/// # Std's exec-error channel
///
/// `Command::spawn` makes a close-on-exec channel (a socket pair on Linux) before it forks; the
/// child reports a failed `exec` (or a failed `pre_exec` hook) through it, and `spawn` returns
/// `Ok` when the parent reads end of file there. Were that channel's child end at one of our
/// target numbers, our `dup2` would close it: `spawn` would return `Ok` at once, and an `exec`
/// failure would be written into the caller's descriptor instead. Two steps keep it off the
/// targets:
///
/// 1. Before each spawn, every target number that is free in this process is taken by a
///    close-on-exec copy of a source (`F_DUPFD_CLOEXEC`, lowest free number at or above the
///    target), held until `spawn` returns. Descriptors `spawn` makes (the channel, stdio pipes,
///    `/dev/null`) therefore land elsewhere.
/// 2. A target held by another thread's descriptor cannot be reserved; that thread may close it
///    while `spawn` runs, and the channel may take the number. So the identity (`st_dev`,
///    `st_ino`) of whatever sits at each target is recorded just before `spawn`, and the child
///    compares, with `fstat`, before it changes anything: a target whose descriptor differs is
///    refused with `EBUSY`, which std still reports through its intact channel, and the spawn
///    is tried again, up to [`MAX_ATTEMPTS`] times.
///
/// What is left: a descriptor that changed but kept its identity (the same file opened again)
/// is accepted, which is right, since std's channel is a new socket with an inode number no
/// recorded file has (sockfs numbers come from a 32-bit counter, so a clash needs 2^32 sockets
/// made while the recorded file stays open); and a process whose other threads churn the
/// target numbers faster than a spawn completes gets `EBUSY` after the last attempt, with no
/// child started.
pub(crate) fn spawn_with_fds(
    mut cmd: Command,
    fds: Vec<(OwnedFd, RawFd)>,
) -> io::Result<process::Child> {
    if fds.is_empty() {
        return cmd.spawn();
    }
    let plan = Arc::new(Plan::new(fds));
    let in_child = Arc::clone(&plan);
    // Allocated here, before the fork: the child only writes into it.
    let mut parked: Vec<RawFd> = vec![-1; plan.moves.len()];
    let place = move || in_child.place(&mut parked);
    // SAFETY: `pre_exec` requires the closure to be safe to run between `fork` and `exec` in a
    // copy of a multithreaded process. `Plan::place` calls only `fstat`, `fcntl` and `dup2`, all
    // async-signal-safe (signal-safety(7)), takes no lock and does not allocate: it reads atomics
    // and vectors sized before the fork, writes into `parked`, sized above, and builds an
    // `io::Error` only from an error number. The closure owns the `Plan`, so every source it
    // names stays open for as long as `cmd` can run it.
    unsafe { cmd.pre_exec(place) };
    let mut attempt = 1;
    loop {
        let reserved = plan.reserve_targets()?;
        plan.record_targets();
        let spawned = cmd.spawn();
        drop(reserved);
        match spawned {
            Err(err) if err.raw_os_error() == Some(CHANGED_TARGET) && attempt < MAX_ATTEMPTS => {
                attempt += 1;
            }
            // `cmd`, and with it the closure and the last `Plan`, drops on return: this
            // process's copies of the sources close here.
            other => return other,
        }
    }
}

/// The descriptors to place, and what sat at each target number when the parent last looked.
struct Plan {
    /// Owned here so that the numbers in `moves` stay open as long as the `pre_exec` closure
    /// that uses them exists.
    sources: Vec<OwnedFd>,
    /// `(source number, target number)` pairs.
    moves: Vec<(RawFd, RawFd)>,
    /// One per entry of `moves`: the identity at its target number.
    seen: Vec<Seen>,
}

impl Plan {
    fn new(fds: Vec<(OwnedFd, RawFd)>) -> Self {
        let moves = fds
            .iter()
            .map(|(source, target)| (source.as_raw_fd(), *target))
            .collect();
        let seen = fds.iter().map(|_| Seen::default()).collect();
        Self {
            sources: fds.into_iter().map(|(source, _)| source).collect(),
            moves,
            seen,
        }
    }

    /// Takes every target number that is free now with a close-on-exec copy of a source; the
    /// copies are held until the returned vector drops.
    fn reserve_targets(&self) -> io::Result<Vec<OwnedFd>> {
        let is_target = |fd: RawFd| self.moves.iter().any(|&(_, target)| target == fd);
        let mut reserved = Vec::new();
        for (source, &(_, target)) in self.sources.iter().zip(&self.moves) {
            // "F_DUPFD_CLOEXEC ... uses the lowest-numbered available file descriptor greater
            // than or equal to arg" (fcntl(2)): the target itself when it is free.
            let copy = rustix::io::fcntl_dupfd_cloexec(source, target)?;
            if is_target(copy.as_raw_fd()) {
                reserved.push(copy);
            }
        }
        Ok(reserved)
    }

    /// Records the identity of whatever sits at each target number now.
    fn record_targets(&self) {
        for (&(_, target), seen) in self.moves.iter().zip(&self.seen) {
            seen.store(identity(target).ok().flatten());
        }
    }

    /// Runs in the forked child: checks the targets, then places the sources.
    fn place(&self, parked: &mut [RawFd]) -> io::Result<()> {
        check_targets(&self.moves, &self.seen)?;
        remap_fds(&self.moves, parked)
    }
}

/// The identity of a file (`st_dev`, `st_ino`) seen at a target number, or nothing there.
///
/// Written by the parent before `spawn` and read by the forked copy of the same thread.
#[derive(Default)]
struct Seen {
    open: AtomicBool,
    dev: AtomicU64,
    ino: AtomicU64,
}

impl Seen {
    // Relaxed, here and in `load`: the only reader is the child that this thread forks after
    // storing, whose memory is a copy of this thread's, every earlier write included.
    fn store(&self, identity: Option<(u64, u64)>) {
        let (dev, ino) = identity.unwrap_or_default();
        self.dev.store(dev, Ordering::Relaxed);
        self.ino.store(ino, Ordering::Relaxed);
        self.open.store(identity.is_some(), Ordering::Relaxed);
    }

    fn load(&self) -> Option<(u64, u64)> {
        self.open.load(Ordering::Relaxed).then(|| {
            (
                self.dev.load(Ordering::Relaxed),
                self.ino.load(Ordering::Relaxed),
            )
        })
    }
}

/// The identity of the file open at number `fd`, `Ok(None)` when nothing is open there.
///
/// Async-signal-safe: one `fstat` into a buffer on the stack. `fd` need not be ours: `fstat`
/// only reads the descriptor table.
fn identity(fd: RawFd) -> io::Result<Option<(u64, u64)>> {
    let mut stat = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fstat` writes at most one `struct stat` through the pointer, which points to a
    // live, writable `libc::stat` in this frame; it touches no other memory of ours.
    let rc = unsafe { libc::fstat(fd, stat.as_mut_ptr()) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::EBADF) => Ok(None),
            _ => Err(err),
        };
    }
    // SAFETY: `fstat` returned 0, so it filled `stat` ("On success, zero is returned", stat(2)).
    let stat = unsafe { stat.assume_init() };
    Ok(Some((stat.st_dev, stat.st_ino)))
}

/// Runs in the forked child before anything is changed: fails with [`CHANGED_TARGET`] when a
/// target number holds a file other than the one `seen` recorded there (see
/// [`spawn_with_fds`]). A target that is free now is fine whatever was seen.
fn check_targets(moves: &[(RawFd, RawFd)], seen: &[Seen]) -> io::Result<()> {
    for (&(_, target), seen) in moves.iter().zip(seen) {
        if let Some(now) = identity(target)?
            && seen.load() != Some(now)
        {
            return Err(io::Error::from_raw_os_error(CHANGED_TARGET));
        }
    }
    Ok(())
}

/// Runs in the forked child: parks every source at `PARK_FD_MIN` or above, then `dup2`s each to
/// its target, which clears close-on-exec on the target ("The two file descriptors do not share
/// file descriptor flags (the close-on-exec flag). The close-on-exec flag for the duplicate
/// descriptor is off.", dup(2)). The parked copies are close-on-exec and vanish at `exec`.
///
/// A target may hold another descriptor of this process that is close-on-exec; `dup2` replaces
/// it in the child only. [`check_targets`] has made sure it is not std's exec-error channel.
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
        // the old descriptor again (std's exec-error channel is not there: `check_targets`).
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

    #[test]
    fn a_target_holding_another_file_than_recorded_is_refused() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let target = reader.as_raw_fd();
        let sut = [Seen::default()];
        // Not the other end of the pipe: both ends share one inode.
        let other = tempfile::tempfile().unwrap();
        sut[0].store(identity(other.as_raw_fd()).unwrap());
        let err = check_targets(&[(-1, target)], &sut).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(CHANGED_TARGET));
    }

    #[test]
    fn a_target_holding_the_recorded_file_or_nothing_is_accepted() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let target = reader.as_raw_fd();
        let sut = [Seen::default()];
        sut[0].store(identity(target).unwrap());
        check_targets(&[(-1, target)], &sut).unwrap();
        // Far above any descriptor a test opens: nothing is there, whatever was recorded.
        let free = 1 << 20;
        assert_eq!(identity(free).unwrap(), None);
        check_targets(&[(-1, free)], &sut).unwrap();
    }

    #[test]
    fn a_target_recorded_free_that_is_open_now_is_refused() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let sut = [Seen::default()];
        sut[0].store(None);
        let err = check_targets(&[(-1, reader.as_raw_fd())], &sut).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(CHANGED_TARGET));
    }
}
