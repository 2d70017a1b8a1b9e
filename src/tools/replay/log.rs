//! The chat-log format of `chatsim replay` (docs/replay.md, a public contract): reading
//! the file, checking every row, and the errors, each naming the file, the line, the
//! field, the bad value and the fix.

use super::{interrupt_point, Limits, MAX_LOG_BYTES, MAX_TIMESTAMP_S, UNKNOWN_AGENT};
use crate::report::text::clip;
use crate::time::{Millis, SimTime};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Longest value quoted back in an error message.
const SHOWN_VALUE_CHARS: usize = 60;

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
    #[error("{file}:{line}: expected {expected} columns ({columns}), found {found} in `{value}`; leave an unknown agent empty (`3600,c1,,request`), never drop the column")]
    ColumnCount {
        file: String,
        line: u64,
        expected: usize,
        /// The header's column names (the four of the format, when it has no others).
        columns: String,
        found: usize,
        value: String,
    },
    #[error("{file}:{line}: bad timestamp `{value}`: {problem}; write seconds since an epoch (`3600.5`), a clock time (`09:00:00`) or an ISO 8601 time with its offset (`2026-12-07T09:00:00+01:00`)")]
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
    #[error("{file}:{line}: unknown kind `{value}`; use request, customer_message, agent_reply or close (or connect, abandon, disconnect)")]
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
    #[error("{file}:{line}: `{kind}` for session `{session}` after its `{end_kind}` on line {close_line}; remove the row, or give the new chat its own session id")]
    AfterClose {
        file: String,
        line: u64,
        session: String,
        kind: &'static str,
        /// The row that ended the session: `close`, `abandon` or `disconnect`.
        end_kind: &'static str,
        close_line: u64,
    },
    #[error("{file}:{line}: `{kind}` for session `{session}` before its `connect` on line {connect_line}; a chat is connected before anyone writes in it (put the rows in time order, or drop the connect rows of a log that has none)")]
    BeforeConnect {
        file: String,
        line: u64,
        session: String,
        kind: &'static str,
        connect_line: u64,
    },
    #[error("{file}:{line}: `abandon` for session `{session}`, which was connected on line {connect_line}; a connected chat ends with `close` (or `disconnect`), `abandon` is for a customer who left the queue")]
    AbandonAfterConnect {
        file: String,
        line: u64,
        session: String,
        connect_line: u64,
    },
    #[error("{file}: more than {limit} rows; split the log by day")]
    TooManyRows { file: String, limit: usize },
    #[error("{file}: the replay needed more than {limit} timer wake-ups; raise --reply-interval-s or set --reminder-cap")]
    TooManyTimers { file: String, limit: u64 },
    /// the cancel flag was set (polled every 4 096 rows and timer
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
pub(crate) fn read_log(path: &Path) -> Result<String, ReplayError> {
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
// ----- reading and checking the log -----------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Request,
    CustomerMessage,
    AgentReply,
    Close,
    /// The chat reached an agent (after a wait in the queue); a later one is a transfer.
    Connect,
    /// The customer left the queue before any connection.
    Abandon,
    /// The desk ended the chat for customer silence.
    Disconnect,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Request,
        Kind::CustomerMessage,
        Kind::AgentReply,
        Kind::Close,
        Kind::Connect,
        Kind::Abandon,
        Kind::Disconnect,
    ];

    /// Whether the row ends the session (nothing of it may follow).
    pub(crate) fn ends(self) -> bool {
        matches!(self, Kind::Close | Kind::Abandon | Kind::Disconnect)
    }

    /// The kind named `s`, in any letter case.
    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::CustomerMessage => "customer_message",
            Kind::AgentReply => "agent_reply",
            Kind::Close => "close",
            Kind::Connect => "connect",
            Kind::Abandon => "abandon",
            Kind::Disconnect => "disconnect",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) time: SimTime,
    pub(crate) session: u32,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug)]
pub(crate) struct SessionInfo {
    pub(crate) name: String,
    pub(crate) request_line: u64,
    /// The request row's agent, else the first of its rows naming one; filled with the
    /// pseudo agent at the end of parsing.
    pub(crate) agent: Option<u32>,
    pub(crate) close_line: Option<u64>,
    /// The kind of the row on `close_line`.
    pub(crate) end_kind: Option<Kind>,
    /// Its first `connect` row, if any: the session reaches the engine there, not at its
    /// request (it waited in the queue in between).
    pub(crate) connect_line: Option<u64>,
    /// Its last row: the close, or where the log loses sight of it.
    pub(crate) last_time: SimTime,
}

/// A checked log: rows in time order, every session requested once and pinned to an agent.
#[derive(Debug)]
pub(crate) struct Log {
    pub(crate) file: String,
    /// The UTC offset of the first ISO 8601 timestamp, in seconds, if the log has one:
    /// its times are seconds since 1970 (UTC), and this says where the local day begins.
    pub(crate) utc_offset_s: Option<i32>,
    pub(crate) rows: Vec<Row>,
    pub(crate) sessions: Vec<SessionInfo>,
    pub(crate) agents: Vec<String>,
}

impl Log {
    pub(crate) fn agent_of(&self, session: u32) -> u32 {
        self.sessions[session as usize].agent.unwrap_or(0)
    }
}

/// Column positions of timestamp, session, agent, kind, and the header's width.
type Columns = ([usize; 4], usize);
const COLUMN_NAMES: [&str; 4] = ["timestamp", "session", "agent", "kind"];

pub(crate) fn parse_log(text: &str, file: &str, limits: Limits) -> Result<Log, ReplayError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut columns: Option<Columns> = None;
    // The header's names as written, for a column-count error in a wider log.
    let mut header_names = String::new();
    let mut log = Log {
        file: file.to_string(),
        utc_offset_s: None,
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
        interrupt_point(index as u64, limits.cancel)?;
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
        let Some((cols, width)) = columns else {
            columns = Some(parse_header(file, line, trimmed, &fields)?);
            header_names = shown(&fields.join(","));
            continue;
        };
        if fields.len() != width {
            return Err(ReplayError::ColumnCount {
                file: file.to_string(),
                line,
                expected: width,
                columns: if width == 4 {
                    COLUMN_NAMES.join(",")
                } else {
                    header_names.clone()
                },
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
        let (seconds, offset) =
            parse_stamp(raw_time).map_err(|problem| ReplayError::Timestamp {
                file: file.to_string(),
                line,
                value: shown(raw_time),
                problem,
            })?;
        if log.utc_offset_s.is_none() {
            log.utc_offset_s = offset;
        }
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
                    end_kind: None,
                    connect_line: None,
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
                end_kind: info.end_kind.unwrap_or(Kind::Close).name(),
                close_line,
            });
        }
        match (kind, info.connect_line) {
            (Kind::Connect, None) => info.connect_line = Some(line),
            (Kind::Abandon, Some(connect_line)) => {
                return Err(ReplayError::AbandonAfterConnect {
                    file: file.to_string(),
                    line,
                    session: shown(name),
                    connect_line,
                })
            }
            _ => {}
        }
        if kind.ends() {
            info.close_line = Some(line);
            info.end_kind = Some(kind);
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
    check_connections(&log)?;
    for s in 0..log.sessions.len() {
        if log.sessions[s].agent.is_none() {
            let unknown = intern(&mut agent_ids, &mut log.agents, UNKNOWN_AGENT);
            log.sessions[s].agent = Some(unknown);
        }
    }
    Ok(log)
}

/// A session with a `connect` row reaches the engine there: none of its messages or
/// replies may come before it (a customer waiting in the queue has nobody to write to).
fn check_connections(log: &Log) -> Result<(), ReplayError> {
    for row in &log.rows {
        let info = &log.sessions[row.session as usize];
        if let Some(connect_line) = info.connect_line {
            let in_chat = matches!(
                row.kind,
                Kind::CustomerMessage | Kind::AgentReply | Kind::Close | Kind::Disconnect
            );
            if in_chat && row.line < connect_line {
                return Err(ReplayError::BeforeConnect {
                    file: log.file.clone(),
                    line: row.line,
                    session: shown(&info.name),
                    kind: row.kind.name(),
                    connect_line,
                });
            }
        }
    }
    Ok(())
}

/// The columns of the header. Columns other than the four are ignored, so that a chat
/// product's export can be read as it is (`message`, `channel`, `visitor_email`, …), but
/// only once all four are there: a header missing one of them names its first unknown
/// column, the likely misspelling (`time` for `timestamp`).
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
    let mut first_unknown: Option<&str> = None;
    for (i, field) in fields.iter().enumerate() {
        let name = field.to_ascii_lowercase();
        let Some(c) = COLUMN_NAMES.iter().position(|&n| n == name) else {
            first_unknown.get_or_insert(field);
            continue;
        };
        if columns[c].replace(i).is_some() {
            return Err(header_error(format!("column `{name}` twice")));
        }
    }
    let mut out = [0; 4];
    for (c, slot) in columns.iter().enumerate() {
        out[c] = match (slot, first_unknown) {
            (Some(i), _) => *i,
            (None, Some(unknown)) => {
                return Err(header_error(format!("unknown column `{}`", shown(unknown))))
            }
            (None, None) => return Err(header_error(format!("no `{}` column", COLUMN_NAMES[c]))),
        };
    }
    Ok((out, fields.len()))
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

/// Seconds from `3600`, `3600.5`, `09:00:00` or `09:00:00.250`, or since 1970 (UTC) from
/// an ISO 8601 time with its offset (`2026-12-07T09:00:00+01:00`, `…Z`), and then the
/// offset in seconds.
pub(crate) fn parse_stamp(raw: &str) -> Result<(f64, Option<i32>), &'static str> {
    // An ISO date starts `YYYY-`; nothing else the format allows has a `-` there.
    if raw.len() >= 10 && raw.as_bytes()[4] == b'-' {
        let zoned: jiff::Timestamp = raw
            .parse()
            .map_err(|_| "not an ISO 8601 time with an offset (`2026-12-07T09:00:00+01:00`)")?;
        let offset =
            iso_offset_s(raw).ok_or("an ISO 8601 time needs its offset (`Z`, `+01:00`)")?;
        let ms = zoned.as_millisecond();
        if ms < 0 {
            return Err("before 1970");
        }
        let seconds = ms as f64 / 1000.0;
        if seconds > MAX_TIMESTAMP_S {
            return Err("too large (milliseconds? divide by 1000)");
        }
        return Ok((seconds, Some(offset)));
    }
    parse_timestamp(raw).map(|s| (s, None))
}

/// The UTC offset written at the end of an ISO 8601 time, in seconds: `Z` is 0,
/// `+01:00` 3600, `-0530` −19800.
fn iso_offset_s(raw: &str) -> Option<i32> {
    if raw.ends_with(['Z', 'z']) {
        return Some(0);
    }
    let at = raw.rfind(['+', '-'])?;
    if at < 10 {
        return None; // the date's own dashes
    }
    let sign = if raw.as_bytes()[at] == b'-' { -1 } else { 1 };
    let digits: String = raw[at + 1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Seconds from `3600`, `3600.5`, `09:00:00` or `09:00:00.250`.
pub(crate) fn parse_timestamp(raw: &str) -> Result<f64, &'static str> {
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

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::*;
    use super::*;

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

    // ----- extensions: connect, abandon, disconnect rows; extra columns; ISO times ----

    #[test]
    fn a_connect_row_is_where_the_chat_reaches_the_engine() {
        // c1 asks at 0 and waits until 100: the opening message is owed from the connect,
        // so a reply at 150 (50 s later) is in time with a 60 s reply interval; counted
        // from the request it would be 150 s and draw 2 reminders. c2 leaves the queue.
        let text = format!(
            "{HEADER}0,c1,,request\n5,c2,,request\n30,c2,,abandon\n100,c1,ana,connect\n\
             150,c1,ana,agent_reply\n150,c1,ana,close\n"
        );
        let (r, sessions) = run_text(&text, &ReplaySettings::default()).unwrap();
        assert_eq!((r.sessions, r.closes, r.reminders), (2, 1, 0));
        assert_eq!(r.missed_responses, 0);
        assert_eq!(outcome(&sessions, "c2"), &SessionOutcome::default());
        // Without the connect row the same chat draws reminders at 60.001 and 120.001.
        let plain = format!("{HEADER}0,c1,ana,request\n150,c1,ana,agent_reply\n150,c1,ana,close\n");
        let r = replay_str(&plain, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.reminders, r.missed_responses), (2, 1));
    }

    #[test]
    fn a_disconnect_row_ends_the_chat_after_the_timers_of_its_instant() {
        // Reply at 10, silence: with a 120 s message interval the engine disconnects at
        // 130.001, the instant of the desk's own disconnect row, which comes after the
        // engine's timer: counted as the replay's disconnect. With 300 s the engine has
        // not, and the row ends the chat: no disconnect.
        let text =
            format!("{HEADER}0,c1,ana,request\n10,c1,ana,agent_reply\n130.001,c1,ana,disconnect\n");
        let r = replay_str(&text, "t", &settings(60.0, 120.0)).unwrap();
        assert_eq!((r.disconnects, r.ghost_disconnects, r.closes), (1, 1, 0));
        let r = replay_str(&text, "t", &settings(60.0, 300.0)).unwrap();
        assert_eq!(r.disconnects, 0);
    }

    #[test]
    fn rows_of_the_new_kinds_are_checked() {
        let e = error(&format!(
            "{HEADER}0,c1,,request\n1,c1,,customer_message\n2,c1,a,connect\n"
        ));
        assert!(
            e.contains("bad.csv:3:") && e.contains("before its `connect` on line 4"),
            "{e}"
        );
        let e = error(&format!(
            "{HEADER}0,c1,a,request\n1,c1,a,connect\n2,c1,,abandon\n"
        ));
        assert!(
            e.contains("bad.csv:4:") && e.contains("connected on line 3"),
            "{e}"
        );
        let e = error(&format!(
            "{HEADER}0,c1,,request\n1,c1,,abandon\n2,c1,a,connect\n"
        ));
        assert!(e.contains("after its `abandon` on line 3"), "{e}");
    }

    #[test]
    fn extra_columns_are_ignored_once_the_four_are_there() {
        let text = "timestamp,session,agent,kind,message,channel,visitor_email\n\
                    09:00:00,c1,ana,request,\"hi, I need help\",web,x@example.com\n\
                    09:00:30,c1,ana,agent_reply,sure,web,\n";
        let r = replay_str(text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.rows, r.agent_replies), (2, 1));
        let e = error("timestamp,session,agent,kind,message\n0,c1,a,request\n");
        assert!(
            e.contains("expected 5 columns (timestamp,session,agent,kind,message), found 4"),
            "{e}"
        );
    }

    #[test]
    fn iso_8601_times_with_offsets() {
        // 09:00 at +01:00 is 08:00 UTC; the same instant written with Z and −05:00.
        let (a, off) = parse_stamp("2026-12-07T09:00:00+01:00").unwrap();
        assert_eq!(off, Some(3600));
        assert_eq!(parse_stamp("2026-12-07T08:00:00Z").unwrap(), (a, Some(0)));
        assert_eq!(
            parse_stamp("2026-12-07T03:00:00.250-05:00").unwrap(),
            (a + 0.25, Some(-18000))
        );
        // 2026-12-07T08:00:00Z is 20 794 days and 8 hours after 1970-01-01.
        assert_eq!(a, 20_794.0 * 86_400.0 + 8.0 * 3600.0);
        for bad in [
            "2026-12-07T09:00:00",
            "2026-13-07T09:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert!(parse_stamp(bad).is_err(), "{bad}");
        }
        let text = format!(
            "{HEADER}2026-12-07T09:00:00+01:00,c1,ana,request\n2026-12-07T08:01:30Z,c1,ana,agent_reply\n"
        );
        let r = replay_str(&text, "t", &ReplaySettings::default()).unwrap();
        assert_eq!((r.reminders, r.missed_responses), (1, 1));
    }
}
