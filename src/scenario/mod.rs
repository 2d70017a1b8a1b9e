//! Scenarios: what the user wrote (`raw`), checked once into the domain types below,
//! after which nothing downstream re-checks.
//!
//! Loading is two stages, as ripgrep's low/high args: [`raw`] holds serde structs that
//! mirror the TOML exactly (`deny_unknown_fields`), and [`load`] turns them, plus the CSV
//! files they name, into a [`Scenario`] or a [`ScenarioError`] naming the file, the field
//! or line, the bad value and the fix.

mod clock;
mod csv_files;
#[cfg(test)]
mod desk_tests;
mod error;
mod forecast;
#[cfg(test)]
mod forecast_tests;
mod input;
mod load;
mod named;
pub mod raw;
mod resolved;
pub mod routing_presets;
#[cfg(test)]
mod tests;

pub use error::ScenarioError;
pub use input::{read_fix, read_regular_file, MAX_CSV_BYTES, MAX_SCENARIO_BYTES};
pub use load::{
    convert, from_toml_str, from_toml_str_with_overrides, load, load_with_overrides,
    parse_override_value, parse_raw, shrinkage_problem, Override, MAX_AGENTS, MAX_INTERVALS,
    MAX_LEVEL, MAX_QUEUES, SHRINKAGE_FIX,
};
pub use named::{named_files, walk as walk_named_files};
pub use resolved::to_resolved_toml;

use crate::clock::Clock;
use crate::dist::Dist;
use crate::engine::{Desk, LogOutMode, QueueId, QueueSpec, RoutingRule, Skill, Switches};
use crate::target::Target;
use crate::time::{Millis, SimTime};

/// A fully checked scenario: every value here is valid, every file already read.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Run length, warm-up, replications, seed, reporting interval and limits.
    pub run: RunSpec,
    /// How customers arrive.
    pub arrivals: Arrivals,
    /// Customer segments; shares sum to 1. A scenario without segments has exactly one,
    /// named "default".
    pub segments: Vec<Segment>,
    /// Holding-time or turn-by-turn sessions.
    pub sessions: SessionModel,
    /// Agent groups by name; `AgentSpec::group` indexes this list.
    pub groups: Vec<String>,
    /// The roster, in file order; `AgentId(i)` is `agents[i]`.
    pub agents: Vec<AgentSpec>,
    /// How agents behave inside a turn-by-turn session, and their aux (short break) periods.
    pub behaviour: AgentBehaviour,
    /// Reply and message intervals of the method (S5).
    pub thresholds: Thresholds,
    /// The distribution rule (S3).
    pub routing: RoutingRule,
    /// Product behaviours beyond the rule (`[routing]`'s switches, or its preset's).
    pub switches: Switches,
    /// The `[routing] preset` the rule and switches came from, if any: for the report.
    pub preset: Option<String>,
    /// The desk's queues (`[[queues]]`); `Segment::queue` and `AgentSpec::skills` index
    /// them. A scenario without queues has one, "default", that every agent serves.
    pub queues: Vec<Queue>,
    /// What `chatsim staff` adds on top of the agents on the floor (`[staffing]`).
    pub staffing: StaffingSpec,
    /// The scenario's name and description (`[scenario]`): the report's heading.
    pub about: About,
    /// What the desk must achieve (`[targets]`), in the order written: `check`'s
    /// expectations when none is given, the report's verdict. Nothing simulated reads them.
    pub targets: Vec<Target>,
}

/// One queue of the desk, checked: its name and how the engine routes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub name: String,
    pub spec: QueueSpec,
}

impl Queue {
    /// The one queue of a scenario without `[[queues]]`.
    pub fn default_queue() -> Queue {
        Queue {
            name: "default".into(),
            spec: QueueSpec::own(QueueId(0)),
        }
    }
}

impl Scenario {
    /// The queues and skills the engine routes by.
    pub fn desk(&self) -> Desk {
        Desk {
            queues: self.queues.iter().map(|q| q.spec.clone()).collect(),
            skills: self.agents.iter().map(|a| a.skills.clone()).collect(),
        }
    }
}

/// The `[scenario]` table, checked: what the desk is, for people reading its report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct About {
    /// A one-line name (`"Chat desk, weekday"`).
    pub name: Option<String>,
    /// Free text: what is modelled, from which data, what is being decided.
    pub description: Option<String>,
}

/// The `[staffing]` table, checked: planning figures only, nothing simulated reads them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaffingSpec {
    /// Shrinkage: the share of paid agent time not spent on the floor (breaks, training,
    /// absence), in [0, 1). FTE required = agents on the floor / (1 − shrinkage).
    pub shrinkage: f64,
}

/// The `[run]` table, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    /// Measured simulated time per replication, after warm-up.
    pub horizon: Millis,
    /// Discarded from every metric.
    pub warmup: Millis,
    /// Independent replications (≥ 1).
    pub replications: u32,
    /// Base seed; replication i is seeded from (seed, i).
    pub seed: u64,
    /// T of the service level: share of offered connected within T.
    pub service_level_threshold: Millis,
    /// The customer-side reply target: a reply later than this after the customer's
    /// message is a late reply. Part of the scenario, not of the method, so that it stays
    /// put while the method's reply interval is tuned.
    pub reply_target: Millis,
    /// Reporting interval for per-interval figures (default 15 min).
    pub interval: Millis,
    /// Hard cap on simulated events per replication; exceeding it is an error.
    pub max_events: u64,
    /// Hard cap on simulated time per replication (drain included); exceeding it is an error.
    pub max_sim_time: Millis,
    /// How outputs show simulated times (`run.clock_origin`, `run.start_date`).
    pub clock: Clock,
}

/// How customers arrive. Times are measured from the epoch (start of warm-up).
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// A homogeneous Poisson process.
    Poisson { rate_per_hour: f64 },
    /// Piecewise-constant rate; intervals are contiguous, sorted and cover
    /// [0, warmup + horizon).
    Profile { intervals: Vec<ProfileInterval> },
    /// Replay of arrival instants, sorted ascending.
    Trace { times: Vec<SimTime> },
}

/// One interval of an intraday profile, as a rate (a volume in the file is converted).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileInterval {
    pub start: SimTime,
    pub end: SimTime,
    pub rate_per_hour: f64,
    /// The forecast's average handle time for the interval (holding model only): the
    /// sessions arriving in it have the scenario's holding-time distribution scaled to
    /// this mean. `None`: the holding time as the scenario gives it.
    pub aht: Option<Millis>,
}

/// A customer type with its own share and behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub name: String,
    /// Share of arrivals, in (0, 1]; shares of all segments sum to 1.
    pub share: f64,
    /// Patience while waiting in queue; `None` = infinite.
    pub patience: Option<Dist>,
    /// Number of customer messages N ≥ 1 (drawn at connection, rounded to nearest, at least 1).
    pub messages: Dist,
    /// The customer's think time after each agent reply.
    pub think_time: Dist,
    /// Probability of going silent for good at each turn (ghost chats), in [0, 1].
    pub silent_prob: f64,
    /// The queue its customers wait in.
    pub queue: QueueId,
}

/// How long a session lasts.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionModel {
    /// B.7: the session lasts a drawn holding time; no turns, no timers.
    Holding { holding_time: Dist },
    /// B.1–B.6: turn by turn, with the segment's conversation parameters.
    Turns,
}

/// One roster row, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentSpec {
    /// The roster's id, e.g. "A017".
    pub name: String,
    /// Index into `Scenario::groups`.
    pub group: u16,
    /// Concurrent-session cap, 1..=64.
    pub max_sessions: u32,
    /// Logged in at `shift_start`, logged out at `shift_end` (end > start).
    pub shift_start: SimTime,
    pub shift_end: SimTime,
    /// Planned breaks (busy periods) inside the shift, sorted, not overlapping.
    pub breaks: Vec<Break>,
    /// Multiplies every reply time (1.0 = nominal; > 0).
    pub speed_factor: f64,
    /// The queues it serves, and at what level (at least one).
    pub skills: Vec<Skill>,
}

/// A planned break: a busy request at `start`, un-busy at `start + length`.
#[derive(Clone, Debug, PartialEq)]
pub struct Break {
    pub start: SimTime,
    pub length: Millis,
}

/// Agent behaviour inside sessions, shared by all agents (scaled per agent by speed).
#[derive(Clone, Debug, PartialEq)]
pub struct AgentBehaviour {
    /// Reply time R to each customer message.
    pub reply_time: Dist,
    /// R is scaled by (1 + load_slowdown × (count − 1)); ≥ 0.
    pub load_slowdown: f64,
    /// Probability a message is overlooked, in [0, 1].
    pub overlook_prob: f64,
    /// Reaction time after a reminder to an overlooked message.
    pub reaction_time: Dist,
    /// When no reminder can come (no reply interval), an overlooked message is answered
    /// after this long delay instead.
    pub overlook_delay: Dist,
    /// Random short aux (busy) periods; `None` = none.
    pub aux: Option<AuxPeriods>,
    /// What happens to open sessions at log-off.
    pub log_out: LogOutMode,
}

/// Random aux periods: an agent goes busy after a gap, for a length, repeatedly.
#[derive(Clone, Debug, PartialEq)]
pub struct AuxPeriods {
    pub gap: Dist,
    pub length: Dist,
}

/// The method's intervals. `None` switches that timer off (holding model: both off).
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    pub reply_interval: Option<Millis>,
    pub message_interval: Option<Millis>,
    /// Repeat the reminder every reply interval while the reply is still owed.
    pub repeat_reminders: bool,
    /// At most this many reminders per owed reply; `None` = no cap.
    pub reminder_cap: Option<u32>,
}
