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
use std::borrow::Cow;
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
        let _ = writeln!(out, "replay of {}", clip(&shown_name(&self.log), 68));
        let _ = writeln!(
            out,
            "  {} rows over {} min ({} s to {} s)",
            self.rows,
            fmt_secs(((self.last_timestamp_s - self.first_timestamp_s) / 6.0).round() / 10.0),
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
                clip(&shown_name(&a.agent), 23),
                a.sessions,
                a.reminders,
                a.missed_responses,
                a.disconnects
            );
        }
        out
    }

    /// The report as pretty-printed JSON; control and bidirectional characters in names
    /// as `\uXXXX` escapes, so the names round-trip and the text is inert in a terminal.
    pub fn to_json(&self) -> String {
        // Every field is a plain number, string, bool or list: serialization cannot fail.
        let json = serde_json::to_string_pretty(self).unwrap_or_default();
        crate::report::text::json_ascii_controls(&json).into_owned()
    }
}

/// A name from the log as shown to people: control and bidirectional characters as
/// visible escapes (`report::text::display`).
fn shown_name(s: &str) -> Cow<'_, str> {
    crate::report::text::display(s)
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
    /// The OS error is in the message itself, not a `source`, so that an error chain
    /// (`{err:#}`) does not print it twice.
    #[error("cannot read the chat log {}: {error}; check the path", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the chat log {path} is {bytes} bytes, over the {limit}-byte limit; split it by day")]
    FileTooLarge {
        path: PathBuf,
        bytes: u64,
        limit: u64,
    },
    #[error("{flag} {value}: must be a finite number of seconds from 0.001 to 1e9, e.g. {flag} {example}")]
    Setting {
        flag: &'static str,
        value: String,
        example: f64,
    },
    #[error("{file}:{line}: {message}; quote a field as \"a,b\" (write \"\" for a quote inside), on one line")]
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
    /// SIGINT/SIGTERM set [`crate::sim::INTERRUPTED`] (polled every 4 096 rows and timer
    /// wake-ups): the binary exits 130.
    #[error("the replay was interrupted")]
    Interrupted,
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
    let read_error = |error| ReplayError::Read {
        path: path.to_path_buf(),
        error,
    };
    // A regular file only (a FIFO would block, `/dev/zero` would fill memory), read no
    // further than the limit.
    let too_large = |_| ReplayError::FileTooLarge {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path)
            .map_or(0, |m| m.len())
            .max(MAX_LOG_BYTES + 1),
        limit: MAX_LOG_BYTES,
    };
    let bytes = match crate::scenario::read_regular_file(path, MAX_LOG_BYTES) {
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(too_large(e)),
        other => other.map_err(read_error),
    }?;
    String::from_utf8(bytes).map_err(|_| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// [`ReplayError::Interrupted`] once SIGINT/SIGTERM set [`crate::sim::INTERRUPTED`],
/// looked at when `count` is a multiple of 4 096 (rows read, rows replayed, timer
/// wake-ups): a few milliseconds of work between two looks.
fn interrupt_point(count: u64) -> Result<(), ReplayError> {
    if count % 4096 == 0 && crate::cli::INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed) {
        Err(ReplayError::Interrupted)
    } else {
        Ok(())
    }
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
    count_missed_responses(
        &log,
        config.reply_interval.unwrap_or(Millis::ZERO),
        &mut outcomes,
    );
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
    const ALL: [Kind; 4] = [
        Kind::Request,
        Kind::CustomerMessage,
        Kind::AgentReply,
        Kind::Close,
    ];

    /// The kind named `s`, in any letter case.
    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
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
    // Lines are split here, not by a CSV reader, so that every line number is exact.
    for (index, raw_line) in text.split('\n').enumerate() {
        interrupt_point(index as u64)?;
        let line = index as u64 + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = crate::csv_line::split(trimmed).map_err(|problem| ReplayError::Csv {
            file: file.to_string(),
            line,
            message: format!("{problem} in `{}`", shown(trimmed)),
        })?;
        let Some(cols) = columns else {
            columns = Some(parse_header(file, line, trimmed, &fields)?);
            continue;
        };
        if fields.len() != 4 {
            return Err(ReplayError::ColumnCount {
                file: file.to_string(),
                line,
                found: fields.len(),
                value: shown(trimmed),
            });
        }
        if log.rows.len() >= limits.rows {
            return Err(ReplayError::TooManyRows {
                file: file.to_string(),
                limit: limits.rows,
            });
        }
        let (raw_time, name, agent, raw_kind) = (
            &*fields[cols[0]],
            &*fields[cols[1]],
            &*fields[cols[2]],
            &*fields[cols[3]],
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
        let time = SimTime::ZERO + Millis::from_secs_f64_rounded(seconds);
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

fn parse_header(
    file: &str,
    line: u64,
    text: &str,
    fields: &[Cow<'_, str>],
) -> Result<Columns, ReplayError> {
    let header_error = |problem: String| ReplayError::Header {
        file: file.to_string(),
        line,
        found: shown(text),
        problem,
    };
    let mut columns: [Option<usize>; 4] = [None; 4];
    for (i, field) in fields.iter().enumerate() {
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
        let (h, m) = (
            h.parse::<f64>().unwrap_or(0.0),
            m.parse::<f64>().unwrap_or(0.0),
        );
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
    let starts_well = s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.');
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
/// Before a row at time t, every timer due at or before t fires, in global deadline order
/// (ties by agent), as the engine's own rule says: a timer fires at the first millisecond
/// its interval is exceeded, before any command of that instant. Nothing fires after the last row: the log shows
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
                // Caps no larger than the agent's own peak: the engine's routing structures
                // grow with the cap, and a day's log may name hundreds of thousands of
                // agents who each held a few chats at most.
                let n = p.div_ceil(ENGINE_MAX_SESSIONS);
                let caps = vec![p.div_ceil(n); n as usize];
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
        for (i, row) in self.log.rows.iter().enumerate() {
            interrupt_point(i as u64)?;
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
            (Kind::Request, _) => engine.handle_session_request(row.time, 0).map(|id| {
                self.handles[s] = Some(id);
                self.by_handle.insert((e, id), row.session);
            }),
            (Kind::CustomerMessage, Some(id)) => engine.handle_customer_message(row.time, id),
            (Kind::AgentReply, Some(id)) => engine.handle_agent_reply(row.time, id).map(|_| ()),
            (Kind::Close, Some(id)) => engine.handle_customer_close(row.time, id),
            (_, None) => return Err(self.internal(row.line, "session not open in its engine")),
        };
        result.map_err(|err| self.internal(row.line, &err.to_string()))?;
        self.drain_events(e, row.time, row.line)?;
        self.rearm(e);
        Ok(())
    }

    /// Fires every timer due at or before `t`, earliest first.
    fn fire_timers_before(&mut self, t: SimTime, line: u64) -> Result<(), ReplayError> {
        while let Some(&Reverse((deadline, e))) = self.wakeups.peek() {
            if self.armed[e as usize] != Some(deadline) {
                self.wakeups.pop(); // stale: the engine's deadline moved
                continue;
            }
            if deadline > t {
                break;
            }
            self.wakeups.pop();
            self.armed[e as usize] = None;
            self.timer_wakeups += 1;
            interrupt_point(self.timer_wakeups)?;
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
            reclaimed = reclaimed + info.last_time.saturating_since(d);
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
    use proptest::prelude::*;

    const EXAMPLE: &str = include_str!("../../scenarios/example-log.csv");

    fn settings(reply_s: f64, message_s: f64) -> ReplaySettings {
        ReplaySettings {
            reply_interval_s: reply_s,
            message_interval_s: message_s,
            ..ReplaySettings::default()
        }
    }

    fn run_text(
        text: &str,
        settings: &ReplaySettings,
    ) -> Result<(ReplayReport, Vec<(String, SessionOutcome)>), ReplayError> {
        run(text, "t.csv", settings, Limits::DEFAULT)
    }

    fn outcome<'a>(sessions: &'a [(String, SessionOutcome)], name: &str) -> &'a SessionOutcome {
        &sessions.iter().find(|(n, _)| n == name).expect(name).1
    }

    fn agent<'a>(report: &'a ReplayReport, name: &str) -> &'a AgentReplay {
        report
            .per_agent
            .iter()
            .find(|a| a.agent == name)
            .expect(name)
    }

    fn error(text: &str) -> String {
        replay_str(text, "bad.csv", &ReplaySettings::default())
            .expect_err("should fail")
            .to_string()
    }

    const HEADER: &str = "timestamp,session,agent,kind\n";

    // ----- the example log, by hand ------------------------------------------------------

    /// Reply interval 60 s, message interval 300 s, reminders repeat, no cap. The engine
    /// arms a reminder at the request (the opening counts as a customer message) and at
    /// every customer message (from the latest one); a reply cancels it and arms a
    /// disconnect at reply + 300 s; a reply exactly at the deadline is in time.
    #[test]
    fn example_log_counts_worked_by_hand() {
        let (r, s) = run_text(EXAMPLE, &ReplaySettings::default()).unwrap();
        // c01 ana: replies after 20, 30, 25 s; close 09:03:20 cancels the 09:07:45
        //   disconnect. Nothing.
        assert_eq!(*outcome(&s, "c01"), SessionOutcome::default());
        // c02 ben: message 09:03:30, reply only 09:05:45 (135 s): reminders at 09:04:30
        //   and 09:05:30 (the one at 09:06:30 is cancelled by the reply). 2 reminders,
        //   1 missed.
        assert_eq!(
            (
                outcome(&s, "c02").reminders,
                outcome(&s, "c02").missed_responses
            ),
            (2, 1)
        );
        // c03 chen: message 09:07:50 overlooked; reminder 09:08:50; reply 09:09:05 (75 s).
        //   1 reminder, 1 missed.
        assert_eq!(
            (
                outcome(&s, "c03").reminders,
                outcome(&s, "c03").missed_responses
            ),
            (1, 1)
        );
        // c04 ana: last customer message 09:07:40, replies 09:08:10 and the nudge
        //   09:11:40 (a reply too: the disconnect moves from 09:13:10 to 09:16:40). The
        //   customer never writes again: disconnect at 09:16:40.001 (the first millisecond
        //   past the interval), a ghost; ana closes it at 09:25:10, so 509.999 s reclaimed.
        let c04 = outcome(&s, "c04");
        assert_eq!(
            c04.disconnected_at,
            Some(SimTime::from_millis((9 * 3600 + 1000) * 1000 + 1))
        );
        assert!(!c04.premature);
        // c05 ben: reply 09:12:10 arms the disconnect at 09:17:10.001; the customer comes
        //   back at 09:18:10 (6 min of silence): disconnected at 09:17:10.001, premature;
        //   the log closes it at 09:19:10, so 119.999 s reclaimed. Its last three rows are
        //   only watched.
        let c05 = outcome(&s, "c05");
        assert_eq!(
            c05.disconnected_at,
            Some(SimTime::from_millis((9 * 3600 + 1030) * 1000 + 1))
        );
        assert!(c05.premature);
        assert_eq!((c05.reminders, c05.missed_responses), (0, 0));
        // c06: request row without agent; dana's reply 09:15:40 pins it to dana. Replies
        //   after 40 and 30 s. Nothing.
        assert_eq!(*outcome(&s, "c06"), SessionOutcome::default());
        // c07 chen: messages 09:21:30 and 09:21:50; the second moves the reminder from
        //   09:22:30 to 09:22:50 (S54 measures from the last message); it fires; the
        //   reply 09:23:10 comes before the repeat at 09:23:50. 1 reminder, but both
        //   messages missed (100 s and 80 s).
        assert_eq!(
            (
                outcome(&s, "c07").reminders,
                outcome(&s, "c07").missed_responses
            ),
            (1, 2)
        );
        // c08 (unknown): request 09:25:00, nobody answers, close 09:26:40. Reminder
        //   09:26:00 (the 09:27:00 repeat is after the close). 1 reminder; the opening is
        //   missed (open 100 s > 60 s without a reply).
        assert_eq!(
            (
                outcome(&s, "c08").reminders,
                outcome(&s, "c08").missed_responses
            ),
            (1, 1)
        );
        // c09 dana: replies within 20 s. Nothing.
        assert_eq!(*outcome(&s, "c09"), SessionOutcome::default());
        // c10 ana: request 09:35:00, first reply 09:38:10 (190 s): reminders 09:36:00,
        //   09:37:00, 09:38:00. 3 reminders, 1 missed.
        assert_eq!(
            (
                outcome(&s, "c10").reminders,
                outcome(&s, "c10").missed_responses
            ),
            (3, 1)
        );
        // c11 chen: reply 09:45:20 arms a disconnect at 09:50:20; the customer writes at
        //   09:49:20 (240 s, in time). Nothing.
        assert_eq!(*outcome(&s, "c11"), SessionOutcome::default());
        // c12 ben: replies in 20, 20, 30 s; no close row; its last reply 09:58:00 is the
        //   log's last row, so its disconnect (10:03:00) never fires. Nothing.
        assert_eq!(*outcome(&s, "c12"), SessionOutcome::default());

        assert_eq!(r.rows, 78);
        assert_eq!(r.sessions, 12);
        assert_eq!(r.customer_messages, 22); // 2+2+3+1+2+1+3+0+3+1+2+2
        assert_eq!(r.agent_replies, 33); // 3+3+4+3+3+2+3+0+4+2+3+3
        assert_eq!(r.closes, 11); // all but c12
        assert_eq!(r.reminders, 8); // c02 2 + c03 1 + c07 1 + c08 1 + c10 3
        assert_eq!(r.sessions_with_reminder, 5);
        assert_eq!(r.max_reminders_per_session, 3);
        assert!((r.reminders_per_session - 8.0 / 12.0).abs() < 1e-12);
        assert_eq!(r.missed_responses, 6); // c02 1 + c03 1 + c07 2 + c08 1 + c10 1
        assert_eq!(r.disconnects, 2);
        assert_eq!(r.premature_disconnects, 1); // c05
        assert_eq!(r.ghost_disconnects, 1); // c04
        assert_eq!(r.capacity_reclaimed_s, 629.998); // 509.999 + 119.999
        assert_eq!(r.first_timestamp_s, 9.0 * 3600.0);
        assert_eq!(r.last_timestamp_s, 9.0 * 3600.0 + 3480.0);
        let rows: Vec<(&str, u64, u64, u64, u64)> = r
            .per_agent
            .iter()
            .map(|a| {
                let AgentReplay {
                    agent,
                    sessions,
                    reminders,
                    missed_responses,
                    disconnects,
                } = a;
                (
                    agent.as_str(),
                    *sessions,
                    *reminders,
                    *missed_responses,
                    *disconnects,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                // (agent, sessions, reminders, missed, disconnects)
                ("(unknown)", 1, 1, 1, 0), // c08
                ("ana", 3, 3, 1, 1),       // c01 c04 c10
                ("ben", 3, 2, 1, 1),       // c02 c05 c12
                ("chen", 3, 2, 3, 0),      // c03 c07 c11
                ("dana", 2, 0, 0, 0),      // c06 c09
            ]
        );
    }

    #[test]
    fn example_log_without_repeated_reminders() {
        // One reminder per owed reply: c02 09:04:30, c03 09:08:50, c07 09:22:50, c08
        // 09:26:00, c10 09:36:00. Missed responses come from the log and do not change.
        let s = ReplaySettings {
            repeat_reminders: false,
            ..ReplaySettings::default()
        };
        let r = replay_str(EXAMPLE, "example-log.csv", &s).unwrap();
        assert_eq!(
            (r.reminders, r.sessions_with_reminder, r.missed_responses),
            (5, 5, 6)
        );
    }

    #[test]
    fn example_log_with_reminder_cap() {
        // Cap 2: only c10 had more (3 → 2): 2 + 1 + 1 + 1 + 2. Cap 0: no reminders at all.
        let cap = |n| ReplaySettings {
            reminder_cap: Some(n),
            ..ReplaySettings::default()
        };
        assert_eq!(replay_str(EXAMPLE, "e", &cap(2)).unwrap().reminders, 7);
        assert_eq!(replay_str(EXAMPLE, "e", &cap(0)).unwrap().reminders, 0);
    }

    #[test]
    fn example_log_with_a_longer_message_interval() {
        // 400 s: c05's customer (back after 360 s) is no longer cut off. c04's disconnect
        // moves to 09:11:40 + 400 s + 1 ms = 09:18:20.001; close 09:25:10 → 409.999 s
        // reclaimed.
        let r = replay_str(EXAMPLE, "e", &settings(60.0, 400.0)).unwrap();
        assert_eq!(
            (r.disconnects, r.premature_disconnects, r.ghost_disconnects),
            (1, 0, 1)
        );
        assert_eq!(r.capacity_reclaimed_s, 409.999);
        assert_eq!(r.reminders, 8);
    }

    #[test]
    fn example_log_with_a_shorter_message_interval() {
        // 200 s (each cut 1 ms past the interval): c04 is cut at 09:08:10 + 200 = 09:11:30,
        // before ana's nudge (which is then only watched): ghost, 09:25:10 − 09:11:30 =
        // 820 s. c05 at 09:12:10 + 200 = 09:15:30, premature, 09:19:10 − 09:15:30 = 220 s.
        // c11 at 09:45:20 + 200 = 09:48:40, premature (the customer writes at 09:49:20),
        // 09:51:00 − 09:48:40 = 140 s. Less 3 × 1 ms.
        let (r, s) = run_text(EXAMPLE, &settings(60.0, 200.0)).unwrap();
        assert_eq!(
            (r.disconnects, r.premature_disconnects, r.ghost_disconnects),
            (3, 2, 1)
        );
        assert_eq!(r.capacity_reclaimed_s, 1179.997);
        assert!(outcome(&s, "c11").premature);
        assert_eq!(agent(&r, "chen").disconnects, 1);
        assert_eq!(r.missed_responses, 6);
    }

    #[test]
    fn example_text_report_fits_80_columns() {
        let r = replay_str(
            EXAMPLE,
            "scenarios/example-log.csv",
            &ReplaySettings::default(),
        )
        .unwrap();
        let text = r.to_text();
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
        insta::assert_snapshot!(text, @r"
        replay of scenarios/example-log.csv
          78 rows over 58 min (32400 s to 35880 s)
          reply interval 60 s, message interval 300 s, reminders repeating, no cap

          sessions                      12    closed in the log             11
          customer messages             22    agent replies                 33
          missed responses               6    reminders                      8
          sessions w/ reminder           5    reminders/session           0.67
          disconnects                    2    capacity reclaimed s     629.998
            premature                    1      ghost                        1

          agent                     sessions  reminders    missed  disconnects
          (unknown)                        1          1         1            0
          ana                              3          3         1            1
          ben                              3          2         1            1
          chen                             3          2         3            0
          dana                             2          0         0            0
        ");
    }

    #[test]
    fn json_report_has_every_count() {
        let r = replay_str(EXAMPLE, "e", &ReplaySettings::default()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["reminders"], 8);
        assert_eq!(v["premature_disconnects"], 1);
        // Two disconnects, each 1 ms past its interval: 630 s less 2 ms.
        assert_eq!(v["capacity_reclaimed_s"], 629.998);
        assert_eq!(v["settings"]["message_interval_s"], 300.0);
        assert_eq!(v["per_agent"][1]["agent"], "ana");
    }

    // ----- the engine's timing rules, one at a time --------------------------------------

    #[test]
    fn reply_exactly_at_the_reply_interval_is_in_time() {
        let text = format!("{HEADER}0,c1,a,request\n60,c1,a,agent_reply\n70,c1,a,close\n");
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.reminders, r.missed_responses), (0, 0));
        let text = format!("{HEADER}0,c1,a,request\n60.001,c1,a,agent_reply\n70,c1,a,close\n");
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.reminders, r.missed_responses), (1, 1));
    }

    #[test]
    fn message_exactly_at_the_message_interval_is_in_time() {
        let text = format!(
            "{HEADER}0,c1,a,request\n10,c1,a,agent_reply\n310,c1,,customer_message\n\
             320,c1,a,agent_reply\n330,c1,a,close\n"
        );
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!(r.disconnects, 0);
        let late = text.replace("310,", "310.001,");
        let r = replay_str(&late, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.disconnects, r.premature_disconnects), (1, 1));
        // Disconnected at 310.001 (the first millisecond past the interval), before the
        // message of that instant; closed in the log at 330.
        assert_eq!(r.capacity_reclaimed_s, 19.999);
    }

    #[test]
    fn nothing_fires_after_the_last_row() {
        // c1 is never answered and never closed; the log runs to 200 s (c2). Reminders at
        // 60, 120, 180; the opening counts as missed (open until the log's end). c2's own
        // reminder at 260 is after the last row and never fires.
        let text = format!("{HEADER}0,c1,a,request\n200,c2,b,request\n");
        let (r, s) = run_text(&text, &ReplaySettings::default()).unwrap();
        assert_eq!(outcome(&s, "c1").reminders, 3);
        assert_eq!(outcome(&s, "c1").missed_responses, 1);
        assert_eq!(outcome(&s, "c2").reminders, 0);
        assert_eq!((r.reminders, r.missed_responses), (3, 1));
    }

    #[test]
    fn unclosed_ghost_reclaims_nothing_it_cannot_see() {
        // c1's last row is the reply at 10; disconnected at 310 while c2 runs on. The log
        // never shows c1 held past 10 s, so no capacity is counted.
        let text = format!("{HEADER}0,c1,a,request\n10,c1,a,agent_reply\n400,c2,a,request\n");
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.disconnects, r.ghost_disconnects), (1, 1));
        assert_eq!(r.capacity_reclaimed_s, 0.0);
    }

    #[test]
    fn session_is_pinned_to_its_first_named_agent() {
        // Request without agent; first naming row says x; a later y (a transfer) is
        // ignored. c2 names nobody: (unknown).
        let text = format!(
            "{HEADER}0,c1,,request\n5,c1,x,customer_message\n10,c1,y,agent_reply\n\
             20,c1,y,close\n30,c2,,request\n40,c2,,close\n"
        );
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        let names: Vec<_> = r
            .per_agent
            .iter()
            .map(|a| (a.agent.as_str(), a.sessions))
            .collect();
        assert_eq!(names, [("(unknown)", 1), ("x", 1)]);
    }

    #[test]
    fn an_agent_with_more_than_64_open_sessions_is_replayed() {
        // 100 chats open at once for one agent, all answered at 90 s: one reminder each at
        // 60 s, every opening missed. The engine needs two agents of 64 for her.
        let mut text = HEADER.to_string();
        for i in 0..100 {
            text.push_str(&format!("0,c{i},a,request\n"));
        }
        for i in 0..100 {
            text.push_str(&format!("90,c{i},a,agent_reply\n100,c{i},a,close\n"));
        }
        // Close rows interleave with later replies: keep the file sorted.
        let mut lines: Vec<&str> = text.lines().skip(1).collect();
        lines.sort_by_key(|l| l.split(',').next().unwrap().parse::<u32>().unwrap());
        let text = format!("{HEADER}{}\n", lines.join("\n"));
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!(
            (r.sessions, r.reminders, r.missed_responses),
            (100, 100, 100)
        );
        assert_eq!(agent(&r, "a").sessions, 100);
    }

    // ----- reading the log ---------------------------------------------------------------

    #[test]
    fn accepts_comments_blank_lines_crlf_bom_quotes_and_any_column_order() {
        let text = "\u{feff}# exported 2024-05-01\r\n\r\nkind, agent ,session,timestamp\r\n\
                    request,ana,\"c,1\",09:00:00.250\r\n   \r\n  # a note\r\n\
                    agent_reply,ana,\"c,1\",32400.5\r\nCLOSE,\"a\"\"na\",\"c,1\",32410\r\n";
        let r = replay_str(text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.rows, r.sessions, r.closes), (3, 1, 1));
        assert_eq!(r.first_timestamp_s, 32400.25);
        assert_eq!(r.per_agent[0].agent, "ana");
    }

    #[test]
    fn timestamps_in_both_forms() {
        assert_eq!(parse_timestamp("3600.5"), Ok(3600.5));
        assert_eq!(parse_timestamp("01:00:00.5"), Ok(3600.5));
        assert_eq!(parse_timestamp("25:00:00"), Ok(90000.0));
        assert_eq!(parse_timestamp("1700000000"), Ok(1.7e9));
        for bad in [
            "", "-1", "+1", "inf", "NaN", "9:61:00", "9:00:60", "9:00", "a:00:00",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
        assert!(parse_timestamp("1700000000000")
            .unwrap_err()
            .contains("milliseconds"));
    }

    #[test]
    fn fails_with_wrong_column_count() {
        let e = error(&format!("{HEADER}0,c1,request\n"));
        assert!(
            e.contains("bad.csv:2:") && e.contains("found 3") && e.contains("`0,c1,request`"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_bad_timestamp() {
        let e = error(&format!(
            "# c\n{HEADER}\n0,c1,a,request\n9:6x:00,c1,a,close\n"
        ));
        assert!(
            e.contains("bad.csv:5:") && e.contains("`9:6x:00`") && e.contains("`09:00:00`"),
            "{e}"
        );
        let e = error(&format!("{HEADER}-5,c1,a,request\n"));
        assert!(e.contains("bad.csv:2:") && e.contains("`-5`"), "{e}");
    }

    #[test]
    fn fails_with_unknown_kind() {
        let e = error(&format!("{HEADER}0,c1,a,request\n1,c1,a,reply\n"));
        assert!(
            e.contains("bad.csv:3:") && e.contains("`reply`") && e.contains("agent_reply"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_unsorted_timestamp() {
        let e = error(&format!("{HEADER}100,c1,a,request\n50,c1,a,agent_reply\n"));
        assert!(
            e.contains("bad.csv:3:")
                && e.contains("`50`")
                && e.contains("`100` on line 2")
                && e.contains("sort"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_message_for_a_session_never_requested() {
        let e = error(&format!(
            "{HEADER}0,c1,a,request\n5,c2,a,customer_message\n"
        ));
        assert!(
            e.contains("bad.csv:3:") && e.contains("`c2`") && e.contains("no `request` row"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_second_request() {
        let e = error(&format!("{HEADER}0,c1,a,request\n5,c1,a,request\n"));
        assert!(
            e.contains("bad.csv:3:") && e.contains("`c1`") && e.contains("first on line 2"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_row_after_close() {
        let e = error(&format!(
            "{HEADER}0,c1,a,request\n5,c1,a,close\n6,c1,a,agent_reply\n"
        ));
        assert!(
            e.contains("bad.csv:4:") && e.contains("`c1`") && e.contains("close` on line 3"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_empty_session() {
        let e = error(&format!("{HEADER}0,,a,request\n"));
        assert!(
            e.contains("bad.csv:2:") && e.contains("empty session"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_unterminated_quote() {
        let e = error(&format!("{HEADER}0,\"c1,a,request\n"));
        assert!(
            e.contains("bad.csv:2:") && e.contains("never closed"),
            "{e}"
        );
    }

    #[test]
    fn fails_with_bad_or_missing_header() {
        let e = error("0,c1,a,request\n");
        assert!(
            e.contains("bad.csv:1:")
                && e.contains("unknown column `0`")
                && e.contains("timestamp,session,agent,kind"),
            "{e}"
        );
        let e = error("timestamp,session,kind\n");
        assert!(e.contains("no `agent` column"), "{e}");
        let e = error("timestamp,session,agent,kind,kind\n");
        assert!(e.contains("`kind` twice"), "{e}");
    }

    #[test]
    fn fails_with_empty_log() {
        assert!(error("# nothing\n\n").contains("no header line"));
        assert!(error(HEADER).contains("header but no rows"));
    }

    #[test]
    fn fails_with_missing_file_naming_the_path() {
        let args = ReplayArgs {
            log: PathBuf::from("/no/such/dir/day.csv"),
            reply_interval_s: 60.0,
            message_interval_s: 300.0,
            no_repeat_reminders: false,
            reminder_cap: None,
            json: false,
        };
        let e = replay(&args).unwrap_err().to_string();
        assert!(e.contains("/no/such/dir/day.csv"), "{e}");
    }

    #[test]
    fn reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day.csv");
        std::fs::write(&path, EXAMPLE).unwrap();
        let args = ReplayArgs {
            log: path,
            reply_interval_s: 60.0,
            message_interval_s: 300.0,
            no_repeat_reminders: false,
            reminder_cap: None,
            json: true,
        };
        assert_eq!(replay(&args).unwrap().reminders, 8);
    }

    #[test]
    fn fails_with_bad_intervals() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 0.0001, 2e9] {
            let e = replay_str(EXAMPLE, "e", &settings(bad, 300.0))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("--reply-interval-s") && e.contains("e.g. --reply-interval-s 60"),
                "{e}"
            );
            let e = replay_str(EXAMPLE, "e", &settings(60.0, bad))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("--message-interval-s"), "{e}");
        }
    }

    #[test]
    fn limits_stop_runaway_inputs() {
        let text = format!("{HEADER}0,c1,a,request\n1000,c2,a,request\n");
        let tight = Limits {
            rows: MAX_ROWS,
            timer_wakeups: 5,
        };
        let e = run(&text, "t", &ReplaySettings::default(), tight).unwrap_err();
        assert!(
            matches!(e, ReplayError::TooManyTimers { limit: 5, .. }),
            "{e}"
        );
        let tight = Limits {
            rows: 1,
            timer_wakeups: MAX_TIMER_WAKEUPS,
        };
        let e = run(&text, "t", &ReplaySettings::default(), tight).unwrap_err();
        assert!(e.to_string().contains("more than 1 rows"), "{e}");
    }

    #[test]
    fn args_parse_with_defaults_and_help_has_an_example() {
        use clap::{CommandFactory, Parser};
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: ReplayArgs,
        }
        let cli = Cli::try_parse_from(["replay", "day.csv"]).unwrap();
        let s = ReplaySettings::from(&cli.args);
        assert_eq!(s, ReplaySettings::default());
        let cli = Cli::try_parse_from([
            "replay",
            "day.csv",
            "--reply-interval-s",
            "30",
            "--message-interval-s",
            "120.5",
            "--no-repeat-reminders",
            "--reminder-cap",
            "2",
            "--json",
        ])
        .unwrap();
        assert_eq!(
            ReplaySettings::from(&cli.args),
            ReplaySettings {
                reply_interval_s: 30.0,
                message_interval_s: 120.5,
                repeat_reminders: false,
                reminder_cap: Some(2),
            }
        );
        assert!(cli.args.json);
        let help = Cli::command().render_long_help().to_string();
        assert!(
            help.contains("chatsim replay scenarios/example-log.csv"),
            "{help}"
        );
        assert!(help.contains("--reply-interval-s"), "{help}");
    }

    // ----- properties --------------------------------------------------------------------

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(HEADER.trim_end().to_string()),
            (
                prop::sample::select(vec![
                    "0",
                    "5",
                    "60",
                    "61.5",
                    "300",
                    "09:00:00",
                    "-1",
                    "x",
                    "",
                    "1e400",
                    "99:59:59.999"
                ]),
                prop::sample::select(vec!["c1", "c2", "c3", "", "\"c,1\""]),
                prop::sample::select(vec!["a", "b", "", "(unknown)"]),
                prop::sample::select(vec![
                    "request",
                    "customer_message",
                    "agent_reply",
                    "close",
                    "CLOSE",
                    "bogus"
                ]),
            )
                .prop_map(|(t, s, a, k)| format!("{t},{s},{a},{k}")),
            "\\PC{0,30}",
            "[0-9:.,#\" a-z_]{0,30}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_lines_never_panic(lines in prop::collection::vec(fragment(), 0..24)) {
            let text = lines.join("\n");
            let _ = replay_str(&text, "p.csv", &ReplaySettings::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = replay_str(&text, "p.csv", &settings(1.0, 1.0));
        }

        /// Well-formed logs always replay, and the counts agree with each other: every
        /// disconnect is premature or a ghost, the agents' rows add up, and a session the
        /// engine reminded had a missed response (the reminder fires only while the reply
        /// is overdue and the session still open).
        #[test]
        fn valid_logs_replay_consistently(
            chats in prop::collection::vec(
                (
                    0u32..2000,
                    prop::sample::select(vec!["a", "b", ""]),
                    prop::collection::vec((0u32..400, any::<bool>(), any::<bool>()), 0..8),
                    any::<bool>(),
                ),
                1..8,
            ),
            reply_s in prop::sample::select(vec![1.0, 30.0, 60.0]),
            message_s in prop::sample::select(vec![1.0, 120.0, 300.0]),
            repeat in any::<bool>(),
            cap in prop::sample::select(vec![None, Some(0), Some(1), Some(3)]),
            clock in any::<bool>(),
        ) {
            let mut rows: Vec<(u32, usize, String)> = Vec::new();
            for (i, (start, agent, steps, closed)) in chats.iter().enumerate() {
                let mut t = *start;
                rows.push((t, i, format!("c{i},{agent},request")));
                for &(gap, by_agent, named) in steps {
                    t += gap;
                    let who = if named { *agent } else { "" };
                    let kind = if by_agent { "agent_reply" } else { "customer_message" };
                    rows.push((t, i, format!("c{i},{who},{kind}")));
                }
                if *closed {
                    rows.push((t + 1, i, format!("c{i},,close")));
                }
            }
            rows.sort_by_key(|r| r.0); // stable: a session's own rows keep their order
            let mut text = HEADER.to_string();
            for (t, _, rest) in &rows {
                let stamp = if clock {
                    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
                } else {
                    t.to_string()
                };
                text.push_str(&format!("{stamp},{rest}\n"));
            }
            let s = ReplaySettings {
                reply_interval_s: reply_s,
                message_interval_s: message_s,
                repeat_reminders: repeat,
                reminder_cap: cap,
            };
            let (r, sessions) = run_text(&text, &s).unwrap();
            prop_assert_eq!(r.sessions as usize, chats.len());
            prop_assert_eq!(r.premature_disconnects + r.ghost_disconnects, r.disconnects);
            prop_assert!(r.sessions_with_reminder <= r.sessions);
            let sum = |f: fn(&AgentReplay) -> u64| r.per_agent.iter().map(f).sum::<u64>();
            prop_assert_eq!(sum(|a| a.sessions), r.sessions);
            prop_assert_eq!(sum(|a| a.reminders), r.reminders);
            prop_assert_eq!(sum(|a| a.missed_responses), r.missed_responses);
            prop_assert_eq!(sum(|a| a.disconnects), r.disconnects);
            for (name, o) in &sessions {
                prop_assert!(o.reminders == 0 || o.missed_responses > 0, "{}: {:?}", name, o);
                if cap == Some(0) {
                    prop_assert_eq!(o.reminders, 0);
                }
            }
        }
    }
}
