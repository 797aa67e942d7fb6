//! The facts a result is meaningless without: CPU, memory, kernel, toolchain, commit, time.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// The machine and build a run happened on.
#[derive(Debug, Serialize)]
pub(crate) struct Machine {
    /// `model name` from `/proc/cpuinfo`.
    pub(crate) cpu_model: String,
    /// `std::thread::available_parallelism()`: the CPUs this process may use.
    pub(crate) cores: usize,
    /// Processors listed in `/proc/cpuinfo`.
    pub(crate) cpus_online: usize,
    /// `MemTotal` from `/proc/meminfo`, in bytes.
    pub(crate) memory_bytes: Option<u64>,
    /// The kernel release (`uname -r`).
    pub(crate) kernel: String,
    /// `rustc -V` (from `IPC_BENCH_RUSTC` when the xtask sets it).
    pub(crate) rustc: String,
    /// The git commit (from `IPC_BENCH_COMMIT` when the xtask sets it).
    pub(crate) commit: String,
    /// Whether tracked files differed from the commit; `None` when the xtask gave the commit or
    /// git could not tell.
    pub(crate) dirty: Option<bool>,
}

/// Reads the machine's description; anything unreadable is `"unknown"`.
pub(crate) fn describe() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let (commit, dirty) = match std::env::var("IPC_BENCH_COMMIT") {
        Ok(commit) if !commit.is_empty() => (commit, None),
        _ => (
            output("git", &["rev-parse", "HEAD"]),
            Some(output(
                "git",
                &["status", "--porcelain", "--untracked-files=no"],
            ))
            .filter(|s| s != UNKNOWN)
            .map(|s| !s.is_empty()),
        ),
    };
    Machine {
        cpu_model: cpu_model(&cpuinfo),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpus_online: cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count(),
        memory_bytes: mem_total(&meminfo),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| UNKNOWN.to_owned(), |s| s.trim().to_owned()),
        rustc: std::env::var("IPC_BENCH_RUSTC")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| output("rustc", &["-V"])),
        commit,
        dirty,
    }
}

const UNKNOWN: &str = "unknown";

fn cpu_model(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(key, _)| matches!(key.trim(), "model name" | "Hardware" | "cpu model"))
        .map_or_else(|| UNKNOWN.to_owned(), |(_, value)| value.trim().to_owned())
}

fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The trimmed standard output of `program args`, or `"unknown"` when it cannot run or fails.
fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| UNKNOWN.to_owned(), |s| s.trim().to_owned())
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`: other work on the machine shows
/// here, and makes the figures noisy.
pub(crate) fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn utc_timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the epoch as RFC 3339 UTC (proleptic Gregorian calendar; H. Hinnant's
/// `civil_from_days`).
fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339_utc() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn the_cpu_model_and_memory_come_from_proc() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n";
        assert_eq!(cpu_model(cpuinfo), "Some CPU @ 2.0GHz");
        assert_eq!(cpu_model(""), UNKNOWN);
        assert_eq!(mem_total("MemTotal:       1024 kB\n"), Some(1_048_576));
    }
}
