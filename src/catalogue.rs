//! The metric catalogue: every figure chatsim publishes, defined once.
//!
//! A metric's name is a public contract (`summary.json`'s keys, the CSV columns of
//! `intervals.csv`, `groups.csv`, `agents.csv`, `sweep.csv` and `staffing.csv`, the names
//! `check`, `staff` and `sweep` take). Code names a metric by its typed key,
//! [`Metric::ServiceLevel`], never by the string `"service_level"`: this file is the only
//! place in `src/` where a metric's name is written as a string literal (the test
//! `no_metric_name_is_written_outside_the_catalogue` enforces it), so a rename is one
//! edit here, and a cell can never silently become "–" because two spellings drifted.
//!
//! Each metric has a [`MetricDef`]: its published name, unit, formula (a short text),
//! better direction, whether it is measured on the wall clock, a label for tables and
//! plots, and how it moves when agents are added ([`Response`], what `chatsim staff`
//! accepts as a target). Which metrics appear at each [`Level`] — run, interval, group,
//! agent, pooled — and **in which order** is fixed by the per-level lists
//! ([`Level::metrics`]): the collector computes exactly those, in that order, which is the
//! key order of `summary.json` and the column order of the CSV files.

use std::fmt;

/// Where a figure is measured. A metric may exist at several levels (with the same
/// meaning for that level's population: `occupancy` of the desk, of a group, of an agent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// The whole measured window of a replication: `summary.json` → `metrics`.
    Run,
    /// One reporting interval: `summary.json` → `intervals[].metrics`, `intervals.csv`.
    Interval,
    /// One agent group: `summary.json` → `groups[].metrics`, `groups.csv`.
    Group,
    /// One agent: `agents.csv`.
    Agent,
    /// Over every replication's customers and replies together (histograms merged), no
    /// CI: `summary.json` → `pooled`.
    Pooled,
    /// One queue of a desk with several, the whole window: `summary.json` →
    /// `queues[].metrics`, `queues.csv`. A chat counts in the queue it was offered to.
    Queue,
    /// One queue in one reporting interval: `summary.json` → `queues[].intervals[]`,
    /// `queue_intervals.csv`.
    QueueInterval,
}

impl Level {
    /// Every level.
    pub const ALL: [Level; 7] = [
        Level::Run,
        Level::Interval,
        Level::Group,
        Level::Agent,
        Level::Pooled,
        Level::Queue,
        Level::QueueInterval,
    ];

    /// The level's metrics in report order: the order of `summary.json`'s keys and of the
    /// CSV columns (a public contract: append, never reorder).
    pub fn metrics(self) -> &'static [Metric] {
        match self {
            Level::Run => RUN,
            Level::Interval => INTERVAL,
            Level::Group => GROUP,
            Level::Agent => AGENT,
            Level::Pooled => POOLED,
            Level::Queue => QUEUE,
            Level::QueueInterval => QUEUE_INTERVAL,
        }
    }
}

/// A metric's unit: how it is shown (shares as percentages) and documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count of something, named (customers, sessions, replies, events, …); a mean over
    /// replications may have decimals.
    Count(&'static str),
    /// A share from 0 to 1 (shown as a percentage).
    Share,
    /// Seconds.
    Seconds,
    /// Anything else, as written: a time-average level (`sessions`), a rate (`1/h`), …
    Other(&'static str),
}

impl Unit {
    /// The unit as documented (`customers`, `share`, `s`, `1/h`, …).
    pub fn text(self) -> &'static str {
        match self {
            Unit::Count(noun) | Unit::Other(noun) => noun,
            Unit::Share => "share",
            Unit::Seconds => "s",
        }
    }
}

/// Which way a metric is better. `sweep` maximizes [`Better::Higher`] metrics on its
/// Pareto front and minimizes the others; a bare `NAME=VALUE` in `check` means `>=` for
/// [`Better::Higher`] and `<=` otherwise ([`Better::Neither`] included, as before this
/// catalogue existed: "every other metric is less is better").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// Not a quality: a load, a size or the simulator's own work.
    Neither,
}

/// How a run-level metric moves as agents are added to a stationary interval (fixed
/// arrivals): what makes it a staffing target for `chatsim staff` or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Rises with agents: a `>=` target.
    Rises,
    /// Falls with agents: a `<=` target.
    Falls,
    /// A total (or extreme) over the measured window, whose length staff chooses per
    /// interval: not comparable with a fixed value. `instead` names a ratio that is.
    Total { instead: Metric },
    /// Does not depend on staffing, or not in one direction.
    Unrelated { why: &'static str },
}

const SIMULATOR: &str = "measures the simulator's own work, not the desk";
const SILENCE: &str = "is set by the message interval and by how customers go silent, \
    not by staffing (tune it with `chatsim sweep`)";
const LOG_OFF: &str = "happens at log-off, and staff's agents never log off";

/// Everything the catalogue says about one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricDef {
    /// The published name: `summary.json` key, CSV column, command-line name.
    pub name: &'static str,
    pub unit: Unit,
    /// How it is computed, in a line (per level where the levels differ).
    pub formula: &'static str,
    pub better: Better,
    /// Measured on the wall clock (the simulator's speed), so it differs from run to run;
    /// byte-identical outputs leave it out.
    pub wall_clock: bool,
    /// A short human label for tables and plots (the unit is added where it is shown).
    pub label: &'static str,
    /// How it moves with more agents; `None` for metrics that are not run-level (staff
    /// judges run-level figures only).
    pub staffing: Option<Response>,
}

const RISES: Option<Response> = Some(Response::Rises);
const FALLS: Option<Response> = Some(Response::Falls);
const NOT_RUN_LEVEL: Option<Response> = None;

const fn total(instead: Metric) -> Option<Response> {
    Some(Response::Total { instead })
}

const fn unrelated(why: &'static str) -> Option<Response> {
    Some(Response::Unrelated { why })
}

/// Defines [`Metric`], [`Metric::ALL`] and the definitions, one entry per metric.
macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            name: $name:literal,
            unit: $unit:expr,
            better: $better:ident,
            wall_clock: $wall:literal,
            label: $label:literal,
            staffing: $staffing:expr,
            formula: $formula:literal $(,)?
        }
    )*) => {
        /// A metric's typed key. [`Metric::name`] is its published name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric {
            $($(#[$doc])* $variant,)*
        }

        impl Metric {
            /// Every metric, in definition order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant,)*];
        }

        /// The definitions, indexed by `Metric as usize`.
        const DEFS: &[MetricDef] = &[$(
            MetricDef {
                name: $name,
                unit: $unit,
                formula: $formula,
                better: Better::$better,
                wall_clock: $wall,
                label: $label,
                staffing: $staffing,
            },
        )*];
    };
}

catalogue! {
    Offered {
        name: "offered", unit: Unit::Count("customers"), better: Neither, wall_clock: false,
        label: "offered", staffing: unrelated("is set by the arrivals"),
        formula: "customers who arrived in the window (in the interval)",
    }
    Connected {
        name: "connected", unit: Unit::Count("customers"), better: Higher, wall_clock: false,
        label: "connected", staffing: total(Metric::AbandonRatio),
        formula: "of the offered, connected to an agent (group: to one of its agents)",
    }
    Abandoned {
        name: "abandoned", unit: Unit::Count("customers"), better: Lower, wall_clock: false,
        label: "abandoned", staffing: total(Metric::AbandonRatio),
        formula: "of the offered, gave up while waiting",
    }
    Unresolved {
        name: "unresolved", unit: Unit::Count("customers"), better: Lower, wall_clock: false,
        label: "unresolved", staffing: total(Metric::WaitSP99),
        formula: "offered − connected − abandoned: still waiting when the replication ended",
    }
    PWait {
        name: "p_wait", unit: Unit::Share, better: Lower, wall_clock: false,
        label: "P(wait)", staffing: FALLS,
        formula: "offered not connected at once (wait > 0, abandoned, unresolved) / offered",
    }
    AbandonRatio {
        name: "abandon_ratio", unit: Unit::Share, better: Lower, wall_clock: false,
        label: "abandon ratio", staffing: FALLS,
        formula: "abandoned / offered",
    }
    ServiceLevel {
        name: "service_level", unit: Unit::Share, better: Higher, wall_clock: false,
        label: "service level", staffing: RISES,
        formula: "connected with wait ≤ T / all offered (abandoners and unresolved are misses)",
    }
    AsaS {
        name: "asa_s", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "ASA", staffing: FALLS,
        formula: "Σ waits of connected customers / connected",
    }
    WaitSMean {
        name: "wait_s_mean", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "mean wait", staffing: FALLS,
        formula: "Σ waits of connected and abandoned (time to abandon) / (connected + abandoned)",
    }
    WaitSP50 {
        name: "wait_s_p50", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "wait p50", staffing: FALLS,
        formula: "median of the waits of connected and abandoned customers (3-digit histogram)",
    }
    WaitSP90 {
        name: "wait_s_p90", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "wait p90", staffing: FALLS,
        formula: "90th percentile of the waits of connected and abandoned customers",
    }
    WaitSP99 {
        name: "wait_s_p99", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "wait p99", staffing: FALLS,
        formula: "99th percentile of the waits of connected and abandoned customers",
    }
    WaitSMax {
        name: "wait_s_max", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "longest wait", staffing: total(Metric::WaitSP99),
        formula: "longest wait (or time to abandon)",
    }
    MeanQueueLen {
        name: "mean_queue_len", unit: Unit::Other("customers"), better: Lower, wall_clock: false,
        label: "waiting customers (mean)", staffing: FALLS,
        formula: "∫ customers waiting dt / window length",
    }
    MaxQueueLen {
        name: "max_queue_len", unit: Unit::Count("customers"), better: Lower, wall_clock: false,
        label: "waiting customers (max)", staffing: total(Metric::MeanQueueLen),
        formula: "most customers waiting at any instant",
    }
    Sessions {
        name: "sessions", unit: Unit::Count("sessions"), better: Higher, wall_clock: false,
        label: "sessions", staffing: total(Metric::AbandonRatio),
        formula: "sessions connected at an instant in the window (agent: also handed-back \
                  sessions taken over)",
    }
    Replies {
        name: "replies", unit: Unit::Count("replies"), better: Higher, wall_clock: false,
        label: "replies", staffing: total(Metric::MissedResponseRatio),
        formula: "agent replies in the window",
    }
    MissedResponses {
        name: "missed_responses", unit: Unit::Count("messages"), better: Lower, wall_clock: false,
        label: "missed responses", staffing: total(Metric::MissedResponseRatio),
        formula: "replies later than the reply interval after the customer's message",
    }
    MissedResponseRatio {
        name: "missed_response_ratio", unit: Unit::Share, better: Lower, wall_clock: false,
        label: "missed response ratio", staffing: FALLS,
        formula: "missed_responses / replies",
    }
    Reminders {
        name: "reminders", unit: Unit::Count("reminders"), better: Lower, wall_clock: false,
        label: "reminders", staffing: total(Metric::RemindersPerSession),
        formula: "idle reminders sent",
    }
    RemindersPerAgentHour {
        name: "reminders_per_agent_hour", unit: Unit::Other("1/h"), better: Lower,
        wall_clock: false, label: "reminders per agent-hour", staffing: FALLS,
        formula: "reminders / logged-in agent-hours",
    }
    RemindersPerSession {
        name: "reminders_per_session", unit: Unit::Other("per session"), better: Lower,
        wall_clock: false, label: "reminders per session", staffing: FALLS,
        formula: "reminders / sessions",
    }
    SessionsWithReminder {
        name: "sessions_with_reminder", unit: Unit::Count("sessions"), better: Lower,
        wall_clock: false, label: "sessions with a reminder",
        staffing: total(Metric::SessionsWithReminderRatio),
        formula: "sessions whose first reminder fell in the window",
    }
    SessionsWithReminderRatio {
        name: "sessions_with_reminder_ratio", unit: Unit::Share, better: Lower,
        wall_clock: false, label: "sessions with a reminder", staffing: FALLS,
        formula: "sessions_with_reminder / sessions",
    }
    ReplyLatencySP50 {
        name: "reply_latency_s_p50", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "reply latency p50", staffing: FALLS,
        formula: "median reply latency (customer message → agent reply)",
    }
    ReplyLatencySP90 {
        name: "reply_latency_s_p90", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "reply latency p90", staffing: FALLS,
        formula: "90th percentile of reply latency",
    }
    ReplyLatencySP99 {
        name: "reply_latency_s_p99", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "reply latency p99", staffing: FALLS,
        formula: "99th percentile of reply latency",
    }
    Disconnects {
        name: "disconnects", unit: Unit::Count("sessions"), better: Lower, wall_clock: false,
        label: "disconnects", staffing: unrelated(SILENCE),
        formula: "sessions ended for customer silence (message interval)",
    }
    PrematureDisconnects {
        name: "premature_disconnects", unit: Unit::Count("sessions"), better: Lower,
        wall_clock: false, label: "premature disconnects", staffing: unrelated(SILENCE),
        formula: "disconnects whose customer would have written again",
    }
    GhostDisconnects {
        name: "ghost_disconnects", unit: Unit::Count("sessions"), better: Neither,
        wall_clock: false, label: "ghost disconnects", staffing: unrelated(SILENCE),
        formula: "disconnects whose customer had gone silent for good",
    }
    PrematureDisconnectRatio {
        name: "premature_disconnect_ratio", unit: Unit::Share, better: Lower, wall_clock: false,
        label: "premature disconnect ratio", staffing: unrelated(SILENCE),
        formula: "premature_disconnects / disconnects",
    }
    SilentCapacityS {
        name: "silent_capacity_s", unit: Unit::Other("session-s"), better: Lower,
        wall_clock: false, label: "silent capacity", staffing: unrelated(SILENCE),
        formula: "Σ over disconnects of the time the slot was held silent before reclaim",
    }
    NormalCloses {
        name: "normal_closes", unit: Unit::Count("sessions"), better: Higher, wall_clock: false,
        label: "normal closes", staffing: total(Metric::AbandonRatio),
        formula: "sessions ended normally (customer close or holding time over)",
    }
    HandedBack {
        name: "handed_back", unit: Unit::Count("sessions"), better: Lower, wall_clock: false,
        label: "handed back", staffing: unrelated(LOG_OFF),
        formula: "sessions handed back to the wait queue at log-off",
    }
    Occupancy {
        name: "occupancy", unit: Unit::Share, better: Higher, wall_clock: false,
        label: "occupancy", staffing: FALLS,
        formula: "Σ session-seconds while logged in / Σ (max sessions × logged-in seconds)",
    }
    MeanConcurrentSessions {
        name: "mean_concurrent_sessions", unit: Unit::Other("sessions"), better: Neither,
        wall_clock: false, label: "open sessions (mean)",
        staffing: unrelated("is the offered work in progress, which staffing hardly moves"),
        formula: "run: ∫ open sessions (all agents) dt / window length; group, agent: \
                  session-seconds while logged in / logged-in seconds",
    }
    MeanSessionsPerAgent {
        name: "mean_sessions_per_agent", unit: Unit::Other("sessions"), better: Higher,
        wall_clock: false, label: "sessions per agent (mean)", staffing: FALLS,
        formula: "Σ session-seconds while logged in / Σ logged-in seconds",
    }
    MeanLoggedInCapacity {
        name: "mean_logged_in_capacity", unit: Unit::Other("sessions"), better: Neither,
        wall_clock: false, label: "logged-in capacity (mean)", staffing: RISES,
        formula: "∫ Σ max sessions of logged-in agents dt / window length",
    }
    LoggedInAgentHours {
        name: "logged_in_agent_hours", unit: Unit::Other("h"), better: Neither, wall_clock: false,
        label: "logged-in agent-hours", staffing: total(Metric::MeanLoggedInCapacity),
        formula: "Σ logged-in time of the agents, hours",
    }
    BusyTimeS {
        name: "busy_time_s", unit: Unit::Seconds, better: Neither, wall_clock: false,
        label: "busy time", staffing: total(Metric::Occupancy),
        formula: "Σ time with the busy flag set while logged in",
    }
    Events {
        name: "events", unit: Unit::Count("events"), better: Neither, wall_clock: false,
        label: "events", staffing: unrelated(SIMULATOR),
        formula: "simulation events processed (whole replication: warm-up and drain included)",
    }
    EventsPerS {
        name: "events_per_s", unit: Unit::Other("1/s"), better: Neither, wall_clock: true,
        label: "events per second (wall)", staffing: unrelated(SIMULATOR),
        formula: "events / wall-clock seconds of the replication",
    }
    RoutingDecisions {
        name: "routing_decisions", unit: Unit::Count("decisions"), better: Neither,
        wall_clock: false, label: "routing decisions", staffing: unrelated(SIMULATOR),
        formula: "sessions connected by the distribution rule (whole replication)",
    }
    RoutingDecisionsPerS {
        name: "routing_decisions_per_s", unit: Unit::Other("1/s"), better: Neither,
        wall_clock: true, label: "routing decisions per second (wall)",
        staffing: unrelated(SIMULATOR),
        formula: "routing_decisions / wall-clock seconds of the replication",
    }
    LateReplies {
        name: "late_replies", unit: Unit::Count("replies"), better: Lower, wall_clock: false,
        label: "late replies", staffing: total(Metric::LateReplyRatio),
        formula: "replies later than run.reply_target_s after the customer's message",
    }
    LateReplyRatio {
        name: "late_reply_ratio", unit: Unit::Share, better: Lower, wall_clock: false,
        label: "late reply ratio", staffing: FALLS,
        formula: "late_replies / replies",
    }
    ReplyLatencySMean {
        name: "reply_latency_s_mean", unit: Unit::Seconds, better: Lower, wall_clock: false,
        label: "reply latency (mean)", staffing: FALLS,
        formula: "Σ reply latencies / replies",
    }
    Reconnected {
        name: "reconnected", unit: Unit::Count("sessions"), better: Neither, wall_clock: false,
        label: "reconnected",
        staffing: unrelated("happens after log-off, and staff's agents never log off"),
        formula: "handed-back sessions connected again (agent: those it took over)",
    }
    BusyCapacity {
        name: "busy_capacity", unit: Unit::Other("sessions"), better: Neither, wall_clock: false,
        label: "open sessions (mean)", staffing: NOT_RUN_LEVEL,
        formula: "∫ open sessions (all agents) dt / interval length",
    }
    LoggedInCapacity {
        name: "logged_in_capacity", unit: Unit::Other("sessions"), better: Neither,
        wall_clock: false, label: "logged-in capacity (sessions)", staffing: NOT_RUN_LEVEL,
        formula: "∫ Σ max sessions of logged-in agents dt / interval length",
    }
    CapacityUtilisation {
        name: "capacity_utilisation", unit: Unit::Share, better: Higher, wall_clock: false,
        label: "capacity utilisation", staffing: NOT_RUN_LEVEL,
        formula: "busy_capacity / logged_in_capacity",
    }
    ConnectedWithinThreshold {
        name: "connected_within_threshold", unit: Unit::Count("customers"), better: Higher,
        wall_clock: false, label: "connected within T", staffing: NOT_RUN_LEVEL,
        formula: "of the group's connected customers, connected with wait ≤ T",
    }
    LoggedInS {
        name: "logged_in_s", unit: Unit::Seconds, better: Neither, wall_clock: false,
        label: "logged-in time", staffing: NOT_RUN_LEVEL,
        formula: "logged-in time in the window (group: summed over its agents)",
    }
    SessionS {
        name: "session_s", unit: Unit::Other("session-s"), better: Neither, wall_clock: false,
        label: "session time", staffing: NOT_RUN_LEVEL,
        formula: "∫ open sessions dt, logged in or not",
    }
    WaitsRecorded {
        name: "waits_recorded", unit: Unit::Count("customers"), better: Neither,
        wall_clock: false, label: "waits recorded", staffing: NOT_RUN_LEVEL,
        formula: "waits in the pooled histogram (connected and abandoned, all replications)",
    }
    RepliesRecorded {
        name: "replies_recorded", unit: Unit::Count("replies"), better: Neither,
        wall_clock: false, label: "replies recorded", staffing: NOT_RUN_LEVEL,
        formula: "reply latencies in the pooled histogram (all replications)",
    }
}

use Metric as M;

/// Run-level metrics, in `summary.json` order.
const RUN: &[Metric] = &[
    M::Offered,
    M::Connected,
    M::Abandoned,
    M::Unresolved,
    M::PWait,
    M::AbandonRatio,
    M::ServiceLevel,
    M::AsaS,
    M::WaitSMean,
    M::WaitSP50,
    M::WaitSP90,
    M::WaitSP99,
    M::WaitSMax,
    M::MeanQueueLen,
    M::MaxQueueLen,
    M::Sessions,
    M::Replies,
    M::MissedResponses,
    M::MissedResponseRatio,
    M::Reminders,
    M::RemindersPerAgentHour,
    M::RemindersPerSession,
    M::SessionsWithReminder,
    M::SessionsWithReminderRatio,
    M::ReplyLatencySP50,
    M::ReplyLatencySP90,
    M::ReplyLatencySP99,
    M::Disconnects,
    M::PrematureDisconnects,
    M::GhostDisconnects,
    M::PrematureDisconnectRatio,
    M::SilentCapacityS,
    M::NormalCloses,
    M::HandedBack,
    M::Occupancy,
    M::MeanConcurrentSessions,
    M::MeanSessionsPerAgent,
    M::MeanLoggedInCapacity,
    M::LoggedInAgentHours,
    M::BusyTimeS,
    M::Events,
    M::EventsPerS,
    M::RoutingDecisions,
    M::RoutingDecisionsPerS,
    M::LateReplies,
    M::LateReplyRatio,
    M::ReplyLatencySMean,
    M::Reconnected,
];

/// Interval metrics, in `intervals.csv` column order.
const INTERVAL: &[Metric] = &[
    M::Offered,
    M::Connected,
    M::Abandoned,
    M::AbandonRatio,
    M::PWait,
    M::ServiceLevel,
    M::AsaS,
    M::WaitSMean,
    M::WaitSP90,
    M::WaitSMax,
    M::MeanQueueLen,
    M::MaxQueueLen,
    M::MissedResponses,
    M::Reminders,
    M::Disconnects,
    M::PrematureDisconnects,
    M::GhostDisconnects,
    M::NormalCloses,
    M::BusyCapacity,
    M::LoggedInCapacity,
    M::CapacityUtilisation,
    M::Unresolved,
    M::Replies,
    M::LateReplies,
    M::LateReplyRatio,
    M::ReplyLatencySMean,
    M::Reconnected,
];

/// Agent metrics, in `agents.csv` column order.
const AGENT: &[Metric] = &[
    M::Sessions,
    M::Occupancy,
    M::MeanConcurrentSessions,
    M::LoggedInS,
    M::BusyTimeS,
    M::SessionS,
    M::Replies,
    M::MissedResponses,
    M::Reminders,
    M::RemindersPerAgentHour,
    M::Disconnects,
    M::PrematureDisconnects,
    M::GhostDisconnects,
    M::NormalCloses,
    M::HandedBack,
    M::Reconnected,
    M::LateReplies,
    M::LateReplyRatio,
    M::ReplyLatencySMean,
];

/// Group metrics, in `groups.csv` column order: the group's own customer figures, then
/// its agents' figures summed ([`AGENT`]'s order; a test keeps the two in step).
const GROUP: &[Metric] = &[
    M::Connected,
    M::AsaS,
    M::ConnectedWithinThreshold,
    M::Sessions,
    M::Occupancy,
    M::MeanConcurrentSessions,
    M::LoggedInS,
    M::BusyTimeS,
    M::SessionS,
    M::Replies,
    M::MissedResponses,
    M::Reminders,
    M::RemindersPerAgentHour,
    M::Disconnects,
    M::PrematureDisconnects,
    M::GhostDisconnects,
    M::NormalCloses,
    M::HandedBack,
    M::Reconnected,
    M::LateReplies,
    M::LateReplyRatio,
    M::ReplyLatencySMean,
];

/// Pooled figures, in `summary.json` order.
const POOLED: &[Metric] = &[
    M::WaitSP50,
    M::WaitSP90,
    M::WaitSP99,
    M::WaitSMax,
    M::WaitsRecorded,
    M::ReplyLatencySP50,
    M::ReplyLatencySP90,
    M::ReplyLatencySP99,
    M::RepliesRecorded,
];

/// Queue metrics, in `queues.csv` column order: the customers offered to the queue
/// (counted by arrival, wherever they were served) and the replies, late replies, missed
/// responses and disconnects of its chats.
const QUEUE: &[Metric] = &[
    M::Offered,
    M::Connected,
    M::Abandoned,
    M::Unresolved,
    M::AbandonRatio,
    M::PWait,
    M::ServiceLevel,
    M::AsaS,
    M::WaitSMean,
    M::WaitSP50,
    M::WaitSP90,
    M::WaitSP99,
    M::WaitSMax,
    M::Replies,
    M::LateReplies,
    M::LateReplyRatio,
    M::MissedResponses,
    M::MissedResponseRatio,
    M::ReplyLatencySMean,
    M::Disconnects,
    M::PrematureDisconnects,
    M::GhostDisconnects,
];

/// Queue-interval metrics, in `queue_intervals.csv` column order (the interval level's
/// percentiles: p90 and the maximum).
const QUEUE_INTERVAL: &[Metric] = &[
    M::Offered,
    M::Connected,
    M::Abandoned,
    M::Unresolved,
    M::AbandonRatio,
    M::PWait,
    M::ServiceLevel,
    M::AsaS,
    M::WaitSMean,
    M::WaitSP90,
    M::WaitSMax,
    M::Replies,
    M::LateReplies,
    M::LateReplyRatio,
    M::MissedResponses,
    M::ReplyLatencySMean,
    M::Disconnects,
    M::PrematureDisconnects,
    M::GhostDisconnects,
];

/// The group-level metrics that are the group's own (customers connected to its agents),
/// before its agents' figures summed.
pub const GROUP_OWN: usize = 3;

impl Metric {
    /// Everything the catalogue says about the metric.
    pub fn def(self) -> &'static MetricDef {
        &DEFS[self as usize]
    }

    /// The published name (`summary.json` key, CSV column, command-line name).
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The metric with the published name `name`, if there is one.
    pub fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// A short human label for tables and plots.
    pub fn label(self) -> &'static str {
        self.def().label
    }

    pub fn unit(self) -> Unit {
        self.def().unit
    }

    pub fn better(self) -> Better {
        self.def().better
    }

    /// Whether a larger value is better ([`Better::Higher`]).
    pub fn more_is_better(self) -> bool {
        self.better() == Better::Higher
    }

    /// Measured on the wall clock: differs between runs by nature.
    pub fn is_wall_clock(self) -> bool {
        self.def().wall_clock
    }

    /// How the metric moves with more agents (`None`: not a run-level metric).
    pub fn staffing(self) -> Option<Response> {
        self.def().staffing
    }

    /// The levels the metric is reported at.
    pub fn levels(self) -> Vec<Level> {
        Level::ALL
            .into_iter()
            .filter(|l| l.metrics().contains(&self))
            .collect()
    }
}

/// The published name; width and alignment apply (`{m:>24}`).
impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Which part of the desk a metric describes: the groups of a report's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// Arrivals, waits, the queue, abandonment, the service level.
    Customers,
    /// Sessions once connected: replies, reminders, disconnects, closes.
    Conversations,
    /// The agents' time and capacity.
    Agents,
    /// What the simulation itself cost (events, routing decisions).
    EngineCost,
}

impl Section {
    /// Every section, in report order.
    pub const ALL: [Section; 4] = [
        Section::Customers,
        Section::Conversations,
        Section::Agents,
        Section::EngineCost,
    ];

    /// The section's heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::Customers => "Customers",
            Section::Conversations => "Conversations",
            Section::Agents => "Agents",
            Section::EngineCost => "The engine's cost",
        }
    }
}

impl Metric {
    /// The part of the desk the metric describes (its table in a report).
    pub fn section(self) -> Section {
        use Section::*;
        match self {
            M::Offered
            | M::Connected
            | M::Abandoned
            | M::Unresolved
            | M::PWait
            | M::AbandonRatio
            | M::ServiceLevel
            | M::AsaS
            | M::WaitSMean
            | M::WaitSP50
            | M::WaitSP90
            | M::WaitSP99
            | M::WaitSMax
            | M::MeanQueueLen
            | M::MaxQueueLen
            | M::ConnectedWithinThreshold
            | M::WaitsRecorded => Customers,
            M::Sessions
            | M::Replies
            | M::MissedResponses
            | M::MissedResponseRatio
            | M::Reminders
            | M::RemindersPerSession
            | M::SessionsWithReminder
            | M::SessionsWithReminderRatio
            | M::ReplyLatencySP50
            | M::ReplyLatencySP90
            | M::ReplyLatencySP99
            | M::ReplyLatencySMean
            | M::Disconnects
            | M::PrematureDisconnects
            | M::GhostDisconnects
            | M::PrematureDisconnectRatio
            | M::SilentCapacityS
            | M::NormalCloses
            | M::HandedBack
            | M::Reconnected
            | M::LateReplies
            | M::LateReplyRatio
            | M::MeanConcurrentSessions
            | M::BusyCapacity
            | M::SessionS
            | M::RepliesRecorded => Conversations,
            M::RemindersPerAgentHour
            | M::Occupancy
            | M::MeanSessionsPerAgent
            | M::MeanLoggedInCapacity
            | M::LoggedInAgentHours
            | M::BusyTimeS
            | M::LoggedInCapacity
            | M::CapacityUtilisation
            | M::LoggedInS => Agents,
            M::Events | M::EventsPerS | M::RoutingDecisions | M::RoutingDecisionsPerS => EngineCost,
        }
    }

    /// Whether the figure is a total that grows with the length of the time measured
    /// (customers, replies, busy seconds): an interval's value then cannot be held to a
    /// target set for the whole run. Shares, means, percentiles, levels and maxima can.
    pub fn is_window_total(self) -> bool {
        match self {
            M::Offered
            | M::Connected
            | M::Abandoned
            | M::Unresolved
            | M::Sessions
            | M::Replies
            | M::MissedResponses
            | M::Reminders
            | M::SessionsWithReminder
            | M::Disconnects
            | M::PrematureDisconnects
            | M::GhostDisconnects
            | M::SilentCapacityS
            | M::NormalCloses
            | M::HandedBack
            | M::Reconnected
            | M::LateReplies
            | M::LoggedInAgentHours
            | M::BusyTimeS
            | M::Events
            | M::RoutingDecisions
            | M::ConnectedWithinThreshold
            | M::LoggedInS
            | M::SessionS
            | M::WaitsRecorded
            | M::RepliesRecorded => true,
            M::PWait
            | M::AbandonRatio
            | M::ServiceLevel
            | M::AsaS
            | M::WaitSMean
            | M::WaitSP50
            | M::WaitSP90
            | M::WaitSP99
            | M::WaitSMax
            | M::MeanQueueLen
            | M::MaxQueueLen
            | M::MissedResponseRatio
            | M::RemindersPerAgentHour
            | M::RemindersPerSession
            | M::SessionsWithReminderRatio
            | M::ReplyLatencySP50
            | M::ReplyLatencySP90
            | M::ReplyLatencySP99
            | M::PrematureDisconnectRatio
            | M::Occupancy
            | M::MeanConcurrentSessions
            | M::MeanSessionsPerAgent
            | M::MeanLoggedInCapacity
            | M::EventsPerS
            | M::RoutingDecisionsPerS
            | M::LateReplyRatio
            | M::ReplyLatencySMean
            | M::BusyCapacity
            | M::LoggedInCapacity
            | M::CapacityUtilisation => false,
        }
    }
}

/// The run-level metric names, in report order: what `check`, `staff` and `sweep` accept.
pub fn run_level_names() -> Vec<String> {
    RUN.iter().map(|m| m.name().to_string()).collect()
}

/// The per-queue metric names, in report order: what a per-queue target
/// (`service_level[spanish]>=0.8`) may name.
pub fn queue_level_names() -> Vec<String> {
    QUEUE.iter().map(|m| m.name().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn definitions_line_up_with_the_keys() {
        assert_eq!(DEFS.len(), Metric::ALL.len());
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(*m as usize, i);
            assert_eq!(Metric::parse(m.name()), Some(*m));
            assert_eq!(m.to_string(), m.name());
        }
        let names: HashSet<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len(), "two metrics share a name");
        assert_eq!(Metric::parse("servic_level"), None);
    }

    #[test]
    fn every_metric_is_at_some_level_and_no_level_lists_one_twice() {
        for m in Metric::ALL {
            assert!(!m.levels().is_empty(), "{m} is at no level");
        }
        for level in Level::ALL {
            let list = level.metrics();
            let unique: HashSet<&Metric> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "{level:?} lists a metric twice");
        }
        // A group row is its own customer figures, then its agents' figures summed.
        assert_eq!(&GROUP[GROUP_OWN..], AGENT);
    }

    #[test]
    fn staffing_responses_cover_the_run_level_exactly() {
        for m in Metric::ALL {
            let run = RUN.contains(m);
            assert_eq!(m.staffing().is_some(), run, "{m}: staffing response");
            // A ratio offered instead of a total is itself a valid target.
            if let Some(Response::Total { instead }) = m.staffing() {
                assert!(
                    matches!(instead.staffing(), Some(Response::Rises | Response::Falls)),
                    "{m} points to {instead}"
                );
            }
        }
        let wall: Vec<&str> = Metric::ALL
            .iter()
            .filter(|m| m.is_wall_clock())
            .map(|m| m.name())
            .collect();
        assert_eq!(wall, ["events_per_s", "routing_decisions_per_s"]);
    }

    #[test]
    fn sections_and_totals_read_as_a_planner_would() {
        assert_eq!(Metric::ServiceLevel.section(), Section::Customers);
        assert_eq!(Metric::LateReplyRatio.section(), Section::Conversations);
        assert_eq!(Metric::Occupancy.section(), Section::Agents);
        assert_eq!(Metric::EventsPerS.section(), Section::EngineCost);
        // Every section holds some run-level metric.
        for s in Section::ALL {
            assert!(RUN.iter().any(|m| m.section() == s), "{s:?} is empty");
        }
        // A count of things is a total; a share never is.
        for m in Metric::ALL {
            if m.unit() == Unit::Share {
                assert!(!m.is_window_total(), "{m}");
            }
        }
        assert!(Metric::Abandoned.is_window_total());
        assert!(!Metric::MaxQueueLen.is_window_total());
    }

    /// The published names and their order at each level: the contract of
    /// `summary.json` and the CSV files, written out once more on purpose.
    #[test]
    fn published_names_and_orders_are_the_contract() {
        let names = |l: Level| l.metrics().iter().map(|m| m.name()).collect::<Vec<_>>();
        assert_eq!(
            names(Level::Run).join(","),
            "offered,connected,abandoned,unresolved,p_wait,abandon_ratio,service_level,asa_s,\
             wait_s_mean,wait_s_p50,wait_s_p90,wait_s_p99,wait_s_max,mean_queue_len,\
             max_queue_len,sessions,replies,missed_responses,missed_response_ratio,reminders,\
             reminders_per_agent_hour,reminders_per_session,sessions_with_reminder,\
             sessions_with_reminder_ratio,reply_latency_s_p50,reply_latency_s_p90,\
             reply_latency_s_p99,disconnects,premature_disconnects,ghost_disconnects,\
             premature_disconnect_ratio,silent_capacity_s,normal_closes,handed_back,occupancy,\
             mean_concurrent_sessions,mean_sessions_per_agent,mean_logged_in_capacity,\
             logged_in_agent_hours,busy_time_s,events,events_per_s,routing_decisions,\
             routing_decisions_per_s,late_replies,late_reply_ratio,reply_latency_s_mean,\
             reconnected"
        );
        assert_eq!(
            names(Level::Interval).join(","),
            "offered,connected,abandoned,abandon_ratio,p_wait,service_level,asa_s,wait_s_mean,\
             wait_s_p90,wait_s_max,mean_queue_len,max_queue_len,missed_responses,reminders,\
             disconnects,premature_disconnects,ghost_disconnects,normal_closes,busy_capacity,\
             logged_in_capacity,capacity_utilisation,unresolved,replies,late_replies,\
             late_reply_ratio,reply_latency_s_mean,reconnected"
        );
        assert_eq!(
            names(Level::Agent).join(","),
            "sessions,occupancy,mean_concurrent_sessions,logged_in_s,busy_time_s,session_s,\
             replies,missed_responses,reminders,reminders_per_agent_hour,disconnects,\
             premature_disconnects,ghost_disconnects,normal_closes,handed_back,reconnected,\
             late_replies,late_reply_ratio,reply_latency_s_mean"
        );
        assert_eq!(
            names(Level::Group)[..GROUP_OWN].join(","),
            "connected,asa_s,connected_within_threshold"
        );
        assert_eq!(
            names(Level::Queue).join(","),
            "offered,connected,abandoned,unresolved,abandon_ratio,p_wait,service_level,asa_s,\
             wait_s_mean,wait_s_p50,wait_s_p90,wait_s_p99,wait_s_max,replies,late_replies,\
             late_reply_ratio,missed_responses,missed_response_ratio,reply_latency_s_mean,\
             disconnects,premature_disconnects,ghost_disconnects"
        );
        assert_eq!(
            names(Level::QueueInterval).join(","),
            "offered,connected,abandoned,unresolved,abandon_ratio,p_wait,service_level,asa_s,\
             wait_s_mean,wait_s_p90,wait_s_max,replies,late_replies,late_reply_ratio,\
             missed_responses,reply_latency_s_mean,disconnects,premature_disconnects,\
             ghost_disconnects"
        );
        // Every queue figure is a run-level figure too, with the same meaning for the
        // queue's chats (so a per-queue target reads like a run-level one).
        for m in QUEUE.iter().chain(QUEUE_INTERVAL) {
            assert!(RUN.contains(m), "{m}");
        }
        assert_eq!(
            names(Level::Pooled).join(","),
            "wait_s_p50,wait_s_p90,wait_s_p99,wait_s_max,waits_recorded,reply_latency_s_p50,\
             reply_latency_s_p90,reply_latency_s_p99,replies_recorded"
        );
    }

    /// The string literals of Rust source `src`, each with its line: `"…"`, `b"…"` and raw
    /// `r#"…"#` strings, their contents as written (escapes not decoded); comments and
    /// char literals skipped.
    fn string_literals(src: &str) -> Vec<(usize, String)> {
        let b = src.as_bytes();
        let (mut i, mut line, mut out) = (0, 1, vec![]);
        let count = |from: usize, to: usize| b[from..to].iter().filter(|&&c| c == b'\n').count();
        while i < b.len() {
            match b[i] {
                b'\n' => {
                    line += 1;
                    i += 1;
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let (start, mut depth) = (i, 0);
                    while i < b.len() {
                        if b[i..].starts_with(b"/*") {
                            depth += 1;
                            i += 2;
                        } else if b[i..].starts_with(b"*/") {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            i += 1;
                        }
                    }
                    line += count(start, i);
                }
                b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                    && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
                {
                    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                    let open = i + 1 + hashes;
                    if b.get(open) != Some(&b'"') {
                        i += 1;
                        continue;
                    }
                    let close: Vec<u8> = std::iter::once(b'"')
                        .chain(std::iter::repeat_n(b'#', hashes))
                        .collect();
                    let body = open + 1;
                    let end = (body..b.len())
                        .find(|&k| b[k..].starts_with(&close))
                        .expect("a closed raw string");
                    out.push((line, src[body..end].to_string()));
                    line += count(i, end);
                    i = end + close.len();
                }
                b'"' => {
                    let body = i + 1;
                    let mut k = body;
                    while b[k] != b'"' {
                        k += if b[k] == b'\\' { 2 } else { 1 };
                    }
                    out.push((line, src[body..k].to_string()));
                    line += count(i, k);
                    i = k + 1;
                }
                // A char literal ('x', '\n', '"', '\u{1b}'); a lifetime ('a) is skipped
                // as a quote.
                b'\'' => {
                    if b.get(i + 1) == Some(&b'\\') {
                        let mut k = i + 2;
                        while b[k] != b'\'' {
                            k += 1;
                        }
                        i = k + 1;
                    } else {
                        let c = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                        i += if b.get(i + 1 + c) == Some(&b'\'') {
                            c + 2
                        } else {
                            1
                        };
                    }
                }
                _ => i += 1,
            }
        }
        out
    }

    /// A literal whose text is a metric's name, on a line marked `// not a metric` (a
    /// word that happens to be a metric's name but means something else there), passes.
    const NOT_A_METRIC: &str = "// not a metric";

    /// Every `(file, line, literal)` of `src/**/*.rs` (this file excepted) that is a
    /// metric's name.
    fn metric_name_literals(src_dir: &std::path::Path) -> Vec<String> {
        let mut files = vec![];
        let mut dirs = vec![src_dir.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let mut found = vec![];
        for path in files {
            let rel = path
                .strip_prefix(src_dir)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "catalogue.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            let lines: Vec<&str> = text.lines().collect();
            for (line, lit) in string_literals(&text) {
                if Metric::parse(&lit).is_none() {
                    continue;
                }
                if lines
                    .get(line - 1)
                    .is_some_and(|l| l.contains(NOT_A_METRIC))
                {
                    continue;
                }
                found.push(format!("src/{rel}:{line}: \"{lit}\""));
            }
        }
        found
    }

    #[test]
    fn the_literal_scanner_finds_strings_and_skips_comments_and_chars() {
        let src = r##"
            // "service_level" in a comment
            /* "offered" /* nested */ still a comment */
            let q = '"'; let e = '\''; let l: &'static str = "occupancy";
            let r = r#"replies"#; let s = "a \" b"; let t = b"events";
            fn f<'a>(x: &'a str) -> &'a str { "p_wait" }
        "##;
        let lits: Vec<(usize, String)> = string_literals(src);
        let texts: Vec<&str> = lits.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            texts,
            ["occupancy", "replies", "a \\\" b", "events", "p_wait"]
        );
        assert_eq!(lits[0].0, 4);
        assert_eq!(lits[4].0, 6);
    }

    /// The rule: outside this file, no string literal in `src/` is a metric's name. Code
    /// names metrics by [`Metric`]; a word with another meaning that happens to be a
    /// metric's name is marked `// not a metric` on its line.
    #[test]
    fn no_metric_name_is_written_outside_the_catalogue() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let found = metric_name_literals(&src);
        assert!(
            found.is_empty(),
            "metric names written as string literals; use Metric::… (metrics::catalogue), \
             or mark a word with another meaning `{NOT_A_METRIC}: <what it is>`:\n{}",
            found.join("\n")
        );
    }
}
