//! The Markdown table printed on stdout.

use std::fmt::Write as _;

use crate::cases::Kind;
use crate::measure::Measure;
use crate::plan;
use crate::results::{Figures, Report, Row};

/// A 1-minute load average above which the run is flagged as sharing the machine (the bench
/// itself adds about one while it runs, so only the load before it is judged).
const BUSY_LOAD: f64 = 0.5;

/// Renders the run's header notes, table and failures.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(out, "## ipc-bench\n");
    let memory = m.memory_bytes.map_or_else(
        || "? GiB".to_owned(),
        |b| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
    );
    let dirty = if m.dirty == Some(true) {
        " (dirty)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{} · {} CPUs · {memory} · Linux {} · {} · commit {}{dirty} · {}",
        m.cpu_model, m.cores, m.kernel, m.rustc, m.commit, report.timestamp
    );
    let placement = report.placement.map_or_else(
        || "unpinned (fewer than two CPUs)".to_owned(),
        |p| format!("parent on CPU {}, peer on CPU {}", p.parent_cpu, p.peer_cpu),
    );
    let _ = writeln!(
        out,
        "\nTwo processes, {placement}; {} rounds per implementation, API and raw interleaved \
         (A B, B A, …) on the same descriptors. Single-process cases (`one op`, `ops/s`) run \
         in the parent alone: latency times each operation, throughput a whole round of them.",
        report.plan.rounds
    );
    if let (Some(before), Some(after)) = (report.load_before, report.load_after) {
        let _ = writeln!(
            out,
            "Load average (1 min) before the run {:.2}, after it {:.2}.",
            before[0], after[0]
        );
        if before[0] > BUSY_LOAD {
            let _ = writeln!(
                out,
                "**The machine was busy before the run**: other work shares the CPUs, so the \
                 figures (and the per-round ratios) are noisier than usual."
            );
        }
    }
    if report.quick {
        let _ = writeln!(
            out,
            "**Quick run**: a smoke test of every case; its figures are not for comparison."
        );
    }
    let _ = writeln!(
        out,
        "\n- Latency: round trip in µs, median / p99 / p99.9 (`one op`: the time of one operation). \
         Throughput: messages (`ops`: operations) per second (MB/s, 10^6 bytes).\n\
         - **API/raw**: latency = API median / raw median; throughput = raw msg/s / API msg/s; \
         **above 1 means the API is slower**. In brackets: the lowest and highest ratio over the \
         paired rounds.\n\
         - A row `case · crate` measures that crates.io crate in the API's place, over the same \
         kernel objects in the same interleaved rounds; its ratio is crate/raw, read the same way.\n\
         - Reference: doc 001, Part 3. Its latency is a round trip and its throughput is \
         1/latency, one figure per mechanism whatever the size.\n"
    );
    let _ = writeln!(
        out,
        "| mechanism | measurement | size | API | raw | API/raw | reference |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|");
    for row in &report.rows {
        let measurement = match (row.kind, row.measurement) {
            (Kind::Pair, Measure::Latency) => "round trip µs",
            (Kind::Pair, Measure::Throughput) => "msg/s (MB/s)",
            (Kind::Solo, Measure::Latency) => "one op µs",
            (Kind::Solo, Measure::Throughput) => "ops/s (MB/s)",
        };
        let size = plan::size_label(row.size_bytes);
        let _ = writeln!(
            out,
            "| {} | {measurement} | {size} | {} | {} | {} | {} |",
            row.case,
            figures(&row.api),
            figures(&row.raw),
            ratio(row.ratio, row.ratio_range()),
            reference(row),
        );
        for alt in &row.alternatives {
            let _ = writeln!(
                out,
                "| {} · {} | {measurement} | {size} | {} | {} | {} | |",
                row.case,
                alt.name,
                figures(&alt.figures),
                figures(&row.raw),
                ratio(alt.ratio, alt.ratio_range()),
            );
        }
    }
    if !report.failures.is_empty() {
        let _ = writeln!(out, "\nFailed:");
        for failure in &report.failures {
            let _ = writeln!(out, "- {failure}");
        }
    }
    out
}

fn figures(figures: &Figures) -> String {
    match figures {
        Figures::Latency(l) => format!(
            "{} / {} / {}",
            micros(l.median_us),
            micros(l.p99_us),
            micros(l.p999_us)
        ),
        Figures::Throughput(t) if t.mb_per_s == 0.0 => rate(t.msgs_per_s),
        Figures::Throughput(t) => format!("{} ({:.1})", rate(t.msgs_per_s), t.mb_per_s),
    }
}

fn ratio(ratio: f64, (lo, hi): (f64, f64)) -> String {
    format!("{ratio:.3} [{lo:.2}–{hi:.2}]")
}

fn reference(row: &Row) -> String {
    row.reference
        .map_or_else(String::new, |r| match row.measurement {
            Measure::Latency => format!("{} µs ({})", micros(r.latency_us), r.name),
            Measure::Throughput => format!("{} msg/s ({})", rate(r.msgs_per_s), r.name),
        })
}

/// Microseconds with a precision that suits their size.
fn micros(us: f64) -> String {
    if us < 10.0 {
        format!("{us:.2}")
    } else if us < 1_000.0 {
        format!("{us:.1}")
    } else {
        format!("{us:.0}")
    }
}

/// A rate with a K or M suffix.
pub(crate) fn rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2}M", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.1}K", per_s / 1e3)
    } else {
        format!("{per_s:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_times_are_printed_compactly() {
        assert_eq!(rate(37_000.0), "37.0K");
        assert_eq!(rate(1_234_567.0), "1.23M");
        assert_eq!(rate(950.0), "950");
        assert_eq!(micros(9.876), "9.88");
        assert_eq!(micros(27.31), "27.3");
        assert_eq!(micros(1234.5), "1234");
    }
}
