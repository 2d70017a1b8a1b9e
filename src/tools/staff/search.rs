//! The search for the fewest agents: bracket from the Erlang start, then bisect, and the
//! sequential verdict on a candidate's replications (meets, fails, or undecided until
//! more replications narrow its confidence intervals).

use super::controls::Judged;
use crate::math::student_t_quantile;
use crate::tools::check::{Direction, Target};
use std::collections::BTreeMap;

/// The bracket-and-bisect search for the smallest k in 1..=cap with `meets(k)`, starting
/// at `start`, assuming `meets` is monotone (false … false true … true). The bracket
/// moves away from `start` by steps 1, 1, 2, 4, 8, … (the Erlang C start is usually within
/// an agent or two, so the second step stays 1), then bisects. Climbing, after two
/// failed steps it tries `cap` once, so an unreachable target costs four simulations, not
/// a climb to the cap. Never evaluates a candidate twice. `None` when even `cap` fails.
pub(super) fn search(
    start: u32,
    cap: u32,
    mut meets: impl FnMut(u32) -> anyhow::Result<bool>,
) -> anyhow::Result<Option<u32>> {
    let cap = cap.max(1);
    let start = start.clamp(1, cap);
    let mut seen: BTreeMap<u32, bool> = BTreeMap::new();
    let mut test = |k: u32| -> anyhow::Result<bool> {
        if let Some(&v) = seen.get(&k) {
            return Ok(v);
        }
        let v = meets(k)?;
        seen.insert(k, v);
        Ok(v)
    };
    // (lo, hi): lo fails (0 = no agent, taken as failing), hi meets.
    let (mut lo, mut hi);
    let (mut step, mut moves) = (1u32, 0u32);
    if test(start)? {
        hi = start;
        loop {
            let c = hi.saturating_sub(step);
            if c == 0 {
                lo = 0;
                break;
            }
            if test(c)? {
                hi = c;
                step = next_step(step, &mut moves);
            } else {
                lo = c;
                break;
            }
        }
    } else {
        lo = start;
        loop {
            if lo >= cap {
                return Ok(None);
            }
            // Two more agents did not do it: before climbing further, make sure the
            // cap would (a target that does not depend on staffing never is met).
            if moves == 2 && !test(cap)? {
                return Ok(None);
            }
            let c = lo.saturating_add(step).min(cap);
            if test(c)? {
                hi = c;
                break;
            }
            lo = c;
            step = next_step(step, &mut moves);
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if test(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

/// The bracket's next step: 1 once more, then doubling.
fn next_step(step: u32, moves: &mut u32) -> u32 {
    *moves += 1;
    if *moves < 2 {
        step
    } else {
        step.saturating_mul(2)
    }
}

/// Where a candidate's replications so far leave its yes/no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Every target holds at the conservative end of its CI.
    Meets,
    /// Some target misses even at the optimistic end of its CI (or is not measured).
    Fails,
    /// Neither: some target's CI still contains its value.
    Undecided,
}

/// The verdict of the `judged` figures ([`Judged`]) on `targets`, each judged on its CI
/// at the two-sided level 1 − 0.05/`looks`: the sequential rule looks up to `looks` times,
/// so (Bonferroni) the chance of deciding wrongly at some look stays near 5 % — and a CI
/// from a handful of replications of a skewed figure (a rare long queue swing) is not
/// taken at face value.
pub(super) fn verdict(targets: &[Target], judged: &[Judged], looks: u32) -> Verdict {
    let mut undecided = false;
    for t in targets {
        let Some(j) = judged.iter().find(|j| j.metric == t.metric) else {
            return Verdict::Fails;
        };
        let s = &j.stat;
        let widen = if j.df >= 1.0 {
            student_t_quantile(1.0 - 0.025 / looks.max(1) as f64, j.df)
                / student_t_quantile(0.975, j.df)
        } else {
            1.0
        };
        let hw = widen
            * if s.ci95_half_width.is_finite() {
                s.ci95_half_width
            } else {
                0.0
            };
        let (low, high) = (s.mean - hw, s.mean + hw);
        let (worst, best) = match t.direction {
            Direction::AtLeast => (low, high),
            Direction::AtMost => (high, low),
        };
        if t.holds_for(worst) {
            continue;
        }
        if !t.holds_for(best) {
            return Verdict::Fails;
        }
        undecided = true;
    }
    if undecided {
        Verdict::Undecided
    } else {
        Verdict::Meets
    }
}

/// How many times the sequential rule looks at a candidate: at `first` replications,
/// then after each doubling up to `max`.
pub(super) fn looks(first: u32, max: u32) -> u32 {
    let mut n = first.max(1);
    let mut looks = 1;
    while n < max {
        n = n.saturating_mul(2).min(max);
        looks += 1;
    }
    looks
}
