//! What the user wrote: serde structs mirroring the scenario TOML exactly, with
//! `deny_unknown_fields` everywhere. Nothing here is checked beyond TOML types; the
//! loader turns a [`RawScenario`] into a checked [`Scenario`](super::Scenario).
//!
//! Integers that have a valid range (counts, caps) are read as `i64` so that the loader,
//! not serde, reports a value out of range with the field path and the fix.
//! `docs/scenario.md` documents every field.

use crate::engine::{LogOutMode, RoutingRule};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub run: RawRun,
    pub arrivals: RawArrivals,
    pub customers: Option<RawCustomers>,
    pub sessions: RawSessions,
    pub agents: RawAgents,
    pub thresholds: Option<RawThresholds>,
    pub routing: Option<RawRouting>,
    pub staffing: Option<RawStaffing>,
    /// `[scenario]`: the name and description.
    pub scenario: Option<RawAbout>,
    pub targets: Option<RawTargets>,
    /// `[[queues]]`: the desk's queues; none = one queue every agent serves.
    pub queues: Option<Vec<RawQueue>>,
}

/// `[[queues]]`: one queue, its priority and who may serve it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    pub name: String,
    pub priority: Option<f64>,
    pub aging_per_min: Option<f64>,
    /// The lowest skill level of the queue's own agents (its first ring).
    pub min_level: Option<i64>,
    pub overflow: Option<Vec<RawOverflow>>,
}

/// One overflow step: after `after_s` of waiting, agents of skill `to` (default the
/// queue's own) at `min_level` or above may take the customer too.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverflow {
    pub after_s: f64,
    pub to: Option<String>,
    pub min_level: Option<i64>,
}

/// `[scenario]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAbout {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// `[targets]`: expectations in `check`'s syntax (`service_level>=0.8`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargets {
    pub expect: Option<Vec<String>>,
}

/// `[run]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub horizon_s: f64,
    pub warmup_s: Option<f64>,
    pub replications: Option<i64>,
    pub seed: Option<U64Value>,
    pub service_level_threshold_s: Option<f64>,
    pub reply_target_s: Option<f64>,
    pub interval_s: Option<f64>,
    pub max_events: Option<U64Value>,
    pub max_sim_time_s: Option<f64>,
    /// The clock reading at the epoch (start of warm-up), e.g. "07:30".
    pub clock_origin: Option<TimeValue>,
    /// The calendar date of the first day (`"2026-12-07"`): outputs of runs that span
    /// days then show dates, not only day numbers.
    pub start_date: Option<String>,
}

/// A u64 (seed, event cap): a TOML integer ≥ 0, or a decimal string for values above
/// 2⁶³ − 1, which TOML integers cannot hold.
#[derive(Clone, Debug, PartialEq)]
pub enum U64Value {
    Int(i64),
    Text(String),
}

/// `[arrivals]`: `kind` selects which of the other fields apply.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrivals {
    pub kind: ArrivalKind,
    /// `poisson`.
    pub rate_per_hour: Option<f64>,
    /// `profile` or `trace`: a CSV file, relative to the scenario's directory.
    pub file: Option<String>,
    /// `profile`, inline.
    pub intervals: Option<Vec<RawInterval>>,
    /// `trace`, inline: clock readings in seconds.
    pub times_s: Option<Vec<f64>>,
}

/// `arrivals.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalKind {
    Poisson,
    Profile,
    Trace,
}

/// One inline profile interval: `{ start, end, rate_per_hour }` or `{ start, end, volume }`,
/// optionally with the interval's average handle time `aht_s`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInterval {
    pub start: TimeValue,
    pub end: TimeValue,
    pub rate_per_hour: Option<f64>,
    pub volume: Option<f64>,
    /// The mean holding time of the sessions arriving in the interval (holding model).
    pub aht_s: Option<f64>,
}

/// `[customers]`: a single segment's parameters, or defaults for `[[customers.segments]]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomers {
    pub patience: Option<RawDist>,
    pub messages: Option<RawDist>,
    pub think_time: Option<RawDist>,
    pub silent_prob: Option<f64>,
    /// The one segment's queue, or the default for `[[customers.segments]]`.
    pub queue: Option<String>,
    pub segments: Option<Vec<RawSegment>>,
}

/// `[[customers.segments]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSegment {
    pub name: String,
    pub share: Option<f64>,
    pub patience: Option<RawDist>,
    pub messages: Option<RawDist>,
    pub think_time: Option<RawDist>,
    pub silent_prob: Option<f64>,
    /// The queue its customers wait in (a `[[queues]]` name).
    pub queue: Option<String>,
}

/// `[sessions]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSessions {
    pub model: SessionKind,
    pub holding_time: Option<RawDist>,
}

/// `sessions.model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Holding,
    Turns,
}

/// `[agents]`: a roster (file or inline rows), or `count` identical agents.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAgents {
    pub roster: Option<RosterSource>,
    pub count: Option<i64>,
    /// With `count`: every agent's cap. With a roster: the default for empty cells.
    pub max_sessions: Option<i64>,
    /// Every agent's cap, over the roster's cells and `max_sessions`: one field to set
    /// for a what-if on the caps (`chatsim compare … --set-b agents.max_sessions_all=3`).
    pub max_sessions_all: Option<i64>,
    /// With `count`: the one group. With a roster: the default for empty cells.
    pub group: Option<String>,
    /// Optional explicit group list; fixes the groups' order (their indices).
    pub groups: Option<Vec<String>>,
    /// `[agents.skills]`: a skill list per roster group (`bilingual = "english:2 spanish:2"`),
    /// for the agents whose roster row gives none.
    pub skills: Option<BTreeMap<String, String>>,
    pub behaviour: Option<RawBehaviour>,
}

/// `agents.roster`: a CSV file name, or an array of rows.
#[derive(Clone, Debug)]
pub enum RosterSource {
    File(String),
    Inline(Vec<RawRosterRow>),
}

/// One inline roster row; the same columns as the roster CSV.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRosterRow {
    pub id: String,
    pub group: Option<String>,
    pub max_sessions: Option<i64>,
    pub shift_start: TimeValue,
    pub shift_end: TimeValue,
    /// `"12:00+30m;15:00+15m"`.
    pub breaks: Option<String>,
    pub speed_factor: Option<f64>,
    /// `"english:3 spanish:1"`: the queues the agent serves and at what level.
    pub skills: Option<String>,
}

/// `[agents.behaviour]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBehaviour {
    pub reply_time: Option<RawDist>,
    pub load_slowdown: Option<f64>,
    pub overlook_prob: Option<f64>,
    pub reaction_time: Option<RawDist>,
    pub overlook_delay: Option<RawDist>,
    pub aux: Option<RawAux>,
    pub log_out: Option<LogOutMode>,
}

/// `agents.behaviour.aux`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAux {
    pub gap: RawDist,
    pub length: RawDist,
}

/// `[thresholds]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThresholds {
    pub reply_interval_s: Option<IntervalOrOff>,
    pub message_interval_s: Option<IntervalOrOff>,
    pub repeat_reminders: Option<bool>,
    pub reminder_cap: Option<i64>,
}

/// A threshold in seconds, or `"off"`.
#[derive(Clone, Debug, PartialEq)]
pub enum IntervalOrOff {
    Seconds(f64),
    Off,
}

/// `[routing]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    pub rule: Option<RoutingRule>,
    /// A named product behaviour: a rule and switches (explicit keys override it).
    pub preset: Option<String>,
    pub inactive_after_s: Option<IntervalOrOff>,
    pub reactivate_over_cap: Option<bool>,
    pub first_reply_timeout_s: Option<IntervalOrOff>,
}

/// `[staffing]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaffing {
    /// Read as a number or any text, so that the loader names the field and the fix for
    /// a quoted value too.
    pub shrinkage: Option<NumberOrText>,
}

/// A number as written: a TOML number, or a string (which the loader refuses with the
/// field's own message).
#[derive(Clone, Debug, PartialEq)]
pub enum NumberOrText {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumberOrText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A distribution as written: `{ dist = "exponential", mean_s = 120 }`. Durations use the
/// `_s` parameters, counts the bare ones; the loader checks which apply.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: DistKind,
    pub value_s: Option<f64>,
    pub mean_s: Option<f64>,
    pub sd_s: Option<f64>,
    pub low_s: Option<f64>,
    pub high_s: Option<f64>,
    pub scale_s: Option<f64>,
    pub samples_s: Option<Vec<f64>>,
    pub value: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub scale: Option<f64>,
    pub samples: Option<Vec<f64>>,
    pub shape: Option<f64>,
    pub k: Option<i64>,
    /// `empirical`: a one-column CSV of samples.
    pub file: Option<String>,
}

/// `dist = "…"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    Constant,
    Exponential,
    Uniform,
    Normal,
    Lognormal,
    Gamma,
    Weibull,
    Erlang,
    Empirical,
}

impl DistKind {
    /// The name as written in the file.
    pub fn name(self) -> &'static str {
        match self {
            DistKind::Constant => "constant",
            DistKind::Exponential => "exponential",
            DistKind::Uniform => "uniform",
            DistKind::Normal => "normal",
            DistKind::Lognormal => "lognormal",
            DistKind::Gamma => "gamma",
            DistKind::Weibull => "weibull",
            DistKind::Erlang => "erlang",
            DistKind::Empirical => "empirical",
        }
    }
}

/// A clock reading: seconds (a number, or a numeric string) or `"HH:MM[:SS[.fff]]"`.
#[derive(Clone, Debug, PartialEq)]
pub enum TimeValue {
    Seconds(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for TimeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time: seconds (a number) or a quoted clock time \"HH:MM[:SS]\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeValue, E> {
                Ok(TimeValue::Seconds(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeValue, E> {
                Ok(TimeValue::Seconds(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimeValue, E> {
                Ok(TimeValue::Seconds(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeValue, E> {
                Ok(TimeValue::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for IntervalOrOff {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IntervalOrOff;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration in seconds, or \"off\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntervalOrOff, E> {
                Ok(IntervalOrOff::Seconds(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntervalOrOff, E> {
                Ok(IntervalOrOff::Seconds(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IntervalOrOff, E> {
                Ok(IntervalOrOff::Seconds(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntervalOrOff, E> {
                if v == "off" {
                    Ok(IntervalOrOff::Off)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for U64Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = U64Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer ≥ 0 (or a quoted decimal for values ≥ 2^63)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<U64Value, E> {
                Ok(U64Value::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<U64Value, E> {
                Ok(match i64::try_from(v) {
                    Ok(i) => U64Value::Int(i),
                    Err(_) => U64Value::Text(v.to_string()),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<U64Value, E> {
                Ok(U64Value::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RosterSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RosterSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a roster CSV file name, or an array of roster rows")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RosterSource, E> {
                Ok(RosterSource::File(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RosterSource, A::Error> {
                let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(row) = seq.next_element::<RawRosterRow>()? {
                    rows.push(row);
                }
                Ok(RosterSource::Inline(rows))
            }
        }
        d.deserialize_any(V)
    }
}
