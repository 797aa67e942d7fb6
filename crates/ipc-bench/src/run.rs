//! The parent's side of a run: for each case, start the peer (or, for a single-process case, open
//! its objects), measure every selected row with the API and raw rounds interleaved, reap the
//! peer; then write the reports.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crate::cases::{AnyLink, AnySoloLink, CASES, Case, Entry, Kind, Prepared, Solo};
use crate::cli::RunArgs;
use crate::control::{Command, Reply};
use crate::error::{Context, Error, Result};
use crate::machine;
use crate::measure::{Buffers, Imp, Job, Measure};
use crate::pin::{self, Placement};
use crate::plan::{self, CONNECT_LIMIT, MAX_SIZE, Plan, ROUND_LIMIT};
use crate::process::PeerProcess;
use crate::progress::Progress;
use crate::report;
use crate::results::{Report, Row, RowHead, SCHEMA_VERSION};

/// Round trips (latency) or messages (throughput) in the first, calibrating round.
const PILOT: [u64; 2] = [64, 256];
/// Operations in the first, calibrating round of a single-process case.
const SOLO_PILOT: u64 = 8;

/// Runs the bench; the exit code is a failure when any case failed.
pub(crate) fn main(args: &RunArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("ipc-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One case and the rows selected in it.
struct Selected {
    entry: Entry,
    rows: Vec<(Measure, usize)>,
}

fn select(filter: Option<&str>) -> Vec<Selected> {
    CASES
        .iter()
        .map(|&entry| Selected {
            entry,
            rows: entry
                .sizes()
                .iter()
                .flat_map(|&size| entry.measures().iter().map(move |&m| (m, size)))
                .filter(|&(m, size)| {
                    filter.is_none_or(|f| plan::row_id(entry.id(), m, size).contains(f))
                })
                .collect(),
        })
        .filter(|selected| !selected.rows.is_empty())
        .collect()
}

/// Returns whether every case succeeded.
fn run(args: &RunArgs) -> Result<bool> {
    let plan = if args.quick { Plan::QUICK } else { Plan::FULL };
    let selection = select(args.filter.as_deref());
    if selection.is_empty() {
        return Err(Error::msg(format!(
            "--filter {:?} matches no row (row ids look like pipe/latency/64B)",
            args.filter.as_deref().unwrap_or_default()
        )));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("create the output directory {}", args.out.display()))?;
    let timestamp = machine::utc_timestamp();
    let machine = machine::describe();
    let placement = match pin_parent() {
        Ok(placement) => placement,
        Err(err) => {
            eprintln!("ipc-bench: {err}; running unpinned");
            None
        }
    };

    let load_before = machine::load_average();
    let total = selection
        .iter()
        .map(|s| {
            let imps = Imp::all(s.entry.alternatives().len()).len() as u64;
            s.rows.len() as u64 * (1 + imps * plan.rounds as u64)
        })
        .sum();
    let progress = Progress::new(total);
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for selected in &selection {
        let (done, failure) = match selected.entry {
            Entry::Pair(case) => run_case(case, &selected.rows, &plan, placement, &progress),
            Entry::Solo(case) => run_solo(case, &selected.rows, &plan, &progress),
        };
        rows.extend(done);
        if let Some(err) = failure {
            progress.note(&err.to_string());
            failures.push(err.to_string());
        }
    }
    progress.finish();
    let load_after = machine::load_average();

    let report = Report {
        schema_version: SCHEMA_VERSION,
        timestamp,
        quick: args.quick,
        filter: args.filter.clone(),
        machine,
        load_before,
        load_after,
        placement,
        plan,
        rows,
        failures,
    };
    print!("{}", report::markdown::render(&report));
    write_files(&report, &args.out)?;
    Ok(report.failures.is_empty())
}

/// Chooses the two CPUs and pins this thread (and so the watchdogs it starts) to the first.
fn pin_parent() -> Result<Option<Placement>> {
    let placement = pin::choose()?;
    if let Some(placement) = placement {
        pin::pin_current_thread(placement.parent_cpu)?;
    }
    Ok(placement)
}

fn write_files(report: &Report, out: &Path) -> Result<()> {
    let json = out.join("results.json");
    report::json::write(report, &json)?;
    let chart = out.join("chart.svg");
    report::chart::draw(report, &chart)?;
    eprintln!(
        "ipc-bench: wrote {} and {}",
        json.display(),
        chart.display()
    );
    Ok(())
}

/// Measures one case's rows with one peer; returns the rows done and the failure, if any.
fn run_case(
    case: &'static dyn Case,
    selected: &[(Measure, usize)],
    plan: &Plan,
    placement: Option<Placement>,
    progress: &Progress,
) -> (Vec<Row>, Option<Error>) {
    let Prepared {
        give,
        args,
        connect,
        unstick,
    } = match case.prepare() {
        Ok(prepared) => prepared,
        Err(err) => return (Vec::new(), Some(err.within(format!("case {}", case.id())))),
    };
    let peer_cpu = placement.map(|p| p.peer_cpu);
    let mut peer = match PeerProcess::spawn(case, give, &args, peer_cpu, unstick) {
        Ok(peer) => peer,
        Err(err) => return (Vec::new(), Some(err)),
    };
    peer.watchdog().arm(CONNECT_LIMIT);
    let mut link = match connect() {
        Ok(_) if peer.watchdog().fired() => {
            let err = Error::msg(format!("the peer did not connect within {CONNECT_LIMIT:?}"));
            return (Vec::new(), Some(peer.fail(err)));
        }
        Ok(link) => link,
        Err(err) => return (Vec::new(), Some(peer.fail(err.within("connect")))),
    };
    let mut bufs = Buffers::new(MAX_SIZE);
    let mut rows = Vec::new();
    for &(measure, size) in selected {
        let head = row_head(Entry::Pair(case), measure, size, plan);
        progress.stage(&plan::row_id(case.id(), measure, size));
        let mut rig = Rig {
            peer: &mut peer,
            link: &mut *link,
            bufs: &mut bufs,
        };
        match measure_row(head, plan, progress, |job, samples| rig.round(job, samples)) {
            Ok(row) => rows.push(row),
            Err(err) => {
                let err = err.within(plan::row_id(case.id(), measure, size));
                drop(link);
                return (rows, Some(peer.fail(err)));
            }
        }
    }
    drop(link);
    let failure = peer.finish().err();
    (rows, failure)
}

/// Measures one case's rows in this process alone; returns the rows done and the failure, if any.
fn run_solo(
    case: &'static dyn Solo,
    selected: &[(Measure, usize)],
    plan: &Plan,
    progress: &Progress,
) -> (Vec<Row>, Option<Error>) {
    let within = |err: Error| err.within(format!("case {}", case.id()));
    let mut link = match case.open() {
        Ok(link) => link,
        Err(err) => return (Vec::new(), Some(within(err))),
    };
    let mut bufs = Buffers::new(MAX_SIZE);
    let mut rows = Vec::new();
    for &(measure, size) in selected {
        let row_id = plan::row_id(case.id(), measure, size);
        let head = row_head(Entry::Solo(case), measure, size, plan);
        progress.stage(&row_id);
        let round =
            |job: &Job, samples: &mut Vec<u64>| solo_round(&mut *link, &mut bufs, job, samples);
        match measure_row(head, plan, progress, round) {
            Ok(row) => rows.push(row),
            Err(err) => return (rows, Some(within(err.within(row_id)))),
        }
    }
    (rows, None)
}

/// Runs one round of a single-process case.
fn solo_round(
    link: &mut dyn AnySoloLink,
    bufs: &mut Buffers,
    job: &Job,
    samples: &mut Vec<u64>,
) -> Result<Duration> {
    link.run(job, bufs, samples)
        .with_context(|| format!("{} round of {}", job.imp, job.count))
}

fn row_head(entry: Entry, measure: Measure, size: usize, plan: &Plan) -> RowHead {
    RowHead {
        case: entry.id(),
        kind: entry.kind(),
        setup: entry.describe(),
        measure,
        size,
        rounds: plan.rounds,
        reference: entry.reference(),
        alternatives: entry.alternatives(),
    }
}

/// Calibrates, warms up and measures one row, running each round with `round`.
fn measure_row(
    head: RowHead,
    plan: &Plan,
    progress: &Progress,
    mut round: impl FnMut(&Job, &mut Vec<u64>) -> Result<Duration>,
) -> Result<Row> {
    let RowHead {
        kind,
        measure,
        size,
        ..
    } = head;
    let job = |imp, count| Job {
        measure,
        imp,
        size,
        count,
    };
    let mut scratch = Vec::new();

    // Every implementation: API, raw, then the case's alternatives.
    let imps = Imp::all(head.alternatives.len());

    // Calibrate on a short pilot, then warm every implementation up for `plan.warmup` each,
    // and size the rounds from the warm-up's pace.
    let pilot = match kind {
        Kind::Pair => PILOT[usize::from(measure == Measure::Throughput)],
        Kind::Solo => SOLO_PILOT,
    };
    let mut per_op = Duration::ZERO;
    for &imp in imps.iter().rev() {
        per_op = per_op.max(round(&job(imp, pilot), &mut scratch)? / pilot as u32);
    }
    let warm = plan
        .count_for(kind, measure, plan.warmup, per_op)
        .min(plan.max_count);
    let mut warm_total = Duration::ZERO;
    for &imp in imps.iter().rev() {
        scratch.clear();
        warm_total += round(&job(imp, warm), &mut scratch)?;
    }
    let per_op = warm_total / imps.len() as u32 / u32::try_from(warm).unwrap_or(u32::MAX);
    let count = plan.count_for(kind, measure, plan.round_target(kind, measure), per_op);
    progress.step();

    // Round r starts with implementation r (mod n) and goes on in order: A B, B A, … for two,
    // A B C, B C A, C A B, … for three; each implementation leads equally often.
    let mut samples: Vec<Vec<Vec<u64>>> = vec![Vec::with_capacity(plan.rounds); imps.len()];
    let mut secs: Vec<Vec<f64>> = vec![Vec::with_capacity(plan.rounds); imps.len()];
    for r in 0..plan.rounds {
        for i in (0..imps.len()).map(|k| (r + k) % imps.len()) {
            let mut round_samples = Vec::new();
            let elapsed = round(&job(imps[i], count), &mut round_samples)?;
            samples[i].push(round_samples);
            secs[i].push(elapsed.as_secs_f64());
            progress.step();
        }
    }
    let mut row = match measure {
        Measure::Latency => Row::latency(head, count, &samples[0], &samples[1]),
        Measure::Throughput => Row::throughput(head, count, &secs[0], &secs[1]),
    };
    for (i, &name) in head.alternatives.iter().enumerate() {
        row.add_alternative(name, &samples[i + 2], &secs[i + 2]);
    }
    Ok(row)
}

/// The parent's means of measuring: the peer, the link to it, the buffers.
struct Rig<'a> {
    peer: &'a mut PeerProcess,
    link: &'a mut dyn AnyLink,
    bufs: &'a mut Buffers,
}

impl Rig<'_> {
    /// Runs one round of `job` with the peer, under the watchdog.
    fn round(&mut self, job: &Job, samples: &mut Vec<u64>) -> Result<Duration> {
        let what = || format!("{} round of {}", job.imp, job.count);
        self.peer.watchdog().arm(ROUND_LIMIT);
        self.peer
            .send(&Command::Job(*job))
            .map_err(|e| e.within(what()))?;
        self.peer
            .expect(&Reply::Ready)
            .map_err(|e| e.within(what()))?;
        let elapsed = self.link.lead(job, self.bufs, samples).with_context(what)?;
        self.peer
            .expect(&Reply::Done)
            .map_err(|e| e.within(what()))?;
        Ok(elapsed)
    }
}
