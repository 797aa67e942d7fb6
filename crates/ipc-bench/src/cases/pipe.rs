//! Anonymous pipes: one per direction, the peer's ends inherited as descriptors. Two variants:
//! the default write path, and the one a program gets when `SIGPIPE` is not ignored.

use std::ffi::OsString;
use std::os::fd::OwnedFd;

use ipc_pipe::{Reader, SigpipeProtection, Writer};

use super::stream::StreamLink;
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};

/// The `pipe` cases.
pub(crate) struct Pipe {
    id: &'static str,
    describe: &'static str,
    protection: SigpipeProtection,
}

impl Pipe {
    /// `pipe`: `SigpipeProtection::Auto`. The bench, like every Rust program, runs with `SIGPIPE`
    /// ignored, so the API's writes are plain `write(2)` calls.
    pub(crate) const PLAIN: Self = Self {
        id: "pipe",
        describe: "two anonymous pipes (one per direction), peer ends inherited",
        protection: SigpipeProtection::Auto,
    };

    /// `pipe-guarded`: `SigpipeProtection::Always`, the path of a program whose `SIGPIPE` is not
    /// ignored: every API write blocks and restores `SIGPIPE` around the `write(2)`.
    pub(crate) const GUARDED: Self = Self {
        id: "pipe-guarded",
        describe: "as pipe, with SigpipeProtection::Always (the write path when SIGPIPE is not ignored)",
        protection: SigpipeProtection::Always,
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
        let protection = self.protection;
        Ok(Prepared {
            give: vec![down_reader.into(), up_writer.into()],
            args: Vec::new(),
            connect: Box::new(move || {
                Ok(Box::new(StreamLink::new(
                    up_reader,
                    down_writer,
                    protection,
                )))
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
            self.protection,
        )))
    }
}
