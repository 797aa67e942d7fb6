//! Anonymous pipes: one per direction, the peer's ends inherited as descriptors.

use std::ffi::OsString;
use std::os::fd::OwnedFd;

use ipc_pipe::{Reader, Writer};

use super::stream::StreamLink;
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};

/// The `pipe` case.
pub(crate) struct Pipe;

impl Case for Pipe {
    fn id(&self) -> &'static str {
        "pipe"
    }

    fn describe(&self) -> &'static str {
        "two anonymous pipes (one per direction), peer ends inherited"
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
        Ok(Prepared {
            give: vec![down_reader.into(), up_writer.into()],
            args: Vec::new(),
            connect: Box::new(move || Ok(Box::new(StreamLink::new(up_reader, down_writer)))),
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
        )))
    }
}
