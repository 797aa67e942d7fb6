//! What a run produced: one row per case, measurement and size, and the report around them.

use serde::Serialize;

use crate::cases::{Kind, Reference};
use crate::machine::Machine;
use crate::measure::Measure;
use crate::pin::Placement;
use crate::plan::{self, Plan};
use crate::stats::{LatencySummary, ThroughputSummary};

/// The JSON layout version; bump it when a field changes meaning.
///
/// 2: rows carry `kind` (`pair` or `solo`); a solo row's latency is the time of one operation and
/// its throughput operations per second; `size_bytes` 0 means the operation has no size.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// One implementation's figures in a row.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Figures {
    /// Round-trip latency.
    Latency(LatencySummary),
    /// Streaming throughput.
    Throughput(ThroughputSummary),
}

/// One case at one size, one measurement: API and raw side by side.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    /// `case/measurement/size`, as `--filter` matches it.
    pub(crate) id: String,
    /// The case id.
    pub(crate) case: &'static str,
    /// Two processes, or the parent alone.
    pub(crate) kind: Kind,
    /// How the case is built.
    pub(crate) setup: &'static str,
    /// What was measured.
    pub(crate) measurement: Measure,
    /// Message size in bytes.
    pub(crate) size_bytes: usize,
    /// Measured rounds per implementation.
    pub(crate) rounds: usize,
    /// Round trips or messages per round (the same for both implementations).
    pub(crate) count_per_round: u64,
    /// Through this project's API.
    pub(crate) api: Figures,
    /// Through raw `libc` calls on the same descriptors.
    pub(crate) raw: Figures,
    /// The headline: latency API median / raw median; throughput raw msg/s / API msg/s. Above 1
    /// means the API is slower.
    pub(crate) ratio: f64,
    /// The same ratio for each pair of rounds (API round r against raw round r), in run order.
    pub(crate) ratio_by_round: Vec<f64>,
    /// The reference table's figures for this mechanism.
    pub(crate) reference: Option<Reference>,
}

impl Row {
    /// A latency row from each implementation's per-round samples (nanoseconds).
    pub(crate) fn latency(
        head: RowHead,
        count_per_round: u64,
        api: &[Vec<u64>],
        raw: &[Vec<u64>],
    ) -> Self {
        let api = LatencySummary::new(api);
        let raw = LatencySummary::new(raw);
        let ratio = api.median_us / raw.median_us;
        let ratio_by_round = pairwise(&api.round_medians_us, &raw.round_medians_us, |a, r| a / r);
        head.into_row(
            count_per_round,
            Figures::Latency(api),
            Figures::Latency(raw),
            ratio,
            ratio_by_round,
        )
    }

    /// A throughput row from each implementation's per-round durations (seconds).
    pub(crate) fn throughput(head: RowHead, messages: u64, api: &[f64], raw: &[f64]) -> Self {
        let api = ThroughputSummary::new(messages, head.size, api);
        let raw = ThroughputSummary::new(messages, head.size, raw);
        let ratio = raw.msgs_per_s / api.msgs_per_s;
        let ratio_by_round = pairwise(&api.round_msgs_per_s, &raw.round_msgs_per_s, |a, r| r / a);
        head.into_row(
            messages,
            Figures::Throughput(api),
            Figures::Throughput(raw),
            ratio,
            ratio_by_round,
        )
    }

    /// The smallest and largest per-round ratio.
    pub(crate) fn ratio_range(&self) -> (f64, f64) {
        self.ratio_by_round
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                (lo.min(r), hi.max(r))
            })
    }
}

fn pairwise(api: &[f64], raw: &[f64], ratio: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    api.iter().zip(raw).map(|(&a, &r)| ratio(a, r)).collect()
}

/// What identifies a row, before its figures exist.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowHead {
    /// The case id.
    pub(crate) case: &'static str,
    /// Two processes, or the parent alone.
    pub(crate) kind: Kind,
    /// How the case is built.
    pub(crate) setup: &'static str,
    /// What is measured.
    pub(crate) measure: Measure,
    /// Message size in bytes.
    pub(crate) size: usize,
    /// Measured rounds per implementation.
    pub(crate) rounds: usize,
    /// The reference table's figures.
    pub(crate) reference: Option<Reference>,
}

impl RowHead {
    fn into_row(
        self,
        count_per_round: u64,
        api: Figures,
        raw: Figures,
        ratio: f64,
        ratio_by_round: Vec<f64>,
    ) -> Row {
        Row {
            id: plan::row_id(self.case, self.measure, self.size),
            case: self.case,
            kind: self.kind,
            setup: self.setup,
            measurement: self.measure,
            size_bytes: self.size,
            rounds: self.rounds,
            count_per_round,
            api,
            raw,
            ratio,
            ratio_by_round,
            reference: self.reference,
        }
    }
}

/// Everything one run measured, as written to `results.json`.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// [`SCHEMA_VERSION`].
    pub(crate) schema_version: u32,
    /// When the run started (UTC, RFC 3339).
    pub(crate) timestamp: String,
    /// Whether this was a `--quick` smoke run (its figures are not for comparison).
    pub(crate) quick: bool,
    /// The `--filter`, if any.
    pub(crate) filter: Option<String>,
    /// The machine, kernel, toolchain and commit.
    pub(crate) machine: Machine,
    /// The load averages (1, 5, 15 min) before the first case and after the last.
    pub(crate) load_before: Option<[f64; 3]>,
    /// See `load_before`.
    pub(crate) load_after: Option<[f64; 3]>,
    /// Where the two processes ran; `None` when unpinned.
    pub(crate) placement: Option<Placement>,
    /// How much was measured.
    pub(crate) plan: Plan,
    /// The rows, in run order.
    pub(crate) rows: Vec<Row>,
    /// Cases that failed, one sentence each.
    pub(crate) failures: Vec<String>,
}
