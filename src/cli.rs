//! The command line: options → inputs → run → export, each a named step (hyperfine's
//! shape). [`main`] is the process around it: it picks the exit code, and makes sure that
//! whatever happens the process ends with a message and a documented status, never a
//! panic's backtrace or an abort.
//!
//! Exit codes: 0 success; 1 a `check` expectation (or a `staff` interval) not met; 2 bad
//! input, an unwritable output, a limit reached; 70 an internal error (a bug: one line on
//! stderr); 130 interrupted by SIGINT/SIGTERM (nothing written). A closed stdout (`chatsim
//! … | head -1`) ends the process quietly by SIGPIPE, as it does `cat` or `grep`: the shell
//! reports 128 + 13 = 141.

use crate::report;
use crate::report::output::{committed, output_lock, print_out, protect_input};
use crate::scenario;
use crate::sim::SimError;
use crate::tools::{self, run::RunArgs};
use clap::{CommandFactory, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by SIGINT/SIGTERM ([`install_interrupt_handler`]) and passed to every command as
/// its cancel flag: long runs poll it and stop without writing anything.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit code of an internal error (a panic caught by [`main`]): sysexits' EX_SOFTWARE.
pub const EXIT_INTERNAL: u8 = 70;
/// Exit code of an interrupted command.
pub const EXIT_INTERRUPTED: u8 = 130;
/// How long after a signal the command has to stop by itself (it polls the flag every
/// few milliseconds) before the process is ended for it: the bound for work that cannot
/// poll, such as reading and checking a large input file.
pub const INTERRUPT_GRACE: Duration = Duration::from_millis(400);

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
        #[command(flatten)]
        set: tools::flags::SetFlags,
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
    Staff(tools::staff::StaffArgs),
    /// Sweep a grid of scenario fields with common random numbers; Pareto-best points.
    ///
    /// Example: chatsim sweep scenarios/default.toml --set thresholds.reply_interval_s=30,60,90
    Sweep(tools::sweep::SweepArgs),
    /// Compare two configurations with common random numbers: each metric's difference
    /// B − A with a paired 95% CI, and whether it is significant.
    ///
    /// Example: chatsim compare scenarios/default.toml --set-a agents.max_sessions_all=2 --set-b agents.max_sessions_all=3
    Compare(tools::compare::CompareArgs),
    /// Check expectations on a run for CI: exit 0 pass, 1 fail, 2 bad input.
    ///
    /// Example: chatsim check scenarios/default.toml --expect 'service_level>=0.8'
    Check(tools::check::CheckArgs),
    /// Run one shard of a plan (from run|sweep|staff --plan DIR --shards N) into its part.
    ///
    /// Example: chatsim shard plan/ --index 3   (or the index from SLURM_ARRAY_TASK_ID, …)
    Shard(tools::shard::ShardArgs),
    /// Merge a plan's parts into exactly the files the single-machine command writes.
    ///
    /// Example: chatsim merge plan/ --out results/
    Merge(tools::shard::MergeArgs),
    /// List a plan's done, failed and missing shards, and how to run the missing again.
    ///
    /// Example: chatsim status plan/
    Status(tools::shard::StatusArgs),
    /// Replay a real day's chat log through the engine: the reminders and disconnects the
    /// method would have made, and how many disconnected customers in fact wrote again.
    ///
    /// Example: chatsim replay scenarios/example-log.csv --reply-interval-s 60 --message-interval-s 300
    Replay(tools::replay::ReplayArgs),
    /// Fit a scenario to a chat log: arrival profile, messages, think and reply times
    /// (speed factors per agent), silences and patience, each distribution chosen by AIC.
    ///
    /// Example: chatsim fit day.csv --message-interval-s 300 --out fitted
    Fit(tools::fit::FitArgs),
    /// Run the engine live: JSON-line commands on stdin, its events as JSON lines on stdout.
    ///
    /// Example: chatsim live --agents ana:3,ben:2 --virtual-time < commands.jsonl
    Live(tools::live::LiveArgs),
    /// Print a shell completion script on stdout (bash, zsh, fish, elvish, powershell).
    ///
    /// Example: chatsim completions bash > ~/.local/share/bash-completion/completions/chatsim
    Completions(tools::shell::CompletionsArgs),
    /// Write the man pages: chatsim.1 and one page per command (chatsim-run.1, …); without
    /// --out, chatsim.1 on stdout.
    ///
    /// Example: chatsim manpage --out man/man1
    Manpage(tools::shell::ManpageArgs),
}

/// The whole process: SIGPIPE's default action back (Unix), a panic hook, the interrupt
/// handler, then the command line. Whatever happens the process ends with a documented
/// exit code (see the module documentation) and at most a short message.
pub fn main() -> ExitCode {
    restore_sigpipe();
    install_panic_hook();
    install_interrupt_handler();
    let cli = Cli::parse();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)));
    // A signal that came before the results were in place wins over any outcome.
    if INTERRUPTED.load(Ordering::SeqCst) && !committed() {
        exit_interrupted();
    }
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            let code = exit_code(&err);
            if code == EXIT_INTERRUPTED {
                exit_interrupted();
            }
            eprint_text(&format!("error: {err:#}\n"));
            ExitCode::from(code)
        }
        // The panic hook has told what happened.
        Err(_) => ExitCode::from(EXIT_INTERNAL),
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    protect_inputs(&cli.command);
    let cancel = &INTERRUPTED;
    match cli.command {
        // `--plan` writes the plan of a sharded run instead (docs/scale-out.md).
        Command::Run(args) if args.plan.plan.is_some() => tools::shard::plan_run(&args, cancel),
        Command::Run(args) => tools::run::run(&args, cancel),
        Command::Validate { scenario, set } => tools::run::validate(&scenario, &set, cancel),
        Command::Staff(args) if args.plan.plan.is_some() => tools::shard::plan_staff(&args, cancel),
        Command::Staff(args) => tools::staff::run(&args, cancel),
        Command::Sweep(args) if args.plan.plan.is_some() => tools::shard::plan_sweep(&args, cancel),
        Command::Sweep(args) => tools::sweep::run(&args, cancel),
        Command::Compare(args) => tools::compare::run(&args, cancel),
        Command::Check(args) => tools::check::run(&args, cancel),
        Command::Bench(args) => crate::bench::run_cmd(&args, cancel),
        Command::Shard(args) => tools::shard::shard(&args, cancel),
        Command::Merge(args) => tools::shard::merge(&args, cancel),
        Command::Status(args) => tools::shard::status(&args, cancel),
        Command::Replay(args) => {
            let report = tools::replay::replay(&args, cancel)?;
            if args.json {
                print_out(&format!("{}\n", report.to_json()), cancel)?;
            } else {
                print_out(&report.to_text(), cancel)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fit(args) => tools::fit::run(&args, cancel),
        Command::Live(args) => tools::live::run(&args, cancel),
        Command::Completions(args) => tools::shell::completions(Cli::command(), &args, cancel),
        Command::Manpage(args) => tools::shell::manpage(Cli::command(), &args, cancel),
    }
}

/// Records the command's input files, so that `--force` never deletes a directory holding
/// one ([`crate::report::output::protect_input`]).
fn protect_inputs(command: &Command) {
    match command {
        Command::Run(RunArgs { input, .. })
        | Command::Staff(tools::staff::StaffArgs { input, .. })
        | Command::Sweep(tools::sweep::SweepArgs { input, .. })
        | Command::Check(tools::check::CheckArgs { input, .. }) => {
            protect_scenario_files(&input.scenario)
        }
        Command::Validate { scenario, .. } => protect_scenario_files(scenario),
        Command::Compare(args) => {
            protect_scenario_files(&args.a);
            if let Some(b) = &args.b {
                protect_scenario_files(b);
            }
        }
        Command::Replay(args) => protect_input(&args.log),
        // A plan's inputs are protected by the merge's own check of their hashes.
        Command::Shard(_) | Command::Merge(_) | Command::Status(_) => {}
        Command::Fit(args) => protect_input(&args.log),
        Command::Bench(_) | Command::Live(_) | Command::Completions(_) | Command::Manpage(_) => {}
    }
}

/// Protects a scenario file and every file it names ([`scenario::named_files`]).
fn protect_scenario_files(path: &Path) {
    protect_input(path);
    for named in scenario::named_files(path) {
        protect_input(&named);
    }
}

/// Writes `text` on stderr, escaped like [`print_out`]; a closed stderr is ignored.
fn eprint_text(text: &str) {
    let _ = std::io::stderr().write_all(report::text::terminal(text).as_bytes());
}

/// Ends the process as interrupted: exit 130 with `chatsim: interrupted; nothing was
/// written` on stderr. Only the first caller (the main thread or the signal handler's)
/// prints and exits; any other waits for the process to end.
pub fn exit_interrupted() -> ! {
    static EXITING: AtomicBool = AtomicBool::new(false);
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let mut err = std::io::stderr().lock();
    // A progress bar may be half drawn on the terminal: clear its line first.
    let clear = if err.is_terminal() { "\r\x1b[2K" } else { "" };
    let _ = writeln!(err, "{clear}chatsim: interrupted; nothing was written");
    let _ = err.flush();
    std::process::exit(EXIT_INTERRUPTED.into())
}

/// Installs the SIGINT/SIGTERM handler. The first signal sets [`INTERRUPTED`]: every
/// command polls it and stops within milliseconds, writing nothing. Work that cannot poll
/// (reading a large input) is given [`INTERRUPT_GRACE`], then the process is ended for it
/// with exit 130 — never while an output directory is being written (it waits for that
/// to finish or be cleaned up, [`crate::report::output::output_lock`]), and not at all
/// once the results are in place. A second signal ends it at once (same rules).
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            stop_unless_committed();
            return;
        }
        let watchdog = std::thread::Builder::new()
            .name("chatsim-interrupt".into())
            .spawn(|| {
                std::thread::sleep(INTERRUPT_GRACE);
                stop_unless_committed();
            });
        if watchdog.is_err() {
            std::thread::sleep(INTERRUPT_GRACE);
            stop_unless_committed();
        }
    });
}

/// Ends the process as interrupted once no output directory is being written, unless a
/// result has been put in place (then the command is finishing; let it).
fn stop_unless_committed() {
    let _writing = output_lock();
    if !committed() {
        exit_interrupted();
    }
}

/// Restores the default action of SIGPIPE (the Rust runtime ignores it, so that a write
/// to a closed pipe returns an error which `print!` turns into a panic): a closed stdout
/// then ends the process quietly, as it does every Unix filter.
#[cfg(unix)]
fn restore_sigpipe() {
    extern "C" {
        fn signal(signum: std::ffi::c_int, handler: usize) -> usize;
    }
    const SIGPIPE: std::ffi::c_int = 13;
    const SIG_DFL: usize = 0;
    // SAFETY: signal(2) with SIG_DFL installs no handler and touches no Rust state; it is
    // called once, before any other thread exists.
    unsafe {
        signal(SIGPIPE, SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}

/// A panic becomes one line on stderr (`error: internal error: …`, where, and that it is
/// a bug to report) and exit code 70, from [`main`]: no backtrace unless RUST_BACKTRACE
/// asks for one (then the standard report is printed too).
fn install_panic_hook() {
    let standard = std::panic::take_hook();
    let backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    std::panic::set_hook(Box::new(move |info| {
        static TOLD: AtomicBool = AtomicBool::new(false);
        if TOLD.swap(true, Ordering::SeqCst) {
            return;
        }
        if backtrace {
            standard(info);
        }
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprint_text(&format!(
            "error: internal error: {}{at}; this is a bug in chatsim, please report it with \
             the command line (RUST_BACKTRACE=1 shows a backtrace)\n",
            what.replace('\n', " ")
        ));
    }));
}

/// The exit code for an error: 130 for an interrupted command, 2 for everything else (bad
/// input, unwritable output, a limit reached), so scripts can tell "fix your input" from
/// "the check failed" (1).
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let interrupted = err.chain().any(|cause| {
        matches!(cause.downcast_ref(), Some(SimError::Interrupted))
            || matches!(cause.downcast_ref(), Some(report::OutputError::Interrupted))
            || matches!(
                cause.downcast_ref(),
                Some(tools::replay::ReplayError::Interrupted)
            )
            || matches!(
                cause.downcast_ref(),
                Some(tools::live::LiveError::Interrupted)
            )
    });
    if interrupted {
        EXIT_INTERRUPTED
    } else {
        2
    }
}
