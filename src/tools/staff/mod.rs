//! `chatsim staff`: the fewest agents per interval that meet every target, with
//! stated confidence, next to what Erlang C (and, with finite patience, Erlang A) would
//! staff.
//!
//! Method (docs/tools.md has the full story):
//! - **Intervals.** A profile's intervals; a Poisson scenario's measured window as one
//!   interval; a trace binned by `run.interval` into an empirical profile.
//! - **Stationary sub-scenario per interval.** That interval's rate as a Poisson process,
//!   the first k agents of the interleaved roster (below) logged in all the time without
//!   planned breaks (random aux periods stay: they are behaviour). Warm-up and horizon
//!   come from the interval's own dynamics: an empty desk forgets its start within a few
//!   relaxation times τ ([`relaxation_s`]), which grow sharply as the occupancy nears 1,
//!   so the warm-up is max(10 min, 3 × mean session, 5τ) and the horizon max(the time for
//!   `--customers-per-replication` arrivals, 5τ). Replication i of every candidate is
//!   seeded from (seed, i): every candidate shares the same arrivals, customers and
//!   per-agent streams (common random numbers).
//! - **Roster scaling.** Agents are taken in a fixed interleaved order across groups
//!   (smooth weighted round robin by group size, each group's agents in roster order,
//!   cycling with copies `A001+1`, … past the roster's end), so every k keeps the
//!   roster's group mix, session caps and speed factors, and candidate k + 1 is
//!   candidate k plus one agent.
//! - **Sequential replications.** A candidate starts with `--replications`; while the
//!   yes/no is undecided (no target clearly missed, and some target's 95 % CI still
//!   contains its value) the replications double, up to `--max-replications`.
//! - **Control variates.** From the second look (16 replications) on, each judged figure
//!   is the regression-adjusted mean on martingale controls of known mean 0 (the window's
//!   arrivals weighted by the desk's state, and, with exponential holding times, its
//!   session ends likewise: [`ControlTrack`](controls::ControlTrack)), which remove most
//!   of the queue's replication-to-replication luck (~94 % of the service level's
//!   variance at 1 000 agents, 97 % occupancy).
//!
//! Files: this one holds the command (arguments, targets, intervals, the Erlang basis,
//! each candidate's evaluation, the outputs); [`roster`] the interleaved order,
//! [`search`] the bracket-and-bisect search and the sequential verdict, [`controls`] the
//! replications and their control variates, [`skill_groups`] the per-queue staffing.
//! - **Confidence.** A target holds at the conservative end of its 95 % CI (mean −
//!   half-width for `>=`, mean + half-width for `<=`), or at the mean with
//!   `--confidence mean`; once decided the two agree.
//! - **Search.** From the Erlang A (finite patience) or Erlang C answer, bracket by steps
//!   1, 2, 4, … down (while the targets hold) or up (until they hold), then bisect; at
//!   most 4 × start + 10 agents.
//! - **Targets.** Each must get easier with more agents ([`staffing_response`]): a target
//!   that gets harder, does not depend on staffing, or is a total over the run (whose
//!   length staff chooses) is refused.
//! - **Erlang basis.** Each agent counts as `max_sessions` servers (agents added in the
//!   same interleaved order until their caps reach the server count); the mean session
//!   length: the holding-time mean (holding model), or the session length measured in the
//!   simulation at the required staffing by Little's law (turn model; the search starts
//!   from an analytic estimate instead, see [`analytic_session_s`]).

mod controls;
mod roster;
mod search;
pub mod skill_groups;

use controls::{judge, run_replications};
use roster::{agents_for_servers, interleaved_order, scaled_roster};
use search::{looks, search, verdict, Verdict};

use super::check::{check_metric_name, metric_names, Confidence, Direction, Target};
use super::flags::{OutputFlags, PlanFlags, ScenarioFlags, SetFlags};
use crate::metrics::catalogue::Metric;
use crate::metrics::erlang::{smallest_c_for_erlang_a, smallest_c_for_service_level, ErlangA};
use crate::metrics::{summarize, RepMetrics, Stat};
use crate::pipeline;
pub use crate::plan::staffing::{
    concurrency_factor, fte, DaySummary, RatePlan, RosterCover, RuleOfThumb, StaffInterval,
    StaffingResult, Window, CONCURRENCY_FACTORS, DEFAULT_ERLANG_SERVICE_LEVEL,
};
use crate::plan::staffing::{erlang_a_targets, erlang_service_level, roster_cover};
use crate::report::output::{check_target, print_out, write_outputs};
use crate::report::staffing::{
    staffing_csv, staffing_gap_svg, staffing_json, staffing_svg, staffing_table,
};
use crate::scenario::{self, Arrivals, Scenario, SessionModel};
use crate::sim::SimError;
use crate::time::{Millis, SimTime};
use anyhow::Context;
use clap::Args;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Options of `chatsim staff`.
#[derive(Args, Debug, Clone, serde::Serialize, serde::Deserialize)]
#[command(
    after_help = "Example:\n  chatsim staff scenarios/default.toml --target service_level=0.80 \
    --target 'abandon_ratio<=0.05' --out out/staffing\n\n\
    Per interval, the fewest agents (the roster scaled in an interleaved order across \
    groups) whose simulated metrics meet every target at the conservative end of the 95% \
    CI, found from the Erlang C (or Erlang A) answer by bracketing and bisection with \
    common random numbers; replications double while a candidate's yes/no is undecided. \
    Exit status: 0 every interval staffed, 1 some interval cannot be staffed, 2 bad input \
    (including a target that does not get easier with more agents). See docs/tools.md."
)]
pub struct StaffArgs {
    #[command(flatten)]
    pub input: ScenarioFlags,
    #[command(flatten)]
    pub set: SetFlags,
    /// A target NAME>=VALUE / NAME<=VALUE (also > and <), or NAME=VALUE (the direction in
    /// which the metric improves with more agents: >= for service_level, <= for waits,
    /// abandon_ratio, occupancy, …); repeat for several.
    #[arg(long = "target", required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Judge targets at the conservative end of the 95% CI, or at the mean.
    #[arg(long, value_enum, default_value_t = Confidence::Conservative)]
    pub confidence: Confidence,
    /// Replications a candidate starts with (at least 2, for a CI).
    #[arg(long, default_value_t = DEFAULT_REPLICATIONS, value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub replications: u32,
    /// Most replications a candidate doubles up to while its yes/no is undecided (never
    /// fewer than --replications).
    #[arg(long, default_value_t = DEFAULT_MAX_REPLICATIONS, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub max_replications: u32,
    /// Expected arrivals per replication of a candidate; sets the horizon (30 min to 24 h),
    /// unless the interval's relaxation time asks for longer.
    #[arg(long, default_value_t = DEFAULT_CUSTOMERS, value_parser = clap::value_parser!(u32).range(10..=10_000_000))]
    pub customers_per_replication: u32,
    /// Shrinkage: the share of paid agent time off the floor (breaks, training,
    /// absence), from 0 up to but not including 1 (overrides `[staffing] shrinkage`);
    /// FTE required = agents on the floor / (1 − shrinkage).
    #[arg(long, allow_negative_numbers = true, value_parser = shrinkage_arg)]
    pub shrinkage: Option<f64>,
    /// Print the staffing as JSON on stdout (the fields of staffing.csv per interval, and
    /// the day's totals) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Where staffing.csv, staffing.svg and staffing_gap.svg go.
    #[command(flatten)]
    pub output: OutputFlags,
    #[command(flatten)]
    pub plan: PlanFlags,
}

/// Parses `--shrinkage`: a share in [0, 1), with the scenario field's message and fix.
pub fn shrinkage_arg(text: &str) -> Result<f64, String> {
    let v: f64 = text.trim().parse().map_err(|_| {
        format!(
            "value \"{text}\" is not a number; {}",
            scenario::SHRINKAGE_FIX
        )
    })?;
    match scenario::shrinkage_problem(v) {
        None => Ok(v),
        Some(why) => Err(format!("value {text} {why}; {}", scenario::SHRINKAGE_FIX)),
    }
}

/// Default replications a candidate starts with.
pub const DEFAULT_REPLICATIONS: u32 = 8;
/// Default most replications of an undecided candidate.
pub const DEFAULT_MAX_REPLICATIONS: u32 = 256;
/// Default expected arrivals per replication of a candidate.
pub const DEFAULT_CUSTOMERS: u32 = 1500;
/// Warm-up, in relaxation times: after 5τ an empty start's bias is below e⁻⁵ ≈ 0.7 % of
/// its initial size.
pub const WARMUP_RELAXATIONS: f64 = 5.0;
/// Horizon, in relaxation times at least: a replication then holds about ten independent
/// stretches of the queue's slow swings, so its figures are nearly normal and the
/// Student-t CI over a few replications keeps its coverage (with 5τ, eight replications'
/// CIs missed the truth on one side twice as often as stated).
pub const HORIZON_RELAXATIONS: f64 = 10.0;
/// Without abandonment the relaxation time is taken at an occupancy of at most 0.99
/// (≈ 39 600 customers): beyond, a candidate would cost millions of customers, and is
/// judged with an optimistic bias instead (such desks miss any usual target by far).
pub const MAX_RELAXATION_OCCUPANCY: f64 = 0.99;

pub use crate::metrics::catalogue::Response;

/// How `metric` moves with staffing: the catalogue's table ([`Metric::staffing`]), the
/// one place that says it for every run-level metric (a metric without one is refused).
pub fn staffing_response(metric: &str) -> Response {
    Metric::parse(metric)
        .and_then(Metric::staffing)
        .unwrap_or(Response::Unrelated {
            why: "is not one chatsim knows how staffing moves",
        })
}

/// `Ok` when `t` gets easier to meet with every agent added; otherwise an error naming
/// the target, why it is not a staffing target, and the fix.
pub fn check_staffing_target(t: &Target) -> anyhow::Result<()> {
    let m = &t.metric;
    let flipped = |op: &str| format!("{m}{op}{}", t.value);
    match (staffing_response(m), t.direction) {
        (Response::Rises, Direction::AtLeast) | (Response::Falls, Direction::AtMost) => Ok(()),
        (Response::Rises, Direction::AtMost) => anyhow::bail!(
            "target \"{t}\" is not a staffing target: {m} rises as agents are added, so an \
             upper bound gets harder to meet with every agent and \"the fewest agents\" \
             meeting it is not the question; write {} for a floor, or drop it",
            flipped(">=")
        ),
        (Response::Falls, Direction::AtLeast) => anyhow::bail!(
            "target \"{t}\" is not a staffing target: {m} falls as agents are added, so a \
             lower bound gets harder to meet with every agent and \"the fewest agents\" \
             meeting it is not the question; write {} (e.g. staff to at most that {m}), or \
             drop it",
            flipped("<=")
        ),
        (Response::Total { instead }, _) => anyhow::bail!(
            "target \"{t}\" is not a staffing target: {m} is a total over the measured \
             window, whose length staff chooses per interval, so it cannot be compared \
             with a fixed value; use a ratio such as {instead} instead"
        ),
        (Response::Unrelated { why }, _) => anyhow::bail!(
            "target \"{t}\" is not a staffing target: {m} {why}, so adding agents does \
             not move it towards the value; check it with `chatsim check` instead, or drop it"
        ),
    }
}

/// Parses `staff`'s targets: a bare `NAME=VALUE` takes the direction in which the metric
/// improves with more agents; the name must be a metric of the scenario, and the target
/// one that gets easier with more agents.
pub fn parse_staff_targets(texts: &[String], valid: &[String]) -> anyhow::Result<Vec<Target>> {
    texts
        .iter()
        .map(|text| {
            let t = Target::parse_with(text, |name| match staffing_response(name) {
                Response::Falls => Direction::AtMost,
                _ => Direction::AtLeast,
            })?;
            // A queue's target (`metric[queue]`) is checked against the desk's queues in
            // `setup` (`skill_groups::check_queue_targets`) and staffs the skill groups.
            check_metric_name(&t.metric, valid, "--target")?;
            check_staffing_target(&t)?;
            Ok(t)
        })
        .collect()
}

/// A metric of the M/M/c+M model, for the metrics Erlang A can judge (the simulator's
/// definitions: abandoners count as misses and as waiting until they leave).
fn erlang_a_value(m: &ErlangA, metric: &str, threshold_s: f64) -> Option<f64> {
    match Metric::parse(metric)? {
        Metric::ServiceLevel => Some(m.service_level(threshold_s)),
        Metric::AbandonRatio => Some(m.abandon_ratio()),
        Metric::PWait => Some(m.p_wait()),
        Metric::WaitSMean => Some(m.wait_mean()),
        Metric::MeanQueueLen => Some(m.mean_queue_len()),
        Metric::Occupancy => Some(m.occupancy()),
        _ => None,
    }
}

/// The patience Erlang A uses, seconds, when every segment has one: 1/θ with θ the
/// segments' abandonment rates 1/mean averaged by share (a non-exponential patience is
/// taken by its mean). `None` with infinite patience anywhere.
pub fn erlang_patience_s(sc: &Scenario) -> Option<f64> {
    let mut theta = 0.0;
    for seg in &sc.segments {
        let mean = seg.patience.as_ref()?.mean();
        if !(mean > 0.0 && mean.is_finite()) {
            return None;
        }
        theta += seg.share / mean;
    }
    (theta > 0.0).then(|| 1.0 / theta)
}

/// Whether every segment's patience is exponential (Erlang A's own assumption).
fn exponential_patience(sc: &Scenario) -> bool {
    sc.segments
        .iter()
        .all(|s| matches!(s.patience, Some(crate::dist::Dist::Exponential { .. })))
}

/// Whether no customer ever abandons (no segment has a patience).
fn never_abandons(sc: &Scenario) -> bool {
    sc.segments.iter().all(|s| s.patience.is_none())
}

/// How long a desk of `servers` session slots, fed `rate_per_s` sessions of mean length
/// `session_s`, takes to forget its empty start, seconds. The M/M/n relaxation time
/// τ = S / (n (1 − √ρ)²), ρ = λS/n (the inverse spectral gap (√(nμ) − √λ)² of the
/// birth–death chain): in customers λτ = ρ / (1 − √ρ)², ~1 480 at ρ = 0.95 and ~4 250
/// at 0.97 whatever n, so an empty start plus a fixed customer count is too short near
/// ρ = 1. With abandonment (mean patience P) the queue also drains within about S + P,
/// so τ ≤ S + P; without, ρ is capped at [`MAX_RELAXATION_OCCUPANCY`].
pub fn relaxation_s(rate_per_s: f64, session_s: f64, servers: u32, patience_s: Option<f64>) -> f64 {
    let n = servers.max(1) as f64;
    let rho = rate_per_s * session_s / n;
    let mmn = |rho: f64| session_s / (n * (1.0 - rho.sqrt()).powi(2));
    match patience_s {
        Some(p) if rho < 1.0 => mmn(rho).min(session_s + p),
        Some(p) => session_s + p,
        None => mmn(rho.min(MAX_RELAXATION_OCCUPANCY)),
    }
}

/// How `staff` runs: the command's options, as a library call takes them.
#[derive(Clone, Debug)]
pub struct StaffSettings {
    pub confidence: Confidence,
    /// Replications a candidate starts with.
    pub replications: u32,
    /// Most replications an undecided candidate doubles up to.
    pub max_replications: u32,
    /// Expected arrivals per replication (the horizon's floor).
    pub customers: u32,
    /// Worker threads, 0 = one per core.
    pub threads: usize,
    /// Stops the search at the next replication's poll when set (the binary's
    /// SIGINT/SIGTERM flag; [`pipeline::NEVER_CANCELLED`] by default).
    pub cancel: &'static AtomicBool,
    /// Told of each candidate simulated and each rate staffed (from worker threads);
    /// `None` by default.
    pub progress: Option<ProgressHook>,
}

/// What [`StaffSettings::progress`] is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffProgress {
    /// A candidate was judged (simulated, or refused without simulating).
    Candidate,
    /// A rate's search ended: that many intervals are staffed.
    Staffed { intervals: usize },
}

/// A progress callback, shared by the worker threads.
#[derive(Clone)]
pub struct ProgressHook(pub std::sync::Arc<dyn Fn(StaffProgress) + Send + Sync>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

impl StaffSettings {
    fn tell(&self, event: StaffProgress) {
        if let Some(hook) = &self.progress {
            (hook.0)(event);
        }
    }
}

impl Default for StaffSettings {
    /// The command's defaults.
    fn default() -> Self {
        StaffSettings {
            confidence: Confidence::Conservative,
            replications: DEFAULT_REPLICATIONS,
            max_replications: DEFAULT_MAX_REPLICATIONS,
            customers: DEFAULT_CUSTOMERS,
            threads: 0,
            cancel: &pipeline::NEVER_CANCELLED,
            progress: None,
        }
    }
}

/// The intervals of `sc`'s arrivals: a profile's own; the measured window for Poisson;
/// a trace counted per `run.interval` over the whole run.
pub fn staff_intervals(sc: &Scenario) -> Vec<StaffInterval> {
    let end = SimTime::ZERO + sc.run.warmup + sc.run.horizon;
    match &sc.arrivals {
        Arrivals::Poisson { rate_per_hour } => vec![StaffInterval {
            start: SimTime::ZERO + sc.run.warmup,
            end,
            rate_per_hour: *rate_per_hour,
            aht: None,
        }],
        Arrivals::Profile { intervals } => intervals
            .iter()
            .map(|i| StaffInterval {
                start: i.start,
                end: i.end,
                rate_per_hour: i.rate_per_hour,
                aht: i.aht,
            })
            .collect(),
        Arrivals::Trace { times } => {
            let step = sc.run.interval.as_millis().max(1);
            let mut out = vec![];
            let mut start = 0;
            while start < end.as_millis() {
                let stop = (start + step).min(end.as_millis());
                let count = times
                    .iter()
                    .filter(|t| t.as_millis() >= start && t.as_millis() < stop)
                    .count();
                let hours = (stop - start) as f64 / 3_600_000.0;
                out.push(StaffInterval {
                    start: SimTime::from_millis(start),
                    end: SimTime::from_millis(stop),
                    rate_per_hour: count as f64 / hours,
                    aht: None,
                });
                start = stop;
            }
            out
        }
    }
}

/// An analytic mean session length for the turn model, in seconds: the only use is the
/// search's starting point. Per segment, with N̄ the mean message count, q = 1 − silent:
/// message m is reached with probability q^(m−1); each reached message costs a reply
/// ((1 − overlook)·R̄ + overlook·(reply interval + reaction)), R̄ the reply-time mean scaled
/// by the roster's mean speed factor and by the load slowdown at 80 % of the mean cap;
/// after each non-final reply the customer either ghosts (waits out the message interval)
/// or thinks min(T̄, message interval). Weighted by segment share.
pub fn analytic_session_s(sc: &Scenario) -> f64 {
    let n_agents = sc.agents.len().max(1) as f64;
    let speed = sc.agents.iter().map(|a| a.speed_factor).sum::<f64>() / n_agents;
    let cap = sc.agents.iter().map(|a| a.max_sessions as f64).sum::<f64>() / n_agents;
    let b = &sc.behaviour;
    let slow = 1.0 + b.load_slowdown * (0.8 * cap - 1.0).max(0.0);
    let reply = b.reply_time.mean() * speed * slow;
    let overlooked = match sc.thresholds.reply_interval {
        Some(ri) => ri.as_secs_f64() + b.reaction_time.mean(),
        None => b.overlook_delay.mean(),
    };
    let per_reply = (1.0 - b.overlook_prob) * reply + b.overlook_prob * overlooked;
    let mi = sc.thresholds.message_interval.map(|m| m.as_secs_f64());
    sc.segments
        .iter()
        .map(|seg| {
            let n = seg.messages.mean().max(1.0);
            let q = 1.0 - seg.silent_prob;
            let geo = |k: f64| {
                if q < 1.0 {
                    (1.0 - q.powf(k)) / (1.0 - q)
                } else {
                    k
                }
            };
            let think = mi.map_or(seg.think_time.mean(), |m| seg.think_time.mean().min(m));
            let gap = seg.silent_prob * mi.unwrap_or(0.0) + q * think;
            seg.share * (geo(n) * per_reply + geo(n - 1.0) * gap)
        })
        .sum()
}

/// What a candidate's simulation gave.
#[derive(Clone, Debug)]
struct Eval {
    meets: bool,
    /// The targets not met, as written back.
    unmet: Vec<String>,
    /// Each target metric, then occupancy.
    metrics: Vec<(String, Stat)>,
    /// Measured mean session length (Little's law), seconds; NaN when nobody connected.
    session_s: f64,
    /// Replications simulated (0: judged without simulating).
    replications: u32,
    window: Option<Window>,
}

impl Eval {
    /// A candidate that fails without a figure, for `why`.
    fn failed(why: &str, replications: u32, window: Option<Window>) -> Eval {
        Eval {
            meets: false,
            unmet: vec![why.to_string()],
            metrics: vec![],
            session_s: f64::NAN,
            replications,
            window,
        }
    }
}

/// The settings every candidate of a search shares.
struct Plan<'a> {
    sc: &'a Scenario,
    targets: &'a [Target],
    settings: &'a StaffSettings,
    seed: u64,
    /// Erlang A's patience, seconds (every segment has one).
    patience_s: Option<f64>,
    /// The forecast's AHT of the intervals staffed (holding model): the mean session
    /// time of the Erlang columns. `sc`'s holding time is already scaled to it.
    aht: Option<Millis>,
}

impl Plan<'_> {
    /// The Erlang C servers and agents for `rate` with mean session `session_s`.
    fn erlang_c(&self, rate_per_hour: f64, session_s: f64) -> (u32, u32) {
        let sl = erlang_service_level(self.targets);
        let t = self.sc.run.service_level_threshold.as_secs_f64();
        let servers = smallest_c_for_service_level(
            rate_per_hour / 3600.0,
            1.0 / session_s.max(1e-9),
            t,
            sl.min(1.0 - 1e-12),
        );
        (servers, agents_for_servers(&self.sc.agents, servers))
    }

    /// The Erlang A servers and agents, with finite patience: the fewest servers whose
    /// M/M/c+M model meets every target it can judge ([`erlang_a_targets`]).
    fn erlang_a(&self, rate_per_hour: f64, session_s: f64) -> Option<(u32, u32)> {
        let theta = 1.0 / self.patience_s?;
        let t = self.sc.run.service_level_threshold.as_secs_f64();
        let targets = erlang_a_targets(self.targets);
        let meets = |m: &ErlangA| {
            targets
                .iter()
                .all(|g| erlang_a_value(m, &g.metric, t).is_some_and(|v| g.holds_for(v)))
        };
        let lambda = rate_per_hour / 3600.0;
        let servers = smallest_c_for_erlang_a(lambda, 1.0 / session_s.max(1e-9), theta, meets)?;
        Some((servers, agents_for_servers(&self.sc.agents, servers)))
    }

    /// Σ session caps of the first `agents` agents of the interleaved order.
    fn servers(&self, agents: u32) -> u32 {
        interleaved_order(&self.sc.agents, agents as usize)
            .iter()
            .map(|(i, _)| self.sc.agents[*i].max_sessions)
            .sum()
    }

    /// Whether `servers` slots cannot keep up with sessions of mean `session_s`: at least
    /// as much offered load as slots, and nobody abandons.
    fn overloaded(&self, rate_per_hour: f64, session_s: f64, servers: u32) -> bool {
        never_abandons(self.sc) && rate_per_hour / 3600.0 * session_s >= servers as f64
    }

    /// [`Plan::overloaded`] where the session length is known exactly (holding model):
    /// such a candidate's queue grows without end, so it fails without simulating.
    fn unstable(&self, rate_per_hour: f64, session_s: f64, servers: u32) -> bool {
        matches!(self.sc.sessions, SessionModel::Holding { .. })
            && self.overloaded(rate_per_hour, session_s, servers)
    }

    /// The warm-up and horizon of a candidate with `servers` slots: 5 and 10 relaxation
    /// times at least ([`relaxation_s`]), the warm-up also max(10 min, 3 sessions), the
    /// horizon also the time for `--customers-per-replication` arrivals (30 min to 24 h).
    fn window(&self, rate_per_hour: f64, session_s: f64, servers: u32) -> Window {
        let rate_per_s = rate_per_hour / 3600.0;
        let tau = relaxation_s(rate_per_s, session_s, servers, self.patience_s);
        let warmup_s = (3.0 * session_s).max(600.0).max(WARMUP_RELAXATIONS * tau);
        let horizon_s = (self.settings.customers as f64 / rate_per_s)
            .clamp(1800.0, 24.0 * 3600.0)
            .max(HORIZON_RELAXATIONS * tau);
        Window {
            warmup: Millis::from_secs_f64_rounded(warmup_s),
            horizon: Millis::from_secs_f64_rounded(horizon_s),
        }
    }

    /// The stationary sub-scenario of `rate` with `agents` agents over `window`.
    fn sub_scenario(&self, rate_per_hour: f64, agents: u32, window: Window) -> Scenario {
        let end = SimTime::ZERO + window.warmup + window.horizon;
        let mut sub = self.sc.clone();
        sub.run.warmup = window.warmup;
        sub.run.horizon = window.horizon;
        sub.run.interval = window.horizon;
        sub.run.replications = self.settings.replications;
        sub.run.seed = self.seed;
        // The time limit scales with the whole run, warm-up included.
        sub.run.max_sim_time = end.since_epoch().saturating_mul(20);
        sub.arrivals = Arrivals::Poisson { rate_per_hour };
        sub.agents = scaled_roster(&self.sc.agents, agents as usize, end);
        sub
    }

    /// Simulates a candidate: `--replications` first, doubling while undecided up to
    /// `--max-replications`, then judged under the chosen confidence (decided: the mean
    /// and the conservative end agree; undecided at the maximum: each its own).
    fn evaluate(&self, rate_per_hour: f64, agents: u32, window: Window) -> anyhow::Result<Eval> {
        let sub = self.sub_scenario(rate_per_hour, agents, window);
        let max = self
            .settings
            .max_replications
            .max(self.settings.replications);
        let looks = looks(self.settings.replications, max);
        let started = Instant::now();
        let mut reps: Vec<RepMetrics> = vec![];
        let mut controls: Vec<Vec<f64>> = vec![];
        let mut want = self.settings.replications;
        // Each target metric, then occupancy: what is judged and shown.
        let mut names: Vec<&str> = vec![];
        for name in self
            .targets
            .iter()
            .map(|t| t.metric.as_str())
            .chain([Metric::Occupancy.name()])
        {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let (summary, judged) = loop {
            match run_replications(&sub, reps.len() as u32..want, self.settings.cancel) {
                Ok(more) => {
                    for (m, c) in more {
                        reps.push(m);
                        controls.push(c);
                    }
                }
                // A desk so short of agents that it cannot drain within the limits fails.
                Err(
                    SimError::EventLimit { .. }
                    | SimError::TimeLimit { .. }
                    | SimError::Overloaded { .. },
                ) => {
                    return Ok(Eval::failed(
                        "the run's event or time limit",
                        want,
                        Some(window),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
            let summary = summarize(&sub, self.seed, &reps, started.elapsed().as_secs_f64());
            let judged = judge(&summary, &controls, &names);
            if want >= max || verdict(self.targets, &judged, looks) != Verdict::Undecided {
                break (summary, judged);
            }
            want = want.saturating_mul(2).min(max);
        };
        let get = |name: &str| summary.metrics.get(name).cloned();
        let unmet: Vec<String> = self
            .targets
            .iter()
            .filter(|t| {
                !judged
                    .iter()
                    .find(|j| j.metric == t.metric)
                    .is_some_and(|j| t.holds(&j.stat, self.settings.confidence))
            })
            .map(|t| t.to_string())
            .collect();
        let metrics: Vec<(String, Stat)> = judged.into_iter().map(|j| (j.metric, j.stat)).collect();
        let mean = |n: &str| get(n).map_or(f64::NAN, |s| s.mean);
        let connected = mean(Metric::Connected.name());
        let session_s = if connected > 0.0 {
            mean(Metric::MeanConcurrentSessions.name()) * summary.horizon_s / connected
        } else {
            f64::NAN
        };
        Ok(Eval {
            meets: unmet.is_empty(),
            unmet,
            metrics,
            session_s,
            replications: reps.len() as u32,
            window: Some(window),
        })
    }

    /// Staffs one rate: the search, then the Erlang comparisons.
    fn staff_rate(&self, rate_per_hour: f64) -> anyhow::Result<RatePlan> {
        let holding_s = match &self.sc.sessions {
            SessionModel::Holding { holding_time } => Some(
                self.aht
                    .map_or_else(|| holding_time.mean(), |a| a.as_secs_f64()),
            ),
            SessionModel::Turns => None,
        };
        let session_est_s = holding_s.unwrap_or_else(|| analytic_session_s(self.sc));
        if rate_per_hour <= 0.0 {
            return Ok(RatePlan {
                rate_per_hour,
                required_agents: Some(0),
                required_sessions: Some(0),
                erlang_c_agents: 0,
                erlang_c_servers: 0,
                erlang_a: self.patience_s.map(|_| (0, 0)),
                erlang_session_s: session_est_s,
                search_start: 0,
                simulated: vec![],
                replications: 0,
                replications_total: 0,
                window: None,
                achieved: vec![],
                unmet: vec![],
            });
        }
        // Erlang A is the exact model only for exponential patience; otherwise (it
        // over-states abandonment at short waits) Erlang C is the better first guess.
        let (_, c_start) = self.erlang_c(rate_per_hour, session_est_s);
        let a_start = if exponential_patience(self.sc) {
            self.erlang_a(rate_per_hour, session_est_s)
        } else {
            None
        };
        let start = a_start.map_or(c_start, |(_, agents)| agents).max(1);
        // No desk may have more agents than the engine takes: a load that needs more is
        // unstaffable, found at once instead of after minutes of simulating giant desks.
        let most = crate::scenario::MAX_AGENTS as u32;
        let cap = start.saturating_mul(4).saturating_add(10).min(most);
        let start = start.min(most);
        // Candidates from one below the start up share one window (common random numbers
        // over the same measured customers where the decision usually falls); fewer
        // agents, slower to forget the start, get their own longer one.
        let shared = [start.saturating_sub(1), start]
            .into_iter()
            .map(|k| self.servers(k))
            .find(|&n| n > 0 && !self.overloaded(rate_per_hour, session_est_s, n))
            .unwrap_or(u32::MAX);
        let mut evals: BTreeMap<u32, Eval> = BTreeMap::new();
        let mut simulated = vec![];
        let required = search(start, cap, |k| {
            let servers = self.servers(k);
            let e = if c_start > most {
                Eval::failed(
                    "the offered load needs more agents than a scenario may have (1 000 000)",
                    0,
                    None,
                )
            } else if self.unstable(rate_per_hour, session_est_s, servers) {
                Eval::failed(
                    "offered load at or above capacity, and nobody abandons",
                    0,
                    None,
                )
            } else {
                let window = self.window(rate_per_hour, session_est_s, servers.min(shared));
                self.evaluate(rate_per_hour, k, window)?
            };
            let meets = e.meets;
            evals.insert(k, e);
            simulated.push(k);
            self.settings.tell(StaffProgress::Candidate);
            Ok(meets)
        })?;
        let shown = required.or_else(|| evals.keys().next_back().copied());
        let at = shown.and_then(|k| evals.get(&k));
        let erlang_session_s = match (holding_s, at) {
            (Some(h), _) => h,
            (None, Some(e)) if e.session_s.is_finite() => e.session_s,
            _ => session_est_s,
        };
        let (erlang_c_servers, erlang_c_agents) = self.erlang_c(rate_per_hour, erlang_session_s);
        Ok(RatePlan {
            rate_per_hour,
            required_agents: required,
            required_sessions: required.map(|k| self.servers(k)),
            erlang_c_agents,
            erlang_c_servers,
            erlang_a: self
                .erlang_a(rate_per_hour, erlang_session_s)
                .map(|(servers, agents)| (agents, servers)),
            erlang_session_s,
            search_start: start,
            simulated,
            replications: at.map_or(0, |e| e.replications),
            replications_total: evals.values().map(|e| e.replications).sum(),
            window: at.and_then(|e| e.window),
            achieved: at.map(|e| e.metrics.clone()).unwrap_or_default(),
            unmet: match required {
                Some(_) => vec![],
                None => at.map(|e| e.unmet.clone()).unwrap_or_default(),
            },
        })
    }
}

/// One staffing search: an arrival rate and, from a forecast, an AHT. Intervals with the
/// same load share one search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    pub rate_per_hour: f64,
    pub aht: Option<Millis>,
}

impl Load {
    fn of(i: &StaffInterval) -> Load {
        Load {
            rate_per_hour: i.rate_per_hour,
            aht: i.aht,
        }
    }

    fn same(&self, other: &Load) -> bool {
        self.rate_per_hour.to_bits() == other.rate_per_hour.to_bits() && self.aht == other.aht
    }
}

/// The distinct loads of `sc`'s intervals, by rate then AHT: the units of `staff` (each
/// search is independent of the others, so a load can be staffed in any process,
/// docs/scale-out.md).
pub fn staff_loads(sc: &Scenario) -> Vec<Load> {
    let mut loads: Vec<Load> = staff_intervals(sc).iter().map(Load::of).collect();
    loads.sort_by(|a, b| {
        a.rate_per_hour
            .total_cmp(&b.rate_per_hour)
            .then(a.aht.cmp(&b.aht))
    });
    loads.dedup_by(|a, b| a.same(b));
    loads
}

/// `sc` with its holding time scaled to the mean `aht`; `sc` itself, borrowed, without one.
fn with_aht(sc: &Scenario, aht: Option<Millis>) -> Cow<'_, Scenario> {
    let (Some(aht), SessionModel::Holding { holding_time }) = (aht, &sc.sessions) else {
        // Nothing to scale: the scenario itself, not a copy of it and its forecast.
        return Cow::Borrowed(sc);
    };
    match holding_time.with_mean(aht.as_secs_f64()) {
        Some(scaled) => {
            let mut out = sc.clone();
            out.sessions = SessionModel::Holding {
                holding_time: scaled,
            };
            Cow::Owned(out)
        }
        None => Cow::Borrowed(sc),
    }
}

/// Searches the staffing of each of `loads` (a range of [`staff_loads`]) in parallel on
/// `settings.threads` threads; the plans in the order of `loads`.
pub fn staff_load_plans(
    sc: &Scenario,
    targets: &[Target],
    settings: &StaffSettings,
    loads: &[Load],
) -> anyhow::Result<Vec<RatePlan>> {
    for t in targets {
        check_staffing_target(t)?;
    }
    let intervals = staff_intervals(sc);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .context("starting worker threads")?;
    // Busiest first, so the longest searches start early.
    let mut plans: Vec<RatePlan> = pool.install(|| {
        loads
            .par_iter()
            .rev()
            .map(|load| {
                // The scenario the load is staffed on: its holding time scaled to the
                // load's AHT (the loader checked it can be), so the simulated candidates
                // and the Erlang columns use the same session time. Made per load and
                // dropped with it: a year of half-hours with an AHT each would otherwise
                // hold thousands of copies of the scenario and its forecast at once. A
                // load without an AHT borrows the scenario.
                let on = &*with_aht(sc, load.aht);
                let plan = Plan {
                    sc: on,
                    targets,
                    settings,
                    seed: sc.run.seed,
                    patience_s: erlang_patience_s(sc),
                    aht: load.aht,
                };
                let p = plan.staff_rate(load.rate_per_hour)?;
                let intervals = intervals.iter().filter(|i| Load::of(i).same(load)).count();
                settings.tell(StaffProgress::Staffed { intervals });
                Ok(p)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    plans.reverse();
    Ok(plans)
}

/// Every interval of `sc` with the plan of its load (`plans[k]` staffs `loads[k]`).
pub fn assign_plans(
    sc: &Scenario,
    loads: &[Load],
    plans: &[RatePlan],
) -> Vec<(StaffInterval, RatePlan)> {
    staff_intervals(sc)
        .into_iter()
        .map(|i| {
            let k = loads
                .iter()
                .position(|l| l.same(&Load::of(&i)))
                .expect("every load staffed");
            (i, plans[k].clone())
        })
        .collect()
}

/// Staffs every interval of `sc` (intervals with equal rates and AHTs share one search),
/// the searches and their replications running in parallel on `settings.threads`
/// threads. Fails on a target that does not get easier with more agents
/// ([`check_staffing_target`]).
pub fn staff(
    sc: &Scenario,
    targets: &[Target],
    settings: &StaffSettings,
) -> anyhow::Result<Vec<(StaffInterval, RatePlan)>> {
    let loads = staff_loads(sc);
    let plans = staff_load_plans(sc, targets, settings, &loads)?;
    Ok(assign_plans(sc, &loads, &plans))
}

/// A staffing command checked and ready to run: the scenario, its targets and settings.
pub struct StaffSetup {
    pub sc: Scenario,
    pub targets: Vec<Target>,
    pub settings: StaffSettings,
}

/// Checks every input of `chatsim staff` (scenario, targets, output directory) before
/// anything runs.
pub fn setup(args: &StaffArgs, cancel: &'static AtomicBool) -> anyhow::Result<StaffSetup> {
    let (input, output) = (&args.input, &args.output);
    let overrides = args.set.overrides()?;
    let sc = pipeline::load(&input.scenario, input.seed, None, overrides.clone())?;
    let targets = parse_staff_targets(&args.targets, &metric_names(&sc))?;
    if let Some(out) = &output.out {
        check_target(out, output.force)?;
    }
    for t in &targets {
        check_staffing_target(t)?;
    }
    skill_groups::check_queue_targets(&sc, &targets)?;
    let settings = StaffSettings {
        confidence: args.confidence,
        replications: args.replications,
        max_replications: args.max_replications.max(args.replications),
        customers: args.customers_per_replication,
        threads: input.threads,
        cancel,
        progress: None,
    };
    Ok(StaffSetup {
        sc,
        targets,
        settings,
    })
}

/// Runs `chatsim staff`: exit 0 when every interval is staffed, 1 when one cannot be
/// (after printing and writing the result), 2 (an error) on bad input (`--plan` is
/// [`shard::plan_staff`](super::shard::plan_staff)'s).
pub fn run(args: &StaffArgs, cancel: &'static AtomicBool) -> anyhow::Result<ExitCode> {
    let StaffSetup {
        sc,
        targets,
        mut settings,
    } = setup(args, cancel)?;
    debug_assert!(args.plan.plan.is_none(), "--plan is shard::plan_staff's");
    if targets.iter().any(|t| t.queue.is_some()) {
        return staff_per_queue(args, &sc, &targets, &settings, cancel);
    }
    let bar = progress_bar(staff_intervals(&sc).len());
    let hook = {
        let bar = bar.clone();
        let candidates = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        ProgressHook(std::sync::Arc::new(move |event| match event {
            StaffProgress::Candidate => {
                let n = candidates.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set_message(format!("{n} candidates simulated"));
            }
            StaffProgress::Staffed { intervals } => bar.inc(intervals as u64),
        }))
    };
    settings.progress = Some(hook);
    let intervals = staff(&sc, &targets, &settings);
    // Cleared on an error too, so the message is not printed behind a half-drawn bar.
    bar.finish_and_clear();
    report(args, &sc, targets, &settings, intervals?, cancel)
}

/// `staff` with per-queue targets: the skill groups' head-counts for the whole run at
/// its peak rate ([`skill_groups::staff_groups`]), printed and written like the
/// one-queue staffing (exit 1 when no desk within the caps meets every target).
fn staff_per_queue(
    args: &StaffArgs,
    sc: &Scenario,
    targets: &[Target],
    settings: &StaffSettings,
    cancel: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    let s = skill_groups::staff_groups(sc, targets, settings)?;
    let output = &args.output;
    let written = match &output.out {
        Some(out) => {
            let files = vec![
                (
                    "staffing_groups.csv".to_string(),
                    skill_groups::groups_csv(&s)?,
                ),
                (
                    "staffing_queues.csv".to_string(),
                    skill_groups::queues_csv(&s)?,
                ),
            ];
            write_outputs(out, output.force, &files, cancel)
                .with_context(|| format!("writing the staffing to {}", out.display()))?;
            format!("staffing written to {}\n", out.display())
        }
        None => "(add --out DIR to write staffing_groups.csv and staffing_queues.csv)\n".into(),
    };
    if args.json {
        let json = serde_json::to_string_pretty(&skill_groups::groups_json(&s))?;
        print_out(&format!("{json}\n"), cancel)?;
    } else {
        print_out(&skill_groups::groups_table(&s), cancel)?;
        print_out(&written, cancel)?;
    }
    Ok(if s.staffed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints and writes a finished staffing, and gives its exit status: what `staff` and
/// the merge of a sharded staffing do last.
pub fn report(
    args: &StaffArgs,
    sc: &Scenario,
    targets: Vec<Target>,
    settings: &StaffSettings,
    intervals: Vec<(StaffInterval, RatePlan)>,
    cancel: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    let output = &args.output;
    let shrinkage = args.shrinkage.unwrap_or(sc.staffing.shrinkage);
    let roster = intervals
        .iter()
        .map(|(i, _)| roster_cover(&sc.agents, i.start, i.end))
        .collect();
    let result = StaffingResult {
        intervals,
        targets,
        confidence: args.confidence,
        clock: sc.run.clock,
        seed: sc.run.seed,
        replications: settings.replications,
        max_replications: settings.max_replications,
        service_level_threshold_s: sc.run.service_level_threshold.as_secs_f64(),
        holding_model: matches!(sc.sessions, SessionModel::Holding { .. }),
        patience_s: erlang_patience_s(sc),
        shrinkage,
        roster,
        rule_of_thumb: RuleOfThumb::of_roster(&sc.agents),
    };
    // The files first, then the table: a reader that closes stdout early (`| head`)
    // cannot lose the results.
    let written = match &output.out {
        Some(out) => {
            let files = vec![
                ("staffing.csv".to_string(), staffing_csv(&result)?),
                (
                    "staffing.svg".to_string(),
                    staffing_svg(&result).into_bytes(),
                ),
                (
                    "staffing_gap.svg".to_string(),
                    staffing_gap_svg(&result).into_bytes(),
                ),
            ];
            write_outputs(out, output.force, &files, cancel)
                .with_context(|| format!("writing the staffing to {}", out.display()))?;
            format!("staffing written to {}\n", out.display())
        }
        None => {
            "(add --out DIR to write staffing.csv, staffing.svg and staffing_gap.svg)\n".to_string()
        }
    };
    if args.json {
        // Stdout holds the JSON alone.
        let json = staffing_json(&result)?;
        print_out(&String::from_utf8_lossy(&json), cancel)?;
    } else {
        print_out(&staffing_table(&result), cancel)?;
        print_out(&written, cancel)?;
    }
    Ok(if result.all_staffed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A progress bar of intervals staffed, with the candidates simulated so far, on stderr
/// (drawn only on a terminal).
fn progress_bar(intervals: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(intervals as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} intervals staffed, {msg}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message("0 candidates simulated");
    bar
}

#[cfg(test)]
mod tests {
    use super::controls::*;
    use super::roster::*;
    use super::*;
    use crate::engine::{QueueId, Skill};
    use crate::math::student_t_quantile;
    use crate::scenario::AgentSpec;
    use crate::sim::presets::holding_mmc;

    fn roster(groups: &[(u16, u32, usize)]) -> Vec<AgentSpec> {
        let mut out = vec![];
        for &(g, max, n) in groups {
            for _ in 0..n {
                out.push(AgentSpec {
                    name: format!("A{}", out.len()),
                    group: g,
                    max_sessions: max,
                    shift_start: SimTime::ZERO,
                    shift_end: SimTime::from_millis(1),
                    breaks: vec![],
                    speed_factor: 1.0,
                    skills: vec![Skill {
                        queue: QueueId(0),
                        level: 1,
                    }],
                });
            }
        }
        out
    }

    #[test]
    fn interleaving_keeps_the_group_mix_at_every_size() {
        // Groups of 4, 2 and 2 agents: shares 1/2, 1/4, 1/4.
        let r = roster(&[(0, 3, 4), (1, 2, 2), (2, 4, 2)]);
        let order = interleaved_order(&r, 16);
        let groups: Vec<u16> = order.iter().map(|(i, _)| r[*i].group).collect();
        assert_eq!(&groups[..8], &[0, 1, 2, 0, 0, 1, 2, 0]);
        for k in 1..=16 {
            let of = |g| groups[..k].iter().filter(|&&x| x == g).count() as f64;
            assert!((of(0) - k as f64 / 2.0).abs() <= 1.0, "k {k}");
            assert!((of(1) - k as f64 / 4.0).abs() <= 1.0, "k {k}");
        }
        // The first 8 are the roster itself; then copies.
        let mut first: Vec<usize> = order[..8].iter().map(|(i, _)| *i).collect();
        first.sort();
        assert_eq!(first, (0..8).collect::<Vec<_>>());
        assert!(order[8..].iter().all(|(_, copy)| *copy == 1));
        // Candidate k + 1 is candidate k plus one agent.
        assert_eq!(interleaved_order(&r, 5), order[..5].to_vec());
    }

    #[test]
    fn erlang_servers_become_agents_by_their_caps() {
        let r = roster(&[(0, 3, 1), (1, 1, 1)]);
        // Order: the 3-session agent, the 1-session one, then copies: caps 3, 1, 3, 1, …
        assert_eq!(agents_for_servers(&r, 0), 0);
        assert_eq!(agents_for_servers(&r, 3), 1);
        assert_eq!(agents_for_servers(&r, 4), 2);
        assert_eq!(agents_for_servers(&r, 5), 3);
        assert_eq!(agents_for_servers(&r, 400), 200);
        let single = roster(&[(0, 1, 3)]);
        assert_eq!(agents_for_servers(&single, 29), 29);
    }

    #[test]
    fn search_brackets_then_bisects_without_simulating_every_candidate() {
        for answer in [1u32, 2, 7, 30, 31, 64, 100, 333] {
            for start in [1u32, 5, 30, 90, 200] {
                let mut asked = vec![];
                let got = search(start, 2000, |k| {
                    asked.push(k);
                    Ok(k >= answer)
                })
                .unwrap();
                assert_eq!(got, Some(answer), "start {start}");
                let mut unique = asked.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), asked.len(), "no candidate twice: {asked:?}");
                let distance = (answer as f64 - start as f64).abs() + 1.0;
                assert!(
                    asked.len() as f64 <= 2.0 * distance.log2().ceil() + 3.0,
                    "answer {answer} start {start}: {asked:?}"
                );
            }
        }
        // The usual case, one agent off the Erlang C start: three simulations.
        let mut asked = vec![];
        search(10, 50, |k| {
            asked.push(k);
            Ok(k >= 9)
        })
        .unwrap();
        assert_eq!(asked, vec![10, 9, 8]);
        let mut asked = vec![];
        let unreachable = search(10, 50, |k| {
            asked.push(k);
            Ok(false)
        });
        assert_eq!(unreachable.unwrap(), None);
        assert_eq!(asked, vec![10, 11, 12, 50], "gives up after the cap fails");
        assert_eq!(search(10, 50, |_| Ok(true)).unwrap(), Some(1));
    }

    #[test]
    fn profile_intervals_or_the_window_are_staffed() {
        let sc = holding_mmc(3, 120.0, 60.0, None, 7200, 600);
        let iv = staff_intervals(&sc);
        assert_eq!(
            iv,
            vec![StaffInterval {
                start: SimTime::from_secs(600),
                end: SimTime::from_secs(7800),
                rate_per_hour: 120.0,
                aht: None,
            }]
        );
        let mut trace = sc.clone();
        trace.run.interval = Millis::from_secs(3900);
        trace.arrivals = Arrivals::Trace {
            times: vec![
                SimTime::from_secs(1),
                SimTime::from_secs(2),
                SimTime::from_secs(4000),
            ],
        };
        let iv = staff_intervals(&trace);
        assert_eq!(iv.len(), 2);
        assert!((iv[0].rate_per_hour - 2.0 / (3900.0 / 3600.0)).abs() < 1e-9);
    }

    #[test]
    fn analytic_session_length_is_the_turn_sum() {
        let mut sc = crate::sim::presets::turns_desk(2, 1, 100);
        // 5 messages on average, no ghosts, no overlook, no slowdown:
        // 5 replies of 30 s + 4 thinks of 40 s = 310 s.
        sc.segments[0].messages = crate::dist::Dist::Constant { value: 5.0 };
        sc.segments[0].silent_prob = 0.0;
        sc.behaviour.overlook_prob = 0.0;
        sc.behaviour.load_slowdown = 0.0;
        assert!((analytic_session_s(&sc) - 310.0).abs() < 1e-9);
    }

    #[test]
    fn every_run_level_metric_has_a_staffing_response() {
        for sc in [
            holding_mmc(3, 120.0, 60.0, Some(60.0), 3600, 600),
            crate::sim::presets::turns_desk(4, 2, 3600),
        ] {
            for name in crate::tools::check::metric_names(&sc) {
                let m = Metric::parse(&name).expect("a catalogued metric");
                assert!(
                    m.staffing().is_some(),
                    "{name}: give it a staffing response in the catalogue"
                );
            }
        }
        // A ratio offered instead of a total is itself a valid target.
        for m in Metric::ALL {
            if let Some(Response::Total { instead }) = m.staffing() {
                assert!(
                    matches!(
                        staffing_response(instead.name()),
                        Response::Rises | Response::Falls
                    ),
                    "{m} points to {instead}"
                );
            }
        }
    }

    #[test]
    fn targets_must_get_easier_with_more_agents() {
        let valid = crate::tools::check::metric_names(&holding_mmc(3, 1.0, 1.0, None, 60, 0));
        let parse = |t: &str| parse_staff_targets(&[t.to_string()], &valid);
        // A bare `=` takes the direction that improves with agents.
        let t = &parse("occupancy=0.85").unwrap()[0];
        assert_eq!(
            (t.direction, t.to_string().as_str()),
            (Direction::AtMost, "occupancy<=0.85")
        );
        assert_eq!(
            parse("service_level=0.8").unwrap()[0].direction,
            Direction::AtLeast
        );
        assert_eq!(parse("asa_s=30").unwrap()[0].direction, Direction::AtMost);
        for ok in ["service_level>=0.8", "abandon_ratio<0.05", "wait_s_p90<=60"] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("occupancy>=0.85", "occupancy<=0.85"),
            ("p_wait>0.1", "p_wait<=0.1"),
            ("service_level<=0.95", "service_level>=0.95"),
            ("offered>=10", "set by the arrivals"),
            ("events<=5", "simulator's own work"),
            ("abandoned<=3", Metric::AbandonRatio.name()),
            ("premature_disconnects<=2", "message interval"),
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("target \"{bad}\"")) && e.contains(says),
                "{bad}: {e}"
            );
        }
        // The library call refuses them too.
        let wrong = Target::parse("occupancy>=0.85").unwrap();
        let sc = holding_mmc(3, 120.0, 60.0, None, 60, 0);
        assert!(staff(&sc, &[wrong], &StaffSettings::default()).is_err());
    }

    #[test]
    fn relaxation_time_grows_sharply_near_full_occupancy() {
        // In customers, λτ = ρ / (1 − √ρ)², whatever the desk's size.
        for n in [5u32, 100, 1000] {
            let (s, rho) = (600.0, 0.97);
            let lambda = rho * n as f64 / s;
            let customers = lambda * relaxation_s(lambda, s, n, None);
            assert!((customers - 4246.0).abs() < 1.0, "n {n}: {customers}");
        }
        let at = |rho: f64| {
            let lambda = rho * 50.0 / 600.0;
            lambda * relaxation_s(lambda, 600.0, 50, None)
        };
        assert!(at(0.8) < 80.0 && at(0.95) > 1400.0 && at(0.97) > 2.5 * at(0.95));
        // Capped without abandonment, bounded by S + P with it.
        let seconds = |rho: f64| relaxation_s(rho * 50.0 / 600.0, 600.0, 50, None);
        assert_eq!(seconds(0.995), seconds(MAX_RELAXATION_OCCUPANCY));
        assert_eq!(seconds(1.5), seconds(MAX_RELAXATION_OCCUPANCY));
        let lambda = 0.97 * 50.0 / 600.0;
        assert_eq!(relaxation_s(lambda, 600.0, 50, Some(300.0)), 900.0);
        assert_eq!(relaxation_s(2.0 * lambda, 600.0, 50, Some(300.0)), 900.0);
        assert!(relaxation_s(0.5 * lambda, 600.0, 50, Some(300.0)) < 900.0);
    }

    #[test]
    fn replications_added_in_batches_summarize_like_one_run() {
        let mut sc = holding_mmc(4, 180.0, 60.0, Some(90.0), 1800, 300);
        sc.run.seed = 9;
        let one = run_replications(&sc, 0..6, &pipeline::NEVER_CANCELLED).unwrap();
        let mut batched = run_replications(&sc, 0..2, &pipeline::NEVER_CANCELLED).unwrap();
        batched.extend(run_replications(&sc, 2..6, &pipeline::NEVER_CANCELLED).unwrap());
        let controls = |reps: &[(RepMetrics, Vec<f64>)]| -> Vec<Vec<f64>> {
            reps.iter().map(|(_, c)| c.clone()).collect()
        };
        assert_eq!(controls(&one), controls(&batched));
        let one: Vec<RepMetrics> = one.into_iter().map(|(m, _)| m).collect();
        let batched: Vec<RepMetrics> = batched.into_iter().map(|(m, _)| m).collect();
        let figures = |reps: &[RepMetrics]| {
            let s = summarize(&sc, sc.run.seed, reps, 0.0);
            s.metrics
                .iter()
                .filter(|(n, _)| !n.is_wall_clock())
                .map(|(n, st)| (n.to_string(), st.mean, st.ci95_half_width))
                .collect::<Vec<_>>()
        };
        assert_eq!(figures(&one), figures(&batched));
    }

    #[test]
    fn a_candidate_is_undecided_while_a_ci_contains_its_target() {
        let summary = |sl: (f64, f64), ab: (f64, f64)| {
            [(Metric::ServiceLevel, sl), (Metric::AbandonRatio, ab)]
                .into_iter()
                .map(|(name, (mean, hw))| Judged {
                    metric: name.name().to_string(),
                    stat: Stat {
                        mean,
                        ci95_half_width: hw,
                        per_replication: vec![mean; 8],
                    },
                    df: 7.0,
                })
                .collect::<Vec<_>>()
        };
        let targets = [
            Target::parse("service_level>=0.8").unwrap(),
            Target::parse("abandon_ratio<=0.05").unwrap(),
        ];
        let v = |sl, ab| verdict(&targets, &summary(sl, ab), 1);
        assert_eq!(v((0.85, 0.02), (0.02, 0.01)), Verdict::Meets);
        assert_eq!(v((0.81, 0.02), (0.02, 0.01)), Verdict::Undecided);
        assert_eq!(v((0.81, 0.02), (0.045, 0.01)), Verdict::Undecided);
        // One target clearly missed decides, whatever the others.
        assert_eq!(v((0.81, 0.02), (0.07, 0.01)), Verdict::Fails);
        assert_eq!(v((0.70, 0.02), (0.02, 0.01)), Verdict::Fails);
        // Looked at five times, each look judges a wider CI (Bonferroni): a margin of
        // 1.2 half-widths no longer decides.
        let wide = |sl: (f64, f64)| verdict(&targets, &summary(sl, (0.02, 0.01)), 5);
        assert_eq!(v((0.824, 0.02), (0.02, 0.01)), Verdict::Meets);
        assert_eq!(wide((0.824, 0.02)), Verdict::Undecided);
        assert_eq!(wide((0.86, 0.02)), Verdict::Meets);
        assert_eq!(
            (looks(8, 128), looks(8, 8), looks(10, 128), looks(2, 3)),
            (5, 1, 5, 2)
        );
    }

    #[test]
    fn control_variate_mean_by_hand() {
        // n = 4, one control of known mean 0: x = (−1, 1, −1, 3), y = (1, 3, 2, 6).
        // x̄ = 0.5, ȳ = 3; centred x = (−1.5, 0.5, −1.5, 2.5), centred y = (−2, 0, −1, 3).
        // Sxx = 2.25 + 0.25 + 2.25 + 6.25 = 11, Sxy = 3 + 0 + 1.5 + 7.5 = 12, β = 12/11.
        // Mean: ȳ − β x̄ = 3 − 6/11 = 27/11.
        // SSE = Syy − β Sxy = 14 − 144/11 = 10/11; df = 4 − 1 − 1 = 2; s² = 5/11.
        // var = s² (1/4 + 0.5²/11) = 5/11 · 12/44 = 15/121; half-width t(0.975, 2) √15 / 11.
        let y = [1.0, 3.0, 2.0, 6.0];
        let x: Vec<Vec<f64>> = [-1.0, 1.0, -1.0, 3.0].iter().map(|&v| vec![v]).collect();
        let (mean, hw, df) = controlled_estimate(&y, &x).unwrap();
        assert!((mean - 27.0 / 11.0).abs() < 1e-12, "{mean}");
        assert_eq!(df, 2.0);
        let t = student_t_quantile(0.975, 2.0);
        assert!((t - 4.302_653).abs() < 1e-5, "{t}");
        assert!((hw - t * 15f64.sqrt() / 11.0).abs() < 1e-12, "{hw}");
        // A duplicated control and a constant one are left out: the same answer.
        let x2: Vec<Vec<f64>> = x.iter().map(|r| vec![r[0], 0.0, 2.0 * r[0]]).collect();
        assert_eq!(controlled_estimate(&y, &x2), Some((mean, hw, df)));
        // No usable control: the plain mean and its CI (ȳ = 3, s² = 14/3, df 3).
        let none: Vec<Vec<f64>> = vec![vec![0.0]; 4];
        let (m0, hw0, df0) = controlled_estimate(&y, &none).unwrap();
        let plain = student_t_quantile(0.975, 3.0) * (14.0f64 / 3.0 / 4.0).sqrt();
        assert_eq!((m0, df0), (3.0, 3.0));
        assert!((hw0 - plain).abs() < 1e-12);
        // A figure the control explains exactly: y = 2 + 3x, so the mean is 2, no error.
        let exact: Vec<f64> = x.iter().map(|r| 2.0 + 3.0 * r[0]).collect();
        let (m1, hw1, _) = controlled_estimate(&exact, &x).unwrap();
        assert!((m1 - 2.0).abs() < 1e-12 && hw1 < 1e-6, "{m1} ± {hw1}");
        // Undefined figures: no estimate.
        assert_eq!(controlled_estimate(&[1.0, f64::NAN, 2.0, 3.0], &x), None);
    }

    #[test]
    fn the_controls_have_mean_zero() {
        // 4.5 Erlangs on 5 agents (exponential holding: arrival and departure controls).
        // Each control's mean over the replications must be within 4.5 standard errors
        // of 0 (a biased control would shift every estimate).
        let mut sc = holding_mmc(5, 270.0, 60.0, None, 7200, 1800);
        sc.run.seed = 5;
        let reps = run_replications(&sc, 0..64, &pipeline::NEVER_CANCELLED).unwrap();
        let n = reps.len() as f64;
        assert_eq!(reps[0].1.len(), 6);
        for j in 0..6 {
            let v: Vec<f64> = reps.iter().map(|(_, c)| c[j]).collect();
            let mean = v.iter().sum::<f64>() / n;
            let sd = (v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            assert!(sd > 0.0, "control {j} moves");
            assert!(
                mean.abs() < 4.5 * sd / n.sqrt(),
                "control {j}: {mean} (sd {sd})"
            );
        }
        // The arrival count control is the count minus λ × window.
        let offered = reps[0].0.scalars()[0];
        assert_eq!(offered.0, Metric::Offered);
        assert!((reps[0].1[0] - (offered.1 - 270.0 * 2.0)).abs() < 1e-6);
        // Without exponential holding, arrival controls only; a trace has none.
        let mut turns = crate::sim::presets::turns_desk(2, 1, 600);
        turns.run.warmup = Millis::from_secs(60);
        assert_eq!(
            run_replications(&turns, 0..1, &pipeline::NEVER_CANCELLED).unwrap()[0]
                .1
                .len(),
            3
        );
        turns.arrivals = Arrivals::Trace {
            times: vec![SimTime::from_secs(100)],
        };
        assert!(
            run_replications(&turns, 0..1, &pipeline::NEVER_CANCELLED).unwrap()[0]
                .1
                .is_empty()
        );
    }

    #[test]
    fn replications_double_only_while_undecided() {
        let sc = holding_mmc(5, 240.0, 60.0, None, 3600, 600);
        let settings = StaffSettings::default();
        let reps_for = |target: &str| {
            let targets = [Target::parse(target).unwrap()];
            let plan = Plan {
                sc: &sc,
                targets: &targets,
                settings: &settings,
                seed: 3,
                patience_s: None,
                aht: None,
            };
            let window = plan.window(240.0, 60.0, 5);
            plan.evaluate(240.0, 5, window).unwrap().replications
        };
        // 4 Erlangs on 5 agents: SL(20 s) = 0.603 (Erlang C).
        assert_eq!(reps_for("service_level>=0.2"), DEFAULT_REPLICATIONS);
        assert_eq!(reps_for("service_level>=0.95"), DEFAULT_REPLICATIONS);
        assert!(reps_for("service_level>=0.6") > DEFAULT_REPLICATIONS);
    }

    #[test]
    fn erlang_a_uses_the_share_weighted_abandonment_rate_and_its_targets() {
        let mut sc = holding_mmc(3, 120.0, 60.0, Some(100.0), 60, 0);
        assert_eq!(erlang_patience_s(&sc), Some(100.0));
        let mut other = sc.segments[0].clone();
        other.patience = Some(crate::dist::Dist::Constant { value: 25.0 });
        sc.segments[0].share = 0.5;
        other.share = 0.5;
        sc.segments.push(other);
        // θ = 0.5/100 + 0.5/25 = 0.025.
        assert!((erlang_patience_s(&sc).unwrap() - 40.0).abs() < 1e-12);
        sc.segments[1].patience = None;
        assert_eq!(erlang_patience_s(&sc), None);
        let targets = |ts: &[&str]| -> Vec<String> {
            let ts: Vec<Target> = ts.iter().map(|t| Target::parse(t).unwrap()).collect();
            erlang_a_targets(&ts)
                .iter()
                .map(|t| t.to_string())
                .collect()
        };
        assert_eq!(
            targets(&[
                "service_level>=0.9",
                "abandon_ratio<=0.02",
                "reminders_per_session<=1"
            ]),
            ["service_level>=0.9", "abandon_ratio<=0.02"]
        );
        assert_eq!(
            targets(&["reminders_per_session<=1"]),
            ["service_level>=0.8"]
        );
    }
}
