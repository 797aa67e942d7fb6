//! `cargo xtask bench [--quick] [--filter SUBSTR]`: builds `ipc-bench` in release mode and runs it.
//!
//! The benchmark prints its own progress line and Markdown table, so its output is inherited; its
//! JSON and chart go to `target/ipc-bench`.

use crate::step::{self, Result};

/// The benchmark's command-line options.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Options {
    /// Run every case briefly (what `test-all` does, so the benchmark never rots).
    pub(crate) quick: bool,
    /// Run only the cases whose name contains this substring.
    pub(crate) filter: Option<String>,
}

/// The `cargo run` that builds and runs the benchmark with `options`.
pub(crate) fn command(options: &Options) -> std::process::Command {
    let out = step::root().join("target").join("ipc-bench");
    let mut command = step::cargo(["run", "--release", "--package", "ipc-bench", "--", "--out"]);
    command.arg(out);
    if options.quick {
        command.arg("--quick");
    }
    if let Some(filter) = &options.filter {
        command.args(["--filter", filter]);
    }
    command
}

/// Runs the benchmark and fails if it fails.
pub(crate) fn run(options: &Options) -> Result {
    let mut command = command(options);
    println!("$ {}", step::display(&command));
    step::run(&mut command)
}
