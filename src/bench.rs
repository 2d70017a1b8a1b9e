//! `chatsim bench`: a load benchmark of the dispatch engine alone, with no simulator
//! around it.
//!
//! ```text
//!  BenchArgs ──► run_bench ──► for rule × agents: Desk (engine + workload generator)
//!                                 warm-up (10 × agents ops), then `repeat` runs
//!                                 (timed, or `--fixed-ops N` each)
//!                             ──► BenchReport ──► render_text | serde_json
//! ```
//!
//! The workload is synthetic and steady: every agent is logged in with a cap of
//! [`MAX_SESSIONS`] and the desk holds about half the capacity open (two sessions per
//! agent). Each operation is one command chosen by a fixed-seed xoshiro generator owned by
//! this driver (never by the engine): a session request whenever the desk is below its
//! target, else, one time in [`BUSY_FLIP_ONE_IN`], a busy or un-busy flip, else a touch of
//! a random open session — the agent's reply if it owes one, otherwise the customer's next
//! message or, one time in [`CLOSE_ONE_IN`], the customer's close. Simulated time advances
//! so that a session is touched about every [`TOUCH_INTERVAL_US`], which makes a few
//! replies late (idle reminders) and a few customers silent (disconnects); the engine is
//! woken whenever `poll_timeout` says so, as a real driver would.
//!
//! Counted per run: routing decisions (the engine's own counter: sessions connected by
//! the rule) and engine events = commands handled + timers fired (reminders and silence
//! disconnects). Wake-up calls that fire nothing are not counted.

pub mod probe;

use crate::engine::{
    AgentId, AgentRequest, EndReason, Engine, EngineConfig, EngineError, Event, RequestCode,
    RoutingRule, SessionId, MAX_AGENTS,
};
use crate::report::output::print_out;
use crate::time::{Millis, SimTime};
use clap::Args;
use probe::MemoryProbe;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Session cap of every agent in the bench desk.
pub const MAX_SESSIONS: u32 = 4;
/// Open sessions the desk keeps per agent (half the cap).
const OPEN_PER_AGENT: usize = 2;
/// One operation in this many is a busy/un-busy flip.
const BUSY_FLIP_ONE_IN: u64 = 64;
/// One customer turn in this many is a close instead of a message.
const CLOSE_ONE_IN: u64 = 5;
/// About one agent in this many is busy at any time.
const BUSY_ONE_IN: usize = 20;
/// Mean simulated time between two touches of one open session, in microseconds.
const TOUCH_INTERVAL_US: u64 = 30_000_000;
/// Reply interval of the bench desk (S55).
const REPLY_INTERVAL: Millis = Millis::from_secs(60);
/// Message interval of the bench desk (S56): short enough that silences happen.
const MESSAGE_INTERVAL: Millis = Millis::from_secs(120);
/// Untimed operations before the runs, per agent: long enough for the timer queues to
/// reach their steady length (one message interval of simulated time is 8 per agent).
const WARM_UP_OPS_PER_AGENT: u64 = 10;
/// Operations between two clock reads in a timed run.
const CHUNK_OPS: u64 = 1024;

/// Which rules to run: every rule, or one by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleChoice {
    All,
    One(RoutingRule),
}

fn parse_rule(s: &str) -> Result<RuleChoice, String> {
    if s == "all" {
        return Ok(RuleChoice::All);
    }
    RoutingRule::ALL
        .into_iter()
        .find(|r| r.name() == s)
        .map(RuleChoice::One)
        .ok_or_else(|| {
            let names: Vec<&str> = RoutingRule::ALL.iter().map(|r| r.name()).collect();
            format!(
                "unknown rule `{s}`; use `all` or any of {}",
                names.join(", ")
            )
        })
}

/// Options of `chatsim bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Roster sizes to run, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "100,1000,10000,100000",
        value_parser = clap::value_parser!(u32).range(1..=MAX_AGENTS as i64)
    )]
    pub agents: Vec<u32>,
    /// Distribution rules: `all`, or a comma-separated list of rule names
    /// (least_loaded, lowest_load_ratio, round_robin, longest_idle, random, fill_first,
    /// most_spare).
    #[arg(long, value_delimiter = ',', default_value = "all", value_parser = parse_rule)]
    pub rule: Vec<RuleChoice>,
    /// Runs per rule and size; the median, min and max are reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Wall time of each timed run, in milliseconds.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub run_ms: u64,
    /// Run exactly this many operations per run instead of timing, so the work done is a
    /// pure function of the arguments (the instruction-count gate uses it). Skips the
    /// memory-latency probe, which is a timing.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub fixed_ops: Option<u64>,
    /// Seed of the workload generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print machine-readable JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl BenchArgs {
    /// The rules asked for, each once, in documentation order.
    pub fn rules(&self) -> Vec<RoutingRule> {
        RoutingRule::ALL
            .into_iter()
            .filter(|r| {
                self.rule
                    .iter()
                    .any(|c| *c == RuleChoice::All || *c == RuleChoice::One(*r))
            })
            .collect()
    }
}

/// Where the figures were taken.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// CPUs this process may run on (what `nproc` prints).
    pub nproc: usize,
    /// The first `model name` of /proc/cpuinfo.
    pub cpu_model: String,
    /// The compiler that built this binary (from its ELF `.comment` section).
    pub rustc: String,
    pub chatsim_version: String,
}

/// The counts of one run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RunFigures {
    pub ops: u64,
    pub routing_decisions: u64,
    /// Commands handled plus timers fired.
    pub engine_events: u64,
    pub timers_fired: u64,
    pub elapsed_s: f64,
}

impl RunFigures {
    fn decisions_per_s(&self) -> f64 {
        self.routing_decisions as f64 / self.elapsed_s
    }

    fn events_per_s(&self) -> f64 {
        self.engine_events as f64 / self.elapsed_s
    }
}

/// Median, min and max of one rate over the runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    fn of(mut v: Vec<f64>) -> Spread {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Spread {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }
}

/// The figures of one rule at one roster size.
#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    pub rule: &'static str,
    pub agents: u32,
    pub routing_decisions_per_s: Spread,
    pub engine_events_per_s: Spread,
    pub runs: Vec<RunFigures>,
}

/// Everything `chatsim bench` measured, and where.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub machine: Machine,
    pub seed: u64,
    pub repeat: u32,
    /// Wall time per run, when timed.
    pub run_ms: Option<u64>,
    /// Operations per run, when fixed.
    pub fixed_ops: Option<u64>,
    pub warm_up_ops_per_agent: u64,
    /// Random-load latency just before and after the runs (timed runs only): tells whether
    /// the large rosters ran with the shared L3 or at DRAM speed.
    pub memory_probe: Option<MemoryProbe>,
    pub results: Vec<BenchResult>,
}

/// Runs every rule × roster size of `args` and collects the figures. Once `cancel` is
/// set, the remaining runs end at their first chunk (the caller then prints nothing).
pub fn run_bench(args: &BenchArgs, cancel: &AtomicBool) -> BenchReport {
    let timed = args.fixed_ops.is_none();
    let probe = || probe::memory_latency_ns(probe::PROBE_MIB, probe::PROBE_LOADS);
    let before = timed.then(probe);
    let mut results = Vec::new();
    for rule in args.rules() {
        for &agents in &args.agents {
            if cancel.load(Ordering::Relaxed) {
                // Interrupted: the report is not printed (exit 130); stop setting desks up.
                break;
            }
            let mut desk = Desk::new(rule, agents as usize, args.seed);
            desk.run_ops(WARM_UP_OPS_PER_AGENT * agents as u64);
            let runs: Vec<RunFigures> = (0..args.repeat)
                .map(|_| match args.fixed_ops {
                    Some(ops) => desk.measure(|d, done| {
                        if done == 0 {
                            d.run_ops(ops);
                        }
                        ops
                    }),
                    None => {
                        let budget = args.run_ms as f64 / 1000.0;
                        let started = Instant::now();
                        desk.measure(|d, done| {
                            // An interrupt ends every remaining timed run at its first
                            // chunk; the report is then not printed (exit 130).
                            if done > 0
                                && (started.elapsed().as_secs_f64() >= budget
                                    || cancel.load(Ordering::Relaxed))
                            {
                                return done;
                            }
                            d.run_ops(CHUNK_OPS);
                            done + CHUNK_OPS
                        })
                    }
                })
                .collect();
            results.push(BenchResult {
                rule: rule.name(),
                agents,
                routing_decisions_per_s: Spread::of(
                    runs.iter().map(|r| r.decisions_per_s()).collect(),
                ),
                engine_events_per_s: Spread::of(runs.iter().map(|r| r.events_per_s()).collect()),
                runs,
            });
        }
    }
    let memory_probe = before.map(|ns_per_load_before| MemoryProbe {
        working_set_mib: probe::PROBE_MIB,
        ns_per_load_before,
        ns_per_load_after: probe(),
    });
    BenchReport {
        machine: machine(),
        memory_probe,
        seed: args.seed,
        repeat: args.repeat,
        run_ms: args.fixed_ops.is_none().then_some(args.run_ms),
        fixed_ops: args.fixed_ops,
        warm_up_ops_per_agent: WARM_UP_OPS_PER_AGENT,
        results,
    }
}

/// `chatsim bench`: runs and prints the table, or JSON.
pub fn run_cmd(args: &BenchArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let report = run_bench(args, cancel);
    if args.json {
        print_out(
            &format!("{}\n", serde_json::to_string_pretty(&report)?),
            cancel,
        )?;
    } else {
        print_out(&render_text(&report), cancel)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The report as a plain-text table.
pub fn render_text(report: &BenchReport) -> String {
    let m = &report.machine;
    let mut out = String::new();
    out.push_str(&format!(
        "machine: {} CPUs (nproc), {}; {}; chatsim {}\n",
        m.nproc, m.cpu_model, m.rustc, m.chatsim_version
    ));
    if let Some(p) = &report.memory_probe {
        out.push_str(&format!(
            "memory: a random dependent load in {} MiB took {:.0} ns before the runs, {:.0} ns \
             after (L3 hits are tens of ns, DRAM over 100: when a neighbour holds the shared \
             L3, the largest rosters run slower; compare runs with like values)\n",
            p.working_set_mib, p.ns_per_load_before, p.ns_per_load_after
        ));
    }
    let runs = match (report.fixed_ops, report.run_ms) {
        (Some(ops), _) => format!("{} runs of {ops} operations", report.repeat),
        (None, Some(ms)) => format!("{} runs of {ms} ms", report.repeat),
        (None, None) => format!("{} runs", report.repeat),
    };
    out.push_str(&format!(
        "workload: engine alone, {MAX_SESSIONS} sessions cap, ~{OPEN_PER_AGENT} open per agent, \
         seed {}; {runs} per rule and size after {} warm-up operations per agent\n",
        report.seed, report.warm_up_ops_per_agent
    ));
    out.push_str("figures: median [min – max] over the runs\n\n");
    out.push_str(&format!(
        "{:<18} {:>7}  {:<30} {}\n",
        "rule", "agents", "routing decisions/s", "engine events/s"
    ));
    for r in &report.results {
        out.push_str(&format!(
            "{:<18} {:>7}  {:<30} {}\n",
            r.rule,
            r.agents,
            spread_text(&r.routing_decisions_per_s),
            spread_text(&r.engine_events_per_s)
        ));
    }
    out
}

fn spread_text(s: &Spread) -> String {
    format!("{} [{} – {}]", si(s.median), si(s.min), si(s.max))
}

/// A rate with an SI suffix and three significant digits.
fn si(x: f64) -> String {
    let (v, unit) = if x >= 1e9 {
        (x / 1e9, " G")
    } else if x >= 1e6 {
        (x / 1e6, " M")
    } else if x >= 1e3 {
        (x / 1e3, " k")
    } else {
        (x, "")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{unit}")
}

/// The engine, the sessions it holds open and the workload generator.
struct Desk {
    engine: Engine,
    rng: Xoshiro256PlusPlus,
    now_us: u64,
    step_us: u64,
    /// Connected sessions, in no order (swap-removed).
    open: Vec<SessionId>,
    /// Per engine slot: its index in `open` while connected.
    pos: Vec<u32>,
    target: usize,
    busy: Vec<AgentId>,
    is_busy: Vec<bool>,
    busy_target: usize,
    commands: u64,
    timers_fired: u64,
}

impl Desk {
    /// A desk of `agents` logged-in agents holding about half their capacity.
    fn new(rule: RoutingRule, agents: usize, seed: u64) -> Desk {
        let config = EngineConfig {
            rule,
            reply_interval: Some(REPLY_INTERVAL),
            message_interval: Some(MESSAGE_INTERVAL),
            repeat_reminders: true,
            reminder_cap: None,
            switches: Default::default(),
        };
        let mut engine = Engine::new(config, &vec![MAX_SESSIONS; agents]);
        for a in 0..agents {
            engine
                .handle_log_in(SimTime::ZERO, AgentId(a as u32))
                .expect("a fresh agent logs in");
        }
        let target = agents * OPEN_PER_AGENT;
        let mut desk = Desk {
            engine,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            now_us: 0,
            step_us: (TOUCH_INTERVAL_US / target as u64).max(1),
            open: Vec::with_capacity(target),
            pos: Vec::new(),
            target,
            busy: Vec::new(),
            is_busy: vec![false; agents],
            busy_target: (agents / BUSY_ONE_IN).max(1),
            commands: 0,
            timers_fired: 0,
        };
        desk.drain_events();
        desk
    }

    /// One run: calls `step` with the operations done so far until it returns the same
    /// total (its way to say stop), and counts what the engine did meanwhile.
    fn measure(&mut self, mut step: impl FnMut(&mut Desk, u64) -> u64) -> RunFigures {
        let decisions = self.engine.stats().routing_decisions;
        let (commands, timers) = (self.commands, self.timers_fired);
        let started = Instant::now();
        let mut ops = 0;
        loop {
            let next = step(self, ops);
            if next == ops {
                break;
            }
            ops = next;
        }
        let elapsed_s = started.elapsed().as_secs_f64().max(1e-9);
        let timers_fired = self.timers_fired - timers;
        RunFigures {
            ops,
            routing_decisions: self.engine.stats().routing_decisions - decisions,
            engine_events: self.commands - commands + timers_fired,
            timers_fired,
            elapsed_s,
        }
    }

    fn run_ops(&mut self, ops: u64) {
        for _ in 0..ops {
            self.op();
        }
    }

    /// `x` mapped uniformly onto `0..n` by multiply-shift (no division).
    fn below(x: u64, n: usize) -> usize {
        ((x as u128 * n as u128) >> 64) as usize
    }

    /// One command (the engine fires the timers due by now before it), then the wake-up
    /// the engine asks for, then the events.
    fn op(&mut self) {
        self.now_us += self.step_us;
        let now = SimTime::from_millis(self.now_us / 1000);
        let r = self.rng.next_u64();
        let e = &mut self.engine;
        if self.open.len() + (e.waiting_len() as usize) < self.target {
            e.handle_session_request(now, r).expect("time is monotone");
        } else if r.is_multiple_of(BUSY_FLIP_ONE_IN) || self.open.is_empty() {
            // A flip; also whenever nothing is connected to touch: a tiny roster's agents
            // can all be busy with the desk's customers waiting (one agent, busy: two
            // waiting, none open), and only an un-busy flip lets them in.
            let code = if self.busy.len() < self.busy_target {
                let a = Self::below(r, self.is_busy.len());
                if self.is_busy[a] {
                    return self.after_command(now);
                }
                self.is_busy[a] = true;
                self.busy.push(AgentId(a as u32));
                AgentRequest {
                    code: RequestCode::Busy,
                    agent: AgentId(a as u32),
                }
            } else {
                let i = Self::below(r, self.busy.len());
                let agent = self.busy.swap_remove(i);
                self.is_busy[agent.0 as usize] = false;
                AgentRequest {
                    code: RequestCode::Unbusy,
                    agent,
                }
            };
            e.handle_agent_request(now, code)
                .expect("agents stay online");
        } else {
            let s = self.open[Self::below(r, self.open.len())];
            let owed = e.reply_owed(s).expect("open sessions are connected");
            let done = if owed {
                e.handle_agent_reply(now, s).map(|_| ())
            } else if (r >> 8).is_multiple_of(CLOSE_ONE_IN) {
                e.handle_customer_close(now, s)
            } else {
                e.handle_customer_message(now, s)
            };
            match done {
                // The engine fires timers due by `now` before the command: the session's
                // silence disconnect may have ended it first.
                Ok(()) | Err(EngineError::UnknownSession(_)) => {}
                Err(err) => panic!("open sessions are connected: {err}"),
            }
        }
        self.commands += 1;
        self.after_command(now);
    }

    fn after_command(&mut self, now: SimTime) {
        if self.engine.poll_timeout().is_some_and(|t| t <= now) {
            self.engine.handle_timeout(now).expect("time is monotone");
        }
        self.drain_events();
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.engine.poll_event() {
            match event {
                Event::Connected { session, .. } => {
                    let slot = session.slot as usize;
                    if slot >= self.pos.len() {
                        self.pos.resize(slot + 1, u32::MAX);
                    }
                    self.pos[slot] = self.open.len() as u32;
                    self.open.push(session);
                }
                Event::Ended {
                    session, reason, ..
                } => {
                    let i = self.pos[session.slot as usize] as usize;
                    self.open.swap_remove(i);
                    if let Some(moved) = self.open.get(i) {
                        self.pos[moved.slot as usize] = i as u32;
                    }
                    if reason == EndReason::Silence {
                        self.timers_fired += 1;
                    }
                }
                Event::ReminderDue { .. } => self.timers_fired += 1,
                Event::Queued { .. }
                | Event::Abandoned { .. }
                | Event::HandedBack { .. }
                | Event::Agent { .. } => {}
            }
        }
    }
}

/// The machine this process runs on.
fn machine() -> Machine {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model,
        rustc: built_by().unwrap_or_else(|| "rustc unknown".into()),
        chatsim_version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// The compiler that built this binary, as `rustc --version` prints it, read from the
/// `rustc version …` string rustc leaves in the ELF `.comment` section. Only the headers
/// and that section are read, not the whole (large, debug-info) file.
fn built_by() -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(std::env::current_exe().ok()?).ok()?;
    let mut read_at = |offset: u64, len: usize| -> Option<Vec<u8>> {
        let mut buf = vec![0; len];
        f.seek(SeekFrom::Start(offset)).ok()?;
        f.read_exact(&mut buf).ok()?;
        Some(buf)
    };
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    let header = read_at(0, 64)?;
    // ELF, 64-bit, little-endian only.
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let (shoff, shentsize) = (u64_at(&header, 0x28), u16_at(&header, 0x3A));
    let (shnum, shstrndx) = (u16_at(&header, 0x3C), u16_at(&header, 0x3E));
    if shentsize < 64 || shnum == 0 || shnum > 4096 || shstrndx >= shnum {
        return None;
    }
    let table = read_at(shoff, shnum * shentsize)?;
    let section = |i: usize| {
        let h = &table[i * shentsize..];
        (u32_at(h, 0) as usize, u64_at(h, 24), u64_at(h, 32) as usize)
    };
    let (_, names_off, names_len) = section(shstrndx);
    let names = read_at(names_off, names_len.min(1 << 20))?;
    let comment = (0..shnum).find(|&i| {
        names
            .get(section(i).0..)
            .is_some_and(|n| n.starts_with(b".comment\0"))
    })?;
    let (_, off, len) = section(comment);
    let text = read_at(off, len.min(1 << 16))?;
    text.split(|&b| b == 0)
        .filter_map(|s| std::str::from_utf8(s).ok())
        .find_map(|s| s.strip_prefix("rustc version "))
        .map(|v| format!("rustc {v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(agents: Vec<u32>, fixed_ops: u64) -> BenchArgs {
        BenchArgs {
            agents,
            rule: vec![RuleChoice::All],
            repeat: 3,
            run_ms: 1,
            fixed_ops: Some(fixed_ops),
            seed: 7,
            json: false,
        }
    }

    #[test]
    fn fixed_ops_runs_are_exact_and_repeatable() {
        let a = run_bench(
            &args(vec![10, 40], 3_000),
            &crate::pipeline::NEVER_CANCELLED,
        );
        let b = run_bench(
            &args(vec![10, 40], 3_000),
            &crate::pipeline::NEVER_CANCELLED,
        );
        assert_eq!(a.results.len(), RoutingRule::ALL.len() * 2);
        for (x, y) in a.results.iter().zip(&b.results) {
            assert_eq!((x.rule, x.agents), (y.rule, y.agents));
            for (rx, ry) in x.runs.iter().zip(&y.runs) {
                assert_eq!(rx.ops, 3_000);
                assert_eq!(
                    (rx.routing_decisions, rx.engine_events, rx.timers_fired),
                    (ry.routing_decisions, ry.engine_events, ry.timers_fired)
                );
                assert!(rx.routing_decisions > 0, "{} {}", x.rule, x.agents);
                assert!(rx.timers_fired > 0, "{} {}", x.rule, x.agents);
                assert!(rx.engine_events >= rx.ops);
            }
            let s = x.routing_decisions_per_s;
            assert!(s.min <= s.median && s.median <= s.max);
        }
    }

    #[test]
    fn workload_keeps_half_load_and_the_engine_invariants() {
        for rule in RoutingRule::ALL {
            let mut desk = Desk::new(rule, 50, 3);
            for round in 0..40 {
                desk.run_ops(500);
                desk.engine.check_invariants().unwrap();
                let open = desk.open.len() + desk.engine.waiting_len() as usize;
                assert!(
                    open <= desk.target && open + 5 >= desk.target,
                    "{round}: {open}"
                );
                assert!(desk.busy.len() <= desk.busy_target);
            }
            assert!(desk.timers_fired > 0);
            let counts: u32 = (0..50)
                .map(|a| desk.engine.agent(AgentId(a)).unwrap().count)
                .sum();
            assert_eq!(counts as usize, desk.open.len());
        }
    }

    /// `chatsim bench --agents 1` indexed an empty list of open sessions: the one agent
    /// was busy, the desk's two customers waited, and a "touch an open session" came.
    #[test]
    fn tiny_rosters_run_every_rule() {
        for agents in 1..=24 {
            let report = run_bench(
                &args(vec![agents], 2_000),
                &crate::pipeline::NEVER_CANCELLED,
            );
            for r in &report.results {
                assert!(r.runs.iter().all(|run| run.ops == 2_000), "{agents}");
            }
            for rule in RoutingRule::ALL {
                let mut desk = Desk::new(rule, agents as usize, 11);
                desk.run_ops(3_000);
                desk.engine.check_invariants().unwrap();
                assert!(
                    desk.engine.stats().routing_decisions > 0,
                    "{agents} {rule:?}"
                );
            }
        }
    }

    #[test]
    fn rules_parse_by_name_or_all() {
        assert_eq!(parse_rule("all"), Ok(RuleChoice::All));
        assert_eq!(
            parse_rule("round_robin"),
            Ok(RuleChoice::One(RoutingRule::RoundRobin))
        );
        assert!(parse_rule("fastest").unwrap_err().contains("least_loaded"));
        let mut a = args(vec![1], 1);
        a.rule = vec![
            RuleChoice::One(RoutingRule::Random),
            RuleChoice::One(RoutingRule::LeastLoaded),
            RuleChoice::One(RoutingRule::Random),
        ];
        assert_eq!(a.rules(), [RoutingRule::LeastLoaded, RoutingRule::Random]);
    }

    #[test]
    fn machine_names_the_compiler_that_built_the_test() {
        let m = machine();
        assert!(m.nproc >= 1);
        assert!(m.rustc.starts_with("rustc "), "{}", m.rustc);
    }

    #[test]
    fn text_report_has_a_row_per_rule_and_size() {
        let report = run_bench(&args(vec![10], 200), &crate::pipeline::NEVER_CANCELLED);
        let text = render_text(&report);
        assert_eq!(text.lines().filter(|l| l.contains(" 10  ")).count(), 5);
        assert!(text.contains("routing decisions/s"));
        assert_eq!(si(12_345_678.0), "12.3 M");
    }
}
