//! `chatsim replay`: feed a real day's chat log through the dispatch engine and report
//! what the method would have done that day.
//!
//! ```text
//!   LOG.csv ──parse_log──▶ Log (rows checked, sessions pinned to agents)
//!                            │
//!                            ├──missed_responses──▶ per-session missed counts (log only)
//!                            │
//!                            └──Replayer──▶ one Engine per logged agent, fed in time order
//!                                             │ ReminderDue / Ended{Silence}
//!                                             ▼
//!                                   per-session outcomes ──▶ ReplayReport ──▶ text / JSON
//! ```
//!
//! The log says who served each chat, so routing is not replayed: every logged agent gets
//! an engine of its own in which it is the only one logged in, and every session of that
//! agent goes to that engine. What the engine adds is S5: the reminders it would have sent
//! and the silent sessions it would have disconnected. The full format and every choice
//! are in `docs/replay.md`.

use crate::engine::{AgentId, EndReason, Engine, EngineConfig, Event, RoutingRule, SessionId};
use crate::time::{Millis, SimTime};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Name of the pseudo agent for sessions whose rows never name an agent.
pub const UNKNOWN_AGENT: &str = "(unknown)";
/// At most this many data rows per log: a limit, so that a wrong file fails, not hangs.
pub const MAX_ROWS: usize = 20_000_000;
/// At most this many timer wake-ups per replay (tiny intervals over a long day would
/// otherwise run for hours).
pub const MAX_TIMER_WAKEUPS: u64 = 50_000_000;
/// At most this many bytes of log file.
pub const MAX_LOG_BYTES: u64 = 4 << 30;
/// Timestamps above this many seconds are rejected (they are almost surely milliseconds).
pub const MAX_TIMESTAMP_S: f64 = 1e11;
/// Interval bounds in seconds: 1 ms (the engine's tick) to about 30 years.
const MIN_INTERVAL_S: f64 = 0.001;
const MAX_INTERVAL_S: f64 = 1e9;
/// The engine's per-agent session cap; a logged agent with more concurrent sessions gets
/// several engine agents (see [`Replayer::new`]).
const ENGINE_MAX_SESSIONS: u32 = 64;
/// Longest value quoted back in an error message.
const SHOWN_VALUE_CHARS: usize = 60;

// ----- options ---------------------------------------------------------------------------

/// Replay a real day's chat log through the dispatch engine.
///
/// Reads a CSV log with header `timestamp,session,agent,kind`, pins every session to the
/// agent who served it, and reports what the method would have done that day: idle
/// reminders, missed responses, silence disconnects (premature or ghost) and the capacity
/// those disconnects would have freed.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Example:
  chatsim replay scenarios/example-log.csv --reply-interval-s 60 --message-interval-s 300

Log format (one row per chat event, sorted by time; see docs/replay.md):
  timestamp,session,agent,kind
  09:00:00,c01,ana,request
  09:00:20,c01,ana,agent_reply
  09:00:50,c01,,customer_message
  09:03:20,c01,ana,close")]
pub struct ReplayArgs {
    /// The chat log: CSV with header `timestamp,session,agent,kind`; timestamps in seconds
    /// (3600.5) or HH:MM:SS; kind is request, customer_message, agent_reply or close.
    #[arg(value_name = "LOG.csv")]
    pub log: PathBuf,
    /// Remind the agent when a reply is owed for longer than this (S55), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub reply_interval_s: f64,
    /// Disconnect a session whose customer is silent longer than this (S56), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub message_interval_s: f64,
    /// Send one reminder per owed reply instead of one every reply interval.
    #[arg(long)]
    pub no_repeat_reminders: bool,
    /// At most this many reminders per owed reply (0 turns reminders off).
    #[arg(long, value_name = "N")]
    pub reminder_cap: Option<u32>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The method's settings a replay runs with; written into every report.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ReplaySettings {
    pub reply_interval_s: f64,
    pub message_interval_s: f64,
    pub repeat_reminders: bool,
    pub reminder_cap: Option<u32>,
}

impl Default for ReplaySettings {
    fn default() -> Self {
        ReplaySettings {
            reply_interval_s: 60.0,
            message_interval_s: 300.0,
            repeat_reminders: true,
            reminder_cap: None,
        }
    }
}

impl From<&ReplayArgs> for ReplaySettings {
    fn from(args: &ReplayArgs) -> Self {
        ReplaySettings {
            reply_interval_s: args.reply_interval_s,
            message_interval_s: args.message_interval_s,
            repeat_reminders: !args.no_repeat_reminders,
            reminder_cap: args.reminder_cap,
        }
    }
}

impl ReplaySettings {
    /// The engine configuration, after checking both intervals.
    fn engine_config(&self) -> Result<EngineConfig, ReplayError> {
        let reply = check_interval("--reply-interval-s", self.reply_interval_s, 60.0)?;
        let message = check_interval("--message-interval-s", self.message_interval_s, 300.0)?;
        Ok(EngineConfig {
            rule: RoutingRule::LeastLoaded,
            reply_interval: Some(reply),
            message_interval: Some(message),
            repeat_reminders: self.repeat_reminders,
            reminder_cap: self.reminder_cap,
        })
    }
}

fn check_interval(flag: &'static str, value_s: f64, example: f64) -> Result<Millis, ReplayError> {
    if value_s.is_finite() && (MIN_INTERVAL_S..=MAX_INTERVAL_S).contains(&value_s) {
        Ok(Millis::from_secs_f64_rounded(value_s))
    } else {
        Err(ReplayError::Setting {
            flag,
            value: value_s.to_string(),
            example,
        })
    }
}

// ----- report ----------------------------------------------------------------------------

/// What the method would have done on the logged day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayReport {
    /// The log's file name, as given.
    pub log: String,
    pub settings: ReplaySettings,
    /// Data rows read (header, comments and blank lines excluded).
    pub rows: u64,
    pub first_timestamp_s: f64,
    pub last_timestamp_s: f64,
    /// Sessions requested (one `request` row each).
    pub sessions: u64,
    /// `customer_message` rows (the opening `request` is not counted here).
    pub customer_messages: u64,
    /// `agent_reply` rows.
    pub agent_replies: u64,
    /// `close` rows; `sessions - closes` sessions were still open when the log ended.
    pub closes: u64,
    /// Idle reminders the engine would have sent (S55).
    pub reminders: u64,
    pub sessions_with_reminder: u64,
    /// `reminders / sessions`.
    pub reminders_per_session: f64,
    pub max_reminders_per_session: u32,
    /// Customer messages (the opening request included) whose next reply came later than
    /// the reply interval, or never while the session was open in the log.
    pub missed_responses: u64,
    /// Sessions the engine would have disconnected for silence (S56).
    pub disconnects: u64,
    /// Disconnected sessions whose customer in fact wrote again later in the log.
    pub premature_disconnects: u64,
    /// Disconnected sessions whose customer never wrote again (true reclaims).
    pub ghost_disconnects: u64,
    /// Sum over disconnected sessions of (end in the log − disconnect), in seconds: the
    /// session capacity the disconnects free. A session's end in the log is its `close`
    /// row, or its last row when it has none.
    pub capacity_reclaimed_s: f64,
    /// One row per agent, sorted by name.
    pub per_agent: Vec<AgentReplay>,
}

/// One agent's share of a replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentReplay {
    pub agent: String,
    pub sessions: u64,
    pub reminders: u64,
    pub missed_responses: u64,
    pub disconnects: u64,
}

impl ReplayReport {
    /// A short human summary, at most 80 columns wide.
    pub fn to_text(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        let cap = match s.reminder_cap {
            Some(n) => format!("cap {n}"),
            None => "no cap".to_string(),
        };
        let repeat = if s.repeat_reminders {
            "repeating"
        } else {
            "once"
        };
        let _ = writeln!(out, "replay of {}", clip(&self.log, 68));
        let _ = writeln!(
            out,
            "  {} rows from {} s to {} s",
            self.rows,
            fmt_secs(self.first_timestamp_s),
            fmt_secs(self.last_timestamp_s)
        );
        let _ = writeln!(
            out,
            "  reply interval {} s, message interval {} s, reminders {repeat}, {cap}",
            fmt_secs(s.reply_interval_s),
            fmt_secs(s.message_interval_s),
        );
        let _ = writeln!(out);
        let pair = |out: &mut String, a: &str, x: String, b: &str, y: String| {
            let _ = writeln!(out, "  {a:<22}{x:>10}    {b:<22}{y:>10}");
        };
        pair(
            &mut out,
            "sessions",
            self.sessions.to_string(),
            "closed in the log",
            self.closes.to_string(),
        );
        pair(
            &mut out,
            "customer messages",
            self.customer_messages.to_string(),
            "agent replies",
            self.agent_replies.to_string(),
        );
        pair(
            &mut out,
            "missed responses",
            self.missed_responses.to_string(),
            "reminders",
            self.reminders.to_string(),
        );
        pair(
            &mut out,
            "sessions w/ reminder",
            self.sessions_with_reminder.to_string(),
            "reminders/session",
            format!("{:.2}", self.reminders_per_session),
        );
        pair(
            &mut out,
            "disconnects",
            self.disconnects.to_string(),
            "capacity reclaimed s",
            fmt_secs(self.capacity_reclaimed_s),
        );
        pair(
            &mut out,
            "  premature",
            self.premature_disconnects.to_string(),
            "  ghost",
            self.ghost_disconnects.to_string(),
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<24}{:>10}{:>11}{:>10}{:>13}",
            "agent", "sessions", "reminders", "missed", "disconnects"
        );
        for a in &self.per_agent {
            let _ = writeln!(
                out,
                "  {:<24}{:>10}{:>11}{:>10}{:>13}",
                clip(&a.agent, 23),
                a.sessions,
                a.reminders,
                a.missed_responses,
                a.disconnects
            );
        }
        out
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Every field is a plain number, string, bool or list: serialization cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn fmt_secs(s: f64) -> String {
    if s.fract() == 0.0 && s.abs() < 1e15 {
        format!("{s:.0}")
    } else {
        format!("{s:.3}")
    }
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

// ----- errors ----------------------------------------------------------------------------

/// Why a replay could not run. Row errors name the file, the line, the bad value and
/// the fix.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read the chat log {path}: {source}; check the path")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the chat log {path} is {bytes} bytes, over the {limit}-byte limit; split it by day")]
    FileTooLarge { path: PathBuf, bytes: u64, limit: u64 },
    #[error("{flag} {value}: must be a finite number of seconds from 0.001 to 1e9, e.g. {flag} {example}")]
    Setting {
        flag: &'static str,
        value: String,
        example: f64,
    },
    #[error("{file}:{line}: {message}; check the quoting of this row")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: {what}; a replay needs the header `timestamp,session,agent,kind` and at least one row")]
    Empty { file: String, what: &'static str },
    #[error("{file}:{line}: header `{found}`: {problem}; the first line must be `timestamp,session,agent,kind` (any order)")]
    Header {
        file: String,
        line: u64,
        found: String,
        problem: String,
    },
    #[error("{file}:{line}: expected 4 columns (timestamp,session,agent,kind), found {found} in `{value}`; leave an unknown agent empty (`3600,c1,,request`), never drop the column")]
    ColumnCount {
        file: String,
        line: u64,
        found: usize,
        value: String,
    },
    #[error("{file}:{line}: bad timestamp `{value}`: {problem}; write seconds since an epoch (`3600.5`) or a clock time (`09:00:00`)")]
    Timestamp {
        file: String,
        line: u64,
        value: String,
        problem: &'static str,
    },
    #[error("{file}:{line}: timestamp `{value}` is earlier than `{previous}` on line {previous_line}; sort the rows by timestamp (rows with equal timestamps keep their order)")]
    Unsorted {
        file: String,
        line: u64,
        value: String,
        previous: String,
        previous_line: u64,
    },
    #[error("{file}:{line}: unknown kind `{value}`; use request, customer_message, agent_reply or close")]
    Kind {
        file: String,
        line: u64,
        value: String,
    },
    #[error("{file}:{line}: empty session id; give every row the session (or customer) id it belongs to")]
    EmptySession { file: String, line: u64 },
    #[error("{file}:{line}: `{kind}` for session `{session}`, which has no `request` row before it; add the session's request row first (the log must start each session with one)")]
    NotRequested {
        file: String,
        line: u64,
        session: String,
        kind: &'static str,
    },
    #[error("{file}:{line}: second `request` for session `{session}` (first on line {first_line}); give each chat its own session id, e.g. append a counter to a customer id")]
    DuplicateRequest {
        file: String,
        line: u64,
        session: String,
        first_line: u64,
    },
    #[error("{file}:{line}: `{kind}` for session `{session}` after its `close` on line {close_line}; remove the row, or give the new chat its own session id")]
    AfterClose {
        file: String,
        line: u64,
        session: String,
        kind: &'static str,
        close_line: u64,
    },
    #[error("{file}: more than {limit} rows; split the log by day")]
    TooManyRows { file: String, limit: usize },
    #[error("{file}: the replay needed more than {limit} timer wake-ups; raise --reply-interval-s or set --reminder-cap")]
    TooManyTimers { file: String, limit: u64 },
    #[error("{file}: internal error while replaying line {line}: {detail}; please report this with the log")]
    Internal {
        file: String,
        line: u64,
        detail: String,
    },
}

// ----- entry points ----------------------------------------------------------------------

/// Replays the log file named in `args`.
pub fn replay(args: &ReplayArgs) -> Result<ReplayReport, ReplayError> {
    let settings = ReplaySettings::from(args);
    settings.engine_config()?;
    let text = read_log(&args.log)?;
    replay_str(&text, &args.log.display().to_string(), &settings)
}

/// Replays a log held in memory; `file_name` is only used in messages and the report.
pub fn replay_str(
    text: &str,
    file_name: &str,
    settings: &ReplaySettings,
) -> Result<ReplayReport, ReplayError> {
    run(text, file_name, settings, Limits::DEFAULT).map(|(report, _)| report)
}

fn read_log(path: &Path) -> Result<String, ReplayError> {
    let read_error = |source| ReplayError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(read_error)?.len();
    if bytes > MAX_LOG_BYTES {
        return Err(ReplayError::FileTooLarge {
            path: path.to_path_buf(),
            bytes,
            limit: MAX_LOG_BYTES,
        });
    }
    std::fs::read_to_string(path).map_err(read_error)
}

#[derive(Clone, Copy, Debug)]
struct Limits {
    rows: usize,
    timer_wakeups: u64,
}

impl Limits {
    const DEFAULT: Limits = Limits {
        rows: MAX_ROWS,
        timer_wakeups: MAX_TIMER_WAKEUPS,
    };
}

/// What happened to one session, in the log and in the method's world.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct SessionOutcome {
    reminders: u32,
    missed_responses: u32,
    /// When the engine disconnected it for silence.
    disconnected_at: Option<SimTime>,
    /// The log shows a customer message after the disconnect.
    premature: bool,
}

fn run(
    text: &str,
    file: &str,
    settings: &ReplaySettings,
    limits: Limits,
) -> Result<(ReplayReport, Vec<(String, SessionOutcome)>), ReplayError> {
    let config = settings.engine_config()?;
    let log = parse_log(text, file, limits)?;
    let mut outcomes = vec![SessionOutcome::default(); log.sessions.len()];
    count_missed_responses(&log, config.reply_interval.unwrap_or(Millis::ZERO), &mut outcomes);
    let mut replayer = Replayer::new(&log, config, limits, &mut outcomes);
    replayer.run()?;
    let report = summarize(&log, *settings, &outcomes);
    let names = log.sessions.iter().map(|info| info.name.clone());
    Ok((report, names.zip(outcomes).collect()))
}

// ----- stage 1: read and check the log ---------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Request,
    CustomerMessage,
    AgentReply,
    Close,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        match s.to_ascii_lowercase().as_str() {
            "request" => Some(Kind::Request),
            "customer_message" => Some(Kind::CustomerMessage),
            "agent_reply" => Some(Kind::AgentReply),
            "close" => Some(Kind::Close),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::CustomerMessage => "customer_message",
            Kind::AgentReply => "agent_reply",
            Kind::Close => "close",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Row {
    line: u64,
    time: SimTime,
    session: u32,
    kind: Kind,
}

#[derive(Clone, Debug)]
struct SessionInfo {
    name: String,
    request_line: u64,
    /// The request row's agent, else the first of its rows naming one; filled with the
    /// pseudo agent at the end of parsing.
    agent: Option<u32>,
    close_line: Option<u64>,
    /// Its last row: the close, or where the log loses sight of it.
    last_time: SimTime,
}

/// A checked log: rows in time order, every session requested once and pinned to an agent.
#[derive(Debug)]
struct Log {
    file: String,
    rows: Vec<Row>,
    sessions: Vec<SessionInfo>,
    agents: Vec<String>,
}

impl Log {
    fn agent_of(&self, session: u32) -> u32 {
        self.sessions[session as usize].agent.unwrap_or(0)
    }
}

/// Column positions of timestamp, session, agent, kind.
type Columns = [usize; 4];
const COLUMN_NAMES: [&str; 4] = ["timestamp", "session", "agent", "kind"];

fn parse_log(text: &str, file: &str, limits: Limits) -> Result<Log, ReplayError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut columns: Option<Columns> = None;
    let mut log = Log {
        file: file.to_string(),
        rows: Vec::new(),
        sessions: Vec::new(),
        agents: Vec::new(),
    };
    let mut session_ids: HashMap<String, u32> = HashMap::new();
    let mut agent_ids: HashMap<String, u32> = HashMap::new();
    // The previous row's timestamp: seconds, as written, and its line.
    let mut previous: Option<(f64, String, u64)> = None;
    loop {
        let more = reader.read_record(&mut record).map_err(|e| ReplayError::Csv {
            file: file.to_string(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        let first = record.get(0).unwrap_or("");
        if (record.len() <= 1 && first.is_empty()) || first.starts_with('#') {
            continue; // blank or indented comment line
        }
        let Some(cols) = columns else {
            columns = Some(parse_header(file, line, &record)?);
            continue;
        };
        if record.len() != 4 {
            return Err(ReplayError::ColumnCount {
                file: file.to_string(),
                line,
                found: record.len(),
                value: shown(&record.iter().collect::<Vec<_>>().join(",")),
            });
        }
        if log.rows.len() >= limits.rows {
            return Err(ReplayError::TooManyRows {
                file: file.to_string(),
                limit: limits.rows,
            });
        }
        let (raw_time, name, agent, raw_kind) = (
            &record[cols[0]],
            &record[cols[1]],
            &record[cols[2]],
            &record[cols[3]],
        );
        let seconds = parse_timestamp(raw_time).map_err(|problem| ReplayError::Timestamp {
            file: file.to_string(),
            line,
            value: shown(raw_time),
            problem,
        })?;
        if let Some((prev_s, prev_raw, prev_line)) = &previous {
            if seconds < *prev_s {
                return Err(ReplayError::Unsorted {
                    file: file.to_string(),
                    line,
                    value: shown(raw_time),
                    previous: prev_raw.clone(),
                    previous_line: *prev_line,
                });
            }
        }
        previous = Some((seconds, shown(raw_time), line));
        let kind = Kind::parse(raw_kind).ok_or_else(|| ReplayError::Kind {
            file: file.to_string(),
            line,
            value: shown(raw_kind),
        })?;
        if name.is_empty() {
            return Err(ReplayError::EmptySession {
                file: file.to_string(),
                line,
            });
        }
        let time = SimTime(Millis::from_secs_f64_rounded(seconds).0);
        let session = match (kind, session_ids.get(name)) {
            (Kind::Request, Some(&s)) => {
                return Err(ReplayError::DuplicateRequest {
                    file: file.to_string(),
                    line,
                    session: shown(name),
                    first_line: log.sessions[s as usize].request_line,
                })
            }
            (Kind::Request, None) => {
                let s = log.sessions.len() as u32;
                session_ids.insert(name.to_string(), s);
                log.sessions.push(SessionInfo {
                    name: name.to_string(),
                    request_line: line,
                    agent: None,
                    close_line: None,
                    last_time: time,
                });
                s
            }
            (_, None) => {
                return Err(ReplayError::NotRequested {
                    file: file.to_string(),
                    line,
                    session: shown(name),
                    kind: kind.name(),
                })
            }
            (_, Some(&s)) => s,
        };
        let info = &mut log.sessions[session as usize];
        if let Some(close_line) = info.close_line {
            return Err(ReplayError::AfterClose {
                file: file.to_string(),
                line,
                session: shown(name),
                kind: kind.name(),
                close_line,
            });
        }
        if kind == Kind::Close {
            info.close_line = Some(line);
        }
        info.last_time = time;
        if info.agent.is_none() && !agent.is_empty() {
            info.agent = Some(intern(&mut agent_ids, &mut log.agents, agent));
        }
        log.rows.push(Row {
            line,
            time,
            session,
            kind,
        });
    }
    if columns.is_none() {
        return Err(ReplayError::Empty {
            file: file.to_string(),
            what: "no header line",
        });
    }
    if log.rows.is_empty() {
        return Err(ReplayError::Empty {
            file: file.to_string(),
            what: "a header but no rows",
        });
    }
    for s in 0..log.sessions.len() {
        if log.sessions[s].agent.is_none() {
            let unknown = intern(&mut agent_ids, &mut log.agents, UNKNOWN_AGENT);
            log.sessions[s].agent = Some(unknown);
        }
    }
    Ok(log)
}

fn parse_header(file: &str, line: u64, record: &csv::StringRecord) -> Result<Columns, ReplayError> {
    let header_error = |problem: String| ReplayError::Header {
        file: file.to_string(),
        line,
        found: shown(&record.iter().collect::<Vec<_>>().join(",")),
        problem,
    };
    let mut columns: [Option<usize>; 4] = [None; 4];
    for (i, field) in record.iter().enumerate() {
        let name = field.to_ascii_lowercase();
        let Some(c) = COLUMN_NAMES.iter().position(|&n| n == name) else {
            return Err(header_error(format!("unknown column `{}`", shown(field))));
        };
        if columns[c].replace(i).is_some() {
            return Err(header_error(format!("column `{name}` twice")));
        }
    }
    let mut out = [0; 4];
    for (c, slot) in columns.iter().enumerate() {
        out[c] = slot.ok_or_else(|| header_error(format!("no `{}` column", COLUMN_NAMES[c])))?;
    }
    Ok(out)
}

fn intern(ids: &mut HashMap<String, u32>, names: &mut Vec<String>, name: &str) -> u32 {
    if let Some(&id) = ids.get(name) {
        return id;
    }
    let id = names.len() as u32;
    ids.insert(name.to_string(), id);
    names.push(name.to_string());
    id
}

/// Seconds from `3600`, `3600.5`, `09:00:00` or `09:00:00.250`.
fn parse_timestamp(raw: &str) -> Result<f64, &'static str> {
    if raw.is_empty() {
        return Err("it is empty");
    }
    let seconds = if raw.contains(':') {
        let parts: Vec<&str> = raw.split(':').collect();
        let [h, m, s] = parts[..] else {
            return Err("a clock time needs hours, minutes and seconds");
        };
        let all_digits = |p: &str, max_len: usize| {
            !p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit())
        };
        if !all_digits(h, 9) || !all_digits(m, 2) {
            return Err("hours and minutes must be whole numbers");
        }
        let (h, m) = (h.parse::<f64>().unwrap_or(0.0), m.parse::<f64>().unwrap_or(0.0));
        let s = plain_seconds(s).ok_or("seconds must be a number like 05 or 05.250")?;
        if m >= 60.0 || s >= 60.0 {
            return Err("minutes and seconds must be below 60");
        }
        h * 3600.0 + m * 60.0 + s
    } else {
        plain_seconds(raw).ok_or("not a number of seconds")?
    };
    if seconds > MAX_TIMESTAMP_S {
        return Err("too large (milliseconds? divide by 1000)");
    }
    Ok(seconds)
}

/// A non-negative decimal number, optionally with an exponent; no sign, inf or NaN.
fn plain_seconds(s: &str) -> Option<f64> {
    let starts_well = s.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.');
    let v: f64 = if starts_well { s.parse().ok()? } else { None? };
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// A user's value, cut short for a message.
fn shown(value: &str) -> String {
    clip(value, SHOWN_VALUE_CHARS)
}

// ----- stage 2: missed responses, from the log alone -------------------------------------

/// A customer message at t (the opening request included) is missed when the session's
/// next agent reply comes after t + reply interval, or when no reply comes and the session
/// is still open in the log at t + reply interval (open until its close, or until the
/// log's last row if it has none). This is the definition of SPEC B.3, applied to rows.
fn count_missed_responses(log: &Log, reply_interval: Millis, outcomes: &mut [SessionOutcome]) {
    let mut pending: Vec<Vec<SimTime>> = vec![Vec::new(); log.sessions.len()];
    for row in &log.rows {
        let s = row.session as usize;
        match row.kind {
            Kind::Request | Kind::CustomerMessage => pending[s].push(row.time),
            Kind::AgentReply => {
                let late = pending[s]
                    .iter()
                    .filter(|&&t| row.time > t + reply_interval)
                    .count();
                outcomes[s].missed_responses += late as u32;
                pending[s].clear();
            }
            Kind::Close => {}
        }
    }
    let log_end = log.rows.last().map_or(SimTime::ZERO, |r| r.time);
    for (s, info) in log.sessions.iter().enumerate() {
        let open_until = if info.close_line.is_some() {
            info.last_time
        } else {
            log_end
        };
        let late = pending[s]
            .iter()
            .filter(|&&t| open_until > t + reply_interval)
            .count();
        outcomes[s].missed_responses += late as u32;
    }
}

// ----- stage 3: the method's world -------------------------------------------------------

/// Drives one engine per logged agent through the rows, in time order.
///
/// Before a row at time t, every timer due before t fires, in global deadline order (ties
/// by agent); timers due exactly at t fire after the rows at t, as the engine's own
/// "commands before timers" rule says. Nothing fires after the last row: the log shows
/// nothing beyond it.
struct Replayer<'a> {
    log: &'a Log,
    outcomes: &'a mut [SessionOutcome],
    engines: Vec<Engine>,
    /// Each log session's engine session while the engine has it open.
    handles: Vec<Option<SessionId>>,
    /// (engine, engine session) → log session, for events.
    by_handle: HashMap<(u32, SessionId), u32>,
    /// Engines' next wake-ups; an entry is live iff it equals `armed[engine]`.
    wakeups: BinaryHeap<Reverse<(SimTime, u32)>>,
    armed: Vec<Option<SimTime>>,
    timer_wakeups: u64,
    limits: Limits,
}

impl<'a> Replayer<'a> {
    /// One engine per logged agent. A logged agent holds at most 64 sessions in one
    /// engine agent, so an agent with more concurrent sessions in the log gets
    /// ⌈peak / 64⌉ engine agents, all its own: the log, not the cap, says who served.
    /// The peak counts a session from its request to its close (to the end of the log if
    /// it has none), which bounds what the engine holds, since the engine only ends
    /// sessions earlier.
    fn new(
        log: &'a Log,
        config: EngineConfig,
        limits: Limits,
        outcomes: &'a mut [SessionOutcome],
    ) -> Replayer<'a> {
        let mut open = vec![0u32; log.agents.len()];
        let mut peak = vec![1u32; log.agents.len()];
        for row in &log.rows {
            let a = log.agent_of(row.session) as usize;
            match row.kind {
                Kind::Request => {
                    open[a] += 1;
                    peak[a] = peak[a].max(open[a]);
                }
                Kind::Close => open[a] -= 1,
                _ => {}
            }
        }
        let engines = peak
            .iter()
            .map(|&p| {
                let caps = vec![ENGINE_MAX_SESSIONS; p.div_ceil(ENGINE_MAX_SESSIONS) as usize];
                let mut engine = Engine::new(config, &caps);
                for i in 0..caps.len() {
                    // A fresh engine, an agent in range, time zero: cannot fail.
                    let _ = engine.handle_log_in(SimTime::ZERO, AgentId(i as u32));
                }
                while engine.poll_event().is_some() {}
                engine
            })
            .collect();
        Replayer {
            log,
            outcomes,
            engines,
            handles: vec![None; log.sessions.len()],
            by_handle: HashMap::new(),
            wakeups: BinaryHeap::new(),
            armed: vec![None; log.agents.len()],
            timer_wakeups: 0,
            limits,
        }
    }

    fn run(&mut self) -> Result<(), ReplayError> {
        for row in &self.log.rows {
            self.fire_timers_before(row.time, row.line)?;
            self.handle_row(row)?;
        }
        Ok(())
    }

    fn handle_row(&mut self, row: &Row) -> Result<(), ReplayError> {
        let s = row.session as usize;
        if self.outcomes[s].disconnected_at.is_some() {
            // Closed in the method's world: only watch whether the customer came back.
            self.outcomes[s].premature |= row.kind == Kind::CustomerMessage;
            return Ok(());
        }
        let e = self.log.agent_of(row.session);
        let engine = &mut self.engines[e as usize];
        let result = match (row.kind, self.handles[s]) {
            (Kind::Request, _) => engine
                .handle_session_request(row.time, 0)
                .map(|id| {
                    self.handles[s] = Some(id);
                    self.by_handle.insert((e, id), row.session);
                }),
            (Kind::CustomerMessage, Some(id)) => engine.handle_customer_message(row.time, id),
            (Kind::AgentReply, Some(id)) => engine.handle_agent_reply(row.time, id),
            (Kind::Close, Some(id)) => engine.handle_customer_close(row.time, id),
            (_, None) => return Err(self.internal(row.line, "session not open in its engine")),
        };
        result.map_err(|err| self.internal(row.line, &err.to_string()))?;
        self.drain_events(e, row.time, row.line)?;
        self.rearm(e);
        Ok(())
    }

    /// Fires every timer due strictly before `t`, earliest first.
    fn fire_timers_before(&mut self, t: SimTime, line: u64) -> Result<(), ReplayError> {
        while let Some(&Reverse((deadline, e))) = self.wakeups.peek() {
            if self.armed[e as usize] != Some(deadline) {
                self.wakeups.pop(); // stale: the engine's deadline moved
                continue;
            }
            if deadline >= t {
                break;
            }
            self.wakeups.pop();
            self.armed[e as usize] = None;
            self.timer_wakeups += 1;
            if self.timer_wakeups > self.limits.timer_wakeups {
                return Err(ReplayError::TooManyTimers {
                    file: self.log.file.clone(),
                    limit: self.limits.timer_wakeups,
                });
            }
            // One deadline at a time (never a jump to t), so the limit above bounds the
            // work even with a 1 ms reply interval over a long gap.
            self.engines[e as usize]
                .handle_timeout(deadline)
                .map_err(|err| self.internal(line, &err.to_string()))?;
            self.drain_events(e, deadline, line)?;
            self.rearm(e);
        }
        Ok(())
    }

    fn rearm(&mut self, e: u32) {
        let next = self.engines[e as usize].poll_timeout();
        if next != self.armed[e as usize] {
            self.armed[e as usize] = next;
            if let Some(deadline) = next {
                self.wakeups.push(Reverse((deadline, e)));
            }
        }
    }

    fn drain_events(&mut self, e: u32, now: SimTime, line: u64) -> Result<(), ReplayError> {
        while let Some(event) = self.engines[e as usize].poll_event() {
            match event {
                Event::ReminderDue { session, .. } => {
                    let s = self.session_of(e, session, line)?;
                    self.outcomes[s].reminders += 1;
                }
                Event::Ended {
                    session, reason, ..
                } => {
                    let s = self.session_of(e, session, line)?;
                    self.by_handle.remove(&(e, session));
                    self.handles[s] = None;
                    if reason == EndReason::Silence {
                        self.outcomes[s].disconnected_at = Some(now);
                    }
                }
                Event::Queued { .. } | Event::Abandoned { .. } | Event::HandedBack { .. } => {
                    return Err(self.internal(line, "a session had to wait for its agent"));
                }
                Event::Connected { .. } | Event::Agent { .. } => {}
            }
        }
        Ok(())
    }

    fn session_of(&self, e: u32, session: SessionId, line: u64) -> Result<usize, ReplayError> {
        self.by_handle
            .get(&(e, session))
            .map(|&s| s as usize)
            .ok_or_else(|| self.internal(line, "event for an unknown session"))
    }

    fn internal(&self, line: u64, detail: &str) -> ReplayError {
        ReplayError::Internal {
            file: self.log.file.clone(),
            line,
            detail: detail.to_string(),
        }
    }
}

// ----- stage 4: the report ---------------------------------------------------------------

fn summarize(log: &Log, settings: ReplaySettings, outcomes: &[SessionOutcome]) -> ReplayReport {
    let count = |k: Kind| log.rows.iter().filter(|r| r.kind == k).count() as u64;
    let mut per_agent: Vec<AgentReplay> = log
        .agents
        .iter()
        .map(|name| AgentReplay {
            agent: name.clone(),
            sessions: 0,
            reminders: 0,
            missed_responses: 0,
            disconnects: 0,
        })
        .collect();
    let mut report = ReplayReport {
        log: log.file.clone(),
        settings,
        rows: log.rows.len() as u64,
        first_timestamp_s: log.rows.first().map_or(0.0, |r| r.time.as_secs_f64()),
        last_timestamp_s: log.rows.last().map_or(0.0, |r| r.time.as_secs_f64()),
        sessions: log.sessions.len() as u64,
        customer_messages: count(Kind::CustomerMessage),
        agent_replies: count(Kind::AgentReply),
        closes: count(Kind::Close),
        reminders: 0,
        sessions_with_reminder: 0,
        reminders_per_session: 0.0,
        max_reminders_per_session: 0,
        missed_responses: 0,
        disconnects: 0,
        premature_disconnects: 0,
        ghost_disconnects: 0,
        capacity_reclaimed_s: 0.0,
        per_agent: Vec::new(),
    };
    let mut reclaimed = Millis::ZERO;
    for (info, o) in log.sessions.iter().zip(outcomes) {
        let a = &mut per_agent[info.agent.unwrap_or(0) as usize];
        a.sessions += 1;
        a.reminders += u64::from(o.reminders);
        a.missed_responses += u64::from(o.missed_responses);
        report.reminders += u64::from(o.reminders);
        report.sessions_with_reminder += u64::from(o.reminders > 0);
        report.max_reminders_per_session = report.max_reminders_per_session.max(o.reminders);
        report.missed_responses += u64::from(o.missed_responses);
        if let Some(d) = o.disconnected_at {
            a.disconnects += 1;
            report.disconnects += 1;
            if o.premature {
                report.premature_disconnects += 1;
            } else {
                report.ghost_disconnects += 1;
            }
            reclaimed = reclaimed + info.last_time.since(d);
        }
    }
    report.capacity_reclaimed_s = reclaimed.as_secs_f64();
    if report.sessions > 0 {
        report.reminders_per_session = report.reminders as f64 / report.sessions as f64;
    }
    per_agent.sort_by(|x, y| x.agent.cmp(&y.agent));
    report.per_agent = per_agent;
    report
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe() {
        let text = "# c\n\ntimestamp,session,agent,kind\n   \n0,c1,a,request\n  # x\n\n5,c1,a,bogus\n";
        let e = replay_str(text, "p.csv", &ReplaySettings::default()).unwrap_err();
        println!("{e}");
    }
}
