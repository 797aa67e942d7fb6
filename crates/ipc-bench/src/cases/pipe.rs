//! Anonymous pipes: one per direction, the peer's ends inherited as descriptors.

use std::ffi::OsString;
use std::os::fd::OwnedFd;

use ipc_pipe::{Reader, Writer};

use super::stream::{RawWrite, StreamLink};
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};

/// The `pipe` cases: one per raw baseline.
pub(crate) struct Pipe {
    id: &'static str,
    describe: &'static str,
    raw_write: RawWrite,
}

impl Pipe {
    /// `pipe`: raw writes are `write(2)`, which relies on the bench's ignored `SIGPIPE`.
    pub(crate) const PLAIN: Self = Self {
        id: "pipe",
        describe: "two anonymous pipes (one per direction), peer ends inherited; raw = write(2)",
        raw_write: RawWrite::Write,
    };

    /// `pipe-nosignal`: raw writes are `pwritev2(RWF_NOSIGNAL)`, the system call that gives the
    /// API's guarantee, so the ratio is the cost of the API's own code alone.
    pub(crate) const NOSIGNAL: Self = Self {
        id: "pipe-nosignal",
        describe: "as pipe; raw = pwritev2(RWF_NOSIGNAL), the raw form of the API's no-SIGPIPE guarantee",
        raw_write: RawWrite::NoSignal,
    };

    /// `pipe-assumed`: raw writes are `write(2)`; the API rounds run under
    /// `assume_sigpipe_ignored()`, the opt-in that makes blocking writes plain `write(2)`.
    pub(crate) const ASSUMED: Self = Self {
        id: "pipe-assumed",
        describe: "as pipe; API under assume_sigpipe_ignored() (plain write(2)), raw = write(2)",
        raw_write: RawWrite::WriteAssumed,
    };
}

impl Case for Pipe {
    fn id(&self) -> &'static str {
        self.id
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn reference(&self) -> Option<Reference> {
        Some(Reference {
            name: "Pipes",
            msgs_per_s: 37_000.0,
            latency_us: 27.3,
        })
    }

    fn prepare(&self) -> Result<Prepared> {
        let (down_reader, down_writer) =
            ipc_pipe::pipe().context("create the parent-to-peer pipe")?;
        let (up_reader, up_writer) = ipc_pipe::pipe().context("create the peer-to-parent pipe")?;
        let raw_write = self.raw_write;
        Ok(Prepared {
            give: vec![down_reader.into(), up_writer.into()],
            args: Vec::new(),
            connect: Box::new(move || {
                Ok(Box::new(StreamLink::new(up_reader, down_writer, raw_write)))
            }),
            unstick: None,
        })
    }

    fn join(&self, _args: &[OsString], fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        let [down, up]: [OwnedFd; 2] = fds
            .try_into()
            .map_err(|_| Error::msg("the pipe peer expects two descriptors"))?;
        Ok(Box::new(StreamLink::new(
            Reader::from(down),
            Writer::from(up),
            self.raw_write,
        )))
    }
}
