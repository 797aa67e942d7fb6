//! The workspace's task runner, run as `cargo xtask <task>` (the alias lives in
//! `.cargo/config.toml`).
//!
//! - `test-all`: everything CI checks, in order (see [`test_all`]).
//! - `bench [--quick] [--filter SUBSTR]`: the benchmarks in release mode (see [`bench`](mod@bench)).
//! - `tidy`: the repository's source rules (see [`tidy`]); they also run as a `#[test]`.
//! - `sweep`: the leak sweep alone (see [`sweep`]), for after an interrupted test run.
//!
//! Std only: arguments are parsed by hand and every tool runs as a child process.

mod bench;
mod deny;
mod examples;
mod step;
mod sweep;
mod test_all;
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test-all                      tidy, fmt, clippy, tests, docs, cargo-deny, examples,
                                quick bench (overwrites target/ipc-bench), leak sweep
  bench [--quick] [--filter S]  run the benchmarks in release mode
  tidy                          check the repository's source rules
  sweep                         list the test objects left behind (the leak sweep)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = match parse(&args) {
        Ok(task) => task,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match task {
        Task::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Task::TestAll => test_all::run(),
        Task::Bench(options) => bench::run(&options),
        Task::Tidy => tidy::run(),
        Task::Sweep => sweep::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq)]
enum Task {
    Help,
    TestAll,
    Bench(bench::Options),
    Tidy,
    Sweep,
}

fn parse(args: &[String]) -> Result<Task, String> {
    let Some((task, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    let no_arguments = |task: Task| match rest.first() {
        None => Ok(task),
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
    };
    match task.as_str() {
        "help" | "-h" | "--help" => Ok(Task::Help),
        "test-all" => no_arguments(Task::TestAll),
        "tidy" => no_arguments(Task::Tidy),
        "sweep" => no_arguments(Task::Sweep),
        "bench" => parse_bench(rest).map(Task::Bench),
        other => Err(format!("unknown task `{other}`")),
    }
}

fn parse_bench(args: &[String]) -> Result<bench::Options, String> {
    let mut options = bench::Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--filter" => {
                let value = args.next().ok_or("`--filter` needs a value")?;
                options.filter = Some(value.clone());
            }
            other => match other.strip_prefix("--filter=") {
                Some(value) => options.filter = Some(value.to_owned()),
                None => return Err(format!("unexpected argument `{other}` for `bench`")),
            },
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::{Task, bench, parse};

    fn parse_strs(args: &[&str]) -> Result<Task, String> {
        let args: Vec<String> = args.iter().map(|&arg| arg.to_owned()).collect();
        parse(&args)
    }

    #[test]
    fn no_arguments_prints_help() {
        assert_eq!(parse_strs(&[]), Ok(Task::Help));
    }

    #[test]
    fn bench_accepts_quick_and_both_filter_spellings() {
        let expected = Task::Bench(bench::Options {
            quick: true,
            filter: Some("pipe".to_owned()),
        });
        assert_eq!(
            parse_strs(&["bench", "--quick", "--filter", "pipe"]),
            Ok(expected)
        );
        let expected = Task::Bench(bench::Options {
            quick: false,
            filter: Some("fifo".to_owned()),
        });
        assert_eq!(parse_strs(&["bench", "--filter=fifo"]), Ok(expected));
    }

    #[test]
    fn sweep_takes_no_arguments() {
        assert_eq!(parse_strs(&["sweep"]), Ok(Task::Sweep));
        assert!(parse_strs(&["sweep", "--quick"]).is_err());
    }

    #[test]
    fn unknown_tasks_and_stray_arguments_are_errors() {
        assert!(parse_strs(&["frobnicate"]).is_err());
        assert!(parse_strs(&["tidy", "--quick"]).is_err());
        assert!(parse_strs(&["bench", "--filter"]).is_err());
        assert!(parse_strs(&["bench", "--slow"]).is_err());
    }
}
