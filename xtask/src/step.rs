//! The step runner: numbered progress lines, timings, and failures that name their step.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// What a task or a step returns: the error is a human-readable reason.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

/// The repository root: the parent of this crate's manifest directory.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
}

/// A `cargo` command (from `$CARGO`, else `cargo` on the `PATH`) run at the repository root.
pub(crate) fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.args(args).current_dir(root());
    command
}

/// Shows a command the way a user would type it, with `cargo` for `$CARGO`.
pub(crate) fn display(command: &Command) -> String {
    let mut shown = String::new();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            let _ = write!(
                shown,
                "{}=\"{}\" ",
                key.to_string_lossy(),
                value.to_string_lossy()
            );
        }
    }
    let program = Path::new(command.get_program());
    let is_cargo = std::env::var_os("CARGO").is_some_and(|cargo| program == Path::new(&cargo));
    if is_cargo {
        shown.push_str("cargo");
    } else {
        shown.push_str(&program.to_string_lossy());
    }
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    shown
}

/// Runs `command` with inherited stdio and fails unless it exits with status 0.
pub(crate) fn run(command: &mut Command) -> Result {
    let status = command
        .status()
        .map_err(|error| format!("could not start `{}`: {error}", display(command)))?;
    check(command, status)
}

/// Turns a non-zero exit status into an error naming the command.
pub(crate) fn check(command: &Command, status: ExitStatus) -> Result {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", display(command)))
    }
}

/// Formats a duration for people: `0.4 s`, `12.0 s`, `3 min 07 s`.
pub(crate) fn human(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else {
        let whole = duration.as_secs();
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// Runs a fixed number of named steps in order, stopping at the first failure.
pub(crate) struct Steps {
    task: &'static str,
    total: usize,
    started: Instant,
    done: Vec<(String, Duration)>,
}

impl Steps {
    /// Starts a task that will run exactly `total` steps.
    pub(crate) fn new(task: &'static str, total: usize) -> Self {
        Self {
            task,
            total,
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Runs one step: prints `[n/total] title`, runs `body`, prints its time.
    ///
    /// A failure prints the timings so far and becomes `step [n/total] title failed: reason`.
    pub(crate) fn step(&mut self, title: &str, body: impl FnOnce() -> Result) -> Result {
        let number = self.done.len() + 1;
        debug_assert!(number <= self.total, "more steps than announced");
        let label = format!("[{number}/{}] {title}", self.total);
        println!("\n{label}");
        let started = Instant::now();
        let outcome = body();
        let elapsed = started.elapsed();
        self.done.push((label.clone(), elapsed));
        match outcome {
            Ok(()) => {
                println!("{label}: ok in {}", human(elapsed));
                Ok(())
            }
            Err(reason) => {
                self.print_timings(&format!("FAILED at step {number}"));
                Err(format!("{}: step {label} failed: {reason}", self.task))
            }
        }
    }

    /// Prints the timings of a task whose every step passed.
    pub(crate) fn finish(self) {
        debug_assert_eq!(self.done.len(), self.total, "fewer steps than announced");
        self.print_timings(&format!("all {} steps passed", self.total));
    }

    /// Prints the time of every step run so far, then the outcome and the total time.
    fn print_timings(&self, outcome: &str) {
        println!("\n{} timings:", self.task);
        let width = self
            .done
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0);
        for (label, elapsed) in &self.done {
            println!("  {label:<width$}  {:>12}", human(*elapsed));
        }
        println!(
            "{}: {outcome} in {}",
            self.task,
            human(self.started.elapsed())
        );
    }
}

/// Every file below `dir` whose name ends with `suffix`, sorted, skipping `target` and hidden
/// directories.
pub(crate) fn files_under(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::human;
    use std::time::Duration;

    #[test]
    fn durations_read_in_seconds_then_minutes() {
        assert_eq!(human(Duration::from_millis(400)), "0.4 s");
        assert_eq!(human(Duration::from_secs(187)), "3 min 07 s");
    }
}
