//! The conservation laws of one replication's figures, checked when a
//! [`Collector`](super::Collector) finishes in debug builds, the crate's tests and builds
//! with the `checks` feature (see `sim::ledger` for the laws over the whole replication).
//!
//! Every customer figure counts by arrival and every event figure by its instant, in the
//! same window, so these hold exactly, not approximately: per interval and per run,
//! offered = connected + abandoned + unresolved; the per-agent rows add up to the run's
//! event counts (an agent's `sessions` counts its takings of handed-back sessions too, so
//! they add up to `sessions + reconnected`); the groups' customers add up to the run's;
//! every occupancy is a share in [0, 1] (unless `reactivate_over_cap` lets an inactive
//! chat's return take its agent over its cap: then only ≥ 0); on a desk with several queues, each queue's
//! offered = connected + abandoned + unresolved, and the queues' customer, reply and
//! disconnect counts add up to the run's, per interval and per run (every chat counts in
//! exactly one queue).

use super::figures::{AgentMetrics, Counts, RepMetrics};
use crate::metrics::catalogue::Metric;

/// Whether [`check`] runs when a collector finishes.
pub const ON: bool = cfg!(any(debug_assertions, test, feature = "checks"));

/// Checks every law; the error names the first one broken and the figures. `cap_binds`:
/// no agent ever holds more counted sessions than its cap (false with the switch
/// `reactivate_over_cap`, which lets occupancy pass 1).
pub fn check(m: &RepMetrics, cap_binds: bool) -> Result<(), String> {
    for i in &m.intervals {
        let c = &i.counts;
        if c.connected + c.abandoned > c.offered || c.waited > c.offered {
            return Err(format!(
                "interval {}: offered {} < connected {} + abandoned {} (or waited {})",
                i.index, c.offered, c.connected, c.abandoned, c.waited
            ));
        }
        if c.within_threshold > c.connected {
            return Err(format!(
                "interval {}: {} connected within the threshold of {} connected",
                i.index, c.within_threshold, c.connected
            ));
        }
    }
    let c = &m.totals.counts;
    if c.offered != c.connected + c.abandoned + m.totals.unresolved {
        return Err(format!(
            "offered {} ≠ connected {} + abandoned {} + unresolved {}",
            c.offered, c.connected, c.abandoned, m.totals.unresolved
        ));
    }
    let mut sum = AgentMetrics::default();
    for a in &m.agents {
        sum.add(a);
        if cap_binds {
            occupancy_is_a_share("an agent", a)?;
        }
    }
    let pairs = [
        (
            Metric::Sessions,
            sum.sessions,
            c.sessions_started + c.reconnected,
        ),
        (Metric::Replies, sum.replies, c.replies),
        (
            Metric::MissedResponses,
            sum.missed_responses,
            c.missed_responses,
        ),
        (Metric::LateReplies, sum.late_replies, c.late_replies),
        (Metric::Reminders, sum.reminders, c.reminders),
        (Metric::Disconnects, sum.disconnects, c.disconnects),
        (
            Metric::PrematureDisconnects,
            sum.premature_disconnects,
            c.premature_disconnects,
        ),
        (
            Metric::GhostDisconnects,
            sum.ghost_disconnects,
            c.ghost_disconnects,
        ),
        (Metric::NormalCloses, sum.normal_closes, c.normal_closes),
        (Metric::HandedBack, sum.handed_back, c.handed_back),
        (Metric::Reconnected, sum.reconnected, c.reconnected),
    ];
    for (name, agents, run) in pairs {
        if agents != run {
            return Err(format!(
                "the agents' {name} add up to {agents}, the run counts {run}"
            ));
        }
    }
    if c.disconnects != c.premature_disconnects + c.ghost_disconnects {
        return Err(format!(
            "disconnects {} ≠ premature {} + ghost {}",
            c.disconnects, c.premature_disconnects, c.ghost_disconnects
        ));
    }
    if cap_binds && m.totals.session_ms_logged_in > c.capacity_ms {
        return Err(format!(
            "occupancy above 1: {} session-ms in {} capacity-ms",
            m.totals.session_ms_logged_in, c.capacity_ms
        ));
    }
    let group_connected: u64 = m.groups.iter().map(|g| g.connected).sum();
    if group_connected != c.connected {
        return Err(format!(
            "the groups' connected customers add up to {group_connected}, the run counts {}",
            c.connected
        ));
    }
    for g in &m.groups {
        if cap_binds && g.totals.session_ms_logged_in > g.capacity_ms {
            return Err("a group's occupancy is above 1".to_string());
        }
    }
    queues_add_up(m)
}

/// Each queue balances, and the queues partition the run's chats: per interval and per
/// run, their counts add up to the desk's.
fn queues_add_up(m: &RepMetrics) -> Result<(), String> {
    if m.queues.is_empty() {
        return Ok(());
    }
    let key = |c: &Counts| {
        [
            c.offered,
            c.connected,
            c.abandoned,
            c.waited,
            c.within_threshold,
            c.wait_ms_sum,
            c.replies,
            c.missed_responses,
            c.late_replies,
            c.disconnects,
            c.premature_disconnects,
            c.ghost_disconnects,
        ]
    };
    for (q, queue) in m.queues.iter().enumerate() {
        let c = &queue.counts;
        if c.offered != c.connected + c.abandoned + queue.unresolved {
            return Err(format!(
                "queue {q}: offered {} ≠ connected {} + abandoned {} + unresolved {}",
                c.offered, c.connected, c.abandoned, queue.unresolved
            ));
        }
    }
    for (i, interval) in m.intervals.iter().enumerate() {
        let mut sum = [0u64; 12];
        for queue in &m.queues {
            for (s, x) in sum.iter_mut().zip(key(&queue.intervals[i].counts)) {
                *s += x;
            }
        }
        if sum != key(&interval.counts) {
            return Err(format!(
                "interval {i}: the queues' counts {sum:?} do not add up to the desk's {:?}",
                key(&interval.counts)
            ));
        }
    }
    Ok(())
}

fn occupancy_is_a_share(what: &str, a: &AgentMetrics) -> Result<(), String> {
    if a.session_ms_logged_in > a.max_sessions as u64 * a.logged_in_ms {
        return Err(format!(
            "{what}'s occupancy is above 1: {} session-ms in {} ms logged in at {} sessions",
            a.session_ms_logged_in, a.logged_in_ms, a.max_sessions
        ));
    }
    Ok(())
}
