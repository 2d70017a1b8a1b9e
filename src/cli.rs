//! The command line: options → inputs → run → export, each a named step (hyperfine's
//! shape). `main` only prints the error and picks the exit code.

use crate::metrics::{summarize, Collector, RunSummary};
use crate::report;
use crate::scenario::{self, Override, Scenario};
use crate::sim::{self, SimError};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT/SIGTERM; long runs poll it and stop without writing anything.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// chatsim: simulate a live-chat customer-service desk run by the idle-reminder and
/// silence-disconnect dispatch method, and answer staffing and threshold questions.
#[derive(Parser, Debug)]
#[command(name = "chatsim", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario's replications and report every metric with its 95% CI.
    ///
    /// Example: chatsim run scenarios/default.toml --out out/default
    Run(RunArgs),
    /// Check a scenario file (and every CSV it names) without running it.
    ///
    /// Example: chatsim validate scenarios/default.toml
    Validate {
        /// The scenario TOML file.
        scenario: PathBuf,
    },
    /// Load-benchmark the dispatch engine alone: routing decisions/s and engine events/s
    /// per rule and roster size, on a synthetic steady-state workload.
    ///
    /// Example: chatsim bench --agents 1000,10000 --rule least_loaded --json
    Bench(crate::bench::BenchArgs),
    /// Staff each interval: the fewest agents meeting every target at the conservative end
    /// of the 95% CI, next to Erlang C.
    ///
    /// Example: chatsim staff scenarios/default.toml --target service_level=0.80 --out out/staffing
    Staff(crate::tools::staff::StaffArgs),
    /// Sweep a grid of scenario fields with common random numbers; Pareto-best points.
    ///
    /// Example: chatsim sweep scenarios/default.toml --set thresholds.reply_interval_s=30,60,90
    Sweep(crate::tools::sweep::SweepArgs),
    /// Check expectations on a run for CI: exit 0 pass, 1 fail, 2 bad input.
    ///
    /// Example: chatsim check scenarios/default.toml --expect 'service_level>=0.8'
    Check(crate::tools::check::CheckArgs),
    /// Replay a real day's chat log through the engine: the reminders and disconnects the
    /// method would have made, and how many disconnected customers in fact wrote again.
    ///
    /// Example: chatsim replay scenarios/example-log.csv --reply-interval-s 60 --message-interval-s 300
    Replay(crate::tools::replay::ReplayArgs),
}

/// Options of `chatsim run`.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The scenario TOML file.
    pub scenario: PathBuf,
    /// Base seed (overrides `run.seed`); replication i is seeded from (seed, i).
    // Negative numbers are read as values, so `--seed -1` says what is wrong with -1
    // instead of taking it for an unknown flag.
    #[arg(long, allow_negative_numbers = true, value_parser = seed_arg)]
    pub seed: Option<u64>,
    /// Number of replications (overrides `run.replications`).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    /// Write the report (summary.json, CSVs, plots, report.html) into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (0 = one per core; at most one per replication, and at most 1024,
    /// are started). The output does not depend on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = threads_arg)]
    pub threads: usize,
}

/// Parses `--seed`: any integer from 0 to 2⁶⁴ − 1, with a message that gives the range.
pub fn seed_arg(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let range = format!("give an integer from 0 to {}", u64::MAX);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match t.parse::<u64>() {
        Ok(n) => Ok(n),
        Err(_) if t.strip_prefix('-').is_some_and(digits) => {
            Err(format!("a seed is never negative; {range}"))
        }
        Err(_) if digits(t) => Err(format!("too large for a seed; {range}")),
        Err(_) => Err(format!("not an integer; {range}")),
    }
}

/// Parses `--threads`: 0 (one per core) or a count, cut to [`sim::MAX_THREADS`] with a
/// note on stderr (the output does not depend on the thread count, so a larger value is
/// not an error, but it is not silently taken either).
pub fn threads_arg(text: &str) -> Result<usize, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let n = t.parse::<usize>().unwrap_or(usize::MAX);
        if n > sim::MAX_THREADS {
            eprintln!(
                "note: --threads {t} is more than the maximum of {max}; using at most {max} \
                 worker threads (the results do not depend on it)",
                max = sim::MAX_THREADS
            );
            return Ok(sim::MAX_THREADS);
        }
        return Ok(n);
    }
    Err(format!(
        "not a thread count; give 0 (one per core) or a number from 1 to {}",
        sim::MAX_THREADS
    ))
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run_cmd(&args),
        Command::Staff(args) => crate::tools::staff::run(&args),
        Command::Sweep(args) => crate::tools::sweep::run(&args),
        Command::Check(args) => crate::tools::check::run(&args),
        Command::Bench(args) => crate::bench::run_cmd(&args),
        Command::Replay(args) => {
            let report = crate::tools::replay::replay(&args)?;
            if args.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { scenario } => {
            let sc = scenario::load(&scenario)?;
            println!(
                "{}: ok ({} agents in {} groups, {} segments, {} replications)",
                scenario.display(),
                sc.agents.len(),
                sc.groups.len(),
                sc.segments.len(),
                sc.run.replications
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Loads a scenario with the command line's seed and replication overrides applied
/// before checking, so the resolved scenario written out carries them.
pub fn load_scenario(
    path: &Path,
    seed: Option<u64>,
    replications: Option<u32>,
    mut overrides: Vec<Override>,
) -> anyhow::Result<Scenario> {
    if let Some(seed) = seed {
        overrides.push(Override {
            path: "run.seed".into(),
            // A TOML integer holds at most 2⁶³ − 1; larger seeds go as the decimal string
            // the loader also accepts in a file.
            value: match i64::try_from(seed) {
                Ok(i) => toml::Value::Integer(i),
                Err(_) => toml::Value::String(seed.to_string()),
            },
        });
    }
    if let Some(r) = replications {
        overrides.push(Override {
            path: "run.replications".into(),
            value: toml::Value::Integer(r as i64),
        });
    }
    Ok(scenario::load_with_overrides(path, &overrides)?)
}

/// Runs every replication of `sc` with the full metrics and summarises them.
pub fn simulate(sc: &Scenario, threads: usize, progress: bool) -> Result<RunSummary, SimError> {
    let bar = if progress {
        let bar = indicatif::ProgressBar::new(sc.run.replications as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} replications",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let outcomes = sim::run_replications(
        sc,
        sc.run.seed,
        threads,
        |_| Collector::new(sc),
        &INTERRUPTED,
        &|| bar.inc(1),
    )?;
    bar.finish_and_clear();
    let reps: Vec<_> = outcomes
        .into_iter()
        .map(|o| {
            let mut m = o.observer.finish();
            m.set_wall_secs(o.wall_secs);
            m
        })
        .collect();
    Ok(summarize(
        sc,
        sc.run.seed,
        &reps,
        started.elapsed().as_secs_f64(),
    ))
}

fn run_cmd(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let sc = load_scenario(&args.scenario, args.seed, args.replications, vec![])?;
    if let Some(out) = &args.out {
        report::output::check_target(out, args.force)?;
    }
    // A limit reached mid-run is about this scenario: name it.
    let summary =
        simulate(&sc, args.threads, true).with_context(|| args.scenario.display().to_string())?;
    print!("{}", report::terminal::terminal_table(&summary));
    match &args.out {
        Some(out) => {
            let files = report::run_files(&summary, &scenario::to_resolved_toml(&sc));
            report::output::write_outputs(out, args.force, &files)
                .with_context(|| format!("writing the report to {}", out.display()))?;
            println!("report written to {}", out.display());
        }
        None => println!("(add --out DIR to write summary.json, CSVs, plots and report.html)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Installs the SIGINT/SIGTERM handler that sets [`INTERRUPTED`].
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// The exit code for an error: 130 for an interrupted run, 2 for everything else (bad
/// input, unwritable output, a limit reached), so scripts can tell "fix your input" from
/// "the check failed" (1).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    match err.downcast_ref::<SimError>() {
        Some(SimError::Interrupted) => 130,
        _ => 2,
    }
}
