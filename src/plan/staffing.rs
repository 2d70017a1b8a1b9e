//! What `chatsim staff` finds, as data: the staffing of every interval, which the tool
//! computes (`tools::staff`) and the report writes (`report::staffing`). Both reach down
//! here; neither imports the other's module.

use crate::metrics::catalogue::Metric;
use crate::metrics::target::{Confidence, Direction, Target};
use crate::metrics::Stat;
use crate::time::{Millis, SimTime};

/// The service-level target the Erlang columns use when no `service_level` target is given.
pub const DEFAULT_ERLANG_SERVICE_LEVEL: f64 = 0.8;

/// A candidate's simulated run lengths.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub warmup: Millis,
    pub horizon: Millis,
}

/// One interval to staff: [start, end) from the epoch at a constant rate.
#[derive(Clone, Debug, PartialEq)]
pub struct StaffInterval {
    pub start: SimTime,
    pub end: SimTime,
    pub rate_per_hour: f64,
}

/// The staffing of one arrival rate (shared by every interval with that rate).
#[derive(Clone, Debug)]
pub struct RatePlan {
    pub rate_per_hour: f64,
    /// `None` when no candidate up to the cap met every target.
    pub required_agents: Option<u32>,
    /// Σ max sessions of the required agents.
    pub required_sessions: Option<u32>,
    pub erlang_c_agents: u32,
    pub erlang_c_servers: u32,
    /// The Erlang A answer (agents, servers) when every segment has a patience.
    pub erlang_a: Option<(u32, u32)>,
    /// The mean session length the Erlang columns used, seconds.
    pub erlang_session_s: f64,
    pub search_start: u32,
    /// Candidates simulated, in the order the search asked for them.
    pub simulated: Vec<u32>,
    /// Replications at the required staffing (or the largest candidate).
    pub replications: u32,
    /// Replications over every candidate.
    pub replications_total: u32,
    /// Warm-up and horizon at the required staffing (or the largest candidate).
    pub window: Option<Window>,
    /// At the required staffing (or the largest candidate when none met the targets):
    /// each target metric, then occupancy.
    pub achieved: Vec<(String, Stat)>,
    /// The targets the largest candidate still missed (empty when staffed).
    pub unmet: Vec<String>,
}

/// The staffing of every interval.
#[derive(Clone, Debug)]
pub struct StaffingResult {
    pub intervals: Vec<(StaffInterval, RatePlan)>,
    pub targets: Vec<Target>,
    pub confidence: Confidence,
    /// Clock reading at the epoch, seconds (0 without `run.clock_origin`).
    pub clock_origin_s: f64,
    pub seed: u64,
    /// Replications a candidate starts with, and at most.
    pub replications: u32,
    pub max_replications: u32,
    pub service_level_threshold_s: f64,
    pub holding_model: bool,
    /// Erlang A's patience, seconds (`None`: infinite patience somewhere, no Erlang A).
    pub patience_s: Option<f64>,
}

impl StaffingResult {
    /// Whether every interval could be staffed.
    pub fn all_staffed(&self) -> bool {
        self.intervals
            .iter()
            .all(|(_, p)| p.required_agents.is_some())
    }
}

/// The service level the Erlang C column staffs to: the highest `service_level` target,
/// else [`DEFAULT_ERLANG_SERVICE_LEVEL`].
pub fn erlang_service_level(targets: &[Target]) -> f64 {
    targets
        .iter()
        .filter(|t| t.metric == Metric::ServiceLevel.name())
        .map(|t| t.value)
        .reduce(f64::max)
        .unwrap_or(DEFAULT_ERLANG_SERVICE_LEVEL)
}

/// The metrics Erlang A can judge (`tools::staff::erlang_a_value`).
pub const ERLANG_A_METRICS: &[Metric] = &[
    Metric::ServiceLevel,
    Metric::AbandonRatio,
    Metric::PWait,
    Metric::WaitSMean,
    Metric::MeanQueueLen,
    Metric::Occupancy,
];

/// The targets the Erlang A column staffs to: every target Erlang A can judge, else
/// the Erlang C column's service level.
pub fn erlang_a_targets(targets: &[Target]) -> Vec<Target> {
    let judged: Vec<Target> = targets
        .iter()
        .filter(|t| Metric::parse(&t.metric).is_some_and(|m| ERLANG_A_METRICS.contains(&m)))
        .cloned()
        .collect();
    if !judged.is_empty() {
        return judged;
    }
    vec![Target {
        metric: Metric::ServiceLevel.name().into(),
        direction: Direction::AtLeast,
        strict: false,
        value: erlang_service_level(targets),
    }]
}
