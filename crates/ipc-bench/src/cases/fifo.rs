//! Named pipes: two FIFOs in a fresh temporary directory, opened by path on both sides.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::stream::{RawWrite, StreamLink};
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};

/// The prefix of every object the bench names, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-";

/// The `fifo` case.
pub(crate) struct Fifo;

impl Case for Fifo {
    fn id(&self) -> &'static str {
        "fifo"
    }

    fn describe(&self) -> &'static str {
        "two FIFOs (one per direction) in a temporary directory, opened by path"
    }

    fn reference(&self) -> Option<Reference> {
        Some(Reference {
            name: "Named pipes",
            msgs_per_s: 26_000.0,
            latency_us: 38.0,
        })
    }

    fn prepare(&self) -> Result<Prepared> {
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir()
            .context("create the FIFO directory")?;
        let down_path = dir.path().join(format!("{PREFIX}down"));
        let up_path = dir.path().join(format!("{PREFIX}up"));
        let down = ipc_pipe::Fifo::create_new(&down_path)
            .with_context(|| format!("create FIFO {}", down_path.display()))?;
        let up = ipc_pipe::Fifo::create_new(&up_path)
            .with_context(|| format!("create FIFO {}", up_path.display()))?;
        let args = vec![down_path.clone().into(), up_path.clone().into()];
        let unstick_paths = [down_path.clone(), up_path.clone()];
        // The peer opens `down` for reading, then `up` for writing; the parent opens them in the
        // same order, so the blocking opens pair up instead of deadlocking.
        let connect = move || -> Result<Box<dyn AnyLink>> {
            let writer = down
                .open_writer()
                .with_context(|| format!("open FIFO {} for writing", down_path.display()))?;
            let reader = up
                .open_reader()
                .with_context(|| format!("open FIFO {} for reading", up_path.display()))?;
            // Both ends are open: the nodes and their directory can go now.
            drop((down, up));
            dir.close().context("remove the FIFO directory")?;
            Ok(Box::new(StreamLink::new(reader, writer, RawWrite::Write)))
        };
        Ok(Prepared {
            give: Vec::new(),
            args,
            connect: Box::new(connect),
            unstick: Some(Box::new(move || unstick_paths.iter().for_each(|p| poke(p)))),
        })
    }

    fn join(&self, args: &[OsString], _fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        let [down, up] = args else {
            return Err(Error::msg("the fifo peer expects two FIFO paths"));
        };
        let reader = ipc_pipe::Fifo::open(Path::new(down))
            .and_then(|fifo| fifo.open_reader())
            .with_context(|| format!("open FIFO {} for reading", down.display()))?;
        let writer = ipc_pipe::Fifo::open(Path::new(up))
            .and_then(|fifo| fifo.open_writer())
            .with_context(|| format!("open FIFO {} for writing", up.display()))?;
        Ok(Box::new(StreamLink::new(reader, writer, RawWrite::Write)))
    }
}

/// Opens and closes `path` read-write without blocking, which completes any blocking open of the
/// FIFO waiting for a partner: "Under Linux, opening a FIFO for read and write will succeed both in
/// blocking and nonblocking mode" (fifo(7)). The woken side then sees end-of-file or `EPIPE`.
fn poke(path: &Path) {
    let _ = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use rustix::process::Pid;

    use super::*;
    use crate::measure::{Buffers, Imp, Job, Measure};
    use crate::watchdog::Watchdog;

    #[test]
    fn a_parent_waiting_on_a_peer_that_never_opens_is_released_by_the_watchdog() {
        let sut = Fifo.prepare().unwrap();
        let dir = PathBuf::from(&sut.args[0]).parent().unwrap().to_owned();
        // A stand-in peer that never opens the FIFOs.
        let mut peer = Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut watchdog = Watchdog::start(Pid::from_child(&peer), sut.unstick);
        watchdog.arm(Duration::from_millis(200));

        let connected = (sut.connect)();

        assert!(watchdog.fired());
        watchdog.stop();
        assert!(peer.wait().unwrap().code().is_none(), "killed by a signal");
        // The blocked opens completed, but nobody is on the other side.
        let mut link = connected.unwrap();
        let job = Job {
            measure: Measure::Latency,
            imp: Imp::Api,
            size: 64,
            count: 1,
        };
        assert!(
            link.lead(&job, &mut Buffers::new(64), &mut Vec::new())
                .is_err()
        );
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}
