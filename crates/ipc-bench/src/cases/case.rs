//! What a mechanism provides to the bench: how to set up a connected pair of processes, and how
//! to move messages through the API and through raw calls.

use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::time::Duration;

use serde::Serialize;

use crate::error::Result;
use crate::measure::{self, Buffers, Duplex, Imp, Job, Measure};
use crate::plan::SIZES;

/// One row of the reference table (doc 001, Part 3), printed beside our figures. Its throughput
/// is `1 / latency`, so its latency is a round trip.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Reference {
    /// The row's name in the reference table.
    pub(crate) name: &'static str,
    /// Its throughput, in messages per second.
    pub(crate) msgs_per_s: f64,
    /// Its latency, in microseconds.
    pub(crate) latency_us: f64,
}

/// A mechanism under test.
///
/// The parent calls [`Case::prepare`], starts the peer with the [`Prepared`] descriptors and
/// arguments, then calls [`Prepared::connect`]; the peer calls [`Case::join`] with the same
/// arguments and the descriptors it inherited. Both sides then hold a link over the same kernel
/// objects, driven through the API or raw calls round by round.
pub(crate) trait Case: Sync {
    /// The stable identifier used by `--filter`, the peer's command line and the JSON.
    fn id(&self) -> &'static str;

    /// One phrase saying how the case is built, for the report.
    fn describe(&self) -> &'static str;

    /// The reference table's figures for this mechanism, when it has a row.
    fn reference(&self) -> Option<Reference>;

    /// The message sizes measured, in bytes: [`SIZES`] unless the case says otherwise.
    fn sizes(&self) -> &'static [usize] {
        &SIZES
    }

    /// What is measured: latency and throughput, unless the case says a throughput row would
    /// only repeat its latency (a one-message handoff, where every message waits for the other
    /// side's answer).
    fn measures(&self) -> &'static [Measure] {
        &Measure::ALL
    }

    /// Other crates measured beside the API and raw calls, on the same kernel objects in the same
    /// interleaved rounds (as [`Imp::Alt`]`(i)` for the `i`-th name): none unless the case says
    /// so. A case that names any implements [`AnyLink`] itself, as a [`Link`] has only two sides.
    fn alternatives(&self) -> &'static [&'static str] {
        &[]
    }

    /// Creates the channel in the parent.
    ///
    /// # Errors
    /// When a kernel object cannot be created.
    fn prepare(&self) -> Result<Prepared>;

    /// Opens the peer's side from what [`Case::prepare`] handed over.
    ///
    /// # Errors
    /// When the arguments or descriptors are not what `prepare` produces, or an open fails.
    fn join(&self, args: &[OsString], fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>>;
}

/// Unblocks a parent stuck connecting to a peer that died (for example a blocking FIFO open);
/// the watchdog calls it repeatedly after killing the peer.
pub(crate) type Unstick = Box<dyn Fn() + Send + Sync>;

/// The parent's half of a case, between creation and connection.
pub(crate) struct Prepared {
    /// Descriptors the peer inherits, in order (the peer's `join` receives them in this order).
    pub(crate) give: Vec<OwnedFd>,
    /// Arguments for the peer's [`Case::join`].
    pub(crate) args: Vec<OsString>,
    /// Completes the parent's side once the peer runs. It owns whatever must be cleaned up (a
    /// temporary directory, FIFO nodes), so dropping it unconnected also cleans up.
    pub(crate) connect: Box<dyn FnOnce() -> Result<Box<dyn AnyLink>>>,
    /// See [`Unstick`]; `None` when connecting cannot block.
    pub(crate) unstick: Option<Unstick>,
}

/// A connected link, seen through both implementations. A case implements this; the bench drives
/// it through [`AnyLink`].
pub(crate) trait Link {
    /// The API side's transport.
    type Api<'a>: Duplex
    where
        Self: 'a;
    /// The raw `libc` side's transport, over the same kernel objects.
    type Raw<'a>: Duplex
    where
        Self: 'a;

    /// Borrows the link as the API side.
    fn api(&mut self) -> Self::Api<'_>;
    /// Borrows the link as the raw side.
    fn raw(&mut self) -> Self::Raw<'_>;
}

/// A [`Link`] with the implementation chosen per round: one dynamic call per round, none per
/// message.
pub(crate) trait AnyLink {
    /// See [`measure::lead`].
    fn lead(
        &mut self,
        job: &Job,
        bufs: &mut Buffers,
        samples: &mut Vec<u64>,
    ) -> io::Result<Duration>;
    /// See [`measure::follow`].
    fn follow(&mut self, job: &Job, bufs: &mut Buffers) -> io::Result<()>;
}

impl<L: Link> AnyLink for L {
    fn lead(
        &mut self,
        job: &Job,
        bufs: &mut Buffers,
        samples: &mut Vec<u64>,
    ) -> io::Result<Duration> {
        match job.imp {
            Imp::Api => measure::lead(&mut self.api(), job, bufs, samples),
            Imp::Raw => measure::lead(&mut self.raw(), job, bufs, samples),
            Imp::Alt(_) => Err(no_alternative(job.imp)),
        }
    }

    fn follow(&mut self, job: &Job, bufs: &mut Buffers) -> io::Result<()> {
        match job.imp {
            Imp::Api => measure::follow(&mut self.api(), job, bufs),
            Imp::Raw => measure::follow(&mut self.raw(), job, bufs),
            Imp::Alt(_) => Err(no_alternative(job.imp)),
        }
    }
}

/// The error of a round through an implementation the case does not have.
pub(crate) fn no_alternative(imp: Imp) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("the case has no implementation {imp}"),
    )
}
