//! `chatsim compare`: a paired what-if. Two configurations A and B — two scenario files,
//! or one with fields set differently on each side — run the same replications with the
//! same seed, so replication i of A and of B share arrivals, customers and per-agent
//! streams (common random numbers). Each run-level metric's per-replication difference
//! B_i − A_i then carries the configurations' difference without most of the luck, and
//! its paired Student-t 95 % CI ([`crate::metrics::Paired`]) says whether B is better with
//! stated confidence, from few replications.
//!
//! Both sides must run the same replications under the same seed: a mismatch between the
//! files is refused unless `--seed` / `--replications` set them for both. Output is a pure
//! function of the inputs: the same bytes for any `--threads`.

use super::check::{check_metric_name, metric_names};
use super::flags::{parse_sets, seed_arg, threads_arg, OutputFlags};
use super::progress::progress_bar;
use crate::metrics::{Collector, Level, Metric, Paired};
use crate::pipeline;
use crate::plan::compare::{field_differences, Comparison, MetricComparison, Side};
use crate::report::compare::{compare_csv, compare_json, compare_table};
use crate::report::output::{check_target, print_out, write_outputs, OutputError};
use crate::scenario::{self, Override, Scenario};
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Options of `chatsim compare`.
#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    chatsim compare scenarios/default.toml --set-a agents.max_sessions_all=2 \
    --set-b agents.max_sessions_all=3\n  \
    chatsim compare before.toml after.toml --metric service_level --json\n\n\
    Both sides run replication i with the same seed (common random numbers). For every \
    run-level metric: A's and B's means, B - A with its paired 95% CI (Student t over the \
    replications where both are defined), the relative change, and * when the CI \
    excludes 0. --out writes compare.csv, compare.json (the bytes --json prints) and both \
    resolved scenarios. Exit status: 0 done, 2 bad input. See docs/tools.md.")]
pub struct CompareArgs {
    /// Scenario A, the baseline.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Scenario B (default: A itself, with --set-b's fields).
    #[arg(value_name = "B")]
    pub b: Option<PathBuf>,
    /// Set a field on both sides, PATH=VALUE (dotted paths as in docs/scenario.md);
    /// repeat for several.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Set a field on side A only (applied after --set); repeat for several.
    #[arg(long = "set-a", value_name = "PATH=VALUE")]
    pub set_a: Vec<String>,
    /// Set a field on side B only (applied after --set); repeat for several.
    #[arg(long = "set-b", value_name = "PATH=VALUE")]
    pub set_b: Vec<String>,
    /// Show only this metric in the table (repeat for several; the files and --json
    /// always hold every metric).
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Base seed of both sides (overrides `run.seed`); replication i of A and of B is
    /// seeded from (seed, i).
    #[arg(long, allow_negative_numbers = true, value_parser = seed_arg)]
    pub seed: Option<u64>,
    /// Replications of both sides (overrides `run.replications`; at least 2 for a CI).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    /// Worker threads (0 = one per core). The output does not depend on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = threads_arg)]
    pub threads: usize,
    /// Print compare.json on stdout instead of the table (with --out the files are
    /// written too).
    #[arg(long)]
    pub json: bool,
    /// Where compare.csv, compare.json and the two resolved scenarios go.
    #[command(flatten)]
    pub output: OutputFlags,
}

/// One side, loaded and checked.
struct Loaded {
    side: Side,
    scenario: Scenario,
}

/// The metrics compare reports: every run-level metric but the wall-clock ones, which
/// differ between any two runs by nature.
pub fn compared_metrics() -> Vec<Metric> {
    Level::Run
        .metrics()
        .iter()
        .copied()
        .filter(|m| !m.is_wall_clock())
        .collect()
}

/// Loads both sides: `--set` then the side's own fields on top of each file, then
/// `--seed` and `--replications`.
fn load_sides(args: &CompareArgs) -> anyhow::Result<(Loaded, Loaded)> {
    let shared = parse_sets(&args.set, "--set")?;
    let own_a = parse_sets(&args.set_a, "--set-a")?;
    let own_b = parse_sets(&args.set_b, "--set-b")?;
    if args.b.is_none() && own_a.is_empty() && own_b.is_empty() {
        anyhow::bail!(
            "nothing to compare: A and B would be the same scenario; give a second scenario \
             (chatsim compare A.toml B.toml) or a field to change on one side (e.g. --set-b \
             agents.max_sessions_all=3)"
        );
    }
    let b_path = args.b.clone().unwrap_or_else(|| args.a.clone());
    let load = |name: &str, path: &Path, own: &[Override], texts: &[String]| {
        let overrides: Vec<Override> = shared.iter().chain(own).cloned().collect();
        let side = Side {
            scenario: path.display().to_string(),
            set: args
                .set
                .iter()
                .chain(texts)
                .map(|s| s.trim().to_string())
                .collect(),
        };
        let scenario = pipeline::load(path, args.seed, args.replications, overrides)
            .with_context(|| format!("scenario {name} ({})", side.label()))?;
        anyhow::Ok(Loaded { side, scenario })
    };
    let a = load("A", &args.a, &own_a, &args.set_a)?;
    let b = load("B", &b_path, &own_b, &args.set_b)?;
    let (ra, rb) = (&a.scenario.run, &b.scenario.run);
    if ra.seed != rb.seed {
        anyhow::bail!(
            "A runs with run.seed {} and B with {}: common random numbers need one seed for \
             both; give --seed N (or the same run.seed on both sides)",
            ra.seed,
            rb.seed
        );
    }
    if ra.replications != rb.replications {
        anyhow::bail!(
            "A runs {} replications and B {}: the differences pair replication i of each; \
             give --replications N (or the same run.replications on both sides)",
            ra.replications,
            rb.replications
        );
    }
    Ok((a, b))
}

/// Every replication's figures of `sc`, one column per metric of [`compared_metrics`]
/// (in that order; in replication order down each column, NaN where undefined), on
/// `threads` workers; `on_done` as each replication finishes. About 50 numbers per
/// replication are kept, as `run` keeps.
fn replications(
    sc: &Scenario,
    threads: usize,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<f64>>, crate::sim::SimError> {
    let metrics = compared_metrics();
    let reps = sc.run.replications as usize;
    let mut columns = vec![Vec::with_capacity(reps); metrics.len()];
    pipeline::run_replications_streamed(
        sc,
        sc.run.seed,
        threads,
        |_| Collector::new(sc),
        cancel,
        on_done,
        |o| {
            let all = o.observer.finish().scalars();
            for (m, column) in metrics.iter().zip(&mut columns) {
                let value = all.iter().find(|(k, _)| k == m).map(|(_, v)| *v);
                column.push(value.unwrap_or(f64::NAN));
            }
        },
    )?;
    Ok(columns)
}

/// The paired comparison of every metric of [`compared_metrics`] from both sides'
/// columns of figures (one per metric, in replication order: replication i of `a` with replication i of
/// `b`). Each pair of columns is freed once compared.
pub fn pair_metrics(a: Vec<Vec<f64>>, b: Vec<Vec<f64>>) -> Vec<MetricComparison> {
    compared_metrics()
        .into_iter()
        .zip(a.into_iter().zip(b))
        .map(|(metric, (a, b))| MetricComparison {
            metric,
            paired: Paired::from_pairs(&a, &b),
        })
        .collect()
}

/// Runs both sides and compares them; `on_done` as each replication finishes.
fn run_sides(
    args: &CompareArgs,
    a: Loaded,
    b: Loaded,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> anyhow::Result<(Comparison, [String; 2])> {
    let run = |l: &Loaded, name: &str| {
        replications(&l.scenario, args.threads, cancel, on_done).map_err(|e| {
            // A limit reached mid-run is about that side's scenario: name it.
            match e {
                crate::sim::SimError::Interrupted => anyhow::Error::from(e),
                _ => {
                    anyhow::Error::from(e).context(format!("scenario {name} ({})", l.side.label()))
                }
            }
        })
    };
    let reps_a = run(&a, "A")?;
    let reps_b = run(&b, "B")?;
    let resolved = [
        scenario::to_resolved_toml(&a.scenario),
        scenario::to_resolved_toml(&b.scenario),
    ];
    let table = |text: &str| -> toml::Table {
        text.parse()
            .expect("a resolved scenario is TOML (it loads back: resolved_toml_round_trips)")
    };
    let metrics = pair_metrics(reps_a, reps_b);
    let comparison = Comparison {
        seed: a.scenario.run.seed,
        replications: a.scenario.run.replications,
        fields: field_differences(&table(&resolved[0]), &table(&resolved[1])),
        metrics,
        a: a.side,
        b: b.side,
    };
    Ok((comparison, resolved))
}

/// Runs `chatsim compare`.
pub fn run(args: &CompareArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let (a, b) = load_sides(args)?;
    let valid: Vec<String> = metric_names(&a.scenario)
        .into_iter()
        .filter(|m| !Metric::parse(m).is_some_and(Metric::is_wall_clock))
        .collect();
    let shown: Vec<Metric> = args
        .metrics
        .iter()
        .map(|m| {
            check_metric_name(m, &valid, "--metric")?;
            Ok(Metric::parse(m).expect("a valid name is a catalogued metric"))
        })
        .collect::<anyhow::Result<_>>()?;
    let output = &args.output;
    if let Some(out) = &output.out {
        check_target(out, output.force)?;
    }
    let total = 2 * u64::from(a.scenario.run.replications);
    let bar = progress_bar(total, "replications (A, then B)");
    let result = run_sides(args, a, b, cancel, &|| bar.inc(1));
    // Cleared on an error too, so the message is not printed behind a half-drawn bar.
    bar.finish_and_clear();
    let (comparison, resolved) = result?;
    // The JSON is built only when it is printed or written: with many replications it is
    // the largest thing compare holds (every difference of every replication).
    let json = (args.json || output.out.is_some()).then(|| compare_json(&comparison));
    let text = match &json {
        Some(bytes) if args.json => {
            String::from_utf8(bytes.clone()).expect("serde_json writes UTF-8")
        }
        _ => compare_table(&comparison, &shown),
    };
    match &output.out {
        Some(out) => {
            let [ra, rb] = resolved;
            let files = vec![
                ("compare.csv".to_string(), compare_csv(&comparison)?),
                ("compare.json".to_string(), json.expect("built for --out")),
                ("scenario_a.resolved.toml".to_string(), ra.into_bytes()),
                ("scenario_b.resolved.toml".to_string(), rb.into_bytes()),
                (
                    "seed.txt".to_string(),
                    format!("{}\n", comparison.seed).into_bytes(),
                ),
            ];
            // Written before the table is printed (a reader that stops early cannot cost
            // the results); the table is shown even when writing failed.
            let written = write_outputs(out, output.force, &files, cancel);
            if !matches!(written, Err(OutputError::Interrupted)) {
                print_out(&text, cancel)?;
            }
            written.with_context(|| format!("writing the comparison to {}", out.display()))?;
            if !args.json {
                print_out(
                    &format!("comparison written to {}\n", out.display()),
                    cancel,
                )?;
            }
        }
        None if args.json => print_out(&text, cancel)?,
        None => print_out(
            &format!(
                "{text}(add --out DIR to write compare.csv, compare.json and both resolved \
                 scenarios)\n"
            ),
            cancel,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
