//! Summaries of the samples: percentiles of round trips, rates of streaming rounds.

use serde::Serialize;

/// Nanoseconds to microseconds.
fn us(ns: u64) -> f64 {
    ns as f64 / 1_000.0
}

/// The value at quantile `q` (0..=1) of `sorted` by the nearest-rank method: the smallest sample
/// with at least `q` of the samples at or below it. `sorted` must be non-empty and ascending.
pub(crate) fn quantile(sorted: &[u64], q: f64) -> u64 {
    debug_assert!(!sorted.is_empty() && (0.0..=1.0).contains(&q));
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of `values` (the mean of the middle two for an even count); `NaN` when empty.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The round-trip times of one implementation over all its rounds.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LatencySummary {
    /// Round trips measured (all rounds).
    pub(crate) samples: usize,
    /// Fastest round trip, µs.
    pub(crate) min_us: f64,
    /// Mean, µs.
    pub(crate) mean_us: f64,
    /// Standard deviation, µs.
    pub(crate) stddev_us: f64,
    /// Median, µs.
    pub(crate) median_us: f64,
    /// 90th percentile, µs.
    pub(crate) p90_us: f64,
    /// 99th percentile, µs.
    pub(crate) p99_us: f64,
    /// 99.9th percentile, µs.
    pub(crate) p999_us: f64,
    /// Slowest round trip, µs.
    pub(crate) max_us: f64,
    /// Each round's median, µs, in run order (shows drift).
    pub(crate) round_medians_us: Vec<f64>,
}

impl LatencySummary {
    /// Summarises round-trip samples in nanoseconds, `rounds` holding each round's samples.
    pub(crate) fn new(rounds: &[Vec<u64>]) -> Self {
        let mut all: Vec<u64> = rounds.iter().flatten().copied().collect();
        all.sort_unstable();
        let round_medians_us = rounds
            .iter()
            .map(|round| {
                let mut round = round.clone();
                round.sort_unstable();
                if round.is_empty() {
                    f64::NAN
                } else {
                    us(quantile(&round, 0.5))
                }
            })
            .collect();
        if all.is_empty() {
            return Self {
                samples: 0,
                min_us: f64::NAN,
                mean_us: f64::NAN,
                stddev_us: f64::NAN,
                median_us: f64::NAN,
                p90_us: f64::NAN,
                p99_us: f64::NAN,
                p999_us: f64::NAN,
                max_us: f64::NAN,
                round_medians_us,
            };
        }
        let n = all.len() as f64;
        let mean = all.iter().map(|&ns| ns as f64).sum::<f64>() / n;
        let variance = all
            .iter()
            .map(|&ns| (ns as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        Self {
            samples: all.len(),
            min_us: us(all[0]),
            mean_us: mean / 1_000.0,
            stddev_us: variance.sqrt() / 1_000.0,
            median_us: us(quantile(&all, 0.5)),
            p90_us: us(quantile(&all, 0.9)),
            p99_us: us(quantile(&all, 0.99)),
            p999_us: us(quantile(&all, 0.999)),
            max_us: us(all[all.len() - 1]),
            round_medians_us,
        }
    }
}

/// The streaming rate of one implementation over all its rounds.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ThroughputSummary {
    /// Messages per round.
    pub(crate) messages_per_round: u64,
    /// Median of the rounds' rates, messages per second.
    pub(crate) msgs_per_s: f64,
    /// The same in megabytes (10^6 bytes) per second.
    pub(crate) mb_per_s: f64,
    /// Slowest round's rate.
    pub(crate) min_msgs_per_s: f64,
    /// Fastest round's rate.
    pub(crate) max_msgs_per_s: f64,
    /// Each round's rate, in run order.
    pub(crate) round_msgs_per_s: Vec<f64>,
}

impl ThroughputSummary {
    /// Summarises rounds of `messages` messages of `size` bytes that took `round_secs` each.
    pub(crate) fn new(messages: u64, size: usize, round_secs: &[f64]) -> Self {
        let rates: Vec<f64> = round_secs.iter().map(|&s| messages as f64 / s).collect();
        let msgs_per_s = median(&rates);
        Self {
            messages_per_round: messages,
            msgs_per_s,
            mb_per_s: msgs_per_s * size as f64 / 1e6,
            min_msgs_per_s: rates.iter().copied().fold(f64::INFINITY, f64::min),
            max_msgs_per_s: rates.iter().copied().fold(0.0, f64::max),
            round_msgs_per_s: rates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let sut: Vec<u64> = (1..=1000).collect();
        assert_eq!(quantile(&sut, 0.5), 500);
        assert_eq!(quantile(&sut, 0.99), 990);
        assert_eq!(quantile(&sut, 0.999), 999);
        assert_eq!(quantile(&sut, 1.0), 1000);
        assert_eq!(quantile(&sut, 0.0), 1);
        assert_eq!(quantile(&[7], 0.999), 7);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn a_latency_summary_pools_rounds_and_keeps_each_rounds_median() {
        let sut = LatencySummary::new(&[vec![1_000, 3_000, 2_000], vec![10_000]]);
        assert_eq!(sut.samples, 4);
        assert_eq!(sut.round_medians_us, [2.0, 10.0]);
        assert_eq!(sut.median_us, 2.0);
        assert_eq!(sut.max_us, 10.0);
    }

    #[test]
    fn a_throughput_summary_reports_the_median_round_rate() {
        let sut = ThroughputSummary::new(1_000, 1_000, &[1.0, 0.5, 0.25]);
        assert_eq!(sut.msgs_per_s, 2_000.0);
        assert_eq!(sut.mb_per_s, 2.0);
        assert_eq!(sut.min_msgs_per_s, 1_000.0);
        assert_eq!(sut.max_msgs_per_s, 4_000.0);
    }
}
