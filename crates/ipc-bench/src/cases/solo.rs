//! Single-process cases: an operation (a write and `msync`, a lock and unlock) timed in one
//! process, through the API and through raw calls, with no peer.

use std::io;
use std::time::Duration;

use super::Reference;
use crate::error::Result;
use crate::measure::{self, Buffers, Imp, Job, Op};

/// A mechanism measured in one process.
///
/// The bench calls [`Solo::open`] once per case, then runs rounds of operations through the
/// returned link, API and raw interleaved as for [`super::Case`]. A latency row times every
/// operation on its own (median, p99, p99.9 of the per-operation times); a throughput row times a
/// whole round of back-to-back operations with one clock reading at each end, free of the
/// per-operation clock overhead.
pub(crate) trait Solo: Sync {
    /// The stable identifier used by `--filter` and the JSON.
    fn id(&self) -> &'static str;

    /// One phrase saying what one operation is, for the report.
    fn describe(&self) -> &'static str;

    /// The reference table's figures for this mechanism, when it has a row.
    fn reference(&self) -> Option<Reference>;

    /// The sizes measured, in bytes; `[0]` when the operation has no size.
    fn sizes(&self) -> &'static [usize];

    /// Sets up the objects the operations act on; dropping the link removes them.
    ///
    /// # Errors
    /// When a file or object cannot be created.
    fn open(&self) -> Result<Box<dyn AnySoloLink>>;
}

/// The objects of a single-process case, seen through both implementations.
pub(crate) trait SoloLink {
    /// The API side's operation.
    type Api<'a>: Op
    where
        Self: 'a;
    /// The raw `libc` side's operation.
    type Raw<'a>: Op
    where
        Self: 'a;

    /// Borrows the link as the API side.
    fn api(&mut self) -> Self::Api<'_>;
    /// Borrows the link as the raw side.
    fn raw(&mut self) -> Self::Raw<'_>;
}

/// A [`SoloLink`] with the implementation chosen per round: one dynamic call per round, none per
/// operation.
pub(crate) trait AnySoloLink {
    /// See [`measure::solo`].
    fn run(
        &mut self,
        job: &Job,
        bufs: &mut Buffers,
        samples: &mut Vec<u64>,
    ) -> io::Result<Duration>;
}

impl<L: SoloLink> AnySoloLink for L {
    fn run(
        &mut self,
        job: &Job,
        bufs: &mut Buffers,
        samples: &mut Vec<u64>,
    ) -> io::Result<Duration> {
        match job.imp {
            Imp::Api => measure::solo(&mut self.api(), job, bufs, samples),
            Imp::Raw => measure::solo(&mut self.raw(), job, bufs, samples),
            Imp::Alt(_) => Err(super::case::no_alternative(job.imp)),
        }
    }
}
