//! `chart.svg`: two panels of grouped bars, API beside raw for every case and size. The top panel
//! is the median round trip with a whisker to p99.9 (capped at p99 and p99.9); the bottom one is
//! the median streaming rate with a whisker over the rounds' range. A red line marks the
//! reference table's figure. Both axes are logarithmic.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::markdown::rate;
use crate::error::{Context, Result};
use crate::measure::Measure;
use crate::plan;
use crate::results::{Figures, Report, Row};

const API_COLOR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const RAW_COLOR: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
const REFERENCE_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// One bar: its height, and a whisker from `low` to `high` with caps at `caps`.
struct Bar {
    value: f64,
    low: f64,
    high: f64,
    caps: Vec<f64>,
}

/// One group: a row's label, its API and raw bars, and the reference figure.
struct Group {
    label: String,
    api: Bar,
    raw: Bar,
    reference: Option<f64>,
}

fn bar(figures: &Figures) -> Bar {
    match figures {
        Figures::Latency(l) => Bar {
            value: l.median_us,
            low: l.median_us,
            high: l.p999_us,
            caps: vec![l.p99_us, l.p999_us],
        },
        Figures::Throughput(t) => Bar {
            value: t.msgs_per_s,
            low: t.min_msgs_per_s,
            high: t.max_msgs_per_s,
            caps: vec![t.min_msgs_per_s, t.max_msgs_per_s],
        },
    }
}

fn groups(report: &Report, measure: Measure) -> Vec<Group> {
    report
        .rows
        .iter()
        .filter(|row| row.measurement == measure)
        .map(|row: &Row| Group {
            label: format!("{} {}", row.case, plan::size_label(row.size_bytes)),
            api: bar(&row.api),
            raw: bar(&row.raw),
            reference: row.reference.map(|r| match measure {
                Measure::Latency => r.latency_us,
                Measure::Throughput => r.msgs_per_s,
            }),
        })
        .collect()
}

/// Draws the chart of `report` to `path`.
///
/// # Errors
/// When the file cannot be written.
pub(crate) fn draw(report: &Report, path: &Path) -> Result<()> {
    let what = || format!("draw {}", path.display());
    // About 150 px per group keeps labels like "pipe-nosignal 64KiB" apart.
    let groups_per_panel = groups(report, Measure::Latency).len() as u32;
    let width = (150 * groups_per_panel + 120).max(1100);
    let root = SVGBackend::new(path, (width, 1000)).into_drawing_area();
    root.fill(&WHITE).with_context(what)?;
    let quick = if report.quick { " — quick run" } else { "" };
    let title = format!(
        "ipc-bench: API vs raw libc, {} ({}){quick}",
        report.machine.cpu_model, report.machine.kernel
    );
    let root = root.titled(&title, ("sans-serif", 18)).with_context(what)?;
    let panels = root.split_evenly((2, 1));
    panel(
        &panels[0],
        &groups(report, Measure::Latency),
        "round-trip latency, µs (median; whisker to p99.9, caps at p99 and p99.9)",
        &|v| format!("{v:.0}"),
    )
    .with_context(what)?;
    panel(
        &panels[1],
        &groups(report, Measure::Throughput),
        "streaming throughput, messages/s (median round; whisker over the rounds)",
        &|v| rate(*v),
    )
    .with_context(what)?;
    root.present().with_context(what)
}

type DrawResult = std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    groups: &[Group],
    caption: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> DrawResult {
    if groups.is_empty() {
        area.draw(&Text::new(
            format!("{caption}: no rows selected"),
            (40, 40),
            ("sans-serif", 15),
        ))?;
        return Ok(());
    }
    let values = groups.iter().flat_map(|g| {
        [&g.api, &g.raw]
            .into_iter()
            .flat_map(|b| [b.value, b.low, b.high])
            .chain(g.reference)
    });
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    // Headroom above for the legend, below so the shortest bar still shows.
    let (lo, hi) = if lo.is_finite() {
        (lo / 2.0, hi * 6.0)
    } else {
        (1.0, 10.0)
    };
    let n = groups.len();

    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, (lo..hi).log_scale())?;
    let label = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            groups
                .get(i as usize)
                .map_or_else(String::new, |g| g.label.clone())
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&label)
        .y_label_formatter(y_format)
        .draw()?;

    for (side, color, offset) in [("API", API_COLOR, -0.2), ("raw libc", RAW_COLOR, 0.2)] {
        let bars = groups.iter().enumerate().map(|(i, g)| {
            let bar = if side == "API" { &g.api } else { &g.raw };
            (i as f64 + offset, bar)
        });
        chart
            .draw_series(bars.clone().map(|(x, bar)| {
                Rectangle::new([(x - 0.17, lo), (x + 0.17, bar.value)], color.filled())
            }))?
            .label(side)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        chart.draw_series(
            bars.clone()
                .map(|(x, bar)| PathElement::new(vec![(x, bar.low), (x, bar.high)], BLACK)),
        )?;
        chart.draw_series(bars.flat_map(|(x, bar)| {
            bar.caps
                .iter()
                .map(move |&y| PathElement::new(vec![(x - 0.06, y), (x + 0.06, y)], BLACK))
        }))?;
    }
    if groups.iter().any(|g| g.reference.is_some()) {
        chart
            .draw_series(groups.iter().enumerate().filter_map(|(i, g)| {
                let y = g.reference?;
                let x = i as f64;
                Some(PathElement::new(
                    vec![(x - 0.45, y), (x + 0.45, y)],
                    REFERENCE_COLOR.stroke_width(2),
                ))
            }))?
            .label("reference (doc 001, Part 3)")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 12, y)], REFERENCE_COLOR.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
}
