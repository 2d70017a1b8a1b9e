//! `chatsim live`: the dispatch engine as a sidecar. Commands come in as JSON lines on
//! stdin, the engine's events go out as JSON lines on stdout (one flushed line each), so a
//! chat system can pipe its traffic through the method and act on what it says.
//!
//! ```text
//!   stdin ──reader thread──▶ channel ──recv_timeout(next timer)──▶ Live ──▶ Driver ──▶ Engine
//!                                                                   │
//!                                                   events as JSON lines ──▶ stdout
//! ```
//!
//! It drives the engine through replay's [`Driver`], the one place that calls the engine,
//! so `live` over a recorded log and `replay` over the same log are the same driver over
//! two inputs. The wire types are this module's own (not a `serde` feature of the engine):
//! the wire speaks the chat system's names for agents and sessions, which the engine never
//! sees, and the engine's types stay free of a format contract.
//!
//! Time: `t` is seconds (a JSON number, rounded to the millisecond). In real time (the
//! default) the clock is Unix time, a line without `t` is stamped with it, and the loop
//! sleeps until the next input line or the engine's next timer (`poll_timeout`), whichever
//! comes first. With `--virtual-time` nothing sleeps: time moves only by the stamps, a line
//! without `t` happens at the last stamp, and before each command the timers due by its
//! stamp fire. Stamps must not go back. The full wire format is in docs/tools.md.
//!
//! Errors: a line that is not a command (bad JSON, unknown command or field, a timestamp
//! going back, an agent not on the roster, a session never requested or already ended, a
//! command the engine refuses in that state) ends the run with exit 2 and one message
//! naming the line, the field, the bad value and the fix: a feeder that sends such lines
//! is broken, and a sidecar that skipped them would silently drift from the chat system.
//! The one expected race is not an error: a command for a session the engine itself
//! disconnected for silence (the customer wrote again, the agent closed it) is reported
//! as an `ignored` event and the run goes on.

use crate::engine::{
    AgentChange, AgentId, EndReason, EngineConfig, Event, LogOutMode, RoutingRule, SessionId,
};
use crate::time::{Millis, SimTime};
use crate::tools::flags::MethodFlags;
use crate::tools::replay::driver::{Answer, Command, Driver};
use crate::tools::replay::{ReplayError, ReplaySettings, MAX_TIMESTAMP_S};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The engine's session cap per agent.
const MAX_SESSIONS_PER_AGENT: u32 = 64;
/// How often a waiting loop looks at the interrupt flag.
const INTERRUPT_POLL: Duration = Duration::from_millis(100);
/// Longest input line, in bytes.
const MAX_LINE_BYTES: usize = 1 << 20;

/// The most timer wake-ups one catch-up may fire (the timers due between the engine's
/// instant and a line's `t`, the live clock's now, or the end and its drain). A driver
/// woken at each deadline fires a handful; a million means `t` jumped far ahead (a stamp
/// on another clock, milliseconds for seconds), which would otherwise print reminders
/// for minutes on end.
const MAX_CATCH_UP: u64 = 1_000_000;

/// Run the dispatch engine live: JSON-line commands on stdin, JSON-line events on stdout.
///
/// Each input line is one command, e.g. `{"t": 12.5, "cmd": "request", "session": "c1"}`;
/// commands: log_in, log_out (mode finish or hand_back), busy, unbusy (agent), request,
/// message, reply, close, abandon (session), tick (only advances time). Each event is one
/// line, e.g. `{"t":72.501,"event":"reminder_due","session":"c1","agent":"ana","nth":1}`.
/// See docs/tools.md.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "\
Example (virtual time, a reminder at 60.001 s):
  printf '%s\\n' '{\"t\":0,\"cmd\":\"log_in\",\"agent\":\"ana\"}' \\
    '{\"t\":0,\"cmd\":\"request\",\"session\":\"c1\"}' '{\"t\":90,\"cmd\":\"reply\",\"session\":\"c1\"}' \\
    | chatsim live --agents ana:3 --virtual-time")]
pub struct LiveArgs {
    /// The roster: agents as NAME or NAME:MAX_SESSIONS, comma-separated (all logged out
    /// at the start).
    #[arg(
        long,
        value_name = "NAME[:MAX],...",
        required = true,
        value_delimiter = ','
    )]
    pub agents: Vec<String>,
    /// Session cap of agents listed without one (1 to 64).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_sessions: u32,
    #[command(flatten)]
    pub method: MethodFlags,
    /// The distribution rule: least_loaded, lowest_load_ratio, round_robin, longest_idle,
    /// random, fill_first or most_spare.
    #[arg(long, value_name = "RULE", default_value = "least_loaded", value_parser = rule_arg)]
    pub rule: RoutingRule,
    /// Seed of the draws the `random` rule uses.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Never sleep: time moves only by the input's `t` stamps (for tests and for feeding
    /// recorded logs).
    #[arg(long)]
    pub virtual_time: bool,
    /// At the end of the input, also fire the timers due this many seconds past the last
    /// instant (at once, without sleeping).
    #[arg(long, value_name = "SECONDS")]
    pub drain: Option<f64>,
}

fn rule_arg(text: &str) -> Result<RoutingRule, String> {
    RoutingRule::ALL
        .into_iter()
        .find(|r| r.name() == text.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = RoutingRule::ALL.iter().map(|r| r.name()).collect();
            format!("unknown rule; use one of {}", names.join(", "))
        })
}

/// Why `live` stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{flag} {value}: {problem}; e.g. {example}")]
    Setting {
        flag: &'static str,
        value: String,
        problem: &'static str,
        example: &'static str,
    },
    /// A bad interval: replay's own check and message.
    #[error(transparent)]
    Interval(#[from] ReplayError),
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
    #[error("cannot read standard input: {0}")]
    Read(String),
    #[error("cannot write to standard output: {0}")]
    Write(String),
    #[error(
        "catching up from t = {from} s to t = {to} s would fire more than {limit} timers \
         (reminders and disconnects due in between): stamp `t` in seconds on one clock \
         (Unix seconds with the live clock), or leave `t` out to stamp lines with the clock"
    )]
    TooManyTimers { from: f64, to: f64, limit: u64 },
    /// Ctrl-C (or SIGTERM) during a catch-up.
    #[error("interrupted")]
    Interrupted,
    #[error("internal error: {0}; this is a bug in chatsim, please report it with the input")]
    Internal(String),
}

// ----- the wire --------------------------------------------------------------------------

/// One input line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    t: Option<f64>,
    cmd: String,
    agent: Option<String>,
    session: Option<String>,
    mode: Option<String>,
}

/// One output line. Fields an event does not have are left out.
#[derive(Debug, Default, Serialize)]
struct Wire<'a> {
    t: f64,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waited_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nth: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answered: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    late: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reminders: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'static str>,
}

/// The last line: what the run saw and what the engine did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub lines: u64,
    pub commands: u64,
    pub sessions: u64,
    pub connected: u64,
    pub queued: u64,
    pub replies: u64,
    pub late_replies: u64,
    pub reminders: u64,
    pub closes: u64,
    pub disconnects: u64,
    pub abandons: u64,
    pub handed_back: u64,
    pub ignored: u64,
    pub open_sessions: u64,
    pub waiting: u64,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

// ----- the state -------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chat {
    Open(SessionId),
    /// The engine disconnected it for silence; commands for it are ignored until the
    /// chat system closes it too.
    Silenced,
}

/// The engine behind the wire: names on both sides, the clock, the counts.
pub struct Live<W: Write> {
    driver: Driver,
    out: W,
    agents: Vec<String>,
    agent_ids: HashMap<String, AgentId>,
    chats: HashMap<String, Chat>,
    /// Engine session → its name, while the engine has it.
    names: HashMap<SessionId, String>,
    /// The engine's instant: the last stamp or timer deadline.
    now: SimTime,
    /// The last stamp given (`t`), and its line.
    last_stamp: Option<(f64, u64)>,
    draws: u64,
    seed: u64,
    summary: Summary,
    /// Stops a catch-up when set (SIGINT/SIGTERM for the binary).
    cancel: &'static AtomicBool,
    /// [`MAX_CATCH_UP`]; lower in tests.
    max_catch_up: u64,
}

impl<W: Write> Live<W> {
    /// A desk of these agents (all logged out), writing events to `out`.
    pub fn new(args: &LiveArgs, out: W) -> Result<Live<W>, LiveError> {
        let config = engine_config(args)?;
        let mut agents = Vec::new();
        let mut caps = Vec::new();
        let mut agent_ids = HashMap::new();
        if !(1..=MAX_SESSIONS_PER_AGENT).contains(&args.max_sessions) {
            return Err(LiveError::Setting {
                flag: "--max-sessions",
                value: args.max_sessions.to_string(),
                problem: "must be from 1 to 64",
                example: "--max-sessions 3",
            });
        }
        for item in &args.agents {
            let bad = |problem| LiveError::Setting {
                flag: "--agents",
                value: item.clone(),
                problem,
                example: "--agents ana:3,ben,chen:2",
            };
            let (name, cap) = match item.rsplit_once(':') {
                Some((name, cap)) => {
                    let cap = cap
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|c| (1..=MAX_SESSIONS_PER_AGENT).contains(c))
                        .ok_or_else(|| bad("the session cap after `:` must be from 1 to 64"))?;
                    (name.trim(), cap)
                }
                None => (item.trim(), args.max_sessions),
            };
            if name.is_empty() {
                return Err(bad("an agent needs a name"));
            }
            if agent_ids.contains_key(name) {
                return Err(bad("this agent is listed twice"));
            }
            if agents.len() >= crate::engine::MAX_AGENTS {
                return Err(bad("too many agents"));
            }
            agent_ids.insert(name.to_string(), AgentId(agents.len() as u32));
            agents.push(name.to_string());
            caps.push(cap);
        }
        Ok(Live {
            driver: Driver::new(config, &caps),
            out,
            agents,
            agent_ids,
            chats: HashMap::new(),
            names: HashMap::new(),
            now: SimTime::ZERO,
            last_stamp: None,
            draws: 0,
            seed: args.seed,
            summary: Summary::default(),
            cancel: &crate::pipeline::NEVER_CANCELLED,
            max_catch_up: MAX_CATCH_UP,
        })
    }

    /// The engine's instant now.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The next instant the engine wants to be woken at.
    pub fn next_deadline(&mut self) -> Option<SimTime> {
        self.driver.next_deadline()
    }

    /// Stops catch-ups when `cancel` is set (the binary's SIGINT/SIGTERM flag).
    pub fn with_cancel(mut self, cancel: &'static AtomicBool) -> Self {
        self.cancel = cancel;
        self
    }

    /// Fires every timer due at or before `t`, one deadline at a time, writing their
    /// events: at most [`MAX_CATCH_UP`] of them, looking at the cancel flag every 4 096.
    pub fn fire_until(&mut self, t: SimTime) -> Result<(), LiveError> {
        let from = self.now;
        let mut fired = 0u64;
        while let Some(deadline) = self
            .driver
            .fire_next_due(t)
            .map_err(|e| LiveError::Internal(e.to_string()))?
        {
            fired += 1;
            if fired > self.max_catch_up {
                return Err(LiveError::TooManyTimers {
                    from: secs(from.as_millis()),
                    to: secs(t.as_millis()),
                    limit: self.max_catch_up,
                });
            }
            if fired.is_multiple_of(4096) && self.cancel.load(Ordering::Relaxed) {
                return Err(LiveError::Interrupted);
            }
            self.now = self.now.max(deadline);
            self.write_events(deadline, 0)?;
        }
        Ok(())
    }

    /// One input line (numbered from 1); `clock` stamps a line without `t`.
    pub fn line(&mut self, line: u64, text: &str, clock: SimTime) -> Result<(), LiveError> {
        self.summary.lines = line;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return Ok(());
        }
        let err = |message: String| LiveError::Line { line, message };
        let input: Input = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "not a command: {e}; write one JSON object per line, e.g. \
                 {{\"t\": 12.5, \"cmd\": \"request\", \"session\": \"c1\"}}"
            ))
        })?;
        let at = match input.t {
            Some(t) => {
                if !(t.is_finite() && (0.0..=MAX_TIMESTAMP_S).contains(&t)) {
                    return Err(err(format!(
                        "`t` {t}: must be seconds from 0 to 1e11 (milliseconds? divide by \
                         1000), e.g. \"t\": 12.5"
                    )));
                }
                if let Some((prev, prev_line)) = self.last_stamp {
                    if t < prev {
                        return Err(err(format!(
                            "`t` {t} is earlier than {prev} on line {prev_line}; timestamps \
                             must not go back: sort the commands, or leave `t` out to stamp \
                             them with the clock"
                        )));
                    }
                }
                self.last_stamp = Some((t, line));
                SimTime::ZERO + Millis::from_secs_f64_rounded(t)
            }
            None => clock,
        };
        // A stamp behind an instant the engine was already woken at (real time only)
        // happens at that instant.
        let at = at.max(self.now);
        self.fire_until(at).map_err(|e| match e {
            LiveError::TooManyTimers { .. } => err(e.to_string()),
            e => e,
        })?;
        self.now = at;
        self.command(line, &input, at)
    }

    fn command(&mut self, line: u64, input: &Input, at: SimTime) -> Result<(), LiveError> {
        let err = |message: String| LiveError::Line { line, message };
        let cmd = input.cmd.as_str();
        fn needs<'v>(
            line: u64,
            cmd: &str,
            field: &'static str,
            value: &'v Option<String>,
        ) -> Result<&'v str, LiveError> {
            value.as_deref().ok_or_else(|| LiveError::Line {
                line,
                message: format!(
                    "`{cmd}` needs `{field}`, e.g. {{\"cmd\": \"{cmd}\", \"{field}\": \"{}\"}}",
                    if field == "agent" { "ana" } else { "c1" }
                ),
            })
        }
        let refuses = |field: &'static str, value: &Option<String>| match value {
            Some(v) => Err(err(format!(
                "`{cmd}` takes no `{field}` (got `{}`); remove it",
                shown(v)
            ))),
            None => Ok(()),
        };
        let command = match cmd {
            "log_in" | "log_out" | "busy" | "unbusy" => {
                refuses("session", &input.session)?;
                if cmd != "log_out" {
                    refuses("mode", &input.mode)?;
                }
                let name = needs(line, cmd, "agent", &input.agent)?;
                let a = *self.agent_ids.get(name).ok_or_else(|| {
                    err(format!(
                        "unknown agent `{}`; list every agent in --agents (e.g. --agents {}:3)",
                        shown(name),
                        shown(name)
                    ))
                })?;
                match cmd {
                    "log_in" => Command::LogIn(a),
                    "busy" => Command::Busy(a),
                    "unbusy" => Command::Unbusy(a),
                    _ => {
                        let mode = match input.mode.as_deref() {
                            None | Some("finish") => LogOutMode::Finish,
                            Some("hand_back") => LogOutMode::HandBack,
                            Some(other) => {
                                return Err(err(format!(
                                    "unknown `mode` `{}`; use finish (keep open chats to \
                                     their end) or hand_back (they wait again)",
                                    shown(other)
                                )))
                            }
                        };
                        Command::LogOut(a, mode)
                    }
                }
            }
            "request" | "message" | "reply" | "close" | "abandon" => {
                refuses("agent", &input.agent)?;
                refuses("mode", &input.mode)?;
                let name = needs(line, cmd, "session", &input.session)?;
                match (cmd, self.chats.get(name).copied()) {
                    ("request", None) => {
                        self.draws += 1;
                        Command::Request {
                            draw: splitmix64(self.seed ^ splitmix64(self.draws)),
                        }
                    }
                    ("request", Some(_)) => {
                        return Err(err(format!(
                            "`request` for session `{}`, which is still open; give each \
                             chat its own session id (an id may be reused once it ended)",
                            shown(name)
                        )))
                    }
                    (_, None) => {
                        return Err(err(format!(
                            "`{cmd}` for session `{}`, which is not open (never requested, \
                             or already closed or abandoned); send its `request` first",
                            shown(name)
                        )))
                    }
                    (_, Some(Chat::Silenced)) => {
                        if cmd == "close" || cmd == "abandon" {
                            self.chats.remove(name);
                        }
                        self.summary.ignored += 1;
                        let wire = Wire {
                            t: secs(at.as_millis()),
                            event: "ignored",
                            session: Some(name),
                            line: Some(line),
                            command: Some(cmd),
                            why: Some("the engine disconnected this session for silence"),
                            ..Wire::default()
                        };
                        self.summary.commands += 1;
                        return write_line(&mut self.out, &wire);
                    }
                    (_, Some(Chat::Open(id))) => match cmd {
                        "message" => Command::Message(id),
                        "reply" => Command::Reply(id),
                        "close" => Command::Close(id),
                        _ => Command::Abandon(id),
                    },
                }
            }
            "tick" => {
                refuses("agent", &input.agent)?;
                refuses("session", &input.session)?;
                refuses("mode", &input.mode)?;
                self.summary.commands += 1;
                return Ok(());
            }
            other => {
                return Err(err(format!(
                    "unknown command `{}`; use log_in, log_out, busy, unbusy, request, \
                     message, reply, close, abandon or tick",
                    shown(other)
                )))
            }
        };
        let agent_before = match command {
            Command::Reply(id) => self.driver.engine().session_agent(id),
            _ => None,
        };
        let answer = self.driver.apply(at, command).map_err(|e| {
            let name = input.session.as_deref().or(input.agent.as_deref());
            err(refusal(cmd, name.unwrap_or(""), &e))
        })?;
        self.summary.commands += 1;
        match answer {
            Answer::Session(id) => {
                let name = input.session.clone().unwrap_or_default();
                self.chats.insert(name.clone(), Chat::Open(id));
                self.names.insert(id, name);
                self.summary.sessions += 1;
            }
            Answer::Reply(reply) => {
                self.summary.replies += 1;
                self.summary.late_replies += u64::from(reply.late);
                let agent = agent_before.map(|a| self.agents[a.0 as usize].as_str());
                let wire = Wire {
                    t: secs(at.as_millis()),
                    event: "replied",
                    session: input.session.as_deref(),
                    agent,
                    answered: Some(reply.answered),
                    latency_s: reply.answered.then(|| secs(reply.latency.as_millis())),
                    late: Some(reply.late),
                    reminders: Some(reply.reminders),
                    ..Wire::default()
                };
                write_line(&mut self.out, &wire)?;
            }
            Answer::Done => {}
        }
        self.write_events(at, line)
    }

    /// Writes the events of the last engine call, which happened at `at`.
    fn write_events(&mut self, at: SimTime, line: u64) -> Result<(), LiveError> {
        while let Some(event) = self.driver.poll_event() {
            let t = secs(at.as_millis());
            let name = |names: &HashMap<SessionId, String>, id: &SessionId| {
                names.get(id).cloned().ok_or_else(|| LiveError::Line {
                    line,
                    message: "internal error: an event for an unknown session; please \
                              report this with the input"
                        .to_string(),
                })
            };
            let agent = |a: AgentId| self.agents[a.0 as usize].as_str();
            let wire_line = match event {
                // `live` has no flags for the product switches (the engine runs without
                // them), so these never come; a server that turns them on must act on
                // them (docs/model.md, "Product switches").
                Event::Inactive { .. } | Event::Reactivated { .. } | Event::Transferred { .. } => {
                    continue
                }
                Event::Connected {
                    session,
                    agent: a,
                    waited,
                    count,
                } => {
                    self.summary.connected += 1;
                    let s = name(&self.names, &session)?;
                    json(&Wire {
                        t,
                        event: "connected", // not a metric: a live event's name
                        session: Some(&s),
                        agent: Some(agent(a)),
                        waited_s: Some(secs(waited.as_millis())),
                        count: Some(count),
                        ..Wire::default()
                    })
                }
                Event::Queued { session, position } => {
                    self.summary.queued += 1;
                    let s = name(&self.names, &session)?;
                    json(&Wire {
                        t,
                        event: "queued",
                        session: Some(&s),
                        position: Some(position),
                        ..Wire::default()
                    })
                }
                Event::ReminderDue {
                    session,
                    agent: a,
                    nth,
                } => {
                    self.summary.reminders += 1;
                    let s = name(&self.names, &session)?;
                    json(&Wire {
                        t,
                        event: "reminder_due",
                        session: Some(&s),
                        agent: Some(agent(a)),
                        nth: Some(nth),
                        ..Wire::default()
                    })
                }
                Event::Ended {
                    session,
                    agent: a,
                    reason,
                    ..
                } => {
                    let s = self.names.remove(&session).ok_or_else(|| LiveError::Line {
                        line,
                        message: "internal error: an unknown session ended".to_string(),
                    })?;
                    let event = match reason {
                        EndReason::Closed => {
                            self.summary.closes += 1;
                            self.chats.remove(&s);
                            "closed"
                        }
                        EndReason::Silence => {
                            self.summary.disconnects += 1;
                            self.chats.insert(s.clone(), Chat::Silenced);
                            "disconnected"
                        }
                    };
                    json(&Wire {
                        t,
                        event,
                        session: Some(&s),
                        agent: Some(agent(a)),
                        ..Wire::default()
                    })
                }
                Event::Abandoned {
                    session, waited, ..
                } => {
                    self.summary.abandons += 1;
                    let s = self.names.remove(&session).unwrap_or_default();
                    self.chats.remove(&s);
                    json(&Wire {
                        t,
                        event: "abandoned", // not a metric: a live event's name
                        session: Some(&s),
                        waited_s: Some(secs(waited.as_millis())),
                        ..Wire::default()
                    })
                }
                Event::HandedBack { session, agent: a } => {
                    self.summary.handed_back += 1;
                    let s = name(&self.names, &session)?;
                    json(&Wire {
                        t,
                        event: "handed_back", // not a metric: a live event's name
                        session: Some(&s),
                        agent: Some(agent(a)),
                        ..Wire::default()
                    })
                }
                Event::Agent { agent: a, change } => json(&Wire {
                    t,
                    event: match change {
                        AgentChange::LoggedIn => "logged_in",
                        AgentChange::LoggedOut => "logged_out",
                        AgentChange::Busy => "busy",
                        AgentChange::Unbusy => "unbusy",
                    },
                    agent: Some(agent(a)),
                    ..Wire::default()
                }),
            };
            write_text(&mut self.out, &wire_line)?;
        }
        Ok(())
    }

    /// Ends the run at `end`: fires the timers due by then, writes the summary line and
    /// returns it.
    pub fn finish(mut self, end: SimTime) -> Result<Summary, LiveError> {
        self.fire_until(end)?;
        self.now = self.now.max(end);
        self.summary.open_sessions = self
            .chats
            .values()
            .filter(|c| matches!(c, Chat::Open(_)))
            .count() as u64;
        // Waiting chats are open too; they are counted apart.
        self.summary.open_sessions = self
            .summary
            .open_sessions
            .saturating_sub(u64::from(self.driver.engine().waiting_len()));
        self.summary.waiting = u64::from(self.driver.engine().waiting_len());
        #[derive(Serialize)]
        struct Last<'a> {
            t: f64,
            event: &'static str,
            #[serde(flatten)]
            summary: &'a Summary,
        }
        let last = Last {
            t: secs(self.now.as_millis()),
            event: "summary",
            summary: &self.summary,
        };
        write_text(&mut self.out, &json(&last))?;
        Ok(self.summary)
    }
}

fn engine_config(args: &LiveArgs) -> Result<EngineConfig, LiveError> {
    let settings = ReplaySettings::from(&args.method);
    // Replay's checks and messages, so both commands accept the same settings.
    let config = settings.engine_config()?;
    Ok(EngineConfig {
        rule: args.rule,
        ..config
    })
}

/// The message for a command the engine refused.
fn refusal(cmd: &str, name: &str, e: &crate::engine::EngineError) -> String {
    use crate::engine::EngineError as E;
    let name = shown(name);
    match e {
        E::AgentOffline(_) => {
            format!("`{cmd}` for agent `{name}`, who is not logged in; send its `log_in` first")
        }
        E::WrongSessionState(_) if cmd == "abandon" => format!(
            "`abandon` for session `{name}`, which is connected, not waiting; send `close` \
             for a connected chat"
        ),
        E::WrongSessionState(_) | E::UnknownSession(_) => format!(
            "`{cmd}` for session `{name}`, which is waiting for an agent, not connected; only \
             `message` and `abandon` apply to a waiting chat"
        ),
        other => format!("the engine refused `{cmd}` for `{name}`: {other}"),
    }
}

/// A value from the input, cut short and with control characters escaped.
fn shown(value: &str) -> String {
    let mut s: String = value.chars().take(60).collect();
    if value.chars().count() > 60 {
        s.push('…');
    }
    crate::report::text::display(&s).into_owned()
}

fn json<T: Serialize>(value: &T) -> String {
    // Plain numbers, strings and bools: serialization cannot fail.
    let text = serde_json::to_string(value).unwrap_or_default();
    crate::report::text::json_ascii_controls(&text).into_owned()
}

fn write_line<W: Write>(out: &mut W, wire: &Wire<'_>) -> Result<(), LiveError> {
    write_text(out, &json(wire))
}

fn write_text<W: Write>(out: &mut W, text: &str) -> Result<(), LiveError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| LiveError::Write(e.to_string()))
}

/// SplitMix64: the `random` rule's draws, a pure function of the seed and the count.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// ----- the loops -------------------------------------------------------------------------

/// What the reader thread sends.
enum Incoming {
    Line(String),
    Error(String),
    End,
}

/// Reads stdin line by line on its own thread, so the main loop can wait for the next
/// line and the next timer at once.
fn spawn_reader() -> mpsc::Receiver<Incoming> {
    let (tx, rx) = mpsc::sync_channel(1024);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        loop {
            let mut buf = Vec::new();
            let got = (&mut lock)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf);
            let msg = match got {
                Ok(0) => Incoming::End,
                Ok(_) if buf.len() > MAX_LINE_BYTES => {
                    Incoming::Error(format!("a line is longer than {MAX_LINE_BYTES} bytes"))
                }
                Ok(_) => match String::from_utf8(buf) {
                    Ok(s) => Incoming::Line(s),
                    Err(_) => Incoming::Error("a line is not valid UTF-8".to_string()),
                },
                Err(e) => Incoming::Error(e.to_string()),
            };
            let end = !matches!(msg, Incoming::Line(_));
            if tx.send(msg).is_err() || end {
                break;
            }
        }
    });
    rx
}

/// The real-time clock: Unix time in milliseconds, never going back.
struct Clock {
    unix_ms_at_start: u64,
    start: Instant,
}

impl Clock {
    fn new() -> Clock {
        let unix_ms_at_start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Clock {
            unix_ms_at_start,
            start: Instant::now(),
        }
    }

    fn now(&self) -> SimTime {
        SimTime::from_millis(self.unix_ms_at_start + self.start.elapsed().as_millis() as u64)
    }
}

/// `chatsim live`: runs until the end of stdin; exit 0, 2 on a bad line, 130 on Ctrl-C.
pub fn run(args: &LiveArgs, cancel: &'static AtomicBool) -> anyhow::Result<ExitCode> {
    let drain = match args.drain {
        None => Millis::ZERO,
        Some(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Millis::from_secs_f64_rounded(s),
        Some(s) => {
            return Err(LiveError::Setting {
                flag: "--drain",
                value: s.to_string(),
                problem: "must be a number of seconds from 0 to 1e9",
                example: "--drain 600",
            }
            .into())
        }
    };
    let stdout = std::io::stdout();
    let mut live = Live::new(args, stdout.lock())?.with_cancel(cancel);
    let clock = (!args.virtual_time).then(Clock::new);
    let input = spawn_reader();
    let mut line = 0u64;
    loop {
        if cancel.load(Ordering::SeqCst) {
            return Err(crate::sim::SimError::Interrupted.into());
        }
        // Wait for the next line, but no longer than the next timer (real time) and a
        // tenth of a second (to look at the interrupt flag).
        let wait = match &clock {
            Some(clock) => match live.next_deadline() {
                Some(d) => Duration::from_millis(d.saturating_since(clock.now()).as_millis())
                    .min(INTERRUPT_POLL),
                None => INTERRUPT_POLL,
            },
            None => INTERRUPT_POLL,
        };
        match input.recv_timeout(wait) {
            Ok(Incoming::Line(text)) => {
                line += 1;
                let stamp = clock.as_ref().map_or(live.now(), Clock::now);
                live.line(line, &text, stamp)?;
            }
            Ok(Incoming::Error(e)) => {
                return Err(LiveError::Read(format!("line {}: {e}", line + 1)).into())
            }
            Ok(Incoming::End) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(clock) = &clock {
                    live.fire_until(clock.now())?;
                }
            }
        }
    }
    let end = clock
        .as_ref()
        .map_or(live.now(), Clock::now)
        .max(live.now());
    live.finish(end + drain)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use proptest::prelude::*;

    fn args(extra: &[&str]) -> LiveArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: LiveArgs,
        }
        let mut argv = vec!["live", "--agents", "a:2,b", "--virtual-time"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().args
    }

    /// Feeds `lines` on virtual time; the output and the first error.
    fn feed(lines: &[&str]) -> (String, Option<String>) {
        let mut out = Vec::new();
        let mut live = Live::new(&args(&[]), &mut out).unwrap();
        let mut error = None;
        for (i, l) in lines.iter().enumerate() {
            let now = live.now();
            if let Err(e) = live.line(i as u64 + 1, l, now) {
                error = Some(e.to_string());
                break;
            }
        }
        if error.is_none() {
            let end = live.now();
            live.finish(end).unwrap();
        }
        (String::from_utf8(out).unwrap(), error)
    }

    /// A `t` far ahead fires the reminders due in between, up to the catch-up limit
    /// (lowered to 5 here), then stops with the line's number. By hand (reply interval 60
    /// s, reminders repeated): the chat connected at 0 owes its opening reply, so
    /// reminders fall at 60.001, 120.001, …, one each 60 s. Line 3 (t = 300.001) fires the
    /// 5 due by then, the limit exactly; line 4 (t = 360.002) the one at 360.001; line 5
    /// (t = 10 000) would fire 160 (420.001 … 9 960.001): it writes 5, the 6th stops it.
    #[test]
    fn a_catch_up_fires_at_most_its_limit_of_timers() {
        let mut out = Vec::new();
        let mut live = Live::new(&args(&[]), &mut out).unwrap();
        live.max_catch_up = 5;
        let lines = [
            r#"{"t":0,"cmd":"log_in","agent":"a"}"#,
            r#"{"t":0,"cmd":"request","session":"c"}"#,
            r#"{"t":300.001,"cmd":"tick"}"#,
            r#"{"t":360.002,"cmd":"tick"}"#,
            r#"{"t":10000,"cmd":"tick"}"#,
        ];
        let mut error = None;
        for (i, l) in lines.iter().enumerate() {
            let now = live.now();
            if let Err(e) = live.line(i as u64 + 1, l, now) {
                error = Some((i + 1, e.to_string()));
                break;
            }
        }
        let (line, error) = error.expect("line 5 is refused");
        assert_eq!(line, 5);
        assert!(
            error.starts_with(
                "line 5: catching up from t = 360.002 s to t = 10000 s would fire more than 5 \
                 timers"
            ),
            "{error}"
        );
        let out = String::from_utf8(out).unwrap();
        let reminders: Vec<&str> = out
            .lines()
            .filter(|l| l.contains(r#""event":"reminder_due""#))
            .collect();
        assert_eq!(reminders.len(), 5 + 1 + 5, "{out}");
        assert!(reminders[4].starts_with(r#"{"t":300.001,"#), "{out}");
        assert!(reminders[5].starts_with(r#"{"t":360.001,"#), "{out}");
        assert!(reminders[10].starts_with(r#"{"t":660.001,"#), "{out}");
    }

    #[test]
    fn a_line_without_t_happens_at_the_last_stamp() {
        let (out, err) = feed(&[
            r#"{"t":5,"cmd":"log_in","agent":"a"}"#,
            r#"{"cmd":"request","session":"c"}"#,
        ]);
        assert_eq!(err, None);
        assert!(
            out.contains(r#"{"t":5.0,"event":"connected","session":"c""#), // not a metric: a live event's name
            "{out}"
        );
    }

    #[test]
    fn hand_back_queues_the_chat_again_and_the_other_agent_takes_it() {
        let (out, err) = feed(&[
            r#"{"t":0,"cmd":"log_in","agent":"a"}"#,
            r#"{"t":1,"cmd":"request","session":"c"}"#,
            r#"{"t":2,"cmd":"log_in","agent":"b"}"#,
            r#"{"t":3,"cmd":"log_out","agent":"a","mode":"hand_back"}"#,
        ]);
        assert_eq!(err, None);
        let events: Vec<&str> = out
            .lines()
            .map(|l| {
                l.split("\"event\":\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            events,
            [
                "logged_in",
                "connected", // not a metric: a live event's name
                "logged_in",
                "logged_out",
                "handed_back", // not a metric: a live event's name
                "connected",   // not a metric: a live event's name
                "summary"
            ]
        );
    }

    #[test]
    fn a_reused_session_id_is_a_new_chat_once_the_old_one_ended() {
        let (_, err) = feed(&[
            r#"{"t":0,"cmd":"log_in","agent":"a"}"#,
            r#"{"t":1,"cmd":"request","session":"c"}"#,
            r#"{"t":2,"cmd":"close","session":"c"}"#,
            r#"{"t":3,"cmd":"request","session":"c"}"#,
        ]);
        assert_eq!(err, None);
        let (_, err) = feed(&[
            r#"{"t":0,"cmd":"log_in","agent":"a"}"#,
            r#"{"t":1,"cmd":"request","session":"c"}"#,
            r#"{"t":3,"cmd":"request","session":"c"}"#,
        ]);
        let err = err.unwrap();
        assert!(
            err.starts_with("line 3:") && err.contains("still open"),
            "{err}"
        );
    }

    #[test]
    fn settings_are_checked_like_replays() {
        let e = Live::new(&args(&["--message-interval-s", "0"]), Vec::new())
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("--message-interval-s 0:"), "{e}");
        for bad in ["a:0", "a:65", ":3", "a,a"] {
            let mut a = args(&[]);
            a.agents = bad.split(',').map(str::to_string).collect();
            let e = Live::new(&a, Vec::new()).err().unwrap().to_string();
            assert!(e.starts_with("--agents"), "{bad}: {e}");
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        let cmd = prop::sample::select(vec![
            "log_in", "log_out", "busy", "unbusy", "request", "message", "reply", "close",
            "abandon", "tick", "dance",
        ]);
        let t = prop::sample::select(vec!["", "\"t\":0,", "\"t\":5,", "\"t\":61,", "\"t\":-1,"]);
        let who = prop::sample::select(vec![
            "",
            ",\"agent\":\"a\"",
            ",\"agent\":\"b\"",
            ",\"agent\":\"z\"",
            ",\"session\":\"c1\"",
            ",\"session\":\"c2\"",
            ",\"mode\":\"hand_back\",\"agent\":\"a\"",
        ]);
        prop_oneof![
            (t, cmd, who).prop_map(|(t, c, w)| format!("{{{t}\"cmd\":\"{c}\"{w}}}")),
            "\\PC{0,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any input ends in events and a summary, or in one line-numbered error: never a
        /// panic.
        #[test]
        fn arbitrary_lines_never_panic(lines in prop::collection::vec(fragment(), 0..30)) {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let (out, err) = feed(&refs);
            match err {
                Some(e) => prop_assert!(e.starts_with("line "), "{}", e),
                None => prop_assert!(out.lines().last().unwrap_or("").contains("\"summary\"")),
            }
        }
    }
}
