//! `cargo xtask test-all`: every check CI runs, in order, stopping at the first failure.
//!
//! 1. tidy (in-process);
//! 2. rustfmt;
//! 3. clippy with `-D warnings`;
//! 4. the tests, doc tests included (libtest's `test result:` lines stay visible: CI reads them);
//! 5. rustdoc with `-D warnings`;
//! 6. cargo-deny;
//! 7. every example;
//! 8. the quick benchmark (in-process);
//! 9. the leak sweep.

use crate::step::{self, Result, Steps};
use crate::{bench, deny, examples, sweep, tidy};

/// Runs every step; the error names the step that failed and why.
pub(crate) fn run() -> Result {
    let mut steps = Steps::new("test-all", 9);
    steps.step("tidy", tidy::run)?;
    cargo_step(&mut steps, &["fmt", "--all", "--check"])?;
    cargo_step(
        &mut steps,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    cargo_step(&mut steps, &["test", "--workspace", "--all-features"])?;
    let mut doc = step::cargo(["doc", "--workspace", "--no-deps", "--all-features"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    steps.step(&step::display(&doc), || step::run(&mut doc))?;
    steps.step(&deny::title(), deny::run)?;
    steps.step("examples (each under a 60 s bound)", examples::run)?;
    let quick = bench::Options {
        quick: true,
        filter: None,
    };
    steps.step("cargo xtask bench --quick", || bench::run(&quick))?;
    steps.step("leak sweep", sweep::run)?;
    steps.finish();
    Ok(())
}

/// One step that is exactly one `cargo` command.
fn cargo_step(steps: &mut Steps, args: &[&str]) -> Result {
    let mut command = step::cargo(args);
    steps.step(&step::display(&command), || step::run(&mut command))
}
