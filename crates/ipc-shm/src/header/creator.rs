//! Who created a region, and whether that process is still alive.

use std::os::unix::fs::MetadataExt;

use rustix::io::Errno;
use rustix::process::{Pid, test_kill_process};

/// The process that initialised a region's header, as recorded there: its pid, its start
/// time, the boot it ran in and the pid namespace its pid belongs to.
///
/// A pid alone cannot tell a live creator from a dead one, because pids are reused; the start
/// time (field 22 of `/proc/<pid>/stat`, clock ticks since boot) can, since no two processes
/// with the same pid start at the same tick of one boot. [`liveness`](Self::liveness) compares
/// both.
///
/// # Examples
///
/// ```
/// use ipc_shm::AnonymousRegion;
/// use ipc_shm::header::{Header, Layout, Liveness};
///
/// let region = AnonymousRegion::new(4096)?;
/// let header = Header::init(&region, Layout::new(1, 1, 64), |_, _| Ok(()))?;
/// let creator = header.creator();
/// assert_eq!(creator.pid(), std::process::id());
/// assert_eq!(creator.liveness(), Liveness::Alive);
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Creator {
    pid: u32,
    start_time: u64,
    boot_id: u64,
    pid_ns: u64,
}

/// Whether a region's creator is still running, as far as this process can tell.
///
/// # Examples
///
/// ```
/// use ipc_shm::header::Liveness;
///
/// assert_ne!(Liveness::Alive, Liveness::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Liveness {
    /// A process with the creator's pid and start time is running.
    Alive,
    /// The creator has exited: no process has its pid, the one that has it started at another
    /// time (the pid was reused), it is a zombie, or it ran in an earlier boot.
    Dead,
    /// This process cannot tell: the creator's pid belongs to another pid namespace (or its
    /// namespace was not recorded), or `/proc` does not show the process (`hidepid`, no
    /// `/proc` mounted).
    Unknown,
}

impl Creator {
    /// The calling process. What cannot be read from `/proc` is recorded as 0, "unknown".
    pub(crate) fn current() -> Self {
        let pid = std::process::id();
        let start_time = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|text| parse_stat(&text))
            .map_or(0, |stat| stat.start_time);
        Self {
            pid,
            start_time,
            boot_id: current_boot_id(),
            pid_ns: current_pid_ns(),
        }
    }

    /// The creator recorded in a header.
    pub(crate) fn new(pid: u32, start_time: u64, boot_id: u64, pid_ns: u64) -> Self {
        Self {
            pid,
            start_time,
            boot_id,
            pid_ns,
        }
    }

    /// The creator's start time, boot id and pid namespace, as stored in the header.
    pub(crate) fn recorded(&self) -> (u64, u64, u64) {
        (self.start_time, self.boot_id, self.pid_ns)
    }

    /// The creator's process id, in its own pid namespace.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let header = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(()))?;
    /// assert_eq!(header.creator().pid(), std::process::id());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The creator's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`),
    /// or `None` when the creator could not read it.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let header = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(()))?;
    /// assert!(header.creator().start_time().is_some());
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn start_time(&self) -> Option<u64> {
        (self.start_time != 0).then_some(self.start_time)
    }

    /// Whether the creator is still running: its boot, pid namespace, pid and start time are
    /// compared with what this process sees now.
    ///
    /// The answer is a snapshot: an `Alive` creator may exit right after.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::header::{Header, Layout, Liveness};
    ///
    /// let region = AnonymousRegion::new(4096)?;
    /// let header = Header::init(&region, Layout::new(1, 1, 0), |_, _| Ok(()))?;
    /// assert_eq!(header.creator().liveness(), Liveness::Alive);
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [proc_pid_stat(5)](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html)
    /// - [kill(2)](https://man7.org/linux/man-pages/man2/kill.2.html), signal 0
    #[doc(alias = "is_alive")]
    pub fn liveness(&self) -> Liveness {
        // The current boot id is read only when there is a recorded one to compare it with.
        if self.boot_id != 0 {
            let boot_id = current_boot_id();
            if boot_id != 0 && self.boot_id != boot_id {
                return Liveness::Dead;
            }
        }
        let pid_ns = current_pid_ns();
        if self.pid_ns == 0 || self.pid_ns != pid_ns {
            return Liveness::Unknown;
        }
        process_liveness(self.pid, self.start_time)
    }
}

/// Whether the process that claimed a header (or a [`slot`](crate::slot)) is provably dead.
///
/// Only the pid comes from the claim itself: the start time and boot id are written after it,
/// so they are ignored here (a claimant whose pid was reused in the meantime reads as alive,
/// and its openers time out rather than being told it died). The pid namespace is read from
/// the header (or slot) as far as written; until it is (0), the answer is "alive".
pub(crate) fn claimant_is_dead(pid: u32, pid_ns: u64) -> bool {
    Creator::new(pid, 0, 0, pid_ns).liveness() == Liveness::Dead
}

/// Whether the process `pid` of this pid namespace is running and started at `start_time`
/// (0: any start time).
fn process_liveness(pid: u32, start_time: u64) -> Liveness {
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return Liveness::Unknown;
    };
    // kill(2): "If sig is 0, then no signal is sent, but existence and permission checks are
    // still performed". ESRCH is the only proof of absence; EPERM means someone else's process.
    match test_kill_process(pid) {
        Err(Errno::SRCH) => return Liveness::Dead,
        Ok(()) | Err(Errno::PERM) => {}
        Err(_) => return Liveness::Unknown,
    }
    let stat = match std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
        Ok(text) => text,
        // Exited since the check above, or hidden from us by `hidepid`: ask again.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return match test_kill_process(pid) {
                Err(Errno::SRCH) => Liveness::Dead,
                _ => Liveness::Unknown,
            };
        }
        Err(_) => return Liveness::Unknown,
    };
    let Some(stat) = parse_stat(&stat) else {
        return Liveness::Unknown;
    };
    // proc_pid_stat(5): state "Z Zombie", "X Dead"; a zombie has exited and only waits to be
    // reaped.
    if matches!(stat.state, b'Z' | b'X' | b'x') {
        return Liveness::Dead;
    }
    if start_time != 0 && stat.start_time != start_time {
        return Liveness::Dead;
    }
    Liveness::Alive
}

/// The fields of `/proc/<pid>/stat` that liveness needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    /// Field 3, the one-letter state.
    pub(crate) state: u8,
    /// Field 22, the start time in clock ticks since boot.
    pub(crate) start_time: u64,
}

/// Parses a `/proc/<pid>/stat` line.
///
/// Field 2, the command name in parentheses, may itself contain spaces and `)`, so the fields
/// after it are counted from the *last* `)`: proc_pid_stat(5) warns that the name is "visible
/// whether or not the executable is swapped out" and is whatever the process set, up to 16
/// bytes.
pub(crate) fn parse_stat(text: &str) -> Option<ProcStat> {
    let close = text.rfind(')')?;
    let mut fields = text.get(close + 1..)?.split_ascii_whitespace();
    let state = match fields.next()?.as_bytes() {
        [state] => *state,
        _ => return None,
    };
    // Field 3 was the state; field 22 is 19 fields after it.
    let start_time = fields.nth(18)?.parse().ok()?;
    Some(ProcStat { state, start_time })
}

/// The first 16 hex digits of this boot's id, or 0 when it cannot be read.
fn current_boot_id() -> u64 {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .and_then(|text| parse_boot_id(&text))
        .unwrap_or(0)
}

/// The first 16 hex digits of a boot id (`6fa1c3d2-…`) as a number; `None` if there are fewer.
pub(crate) fn parse_boot_id(text: &str) -> Option<u64> {
    let digits: String = text.trim().chars().filter(|c| *c != '-').take(16).collect();
    if digits.len() != 16 {
        return None;
    }
    u64::from_str_radix(&digits, 16).ok()
}

/// The inode of this process's pid namespace, or 0 when it cannot be read.
pub(crate) fn current_pid_ns() -> u64 {
    std::fs::metadata("/proc/self/ns/pid").map_or(0, |meta| meta.ino())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stat_line(comm: &str, state: char, start_time: u64) -> String {
        let mut fields: Vec<String> = (4..=21).map(|n| n.to_string()).collect();
        fields.push(start_time.to_string());
        fields.extend((23..=52).map(|n| n.to_string()));
        format!("1234 ({comm}) {state} {}\n", fields.join(" "))
    }

    #[test]
    fn the_start_time_is_field_22_even_when_the_name_holds_parentheses() {
        let line = stat_line("evil) S 1 2 (x", 'S', 987_654);
        assert_eq!(
            parse_stat(&line),
            Some(ProcStat {
                state: b'S',
                start_time: 987_654
            })
        );
    }

    #[test]
    fn this_process_reads_as_alive_and_a_wrong_start_time_as_dead() {
        let me = Creator::current();
        assert_ne!(me.start_time, 0, "/proc/self/stat is readable in tests");
        assert_eq!(me.liveness(), Liveness::Alive);
        let reused = Creator {
            start_time: me.start_time + 1,
            ..me
        };
        assert_eq!(reused.liveness(), Liveness::Dead);
    }

    #[test]
    fn another_boot_is_dead_and_another_namespace_unknown() {
        let me = Creator::current();
        let earlier_boot = Creator {
            boot_id: me.boot_id ^ 1,
            ..me
        };
        assert_eq!(earlier_boot.liveness(), Liveness::Dead);
        let elsewhere = Creator {
            pid_ns: me.pid_ns ^ 1,
            ..me
        };
        assert_eq!(elsewhere.liveness(), Liveness::Unknown);
    }

    #[test]
    fn a_pid_that_no_process_has_is_dead() {
        // Above the largest pid_max Linux allows (2^22), so no process can have it.
        let sut = Creator {
            pid: 4_194_305,
            ..Creator::current()
        };
        assert_eq!(sut.liveness(), Liveness::Dead);
        let invalid = Creator {
            pid: u32::MAX,
            ..Creator::current()
        };
        assert_eq!(invalid.liveness(), Liveness::Unknown);
    }

    #[test]
    fn boot_ids_parse_from_their_first_sixteen_digits() {
        assert_eq!(
            parse_boot_id("0123abcd-4567-89ef-0123-456789abcdef\n"),
            Some(0x0123_abcd_4567_89ef)
        );
        assert_eq!(parse_boot_id("0123-4567"), None);
        assert_eq!(parse_boot_id("zzzzzzzzzzzzzzzzzzzz"), None);
    }

    proptest! {
        #[test]
        fn any_stat_text_parses_or_is_refused_without_panicking(text in any::<String>()) {
            let _ = parse_stat(&text);
            let _ = parse_boot_id(&text);
        }

        #[test]
        fn any_command_name_keeps_the_fields_after_it(
            comm in "[ -~]{0,16}",
            start_time in any::<u64>(),
        ) {
            let parsed = parse_stat(&stat_line(&comm, 'R', start_time));
            prop_assert_eq!(parsed, Some(ProcStat { state: b'R', start_time }));
        }
    }
}
