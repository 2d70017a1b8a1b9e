//! Per-queue staffing's building blocks: the desk's skill groups (agents with the same
//! skill profile, the decision variables), each queue's own Erlang C and rule-of-thumb
//! answer for comparison, and the coordinate-wise search over the groups' head-counts.
//!
//! Not yet wired to the command: judging a candidate needs the multi-queue engine, the
//! loader of `[[queues]]` and per-queue figures and targets, which arrive on other
//! branches. What is here is tested on its own: the groups and Erlang columns by hand,
//! the search on monotone oracles.

use crate::engine::{QueueId, Skill};
use crate::plan::staffing::RuleOfThumb;
use crate::scenario::{AgentSpec, Scenario};
use std::collections::BTreeMap;

use super::{agents_for_servers, search};
use crate::metrics::erlang::smallest_c_for_service_level;

/// Agents with the same skill profile (queues and levels): one decision variable of
/// per-queue staffing, scaled like the roster's rows it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct SkillGroup {
    /// The profile, sorted by queue.
    pub skills: Vec<Skill>,
    /// Roster indices of its agents, in roster order.
    pub agents: Vec<usize>,
}

impl SkillGroup {
    /// Whether the group serves `queue` at any level.
    pub fn serves(&self, queue: QueueId) -> bool {
        self.skills.iter().any(|s| s.queue == queue)
    }
}

/// The roster's skill groups, in the order of their first agent. A roster whose agents
/// all have the same skills (a pooled desk) is one group.
pub fn skill_groups(roster: &[AgentSpec]) -> Vec<SkillGroup> {
    let mut groups: Vec<SkillGroup> = vec![];
    for (i, a) in roster.iter().enumerate() {
        let mut skills = a.skills.clone();
        skills.sort_by_key(|s| (s.queue, s.level));
        match groups.iter_mut().find(|g| g.skills == skills) {
            Some(g) => g.agents.push(i),
            None => groups.push(SkillGroup {
                skills,
                agents: vec![i],
            }),
        }
    }
    groups
}

/// Each queue's share of the arrivals: the shares of the segments that wait in it.
pub fn queue_shares(sc: &Scenario) -> Vec<f64> {
    let mut shares = vec![0.0; sc.queues.len().max(1)];
    for seg in &sc.segments {
        if let Some(s) = shares.get_mut(usize::from(seg.queue.0)) {
            *s += seg.share;
        }
    }
    shares
}

/// A queue staffed alone by the formulas, for comparison with the simulated groups.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueErlang {
    pub queue: String,
    pub rate_per_hour: f64,
    /// Erlang C on session slots: servers, and the agents with the queue's skill whose
    /// caps add up to them (in the roster's interleaved order).
    pub erlang_c_servers: u32,
    pub erlang_c_agents: u32,
    /// The chat rule of thumb at the mean cap of the agents with the queue's skill.
    pub rule_of_thumb_agents: u32,
}

/// Each queue's Erlang C and rule-of-thumb answer as if its own agents (those with its
/// skill, at any level) served it alone: its share of `rate_per_hour`, sessions of mean
/// `session_s`, `service_level` within `threshold_s`. Exact for disjoint queues without
/// overflow; with shared agents or overflow the queues share capacity and the sum
/// over-counts (what a planner staffing each queue on a calculator would get).
pub fn per_queue_erlang(
    sc: &Scenario,
    rate_per_hour: f64,
    session_s: f64,
    threshold_s: f64,
    service_level: f64,
) -> Vec<QueueErlang> {
    let shares = queue_shares(sc);
    let names: Vec<String> = if sc.queues.is_empty() {
        vec!["default".into()]
    } else {
        sc.queues.iter().map(|q| q.name.clone()).collect()
    };
    names
        .into_iter()
        .zip(shares)
        .enumerate()
        .map(|(q, (queue, share))| {
            let q = QueueId(q as u16);
            let own: Vec<AgentSpec> = sc
                .agents
                .iter()
                .filter(|a| a.skills.iter().any(|s| s.queue == q))
                .cloned()
                .collect();
            let rate = rate_per_hour * share;
            let servers = if rate > 0.0 {
                smallest_c_for_service_level(
                    rate / 3600.0,
                    1.0 / session_s.max(1e-9),
                    threshold_s,
                    service_level.min(1.0 - 1e-12),
                )
            } else {
                0
            };
            QueueErlang {
                queue,
                rate_per_hour: rate,
                erlang_c_servers: servers,
                erlang_c_agents: agents_for_servers(&own, servers),
                rule_of_thumb_agents: RuleOfThumb::of_roster(&own).agents(
                    rate,
                    session_s,
                    threshold_s,
                    service_level,
                ),
            }
        })
        .collect()
}

/// Most passes over the groups [`coordinate_search`] makes before giving up on settling.
pub const MAX_PASSES: usize = 16;

/// The coordinate-wise search over the groups' head-counts. `meets(counts)` judges a whole
/// desk (every queue's targets). First a desk that meets: `start` (one count per group,
/// each in 1..=`cap[g]`), doubled in every group (up to its cap) until it meets; `None`
/// when even every cap misses. Then passes: each group in turn is lowered to the fewest
/// agents that still meet every target with the other groups held where they are
/// ([`search`], bracket and bisection downwards from its count), until a pass changes
/// nothing (no group can lose an agent). Every desk judged meets or is refused, so the
/// answer meets the targets; a desk is judged once. `None` also when it does not settle
/// within [`MAX_PASSES`] (counts only fall, so it settles after at most Σ counts passes).
///
/// Limits: the answer is coordinate-wise minimal (no single group can lose an agent), not
/// necessarily the fewest agents in total: when groups share queues (a bilingual group, an
/// overflow) moving agents between two groups at once may do better, and the answer can
/// depend on the start and the group order. Each group keeps at least one agent. With
/// disjoint queues each queue's targets depend on its own group alone, so one pass gives
/// each group its own single-queue answer and a second confirms it; a pooled desk is one
/// group, and this is the single-queue search from a desk that meets.
pub fn coordinate_search(
    start: &[u32],
    cap: &[u32],
    mut meets: impl FnMut(&[u32]) -> anyhow::Result<bool>,
) -> anyhow::Result<Option<Vec<u32>>> {
    let cap: Vec<u32> = cap.iter().map(|&c| c.max(1)).collect();
    let mut counts: Vec<u32> = start
        .iter()
        .zip(&cap)
        .map(|(&s, &c)| s.clamp(1, c))
        .collect();
    let mut seen: BTreeMap<Vec<u32>, bool> = BTreeMap::new();
    let mut judge = |desk: &[u32]| -> anyhow::Result<bool> {
        if let Some(&v) = seen.get(desk) {
            return Ok(v);
        }
        let v = meets(desk)?;
        seen.insert(desk.to_vec(), v);
        Ok(v)
    };
    while !judge(&counts)? {
        if counts == cap {
            return Ok(None);
        }
        for (k, c) in counts.iter_mut().zip(&cap) {
            *k = k.saturating_mul(2).min(*c);
        }
    }
    for _ in 0..MAX_PASSES {
        let before = counts.clone();
        for g in 0..counts.len() {
            // The current desk meets, so the search only moves down from its count.
            let found = search(counts[g], counts[g], |k| {
                let mut desk = counts.clone();
                desk[g] = k;
                judge(&desk)
            })?;
            counts[g] = found.expect("the current count meets");
        }
        if counts == before {
            return Ok(Some(counts));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Queue;
    use crate::sim::presets::holding_mmc;

    fn skill(q: u16, level: u8) -> Skill {
        Skill {
            queue: QueueId(q),
            level,
        }
    }

    /// English (0) and Spanish (1) queues, 3/4 and 1/4 of 480 chats an hour of 60 s;
    /// agents 0–5 English only, 6–8 Spanish only (caps 1).
    fn two_queues() -> Scenario {
        let mut sc = holding_mmc(9, 480.0, 60.0, None, 3600, 600);
        sc.queues = vec![
            Queue {
                name: "english".into(),
                spec: crate::engine::QueueSpec::own(QueueId(0)),
            },
            Queue {
                name: "spanish".into(),
                spec: crate::engine::QueueSpec::own(QueueId(1)),
            },
        ];
        let mut spanish = sc.segments[0].clone();
        spanish.name = "es".into();
        spanish.share = 0.25;
        spanish.queue = QueueId(1);
        sc.segments[0].share = 0.75;
        sc.segments.push(spanish);
        for (i, a) in sc.agents.iter_mut().enumerate() {
            a.skills = vec![skill(if i < 6 { 0 } else { 1 }, 1)];
        }
        sc
    }

    #[test]
    fn agents_with_the_same_skills_form_a_group() {
        let mut sc = two_queues();
        // A bilingual agent, its skills written in the other order, and one at level 2.
        sc.agents[1].skills = vec![skill(1, 1), skill(0, 1)];
        sc.agents[7].skills = vec![skill(0, 1), skill(1, 1)];
        sc.agents[8].skills = vec![skill(1, 2)];
        let groups = skill_groups(&sc.agents);
        let members: Vec<Vec<usize>> = groups.iter().map(|g| g.agents.clone()).collect();
        assert_eq!(members, [vec![0, 2, 3, 4, 5], vec![1, 7], vec![6], vec![8]]);
        assert_eq!(groups[1].skills, [skill(0, 1), skill(1, 1)]);
        assert!(groups[1].serves(QueueId(0)) && groups[1].serves(QueueId(1)));
        assert!(!groups[2].serves(QueueId(0)));
        // A pooled desk is one group.
        let pooled = holding_mmc(5, 60.0, 60.0, None, 60, 0);
        assert_eq!(skill_groups(&pooled.agents).len(), 1);
    }

    #[test]
    fn each_disjoint_queue_gets_its_own_erlang_answer() {
        let sc = two_queues();
        assert_eq!(queue_shares(&sc), [0.75, 0.25]);
        let per = per_queue_erlang(&sc, 480.0, 60.0, 20.0, 0.8);
        // Spanish: 120/h of 60 s = 2 Erlangs, 80 % in 20 s. Erlang B: B3 = 0.210526,
        // B4 = 0.095238; C3 = 0.444444, C4 = 0.173913. SL(3) = 1 − 0.444444·e^(−1/3) =
        // 0.6815 < 0.8, SL(4) = 1 − 0.173913·e^(−2/3) = 0.9107 → 4 agents (cap 1, so
        // the rule of thumb's factor is 1: also 4).
        assert_eq!(per[1].queue, "spanish");
        assert_eq!(per[1].rate_per_hour, 120.0);
        assert_eq!(
            (
                per[1].erlang_c_servers,
                per[1].erlang_c_agents,
                per[1].rule_of_thumb_agents
            ),
            (4, 4, 4)
        );
        // English: 360/h = 6 Erlangs, the single-queue formula's answer.
        let english = smallest_c_for_service_level(0.1, 1.0 / 60.0, 20.0, 0.8);
        assert_eq!(per[0].erlang_c_agents, english);
        assert_eq!(per[0].rule_of_thumb_agents, english);
        // A pooled desk: one queue, the single-queue answer of the whole rate.
        let pooled = holding_mmc(9, 480.0, 60.0, None, 3600, 600);
        let one = per_queue_erlang(&pooled, 480.0, 60.0, 20.0, 0.8);
        assert_eq!(one.len(), 1);
        assert_eq!(
            one[0].erlang_c_agents,
            smallest_c_for_service_level(480.0 / 3600.0, 1.0 / 60.0, 20.0, 0.8)
        );
        // Two chats per Spanish agent: 4 slots = 2 agents by Erlang C; the rule of thumb
        // (factor 1.7, EAHT 35.3 s, a = 1.176) needs SL(2) = 1 − C2·e^(−(2/35.29 − 1/30)·20)
        // = 1 − 0.4357·0.6271 = 0.727 < 0.8 and SL(3) ≥ 0.8 → 3 agents.
        let mut two = sc.clone();
        for a in two.agents.iter_mut().skip(6) {
            a.max_sessions = 2;
        }
        let per = per_queue_erlang(&two, 480.0, 60.0, 20.0, 0.8);
        assert_eq!(
            (per[1].erlang_c_agents, per[1].rule_of_thumb_agents),
            (2, 3)
        );
    }

    #[test]
    fn disjoint_groups_settle_at_their_own_answers() {
        // Queue A needs 5 of group 0, queue B 3 of group 1, independently.
        let mut asked = 0;
        let got = coordinate_search(&[8, 1], &[50, 50], |k| {
            asked += 1;
            Ok(k[0] >= 5 && k[1] >= 3)
        })
        .unwrap();
        assert_eq!(got, Some(vec![5, 3]));
        assert!(asked < 20, "{asked} desks judged");
        // A pooled desk (one group) is the single-queue search.
        let single = coordinate_search(&[10], &[50], |k| Ok(k[0] >= 9)).unwrap();
        assert_eq!(
            single,
            search(10, 50, |k| Ok(k >= 9)).unwrap().map(|k| vec![k])
        );
        // A target no count meets: none.
        assert_eq!(
            coordinate_search(&[3, 3], &[10, 10], |k| Ok(k[0] >= 20)).unwrap(),
            None
        );
    }

    #[test]
    fn shared_groups_end_coordinate_wise_minimal() {
        // English needs e + b/2 ≥ 6, Spanish s + b/2 ≥ 4 (b a bilingual group helping both
        // by half an agent each). From (e, b, s) = (1, 1, 1): misses; (2, 2, 2): English
        // 2 + 1 < 6 misses; (4, 4, 4): 4 + 2 ≥ 6 and 4 + 2 ≥ 4 meets. Pass 1: e + 2 ≥ 6
        // keeps e = 4; b: English 4 + b/2 ≥ 6 keeps b = 4; s + 2 ≥ 4 → s = 2. Pass 2
        // changes nothing: (4, 4, 2), 10 agents. (6, 1, 4) would be 11.5 → 12 agents, and
        // (5, 2, 3) also 10: coordinate-wise minimal, not unique.
        let ok = |k: &[u32]| {
            let b = f64::from(k[1]) / 2.0;
            f64::from(k[0]) + b >= 6.0 && f64::from(k[2]) + b >= 4.0
        };
        let got = coordinate_search(&[1, 1, 1], &[40, 40, 40], |k| Ok(ok(k)))
            .unwrap()
            .unwrap();
        assert_eq!(got, [4, 4, 2]);
        // Whatever the start, the answer meets the targets and no group can lose one.
        for start in [[10, 10, 10], [1, 20, 1], [3, 6, 2]] {
            let got = coordinate_search(&start, &[40, 40, 40], |k| Ok(ok(k)))
                .unwrap()
                .unwrap();
            assert!(ok(&got), "{start:?} → {got:?}");
            for g in 0..3 {
                let mut less = got.clone();
                less[g] -= 1;
                assert!(
                    less[g] == 0 || !ok(&less),
                    "{start:?} → {got:?}: {g} can shrink"
                );
            }
        }
    }
}
