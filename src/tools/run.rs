//! `chatsim run` (a scenario's replications, every metric with its 95 % CI, the report)
//! and `chatsim validate` (the scenario checked, nothing run).

use super::flags::{OutputFlags, ScenarioFlags};
use super::progress::progress_bar;
use crate::pipeline;
use crate::report::{self, output::print_out};
use crate::scenario;
use anyhow::Context;
use clap::Args;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Options of `chatsim run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: ScenarioFlags,
    /// Number of replications (overrides `run.replications`).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    #[command(flatten)]
    pub output: OutputFlags,
    /// Print summary.json on stdout instead of the table: the same bytes `--out` writes
    /// to the file (with `--out` the files are written too, and nothing else is printed).
    #[arg(long)]
    pub json: bool,
}

/// Runs `chatsim run`: the summary table on stdout, and with `--out` the report files.
pub fn run(args: &RunArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let (input, output) = (&args.input, &args.output);
    let sc = pipeline::load(&input.scenario, input.seed, args.replications, vec![])?;
    if let Some(out) = &output.out {
        report::output::check_target(out, output.force)?;
    }
    let bar = progress_bar(sc.run.replications.into(), "replications");
    let summary = pipeline::simulate(&sc, input.threads, cancel, &|| bar.inc(1));
    // Cleared on an error too, so the message is not printed behind a half-drawn bar.
    bar.finish_and_clear();
    // A limit reached mid-run is about this scenario: name it.
    let summary = summary.with_context(|| input.scenario.display().to_string())?;
    // With --json, summary.json's bytes from its one writer (valid UTF-8, and inert on a
    // terminal: print_out leaves them as they are).
    let table = if args.json {
        String::from_utf8(report::summary_json(&summary)).expect("serde_json writes UTF-8")
    } else {
        report::terminal::terminal_table(&summary)
    };
    match &output.out {
        Some(out) => {
            // Written before the table is printed: a reader that stops early (`| head`)
            // cannot cost the results. The table is shown even when writing failed.
            let files = report::run_files(&summary, &sc).context("writing report.xlsx")?;
            let written = report::output::write_outputs(out, output.force, &files, cancel);
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

/// Runs `chatsim validate`: the scenario and every file it names, checked.
pub fn validate(path: &Path, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let sc = scenario::load(path)?;
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
