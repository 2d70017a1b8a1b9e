//! The resolved scenario: a self-contained TOML of a checked [`Scenario`], every default
//! written out and every CSV inlined, so that a run's output can be replayed from it alone.
//! Loading the text gives back an equal `Scenario`: times are written as exact decimal
//! seconds (from whole milliseconds) and floats in Rust's shortest round-trip form.

use super::load::MAX_SECONDS;
use super::{Arrivals, Queue, Scenario, SessionModel};
use crate::dist::Dist;
use crate::engine::{LogOutMode, QueueId, Skill, Switches};
use crate::time::{Millis, SimTime};
use std::fmt::Write as _;

/// Writes `s` as a TOML scenario that [`load`](super::load) reads back into an equal value.
pub fn to_resolved_toml(s: &Scenario) -> String {
    let mut o = String::with_capacity(4096 + 160 * s.agents.len());
    o.push_str(
        "# Resolved scenario written by chatsim: every default filled in, every CSV inlined.\n\
         # Times are clock readings in seconds (clock_origin is the reading at the epoch, the\n\
         # start of warm-up); durations are in seconds.\n",
    );
    let origin = s.run.clock.origin_ms();
    // Queues and skills are written only for a desk that has them: a pooled scenario
    // resolves byte for byte as it did before queues existed.
    let desk = has_desk(s);
    let time = |t: SimTime| secs_of(origin + t.as_millis());

    let r = &s.run;
    o.push_str("\n[run]\n");
    let _ = writeln!(o, "horizon_s = {}", ms(r.horizon));
    let _ = writeln!(o, "warmup_s = {}", ms(r.warmup));
    let _ = writeln!(o, "replications = {}", r.replications);
    let _ = writeln!(o, "seed = {}", big(r.seed));
    let _ = writeln!(
        o,
        "service_level_threshold_s = {}",
        ms(r.service_level_threshold)
    );
    let _ = writeln!(o, "reply_target_s = {}", ms(r.reply_target));
    let _ = writeln!(o, "interval_s = {}", ms(r.interval));
    let _ = writeln!(o, "max_events = {}", big(r.max_events));
    // The loader caps times at MAX_SECONDS; a larger cap (code-built scenarios use
    // "no limit") is written as that cap, which no run reaches either.
    let cap = r
        .max_sim_time
        .min(Millis::from_millis((MAX_SECONDS * 1000.0) as u64));
    let _ = writeln!(o, "max_sim_time_s = {}", ms(cap));
    let _ = writeln!(o, "clock_origin = {}", secs_of(origin));
    if let Some(date) = s.run.clock.start_date() {
        let _ = writeln!(o, "start_date = \"{date}\"");
    }

    o.push_str("\n[arrivals]\n");
    match &s.arrivals {
        Arrivals::Poisson { rate_per_hour } => {
            o.push_str("kind = \"poisson\"\n");
            let _ = writeln!(o, "rate_per_hour = {}", num(*rate_per_hour));
        }
        Arrivals::Profile { intervals } => {
            o.push_str("kind = \"profile\"\nintervals = [\n");
            for i in intervals {
                // The forecast's AHT, when the interval has one (holding model).
                let aht = i
                    .aht
                    .map_or_else(String::new, |a| format!(", aht_s = {}", ms(a)));
                let _ = writeln!(
                    o,
                    "  {{ start = {}, end = {}, rate_per_hour = {}{aht} }},",
                    time(i.start),
                    time(i.end),
                    num(i.rate_per_hour)
                );
            }
            o.push_str("]\n");
        }
        Arrivals::Trace { times } => {
            o.push_str("kind = \"trace\"\ntimes_s = [\n");
            for chunk in times.chunks(10) {
                let line: Vec<String> = chunk.iter().map(|t| time(*t)).collect();
                let _ = writeln!(o, "  {},", line.join(", "));
            }
            o.push_str("]\n");
        }
    }

    o.push_str("\n[sessions]\n");
    match &s.sessions {
        SessionModel::Holding { holding_time } => {
            o.push_str("model = \"holding\"\n");
            let _ = writeln!(o, "holding_time = {}", dist(holding_time, true));
        }
        SessionModel::Turns => o.push_str("model = \"turns\"\n"),
    }

    o.push_str("\n[customers]\n");
    for seg in &s.segments {
        o.push_str("\n[[customers.segments]]\n");
        let _ = writeln!(o, "name = {}", quote(&seg.name));
        let _ = writeln!(o, "share = {}", num(seg.share));
        if let Some(p) = &seg.patience {
            let _ = writeln!(o, "patience = {}", dist(p, true));
        }
        let _ = writeln!(o, "messages = {}", dist(&seg.messages, false));
        let _ = writeln!(o, "think_time = {}", dist(&seg.think_time, true));
        let _ = writeln!(o, "silent_prob = {}", num(seg.silent_prob));
        if desk {
            let _ = writeln!(o, "queue = {}", quote(queue_name(s, seg.queue)));
        }
    }

    o.push_str("\n[agents]\n");
    let groups: Vec<String> = s.groups.iter().map(|g| quote(g)).collect();
    let _ = writeln!(o, "groups = [{}]", groups.join(", "));
    o.push_str("roster = [\n");
    for a in &s.agents {
        let group = s
            .groups
            .get(usize::from(a.group))
            .map_or("?", String::as_str);
        let _ = write!(
            o,
            "  {{ id = {}, group = {}, max_sessions = {}, shift_start = {}, shift_end = {}, speed_factor = {}",
            quote(&a.name),
            quote(group),
            a.max_sessions,
            time(a.shift_start),
            time(a.shift_end),
            num(a.speed_factor)
        );
        if !a.breaks.is_empty() {
            let list: Vec<String> = a
                .breaks
                .iter()
                .map(|b| format!("{}+{}s", time(b.start), ms(b.length)))
                .collect();
            let _ = write!(o, ", breaks = {}", quote(&list.join(";")));
        }
        if desk {
            let list: Vec<String> = a
                .skills
                .iter()
                .map(|k| format!("{}:{}", queue_name(s, k.queue), k.level))
                .collect();
            let _ = write!(o, ", skills = {}", quote(&list.join(" ")));
        }
        o.push_str(" },\n");
    }
    o.push_str("]\n");

    let b = &s.behaviour;
    o.push_str("\n[agents.behaviour]\n");
    let _ = writeln!(o, "reply_time = {}", dist(&b.reply_time, true));
    let _ = writeln!(o, "load_slowdown = {}", num(b.load_slowdown));
    let _ = writeln!(o, "overlook_prob = {}", num(b.overlook_prob));
    let _ = writeln!(o, "reaction_time = {}", dist(&b.reaction_time, true));
    let _ = writeln!(o, "overlook_delay = {}", dist(&b.overlook_delay, true));
    if let Some(aux) = &b.aux {
        let _ = writeln!(
            o,
            "aux = {{ gap = {}, length = {} }}",
            dist(&aux.gap, true),
            dist(&aux.length, true)
        );
    }
    let log_out = match b.log_out {
        LogOutMode::Finish => "finish",
        LogOutMode::HandBack => "hand_back",
    };
    let _ = writeln!(o, "log_out = \"{log_out}\"");

    if matches!(s.sessions, SessionModel::Turns) {
        let t = &s.thresholds;
        let off = |v: Option<Millis>| v.map_or_else(|| "\"off\"".to_owned(), ms);
        o.push_str("\n[thresholds]\n");
        let _ = writeln!(o, "reply_interval_s = {}", off(t.reply_interval));
        let _ = writeln!(o, "message_interval_s = {}", off(t.message_interval));
        let _ = writeln!(o, "repeat_reminders = {}", t.repeat_reminders);
        if let Some(cap) = t.reminder_cap {
            let _ = writeln!(o, "reminder_cap = {cap}");
        }
    }

    o.push_str("\n[routing]\n");
    let _ = writeln!(o, "rule = \"{}\"", s.routing.name());
    if let Some(p) = &s.preset {
        let _ = writeln!(o, "preset = {}", quote(p));
    }
    // Every switch, when a preset or a key set any: explicit keys override the preset's.
    if s.preset.is_some() || s.switches != Switches::default() {
        let off = |v: Option<Millis>| v.map_or_else(|| "\"off\"".to_owned(), ms);
        let w = &s.switches;
        let _ = writeln!(o, "inactive_after_s = {}", off(w.inactive_after));
        let _ = writeln!(o, "reactivate_over_cap = {}", w.reactivate_over_cap);
        let _ = writeln!(o, "first_reply_timeout_s = {}", off(w.first_reply_timeout));
    }
    if desk {
        for q in &s.queues {
            o.push_str("\n[[queues]]\n");
            let _ = writeln!(o, "name = {}", quote(&q.name));
            let _ = writeln!(o, "priority = {}", num(q.spec.priority));
            let _ = writeln!(o, "aging_per_min = {}", num(q.spec.aging_per_min));
            let (first, steps) = q
                .spec
                .rings
                .split_first()
                .expect("a queue has its own ring");
            let _ = writeln!(o, "min_level = {}", first.min_level);
            if !steps.is_empty() {
                let list: Vec<String> = steps
                    .iter()
                    .map(|r| {
                        format!(
                            "{{ after_s = {}, to = {}, min_level = {} }}",
                            ms(r.after),
                            quote(queue_name(s, r.skill)),
                            r.min_level
                        )
                    })
                    .collect();
                let _ = writeln!(o, "overflow = [{}]", list.join(", "));
            }
        }
    }
    // Written only when set: a scenario without shrinkage resolves as it always did.
    if s.staffing.shrinkage != 0.0 {
        o.push_str("\n[staffing]\n");
        let _ = writeln!(o, "shrinkage = {}", num(s.staffing.shrinkage));
    }
    // Written only when set, as the staffing.
    if s.about.name.is_some() || s.about.description.is_some() {
        o.push_str("\n[scenario]\n");
        if let Some(name) = &s.about.name {
            let _ = writeln!(o, "name = {}", quote(name));
        }
        if let Some(description) = &s.about.description {
            let _ = writeln!(o, "description = {}", quote(description));
        }
    }
    if !s.targets.is_empty() {
        // Each as `metric op value`, the value in shortest round-trip form (`Display`).
        let list: Vec<String> = s.targets.iter().map(|t| quote(&t.to_string())).collect();
        let _ = write!(o, "\n[targets]\nexpect = [{}]\n", list.join(", "));
    }
    o
}

/// Whether the scenario has queues or skills to write: anything but one queue, "default",
/// that every agent serves at level 1.
fn has_desk(s: &Scenario) -> bool {
    let pooled = [Skill {
        queue: QueueId(0),
        level: 1,
    }];
    s.queues != [Queue::default_queue()] || s.agents.iter().any(|a| a.skills != pooled)
}

fn queue_name(s: &Scenario, q: QueueId) -> &str {
    s.queues
        .get(usize::from(q.0))
        .map_or("?", |q| q.name.as_str())
}

/// A u64 as a TOML integer, or as a quoted decimal above what TOML integers hold.
fn big(v: u64) -> String {
    if i64::try_from(v).is_ok() {
        v.to_string()
    } else {
        format!("\"{v}\"")
    }
}

/// A float in the shortest form that parses back to the same bits, always as a TOML float.
fn num(x: f64) -> String {
    if x.is_nan() {
        "nan".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        // Debug keeps a `.0` or an exponent, so the value stays a TOML float.
        format!("{x:?}")
    }
}

/// Whole milliseconds as exact decimal seconds.
fn ms(m: Millis) -> String {
    secs_of(m.as_millis())
}

fn secs_of(ms: u64) -> String {
    let (whole, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:03}")
            .trim_end_matches('0')
            .to_owned()
    }
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A distribution as an inline table; `seconds` picks the `_s` parameter names.
fn dist(d: &Dist, seconds: bool) -> String {
    let u = |base: &str| {
        if seconds {
            format!("{base}_s")
        } else {
            base.to_owned()
        }
    };
    let body = match d {
        Dist::Constant { value } => format!("{} = {}", u("value"), num(*value)),
        Dist::Exponential { mean } => format!("{} = {}", u("mean"), num(*mean)),
        Dist::Uniform { low, high } => format!(
            "{} = {}, {} = {}",
            u("low"),
            num(*low),
            u("high"),
            num(*high)
        ),
        Dist::Normal { mean, sd } | Dist::LogNormal { mean, sd } => {
            format!("{} = {}, {} = {}", u("mean"), num(*mean), u("sd"), num(*sd))
        }
        Dist::Gamma { shape, scale } | Dist::Weibull { shape, scale } => {
            format!("shape = {}, {} = {}", num(*shape), u("scale"), num(*scale))
        }
        Dist::Erlang { k, mean } => format!("k = {k}, {} = {}", u("mean"), num(*mean)),
        Dist::Empirical { samples } => {
            let list: Vec<String> = samples.iter().map(|x| num(*x)).collect();
            format!("{} = [{}]", u("samples"), list.join(", "))
        }
    };
    format!("{{ dist = \"{}\", {body} }}", d.kind_name())
}
