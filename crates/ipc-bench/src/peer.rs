//! The peer process: the bench re-executed with `--peer`, following the parent's rounds.

use std::io::{PipeReader, PipeWriter};
use std::process::ExitCode;

use crate::cases;
use crate::cli::PeerArgs;
use crate::control::{self, Channel, Command, Reply};
use crate::error::{Context, Error, Result};
use crate::measure::Buffers;
use crate::pin;
use crate::plan::MAX_SIZE;
use crate::process::{CONTROL_IN, CONTROL_OUT, FIRST_CASE_FD};
use crate::sys;

/// Runs the peer until the parent says `quit` or closes the control channel.
pub(crate) fn main(args: &PeerArgs) -> ExitCode {
    let control_in = sys::claim_inherited(CONTROL_IN);
    let control_out = sys::claim_inherited(CONTROL_OUT);
    let (Ok(control_in), Ok(control_out)) = (control_in, control_out) else {
        eprintln!("ipc-bench: --peer is internal: the bench starts its peers itself");
        return ExitCode::FAILURE;
    };
    let mut channel = Channel::new(PipeReader::from(control_in), PipeWriter::from(control_out));
    match serve(args, &mut channel) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let err = err.within(format!("peer of case {}", args.case));
            if channel
                .send(&control::encode_reply(&Reply::Error(err.to_string())))
                .is_err()
            {
                eprintln!("ipc-bench: {err}");
            }
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &PeerArgs, channel: &mut Channel<PipeReader, PipeWriter>) -> Result<()> {
    let case = cases::find(&args.case)
        .ok_or_else(|| Error::msg(format!("unknown case {:?}", args.case)))?;
    if let Some(cpu) = args.cpu {
        pin::pin_current_thread(cpu)?;
    }
    let fds = (FIRST_CASE_FD..)
        .take(args.fds)
        .map(sys::claim_inherited)
        .collect::<std::io::Result<Vec<_>>>()
        .context("claim the inherited descriptors")?;
    let mut link = case.join(&args.args, fds)?;
    let mut bufs = Buffers::new(MAX_SIZE);
    loop {
        let Some(line) = channel.recv().context("read a command")? else {
            return Ok(());
        };
        match control::parse_command(line) {
            Some(Command::Quit) => return Ok(()),
            Some(Command::Job(job)) if job.size <= MAX_SIZE => {
                channel
                    .send(&control::encode_reply(&Reply::Ready))
                    .context("reply ready")?;
                link.follow(&job, &mut bufs).with_context(|| {
                    format!(
                        "{} {} B through {}",
                        job.measure.as_str(),
                        job.size,
                        job.imp
                    )
                })?;
                channel
                    .send(&control::encode_reply(&Reply::Done))
                    .context("reply done")?;
            }
            _ => return Err(Error::msg(format!("malformed command {line:?}"))),
        }
    }
}
