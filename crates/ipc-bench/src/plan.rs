//! How much to measure: message sizes, rounds, per-round time targets, and the row ids the
//! `--filter` option matches.

use std::time::Duration;

use serde::Serialize;

use crate::cases::Kind;
use crate::measure::Measure;

/// The message sizes measured, in bytes.
pub(crate) const SIZES: [usize; 3] = [64, 4096, 65536];

/// The largest message size: the peer's buffers are this large.
pub(crate) const MAX_SIZE: usize = 65536;

/// How long one round may take before the watchdog kills the peer. Rounds are calibrated to well
/// under a second, so this only fires on a hang.
pub(crate) const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// How long the parent waits for the peer to connect (open its FIFOs, …).
pub(crate) const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// The amount of measuring, full or quick.
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct Plan {
    /// Measured rounds per implementation; the implementations take turns, each leading a
    /// round in turn (A B, B A, … for API and raw), so drift cancels.
    pub(crate) rounds: usize,
    /// Time spent warming up each implementation before a row's rounds.
    #[serde(rename = "warmup_s", serialize_with = "seconds")]
    pub(crate) warmup: Duration,
    /// Target duration of one latency round.
    #[serde(rename = "latency_round_s", serialize_with = "seconds")]
    pub(crate) latency_round: Duration,
    /// Target duration of one throughput round.
    #[serde(rename = "throughput_round_s", serialize_with = "seconds")]
    pub(crate) throughput_round: Duration,
    /// Fewest round trips in a latency round (so ≥ `rounds * this` samples per implementation).
    pub(crate) min_round_trips: u64,
    /// Fewest messages in a throughput round.
    pub(crate) min_messages: u64,
    /// Most round trips or messages in any round.
    pub(crate) max_count: u64,
    /// Target duration of one round of a single-process case (latency or throughput).
    #[serde(rename = "solo_round_s", serialize_with = "seconds")]
    pub(crate) solo_round: Duration,
    /// Fewest operations in a round of a single-process case (an `msync` to disk may take
    /// milliseconds).
    pub(crate) min_ops: u64,
}

impl Plan {
    /// The full run: about 45 s per two-process case and 5 s per single-process row on two
    /// cores, so every case fits in about five minutes.
    pub(crate) const FULL: Self = Self {
        rounds: 20,
        warmup: Duration::from_millis(200),
        latency_round: Duration::from_millis(200),
        throughput_round: Duration::from_millis(150),
        min_round_trips: 1_000,
        min_messages: 500,
        max_count: 2_000_000,
        solo_round: Duration::from_millis(50),
        min_ops: 20,
    };

    /// The smoke run (`--quick`): every case and size, a few milliseconds each.
    pub(crate) const QUICK: Self = Self {
        rounds: 2,
        warmup: Duration::from_millis(5),
        latency_round: Duration::from_millis(15),
        throughput_round: Duration::from_millis(15),
        min_round_trips: 50,
        min_messages: 100,
        max_count: 100_000,
        solo_round: Duration::from_millis(5),
        min_ops: 5,
    };

    /// The target duration of one round of `measure` in a case of `kind`.
    pub(crate) fn round_target(&self, kind: Kind, measure: Measure) -> Duration {
        match (kind, measure) {
            (Kind::Solo, _) => self.solo_round,
            (Kind::Pair, Measure::Latency) => self.latency_round,
            (Kind::Pair, Measure::Throughput) => self.throughput_round,
        }
    }

    /// The count that makes a round last about `target` at `per_op` each, within the plan's
    /// bounds for `measure` in a case of `kind`.
    pub(crate) fn count_for(
        &self,
        kind: Kind,
        measure: Measure,
        target: Duration,
        per_op: Duration,
    ) -> u64 {
        let min = match (kind, measure) {
            (Kind::Solo, _) => self.min_ops,
            (Kind::Pair, Measure::Latency) => self.min_round_trips,
            (Kind::Pair, Measure::Throughput) => self.min_messages,
        };
        let wanted = target.as_secs_f64() / per_op.as_secs_f64().max(1e-9);
        // Saturating float-to-int conversion; the clamp bounds it anyway.
        (wanted as u64).clamp(min, self.max_count.max(min))
    }
}

/// Serialises a duration as seconds (a float), as the rest of the JSON does.
fn seconds<S: serde::Serializer>(duration: &Duration, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_f64(duration.as_secs_f64())
}

/// A size as it appears in row ids and tables: `64B`, `4KiB`, `64KiB`, and `-` for an operation
/// without a size (a lock).
pub(crate) fn size_label(size: usize) -> String {
    if size == 0 {
        "-".to_owned()
    } else if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// The id of a row, which `--filter` matches: `pipe/latency/64B`.
pub(crate) fn row_id(case: &str, measure: Measure, size: usize) -> String {
    format!("{case}/{}/{}", measure.as_str(), size_label(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_labelled_in_binary_units() {
        assert_eq!(size_label(64), "64B");
        assert_eq!(size_label(4096), "4KiB");
        assert_eq!(size_label(65536), "64KiB");
        assert_eq!(size_label(1000), "1000B");
        assert_eq!(size_label(0), "-");
    }

    #[test]
    fn a_calibrated_count_stays_within_the_plan_bounds() {
        let sut = Plan::FULL;
        let target = sut.latency_round;
        let fast = sut.count_for(
            Kind::Pair,
            Measure::Latency,
            target,
            Duration::from_nanos(1),
        );
        let slow = sut.count_for(Kind::Pair, Measure::Latency, target, Duration::from_secs(1));
        assert_eq!(fast, sut.max_count);
        assert_eq!(slow, sut.min_round_trips);
        let slow_op = sut.count_for(Kind::Solo, Measure::Latency, target, Duration::from_secs(1));
        assert_eq!(slow_op, sut.min_ops);
    }

    #[test]
    fn the_full_plan_gives_twenty_thousand_round_trips_per_implementation() {
        let sut = Plan::FULL;
        assert!(sut.rounds as u64 * sut.min_round_trips >= 20_000);
    }
}
