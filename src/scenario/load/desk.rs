//! `[[queues]]`, a segment's `queue` and the agents' skills, checked into the desk the
//! engine routes by (docs/scenario.md, "Queues and skills"). A scenario without queues is
//! the pooled desk it always was: one queue, "default", that every agent serves.

use super::{duration, At, Ctx};
use crate::dist::fmt_value;
use crate::engine::{QueueId, QueueSpec, Ring, Skill};
use crate::scenario::raw::{RawAgents, RawCustomers, RawQueue};
use crate::scenario::{AgentSpec, Queue, ScenarioError, Segment};
use crate::time::Millis;
use std::collections::BTreeMap;

/// Highest skill level (1 is the lowest).
pub const MAX_LEVEL: i64 = 100;
/// Most queues a desk may have.
pub const MAX_QUEUES: usize = 1000;
/// Largest |priority| and ageing rate: far beyond any product's range (Genesys ±25·10⁶
/// score points are ±416 667 priority points), small enough that an aged priority stays
/// exact in an f64 over any run.
pub const MAX_PRIORITY: f64 = 1e6;

/// The queue names' fix when one is unknown.
fn unknown_queue_fix(names: &[String], written: &str) -> String {
    match crate::suggest::closest(written, names) {
        Some(close) => format!("did you mean \"{close}\"? the queues are {}", list(names)),
        None => format!("name one of the queues: {}", list(names)),
    }
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn level(ctx: &Ctx, field: &str, v: i64) -> Result<u8, ScenarioError> {
    if !(1..=MAX_LEVEL).contains(&v) {
        return Err(ctx.field(
            field,
            format!("value {v} is out of range"),
            format!("give a skill level from 1 (the lowest) to {MAX_LEVEL}"),
        ));
    }
    Ok(v as u8)
}

fn bounded(ctx: &Ctx, field: &str, v: f64, min: f64, what: &str) -> Result<f64, ScenarioError> {
    if !(v.is_finite() && v >= min && v <= MAX_PRIORITY) {
        return Err(ctx.field(
            field,
            format!("value {} is out of range", fmt_value(v)),
            format!(
                "give {what} from {} to {}",
                fmt_value(min),
                fmt_value(MAX_PRIORITY)
            ),
        ));
    }
    Ok(v)
}

/// `[[queues]]` into the desk's queues, each with its rings: its own skill from `after`
/// 0 at `min_level`, then each overflow step in order.
pub(super) fn convert_queues(
    ctx: &Ctx,
    raw: Option<&Vec<RawQueue>>,
) -> Result<Vec<Queue>, ScenarioError> {
    let Some(raw) = raw else {
        return Ok(vec![Queue::default_queue()]);
    };
    if raw.is_empty() {
        return Err(ctx.field(
            "queues",
            "the list is empty",
            "add at least one [[queues]], or remove the key for one queue every agent serves",
        ));
    }
    if raw.len() > MAX_QUEUES {
        return Err(ctx.field(
            "queues",
            format!("{} queues", raw.len()),
            format!("give at most {MAX_QUEUES}"),
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    for (i, q) in raw.iter().enumerate() {
        let name = q.name.trim();
        let field = format!("queues[{i}].name");
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ':') {
            return Err(ctx.field(
                field,
                format!("\"{}\" is not a queue name", q.name),
                "give a non-empty name without spaces or `:` (skills are written `name:level`)",
            ));
        }
        if let Some(j) = names.iter().position(|n| n == name) {
            return Err(ctx.field(
                field,
                format!("duplicate queue name \"{name}\" (first used by queues[{j}])"),
                "give each queue a unique name",
            ));
        }
        names.push(name.to_owned());
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, q) in raw.iter().enumerate() {
        let base = format!("queues[{i}]");
        let own = QueueId(i as u16);
        let priority = match q.priority {
            Some(p) => bounded(
                ctx,
                &format!("{base}.priority"),
                p,
                -MAX_PRIORITY,
                "a priority",
            )?,
            None => 0.0,
        };
        let aging_per_min = match q.aging_per_min {
            Some(a) => bounded(
                ctx,
                &format!("{base}.aging_per_min"),
                a,
                0.0,
                "priority points per minute waited",
            )?,
            None => 0.0,
        };
        let first_level = match q.min_level {
            Some(l) => level(ctx, &format!("{base}.min_level"), l)?,
            None => 1,
        };
        let mut rings = vec![Ring {
            after: Millis::ZERO,
            skill: own,
            min_level: first_level,
        }];
        for (k, step) in q.overflow.iter().flatten().enumerate() {
            let at = format!("{base}.overflow[{k}]");
            let after = duration(ctx, &format!("{at}.after_s"), step.after_s, false)?;
            let prev = rings.last().expect("the first ring").after;
            if after < prev {
                return Err(ctx.field(
                    format!("{at}.after_s"),
                    format!(
                        "{} s comes before the previous step's {} s",
                        fmt_value(step.after_s),
                        fmt_value(prev.as_secs_f64())
                    ),
                    "list the overflow steps in the order they open (after_s ascending)",
                ));
            }
            let skill = match step.to.as_deref().map(str::trim) {
                None => own,
                Some(to) => match names.iter().position(|n| n == to) {
                    Some(j) => QueueId(j as u16),
                    None => {
                        return Err(ctx.field(
                            format!("{at}.to"),
                            format!("no queue is named \"{to}\""),
                            unknown_queue_fix(&names, to),
                        ))
                    }
                },
            };
            let min_level = match step.min_level {
                Some(l) => level(ctx, &format!("{at}.min_level"), l)?,
                None => 1,
            };
            // Rings widen: one that admits no agent an earlier ring does not is a slip
            // (a bullseye step at the queue's own level, an overflow listed twice).
            if let Some(earlier) = rings
                .iter()
                .find(|r| r.skill == skill && r.min_level <= min_level)
            {
                let fix = if skill == own {
                    "a widening of the queue's own skill must lower its level: set the \
                     queue's min_level above this step's, or remove the step"
                } else {
                    "remove the step, or give it a lower min_level than the earlier one"
                };
                return Err(ctx.field(
                    at,
                    format!(
                        "admits no agent the earlier step does (skill \"{}\" from level {} \
                         already serves from {} s)",
                        names[usize::from(skill.0)],
                        earlier.min_level,
                        fmt_value(earlier.after.as_secs_f64())
                    ),
                    fix,
                ));
            }
            rings.push(Ring {
                after,
                skill,
                min_level,
            });
        }
        out.push(Queue {
            name: names[i].clone(),
            spec: QueueSpec {
                priority,
                aging_per_min,
                rings,
            },
        });
    }
    Ok(out)
}

/// Each segment's queue: its own `queue`, else `[customers] queue`, else the only queue.
/// `defined`: the scenario has `[[queues]]` (without, only "default" may be named).
pub(super) fn assign_segment_queues(
    ctx: &Ctx,
    c: Option<&RawCustomers>,
    queues: &[Queue],
    segments: &mut [Segment],
) -> Result<(), ScenarioError> {
    let names: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
    let find = |field: &str, name: &str| -> Result<QueueId, ScenarioError> {
        let name = name.trim();
        names
            .iter()
            .position(|n| n == name)
            .map(|i| QueueId(i as u16))
            .ok_or_else(|| {
                ctx.field(
                    field,
                    format!("no queue is named \"{name}\""),
                    unknown_queue_fix(&names, name),
                )
            })
    };
    let shared = match c.and_then(|c| c.queue.as_deref()) {
        Some(q) => Some(find("customers.queue", q)?),
        None => None,
    };
    let own: Vec<Option<&str>> = match c.and_then(|c| c.segments.as_ref()) {
        Some(segs) => segs.iter().map(|s| s.queue.as_deref()).collect(),
        None => vec![None],
    };
    for (i, seg) in segments.iter_mut().enumerate() {
        let base = if c.is_some_and(|c| c.segments.is_some()) {
            format!("customers.segments[{i}]")
        } else {
            "customers".to_owned()
        };
        seg.queue = match (own.get(i).copied().flatten(), shared) {
            (Some(q), _) => find(&format!("{base}.queue"), q)?,
            (None, Some(q)) => q,
            (None, None) if queues.len() == 1 => QueueId(0),
            (None, None) => {
                return Err(ctx.field(
                    format!("{base}.queue"),
                    format!(
                        "missing: the desk has {} queues, and segment \"{}\" names none",
                        queues.len(),
                        seg.name
                    ),
                    format!(
                        "add queue = \"…\" (one of {}), or a default in [customers] queue",
                        list(&names)
                    ),
                ))
            }
        };
    }
    Ok(())
}

/// Parses a skill list, `"english:3 spanish"` (level 1 when left out), against the
/// queue names. `Err` is the problem and the fix.
fn parse_skills(text: &str, names: &[String]) -> Result<Vec<Skill>, (String, String)> {
    let mut out: Vec<Skill> = Vec::new();
    for item in text.split(|c: char| c.is_whitespace() || c == ';') {
        if item.is_empty() {
            continue;
        }
        let (name, lvl) = match item.split_once(':') {
            Some((n, l)) => (n, Some(l)),
            None => (item, None),
        };
        let Some(q) = names.iter().position(|n| n == name) else {
            return Err((
                format!("\"{item}\": no queue is named \"{name}\""),
                unknown_queue_fix(names, name),
            ));
        };
        let level = match lvl {
            None => 1,
            Some(l) => match l.parse::<i64>() {
                Ok(v) if (1..=MAX_LEVEL).contains(&v) => v as u8,
                _ => {
                    return Err((
                        format!(
                            "\"{item}\": level \"{l}\" is not a whole number from 1 to {MAX_LEVEL}"
                        ),
                        "write QUEUE:LEVEL, e.g. english:3 (1 is the lowest level)".to_owned(),
                    ))
                }
            },
        };
        let queue = QueueId(q as u16);
        if out.iter().any(|s| s.queue == queue) {
            return Err((
                format!("queue \"{name}\" is listed twice"),
                "give each queue once, with one level".to_owned(),
            ));
        }
        out.push(Skill { queue, level });
    }
    if out.is_empty() {
        return Err((
            format!("\"{text}\" lists no skill"),
            "write QUEUE:LEVEL items separated by spaces, e.g. \"english:3 spanish:1\"".to_owned(),
        ));
    }
    Ok(out)
}

/// Every agent's skills: its roster cell, else its group's `[agents.skills]` entry, else
/// (a desk of one queue) that queue at level 1. `cells[i]` is agent i's `skills` cell
/// with where it was written. `defined`: the scenario has `[[queues]]`.
pub(super) fn assign_skills(
    ctx: &Ctx,
    raw: &RawAgents,
    cells: &[Option<(At, String)>],
    groups: &[String],
    queues: &[Queue],
    defined: bool,
    agents: &mut [AgentSpec],
) -> Result<(), ScenarioError> {
    let names: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
    let by_group: &BTreeMap<String, String> = match &raw.skills {
        Some(map) => map,
        None => &BTreeMap::new(),
    };
    if !defined {
        if let Some(g) = by_group.keys().next() {
            return Err(ctx.field(
                format!("agents.skills.{g}"),
                "skills name queues, and the scenario has no [[queues]]",
                "define the queues ([[queues]] name = \"…\"), or remove [agents.skills]",
            ));
        }
        if let Some((at, _)) = cells.iter().flatten().next() {
            return Err(ctx.at(
                at,
                "skills",
                "skills name queues, and the scenario has no [[queues]]",
                "define the queues ([[queues]] name = \"…\"), or leave the skills empty",
            ));
        }
        return Ok(());
    }
    let mut group_skills: Vec<Option<Vec<Skill>>> = vec![None; groups.len()];
    for (g, text) in by_group {
        let field = format!("agents.skills.{g}");
        let Some(i) = groups.iter().position(|n| n == g) else {
            let fix = match crate::suggest::closest(g, groups) {
                Some(close) => format!("did you mean \"{close}\"? the groups are {}", list(groups)),
                None => format!("key the skills by a roster group: {}", list(groups)),
            };
            return Err(ctx.field(field, format!("no agent group is named \"{g}\""), fix));
        };
        group_skills[i] =
            Some(parse_skills(text, &names).map_err(|(p, f)| ctx.field(&field, p, f))?);
    }
    for (i, agent) in agents.iter_mut().enumerate() {
        agent.skills = match cells.get(i).and_then(Option::as_ref) {
            Some((at, text)) => {
                parse_skills(text, &names).map_err(|(p, f)| ctx.at(at, "skills", p, f))?
            }
            None => match &group_skills[usize::from(agent.group)] {
                Some(s) => s.clone(),
                None if queues.len() == 1 => vec![Skill {
                    queue: QueueId(0),
                    level: 1,
                }],
                None => {
                    let group = &groups[usize::from(agent.group)];
                    return Err(ctx.field(
                        "agents.skills",
                        format!(
                            "agent \"{}\" (group \"{group}\") has no skills, and the desk has {} queues",
                            agent.name,
                            queues.len()
                        ),
                        format!(
                            "give its roster row a skills cell (e.g. \"{}:1\"), or add \
                             {group} = \"…\" to [agents.skills]",
                            names[0]
                        ),
                    ));
                }
            },
        };
    }
    Ok(())
}

/// Every queue that receives customers must be one some agent can ever serve: else its
/// customers would wait until the run's limits stop it.
pub(super) fn check_served(
    ctx: &Ctx,
    queues: &[Queue],
    segments: &[Segment],
    agents: &[AgentSpec],
) -> Result<(), ScenarioError> {
    for seg in segments {
        let q = &queues[usize::from(seg.queue.0)];
        let served = agents.iter().any(|a| {
            a.skills.iter().any(|s| {
                q.spec
                    .rings
                    .iter()
                    .any(|r| r.skill == s.queue && s.level >= r.min_level)
            })
        });
        if !served {
            return Err(ctx.field(
                "agents.skills",
                format!(
                    "no agent can serve queue \"{}\" (segment \"{}\" waits in it): none has a \
                     skill its own level or its overflow steps admit",
                    q.name, seg.name
                ),
                format!(
                    "give some agents the skill {}:{} (or higher), or an overflow step to a \
                     queue they serve",
                    q.name, q.spec.rings[0].min_level
                ),
            ));
        }
    }
    Ok(())
}
