//! The second stage: [`RawScenario`] plus the CSV files it names, checked into a
//! [`Scenario`] in one pass. Every check lives here; nothing downstream re-checks.

use super::clock::{fmt_clock, parse_breaks, parse_clock};
use super::csv_files::{read_roster, read_samples, read_trace, resolve};
use super::forecast::{read_forecast, ForecastRow};
use super::input::{read_regular_file, MAX_SCENARIO_BYTES};
use super::raw::{
    ArrivalKind, DistKind, IntervalOrOff, NumberOrText, RawAbout, RawAgents, RawArrivals,
    RawBehaviour, RawCustomers, RawDist, RawInterval, RawRosterRow, RawRun, RawScenario,
    RawTargets, RawThresholds, RosterSource, SessionKind, TimeValue, U64Value,
};
use super::{
    About, AgentBehaviour, AgentSpec, Arrivals, AuxPeriods, Break, ProfileInterval, RunSpec,
    Scenario, ScenarioError, Segment, SessionModel, StaffingSpec, Thresholds,
};
use crate::catalogue::Metric;
use crate::clock::Clock;
use crate::dist::{
    fmt_approx, fmt_duration_human, fmt_value, Dist, DistLimitError, MAX_CV, MAX_DRAW,
    MAX_MEAN_COUNT, MAX_MEAN_S,
};
use crate::engine::{LogOutMode, QueueId, Skill};
use crate::target::{check_target_names, Target};
use crate::time::{Millis, SimTime};
use jiff::civil::Date;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod desk;
mod routing;

pub use desk::{MAX_LEVEL, MAX_QUEUES};

/// Default `run.interval_s`.
pub const DEFAULT_INTERVAL_S: u64 = 900;
/// Default `run.replications`.
pub const DEFAULT_REPLICATIONS: u32 = 1;
/// Default `run.seed`.
pub const DEFAULT_SEED: u64 = 1;
/// Default `run.reply_target_s`: a reply within a minute, the common chat goal.
pub const DEFAULT_REPLY_TARGET_S: u64 = 60;
/// Default `run.service_level_threshold_s`.
pub const DEFAULT_SERVICE_LEVEL_THRESHOLD_S: u64 = 20;
/// Default `run.max_events`.
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;
/// Default `run.max_sim_time_s`, as a multiple of warm-up + horizon.
pub const DEFAULT_MAX_SIM_TIME_FACTOR: u64 = 10;
/// Default `thresholds.reply_interval_s`.
pub const DEFAULT_REPLY_INTERVAL_S: u64 = 60;
/// Default `thresholds.message_interval_s`.
pub const DEFAULT_MESSAGE_INTERVAL_S: u64 = 300;
/// Default `agents.behaviour.overlook_delay`: constant, seconds.
pub const DEFAULT_OVERLOOK_DELAY_S: f64 = 600.0;
/// Limits on sizes, so that a typo cannot ask for a run that never ends.
pub const MAX_SESSIONS_PER_AGENT: i64 = 64;
pub const MAX_AGENTS: i64 = 1_000_000;
pub const MAX_REPLICATIONS: i64 = 100_000;
/// Most reporting intervals in the horizon: every interval costs memory in each
/// replication and a row in every report, so `interval_s = 0.001` must not be taken
/// for 900.
pub const MAX_INTERVALS: u64 = 100_000;
/// Longest duration or time accepted anywhere, in seconds (about 31 700 years); keeps
/// every millisecond count exact in an f64.
pub const MAX_SECONDS: f64 = 1e12;

/// Floor of the mean gap between an agent's aux periods, in seconds.
pub const MIN_AUX_GAP_S: f64 = 60.0;
/// Floor of the mean length of an aux period, in seconds.
pub const MIN_AUX_LENGTH_S: f64 = 1.0;

const TIME_FIX: &str =
    "write a clock time HH:MM or HH:MM:SS, or seconds (e.g. 08:30, 08:30:15 or 30600)";

/// Sets one field of the parsed TOML before conversion, e.g. `thresholds.reply_interval_s`
/// = 30. Path segments are separated by dots; array entries are indexed by number
/// (`customers.segments.1.share` or `customers.segments[1].share`). Missing tables on the
/// way are created.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: toml::Value,
}

impl Override {
    /// Parses `path=value` (the value by [`parse_override_value`]).
    pub fn parse(s: &str) -> Option<Override> {
        let (path, value) = s.split_once('=')?;
        Some(Override {
            path: path.trim().to_owned(),
            value: parse_override_value(value.trim()),
        })
    }
}

/// A command-line value as TOML: integer, float, bool, array or inline table when it
/// parses as one (`30`, `0.5`, `true`, `[1, 2]`, `{ dist = "constant", value_s = 5 }`),
/// a quoted TOML string unquoted, anything else (`"07:30"`, `off`, `hand_back`) a string.
pub fn parse_override_value(s: &str) -> toml::Value {
    let s = s.trim();
    if let Ok(table) = format!("v = {s}").parse::<toml::Table>() {
        if let Some(v) = table.get("v") {
            if !matches!(v, toml::Value::Datetime(_)) {
                return v.clone();
            }
        }
    }
    toml::Value::String(s.to_owned())
}

/// Reads and checks a scenario file and every CSV it names (paths relative to its
/// directory).
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with_overrides(path, &[])
}

/// As [`load`], with dotted-path overrides applied to the parsed TOML before the checks.
pub fn load_with_overrides(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let bytes =
        read_regular_file(path, MAX_SCENARIO_BYTES).map_err(|error| ScenarioError::Read {
            path: path.to_path_buf(),
            error,
        })?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ScenarioError::Line {
        file: path.to_path_buf(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1,
        problem: "the file is not UTF-8 text".to_owned(),
        fix: "save it as UTF-8".to_owned(),
    })?;
    from_toml_str_with_overrides(text, path, overrides)
}

/// Checks scenario text that did not come from a file on its own. `path` names it in
/// errors and anchors relative CSV paths; it is not read.
pub fn from_toml_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    from_toml_str_with_overrides(text, path, &[])
}

/// As [`from_toml_str`], with overrides.
pub fn from_toml_str_with_overrides(
    text: &str,
    path: &Path,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    let raw = parse_raw(text, path, overrides)?;
    convert(&raw, path)
}

/// Reads exactly what the user wrote (first stage), with toml's own line and column in
/// any error; then applies the overrides one at a time, so that an error they cause is
/// laid at the right one.
pub fn parse_raw(
    text: &str,
    path: &Path,
    overrides: &[Override],
) -> Result<RawScenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| toml_error(path, &e))?;
    if overrides.is_empty() {
        return Ok(raw);
    }
    let mut table: toml::Table = text.parse().map_err(|e| toml_error(path, &e))?;
    let mut last = raw;
    for o in overrides {
        let fail = |problem: String, fix: &str| ScenarioError::Override {
            file: path.to_path_buf(),
            path: o.path.clone(),
            problem,
            fix: fix.to_owned(),
        };
        set_path(&mut table, &o.path, o.value.clone()).map_err(|p| {
            fail(
                p,
                "give a field path as in docs/scenario.md, e.g. thresholds.reply_interval_s",
            )
        })?;
        last = toml::Value::Table(table.clone()).try_into::<RawScenario>().map_err(|e| {
            let msg = one_line(&e.to_string());
            if msg.contains("unknown field") {
                let fix = "check the path against docs/scenario.md (e.g. thresholds.reply_interval_s, agents.count, run.seed)";
                let fix = match unknown_field_suggestion(&msg) {
                    Some((field, close)) => format!("did you mean `{}`? otherwise {fix}", replace_segment(&o.path, &field, &close)),
                    None => fix.to_owned(),
                };
                fail(format!("no such field: {msg}"), &fix)
            } else {
                fail(format!("value {} does not fit: {msg}", o.value), "give a value of the field's type (see docs/scenario.md)")
            }
        })?;
    }
    Ok(last)
}

fn one_line(s: &str) -> String {
    s.trim_end().replace('\n', " ")
}

/// The unknown field a serde message names (`unknown field `horizon`, expected one of
/// `horizon_s`, …`) and the valid name it lists that is closest to it, if one is close
/// ([`crate::suggest::closest`]).
pub(crate) fn unknown_field_suggestion(message: &str) -> Option<(String, String)> {
    let (_, rest) = message.split_once("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let (_, expected) = rest.split_once("expected")?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let close = crate::suggest::closest(field, &names)?;
    Some((field.to_owned(), close.to_owned()))
}

/// `path` (an override's dotted path; `[i]` read as `.i`) with its first segment equal to
/// `field` replaced by `by`.
fn replace_segment(path: &str, field: &str, by: &str) -> String {
    let norm = path.replace('[', ".").replace(']', "");
    let mut parts: Vec<&str> = norm.split('.').collect();
    match parts.iter().position(|p| *p == field) {
        Some(i) => {
            parts[i] = by;
            parts.join(".")
        }
        None => by.to_owned(),
    }
}

fn toml_error(path: &Path, e: &toml::de::Error) -> ScenarioError {
    let detail = e.to_string().trim_end().to_owned();
    let unknown_field;
    let fix = if e.message().contains("unknown field") {
        unknown_field = match unknown_field_suggestion(e.message()) {
            Some((_, close)) => format!(
                "fix: remove the field or correct its spelling (did you mean `{close}`?); \
                 docs/scenario.md lists every field"
            ),
            None => "fix: remove the field or correct its spelling; docs/scenario.md lists \
                     every field"
                .to_owned(),
        };
        unknown_field.as_str()
    } else if e.message().contains("missing field") {
        "fix: add the field; docs/scenario.md lists what each table needs"
    } else if e.message().contains("invalid type")
        || e.message().contains("unknown variant")
        || e.message().contains("invalid value")
    {
        "fix: give a value of the expected kind (see docs/scenario.md)"
    } else {
        "fix: correct the TOML syntax at that line and column"
    };
    ScenarioError::Toml {
        file: path.to_path_buf(),
        detail,
        fix: fix.to_owned(),
    }
}

fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let norm = path.replace('[', ".").replace(']', "");
    let parts: Vec<&str> = norm.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("\"{path}\" is not a field path"));
    }
    let mut root = toml::Value::Table(std::mem::take(table));
    let result = set_in(&mut root, &parts, value, "");
    if let toml::Value::Table(t) = root {
        *table = t;
    }
    result
}

fn set_in(
    cur: &mut toml::Value,
    parts: &[&str],
    value: toml::Value,
    done: &str,
) -> Result<(), String> {
    let Some((head, rest)) = parts.split_first() else {
        return Ok(());
    };
    let here = if done.is_empty() {
        (*head).to_owned()
    } else {
        format!("{done}.{head}")
    };
    let shown = if done.is_empty() { "the file" } else { done };
    match cur {
        toml::Value::Table(t) => {
            if head.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{shown}` is a table, not an array; `{head}` is no field name"
                ));
            }
            if rest.is_empty() {
                t.insert((*head).to_owned(), value);
                return Ok(());
            }
            let child = t
                .entry((*head).to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            set_in(child, rest, value, &here)
        }
        toml::Value::Array(a) => {
            let i: usize = head.parse().map_err(|_| {
                format!("`{shown}` is an array; index it by number, e.g. {shown}.0")
            })?;
            let len = a.len();
            let slot = a
                .get_mut(i)
                .ok_or_else(|| format!("index {i} is out of range: `{shown}` has {len} entries"))?;
            if rest.is_empty() {
                *slot = value;
                Ok(())
            } else {
                set_in(slot, rest, value, &here)
            }
        }
        other => Err(format!(
            "`{shown}` holds the value {other}, which has no field `{head}`"
        )),
    }
}

/// Whether a parameter holds seconds or a plain number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Seconds,
    Count,
}

/// Where a roster row, profile row or trace time came from, for errors.
#[derive(Clone, Debug)]
enum At {
    /// Inline in the TOML, at this field path (e.g. `agents.roster[3]`).
    Field(String),
    /// A CSV file and line.
    Line(PathBuf, u64),
}

impl At {
    fn describe(&self) -> String {
        match self {
            At::Field(p) => format!("`{p}`"),
            At::Line(_, l) => format!("line {l}"),
        }
    }
}

/// The conversion's context: where the file is and the run's clock.
struct Ctx<'a> {
    file: &'a Path,
    dir: PathBuf,
    /// The clock reading at the epoch, in ms.
    origin_ms: i64,
    /// warm-up + horizon, in ms.
    end_ms: i64,
    /// `run.start_date`, when given.
    start_date: Option<Date>,
    /// Turn-by-turn sessions (which take no AHT from a forecast).
    turns: bool,
}

impl Ctx<'_> {
    fn field(
        &self,
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Field {
            file: self.file.to_path_buf(),
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// An error about `col` of a row: a field path for inline rows, a line for CSV rows.
    fn at(
        &self,
        at: &At,
        col: &str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> ScenarioError {
        match at {
            At::Field(base) => self.field(format!("{base}.{col}"), problem, fix),
            At::Line(file, line) => ScenarioError::Line {
                file: file.clone(),
                line: *line,
                problem: format!("column `{col}`: {}", problem.into()),
                fix: fix.into(),
            },
        }
    }

    /// A clock reading as ms since the epoch (may be negative or past the end).
    fn reading_ms(&self, at: &At, col: &str, v: &TimeValue) -> Result<i64, ScenarioError> {
        let secs = match v {
            TimeValue::Seconds(s) if s.is_finite() && *s >= 0.0 => *s,
            TimeValue::Seconds(s) => {
                return Err(self.at(
                    at,
                    col,
                    format!("value {} is not a time", fmt_value(*s)),
                    TIME_FIX,
                ))
            }
            TimeValue::Text(t) => parse_clock(t).map_err(|p| self.at(at, col, p, TIME_FIX))?,
        };
        if secs > MAX_SECONDS {
            return Err(self.at(
                at,
                col,
                format!("value {} s is too large", fmt_value(secs)),
                format!("give a time below {MAX_SECONDS} s"),
            ));
        }
        Ok((secs * 1000.0).round() as i64 - self.origin_ms)
    }

    /// Turns a CSV file's read error into one that names the field that named the file.
    fn named_by(&self, field: &str) -> impl FnOnce(ScenarioError) -> ScenarioError {
        let (file, field) = (self.file.to_path_buf(), field.to_owned());
        move |e| match e {
            ScenarioError::Read { path, error } => ScenarioError::ReadNamed {
                path,
                file,
                field,
                error,
            },
            other => other,
        }
    }

    /// Shows a time (ms since the epoch) as the clock reading the user wrote.
    fn show(&self, ms: i64) -> String {
        fmt_clock((ms + self.origin_ms) as f64 / 1000.0)
    }
}

/// Checks a duration in seconds and rounds it to ms.
fn duration(ctx: &Ctx, field: &str, v: f64, allow_zero: bool) -> Result<Millis, ScenarioError> {
    let want = if allow_zero { "≥ 0" } else { "> 0" };
    let fix = format!("give a duration in seconds {want}");
    if v.is_nan() || v.is_infinite() {
        return Err(ctx.field(
            field,
            format!("value {} is not a finite number", fmt_value(v)),
            fix,
        ));
    }
    if v < 0.0 {
        return Err(ctx.field(field, format!("value {} is negative", fmt_value(v)), fix));
    }
    if v > MAX_SECONDS {
        return Err(ctx.field(
            field,
            format!("value {} is too large", fmt_value(v)),
            format!("give a duration below {MAX_SECONDS} s"),
        ));
    }
    let ms = Millis::from_secs_f64_rounded(v);
    if !allow_zero && ms == Millis::ZERO {
        return Err(ctx.field(
            field,
            format!("value {} is zero (or rounds to 0 ms)", fmt_value(v)),
            fix,
        ));
    }
    Ok(ms)
}

fn probability(ctx: &Ctx, field: &str, v: f64) -> Result<f64, ScenarioError> {
    if !(0.0..=1.0).contains(&v) {
        return Err(ctx.field(
            field,
            format!("value {} is not a probability", fmt_value(v)),
            "give a number between 0 and 1",
        ));
    }
    Ok(v)
}

fn int_in(
    ctx: &Ctx,
    field: &str,
    v: i64,
    lo: i64,
    hi: i64,
    what: &str,
) -> Result<i64, ScenarioError> {
    if v < lo || v > hi {
        return Err(ctx.field(
            field,
            format!("value {v} is out of range"),
            format!("give {what} from {lo} to {hi}"),
        ));
    }
    Ok(v)
}

fn u64_value(
    ctx: &Ctx,
    field: &str,
    v: &U64Value,
    lo: u64,
    what: &str,
) -> Result<u64, ScenarioError> {
    let fix = format!("give {what} from {lo} to {}", u64::MAX);
    let n = match v {
        U64Value::Int(i) => u64::try_from(*i)
            .map_err(|_| ctx.field(field, format!("value {i} is negative"), &fix))?,
        U64Value::Text(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| ctx.field(field, format!("value \"{s}\" is not an integer"), &fix))?,
    };
    if n < lo {
        return Err(ctx.field(field, format!("value {n} is out of range"), fix));
    }
    Ok(n)
}

fn forbid<T>(ctx: &Ctx, field: &str, v: &Option<T>, why: &str) -> Result<(), ScenarioError> {
    if v.is_some() {
        return Err(ctx.field(field, format!("not used {why}"), "remove it"));
    }
    Ok(())
}

/// The second stage: one conversion from what was written to the checked scenario.
pub fn convert(raw: &RawScenario, path: &Path) -> Result<Scenario, ScenarioError> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let turns = raw.sessions.model == SessionKind::Turns;
    let mut ctx = Ctx {
        file: path,
        dir,
        origin_ms: 0,
        end_ms: 0,
        start_date: None,
        turns,
    };
    let mut run = convert_run(&mut ctx, &raw.run)?;
    let sessions = match raw.sessions.model {
        SessionKind::Holding => {
            let d = raw.sessions.holding_time.as_ref().ok_or_else(|| {
                ctx.field(
                    "sessions.holding_time",
                    "missing: the holding model needs a holding time",
                    "add e.g. holding_time = { dist = \"exponential\", mean_s = 60 }",
                )
            })?;
            SessionModel::Holding {
                holding_time: dist(&ctx, "sessions.holding_time", d, Unit::Seconds)?,
            }
        }
        SessionKind::Turns => {
            forbid(
                &ctx,
                "sessions.holding_time",
                &raw.sessions.holding_time,
                "by model = \"turns\" (sessions last turn by turn)",
            )?;
            SessionModel::Turns
        }
    };
    let segments = convert_segments(&ctx, raw.customers.as_ref(), turns)?;
    let (arrivals, forecast_date) = convert_arrivals(&ctx, &raw.arrivals)?;
    if let Some(date) = forecast_date {
        // A forecast's first date is the clock's first day.
        run.clock = Clock::new(run.clock.origin_ms(), Some(date));
    }
    check_forecast_aht(&ctx, &run, &sessions, &arrivals)?;
    let (groups, mut agents, skill_cells) = convert_agents(&ctx, &raw.agents)?;
    let queues = desk::convert_queues(&ctx, raw.queues.as_ref())?;
    let mut segments = segments;
    desk::assign_segment_queues(&ctx, raw.customers.as_ref(), &queues, &mut segments)?;
    desk::assign_skills(
        &ctx,
        &raw.agents,
        &skill_cells,
        &groups,
        &queues,
        raw.queues.is_some(),
        &mut agents,
    )?;
    desk::check_served(&ctx, &queues, &segments, &agents)?;
    let behaviour = convert_behaviour(&ctx, raw.agents.behaviour.as_ref(), turns)?;
    let thresholds = convert_thresholds(&ctx, raw.thresholds.as_ref(), turns)?;
    check_session_lengths(&ctx, &run, &sessions, &agents, &behaviour, turns)?;
    check_event_budget(&ctx, &run, &arrivals, &agents, &behaviour)?;
    let (routing, switches, preset) =
        routing::convert_routing(&ctx, raw.routing.as_ref(), &thresholds)?;
    let staffing = StaffingSpec {
        shrinkage: match raw.staffing.as_ref().and_then(|s| s.shrinkage.as_ref()) {
            Some(NumberOrText::Number(v)) => shrinkage(&ctx, "staffing.shrinkage", *v)?,
            Some(NumberOrText::Text(t)) => {
                return Err(ctx.field(
                    "staffing.shrinkage",
                    format!("value \"{t}\" is not a number"),
                    SHRINKAGE_FIX,
                ))
            }
            None => 0.0,
        },
    };
    let about = convert_about(&ctx, raw.scenario.as_ref())?;
    let queue_names: Vec<String> = queues.iter().map(|q| q.name.clone()).collect();
    let targets = convert_targets(&ctx, raw.targets.as_ref(), &queue_names)?;
    Ok(Scenario {
        run,
        arrivals,
        segments,
        sessions,
        groups,
        agents,
        behaviour,
        thresholds,
        routing,
        staffing,
        about,
        targets,
        switches,
        preset,
        queues,
    })
}

/// Longest `scenario.name`, in characters: a heading, not a paragraph.
pub const MAX_NAME_CHARS: usize = 200;

/// `[scenario]`: a name is one non-empty line; a description any text (a blank one is
/// left out).
fn convert_about(ctx: &Ctx, raw: Option<&RawAbout>) -> Result<About, ScenarioError> {
    let Some(raw) = raw else {
        return Ok(About::default());
    };
    let name =
        match raw.name.as_deref().map(str::trim) {
            None => None,
            Some("") => return Err(ctx.field(
                "scenario.name",
                format!(
                    "value {} is empty",
                    fmt_text(raw.name.as_deref().unwrap_or_default())
                ),
                "give the desk a name, e.g. name = \"Chat desk, weekday\", or leave the field out",
            )),
            Some(n) if n.contains(['\n', '\r']) => {
                return Err(ctx.field(
                    "scenario.name",
                    format!("value {} has a line break", fmt_text(n)),
                    "keep the name to one line; longer text goes in scenario.description",
                ))
            }
            Some(n) if n.chars().count() > MAX_NAME_CHARS => {
                return Err(ctx.field(
                    "scenario.name",
                    format!("the name is {} characters long", n.chars().count()),
                    format!(
                        "keep it to {MAX_NAME_CHARS} characters; longer text goes in \
                     scenario.description"
                    ),
                ))
            }
            Some(n) => Some(n.to_owned()),
        };
    let description = raw
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    Ok(About { name, description })
}

/// `[targets]`: each expectation in `check`'s syntax, on a run-level metric that does
/// not depend on the machine (a verdict in a report must be the same on every computer).
fn convert_targets(
    ctx: &Ctx,
    raw: Option<&RawTargets>,
    queues: &[String],
) -> Result<Vec<Target>, ScenarioError> {
    let Some(texts) = raw.and_then(|t| t.expect.as_ref()) else {
        return Ok(vec![]);
    };
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let field = format!("targets.expect[{i}]");
            let target = Target::parse(text)
                .map_err(|e| ctx.field(&field, e.to_string(), TARGET_FIX_DOC))?;
            check_target_names(&target, queues).map_err(|e| {
                ctx.field(
                    &field,
                    format!("unknown {} in {}", e.what, fmt_text(text)),
                    e.fix,
                )
            })?;
            let metric = Metric::parse(&target.metric).expect("a run-level name");
            if metric.is_wall_clock() {
                return Err(ctx.field(
                    &field,
                    format!(
                        "{metric} in {} is measured on the wall clock, so its verdict would \
                         change from run to run and machine to machine",
                        fmt_text(text)
                    ),
                    "hold the simulator's speed to a figure with `chatsim check --expect` \
                     in CI instead",
                ));
            }
            Ok(target)
        })
        .collect()
}

/// Where the expectation syntax is documented (the parse error says how to write one).
const TARGET_FIX_DOC: &str = "see docs/scenario.md, [targets]";

/// Text as quoted in a message (`"…"`).
fn fmt_text(s: &str) -> String {
    format!("{s:?}")
}

/// Checks a shrinkage share: finite, in [0, 1). The message and fix `staff --shrinkage`
/// gives too ([`shrinkage_problem`]).
fn shrinkage(ctx: &Ctx, field: &str, v: f64) -> Result<f64, ScenarioError> {
    match shrinkage_problem(v) {
        None => Ok(v),
        Some(why) => Err(ctx.field(
            field,
            format!("value {} {why}", fmt_value(v)),
            SHRINKAGE_FIX,
        )),
    }
}

/// How to write a shrinkage.
pub const SHRINKAGE_FIX: &str = "give the share of paid agent time off the floor (breaks, \
     training, absence) as a number from 0 up to but not including 1, e.g. 0.30 for 30 %";

/// What is wrong with a shrinkage share, if anything: it must be finite and in [0, 1)
/// (at 1 nobody is ever on the floor, and FTE = agents / (1 − shrinkage) is infinite).
pub fn shrinkage_problem(v: f64) -> Option<&'static str> {
    if !v.is_finite() {
        Some("is not a finite number")
    } else if v < 0.0 {
        Some("is negative")
    } else if v >= 1.0 {
        Some("is not below 1 (at 1 nobody is ever on the floor)")
    } else {
        None
    }
}

fn convert_run(ctx: &mut Ctx, r: &RawRun) -> Result<RunSpec, ScenarioError> {
    let horizon = duration(ctx, "run.horizon_s", r.horizon_s, false)?;
    let warmup = duration(ctx, "run.warmup_s", r.warmup_s.unwrap_or(0.0), true)?;
    let replications = int_in(
        ctx,
        "run.replications",
        r.replications.unwrap_or(i64::from(DEFAULT_REPLICATIONS)),
        1,
        MAX_REPLICATIONS,
        "a number of replications",
    )? as u32;
    let seed = match &r.seed {
        None => DEFAULT_SEED,
        Some(v) => u64_value(ctx, "run.seed", v, 0, "an integer seed")?,
    };
    let service_level_threshold = duration(
        ctx,
        "run.service_level_threshold_s",
        r.service_level_threshold_s
            .unwrap_or(DEFAULT_SERVICE_LEVEL_THRESHOLD_S as f64),
        true,
    )?;
    let reply_target = duration(
        ctx,
        "run.reply_target_s",
        r.reply_target_s.unwrap_or(DEFAULT_REPLY_TARGET_S as f64),
        true,
    )?;
    let interval = duration(
        ctx,
        "run.interval_s",
        r.interval_s.unwrap_or(DEFAULT_INTERVAL_S as f64),
        false,
    )?;
    let intervals = horizon.as_millis().div_ceil(interval.as_millis());
    if intervals > MAX_INTERVALS {
        return Err(ctx.field(
            "run.interval_s",
            format!(
                "value {} s cuts run.horizon_s = {} s into {intervals} reporting intervals, over the \
                 limit of {MAX_INTERVALS}",
                interval.as_secs_f64(),
                horizon.as_secs_f64()
            ),
            format!(
                "give a reporting interval of at least {} s (the default is {DEFAULT_INTERVAL_S}), \
                 or a shorter run.horizon_s",
                horizon.as_millis().div_ceil(MAX_INTERVALS * 1000)
            ),
        ));
    }
    let max_events = match &r.max_events {
        None => DEFAULT_MAX_EVENTS,
        Some(v) => u64_value(ctx, "run.max_events", v, 1, "an event limit")?,
    };
    let end = warmup + horizon;
    let longest = Millis::from_secs_f64_rounded(MAX_SECONDS);
    if end > longest {
        return Err(ctx.field(
            "run.horizon_s",
            format!(
                "warmup_s + horizon_s = {} s is longer than the longest duration, {} s",
                fmt_value(end.as_secs_f64()),
                fmt_value(MAX_SECONDS)
            ),
            format!(
                "give a warm-up and horizon of at most {} s together",
                fmt_value(MAX_SECONDS)
            ),
        ));
    }
    let max_sim_time = match r.max_sim_time_s {
        // Never past the longest duration, so that the resolved scenario (which writes
        // every time within it) loads back equal.
        None => end.saturating_mul(DEFAULT_MAX_SIM_TIME_FACTOR).min(longest),
        Some(v) => {
            let m = duration(ctx, "run.max_sim_time_s", v, false)?;
            if m < end {
                return Err(ctx.field(
                    "run.max_sim_time_s",
                    format!(
                        "value {} is shorter than warmup_s + horizon_s = {}",
                        fmt_value(v),
                        end.as_secs_f64()
                    ),
                    "give at least the run's length, plus room to drain open sessions",
                ));
            }
            m
        }
    };
    if let Some(origin) = &r.clock_origin {
        let at = At::Field("run".into());
        ctx.origin_ms = ctx.reading_ms(&at, "clock_origin", origin)?;
    }
    ctx.end_ms = end.as_millis() as i64;
    let start_date = match &r.start_date {
        None => None,
        Some(text) => Some(text.trim().parse::<jiff::civil::Date>().map_err(|_| {
            ctx.field(
                "run.start_date",
                format!("\"{text}\" is not a date"),
                "give the first day's date as YYYY-MM-DD, e.g. \"2026-12-07\"",
            )
        })?),
    };
    ctx.start_date = start_date;
    // reading_ms checked the origin is a non-negative reading.
    let clock = Clock::new(ctx.origin_ms.max(0) as u64, start_date);
    Ok(RunSpec {
        horizon,
        warmup,
        replications,
        seed,
        service_level_threshold,
        reply_target,
        interval,
        max_events,
        max_sim_time,
        clock,
    })
}

/// Checks and builds a distribution written at `path`.
fn dist(ctx: &Ctx, path: &str, raw: &RawDist, unit: Unit) -> Result<Dist, ScenarioError> {
    // (key as written, base name, carries the _s suffix, present)
    let present: [(&str, &str, bool, bool); 17] = [
        ("value_s", "value", true, raw.value_s.is_some()),
        ("mean_s", "mean", true, raw.mean_s.is_some()),
        ("sd_s", "sd", true, raw.sd_s.is_some()),
        ("low_s", "low", true, raw.low_s.is_some()),
        ("high_s", "high", true, raw.high_s.is_some()),
        ("scale_s", "scale", true, raw.scale_s.is_some()),
        ("samples_s", "samples", true, raw.samples_s.is_some()),
        ("value", "value", false, raw.value.is_some()),
        ("mean", "mean", false, raw.mean.is_some()),
        ("sd", "sd", false, raw.sd.is_some()),
        ("low", "low", false, raw.low.is_some()),
        ("high", "high", false, raw.high.is_some()),
        ("scale", "scale", false, raw.scale.is_some()),
        ("samples", "samples", false, raw.samples.is_some()),
        ("shape", "shape", false, raw.shape.is_some()),
        ("k", "k", false, raw.k.is_some()),
        ("file", "file", false, raw.file.is_some()),
    ];
    let kind = raw.dist;
    let allowed: &[&str] = match kind {
        DistKind::Constant => &["value"],
        DistKind::Exponential => &["mean"],
        DistKind::Uniform => &["low", "high"],
        DistKind::Normal | DistKind::Lognormal => &["mean", "sd"],
        DistKind::Gamma | DistKind::Weibull => &["shape", "scale"],
        DistKind::Erlang => &["k", "mean"],
        DistKind::Empirical => &["samples", "file"],
    };
    let unitful = |base: &str| !matches!(base, "shape" | "k" | "file");
    let key = |base: &str| -> String {
        if unit == Unit::Seconds && unitful(base) {
            format!("{base}_s")
        } else {
            base.to_owned()
        }
    };
    let takes = || {
        let keys: Vec<String> = allowed.iter().map(|b| key(b)).collect();
        if kind == DistKind::Empirical {
            format!("{} takes {} or file", kind.name(), keys[0])
        } else {
            format!("{} takes {}", kind.name(), keys.join(" and "))
        }
    };
    for &(written, base, has_s, is_present) in &present {
        if !is_present {
            continue;
        }
        if !allowed.contains(&base) {
            return Err(ctx.field(
                format!("{path}.{written}"),
                format!("dist = \"{}\" has no parameter `{written}`", kind.name()),
                format!("remove it; {}", takes()),
            ));
        }
        if unitful(base) && has_s != (unit == Unit::Seconds) {
            return Err(if unit == Unit::Seconds {
                ctx.field(
                    format!("{path}.{written}"),
                    "this is a duration, so its parameters carry the unit",
                    format!("write `{base}_s` (seconds) instead of `{base}`"),
                )
            } else {
                ctx.field(
                    format!("{path}.{written}"),
                    "this is a count, not a duration",
                    format!("write `{base}` without the _s suffix"),
                )
            });
        }
    }
    let num = |base: &str| -> Option<f64> {
        let secs = unit == Unit::Seconds;
        match base {
            "value" => {
                if secs {
                    raw.value_s
                } else {
                    raw.value
                }
            }
            "mean" => {
                if secs {
                    raw.mean_s
                } else {
                    raw.mean
                }
            }
            "sd" => {
                if secs {
                    raw.sd_s
                } else {
                    raw.sd
                }
            }
            "low" => {
                if secs {
                    raw.low_s
                } else {
                    raw.low
                }
            }
            "high" => {
                if secs {
                    raw.high_s
                } else {
                    raw.high
                }
            }
            "scale" => {
                if secs {
                    raw.scale_s
                } else {
                    raw.scale
                }
            }
            "shape" => raw.shape,
            _ => None,
        }
    };
    let need = |base: &str| -> Result<f64, ScenarioError> {
        num(base).ok_or_else(|| {
            ctx.field(
                format!("{path}.{}", key(base)),
                format!("missing: dist = \"{}\" needs it", kind.name()),
                format!("add it; {}", takes()),
            )
        })
    };
    let d = match kind {
        DistKind::Constant => Dist::Constant {
            value: need("value")?,
        },
        DistKind::Exponential => Dist::Exponential {
            mean: need("mean")?,
        },
        DistKind::Uniform => Dist::Uniform {
            low: need("low")?,
            high: need("high")?,
        },
        DistKind::Normal => Dist::Normal {
            mean: need("mean")?,
            sd: need("sd")?,
        },
        DistKind::Lognormal => Dist::LogNormal {
            mean: need("mean")?,
            sd: need("sd")?,
        },
        DistKind::Gamma => Dist::Gamma {
            shape: need("shape")?,
            scale: need("scale")?,
        },
        DistKind::Weibull => Dist::Weibull {
            shape: need("shape")?,
            scale: need("scale")?,
        },
        DistKind::Erlang => {
            let k = raw.k.ok_or_else(|| {
                ctx.field(
                    format!("{path}.k"),
                    "missing: dist = \"erlang\" needs it",
                    format!("add it; {}", takes()),
                )
            })?;
            if !(1..=i64::from(u32::MAX)).contains(&k) {
                return Err(ctx.field(
                    format!("{path}.k"),
                    format!("value {k} is out of range"),
                    "give an integer k ≥ 1",
                ));
            }
            Dist::Erlang {
                k: k as u32,
                mean: need("mean")?,
            }
        }
        DistKind::Empirical => {
            let inline = if unit == Unit::Seconds {
                &raw.samples_s
            } else {
                &raw.samples
            };
            match (inline, &raw.file) {
                (Some(_), Some(_)) => {
                    return Err(ctx.field(
                        format!("{path}.file"),
                        format!("both `{}` and `file` are given", key("samples")),
                        "keep one of them",
                    ))
                }
                (Some(s), None) => Dist::Empirical { samples: s.clone() },
                (None, Some(f)) => Dist::Empirical {
                    samples: read_samples(&resolve(&ctx.dir, f))
                        .map_err(ctx.named_by(&format!("{path}.file")))?,
                },
                (None, None) => {
                    return Err(ctx.field(
                        format!("{path}.{}", key("samples")),
                        "missing: dist = \"empirical\" needs its samples",
                        format!("add {} = [..] or file = \"samples.csv\"", key("samples")),
                    ))
                }
            }
        }
    };
    d.validate().map_err(|e| {
        let field = match e.index {
            Some(i) => format!("{path}.{}[{i}]", key(e.param)),
            None => format!("{path}.{}", key(e.param)),
        };
        let what = if unit == Unit::Seconds && unitful(e.param) {
            "a duration in seconds"
        } else {
            "a number"
        };
        if e.param == "samples" && e.index.is_none() {
            ctx.field(
                field,
                "the list of samples is empty",
                "give at least one sample",
            )
        } else if !e.value.is_finite() {
            ctx.field(
                field,
                format!("value {} is not a finite number", fmt_value(e.value)),
                format!("give {what} {}", e.requirement),
            )
        } else {
            let problem = match e.requirement {
                "≥ 0" | "> 0" if e.value < 0.0 => {
                    format!("value {} is negative", fmt_value(e.value))
                }
                "> 0" if e.value == 0.0 => format!("value {} is zero", fmt_value(e.value)),
                req => format!("value {} is not {req}", fmt_value(e.value)),
            };
            ctx.field(field, problem, format!("give {what} {}", e.requirement))
        }
    })?;
    let max_mean = match unit {
        Unit::Seconds => MAX_MEAN_S,
        Unit::Count => MAX_MEAN_COUNT,
    };
    d.check_limits(max_mean).map_err(|e| match e {
        DistLimitError::MeanTooLarge { mean, limit } => {
            let (problem, fix) = if unit == Unit::Seconds {
                (
                    format!(
                        "{d} has a mean of {} s ({}), over the limit of {} s ({})",
                        fmt_approx(mean),
                        fmt_duration_human(mean),
                        fmt_value(limit),
                        fmt_duration_human(limit)
                    ),
                    format!(
                        "give a mean of at most {} s (durations are in seconds: check for a \
                         unit slip)",
                        fmt_value(limit)
                    ),
                )
            } else {
                (
                    format!(
                        "{d} has a mean of {}, over the limit of {} per chat",
                        fmt_approx(mean),
                        fmt_value(limit)
                    ),
                    format!("give a mean of at most {}", fmt_value(limit)),
                )
            };
            ctx.field(path, problem, fix)
        }
        DistLimitError::TooSkewed { cv, median } => {
            let (field, fix) = match d {
                Dist::LogNormal { mean, .. } => (
                    key("sd"),
                    format!(
                        "give {} at most {MAX_CV} × {} (here at most {})",
                        key("sd"),
                        key("mean"),
                        fmt_value(MAX_CV * mean)
                    ),
                ),
                Dist::Gamma { .. } => (
                    "shape".to_owned(),
                    format!(
                        "give a shape of at least {} (sd ÷ mean = 1 ÷ √shape)",
                        1.0 / (MAX_CV * MAX_CV)
                    ),
                ),
                Dist::Weibull { .. } => (
                    "shape".to_owned(),
                    "give a shape of at least 0.13".to_owned(),
                ),
                _ => (
                    key("sd"),
                    format!("give an sd of at most {MAX_CV} × the mean"),
                ),
            };
            let median = match median {
                Some(m) if unit == Unit::Seconds && m < 0.0005 => format!(
                    "; its median, {} s, rounds to 0 ms, so nearly every draw is 0 s",
                    fmt_approx(m)
                ),
                Some(m) => format!("; its median is {}", fmt_approx(m)),
                None => String::new(),
            };
            ctx.field(
                format!("{path}.{field}"),
                format!(
                    "{d} is too skewed: sd ÷ mean = {}, over the limit of {MAX_CV}{median}; its \
                     mean of {} would come from rare huge draws that a run may never make",
                    fmt_approx(cv),
                    fmt_approx(d.mean())
                ),
                fix,
            )
        }
        DistLimitError::SampleTooLarge { index, value } => ctx.field(
            format!("{path}.{}[{index}]", key("samples")),
            format!("value {} is too large", fmt_value(value)),
            format!("give samples of at most {} s", fmt_value(MAX_DRAW)),
        ),
    })?;
    Ok(d)
}

fn convert_segments(
    ctx: &Ctx,
    c: Option<&RawCustomers>,
    turns: bool,
) -> Result<Vec<Segment>, ScenarioError> {
    let empty = RawCustomers::default();
    let c = c.unwrap_or(&empty);
    // One segment's fields, each from the segment or inherited from [customers].
    let build = |name: String,
                 share: f64,
                 base: &str,
                 seg: Option<&super::raw::RawSegment>|
     -> Result<Segment, ScenarioError> {
        let pick = |own: Option<&RawDist>,
                    shared: Option<&RawDist>,
                    field: &str|
         -> Option<(String, RawDist)> {
            match (own, shared) {
                (Some(d), _) => Some((format!("{base}.{field}"), d.clone())),
                (None, Some(d)) => Some((format!("customers.{field}"), d.clone())),
                (None, None) => None,
            }
        };
        let patience = match pick(
            seg.and_then(|s| s.patience.as_ref()),
            c.patience.as_ref(),
            "patience",
        ) {
            Some((p, d)) => Some(dist(ctx, &p, &d, Unit::Seconds)?),
            None => None,
        };
        let messages = match pick(
            seg.and_then(|s| s.messages.as_ref()),
            c.messages.as_ref(),
            "messages",
        ) {
            Some((p, d)) => dist(ctx, &p, &d, Unit::Count)?,
            None if turns => return Err(ctx.field(
                format!("{base}.messages"),
                "missing: the turn-by-turn model needs the number of customer messages per session",
                "add e.g. messages = { dist = \"lognormal\", mean = 4, sd = 3 }",
            )),
            None => Dist::Constant { value: 1.0 },
        };
        let think_time = match pick(
            seg.and_then(|s| s.think_time.as_ref()),
            c.think_time.as_ref(),
            "think_time",
        ) {
            Some((p, d)) => dist(ctx, &p, &d, Unit::Seconds)?,
            None if turns => {
                return Err(ctx.field(
                    format!("{base}.think_time"),
                    "missing: the turn-by-turn model needs the customer's think time",
                    "add e.g. think_time = { dist = \"lognormal\", mean_s = 40, sd_s = 30 }",
                ))
            }
            None => Dist::Constant { value: 0.0 },
        };
        let silent_prob = match (seg.and_then(|s| s.silent_prob), c.silent_prob) {
            (Some(p), _) => probability(ctx, &format!("{base}.silent_prob"), p)?,
            (None, Some(p)) => probability(ctx, "customers.silent_prob", p)?,
            (None, None) => 0.0,
        };
        Ok(Segment {
            name,
            share,
            patience,
            messages,
            think_time,
            silent_prob,
            queue: QueueId(0),
        })
    };
    let Some(segs) = &c.segments else {
        return Ok(vec![build("default".into(), 1.0, "customers", None)?]);
    };
    if segs.is_empty() {
        return Err(ctx.field(
            "customers.segments",
            "the list is empty",
            "add at least one [[customers.segments]], or remove the key for a single segment",
        ));
    }
    let mut out: Vec<Segment> = Vec::with_capacity(segs.len());
    let mut sum = 0.0;
    for (i, s) in segs.iter().enumerate() {
        let base = format!("customers.segments[{i}]");
        let name = s.name.trim().to_owned();
        if name.is_empty() {
            return Err(ctx.field(
                format!("{base}.name"),
                "the name is empty",
                "give each segment a name",
            ));
        }
        if let Some(j) = out.iter().position(|o| o.name == name) {
            return Err(ctx.field(
                format!("{base}.name"),
                format!(
                    "duplicate segment name \"{name}\" (first used by customers.segments[{j}])"
                ),
                "give each segment a unique name",
            ));
        }
        let share = match s.share {
            Some(v) => v,
            None if segs.len() == 1 => 1.0,
            None => {
                return Err(ctx.field(
                    format!("{base}.share"),
                    "missing: with several segments each needs its share of arrivals",
                    "add share = 0.x; the shares must sum to 1",
                ))
            }
        };
        if !(share > 0.0 && share <= 1.0) {
            return Err(ctx.field(
                format!("{base}.share"),
                format!("value {} is not a share", fmt_value(share)),
                "give a number in (0, 1]",
            ));
        }
        sum += share;
        out.push(build(name, share, &base, Some(s))?);
    }
    if (sum - 1.0).abs() > 1e-9 {
        let list: Vec<String> = out
            .iter()
            .map(|s| format!("{}={}", s.name, s.share))
            .collect();
        return Err(ctx.field(
            "customers.segments",
            format!("shares sum to {sum} ({}), not 1", list.join(", ")),
            "make the shares sum to 1",
        ));
    }
    Ok(out)
}

/// The arrivals, and the first date of a forecast that gives dates.
fn convert_arrivals(ctx: &Ctx, a: &RawArrivals) -> Result<(Arrivals, Option<Date>), ScenarioError> {
    match a.kind {
        ArrivalKind::Poisson => {
            let why = "by kind = \"poisson\"";
            forbid(ctx, "arrivals.file", &a.file, why)?;
            forbid(ctx, "arrivals.intervals", &a.intervals, why)?;
            forbid(ctx, "arrivals.times_s", &a.times_s, why)?;
            let rate = a.rate_per_hour.ok_or_else(|| {
                ctx.field(
                    "arrivals.rate_per_hour",
                    "missing: a Poisson process needs its rate",
                    "add e.g. rate_per_hour = 600",
                )
            })?;
            if !(rate.is_finite() && rate > 0.0) {
                return Err(ctx.field(
                    "arrivals.rate_per_hour",
                    format!("value {} is not a positive rate", fmt_value(rate)),
                    "give the arrival rate in chats per hour, > 0",
                ));
            }
            Ok((
                Arrivals::Poisson {
                    rate_per_hour: rate,
                },
                None,
            ))
        }
        ArrivalKind::Profile => {
            let why = "by kind = \"profile\"";
            forbid(ctx, "arrivals.rate_per_hour", &a.rate_per_hour, why)?;
            forbid(ctx, "arrivals.times_s", &a.times_s, why)?;
            let (rows, whole) = match (&a.file, &a.intervals) {
                (Some(f), None) => {
                    let path = resolve(&ctx.dir, f);
                    let rows = read_forecast(&path).map_err(ctx.named_by("arrivals.file"))?;
                    let rows: Vec<(At, ForecastRow)> =
                        rows.into_iter().map(|(l, r)| (At::Line(path.clone(), l), r)).collect();
                    (rows, "arrivals.file")
                }
                (None, Some(iv)) => {
                    let rows = iv
                        .iter()
                        .enumerate()
                        .map(|(i, r)| (At::Field(format!("arrivals.intervals[{i}]")), inline_row(r)))
                        .collect();
                    (rows, "arrivals.intervals")
                }
                (Some(_), Some(_)) => {
                    return Err(ctx.field("arrivals.intervals", "both `file` and `intervals` are given", "keep one of them"))
                }
                (None, None) => {
                    return Err(ctx.field(
                        "arrivals.file",
                        "missing: a profile needs its intervals",
                        "add file = \"profile.csv\" or intervals = [{ start = \"00:00\", end = \"01:00\", rate_per_hour = 600 }, ..]",
                    ))
                }
            };
            convert_profile(ctx, rows, whole)
        }
        ArrivalKind::Trace => {
            let why = "by kind = \"trace\"";
            forbid(ctx, "arrivals.rate_per_hour", &a.rate_per_hour, why)?;
            forbid(ctx, "arrivals.intervals", &a.intervals, why)?;
            match (&a.file, &a.times_s) {
                (Some(f), None) => {
                    // Streamed: each row becomes a time as it is read.
                    let path = resolve(&ctx.dir, f);
                    let mut trace = TraceTimes::default();
                    read_trace(&path, |l, t| {
                        trace.push(ctx, &At::Line(path.clone(), l), &t)
                    })
                    .map_err(ctx.named_by("arrivals.file"))?;
                    trace.finish(ctx, "arrivals.file").map(|a| (a, None))
                }
                (None, Some(ts)) => {
                    let mut trace = TraceTimes::default();
                    for (i, &t) in ts.iter().enumerate() {
                        let at = At::Field(format!("arrivals.times_s[{i}]"));
                        trace.push(ctx, &at, &TimeValue::Seconds(t))?;
                    }
                    trace.finish(ctx, "arrivals.times_s").map(|a| (a, None))
                }
                (Some(_), Some(_)) => Err(ctx.field(
                    "arrivals.times_s",
                    "both `file` and `times_s` are given",
                    "keep one of them",
                )),
                (None, None) => Err(ctx.field(
                    "arrivals.file",
                    "missing: a trace needs its arrival times",
                    "add file = \"trace.csv\" or times_s = [..]",
                )),
            }
        }
    }
}

/// An inline profile row as a forecast row (no date; start and end always given).
fn inline_row(r: &RawInterval) -> ForecastRow {
    ForecastRow {
        date: None,
        start: r.start.clone(),
        end: Some((None, r.end.clone())),
        rate_per_hour: r.rate_per_hour,
        volume: r.volume,
        aht_s: r.aht_s,
    }
}

/// One profile row once its times are read: ms since the epoch, the date it was on.
struct ProfileRow {
    at: At,
    date: Option<Date>,
    start: i64,
    /// `None` when the file gives no end: the next row's start on the same day, or one
    /// step after the start.
    end: Option<i64>,
    rate_per_hour: Option<f64>,
    volume: Option<f64>,
    aht_s: Option<f64>,
}

const DAY_MS: i64 = 86_400_000;

/// The profile's rows as intervals from the epoch. Without dates a row's times are clock
/// readings; with dates they are times of day on the row's date, the first date being the
/// clock's first day (and `run.start_date`). A row without an end lasts to the next row's
/// start on its day, or one step (the shortest time between two starts on one day) when it
/// is its day's last. Rows are contiguous within a day; between two dates the time without
/// rows is closed (rate 0), as a forecast of opening hours leaves the nights out.
fn convert_profile(
    ctx: &Ctx,
    rows: Vec<(At, ForecastRow)>,
    whole: &str,
) -> Result<(Arrivals, Option<Date>), ScenarioError> {
    if rows.is_empty() {
        return Err(ctx.field(
            whole,
            "the profile has no intervals",
            "give intervals covering the whole run",
        ));
    }
    let first_date = rows[0].1.date;
    if let (Some(first), Some(given)) = (first_date, ctx.start_date) {
        if first != given {
            return Err(ctx.at(
                &rows[0].0,
                "date",
                format!("the forecast starts on {first}, but run.start_date is {given}"),
                "leave run.start_date out (the forecast's first date becomes it), or make \
                 the two the same day",
            ));
        }
    }
    let days_ms = |at: &At, d: Date| -> Result<i64, ScenarioError> {
        let first = first_date.unwrap_or(d);
        let days = first
            .until(d)
            .map(|s| i64::from(s.get_days()))
            .unwrap_or(i64::MAX);
        if days < 0 {
            return Err(ctx.at(
                at,
                "date",
                format!("{d} is before the first row's date {first}"),
                "sort the rows by date and time",
            ));
        }
        Ok(days.saturating_mul(DAY_MS))
    };
    let mut parsed: Vec<ProfileRow> = Vec::with_capacity(rows.len());
    for (at, r) in rows {
        let day = match r.date {
            Some(d) => days_ms(&at, d)?,
            None => 0,
        };
        let start_reading = ctx.reading_ms(&at, "start", &r.start)?;
        if r.date.is_some() && start_reading + ctx.origin_ms >= DAY_MS {
            return Err(ctx.at(
                &at,
                "start",
                format!("{} is not a time of day", ctx.show(start_reading)),
                "give a time from 00:00 to 23:59 on the row's date",
            ));
        }
        let start = day.saturating_add(start_reading);
        let end = match &r.end {
            None => None,
            Some((end_date, t)) => {
                let reading = ctx.reading_ms(&at, "end", t)?;
                let end_day = match end_date {
                    Some(d) => days_ms(&at, *d)?,
                    None => day,
                };
                let mut end = end_day.saturating_add(reading);
                // 23:45–00:00 on a dated row ends at the next midnight.
                if r.date.is_some() && end_date.is_none() && end <= start {
                    end += DAY_MS;
                }
                Some(end)
            }
        };
        parsed.push(ProfileRow {
            at,
            date: r.date,
            start,
            end,
            rate_per_hour: r.rate_per_hour,
            volume: r.volume,
            aht_s: r.aht_s,
        });
    }
    fill_ends(ctx, &mut parsed)?;
    let mut intervals: Vec<ProfileInterval> = Vec::with_capacity(parsed.len());
    let mut prev: Option<(i64, Option<Date>)> = None;
    for row in &parsed {
        let at = &row.at;
        let (start, end) = (row.start, row.end.unwrap_or(row.start));
        if end <= start {
            return Err(ctx.at(
                at,
                "end",
                format!(
                    "end {} is not after start {}",
                    ctx.show(end),
                    ctx.show(start)
                ),
                "give each interval an end later than its start",
            ));
        }
        let rate = match (row.rate_per_hour, row.volume) {
            (Some(rate), None) => {
                if !(rate.is_finite() && rate >= 0.0) {
                    return Err(ctx.at(
                        at,
                        "rate_per_hour",
                        format!("value {} is not a rate", fmt_value(rate)),
                        "give chats per hour ≥ 0",
                    ));
                }
                rate
            }
            (None, Some(v)) => {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(ctx.at(
                        at,
                        "volume",
                        format!("value {} is not a volume", fmt_value(v)),
                        "give the chats in the interval, ≥ 0",
                    ));
                }
                v * 3_600_000.0 / (end - start) as f64
            }
            _ => {
                return Err(ctx.at(
                    at,
                    "rate_per_hour",
                    "give exactly one of rate_per_hour and volume",
                    "keep rate_per_hour (chats per hour) or volume (chats in the interval)",
                ))
            }
        };
        let aht = row.aht_s.map(|a| aht(ctx, at, a)).transpose()?;
        if let Some((prev_end, prev_date)) = prev {
            if start < prev_end {
                return Err(ctx.at(
                    at,
                    "start",
                    format!(
                        "interval starting {} overlaps the previous one, which ends {} (rows unsorted or overlapping)",
                        ctx.show(start),
                        ctx.show(prev_end)
                    ),
                    "sort the rows by start and make each start where the previous ends",
                ));
            }
            if start > prev_end && row.date.is_some() && row.date != prev_date {
                // The hours between two days of a forecast: closed.
                intervals.extend(clipped(ctx, prev_end, start, 0.0, None));
            } else if start > prev_end {
                return Err(ctx.at(
                    at,
                    "start",
                    format!("gap from {} to {} after the previous interval", ctx.show(prev_end), ctx.show(start)),
                    "make each interval start where the previous one ends (use rate 0 for closed hours)",
                ));
            }
        }
        prev = Some((end, row.date));
        intervals.extend(clipped(ctx, start, end, rate, aht));
    }
    let (first_at, first_start) = (&parsed[0].at, parsed[0].start);
    if first_start > 0 {
        return Err(ctx.at(
            first_at,
            "start",
            format!(
                "the profile starts {}, after the run starts at {}",
                ctx.show(first_start),
                ctx.show(0)
            ),
            "cover the whole run from the epoch (start of warm-up), or set run.clock_origin",
        ));
    }
    let last = &parsed[parsed.len() - 1];
    let last_end = last.end.unwrap_or(last.start);
    if last_end < ctx.end_ms {
        return Err(ctx.at(
            &last.at,
            "end",
            format!(
                "the profile ends {}, before the run ends at {} (warmup_s + horizon_s)",
                ctx.show(last_end),
                ctx.show(ctx.end_ms)
            ),
            "extend the profile to the end of the run, or shorten run.horizon_s",
        ));
    }
    // Only the parts inside the run were kept; rates stay (a volume was turned into a
    // rate over its own interval).
    if intervals.iter().all(|i| i.rate_per_hour == 0.0) {
        return Err(ctx.field(
            whole,
            "every rate inside the run is 0: no customer would arrive",
            "give some interval a rate > 0",
        ));
    }
    Ok((Arrivals::Profile { intervals }, first_date))
}

/// The part of `[start, end)` (ms from the epoch) inside the run, if any: rows outside
/// the run are dropped and the rows at either edge cut to it.
fn clipped(
    ctx: &Ctx,
    start: i64,
    end: i64,
    rate: f64,
    aht: Option<Millis>,
) -> Option<ProfileInterval> {
    let (s, e) = (start.clamp(0, ctx.end_ms), end.clamp(0, ctx.end_ms));
    (e > s).then(|| ProfileInterval {
        start: SimTime::from_millis(s as u64),
        end: SimTime::from_millis(e as u64),
        rate_per_hour: rate,
        aht,
    })
}

/// Gives every row without an end one: the next row's start on the same day, else the
/// start plus the profile's step (the shortest time between two consecutive starts on
/// one day).
fn fill_ends(ctx: &Ctx, rows: &mut [ProfileRow]) -> Result<(), ScenarioError> {
    let same_day = |a: &ProfileRow, b: &ProfileRow| a.date == b.date;
    let step = rows
        .windows(2)
        .filter(|w| same_day(&w[0], &w[1]))
        .map(|w| w[1].start - w[0].start)
        .filter(|&d| d > 0)
        .min();
    for i in 0..rows.len() {
        if rows[i].end.is_some() {
            continue;
        }
        let next = rows
            .get(i + 1)
            .filter(|n| same_day(&rows[i], n))
            .map(|n| n.start);
        let end = match (next, step) {
            (Some(next), _) if next <= rows[i].start => {
                return Err(ctx.at(
                    &rows[i + 1].at,
                    "start",
                    format!(
                        "{} is not after the previous row's start {} (rows unsorted or repeated)",
                        ctx.show(next),
                        ctx.show(rows[i].start)
                    ),
                    "sort the rows by date and start, one row per interval",
                ));
            }
            (Some(next), _) => next,
            (None, Some(step)) => rows[i].start.saturating_add(step),
            (None, None) => {
                return Err(ctx.at(
                    &rows[i].at,
                    "end",
                    "the row has no end, and no two rows of one day give the interval length",
                    "add an end column (end = the interval's end time)",
                ))
            }
        };
        rows[i].end = Some(end);
    }
    Ok(())
}

/// Checks a forecast's AHT: the holding model's mean session time in the interval.
fn aht(ctx: &Ctx, at: &At, secs: f64) -> Result<Millis, ScenarioError> {
    let col = match at {
        At::Field(_) => "aht_s",
        At::Line(..) => "aht",
    };
    if ctx.turns {
        return Err(ctx.at(
            at,
            col,
            format!(
                "an AHT ({} s) is given, but the turn model's session length comes from its \
                 turns (messages, think and reply times), not from a mean",
                fmt_value(secs)
            ),
            "calibrate the turn model from a chat log with `chatsim fit`, or use the \
             holding model (sessions.model = \"holding\"), which takes the AHT as each \
             interval's mean holding time; or delete the AHT column",
        ));
    }
    if !secs.is_finite() || secs < 1.0 {
        return Err(ctx.at(
            at,
            col,
            format!("value {} s is not an AHT of at least 1 s", fmt_value(secs)),
            "give the average handle time in seconds (a spreadsheet time of day such as \
             0.0035 is a fraction of a day: write 300 or 05:00 instead)",
        ));
    }
    if secs > MAX_MEAN_S {
        return Err(ctx.at(
            at,
            col,
            format!(
                "value {} s is over the limit of {} s ({}) of every mean",
                fmt_value(secs),
                fmt_value(MAX_MEAN_S),
                fmt_duration_human(MAX_MEAN_S)
            ),
            "give the AHT in seconds (not milliseconds)",
        ));
    }
    Ok(Millis::from_secs_f64_rounded(secs))
}

/// A trace's arrival times, converted row by row: sorted, and kept when inside the run.
#[derive(Default)]
struct TraceTimes {
    rows: u64,
    prev: Option<i64>,
    times: Vec<SimTime>,
}

impl TraceTimes {
    fn push(&mut self, ctx: &Ctx, at: &At, t: &TimeValue) -> Result<(), ScenarioError> {
        self.rows += 1;
        let ms = ctx.reading_ms(at, "time", t)?;
        if let Some(p) = self.prev {
            if ms < p {
                return Err(ctx.at(
                    at,
                    "time",
                    format!(
                        "time {} is before the previous row's {} (the trace is not sorted)",
                        ctx.show(ms),
                        ctx.show(p)
                    ),
                    "sort the arrival times ascending",
                ));
            }
        }
        self.prev = Some(ms);
        if (0..ctx.end_ms).contains(&ms) {
            self.times.push(SimTime::from_millis(ms as u64));
        }
        Ok(())
    }

    fn finish(self, ctx: &Ctx, whole: &str) -> Result<Arrivals, ScenarioError> {
        if self.rows == 0 {
            return Err(ctx.field(
                whole,
                "the trace is empty",
                "give at least one arrival time",
            ));
        }
        if self.times.is_empty() {
            return Err(ctx.field(
                whole,
                format!(
                    "no arrival time falls inside the run, {} to {}",
                    ctx.show(0),
                    ctx.show(ctx.end_ms)
                ),
                "check run.clock_origin, run.warmup_s and run.horizon_s against the trace's times",
            ));
        }
        Ok(Arrivals::Trace { times: self.times })
    }
}

/// The events a run cannot do without, from what is known before it: two per expected
/// arrival (the arrival and its end: a close, an abandon or a disconnect), two per shift
/// and per break, two per expected aux period. More than `run.max_events` means the run
/// would certainly stop on the limit, perhaps only after minutes: refused now instead. (A
/// turn-by-turn chat takes about two more per message, which depends on the staffing and
/// is left to the run.)
fn check_event_budget(
    ctx: &Ctx,
    run: &RunSpec,
    arrivals: &Arrivals,
    agents: &[AgentSpec],
    behaviour: &AgentBehaviour,
) -> Result<(), ScenarioError> {
    let expected = match arrivals {
        Arrivals::Poisson { rate_per_hour } => {
            rate_per_hour * (run.warmup + run.horizon).as_secs_f64() / 3600.0
        }
        Arrivals::Profile { intervals } => intervals
            .iter()
            .map(|i| i.rate_per_hour * (i.end - i.start).as_secs_f64() / 3600.0)
            .sum(),
        Arrivals::Trace { times } => times.len() as f64,
    };
    let shifts: f64 = agents.iter().map(|a| 1.0 + a.breaks.len() as f64).sum();
    let aux_periods: f64 = match &behaviour.aux {
        None => 0.0,
        Some(aux) => {
            let cycle = aux.gap.mean() + aux.length.mean();
            agents
                .iter()
                .map(|a| (a.shift_end - a.shift_start).as_secs_f64() / cycle)
                .sum()
        }
    };
    let needed = 2.0 * (expected + shifts + aux_periods);
    if needed > run.max_events as f64 {
        let mut parts = vec![format!(
            "{} arrivals expected in warm-up + horizon",
            fmt_count(expected)
        )];
        if aux_periods >= 0.5 {
            parts.push(format!(
                "{} aux periods expected over the shifts",
                fmt_count(aux_periods)
            ));
        }
        parts.push(format!("{} shifts and breaks", fmt_count(shifts)));
        let lower = if aux_periods > expected {
            "lengthen agents.behaviour.aux.gap"
        } else {
            "lower the arrival rate or run.horizon_s"
        };
        return Err(ctx.field(
            "run.max_events",
            format!(
                "the limit {} is below the {} events the run needs at the least: {}, at least \
                 2 events each",
                run.max_events,
                fmt_count(needed),
                parts.join(", ")
            ),
            format!(
                "raise run.max_events well above {} (a turn-by-turn chat takes about 2 more \
                 events per message), or {lower}",
                fmt_count(needed)
            ),
        ));
    }
    Ok(())
}

/// A count for a message: whole, scientific past 10¹⁵.
fn fmt_count(x: f64) -> String {
    if x >= 1e15 {
        format!("{x:.3e}")
    } else {
        format!("{x:.0}")
    }
}

/// A forecast's AHTs set the holding time's mean per interval: the holding time must have
/// a mean to scale (not 0), and the longest AHT must fit in the time the run leaves
/// sessions to end in, as the holding time's own mean must.
fn check_forecast_aht(
    ctx: &Ctx,
    run: &RunSpec,
    sessions: &SessionModel,
    arrivals: &Arrivals,
) -> Result<(), ScenarioError> {
    let (SessionModel::Holding { holding_time }, Arrivals::Profile { intervals }) =
        (sessions, arrivals)
    else {
        return Ok(());
    };
    let Some(longest) = intervals.iter().filter_map(|i| i.aht).max() else {
        return Ok(());
    };
    if holding_time.with_mean(longest.as_secs_f64()).is_none() {
        return Err(ctx.field(
            "sessions.holding_time",
            format!(
                "{holding_time} has a mean of 0, which the forecast's AHT cannot scale to its \
                 mean"
            ),
            "give a holding time with a mean > 0: the forecast's AHT keeps its shape and sets \
             its mean in each interval",
        ));
    }
    let end = (run.warmup + run.horizon).as_secs_f64();
    let room = run.max_sim_time.as_secs_f64() - end;
    let mean = longest.as_secs_f64();
    if mean > room {
        return Err(ctx.field(
            "arrivals.file",
            format!(
                "the forecast's longest AHT, {} s, is longer than the {} s the run leaves \
                 sessions to end in (run.max_sim_time_s = {} less warm-up + horizon = {})",
                fmt_approx(mean),
                fmt_approx(room),
                fmt_approx(run.max_sim_time.as_secs_f64()),
                fmt_approx(end)
            ),
            format!(
                "raise run.max_sim_time_s to at least {} (warm-up + horizon + 10 × the AHT)",
                fmt_approx(end + 10.0 * mean)
            ),
        ));
    }
    Ok(())
}

/// The durations that keep a session open. A holding time is a whole session in one
/// draw: one whose mean is longer than the room the run leaves to drain (`max_sim_time_s`
/// less warm-up and horizon) would stop the run on its time limit. A reply time, scaled by
/// the slowest agent's speed factor and the load slowdown at a full cap, is held to the
/// limit of every mean ([`MAX_MEAN_S`]). (A turn-by-turn session is many draws; whether it
/// drains in time is left to the run's own limit.)
fn check_session_lengths(
    ctx: &Ctx,
    run: &RunSpec,
    sessions: &SessionModel,
    agents: &[AgentSpec],
    behaviour: &AgentBehaviour,
    turns: bool,
) -> Result<(), ScenarioError> {
    let end = (run.warmup + run.horizon).as_secs_f64();
    let room = run.max_sim_time.as_secs_f64() - end;
    let raise = |mean: f64| {
        format!(
            "raise run.max_sim_time_s to at least {} (warm-up + horizon + 10 × the mean)",
            fmt_approx(end + 10.0 * mean)
        )
    };
    if let SessionModel::Holding { holding_time } = sessions {
        let mean = holding_time.mean();
        if mean > room {
            return Err(ctx.field(
                "sessions.holding_time",
                format!(
                    "{holding_time} has a mean of {} s, longer than the {} s the run leaves \
                     sessions to end in (run.max_sim_time_s = {} less warm-up + horizon = {}): \
                     the run would stop on its time limit",
                    fmt_approx(mean),
                    fmt_approx(room),
                    fmt_approx(run.max_sim_time.as_secs_f64()),
                    fmt_approx(end)
                ),
                format!("{}, or give a shorter holding time", raise(mean)),
            ));
        }
    }
    if turns {
        let slowest = agents
            .iter()
            .map(|a| {
                a.speed_factor
                    * (1.0 + behaviour.load_slowdown * f64::from(a.max_sessions.max(1) - 1))
            })
            .fold(0.0, f64::max);
        let mean = behaviour.reply_time.mean() * slowest;
        if mean.is_nan() || mean > MAX_MEAN_S {
            return Err(ctx.field(
                "agents.behaviour.reply_time",
                format!(
                    "{} at the slowest agent's speed_factor and full load (× {}) has a mean of \
                     {} s, over the limit of {} s ({}) of every mean",
                    behaviour.reply_time,
                    fmt_approx(slowest),
                    fmt_approx(mean),
                    fmt_value(MAX_MEAN_S),
                    fmt_duration_human(MAX_MEAN_S)
                ),
                "give a shorter reply time, smaller speed_factor values or a smaller \
                 load_slowdown",
            ));
        }
    }
    Ok(())
}

/// The roster's skills cells, per agent, with where each was written.
type SkillCells = Vec<Option<(At, String)>>;

fn convert_agents(
    ctx: &Ctx,
    a: &RawAgents,
) -> Result<(Vec<String>, Vec<AgentSpec>, SkillCells), ScenarioError> {
    let default_max = match a.max_sessions {
        Some(m) => Some(int_in(
            ctx,
            "agents.max_sessions",
            m,
            1,
            MAX_SESSIONS_PER_AGENT,
            "a session cap",
        )? as u32),
        None => None,
    };
    let cap_all = match a.max_sessions_all {
        Some(m) => Some(int_in(
            ctx,
            "agents.max_sessions_all",
            m,
            1,
            MAX_SESSIONS_PER_AGENT,
            "a session cap",
        )? as u32),
        None => None,
    };
    // A cell left empty takes the cap too, so a roster without caps needs no default.
    let (groups, mut agents, cells) = convert_roster(ctx, a, default_max.or(cap_all))?;
    if let Some(cap) = cap_all {
        agents.iter_mut().for_each(|agent| agent.max_sessions = cap);
    }
    Ok((groups, agents, cells))
}

/// The roster's groups and agents, each agent with its own cap (or the default), and
/// each agent's skills cell (read against the queues later).
fn convert_roster(
    ctx: &Ctx,
    a: &RawAgents,
    default_max: Option<u32>,
) -> Result<(Vec<String>, Vec<AgentSpec>, SkillCells), ScenarioError> {
    let default_group = match &a.group {
        Some(g) if g.trim().is_empty() => {
            return Err(ctx.field(
                "agents.group",
                "the group name is empty",
                "give a name, or leave it out for \"all\"",
            ))
        }
        Some(g) => g.trim().to_owned(),
        None => "all".to_owned(),
    };
    let fixed_groups = match &a.groups {
        None => None,
        Some(list) => {
            let mut seen: Vec<String> = Vec::new();
            for (i, g) in list.iter().enumerate() {
                let g = g.trim();
                if g.is_empty() || seen.iter().any(|s| s == g) {
                    return Err(ctx.field(
                        format!("agents.groups[{i}]"),
                        format!("group \"{g}\" is empty or repeated"),
                        "list each group name once",
                    ));
                }
                seen.push(g.to_owned());
            }
            Some(seen)
        }
    };
    let mut groups: Vec<String> = fixed_groups.clone().unwrap_or_default();
    let mut group_index = |name: &str, at: &At| -> Result<u16, ScenarioError> {
        if let Some(i) = groups.iter().position(|g| g == name) {
            return Ok(i as u16);
        }
        if fixed_groups.is_some() {
            return Err(ctx.at(
                at,
                "group",
                format!("group \"{name}\" is not in agents.groups"),
                "add it to agents.groups or correct the name",
            ));
        }
        if groups.len() >= usize::from(u16::MAX) {
            return Err(ctx.at(at, "group", "more than 65535 groups", "use fewer groups"));
        }
        groups.push(name.to_owned());
        Ok((groups.len() - 1) as u16)
    };
    let end = ctx.end_ms as u64;

    let rows: Vec<(At, RawRosterRow)> = match (&a.roster, a.count) {
        (Some(_), Some(_)) => {
            return Err(ctx.field(
                "agents.count",
                "given together with agents.roster",
                "keep the roster (one row per agent) or count (identical agents), not both",
            ))
        }
        (None, None) => {
            return Err(ctx.field(
                "agents.roster",
                "missing: no agents",
                "add roster = \"roster.csv\", or count = N for N identical agents",
            ))
        }
        (None, Some(count)) => {
            let n = int_in(
                ctx,
                "agents.count",
                count,
                1,
                MAX_AGENTS,
                "a number of agents",
            )?;
            let width = n.to_string().len().max(3);
            let group = group_index(&default_group, &At::Field("agents".into()))?;
            let max_sessions = default_max.unwrap_or(1);
            let agents = (1..=n)
                .map(|i| AgentSpec {
                    name: format!("A{i:0width$}"),
                    group,
                    max_sessions,
                    shift_start: SimTime::ZERO,
                    shift_end: SimTime::from_millis(end),
                    breaks: Vec::new(),
                    speed_factor: 1.0,
                    skills: vec![Skill {
                        queue: QueueId(0),
                        level: 1,
                    }],
                })
                .collect();
            return Ok((groups, agents, vec![None; n as usize]));
        }
        (Some(RosterSource::File(f)), None) => {
            let path = resolve(&ctx.dir, f);
            read_roster(&path)
                .map_err(ctx.named_by("agents.roster"))?
                .into_iter()
                .map(|(l, r)| (At::Line(path.clone(), l), r))
                .collect()
        }
        (Some(RosterSource::Inline(rows)), None) => rows
            .iter()
            .enumerate()
            .map(|(i, r)| (At::Field(format!("agents.roster[{i}]")), r.clone()))
            .collect(),
    };
    if rows.is_empty() {
        return Err(ctx.field(
            "agents.roster",
            "the roster is empty",
            "give at least one agent",
        ));
    }
    if rows.len() as i64 > MAX_AGENTS {
        return Err(ctx.field(
            "agents.roster",
            format!("{} agents", rows.len()),
            format!("give at most {MAX_AGENTS}"),
        ));
    }
    let mut seen: HashMap<String, At> = HashMap::with_capacity(rows.len());
    let mut agents = Vec::with_capacity(rows.len());
    let mut cells: SkillCells = Vec::with_capacity(rows.len());
    for (at, r) in rows {
        cells.push(
            r.skills
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| (at.clone(), s.to_owned())),
        );
        let id = r.id.trim().to_owned();
        if id.is_empty() {
            return Err(ctx.at(&at, "id", "the agent id is empty", "give each agent an id"));
        }
        if let Some(first) = seen.get(&id) {
            return Err(ctx.at(
                &at,
                "id",
                format!(
                    "duplicate agent id \"{id}\" (first seen on {})",
                    first.describe()
                ),
                "give each agent a unique id",
            ));
        }
        seen.insert(id.clone(), at.clone());
        let group_name = match r.group.as_deref().map(str::trim) {
            Some(g) if !g.is_empty() => g.to_owned(),
            _ => default_group.clone(),
        };
        let group = group_index(&group_name, &at)?;
        let max_sessions = match (r.max_sessions, default_max) {
            (Some(m), _) => {
                if !(1..=MAX_SESSIONS_PER_AGENT).contains(&m) {
                    return Err(ctx.at(
                        &at,
                        "max_sessions",
                        format!("value {m} is out of range"),
                        format!("give a session cap from 1 to {MAX_SESSIONS_PER_AGENT}"),
                    ));
                }
                m as u32
            }
            (None, Some(m)) => m,
            (None, None) => {
                return Err(ctx.at(
                    &at,
                    "max_sessions",
                    "missing",
                    "give the agent's session cap, or a default in agents.max_sessions",
                ))
            }
        };
        let start = ctx.reading_ms(&at, "shift_start", &r.shift_start)?;
        let stop = ctx.reading_ms(&at, "shift_end", &r.shift_end)?;
        if stop <= start {
            return Err(ctx.at(
                &at,
                "shift_end",
                format!(
                    "shift ends {}, not after it starts {}",
                    ctx.show(stop),
                    ctx.show(start)
                ),
                "give a shift end later than its start",
            ));
        }
        if start >= ctx.end_ms {
            return Err(ctx.at(
                &at,
                "shift_start",
                format!(
                    "shift starts {}, at or after the run ends {}",
                    ctx.show(start),
                    ctx.show(ctx.end_ms)
                ),
                "start the shift inside the run, or remove the agent",
            ));
        }
        if stop <= 0 {
            return Err(ctx.at(
                &at,
                "shift_end",
                format!(
                    "shift ends {}, at or before the run starts {}",
                    ctx.show(stop),
                    ctx.show(0)
                ),
                "end the shift inside the run, or remove the agent",
            ));
        }
        let breaks = match &r.breaks {
            None => Vec::new(),
            Some(text) => {
                let list = parse_breaks(text)
                    .map_err(|p| {
                        ctx.at(
                            &at,
                            "breaks",
                            p,
                            "write START+LENGTH items separated by `;`, the length with a unit h, m or s \
                             (e.g. 12:00+30m;15:00+15m)",
                        )
                    })?;
                let mut out = Vec::with_capacity(list.len());
                let mut prev_end = i64::MIN;
                for (b_start, b_len) in list {
                    // Bounded as every other time, so the sums below cannot overflow.
                    if b_start > MAX_SECONDS || b_len > MAX_SECONDS {
                        return Err(ctx.at(
                            &at,
                            "breaks",
                            format!(
                                "break at {} s lasting {} s is too large",
                                fmt_value(b_start),
                                fmt_value(b_len)
                            ),
                            format!("give break times and lengths below {MAX_SECONDS} s"),
                        ));
                    }
                    let bs = (b_start * 1000.0).round() as i64 - ctx.origin_ms;
                    let len = Millis::from_secs_f64_rounded(b_len).as_millis() as i64;
                    let be = bs + len;
                    if len == 0 {
                        return Err(ctx.at(
                            &at,
                            "breaks",
                            format!("break at {} has length 0", ctx.show(bs)),
                            "give each break a length > 0",
                        ));
                    }
                    if bs < prev_end {
                        return Err(ctx.at(
                            &at,
                            "breaks",
                            format!(
                                "break at {} starts before the previous break ends {}",
                                ctx.show(bs),
                                ctx.show(prev_end)
                            ),
                            "list breaks in time order, without overlaps",
                        ));
                    }
                    if bs < start || be > stop {
                        return Err(ctx.at(
                            &at,
                            "breaks",
                            format!(
                                "break {}–{} is outside the shift {}–{}",
                                ctx.show(bs),
                                ctx.show(be),
                                ctx.show(start),
                                ctx.show(stop)
                            ),
                            "move the break inside the shift",
                        ));
                    }
                    prev_end = be;
                    // Clip to the run: breaks wholly outside it vanish.
                    let (cs, ce) = (bs.max(0), be.min(ctx.end_ms));
                    if ce > cs {
                        out.push(Break {
                            start: SimTime::from_millis(cs as u64),
                            length: Millis::from_millis((ce - cs) as u64),
                        });
                    }
                }
                out
            }
        };
        let speed_factor = r.speed_factor.unwrap_or(1.0);
        if !(speed_factor.is_finite() && speed_factor > 0.0) {
            return Err(ctx.at(
                &at,
                "speed_factor",
                format!("value {} is not a positive factor", fmt_value(speed_factor)),
                "give a number > 0 (1.0 = nominal; 1.2 = 20% slower replies)",
            ));
        }
        agents.push(AgentSpec {
            name: id,
            group,
            max_sessions,
            shift_start: SimTime::from_millis(start.max(0) as u64),
            shift_end: SimTime::from_millis(stop.min(ctx.end_ms) as u64),
            breaks,
            speed_factor,
            skills: vec![Skill {
                queue: QueueId(0),
                level: 1,
            }],
        });
    }
    Ok((groups, agents, cells))
}

fn convert_behaviour(
    ctx: &Ctx,
    b: Option<&RawBehaviour>,
    turns: bool,
) -> Result<AgentBehaviour, ScenarioError> {
    let empty = RawBehaviour::default();
    let b = b.unwrap_or(&empty);
    let p = "agents.behaviour";
    let opt_dist =
        |field: &str, d: &Option<RawDist>, default: Dist| -> Result<Dist, ScenarioError> {
            match d {
                Some(d) => dist(ctx, &format!("{p}.{field}"), d, Unit::Seconds),
                None => Ok(default),
            }
        };
    let reply_time = match &b.reply_time {
        Some(d) => dist(ctx, &format!("{p}.reply_time"), d, Unit::Seconds)?,
        None if turns => {
            return Err(ctx.field(
                format!("{p}.reply_time"),
                "missing: the turn-by-turn model needs the agents' reply time",
                "add e.g. reply_time = { dist = \"lognormal\", mean_s = 30, sd_s = 20 } under [agents.behaviour]",
            ))
        }
        None => Dist::Constant { value: 0.0 },
    };
    let load_slowdown = b.load_slowdown.unwrap_or(0.0);
    if !(load_slowdown.is_finite() && load_slowdown >= 0.0) {
        return Err(ctx.field(
            format!("{p}.load_slowdown"),
            format!("value {} is not a slowdown", fmt_value(load_slowdown)),
            "give a number ≥ 0 (0.1 = each extra open session makes replies 10% slower)",
        ));
    }
    let overlook_prob = probability(
        ctx,
        &format!("{p}.overlook_prob"),
        b.overlook_prob.unwrap_or(0.0),
    )?;
    let reaction_time = opt_dist(
        "reaction_time",
        &b.reaction_time,
        Dist::Constant { value: 0.0 },
    )?;
    let overlook_delay = opt_dist(
        "overlook_delay",
        &b.overlook_delay,
        Dist::Constant {
            value: DEFAULT_OVERLOOK_DELAY_S,
        },
    )?;
    let aux = match &b.aux {
        None => None,
        Some(a) => Some(AuxPeriods {
            gap: dist(ctx, &format!("{p}.aux.gap"), &a.gap, Unit::Seconds)?,
            length: dist(ctx, &format!("{p}.aux.length"), &a.length, Unit::Seconds)?,
        }),
    };
    if let Some(a) = &aux {
        // Floors: an agent on aux more often than once a minute, or for less than a second,
        // is a typo (ms for s) that would only multiply events.
        if a.gap.mean().is_nan() || a.gap.mean() < MIN_AUX_GAP_S {
            return Err(ctx.field(
                format!("{p}.aux.gap"),
                format!(
                    "{} has a mean of {} s, under the floor of {MIN_AUX_GAP_S} s: agents would \
                     go on aux more than once a minute",
                    a.gap,
                    fmt_approx(a.gap.mean())
                ),
                format!(
                    "give gaps with a mean of at least {MIN_AUX_GAP_S} s (e.g. {{ dist = \
                     \"exponential\", mean_s = 5400 }}), or remove aux"
                ),
            ));
        }
        if a.length.mean().is_nan() || a.length.mean() < MIN_AUX_LENGTH_S {
            return Err(ctx.field(
                format!("{p}.aux.length"),
                format!(
                    "{} has a mean of {} s, under the floor of {MIN_AUX_LENGTH_S} s: aux \
                     periods that short change nothing but add events",
                    a.length,
                    fmt_approx(a.length.mean())
                ),
                format!(
                    "give lengths with a mean of at least {MIN_AUX_LENGTH_S} s (e.g. {{ dist = \
                     \"lognormal\", mean_s = 180, sd_s = 120 }}), or remove aux"
                ),
            ));
        }
    }
    Ok(AgentBehaviour {
        reply_time,
        load_slowdown,
        overlook_prob,
        reaction_time,
        overlook_delay,
        aux,
        log_out: b.log_out.unwrap_or(LogOutMode::Finish),
    })
}

fn convert_thresholds(
    ctx: &Ctx,
    t: Option<&RawThresholds>,
    turns: bool,
) -> Result<Thresholds, ScenarioError> {
    if !turns {
        if t.is_some() {
            return Err(ctx.field(
                "thresholds",
                "the holding model has no reminders and no silence timeout",
                "remove [thresholds], or set sessions.model = \"turns\"",
            ));
        }
        return Ok(Thresholds {
            reply_interval: None,
            message_interval: None,
            repeat_reminders: true,
            reminder_cap: None,
        });
    }
    let empty = RawThresholds::default();
    let t = t.unwrap_or(&empty);
    let interval =
        |field: &str,
         v: &Option<IntervalOrOff>,
         default: u64|
         -> Result<Option<Millis>, ScenarioError> {
            match v {
                None => Ok(Some(Millis::from_secs(default))),
                Some(IntervalOrOff::Off) => Ok(None),
                Some(IntervalOrOff::Seconds(s)) => duration(ctx, field, *s, false)
                    .map(Some)
                    .map_err(|e| match e {
                        ScenarioError::Field {
                            file,
                            field,
                            problem,
                            fix,
                        } => ScenarioError::Field {
                            file,
                            field,
                            problem,
                            fix: format!("{fix}, or \"off\" to switch it off"),
                        },
                        other => other,
                    }),
            }
        };
    let reply_interval = interval(
        "thresholds.reply_interval_s",
        &t.reply_interval_s,
        DEFAULT_REPLY_INTERVAL_S,
    )?;
    let message_interval = interval(
        "thresholds.message_interval_s",
        &t.message_interval_s,
        DEFAULT_MESSAGE_INTERVAL_S,
    )?;
    let reminder_cap = match t.reminder_cap {
        None => None,
        Some(c) => Some(int_in(
            ctx,
            "thresholds.reminder_cap",
            c,
            1,
            i64::from(u32::MAX),
            "a reminder cap",
        )? as u32),
    };
    Ok(Thresholds {
        reply_interval,
        message_interval,
        repeat_reminders: t.repeat_reminders.unwrap_or(true),
        reminder_cap,
    })
}
