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

use super::controls::{run_replications, Judged};
use super::roster::{agents_for_servers, roster_copy};
use super::search::{looks, search, verdict, Verdict};
use super::{
    analytic_session_s, erlang_patience_s, never_abandons, staff_intervals, Plan, StaffProgress,
    StaffSettings,
};
use crate::metrics::erlang::smallest_c_for_service_level;
use crate::metrics::{summarize, RepMetrics, Stat};
use crate::plan::staffing::erlang_service_level;
use crate::scenario::SessionModel;
use crate::sim::SimError;
use crate::target::Target;
use crate::time::SimTime;
use std::time::Instant;

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

/// One skill group's answer: its profile, its roster head-count and the agents required.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupAnswer {
    /// The profile as the roster writes it (`spanish:1+english:2`).
    pub skills: String,
    pub roster_agents: u32,
    /// `None` when no desk within the caps meets every target.
    pub required_agents: Option<u32>,
}

/// One queue's figures at the answer (or at the last desk judged), and its formulas.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueAnswer {
    pub erlang: QueueErlang,
    /// Each target on this queue: the target as written and its figure (mean, CI).
    pub achieved: Vec<(String, Stat)>,
}

/// Per-queue staffing of the whole run at its peak rate: the groups' head-counts and
/// each queue's figures beside its Erlang C and rule-of-thumb answer.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupStaffing {
    pub rate_per_hour: f64,
    pub groups: Vec<GroupAnswer>,
    pub queues: Vec<QueueAnswer>,
    /// Every target as written, and whether the answer meets it.
    pub unmet: Vec<String>,
    /// Desks simulated by the search.
    pub desks_judged: u32,
}

impl GroupStaffing {
    pub fn staffed(&self) -> bool {
        self.groups.iter().all(|g| g.required_agents.is_some())
    }
}

/// `Ok` when every per-queue target names a queue of a desk with several queues; the
/// error says which and how to fix it (exit 2).
pub fn check_queue_targets(sc: &Scenario, targets: &[Target]) -> anyhow::Result<()> {
    let queues: Vec<String> = sc.queues.iter().map(|q| q.name.clone()).collect();
    for t in targets.iter().filter(|t| t.queue.is_some()) {
        crate::target::check_target_names(t, &queues)
            .map_err(|e| anyhow::anyhow!("unknown {} in --target \"{t}\"; {}", e.what, e.fix))?;
    }
    Ok(())
}

/// The roster of a desk with `counts[g]` agents in group `g`: each group's agents in
/// roster order, cycling with copies `A001+1`, … past its size, logged in over [0, end)
/// without breaks (as the one-queue search scales its roster).
fn group_roster(
    roster: &[AgentSpec],
    groups: &[SkillGroup],
    counts: &[u32],
    end: SimTime,
) -> Vec<AgentSpec> {
    let mut out = vec![];
    for (g, &n) in groups.iter().zip(counts) {
        for k in 0..n as usize {
            let a = &roster[g.agents[k % g.agents.len()]];
            out.push(roster_copy(a, k / g.agents.len(), end));
        }
    }
    out
}

/// What one desk's replications gave: whether it meets, and each target's figure.
struct DeskEval {
    meets: bool,
    figures: Vec<Stat>,
    unmet: Vec<String>,
}

/// Staffs a desk with several queues per skill group, for the whole run at its peak
/// rate (a profile's busiest interval; the measured window of a Poisson scenario): the
/// decision variables are the groups' head-counts ([`skill_groups`]), each desk is a
/// stationary sub-scenario judged on the per-queue figures (and any run-level target)
/// by the one-queue search's replications — `--replications` first, doubling while a
/// CI still contains its target, up to `--max-replications`, common random numbers
/// across desks — and [`coordinate_search`] finds the head-counts. Plain means and CIs:
/// the control variates are the run's, not a queue's.
pub fn staff_groups(
    sc: &Scenario,
    targets: &[Target],
    settings: &StaffSettings,
) -> anyhow::Result<GroupStaffing> {
    let groups = skill_groups(&sc.agents);
    let rate = staff_intervals(sc)
        .iter()
        .map(|i| i.rate_per_hour)
        .fold(0.0, f64::max);
    let session_s = match &sc.sessions {
        SessionModel::Holding { holding_time } => holding_time.mean(),
        SessionModel::Turns => analytic_session_s(sc),
    };
    let threshold_s = sc.run.service_level_threshold.as_secs_f64();
    let erlang = per_queue_erlang(
        sc,
        rate,
        session_s,
        threshold_s,
        erlang_service_level(targets),
    );
    // Start: each queue's Erlang C agents, split evenly over the groups that serve it.
    let start: Vec<u32> = groups
        .iter()
        .map(|g| {
            erlang
                .iter()
                .enumerate()
                .filter(|(q, _)| g.serves(QueueId(*q as u16)))
                .map(|(q, e)| {
                    let serving = groups
                        .iter()
                        .filter(|h| h.serves(QueueId(q as u16)))
                        .count()
                        .max(1) as u32;
                    e.erlang_c_agents.div_ceil(serving)
                })
                .sum::<u32>()
                .max(1)
        })
        .collect();
    let most = crate::scenario::MAX_AGENTS as u32;
    let cap: Vec<u32> = start
        .iter()
        .map(|s| s.saturating_mul(4).saturating_add(10).min(most))
        .collect();
    let plan = Plan {
        sc,
        targets,
        settings,
        seed: sc.run.seed,
        patience_s: erlang_patience_s(sc),
        aht: None,
    };
    let slots = |counts: &[u32]| -> u32 {
        groups
            .iter()
            .zip(counts)
            .map(|(g, &n)| {
                (0..n as usize)
                    .map(|k| sc.agents[g.agents[k % g.agents.len()]].max_sessions)
                    .sum::<u32>()
            })
            .sum()
    };
    // One window for every desk (the start's): common random numbers need the same one.
    let window = plan.window(rate, session_s, slots(&start).max(1));
    let end = SimTime::ZERO + window.warmup + window.horizon;
    let shares = queue_shares(sc);
    // With known session lengths and nobody abandoning, a queue whose agents' slots
    // cannot carry its load grows without end: such a desk fails without simulating.
    let unstable = |counts: &[u32]| -> bool {
        matches!(sc.sessions, SessionModel::Holding { .. })
            && never_abandons(sc)
            && shares.iter().enumerate().any(|(q, share)| {
                let load = rate * share / 3600.0 * session_s;
                let served: Vec<u32> = groups
                    .iter()
                    .map(|g| u32::from(g.serves(QueueId(q as u16))))
                    .collect();
                let own: Vec<u32> = counts.iter().zip(&served).map(|(c, s)| c * s).collect();
                load > 0.0 && f64::from(slots(&own)) <= load
            })
    };
    let evaluate = |counts: &[u32]| -> anyhow::Result<DeskEval> {
        if unstable(counts) {
            return Ok(DeskEval {
                meets: false,
                figures: vec![],
                unmet: vec!["a queue's load reaches its agents' session slots".into()],
            });
        }
        let mut sub = plan.sub_scenario(rate, 1, window);
        sub.agents = group_roster(&sc.agents, &groups, counts, end);
        let max = settings.max_replications.max(settings.replications);
        let looks = looks(settings.replications, max);
        let started = Instant::now();
        let mut reps: Vec<RepMetrics> = vec![];
        let mut want = settings.replications;
        // `verdict` matches figures to targets by name: each target gets its own key.
        let keyed: Vec<Target> = targets
            .iter()
            .map(|t| Target {
                metric: t.to_string(),
                queue: None,
                ..t.clone()
            })
            .collect();
        loop {
            match run_replications(&sub, reps.len() as u32..want, settings.cancel) {
                Ok(more) => reps.extend(more.into_iter().map(|(m, _)| m)),
                Err(
                    SimError::EventLimit { .. }
                    | SimError::TimeLimit { .. }
                    | SimError::Overloaded { .. },
                ) => {
                    return Ok(DeskEval {
                        meets: false,
                        figures: vec![],
                        unmet: vec!["the run's event or time limit".into()],
                    })
                }
                Err(e) => return Err(e.into()),
            }
            settings.tell(StaffProgress::Candidate);
            let summary = summarize(&sub, sc.run.seed, &reps, started.elapsed().as_secs_f64());
            let judged: Vec<Judged> = targets
                .iter()
                .zip(&keyed)
                .filter_map(|(t, k)| {
                    let s = summary.stat_of(t)?;
                    Some(Judged {
                        metric: k.metric.clone(),
                        stat: s.clone(),
                        df: s.per_replication.iter().filter(|v| v.is_finite()).count() as f64 - 1.0,
                    })
                })
                .collect();
            if want >= max || verdict(&keyed, &judged, looks) != Verdict::Undecided {
                let unmet: Vec<String> = targets
                    .iter()
                    .zip(&keyed)
                    .filter(|(t, k)| {
                        !judged
                            .iter()
                            .find(|j| j.metric == k.metric)
                            .is_some_and(|j| t.holds(&j.stat, settings.confidence))
                    })
                    .map(|(t, _)| t.to_string())
                    .collect();
                let figures = targets
                    .iter()
                    .map(|t| {
                        summary.stat_of(t).cloned().unwrap_or(Stat {
                            mean: f64::NAN,
                            ci95_half_width: f64::NAN,
                            per_replication: vec![],
                        })
                    })
                    .collect();
                return Ok(DeskEval {
                    meets: unmet.is_empty(),
                    figures,
                    unmet,
                });
            }
            want = want.saturating_mul(2).min(max);
        }
    };
    let mut judged = 0u32;
    let found = coordinate_search(&start, &cap, |counts| {
        judged += 1;
        Ok(evaluate(counts)?.meets)
    })?;
    // The answer's figures (or, unstaffed, those of every group at its cap).
    let shown = found.clone().unwrap_or_else(|| cap.clone());
    let last = evaluate(&shown)?;
    let names: Vec<String> = if sc.queues.is_empty() {
        vec!["default".into()]
    } else {
        sc.queues.iter().map(|q| q.name.clone()).collect()
    };
    let queues = erlang
        .into_iter()
        .map(|e| QueueAnswer {
            achieved: targets
                .iter()
                .zip(&last.figures)
                .filter(|(t, _)| t.queue.as_deref() == Some(e.queue.as_str()))
                .map(|(t, s)| (t.to_string(), s.clone()))
                .collect(),
            erlang: e,
        })
        .collect();
    Ok(GroupStaffing {
        rate_per_hour: rate,
        groups: groups
            .iter()
            .enumerate()
            .map(|(g, grp)| GroupAnswer {
                skills: grp
                    .skills
                    .iter()
                    .map(|s| format!("{}:{}", names[usize::from(s.queue.0)], s.level))
                    .collect::<Vec<_>>()
                    .join("+"),
                roster_agents: grp.agents.len() as u32,
                required_agents: found.as_ref().map(|f| f[g]),
            })
            .collect(),
        queues,
        unmet: last.unmet,
        desks_judged: judged,
    })
}

/// `staffing_groups.csv`: one row per skill group.
pub fn groups_csv(s: &GroupStaffing) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(["group", "skills", "roster_agents", "required_agents"])?;
    for (g, a) in s.groups.iter().enumerate() {
        w.write_record([
            (g + 1).to_string(),
            a.skills.clone(),
            a.roster_agents.to_string(),
            a.required_agents.map_or(String::new(), |n| n.to_string()),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// `staffing_queues.csv`: one row per queue and target on it (a queue without a target
/// has one row with empty figure columns).
pub fn queues_csv(s: &GroupStaffing) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record([
        "queue",
        "rate_per_hour",
        "target",
        "achieved",
        "ci95_half_width",
        "erlang_c_servers",
        "erlang_c_agents",
        "rule_of_thumb_agents",
    ])?;
    for q in &s.queues {
        let e = &q.erlang;
        let rows: Vec<(String, String, String)> = if q.achieved.is_empty() {
            vec![(String::new(), String::new(), String::new())]
        } else {
            q.achieved
                .iter()
                .map(|(t, st)| {
                    (
                        t.clone(),
                        format!("{:.6}", st.mean),
                        format!("{:.6}", st.ci95_half_width),
                    )
                })
                .collect()
        };
        for (t, mean, hw) in rows {
            w.write_record([
                e.queue.clone(),
                format!("{:.3}", e.rate_per_hour),
                t,
                mean,
                hw,
                e.erlang_c_servers.to_string(),
                e.erlang_c_agents.to_string(),
                e.rule_of_thumb_agents.to_string(),
            ])?;
        }
    }
    Ok(w.into_inner()?)
}

/// The terminal's table of a per-queue staffing.
pub fn groups_table(s: &GroupStaffing) -> String {
    let mut out = format!(
        "per-queue staffing of the whole run at its peak rate, {:.1} chats/h ({} desks simulated)\n\n",
        s.rate_per_hour, s.desks_judged
    );
    out.push_str(&format!(
        "{:<6} {:<32} {:>7} {:>9}\n",
        "group", "skills", "roster", "required"
    ));
    for (g, a) in s.groups.iter().enumerate() {
        out.push_str(&format!(
            "{:<6} {:<32} {:>7} {:>9}\n",
            g + 1,
            a.skills,
            a.roster_agents,
            a.required_agents.map_or("-".to_string(), |n| n.to_string())
        ));
    }
    out.push_str(&format!(
        "\n{:<12} {:>9} {:<32} {:>20} {:>9} {:>9}\n",
        "queue", "chats/h", "target", "achieved (95% CI)", "erlang_c", "thumb"
    ));
    for q in &s.queues {
        let e = &q.erlang;
        let figures: Vec<(String, String)> = if q.achieved.is_empty() {
            vec![("-".into(), "-".into())]
        } else {
            q.achieved
                .iter()
                .map(|(t, st)| {
                    (
                        t.clone(),
                        format!("{:.4} ± {:.4}", st.mean, st.ci95_half_width),
                    )
                })
                .collect()
        };
        for (t, fig) in figures {
            out.push_str(&format!(
                "{:<12} {:>9.1} {:<32} {:>20} {:>9} {:>9}\n",
                e.queue, e.rate_per_hour, t, fig, e.erlang_c_agents, e.rule_of_thumb_agents
            ));
        }
    }
    if !s.unmet.is_empty() {
        out.push_str(&format!("\nnot met: {}\n", s.unmet.join(", ")));
    }
    out
}

/// The `--json` object of a per-queue staffing.
pub fn groups_json(s: &GroupStaffing) -> serde_json::Value {
    serde_json::json!({
        "scope": "whole run at its peak rate",
        "rate_per_hour": s.rate_per_hour,
        "desks_judged": s.desks_judged,
        "staffed": s.staffed(),
        "groups": s.groups.iter().map(|g| serde_json::json!({
            "skills": g.skills,
            "roster_agents": g.roster_agents,
            "required_agents": g.required_agents,
        })).collect::<Vec<_>>(),
        "queues": s.queues.iter().map(|q| serde_json::json!({
            "queue": q.erlang.queue,
            "rate_per_hour": q.erlang.rate_per_hour,
            "erlang_c_servers": q.erlang.erlang_c_servers,
            "erlang_c_agents": q.erlang.erlang_c_agents,
            "rule_of_thumb_agents": q.erlang.rule_of_thumb_agents,
            "achieved": q.achieved.iter().map(|(t, st)| serde_json::json!({
                "target": t,
                "mean": st.mean,
                "ci95_half_width": st.ci95_half_width,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unmet": s.unmet,
    })
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
