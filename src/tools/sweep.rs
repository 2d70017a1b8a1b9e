//! `chatsim sweep`: a grid over scenario fields, every point run with the same seed
//! (common random numbers: the same arrivals and customers at every point), the points in
//! parallel, the output in grid order and byte-identical for any thread count.
//!
//! Each `--set PATH=VALUES` is one axis: a dotted scenario field (as in
//! [`Override`]) and a list `a,b,c` whose items are literals or inclusive ranges
//! `start:end:step`. The grid is the product of the axes, the first axis varying slowest.

use super::check::{check_metric_name, metric_names};
use super::flags::{OutputFlags, PlanFlags, ScenarioFlags};
use super::progress::progress_bar;
use crate::metrics::{Metric, RepFigures, RunSummary, Summarizer};
use crate::pipeline;
use crate::plan::sweep::show;
pub use crate::plan::sweep::{Axis, SweepResult};
use crate::report::output::{check_target, print_out, write_outputs, OutputError};
use crate::report::sweep::{heatmap_svg, sweep_csv, sweep_table};
use crate::scenario::{parse_override_value, Override, Scenario};
use crate::sim::SimError;
use anyhow::Context;
use clap::Args;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Most grid points a sweep may ask for.
pub const MAX_POINTS: usize = 10_000;

/// Metrics compared when no `--metric` is given: what the method's two thresholds buy and
/// what they cost, on yardsticks that do not move with the thresholds themselves. A
/// shorter reply interval buys fewer late replies (overlooked messages are answered
/// sooner) and costs reminders per agent-hour; a shorter message interval buys capacity
/// (less silent capacity held, a better service level) and costs premature disconnects.
/// (The old default, reminders per session and premature disconnects, were both costs of
/// tightening, so the loosest corner of any grid always won.)
pub const DEFAULT_METRICS: &[Metric] = &[
    Metric::LateReplyRatio,
    Metric::PrematureDisconnects,
    Metric::ServiceLevel,
    Metric::RemindersPerAgentHour,
    Metric::SilentCapacityS,
];

/// Options of `chatsim sweep`.
#[derive(Args, Debug, Clone, serde::Serialize, serde::Deserialize)]
#[command(after_help = "Example:\n  chatsim sweep scenarios/default.toml \
    --set thresholds.reply_interval_s=30,60,90,120 \
    --set thresholds.message_interval_s=120:600:60 \
    --metric reminders_per_session --metric premature_disconnects --out out/sweep\n\n\
    Writes sweep.csv (one row per point: the set values, then name_mean,name_ci95 for every \
    metric but the wall-clock ones) and, for two axes, heatmap_<metric>.svg per chosen \
    metric; prints the Pareto-best points (each metric minimized, \"more is better\" ones \
    such as service_level maximized). See docs/tools.md.")]
pub struct SweepArgs {
    #[command(flatten)]
    pub input: ScenarioFlags,
    /// An axis PATH=VALUES: a dotted scenario field and values `a,b,c` or ranges
    /// `start:end:step` (inclusive); repeat for more axes.
    #[arg(long = "set", required = true, value_name = "PATH=VALUES")]
    pub set: Vec<String>,
    /// A metric to compare points on (Pareto front, heat maps); repeat for several.
    /// Default: late_reply_ratio, premature_disconnects, service_level,
    /// reminders_per_agent_hour and silent_capacity_s (what the thresholds buy and cost).
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Replications per point (overrides `run.replications`).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    /// Where sweep.csv and the heat maps go.
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub plan: PlanFlags,
}

/// Parses `PATH=VALUES`.
pub fn parse_axis(text: &str) -> anyhow::Result<Axis> {
    let fix = "write PATH=a,b,c or PATH=start:end:step, e.g. \
               thresholds.reply_interval_s=30,60,90 or thresholds.message_interval_s=120:600:60";
    let Some((path, list)) = text.split_once('=') else {
        anyhow::bail!("bad --set \"{text}\": no `=`; {fix}");
    };
    let path = path.trim();
    if path.is_empty() {
        anyhow::bail!("bad --set \"{text}\": no field path before `=`; {fix}");
    }
    let mut values = vec![];
    for item in split_top_level(list) {
        let item = item.trim();
        if item.is_empty() {
            anyhow::bail!("bad --set \"{text}\": an empty value; {fix}");
        }
        match parse_range(item).with_context(|| format!("bad --set \"{text}\"; {fix}"))? {
            Some(range) => values.extend(range),
            None => values.push(parse_override_value(item)),
        }
        if values.len() > MAX_POINTS {
            anyhow::bail!("--set {path} has more than {MAX_POINTS} values; use a coarser step");
        }
    }
    Ok(Axis {
        path: path.to_string(),
        values,
    })
}

/// Splits at commas outside brackets, braces and quotes, so that `[1, 2]` or
/// `{ dist = "constant", value_s = 5 }` stay one value.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = vec![];
    let (mut depth, mut quote, mut from) = (0i32, None::<char>, 0);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[from..]);
    out
}

/// `start:end:step` (inclusive of `end` when the steps land on it), as integers when all
/// three are; `None` when `item` is not a range (e.g. a clock time `08:30`).
fn parse_range(item: &str) -> anyhow::Result<Option<Vec<toml::Value>>> {
    let parts: Vec<&str> = item.split(':').map(str::trim).collect();
    if parts.len() != 3 {
        return Ok(None);
    }
    let nums: Option<Vec<f64>> = parts.iter().map(|p| p.parse::<f64>().ok()).collect();
    let Some(nums) = nums else {
        return Ok(None);
    };
    let (start, end, step) = (nums[0], nums[1], nums[2]);
    if !(start.is_finite() && end.is_finite() && step.is_finite()) {
        anyhow::bail!("range {item} is not finite");
    }
    if step == 0.0 || (end - start) * step < 0.0 {
        anyhow::bail!("range {item}: the step must be non-zero and lead from start to end");
    }
    // Counted before any conversion (integers exactly, in i128), and checked against the
    // limit: `1:1e300:1` must be refused by its count, not wrap around to an empty range.
    let ints: Option<Vec<i64>> = parts.iter().map(|p| p.parse::<i64>().ok()).collect();
    let steps = match &ints {
        Some(i) => ((i128::from(i[1]) - i128::from(i[0])) / i128::from(i[2])) as f64,
        None => ((end - start) / step + 1e-9).floor(),
    };
    if steps.is_nan() || steps >= MAX_POINTS as f64 {
        anyhow::bail!(
            "range {item} has {} values, more than {MAX_POINTS}; use a coarser step",
            crate::dist::fmt_value(steps + 1.0)
        );
    }
    let count = steps as usize + 1;
    Ok(Some(match ints {
        // Exact integer steps: within [start, end], so within i64.
        Some(i) => (0..count as i64)
            .map(|k| toml::Value::Integer(i[0] + k * i[2]))
            .collect(),
        None => (0..count)
            // Rounded to 12 significant digits, so 0.1 steps give 0.3, not 0.30000000000000004.
            .map(|k| toml::Value::Float(round_sig(start + k as f64 * step, 12)))
            .collect(),
    }))
}

fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Every grid point's values, first axis varying slowest.
pub fn grid(axes: &[Axis]) -> Vec<Vec<toml::Value>> {
    axes.iter().fold(vec![vec![]], |points, axis| {
        points
            .iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(v.clone());
                    q
                })
            })
            .collect()
    })
}

/// The indices of the points no other point dominates (at least as good on every
/// metric, better on one). `values[point][metric]`; `maximize[metric]`; NaN is worst.
pub fn pareto_front(values: &[Vec<f64>], maximize: &[bool]) -> Vec<usize> {
    let key = |p: usize, m: usize| {
        let v = values[p][m];
        match (v.is_nan(), maximize[m]) {
            (true, _) => f64::NEG_INFINITY,
            (false, true) => v,
            (false, false) => -v,
        }
    };
    let dominates = |a: usize, b: usize| {
        let all = (0..maximize.len()).all(|m| key(a, m) >= key(b, m));
        let one = (0..maximize.len()).any(|m| key(a, m) > key(b, m));
        all && one
    };
    (0..values.len())
        .filter(|&p| !(0..values.len()).any(|q| q != p && dominates(q, p)))
        .collect()
}

/// A sweep checked and ready to run: its axes, the metrics compared, the scenario
/// without any axis applied, and every grid point's values, each point's scenario loaded
/// and checked once. A point's scenario is loaded again when it runs
/// ([`SweepSetup::scenario`]) rather than kept: 10 000 points of up to 10 000 agents, or
/// of a scenario with a large arrival trace, would otherwise hold gigabytes at once.
pub struct SweepSetup {
    pub axes: Vec<Axis>,
    pub metrics: Vec<Metric>,
    pub base: Scenario,
    pub points: Vec<Vec<toml::Value>>,
    input: ScenarioFlags,
    replications: Option<u32>,
}

impl SweepSetup {
    /// Grid point `i`'s scenario, loaded and checked (the set-up checked every point, so
    /// this fails only if a file changed since).
    pub fn scenario(&self, i: usize) -> anyhow::Result<Scenario> {
        point_scenario(&self.input, self.replications, &self.axes, &self.points[i])
    }
}

/// The scenario of the grid point with `values` (one per axis).
fn point_scenario(
    input: &ScenarioFlags,
    replications: Option<u32>,
    axes: &[Axis],
    values: &[toml::Value],
) -> anyhow::Result<Scenario> {
    let overrides = axes
        .iter()
        .zip(values)
        .map(|(a, v)| Override {
            path: a.path.clone(),
            value: v.clone(),
        })
        .collect();
    pipeline::load(&input.scenario, input.seed, replications, overrides)
        .with_context(|| format!("at grid point {}", point_label(axes, values)))
}

/// Checks every input of a sweep (axes, metrics, the grid's size, every point loaded)
/// before anything runs, so that a bad value fails fast.
pub fn setup(args: &SweepArgs) -> anyhow::Result<SweepSetup> {
    let input = &args.input;
    let axes: Vec<Axis> = args
        .set
        .iter()
        .map(|s| parse_axis(s))
        .collect::<anyhow::Result<_>>()?;
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            anyhow::bail!("--set {} is given twice; give each field one axis", a.path);
        }
    }
    let base = pipeline::load(&input.scenario, input.seed, args.replications, vec![])?;
    let valid: Vec<String> = metric_names(&base)
        .into_iter()
        .filter(|m| !Metric::parse(m).is_some_and(Metric::is_wall_clock))
        .collect();
    let metrics: Vec<Metric> = if args.metrics.is_empty() {
        DEFAULT_METRICS.to_vec()
    } else {
        args.metrics
            .iter()
            .map(|m| {
                check_metric_name(m, &valid, "--metric")?;
                Ok(Metric::parse(m).expect("a valid name is a catalogued metric"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    if let Some(out) = &args.output.out {
        check_target(out, args.output.force)?;
    }
    // The size is checked before the grid is built: three axes of 10 000 values would
    // otherwise be a trillion points in memory.
    let size = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_POINTS);
    if size.is_none() {
        let counts: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        let total: f64 = axes.iter().map(|a| a.values.len() as f64).product();
        anyhow::bail!(
            "the grid has {} points ({}), more than {MAX_POINTS}; use fewer values or \
             coarser steps",
            crate::dist::fmt_value(total),
            counts.join(" × ")
        );
    }
    let points = grid(&axes);
    // Every point is loaded and checked before any is run (in parallel, each dropped once
    // checked); the first bad one in grid order is reported.
    pipeline::in_order(input.threads, &points, |p| {
        point_scenario(input, args.replications, &axes, p).map(drop)
    })
    .into_iter()
    .collect::<anyhow::Result<()>>()?;
    Ok(SweepSetup {
        axes,
        metrics,
        base,
        points,
        input: input.clone(),
        replications: args.replications,
    })
}

/// One grid point, the unit of a sweep: its replications in order on the calling thread,
/// each one's run-level figures and wall time (all a sweep reports of a point).
pub fn point_figures(
    sc: &Scenario,
    cancel: &AtomicBool,
) -> Result<Vec<(RepFigures, f64)>, SimError> {
    (0..sc.run.replications)
        .map(|rep| pipeline::replication_figures(sc, rep, false, cancel, None))
        .collect()
}

/// A point's summary from its replications' figures, in replication order: run-level
/// figures only (see [`Summarizer::run_level`]).
pub fn point_summary<'a>(
    sc: &Scenario,
    figures: impl IntoIterator<Item = &'a RepFigures>,
    wall_secs: f64,
) -> RunSummary {
    let mut s = Summarizer::run_level(sc);
    for f in figures {
        s.push_figures(f);
    }
    s.finish(sc.run.seed, wall_secs)
}

/// The finished sweep from every point's summary, in grid order: the Pareto front on the
/// compared metrics.
pub fn result(setup: SweepSetup, summaries: Vec<RunSummary>) -> SweepResult {
    let mut result = SweepResult {
        axes: setup.axes,
        points: setup.points,
        summaries,
        metrics: setup.metrics,
        pareto: vec![],
    };
    let maximize: Vec<bool> = result.metrics.iter().map(|m| m.more_is_better()).collect();
    result.pareto = pareto_front(&result.means(), &maximize);
    result
}

/// Runs every grid point of the set-up, in parallel on `threads` threads; `on_done` is
/// called as each point finishes (the progress bar).
pub fn sweep(
    setup: SweepSetup,
    threads: usize,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> anyhow::Result<SweepResult> {
    // Each point's replications run in order on its worker: byte-identical output. A
    // point started after SIGINT/SIGTERM stops at its first event (the replications poll
    // the flag), and the flag is looked at once more after the last.
    // Every point's result is kept, then the first error in grid order is reported: a
    // parallel collect into `Result` would report whichever failing point finished first,
    // so the message would depend on the thread count and timing.
    let indices: Vec<usize> = (0..setup.points.len()).collect();
    let results: Vec<anyhow::Result<RunSummary>> = pipeline::in_order(threads, &indices, |&i| {
        let started = std::time::Instant::now();
        let sc = setup.scenario(i)?;
        let summary = point_figures(&sc, cancel).map(|f| {
            point_summary(
                &sc,
                f.iter().map(|(f, _)| f),
                started.elapsed().as_secs_f64(),
            )
        });
        on_done();
        Ok(summary?)
    });
    let summaries = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    if cancel.load(Ordering::SeqCst) {
        return Err(SimError::Interrupted.into());
    }
    Ok(result(setup, summaries))
}

fn point_label(axes: &[Axis], p: &[toml::Value]) -> String {
    axes.iter()
        .zip(p)
        .map(|(a, v)| format!("{}={}", a.path, show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `chatsim sweep` (`--plan` is [`shard::plan_sweep`](super::shard::plan_sweep)'s).
pub fn run(args: &SweepArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let input = &args.input;
    let setup = setup(args)?;
    debug_assert!(args.plan.plan.is_none(), "--plan is shard::plan_sweep's");
    let bar = progress_bar(setup.points.len() as u64, "grid points");
    let seed = setup.base.run.seed;
    let result = sweep(setup, input.threads, cancel, &|| bar.inc(1));
    // Cleared on an error too, so the message is not printed behind a half-drawn bar.
    bar.finish_and_clear();
    let result = result.map_err(|e| {
        // A limit reached mid-run is about this scenario: name it, as `run` does.
        match e.downcast_ref::<SimError>() {
            Some(SimError::Interrupted) | None => e,
            Some(_) => e.context(input.scenario.display().to_string()),
        }
    })?;
    report(args, seed, &result, cancel)
}

/// Prints and writes a finished sweep: what `sweep` and the merge of a sharded sweep do
/// last.
pub fn report(
    args: &SweepArgs,
    seed: u64,
    result: &SweepResult,
    cancel: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    let output = &args.output;
    let table = sweep_table(result);
    match &output.out {
        Some(out) => {
            let mut files = vec![
                ("sweep.csv".to_string(), sweep_csv(result)?),
                ("seed.txt".to_string(), format!("{seed}\n").into_bytes()),
            ];
            if result.axes.len() == 2 {
                for &m in &result.metrics {
                    files.push((
                        format!("heatmap_{m}.svg"),
                        heatmap_svg(result, m).into_bytes(),
                    ));
                }
            }
            // Written before the table is printed (a reader that stops early cannot cost
            // the results); the table is shown even when writing failed.
            let written = write_outputs(out, output.force, &files, cancel);
            if !matches!(written, Err(OutputError::Interrupted)) {
                print_out(&table, cancel)?;
            }
            written.with_context(|| format!("writing the sweep to {}", out.display()))?;

            print_out(&format!("sweep written to {}\n", out.display()), cancel)?;
        }
        None => print_out(
            &format!("{table}(add --out DIR to write sweep.csv and, for two axes, heat maps)\n"),
            cancel,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(a: &Axis) -> Vec<i64> {
        a.values.iter().map(|v| v.as_integer().unwrap()).collect()
    }

    #[test]
    fn axes_take_lists_and_inclusive_ranges() {
        let a = parse_axis("thresholds.reply_interval_s=30,60,90,120").unwrap();
        assert_eq!(a.path, "thresholds.reply_interval_s");
        assert_eq!(ints(&a), vec![30, 60, 90, 120]);
        assert_eq!(
            ints(&parse_axis("x=120:600:60").unwrap()),
            vec![120, 180, 240, 300, 360, 420, 480, 540, 600]
        );
        assert_eq!(ints(&parse_axis("x=30:150:30").unwrap()).len(), 5);
        assert_eq!(ints(&parse_axis("x=10:1:-3").unwrap()), vec![10, 7, 4, 1]);
        assert_eq!(
            ints(&parse_axis("x=5,10:20:5").unwrap()),
            vec![5, 10, 15, 20]
        );
        let f = parse_axis("agents.behaviour.overlook_prob=0.1:0.3:0.1").unwrap();
        let fs: Vec<f64> = f.values.iter().map(|v| v.as_float().unwrap()).collect();
        assert_eq!(fs, vec![0.1, 0.2, 0.3]);
        let mixed = parse_axis("thresholds.reply_interval_s=off,60").unwrap();
        assert_eq!(mixed.values[0], toml::Value::String("off".into()));
        let table =
            parse_axis("customers.patience={ dist = \"constant\", value_s = 5 },[1, 2]").unwrap();
        assert_eq!(table.values.len(), 2);
        assert!(table.values[0].is_table() && table.values[1].is_array());
        // A clock time is a value, not a range.
        assert_eq!(
            parse_axis("x=08:30").unwrap().values,
            vec![toml::Value::String("08:30".into())]
        );
    }

    #[test]
    fn bad_axes_are_refused() {
        for bad in [
            "x",
            "=1,2",
            "x=1,,2",
            "x=1:5:0",
            "x=5:1:1",
            "x=0:1e9:1",
            "x=1:1e300:1",
        ] {
            assert!(parse_axis(bad).is_err(), "{bad}");
        }
        // Counted before any conversion: 10³⁰⁰ values is not 0 of them.
        let e = parse_axis("x=1:1e300:1").unwrap_err();
        assert!(format!("{e:#}").contains("has 1e300 values"), "{e:#}");
        // Integer steps near i64::MAX stop at the end, never overflow.
        let top = parse_axis("x=9223372036854775800:9223372036854775807:3").unwrap();
        assert_eq!(
            ints(&top),
            vec![
                9_223_372_036_854_775_800,
                9_223_372_036_854_775_803,
                9_223_372_036_854_775_806
            ]
        );
    }

    #[test]
    fn grid_is_row_major() {
        let a = parse_axis("a=1,2").unwrap();
        let b = parse_axis("b=10,20,30").unwrap();
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[1],
            vec![toml::Value::Integer(1), toml::Value::Integer(20)]
        );
        assert_eq!(
            g[3],
            vec![toml::Value::Integer(2), toml::Value::Integer(10)]
        );
    }

    #[test]
    fn pareto_front_minimizes_and_maximizes() {
        // (reminders ↓, service level ↑)
        let v = vec![
            vec![1.0, 0.8],
            vec![2.0, 0.9],
            vec![2.0, 0.8], // dominated by 0 and 1
            vec![0.5, 0.7],
            vec![f64::NAN, 0.95],
            vec![1.0, 0.8], // ties with 0: neither dominates
        ];
        assert_eq!(pareto_front(&v, &[false, true]), vec![0, 1, 3, 4, 5]);
        assert_eq!(pareto_front(&v, &[false, false]), vec![3]);
    }
}
