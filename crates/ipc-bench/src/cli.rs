//! The command line.
//!
//! ```text
//! ipc-bench [--out DIR] [--quick] [--filter SUBSTR]
//! ipc-bench --peer CASE CPU|- NFDS [CASE-ARGS...]     (internal: how the bench starts its peer)
//! ```

use std::ffi::OsString;
use std::path::PathBuf;

/// The usage text for `--help` and for mistakes.
pub(crate) const USAGE: &str = "\
usage: ipc-bench [--out DIR] [--quick] [--filter SUBSTR]

Measures each IPC mechanism between two processes pinned to different CPUs, through this
project's API and through raw libc calls, interleaved round by round.

  --out DIR        where results.json and chart.svg go (default: target/ipc-bench)
  --quick          every case and size, very briefly (a smoke run)
  --filter SUBSTR  only rows whose id (case/measurement/size, e.g. pipe/latency/64B) contains SUBSTR
  -h, --help       this text";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invocation {
    /// Run the bench.
    Run(RunArgs),
    /// Serve as a peer (internal).
    Peer(PeerArgs),
    /// Print the usage.
    Help,
}

/// Options of a bench run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RunArgs {
    /// Output directory.
    pub(crate) out: PathBuf,
    /// Run briefly.
    pub(crate) quick: bool,
    /// Only rows whose id contains this.
    pub(crate) filter: Option<String>,
}

/// Options of a peer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PeerArgs {
    /// The case id.
    pub(crate) case: String,
    /// The CPU to pin to, if any.
    pub(crate) cpu: Option<usize>,
    /// How many case descriptors were inherited.
    pub(crate) fds: usize,
    /// The case's own arguments.
    pub(crate) args: Vec<OsString>,
}

/// Parses the arguments after the program name; `Err` holds what is wrong.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, String> {
    let mut args = args.into_iter();
    let mut run = RunArgs {
        out: PathBuf::from("target/ipc-bench"),
        quick: false,
        filter: None,
    };
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--peer") => return parse_peer(args),
            Some("-h" | "--help") => return Ok(Invocation::Help),
            Some("--quick") => run.quick = true,
            Some("--out") => run.out = args.next().ok_or("--out needs a directory")?.into(),
            Some("--filter") => {
                let filter = args.next().ok_or("--filter needs a substring")?;
                run.filter = Some(
                    filter
                        .into_string()
                        .map_err(|_| "--filter must be UTF-8".to_owned())?,
                );
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Invocation::Run(run))
}

fn parse_peer(mut args: impl Iterator<Item = OsString>) -> Result<Invocation, String> {
    let mut next = |what: &str| {
        args.next()
            .and_then(|a| a.into_string().ok())
            .ok_or(format!("--peer needs {what}"))
    };
    let case = next("a case")?;
    let cpu = match next("a CPU or -")?.as_str() {
        "-" => None,
        cpu => Some(cpu.parse().map_err(|_| format!("bad CPU {cpu:?}"))?),
    };
    let fds = next("a descriptor count")?;
    let fds = fds
        .parse()
        .map_err(|_| format!("bad descriptor count {fds:?}"))?;
    Ok(Invocation::Peer(PeerArgs {
        case,
        cpu,
        fds,
        args: args.collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Invocation, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn run_options_parse_in_any_order() {
        let sut = parse_strs(&["--filter", "fifo", "--quick", "--out", "/tmp/x"]);
        assert_eq!(
            sut,
            Ok(Invocation::Run(RunArgs {
                out: PathBuf::from("/tmp/x"),
                quick: true,
                filter: Some("fifo".to_owned()),
            }))
        );
    }

    #[test]
    fn a_peer_command_line_keeps_its_case_arguments() {
        let sut = parse_strs(&["--peer", "fifo", "1", "0", "/a", "/b"]);
        assert_eq!(
            sut,
            Ok(Invocation::Peer(PeerArgs {
                case: "fifo".to_owned(),
                cpu: Some(1),
                fds: 0,
                args: vec!["/a".into(), "/b".into()],
            }))
        );
    }

    #[test]
    fn unknown_and_incomplete_arguments_are_errors() {
        for args in [&["--bogus"][..], &["--out"], &["--peer", "pipe", "x", "2"]] {
            assert!(parse_strs(args).is_err(), "{args:?}");
        }
    }
}
