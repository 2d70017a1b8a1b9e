//! What `chatsim staff` finds, as data: the staffing of every interval, which the tool
//! computes (`tools::staff`) and the report writes (`report::staffing`). Both reach down
//! here; neither imports the other's module.

use crate::clock::Clock;
use crate::metrics::catalogue::Metric;
use crate::metrics::erlang::smallest_c_for_service_level;
use crate::metrics::target::{Confidence, Direction, Target};
use crate::metrics::Stat;
use crate::scenario::AgentSpec;
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
    /// The forecast's AHT for the interval (holding model): its mean session time.
    pub aht: Option<Millis>,
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
    /// How times are shown (the scenario's `run.clock_origin` and `run.start_date`).
    pub clock: Clock,
    pub seed: u64,
    /// Replications a candidate starts with, and at most.
    pub replications: u32,
    pub max_replications: u32,
    pub service_level_threshold_s: f64,
    pub holding_model: bool,
    /// Erlang A's patience, seconds (`None`: infinite patience somewhere, no Erlang A).
    pub patience_s: Option<f64>,
    /// The share of paid agent time off the floor, in [0, 1) (`[staffing] shrinkage`,
    /// or `--shrinkage`).
    pub shrinkage: f64,
    /// The scenario's own agents in each interval, by its shifts and breaks, in the order
    /// of `intervals` ([`roster_cover`]).
    pub roster: Vec<RosterCover>,
    /// The chat planner's calculator answer shown beside Erlang C ([`RuleOfThumb`]).
    pub rule_of_thumb: RuleOfThumb,
}

impl StaffingResult {
    /// Whether the staffed intervals fall on more than one day of the clock.
    pub fn spans_days(&self) -> bool {
        match (self.intervals.first(), self.intervals.last()) {
            (Some((first, _)), Some((last, _))) => self.clock.spans_days(first.start, last.end),
            _ => false,
        }
    }

    /// Whether every interval could be staffed.
    pub fn all_staffed(&self) -> bool {
        self.intervals
            .iter()
            .all(|(_, p)| p.required_agents.is_some())
    }

    /// FTE required in interval `k`: [`fte`] of its required agents (`None` when it
    /// could not be staffed).
    pub fn fte_required(&self, k: usize) -> Option<f64> {
        let agents = self.intervals.get(k)?.1.required_agents?;
        Some(fte(f64::from(agents), self.shrinkage))
    }

    /// The roster's gap in interval `k`: its agents on the floor − the required agents
    /// (positive: over-staffed; `None` when the interval could not be staffed).
    pub fn gap(&self, k: usize) -> Option<f64> {
        let agents = self.intervals.get(k)?.1.required_agents?;
        Some(self.roster.get(k)?.on_floor - f64::from(agents))
    }

    /// The rule-of-thumb agents of interval `k` ([`RuleOfThumb::agents`]), at the Erlang C
    /// column's service level and session length.
    pub fn rule_of_thumb_agents(&self, k: usize) -> Option<u32> {
        let (_, p) = self.intervals.get(k)?;
        Some(self.rule_of_thumb.agents(
            p.rate_per_hour,
            p.erlang_session_s,
            self.service_level_threshold_s,
            erlang_service_level(&self.targets),
        ))
    }

    /// Simulated − rule-of-thumb agents in interval `k`: how far the answer is from what a
    /// planner would have typed into a calculator (`None` when it could not be staffed).
    pub fn vs_rule_of_thumb(&self, k: usize) -> Option<i64> {
        let required = self.intervals.get(k)?.1.required_agents?;
        Some(i64::from(required) - i64::from(self.rule_of_thumb_agents(k)?))
    }

    /// The day's totals ([`DaySummary`]).
    pub fn day_summary(&self) -> DaySummary {
        let mut d = DaySummary::default();
        for (k, (i, p)) in self.intervals.iter().enumerate() {
            let h = hours(i);
            d.hours += h;
            if let Some(cover) = self.roster.get(k) {
                d.roster_agent_hours += cover.on_floor * h;
            }
            let Some(agents) = p.required_agents else {
                continue;
            };
            d.staffed_intervals += 1;
            d.agent_hours_required += f64::from(agents) * h;
            d.fte_hours += fte(f64::from(agents), self.shrinkage) * h;
            if let Some(gap) = self.gap(k) {
                d.over_hours += gap.max(0.0) * h;
                d.under_hours += (-gap).max(0.0) * h;
            }
        }
        d
    }
}

/// The length of an interval, hours.
pub fn hours(i: &StaffInterval) -> f64 {
    i.end.saturating_since(i.start).as_secs_f64() / 3600.0
}

/// FTE required for `agents_on_floor` agents on the floor: agents / (1 − shrinkage),
/// the agents to schedule so that, after the share `shrinkage` of their paid time spent
/// off the floor, that many are on it (10 agents at shrinkage 0.2: 12.5 FTE).
pub fn fte(agents_on_floor: f64, shrinkage: f64) -> f64 {
    agents_on_floor / (1.0 - shrinkage)
}

/// The scenario's own agents over one interval, time-weighted (agent-milliseconds in the
/// interval / its length): fractions when a shift or break covers part of it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RosterCover {
    /// Agents logged in, by their shifts [shift_start, shift_end).
    pub logged_in: f64,
    /// Agents on the floor: logged in and not on a planned break.
    pub on_floor: f64,
}

/// The roster's agents in [start, end) ([`RosterCover`]).
pub fn roster_cover(agents: &[AgentSpec], start: SimTime, end: SimTime) -> RosterCover {
    let (from, to) = (start.as_millis(), end.as_millis());
    if to <= from {
        return RosterCover::default();
    }
    let overlap = |a: u64, b: u64| b.min(to).saturating_sub(a.max(from));
    let (mut logged_in, mut on_break) = (0u128, 0u128);
    for agent in agents {
        let (s, e) = (agent.shift_start.as_millis(), agent.shift_end.as_millis());
        logged_in += u128::from(overlap(s, e));
        for b in &agent.breaks {
            // A break counts only inside the shift (the loader keeps it there).
            let bs = b.start.as_millis().max(s);
            let be = b
                .start
                .as_millis()
                .saturating_add(b.length.as_millis())
                .min(e);
            if be > bs {
                on_break += u128::from(overlap(bs, be));
            }
        }
    }
    let span = (to - from) as f64;
    RosterCover {
        logged_in: logged_in as f64 / span,
        on_floor: logged_in.saturating_sub(on_break) as f64 / span,
    }
}

/// The day's totals of a staffing, in agent-hours (an interval's figure × its length).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DaySummary {
    /// Every interval's length, hours.
    pub hours: f64,
    /// Intervals that could be staffed; the required, FTE and gap totals are over these.
    pub staffed_intervals: usize,
    /// Σ required agents (on the floor) × hours.
    pub agent_hours_required: f64,
    /// Σ FTE required × hours: the paid hours to schedule.
    pub fte_hours: f64,
    /// Σ roster agents on the floor × hours, over every interval.
    pub roster_agent_hours: f64,
    /// Σ positive gaps × hours: agent-hours on the floor beyond the requirement.
    pub over_hours: f64,
    /// Σ negative gaps × hours, as a positive figure: agent-hours missing.
    pub under_hours: f64,
}

impl DaySummary {
    /// Over − under: the roster's net agent-hours against the requirement.
    pub fn net_gap_hours(&self) -> f64 {
        self.over_hours - self.under_hours
    }
}

/// Call Centre Helper's concurrency factors ("Erlang C for chat",
/// callcentrehelper.com/erlang-c-for-chat-206984.htm): an agent holding c chats at once
/// does the work of `factor` single-chat agents, less than c because handling slows as
/// chats overlap. (concurrent chats, factor).
pub const CONCURRENCY_FACTORS: [(f64, f64); 5] =
    [(1.0, 1.0), (2.0, 1.7), (3.0, 2.5), (4.0, 2.9), (5.0, 3.5)];

/// The concurrency factor of [`CONCURRENCY_FACTORS`] for `concurrency` chats: the table's
/// own value at 1–5, linear between its rows (a roster mixing caps 2 and 3 half and half,
/// mean 2.5: 2.1), and clamped outside. Beyond 5 the factor stays 3.5 (our choice: the
/// table stops there, and the field evidence is that throughput stops growing around 5
/// chats — FM Outsource's contacts per hour peaked at a limit of 5 and fell at 6 — so
/// extrapolating the table's slope would promise capacity nobody measured). Below 1 (no
/// roster) it is 1.
pub fn concurrency_factor(concurrency: f64) -> f64 {
    let (first, last) = (CONCURRENCY_FACTORS[0], CONCURRENCY_FACTORS[4]);
    if concurrency.is_nan() || concurrency <= first.0 {
        return first.1;
    }
    if concurrency >= last.0 {
        return last.1;
    }
    CONCURRENCY_FACTORS
        .windows(2)
        .find(|w| concurrency <= w[1].0)
        .map_or(last.1, |w| {
            let ((c0, f0), (c1, f1)) = (w[0], w[1]);
            f0 + (f1 - f0) * (concurrency - c0) / (c1 - c0)
        })
}

/// The rule of thumb planners staff chat with, shown beside the simulated answer: Erlang C
/// with one server per agent on an effective handle time EAHT = AHT ÷ the concurrency
/// factor ([`concurrency_factor`]). The concurrency is the roster's mean session cap
/// (each roster row once): the staffed candidates scale the roster in an interleaved order
/// that keeps its mix of caps, so this is the mean cap of any candidate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleOfThumb {
    /// Chats per agent the factor is read at.
    pub concurrency: f64,
    /// The factor AHT is divided by.
    pub factor: f64,
}

impl RuleOfThumb {
    /// The rule at `concurrency` chats per agent.
    pub fn at(concurrency: f64) -> RuleOfThumb {
        RuleOfThumb {
            concurrency,
            factor: concurrency_factor(concurrency),
        }
    }

    /// The rule at the mean `max_sessions` of `roster` (1 for an empty roster).
    pub fn of_roster(roster: &[AgentSpec]) -> RuleOfThumb {
        let caps: f64 = roster.iter().map(|a| f64::from(a.max_sessions)).sum();
        RuleOfThumb::at(if roster.is_empty() {
            1.0
        } else {
            caps / roster.len() as f64
        })
    }

    /// EAHT = `aht_s` ÷ factor, seconds.
    pub fn effective_aht_s(&self, aht_s: f64) -> f64 {
        aht_s / self.factor
    }

    /// Agents by the rule: the fewest servers whose M/M/c queue, fed `rate_per_hour`
    /// chats of mean length EAHT, answers `service_level` of them within `threshold_s`
    /// (0 without chats).
    pub fn agents(
        &self,
        rate_per_hour: f64,
        aht_s: f64,
        threshold_s: f64,
        service_level: f64,
    ) -> u32 {
        if rate_per_hour.is_nan() || rate_per_hour <= 0.0 {
            return 0;
        }
        smallest_c_for_service_level(
            rate_per_hour / 3600.0,
            1.0 / self.effective_aht_s(aht_s).max(1e-9),
            threshold_s,
            service_level.min(1.0 - 1e-12),
        )
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
        queue: None,
        direction: Direction::AtLeast,
        strict: false,
        value: erlang_service_level(targets),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Break;

    fn agent(shift: (u64, u64), breaks: &[(u64, u64)]) -> AgentSpec {
        AgentSpec {
            name: "A".into(),
            group: 0,
            max_sessions: 2,
            shift_start: SimTime::from_secs(shift.0 * 60),
            shift_end: SimTime::from_secs(shift.1 * 60),
            breaks: breaks
                .iter()
                .map(|&(start, len)| Break {
                    start: SimTime::from_secs(start * 60),
                    length: Millis::from_secs(len * 60),
                })
                .collect(),
            speed_factor: 1.0,
            skills: vec![crate::engine::Skill {
                queue: crate::engine::QueueId(0),
                level: 1,
            }],
        }
    }

    #[test]
    fn the_concurrency_factor_is_the_table_interpolated_and_clamped() {
        for (c, f) in CONCURRENCY_FACTORS {
            assert_eq!(concurrency_factor(c), f, "the table's own row {c}");
        }
        // Half way between 2 (1.7) and 3 (2.5): 2.1; a quarter of the way from 4 (2.9)
        // to 5 (3.5): 3.05.
        assert!((concurrency_factor(2.5) - 2.1).abs() < 1e-12);
        assert!((concurrency_factor(4.25) - 3.05).abs() < 1e-12);
        // Clamped: beyond 5 the factor stays 3.5, below 1 it is 1.
        assert_eq!(concurrency_factor(6.0), 3.5);
        assert_eq!(concurrency_factor(64.0), 3.5);
        assert_eq!(concurrency_factor(0.0), 1.0);
        assert_eq!(concurrency_factor(f64::NAN), 1.0);
        // The roster's mean cap: caps 2, 2, 3, 3 → 2.5 → 2.1.
        let mut roster = vec![agent((0, 60), &[]); 4];
        roster[2].max_sessions = 3;
        roster[3].max_sessions = 3;
        let rule = RuleOfThumb::of_roster(&roster);
        assert_eq!(rule.concurrency, 2.5);
        assert!((rule.factor - 2.1).abs() < 1e-12);
        assert_eq!(RuleOfThumb::of_roster(&[]).factor, 1.0);
    }

    #[test]
    fn rule_of_thumb_agents_by_hand() {
        // Case 1: 60 chats an hour of AHT 120 s = 2 Erlangs of chat, concurrency 2
        // (factor 1.7), 80 % within 20 s. EAHT = 120 / 1.7 = 70.588 s, μ = 0.0141667/s,
        // λ = 1/60 s, a = 2/1.7 = 1.17647 Erlangs. Erlang B by recursion:
        // B1 = a/(1+a) = 0.540541, B2 = a·B1/(2 + a·B1) = 0.635930/2.635930 = 0.241255,
        // B3 = a·B2/(3 + a·B2) = 0.283829/3.283829 = 0.086432.
        // C(c) = c·Bc/(c − a(1 − Bc)): C2 = 0.482510/1.107359 = 0.435730,
        // C3 = 0.259297/1.925214 = 0.134685.
        // SL(c) = 1 − C(c)·exp(−(cμ − λ)·20):
        // c = 2: 1 − 0.435730·exp(−0.233333) = 1 − 0.435730·0.791882 = 0.654953 < 0.8;
        // c = 3: 1 − 0.134685·exp(−0.516667) = 1 − 0.134685·0.596526 = 0.919657 ≥ 0.8.
        // → 3 agents (Erlang C on 2-session slots would say 4 slots = 2 agents).
        let two = RuleOfThumb::at(2.0);
        assert!((two.effective_aht_s(120.0) - 70.588_235).abs() < 1e-6);
        assert_eq!(two.agents(60.0, 120.0, 20.0, 0.8), 3);
        let sl =
            |c, aht: f64| crate::metrics::erlang::mmc_service_level(c, 1.0 / 60.0, 1.0 / aht, 20.0);
        assert!((sl(2, 120.0 / 1.7) - 0.654953).abs() < 1e-5);
        assert!((sl(3, 120.0 / 1.7) - 0.919657).abs() < 1e-5);
        // Case 2: 120 chats an hour of AHT 150 s = 5 Erlangs, concurrency 3 (factor 2.5):
        // EAHT = 60 s, μ = 1/60, λ = 1/30, a = 2. B1 = 2/3, B2 = 0.4, B3 = 0.210526,
        // B4 = 0.095238; C3 = 0.631579/1.421053 = 0.444444, C4 = 0.380952/2.190476 =
        // 0.173913. c = 3: 1 − 0.444444·exp(−(3/60 − 2/60)·20) = 1 − 0.444444·0.716531
        // = 0.681542 < 0.8; c = 4: 1 − 0.173913·exp(−0.666667) = 1 − 0.173913·0.513417
        // = 0.910710 ≥ 0.8 → 4 agents.
        let three = RuleOfThumb::at(3.0);
        assert_eq!(three.effective_aht_s(150.0), 60.0);
        let sl2 = |c| crate::metrics::erlang::mmc_service_level(c, 1.0 / 30.0, 1.0 / 60.0, 20.0);
        assert!((sl2(3) - 0.681542).abs() < 1e-5);
        assert!((sl2(4) - 0.910710).abs() < 1e-5);
        assert_eq!(three.agents(120.0, 150.0, 20.0, 0.8), 4);
        // One chat at a time: factor 1, plain Erlang C; no chats: no agents.
        assert_eq!(
            RuleOfThumb::at(1.0).agents(480.0, 60.0, 20.0, 0.8),
            smallest_c_for_service_level(480.0 / 3600.0, 1.0 / 60.0, 20.0, 0.8)
        );
        assert_eq!(two.agents(0.0, 120.0, 20.0, 0.8), 0);
    }

    #[test]
    fn fte_is_agents_over_one_minus_shrinkage() {
        assert_eq!(fte(10.0, 0.2), 12.5);
        assert_eq!(fte(7.0, 0.0), 7.0);
        assert!((fte(14.0, 0.3) - 20.0).abs() < 1e-12);
    }

    #[test]
    fn roster_cover_by_hand() {
        // Minutes from the epoch. A: 0–60, break 30–45; B: 15–75; C: 60–120.
        let roster = [
            agent((0, 60), &[(30, 15)]),
            agent((15, 75), &[]),
            agent((60, 120), &[]),
        ];
        let at = |a: u64, b: u64| {
            roster_cover(
                &roster,
                SimTime::from_secs(a * 60),
                SimTime::from_secs(b * 60),
            )
        };
        // 0–30: A all 30 min, B 15 of 30 → 1.5 logged in, none on a break.
        assert_eq!(
            at(0, 30),
            RosterCover {
                logged_in: 1.5,
                on_floor: 1.5
            }
        );
        // 30–60: A 30 (15 on a break), B 30 → 2 logged in, 1.5 on the floor.
        assert_eq!(
            at(30, 60),
            RosterCover {
                logged_in: 2.0,
                on_floor: 1.5
            }
        );
        // 60–90: B 15 of 30, C 30 → 1.5.
        assert_eq!(
            at(60, 90),
            RosterCover {
                logged_in: 1.5,
                on_floor: 1.5
            }
        );
        // 120–150: nobody; an empty interval: nobody.
        assert_eq!(at(120, 150), RosterCover::default());
        assert_eq!(at(30, 30), RosterCover::default());
    }
}
