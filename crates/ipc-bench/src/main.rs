//! `ipc-bench`: the workspace benchmark, driven by `cargo xtask bench`.
//!
//! For every mechanism (see [`cases`]) and message size it measures, between two processes pinned
//! to different CPUs, the round-trip latency (median, p99, p99.9) and the streaming throughput
//! (msg/s, MB/s), each through this project's API and through raw `libc` calls on the same
//! descriptors, interleaved round by round so drift cancels. The headline is the ratio API/raw.
//! A case may also measure other crates on the same objects in the same rounds (`mq`:
//! `posix_mq`), each reported with its own ratio to raw. It prints a Markdown table and writes
//! `results.json` and `chart.svg` under `--out`.
//!
//! The peer is this executable re-run with `--peer` (see [`peer`]); the two talk over a control
//! channel (see [`control`]) beside the channel under test.

mod cases;
mod cli;
mod control;
mod error;
mod machine;
mod measure;
mod peer;
mod pin;
mod plan;
mod process;
mod progress;
mod report;
mod results;
mod run;
mod stats;
mod sys;
mod watchdog;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::parse(std::env::args_os().skip(1)) {
        Ok(cli::Invocation::Run(args)) => run::main(&args),
        Ok(cli::Invocation::Peer(args)) => peer::main(&args),
        Ok(cli::Invocation::Help) => {
            println!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Err(mistake) => {
            eprintln!("ipc-bench: {mistake}\n\n{}", cli::USAGE);
            ExitCode::from(2)
        }
    }
}
