//! Cross-crate, cross-process scenarios of the `ipc` workspace.
//!
//! The scenarios live in `scenarios/`, one module per scenario; each runs real processes (the
//! test binary re-executed in a named role) against real kernel objects. This library is empty:
//! it exists so the package has a target that `cargo doc` and `cargo test` see.
//!
//! The README's Rust examples run as this library's doctests, so the front page cannot rot.

/// The README, whose Rust blocks `cargo test --doc` runs.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
