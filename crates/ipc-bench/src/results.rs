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
///
/// 3: a row may carry `alternatives`: other crates measured in the same rounds, each with its
/// figures and its ratio to raw (absent when the case has none).
pub(crate) const SCHEMA_VERSION: u32 = 3;

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
    /// Other crates measured in the same rounds, in the case's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) alternatives: Vec<Alternative>,
}

/// Another crate's figures in a row, measured in the same interleaved rounds as the API and raw.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Alternative {
    /// The crate's name.
    pub(crate) name: &'static str,
    /// Its figures.
    pub(crate) figures: Figures,
    /// Its ratio to raw, read as the row's API/raw ratio: above 1 means the crate is slower.
    pub(crate) ratio: f64,
    /// The same ratio for each pair of rounds, in run order.
    pub(crate) ratio_by_round: Vec<f64>,
}

impl Alternative {
    /// The smallest and largest per-round ratio.
    pub(crate) fn ratio_range(&self) -> (f64, f64) {
        range(&self.ratio_by_round)
    }
}

impl Row {
    /// A latency row from each implementation's per-round samples (nanoseconds).
    pub(crate) fn latency(
        head: RowHead,
        count_per_round: u64,
        api: &[Vec<u64>],
        raw: &[Vec<u64>],
    ) -> Self {
        let api = Figures::Latency(LatencySummary::new(api));
        let raw = Figures::Latency(LatencySummary::new(raw));
        head.into_row(count_per_round, api, raw)
    }

    /// A throughput row from each implementation's per-round durations (seconds).
    pub(crate) fn throughput(head: RowHead, messages: u64, api: &[f64], raw: &[f64]) -> Self {
        let api = Figures::Throughput(ThroughputSummary::new(messages, head.size, api));
        let raw = Figures::Throughput(ThroughputSummary::new(messages, head.size, raw));
        head.into_row(messages, api, raw)
    }

    /// Adds another crate's figures from its per-round samples (nanoseconds, latency rows) or
    /// durations (seconds, throughput rows), as [`Row::latency`] and [`Row::throughput`] take them.
    pub(crate) fn add_alternative(
        &mut self,
        name: &'static str,
        samples: &[Vec<u64>],
        secs: &[f64],
    ) {
        let figures = match self.measurement {
            Measure::Latency => Figures::Latency(LatencySummary::new(samples)),
            Measure::Throughput => Figures::Throughput(ThroughputSummary::new(
                self.count_per_round,
                self.size_bytes,
                secs,
            )),
        };
        let (ratio, ratio_by_round) = versus(&figures, &self.raw);
        self.alternatives.push(Alternative {
            name,
            figures,
            ratio,
            ratio_by_round,
        });
    }

    /// The smallest and largest per-round ratio.
    pub(crate) fn ratio_range(&self) -> (f64, f64) {
        range(&self.ratio_by_round)
    }
}

/// The smallest and largest of `ratios`.
fn range(ratios: &[f64]) -> (f64, f64) {
    ratios
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        })
}

/// The ratio of `figures` to `raw` and the same per pair of rounds: latency `figures / raw`,
/// throughput `raw / figures` (rates), so that above 1 always means slower than raw.
fn versus(figures: &Figures, raw: &Figures) -> (f64, Vec<f64>) {
    match (figures, raw) {
        (Figures::Latency(a), Figures::Latency(r)) => (
            a.median_us / r.median_us,
            pairwise(&a.round_medians_us, &r.round_medians_us, |a, r| a / r),
        ),
        (Figures::Throughput(a), Figures::Throughput(r)) => (
            r.msgs_per_s / a.msgs_per_s,
            pairwise(&a.round_msgs_per_s, &r.round_msgs_per_s, |a, r| r / a),
        ),
        _ => (f64::NAN, Vec::new()),
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
    /// The other crates measured beside the API and raw calls.
    pub(crate) alternatives: &'static [&'static str],
}

impl RowHead {
    fn into_row(self, count_per_round: u64, api: Figures, raw: Figures) -> Row {
        let (ratio, ratio_by_round) = versus(&api, &raw);
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
            alternatives: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn head(measure: Measure) -> RowHead {
        RowHead {
            case: "sut",
            kind: Kind::Pair,
            setup: "",
            measure,
            size: 64,
            rounds: 2,
            reference: None,
            alternatives: &["other"],
        }
    }

    #[test]
    fn an_alternative_slower_than_raw_has_a_ratio_above_one_in_both_measures() {
        let fast = [vec![1_000, 1_000], vec![1_000, 1_000]];
        let slow = [vec![3_000, 3_000], vec![3_000, 3_000]];
        let mut sut = Row::latency(head(Measure::Latency), 2, &fast, &fast);
        sut.add_alternative("other", &slow, &[]);
        assert_eq!(sut.ratio, 1.0);
        assert_eq!(sut.alternatives[0].ratio, 3.0);
        assert_eq!(sut.alternatives[0].ratio_range(), (3.0, 3.0));

        let mut sut = Row::throughput(head(Measure::Throughput), 100, &[1.0, 1.0], &[1.0, 1.0]);
        sut.add_alternative("other", &[], &[2.0, 2.0]);
        assert_eq!(sut.alternatives[0].ratio, 2.0);
        assert_eq!(sut.alternatives[0].ratio_by_round, [2.0, 2.0]);
    }
}
