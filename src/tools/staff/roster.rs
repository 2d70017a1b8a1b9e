//! Roster scaling: candidate k is the first k agents of one interleaved order across the
//! roster's groups (smooth weighted round robin by group size, each group's agents in
//! roster order, then copies `A001+1`, …), so every k keeps the roster's group mix, caps
//! and speed factors, and candidate k + 1 is candidate k plus one agent.

use crate::scenario::AgentSpec;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// The first `n` agents of the interleaved order: (roster index, copy number). Groups
/// take turns by smooth weighted round robin (the group furthest behind its share of the
/// roster goes next, ties to the lower group index); inside a group, agents in roster
/// order, then again as copies 1, 2, … .
pub(super) fn interleaved_order(roster: &[AgentSpec], n: usize) -> Vec<(usize, u32)> {
    let mut groups: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (i, a) in roster.iter().enumerate() {
        groups.entry(a.group).or_default().push(i);
    }
    let lists: Vec<Vec<usize>> = groups.into_values().collect();
    if lists.is_empty() {
        return vec![];
    }
    let total = roster.len() as i128;
    let mut taken = vec![0usize; lists.len()];
    (0..n)
        .map(|j| {
            // share × (j + 1) − taken, times the roster size: exact integers.
            let deficit =
                |g: usize| lists[g].len() as i128 * (j as i128 + 1) - taken[g] as i128 * total;
            let g = (0..lists.len())
                .max_by(|&a, &b| deficit(a).cmp(&deficit(b)).then(b.cmp(&a)))
                .expect("at least one group");
            let k = taken[g];
            taken[g] += 1;
            (lists[g][k % lists[g].len()], (k / lists[g].len()) as u32)
        })
        .collect()
}

/// The interleaved roster's first `n` agents, logged in over [0, end) without breaks.
pub(super) fn scaled_roster(roster: &[AgentSpec], n: usize, end: SimTime) -> Vec<AgentSpec> {
    interleaved_order(roster, n)
        .into_iter()
        .map(|(i, copy)| roster_copy(&roster[i], copy as usize, end))
        .collect()
}

/// Copy number `copy` of roster agent `a` (the original is copy 0; others are named
/// "name+copy"), logged in over [0, end) without breaks: what a staffing search adds.
pub(super) fn roster_copy(a: &AgentSpec, copy: usize, end: SimTime) -> AgentSpec {
    AgentSpec {
        name: if copy == 0 {
            a.name.clone()
        } else {
            format!("{}+{copy}", a.name)
        },
        shift_start: SimTime::ZERO,
        shift_end: end,
        breaks: vec![],
        ..a.clone()
    }
}

/// The fewest agents of the interleaved order whose session caps add up to `servers`.
pub(super) fn agents_for_servers(roster: &[AgentSpec], servers: u32) -> u32 {
    // Every agent has at least one session, so `servers` agents always suffice.
    let mut capacity = 0u64;
    for (k, (i, _)) in interleaved_order(roster, servers as usize)
        .iter()
        .enumerate()
    {
        if capacity >= servers as u64 {
            return k as u32;
        }
        capacity += roster[*i].max_sessions as u64;
    }
    servers
}
