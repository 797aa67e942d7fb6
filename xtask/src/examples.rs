//! The examples step of `test-all`: every example of every crate runs and exits 0.
//!
//! Examples are found on disk (`crates/*/examples/*.rs` and `crates/*/examples/*/main.rs`). Each
//! crate's examples are built first, without a bound, so that the 60 s bound of each
//! `cargo run --example` covers running, not compiling.

use crate::step::{self, Result};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one example may run.
const BOUND: Duration = Duration::from_secs(60);

/// One example: its package and its name.
#[derive(Debug, PartialEq)]
struct Example {
    package: String,
    name: String,
}

/// Runs every example; fails listing those that failed.
pub(crate) fn run() -> Result {
    let examples = discover(&step::root().join("crates"));
    if examples.is_empty() {
        println!("no examples found");
        return Ok(());
    }
    let mut packages: Vec<&str> = examples.iter().map(|e| e.package.as_str()).collect();
    packages.dedup();
    for package in packages {
        let mut build = step::cargo(["build", "--examples", "--package", package]);
        println!("$ {}", step::display(&build));
        step::run(&mut build)?;
    }
    let mut failures = Vec::new();
    for (index, example) in examples.iter().enumerate() {
        let mut command = step::cargo([
            "run",
            "--quiet",
            "--example",
            &example.name,
            "--package",
            &example.package,
        ]);
        println!(
            "  ({}/{}) $ {}",
            index + 1,
            examples.len(),
            step::display(&command)
        );
        if let Err(reason) = run_bounded(&mut command, BOUND) {
            println!("  FAILED: {reason}");
            failures.push(format!("{}/{}: {reason}", example.package, example.name));
        }
    }
    if failures.is_empty() {
        println!("all {} examples exited 0", examples.len());
        Ok(())
    } else {
        Err(format!(
            "{} of {} examples failed: {}",
            failures.len(),
            examples.len(),
            failures.join("; ")
        ))
    }
}

/// Runs `command` in its own process group and kills the whole group if it outlives `bound`
/// (`cargo run` starts the example as its child, so killing cargo alone would leave it running).
fn run_bounded(command: &mut Command, bound: Duration) -> Result {
    use std::os::unix::process::CommandExt as _;

    command.stdin(Stdio::null()).process_group(0);
    let mut child = command
        .spawn()
        .map_err(|error| format!("could not start `{}`: {error}", step::display(command)))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return step::check(command, status),
            Ok(None) if started.elapsed() < bound => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(None) => {
                // The child leads its own group, so its pid is the group id.
                let group = format!("-{}", child.id());
                let killed = Command::new("kill").args(["-KILL", "--", &group]).status();
                if !killed.is_ok_and(|status| status.success()) {
                    let _ = child.kill();
                }
                let _ = child.wait();
                return Err(format!("timed out after {}", step::human(bound)));
            }
            Err(error) => return Err(format!("could not wait for the example: {error}")),
        }
    }
}

/// Every example under `crates/*/examples`, sorted by package, then name.
fn discover(crates: &Path) -> Vec<Example> {
    let mut examples = Vec::new();
    let Ok(entries) = std::fs::read_dir(crates) else {
        return examples;
    };
    let mut crate_dirs: Vec<_> = entries.flatten().map(|entry| entry.path()).collect();
    crate_dirs.sort();
    for crate_dir in crate_dirs {
        let Ok(entries) = std::fs::read_dir(crate_dir.join("examples")) else {
            continue;
        };
        let package = package_name(&crate_dir);
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|entry| {
                let path = entry.path();
                if path.is_dir() {
                    path.join("main.rs")
                        .is_file()
                        .then(|| entry.file_name().to_string_lossy().into_owned())
                } else {
                    let file = entry.file_name().to_string_lossy().into_owned();
                    file.strip_suffix(".rs").map(str::to_owned)
                }
            })
            .collect();
        names.sort();
        examples.extend(names.into_iter().map(|name| Example {
            package: package.clone(),
            name,
        }));
    }
    examples
}

/// The `[package] name` from a crate's `Cargo.toml`, else the directory's name.
fn package_name(crate_dir: &Path) -> String {
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap_or_default();
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("name")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return value.trim().trim_matches('"').to_owned();
        }
    }
    crate_dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{Example, discover, package_name};

    #[test]
    fn the_package_name_comes_from_the_manifest() {
        let dir = std::env::temp_dir().join(format!("xtask-examples-{}", std::process::id()));
        let examples = dir.join("crates").join("some-dir").join("examples");
        std::fs::create_dir_all(examples.join("multi")).unwrap();
        std::fs::write(
            dir.join("crates/some-dir/Cargo.toml"),
            "[package]\nname = \"real-name\"\n\n[dependencies]\nname = \"x\"\n",
        )
        .unwrap();
        std::fs::write(examples.join("single.rs"), "fn main() {}\n").unwrap();
        std::fs::write(examples.join("multi/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(examples.join("notes.txt"), "").unwrap();

        assert_eq!(package_name(&dir.join("crates/some-dir")), "real-name");
        let found = discover(&dir.join("crates"));
        std::fs::remove_dir_all(&dir).unwrap();
        let expected = ["multi", "single"].map(|name| Example {
            package: "real-name".to_owned(),
            name: name.to_owned(),
        });
        assert_eq!(found, expected);
    }
}
