//! The cargo-deny step of `test-all`: installs the pinned cargo-deny when it is missing, then
//! checks the dependency graph against `deny.toml`.

use crate::step::{self, Result};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The pinned cargo-deny (STYLE rule 29); `deny.toml` is written for this version's schema.
const VERSION: &str = "0.20.2";

/// The checks run.
///
/// `advisories` is left out: it needs the RustSec advisory database, which cargo-deny clones from
/// github.com, and this project's machines and CI reach only the package registries (crates.io,
/// not github.com). Without the database the check cannot pass, and `--disable-fetch` needs a
/// database already on disk. Add `advisories` back here when the network allows it; its settings
/// in `deny.toml` are ready.
const CHECKS: [&str; 3] = ["bans", "licenses", "sources"];

/// How long to wait for a `cargo install cargo-deny` already running on this machine.
const WAIT_FOR_OTHER_INSTALL: Duration = Duration::from_secs(30 * 60);

/// The step's title, the command it runs.
pub(crate) fn title() -> String {
    format!("cargo deny check {}", CHECKS.join(" "))
}

/// Ensures the pinned cargo-deny is installed, then runs the checks.
pub(crate) fn run() -> Result {
    ensure_installed()?;
    let mut command = step::cargo(["deny", "check"]);
    command.args(CHECKS);
    step::run(&mut command)
}

/// The output of `cargo deny --version`, if it runs.
fn installed_version() -> Option<String> {
    let output = step::cargo(["deny", "--version"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    output.status.success().then_some(version)
}

fn is_pinned_version_installed() -> bool {
    installed_version().is_some_and(|version| version == format!("cargo-deny {VERSION}"))
}

fn ensure_installed() -> Result {
    if is_pinned_version_installed() {
        return Ok(());
    }
    // Another install may be building it right now (a machine set-up step, or a second
    // test-all): wait for that one rather than compiling it twice on two cores.
    let started = Instant::now();
    let mut announced = false;
    loop {
        let others = other_installs();
        if others.is_empty() {
            break;
        }
        if started.elapsed() > WAIT_FOR_OTHER_INSTALL {
            return Err(format!(
                "`cargo install cargo-deny` (pid {others:?}) still running after {}",
                step::human(WAIT_FOR_OTHER_INSTALL)
            ));
        }
        if !announced {
            println!("waiting for the `cargo install cargo-deny` already running (pid {others:?})");
            announced = true;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
    if announced && is_pinned_version_installed() {
        return Ok(());
    }
    let found = installed_version().unwrap_or_else(|| "none".to_owned());
    println!("cargo-deny {VERSION} is not installed (found: {found}); installing it");
    let mut install = step::cargo(["install", "cargo-deny", "--locked", "--version", VERSION]);
    step::run(&mut install)?;
    if is_pinned_version_installed() {
        Ok(())
    } else {
        Err(format!(
            "`cargo deny --version` does not report {VERSION} after installing it \
             (is another cargo-deny earlier on the PATH?)"
        ))
    }
}

/// The pids of other processes running `cargo install cargo-deny`, read from `/proc`.
fn other_installs() -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                cmdline.contains("cargo install cargo-deny")
            })
        })
        .collect();
    pids.sort_unstable();
    pids
}
