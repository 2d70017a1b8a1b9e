//! One replication's figures, as the [`Collector`](super::collector::Collector) hands
//! them over ([`RepMetrics`]: run totals, intervals, agents, groups, queues) and the
//! measured window they cover ([`Timeline`]). Data and the ratios read from it, no
//! accumulation: the laws, the spool and the summary read these without the collector.

use crate::metrics::catalogue::{self, Metric};
use crate::scenario::Scenario;
use crate::time::{Millis, SimTime};
use hdrhistogram::Histogram;
use serde::Serialize;

/// `a / b`, NaN when `b` is 0 (undefined: no customer, no logged-in time, …).
pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

/// The figures of `level`, in its report order ([`catalogue::Level::metrics`]), each from `value`.
fn level_values(
    level: catalogue::Level,
    value: impl Fn(Metric) -> Option<f64>,
) -> Vec<(Metric, f64)> {
    level
        .metrics()
        .iter()
        .map(|&m| {
            let v = value(m).unwrap_or_else(|| panic!("{m} is listed at {level:?} level"));
            (m, v)
        })
        .collect()
}

/// The measured window and its intervals.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeline {
    pub(super) start: SimTime,
    pub(super) end: SimTime,
    pub(super) interval: Millis,
    pub(crate) count: usize,
}

impl Timeline {
    pub(crate) fn new(scenario: &Scenario) -> Timeline {
        let run = &scenario.run;
        let start = SimTime::ZERO + run.warmup;
        let end = start + run.horizon;
        let interval = run.interval.max(Millis::from_millis(1));
        let count = run.horizon.as_millis().div_ceil(interval.as_millis()) as usize;
        Timeline {
            start,
            end,
            interval,
            count,
        }
    }

    /// The interval holding `t`, if `t` is in the window.
    pub(super) fn index(&self, t: SimTime) -> Option<usize> {
        (t >= self.start && t < self.end).then(|| {
            ((t.as_millis() - self.start.as_millis()) / self.interval.as_millis()) as usize
        })
    }

    pub(crate) fn bounds(&self, i: usize) -> (SimTime, SimTime) {
        let s = self.start + self.interval.saturating_mul(i as u64);
        (s, (s + self.interval).min(self.end))
    }

    /// [`Timeline::bounds`] of interval `i`, or [`SimTime::NEVER`] twice past the last
    /// one: an empty span that no instant is in or past.
    pub(super) fn span(&self, i: usize) -> (SimTime, SimTime) {
        if i < self.count {
            self.bounds(i)
        } else {
            (SimTime::NEVER, SimTime::NEVER)
        }
    }

    /// Milliseconds of [from, to) inside the window (what [`Timeline::for_each_overlap`]
    /// must add up to; the collector clamps its agents' instants instead).
    #[cfg(test)]
    fn overlap(&self, from: SimTime, to: SimTime) -> u64 {
        to.as_millis()
            .min(self.end.as_millis())
            .saturating_sub(from.as_millis().max(self.start.as_millis()))
    }

    /// Calls `f(interval, ms)` for each interval [from, to) overlaps, with the overlap.
    pub(super) fn for_each_overlap(
        &self,
        from: SimTime,
        to: SimTime,
        mut f: impl FnMut(usize, u64),
    ) {
        let (from, to) = (
            from.as_millis().max(self.start.as_millis()),
            to.as_millis().min(self.end.as_millis()),
        );
        let mut t = from;
        while t < to {
            let i = ((t - self.start.as_millis()) / self.interval.as_millis()) as usize;
            let edge =
                (self.start.as_millis() + (i as u64 + 1) * self.interval.as_millis()).min(to);
            f(i, edge - t);
            t = edge;
        }
    }
}

/// Counts and integrals over one interval, or summed over the run. Durations and
/// integrals are in milliseconds (an integral of a count over time is count·ms).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Customers who arrived (asked for a session).
    pub offered: u64,
    /// Of those, connected to an agent (whenever).
    pub connected: u64,
    /// Of those, gave up waiting.
    pub abandoned: u64,
    /// Of those, not connected at once: connected after a wait > 0, abandoned, or still
    /// waiting at the end (unresolved, added when the replication finishes).
    pub waited: u64,
    /// Of those, connected within the service-level threshold.
    pub within_threshold: u64,
    /// Sum of waits of connected customers plus times to abandon of abandoners.
    pub wait_ms_sum: u64,
    /// Sum of waits of connected customers only.
    pub wait_ms_sum_connected: u64,
    /// Longest wait (or time to abandon).
    pub wait_ms_max: u64,
    /// Sessions connected at an instant in the window (event count).
    pub sessions_started: u64,
    /// Agent replies.
    pub replies: u64,
    /// Replies that came later than the reply interval after the customer's message.
    pub missed_responses: u64,
    /// Idle reminders sent.
    pub reminders: u64,
    /// Sessions' first reminders (so: sessions with at least one reminder).
    pub sessions_with_reminder: u64,
    /// Sessions disconnected for customer silence.
    pub disconnects: u64,
    /// Of those, the customer would have written again.
    pub premature_disconnects: u64,
    /// Of those, the customer had gone silent for good.
    pub ghost_disconnects: u64,
    /// Σ of the silent time each disconnected session held its slot before reclaim.
    pub silent_ms: u64,
    /// Sessions ended normally.
    pub normal_closes: u64,
    /// Sessions handed back to the wait queue at log-off.
    pub handed_back: u64,
    /// Handed-back sessions connected again (each connection to an agent is one session
    /// of that agent: Σ agents' sessions = sessions_started + reconnected).
    pub reconnected: u64,
    /// Replies later than the scenario's reply target after the customer's message.
    pub late_replies: u64,
    /// Σ reply latencies, for their mean.
    pub reply_latency_ms_sum: u64,
    /// ∫ customers waiting dt.
    pub queue_ms: u64,
    /// Most customers waiting at any instant.
    pub queue_max: u64,
    /// ∫ open sessions (all agents) dt.
    pub session_ms: u64,
    /// ∫ Σ max sessions of logged-in agents dt.
    pub capacity_ms: u64,
}

impl Counts {
    pub(super) fn add(&mut self, o: &Counts) {
        self.offered += o.offered;
        self.connected += o.connected;
        self.abandoned += o.abandoned;
        self.waited += o.waited;
        self.within_threshold += o.within_threshold;
        self.wait_ms_sum += o.wait_ms_sum;
        self.wait_ms_sum_connected += o.wait_ms_sum_connected;
        self.wait_ms_max = self.wait_ms_max.max(o.wait_ms_max);
        self.sessions_started += o.sessions_started;
        self.replies += o.replies;
        self.missed_responses += o.missed_responses;
        self.reminders += o.reminders;
        self.sessions_with_reminder += o.sessions_with_reminder;
        self.disconnects += o.disconnects;
        self.premature_disconnects += o.premature_disconnects;
        self.ghost_disconnects += o.ghost_disconnects;
        self.silent_ms += o.silent_ms;
        self.normal_closes += o.normal_closes;
        self.handed_back += o.handed_back;
        self.reconnected += o.reconnected;
        self.late_replies += o.late_replies;
        self.reply_latency_ms_sum += o.reply_latency_ms_sum;
        self.queue_ms += o.queue_ms;
        self.queue_max = self.queue_max.max(o.queue_max);
        self.session_ms += o.session_ms;
        self.capacity_ms += o.capacity_ms;
    }

    /// Customers whose wait is known (connected or abandoned).
    pub(super) fn resolved(&self) -> u64 {
        self.connected + self.abandoned
    }
}

/// One reporting interval of one replication.
#[derive(Clone, Debug, Serialize)]
pub struct IntervalMetrics {
    /// 0-based, from the start of the measured window.
    pub index: usize,
    /// Start and end, from the epoch (the start of warm-up).
    pub start: SimTime,
    pub end: SimTime,
    #[serde(flatten)]
    pub counts: Counts,
    /// 90th percentile of the wait of this interval's resolved arrivals (see
    /// [`HISTOGRAM_SIGFIG`]).
    pub wait_ms_p90: u64,
}

impl IntervalMetrics {
    /// Length in milliseconds (the last interval may be short).
    pub fn len_ms(&self) -> u64 {
        self.end.as_millis() - self.start.as_millis()
    }

    /// The interval's figures, in report order ([`catalogue::Level::Interval`]); NaN where undefined.
    pub fn scalars(&self) -> Vec<(Metric, f64)> {
        level_values(catalogue::Level::Interval, |m| self.value(m))
    }

    /// The figures of one queue in this interval, in report order
    /// ([`catalogue::Level::QueueInterval`]); NaN where undefined.
    pub fn queue_scalars(&self) -> Vec<(Metric, f64)> {
        level_values(catalogue::Level::QueueInterval, |m| self.value(m))
    }

    /// One interval figure (NaN where undefined); `None` for a metric not reported per
    /// interval.
    pub fn value(&self, m: Metric) -> Option<f64> {
        let c = &self.counts;
        let len = self.len_ms() as f64;
        Some(match m {
            Metric::Offered => c.offered as f64,
            Metric::Connected => c.connected as f64,
            Metric::Abandoned => c.abandoned as f64,
            Metric::AbandonRatio => ratio(c.abandoned as f64, c.offered as f64),
            Metric::PWait => ratio(c.waited as f64, c.offered as f64),
            Metric::ServiceLevel => ratio(c.within_threshold as f64, c.offered as f64),
            Metric::AsaS => ratio(c.wait_ms_sum_connected as f64, c.connected as f64) / 1000.0,
            Metric::WaitSMean => ratio(c.wait_ms_sum as f64, c.resolved() as f64) / 1000.0,
            Metric::WaitSP90 => {
                if c.resolved() == 0 {
                    f64::NAN
                } else {
                    self.wait_ms_p90 as f64 / 1000.0
                }
            }
            Metric::WaitSMax => {
                if c.resolved() == 0 {
                    f64::NAN
                } else {
                    c.wait_ms_max as f64 / 1000.0
                }
            }
            Metric::MeanQueueLen => ratio(c.queue_ms as f64, len),
            Metric::MaxQueueLen => c.queue_max as f64,
            Metric::MissedResponses => c.missed_responses as f64,
            Metric::Reminders => c.reminders as f64,
            Metric::Disconnects => c.disconnects as f64,
            Metric::PrematureDisconnects => c.premature_disconnects as f64,
            Metric::GhostDisconnects => c.ghost_disconnects as f64,
            Metric::NormalCloses => c.normal_closes as f64,
            Metric::BusyCapacity => ratio(c.session_ms as f64, len),
            Metric::LoggedInCapacity => ratio(c.capacity_ms as f64, len),
            Metric::CapacityUtilisation => ratio(c.session_ms as f64, c.capacity_ms as f64),
            Metric::Unresolved => (c.offered - c.resolved()) as f64,
            Metric::Replies => c.replies as f64,
            Metric::LateReplies => c.late_replies as f64,
            Metric::LateReplyRatio => ratio(c.late_replies as f64, c.replies as f64),
            Metric::ReplyLatencySMean => {
                ratio(c.reply_latency_ms_sum as f64, c.replies as f64) / 1000.0
            }
            Metric::Reconnected => c.reconnected as f64,
            _ => return None,
        })
    }
}

/// One agent's figures in one replication.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AgentMetrics {
    /// Index into `Scenario::groups`.
    pub group: u16,
    pub max_sessions: u32,
    /// Sessions connected to this agent at instants in the window.
    pub sessions: u64,
    /// Logged-in time in the window.
    pub logged_in_ms: u64,
    /// Time with the busy flag set while logged in.
    pub busy_ms: u64,
    /// ∫ open sessions dt while logged in.
    pub session_ms_logged_in: u64,
    /// ∫ open sessions dt, logged in or not (sessions finished after log-off count here).
    pub session_ms: u64,
    pub replies: u64,
    pub missed_responses: u64,
    pub reminders: u64,
    pub disconnects: u64,
    pub premature_disconnects: u64,
    pub ghost_disconnects: u64,
    pub normal_closes: u64,
    pub handed_back: u64,
    /// Handed-back sessions (of other agents) this agent took over; they count in
    /// `sessions` too.
    pub reconnected: u64,
    pub late_replies: u64,
    pub reply_latency_ms_sum: u64,
}

impl AgentMetrics {
    pub(crate) fn add(&mut self, o: &AgentMetrics) {
        self.sessions += o.sessions;
        self.logged_in_ms += o.logged_in_ms;
        self.busy_ms += o.busy_ms;
        self.session_ms_logged_in += o.session_ms_logged_in;
        self.session_ms += o.session_ms;
        self.replies += o.replies;
        self.missed_responses += o.missed_responses;
        self.reminders += o.reminders;
        self.disconnects += o.disconnects;
        self.premature_disconnects += o.premature_disconnects;
        self.ghost_disconnects += o.ghost_disconnects;
        self.normal_closes += o.normal_closes;
        self.handed_back += o.handed_back;
        self.reconnected += o.reconnected;
        self.late_replies += o.late_replies;
        self.reply_latency_ms_sum += o.reply_latency_ms_sum;
    }

    /// Capacity-time while logged in: max sessions × logged-in ms.
    pub(super) fn capacity_ms(&self) -> u64 {
        self.max_sessions as u64 * self.logged_in_ms
    }

    /// The agent's figures, in report order ([`catalogue::Level::Agent`]); NaN where undefined.
    pub fn scalars(&self) -> Vec<(Metric, f64)> {
        level_values(catalogue::Level::Agent, |m| {
            agent_value(self, self.capacity_ms(), m)
        })
    }
}

/// One agent figure of `a` (an agent, or a group's agents summed, with their capacity-time
/// `capacity_ms`); NaN where undefined, `None` for a metric not reported per agent.
fn agent_value(a: &AgentMetrics, capacity_ms: u64, m: Metric) -> Option<f64> {
    Some(match m {
        Metric::Sessions => a.sessions as f64,
        Metric::Occupancy => ratio(a.session_ms_logged_in as f64, capacity_ms as f64),
        Metric::MeanConcurrentSessions => {
            ratio(a.session_ms_logged_in as f64, a.logged_in_ms as f64)
        }
        Metric::LoggedInS => a.logged_in_ms as f64 / 1000.0,
        Metric::BusyTimeS => a.busy_ms as f64 / 1000.0,
        Metric::SessionS => a.session_ms as f64 / 1000.0,
        Metric::Replies => a.replies as f64,
        Metric::MissedResponses => a.missed_responses as f64,
        Metric::Reminders => a.reminders as f64,
        Metric::RemindersPerAgentHour => {
            ratio(a.reminders as f64, a.logged_in_ms as f64 / 3_600_000.0)
        }
        Metric::Disconnects => a.disconnects as f64,
        Metric::PrematureDisconnects => a.premature_disconnects as f64,
        Metric::GhostDisconnects => a.ghost_disconnects as f64,
        Metric::NormalCloses => a.normal_closes as f64,
        Metric::HandedBack => a.handed_back as f64,
        Metric::Reconnected => a.reconnected as f64,
        Metric::LateReplies => a.late_replies as f64,
        Metric::LateReplyRatio => ratio(a.late_replies as f64, a.replies as f64),
        Metric::ReplyLatencySMean => {
            ratio(a.reply_latency_ms_sum as f64, a.replies as f64) / 1000.0
        }
        _ => return None,
    })
}

/// One agent group's figures in one replication: its agents' figures summed, plus the
/// customers connected to its agents (counted by arrival, as every customer figure).
#[derive(Clone, Debug, Default, Serialize)]
pub struct GroupMetrics {
    /// Agents in the group (roster).
    pub agents: u32,
    /// Σ max sessions × logged-in ms of its agents.
    pub capacity_ms: u64,
    #[serde(flatten)]
    pub totals: AgentMetrics,
    /// Customers who arrived in the window and were connected to one of its agents.
    pub connected: u64,
    /// Their summed wait.
    pub wait_ms_sum_connected: u64,
    /// Of those, connected within the service-level threshold.
    pub within_threshold: u64,
}

impl GroupMetrics {
    /// The group's figures, in report order; NaN where undefined. `occupancy` and
    /// `mean_concurrent_sessions` are ratios of the group's sums (time-weighted over its
    /// agents), not means of agents' ratios.
    pub fn scalars(&self) -> Vec<(Metric, f64)> {
        level_values(catalogue::Level::Group, |m| self.value(m))
    }

    /// One group figure (NaN where undefined); `None` for a metric not reported per group.
    pub fn value(&self, m: Metric) -> Option<f64> {
        Some(match m {
            Metric::Connected => self.connected as f64,
            Metric::AsaS => {
                ratio(self.wait_ms_sum_connected as f64, self.connected as f64) / 1000.0
            }
            Metric::ConnectedWithinThreshold => self.within_threshold as f64,
            _ => return agent_value(&self.totals, self.capacity_ms, m),
        })
    }
}

/// The run-level sums and percentiles of one replication.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    #[serde(flatten)]
    pub counts: Counts,
    /// Customers who arrived in the window and were still waiting at the end.
    pub unresolved: u64,
    /// Σ over agents of logged-in time.
    pub logged_in_ms: u64,
    /// Σ over agents of busy time while logged in.
    pub busy_ms: u64,
    /// Σ over agents of ∫ open sessions dt while logged in.
    pub session_ms_logged_in: u64,
    /// Wait percentiles over resolved arrivals (connected: wait; abandoned: time to abandon).
    pub wait_ms_p50: u64,
    pub wait_ms_p90: u64,
    pub wait_ms_p99: u64,
    /// Reply latency percentiles over replies in the window.
    pub reply_latency_ms_p50: u64,
    pub reply_latency_ms_p90: u64,
    pub reply_latency_ms_p99: u64,
}

/// One queue's figures in one replication, for a desk with several queues: the customers
/// offered to it (by arrival, as every customer figure) wherever they were served, and
/// the replies, missed responses and disconnects of its chats (by instant).
#[derive(Clone, Debug, Serialize)]
pub struct QueueMetrics {
    /// The queue's intervals summed (only the customer and reply fields are kept).
    #[serde(flatten)]
    pub counts: Counts,
    /// Customers who arrived in the window and were still waiting at the end.
    pub unresolved: u64,
    /// Wait percentiles over the queue's resolved arrivals.
    pub wait_ms_p50: u64,
    pub wait_ms_p90: u64,
    pub wait_ms_p99: u64,
    /// The queue's part of each interval of [`RepMetrics::intervals`], same index.
    pub intervals: Vec<IntervalMetrics>,
}

impl QueueMetrics {
    /// The queue's figures, in report order ([`catalogue::Level::Queue`]). Undefined
    /// ratios are 0, as at run level (a per-queue figure is a run-level one restricted
    /// to the queue's chats).
    pub fn scalars(&self) -> Vec<(Metric, f64)> {
        level_values(catalogue::Level::Queue, |m| {
            self.value(m).map(|x| if x.is_finite() { x } else { 0.0 })
        })
    }

    /// One queue figure (NaN where undefined); `None` for a metric not reported per queue.
    pub fn value(&self, m: Metric) -> Option<f64> {
        let c = &self.counts;
        let resolved = c.resolved() > 0;
        let pct = |ms: u64| {
            if resolved {
                ms as f64 / 1000.0
            } else {
                f64::NAN
            }
        };
        Some(match m {
            Metric::Unresolved => self.unresolved as f64,
            Metric::WaitSP50 => pct(self.wait_ms_p50),
            Metric::WaitSP90 => pct(self.wait_ms_p90),
            Metric::WaitSP99 => pct(self.wait_ms_p99),
            Metric::WaitSMax => pct(c.wait_ms_max),
            Metric::MissedResponseRatio => ratio(c.missed_responses as f64, c.replies as f64),
            // The rest read the same off the queue's counts as off an interval's.
            _ if catalogue::Level::Queue.metrics().contains(&m) => {
                let whole = IntervalMetrics {
                    index: 0,
                    start: SimTime::ZERO,
                    end: SimTime::ZERO,
                    counts: c.clone(),
                    wait_ms_p90: self.wait_ms_p90,
                };
                return whole.value(m);
            }
            _ => return None,
        })
    }
}

/// One replication's figures: what [`Collector::finish`] returns and
/// [`summarize`](crate::metrics::summarize) takes.
#[derive(Clone, Debug, Serialize)]
pub struct RepMetrics {
    /// Measured window [start, end) from the epoch, and the interval length.
    pub window_start: SimTime,
    pub window_end: SimTime,
    pub interval: Millis,
    pub service_level_threshold: Millis,
    /// The scenario's customer-side reply target (`run.reply_target_s`).
    pub reply_target: Millis,
    pub totals: Totals,
    pub intervals: Vec<IntervalMetrics>,
    /// In roster order (`AgentId(i)` is `agents[i]`).
    pub agents: Vec<AgentMetrics>,
    /// In `Scenario::groups` order.
    pub groups: Vec<GroupMetrics>,
    /// In `Scenario::queues` order; empty for a one-queue desk (its figures are the run's).
    pub queues: Vec<QueueMetrics>,
    /// Simulation events processed (warm-up and drain included: the engine's cost).
    pub events: u64,
    /// Routing decisions made by the engine (warm-up and drain included).
    pub routing_decisions: u64,
    /// Wall-clock seconds the replication took; set by the simulator, the only figure
    /// that is not a function of the simulated events.
    pub wall_secs: f64,
    /// Waits of resolved arrivals, in ms, for percentiles pooled over replications.
    #[serde(skip)]
    pub wait_histogram: Histogram<u64>,
    /// Reply latencies in ms, for pooled percentiles.
    #[serde(skip)]
    pub reply_latency_histogram: Histogram<u64>,
}

impl RepMetrics {
    /// Records the wall-clock time the replication took (the simulator calls this).
    pub fn set_wall_secs(&mut self, secs: f64) {
        self.wall_secs = secs;
    }

    /// Measured simulated time in milliseconds.
    pub fn horizon_ms(&self) -> u64 {
        self.window_end.as_millis() - self.window_start.as_millis()
    }

    /// The run-level figures, in report order ([`catalogue::Level::Run`]: `summary.json`'s metric
    /// keys). Undefined ratios (zero denominators) are 0 here, so every value is a number.
    pub fn scalars(&self) -> Vec<(Metric, f64)> {
        level_values(catalogue::Level::Run, |m| {
            self.value(m).map(|x| if x.is_finite() { x } else { 0.0 })
        })
    }

    /// One run-level figure (NaN where undefined: [`RepMetrics::scalars`] writes 0);
    /// `None` for a metric not reported at run level.
    pub fn value(&self, m: Metric) -> Option<f64> {
        let t = &self.totals;
        let c = &t.counts;
        let horizon = self.horizon_ms() as f64;
        let agent_hours = t.logged_in_ms as f64 / 3_600_000.0;
        let s = |ms: u64| ms as f64 / 1000.0;
        let resolved = c.resolved() > 0;
        Some(match m {
            Metric::Offered => c.offered as f64,
            Metric::Connected => c.connected as f64,
            Metric::Abandoned => c.abandoned as f64,
            Metric::Unresolved => t.unresolved as f64,
            Metric::PWait => ratio(c.waited as f64, c.offered as f64),
            Metric::AbandonRatio => ratio(c.abandoned as f64, c.offered as f64),
            Metric::ServiceLevel => ratio(c.within_threshold as f64, c.offered as f64),
            Metric::AsaS => ratio(c.wait_ms_sum_connected as f64, c.connected as f64) / 1000.0,
            Metric::WaitSMean => ratio(c.wait_ms_sum as f64, c.resolved() as f64) / 1000.0,
            Metric::WaitSP50 => {
                if resolved {
                    s(t.wait_ms_p50)
                } else {
                    f64::NAN
                }
            }
            Metric::WaitSP90 => {
                if resolved {
                    s(t.wait_ms_p90)
                } else {
                    f64::NAN
                }
            }
            Metric::WaitSP99 => {
                if resolved {
                    s(t.wait_ms_p99)
                } else {
                    f64::NAN
                }
            }
            Metric::WaitSMax => {
                if resolved {
                    s(c.wait_ms_max)
                } else {
                    f64::NAN
                }
            }
            Metric::MeanQueueLen => ratio(c.queue_ms as f64, horizon),
            Metric::MaxQueueLen => c.queue_max as f64,
            Metric::Sessions => c.sessions_started as f64,
            Metric::Replies => c.replies as f64,
            Metric::MissedResponses => c.missed_responses as f64,
            Metric::MissedResponseRatio => ratio(c.missed_responses as f64, c.replies as f64),
            Metric::Reminders => c.reminders as f64,
            Metric::RemindersPerAgentHour => ratio(c.reminders as f64, agent_hours),
            Metric::RemindersPerSession => ratio(c.reminders as f64, c.sessions_started as f64),
            Metric::SessionsWithReminder => c.sessions_with_reminder as f64,
            Metric::SessionsWithReminderRatio => {
                ratio(c.sessions_with_reminder as f64, c.sessions_started as f64)
            }
            Metric::ReplyLatencySP50 => {
                if c.replies > 0 {
                    s(t.reply_latency_ms_p50)
                } else {
                    f64::NAN
                }
            }
            Metric::ReplyLatencySP90 => {
                if c.replies > 0 {
                    s(t.reply_latency_ms_p90)
                } else {
                    f64::NAN
                }
            }
            Metric::ReplyLatencySP99 => {
                if c.replies > 0 {
                    s(t.reply_latency_ms_p99)
                } else {
                    f64::NAN
                }
            }
            Metric::Disconnects => c.disconnects as f64,
            Metric::PrematureDisconnects => c.premature_disconnects as f64,
            Metric::GhostDisconnects => c.ghost_disconnects as f64,
            Metric::PrematureDisconnectRatio => {
                ratio(c.premature_disconnects as f64, c.disconnects as f64)
            }
            Metric::SilentCapacityS => s(c.silent_ms),
            Metric::NormalCloses => c.normal_closes as f64,
            Metric::HandedBack => c.handed_back as f64,
            Metric::Occupancy => ratio(t.session_ms_logged_in as f64, c.capacity_ms as f64),
            Metric::MeanConcurrentSessions => ratio(c.session_ms as f64, horizon),
            Metric::MeanSessionsPerAgent => {
                ratio(t.session_ms_logged_in as f64, t.logged_in_ms as f64)
            }
            Metric::MeanLoggedInCapacity => ratio(c.capacity_ms as f64, horizon),
            Metric::LoggedInAgentHours => agent_hours,
            Metric::BusyTimeS => s(t.busy_ms),
            Metric::Events => self.events as f64,
            Metric::EventsPerS => ratio(self.events as f64, self.wall_secs),
            Metric::RoutingDecisions => self.routing_decisions as f64,
            Metric::RoutingDecisionsPerS => ratio(self.routing_decisions as f64, self.wall_secs),
            Metric::LateReplies => c.late_replies as f64,
            Metric::LateReplyRatio => ratio(c.late_replies as f64, c.replies as f64),
            Metric::ReplyLatencySMean => {
                ratio(c.reply_latency_ms_sum as f64, c.replies as f64) / 1000.0
            }
            Metric::Reconnected => c.reconnected as f64,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::collector::tests::test_scenario;

    proptest::proptest! {
        #[test]
        fn interval_overlaps_add_up(from in 0u64..200_000, len in 0u64..200_000, horizon in 1u64..100_000, step in 1u64..30_000) {
            let mut sc = test_scenario(&[(0, 1)], &["g"]);
            sc.run.horizon = Millis::from_millis(horizon);
            sc.run.interval = Millis::from_millis(step);
            let tl = Timeline::new(&sc);
            let (a, b) = (SimTime::from_millis(from), SimTime::from_millis(from + len));
            let mut sum = 0;
            let mut last = None;
            tl.for_each_overlap(a, b, |i, ms| {
                assert!(i < tl.count && ms > 0);
                assert!(last.is_none_or(|l| i == l + 1));
                last = Some(i);
                sum += ms;
            });
            proptest::prop_assert_eq!(sum, tl.overlap(a, b));
        }
    }
}
