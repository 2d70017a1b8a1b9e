//! `chatsim run` (a scenario's replications, every metric with its 95 % CI, the report)
//! and `chatsim validate` (the scenario checked, nothing run).

use super::flags::{OutputFlags, PlanFlags, ScenarioFlags, SetFlags};
use super::progress::progress_bar;
use crate::metrics::spool::IntervalSpool;
use crate::metrics::RunSummary;
use crate::pipeline;
use crate::report::{self, output::print_out};
use crate::scenario;
use crate::scenario::Scenario;
use anyhow::Context;
use clap::Args;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Options of `chatsim run`.
#[derive(Args, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: ScenarioFlags,
    #[command(flatten)]
    pub set: SetFlags,
    /// Number of replications (overrides `run.replications`).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    #[command(flatten)]
    pub output: OutputFlags,
    /// Print summary.json on stdout instead of the table: the same bytes `--out` writes
    /// to the file (with `--out` the files are written too, and nothing else is printed).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub plan: PlanFlags,
    /// Also write one replication's chat log to FILE, in the log format `replay` and
    /// `fit` read (docs/replay.md): every chat's request, connection, messages, replies
    /// and end, with clock times. With --force an existing file is replaced.
    #[arg(long, value_name = "FILE")]
    pub event_log: Option<std::path::PathBuf>,
    /// Which replication --event-log writes (from 0).
    #[arg(long, value_name = "N", default_value_t = 0, requires = "event_log")]
    pub event_log_replication: u32,
}

/// Runs `chatsim run`: the summary table on stdout, and with `--out` the report files
/// (`--plan` is [`shard::plan_run`](super::shard::plan_run)'s). Each replication's figures
/// stream into the summary in replication order, as a merge pushes them from the shards'
/// parts.
pub fn run(args: &RunArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let (input, output) = (&args.input, &args.output);
    let sc = scenario_of(args)?;
    debug_assert!(args.plan.plan.is_none(), "--plan is shard::plan_run's");
    if let Some(out) = &output.out {
        report::output::check_target(out, output.force)?;
    }
    if let Some(file) = &args.event_log {
        super::event_log::check(args.event_log_replication, &sc, file, output.force)?;
    }
    let spool = match &output.out {
        Some(out) => spool_beside(&sc, out)?,
        None => None,
    };
    let bar = progress_bar(sc.run.replications.into(), "replications");
    let summary = pipeline::simulate_spooled(&sc, input.threads, cancel, &|| bar.inc(1), spool);
    // Cleared on an error too, so the message is not printed behind a half-drawn bar.
    bar.finish_and_clear();
    // A limit reached mid-run is about this scenario: name it.
    let summary = summary.with_context(|| input.scenario.display().to_string())?;
    if let Some(file) = &args.event_log {
        let log = super::event_log::write(
            &sc,
            &input.scenario,
            args.event_log_replication,
            file,
            output.force,
            cancel,
        )?;
        if !args.json {
            eprintln_quiet(&log);
        }
    }
    report(args, &sc, &summary, cancel)
}

/// Beyond the intervals a summary lists one by one, `intervals.csv` is written from each
/// replication's rows spooled to a scratch file beside the output `out` (in its nearest
/// existing ancestor: the same disk, and nothing created); `None` when the summary lists
/// every interval. The merge of a sharded run fills it from the parts.
pub fn spool_beside(sc: &Scenario, out: &Path) -> anyhow::Result<Option<Arc<IntervalSpool>>> {
    if crate::metrics::collector::summary_merge(sc) <= 1 {
        return Ok(None);
    }
    let dir = out
        .ancestors()
        .skip(1)
        .find(|d| d.is_dir())
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    IntervalSpool::new(sc, dir).map(Some).with_context(|| {
        format!(
            "cannot create the scratch file of the interval rows in {}",
            dir.display()
        )
    })
}

/// Prints and writes a finished run's summary: what `run` and the merge of a sharded run
/// do last.
pub fn report(
    args: &RunArgs,
    sc: &Scenario,
    summary: &RunSummary,
    cancel: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    let output = &args.output;
    // With --json, summary.json's bytes from its one writer (valid UTF-8, and inert on a
    // terminal: print_out leaves them as they are).
    let table = if args.json {
        String::from_utf8(report::summary_json(summary)).expect("serde_json writes UTF-8")
    } else {
        report::terminal::terminal_table(summary)
    };
    match &output.out {
        Some(out) => {
            // Written before the table is printed: a reader that stops early (`| head`)
            // cannot cost the results. The table is shown even when writing failed.
            let files = report::run_outputs(summary, sc);
            let written = report::output::write_output_bodies(out, output.force, &files, cancel);
            if !matches!(written, Err(report::OutputError::Interrupted)) {
                print_out(&table, cancel)?;
            }
            written.with_context(|| format!("writing the report to {}", out.display()))?;
            if !args.json {
                print_out(&format!("report written to {}\n", out.display()), cancel)?;
            }
        }
        None if args.json => print_out(&table, cancel)?,
        None => print_out(
            &format!("{table}(add --out DIR to write summary.json, CSVs, plots and report.html)\n"),
            cancel,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The scenario a `run` runs: the file, with `--seed`, `--replications` and `--set`
/// applied. A shard and a merge load it the same way.
pub fn scenario_of(args: &RunArgs) -> anyhow::Result<Scenario> {
    let input = &args.input;
    pipeline::load(
        &input.scenario,
        input.seed,
        args.replications,
        args.set.overrides()?,
    )
}

/// A note on stderr that never panics (a closed stderr is not worth a crash).
fn eprintln_quiet(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Runs `chatsim validate`: the scenario and every file it names, checked (with `--set`'s
/// fields set first).
pub fn validate(path: &Path, set: &SetFlags, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let sc = scenario::load_with_overrides(path, &set.overrides()?)?;
    print_out(
        &format!(
            "{}: ok ({} agents in {} groups, {} segments, {} replications)\n",
            path.display(),
            sc.agents.len(),
            sc.groups.len(),
            sc.segments.len(),
            sc.run.replications
        ),
        cancel,
    )?;
    Ok(ExitCode::SUCCESS)
}
