//! `chatsim replay`: feed a real day's chat log through the dispatch engine and report
//! what the method would have done that day.
//!
//! ```text
//!   LOG.csv ──log::parse_log──▶ Log (rows checked, sessions pinned to agents)
//!                                 │
//!                                 └──driver::Replayer──▶ one Engine per logged agent, fed in
//!                                                        │ time order by driver::Driver
//!                                                        │ ReminderDue / Ended / Reply
//!                                                        ▼
//!                              per-session outcomes ──report::summarize──▶ ReplayReport
//!                                                                          ──▶ text / JSON
//! ```
//!
//! The log says who served each chat, so routing is not replayed: every logged agent gets
//! an engine of its own in which it is the only one logged in, and every session of that
//! agent goes to that engine. What the engine adds is S5: the reminders it would have sent
//! and the silent sessions it would have disconnected. The full format and every choice
//! are in `docs/replay.md`.
//!
//! The parts: `log` reads and checks the log (and names the file, line, field, bad value
//! and fix of every error), `driver` is the one place that calls the engine (`chatsim
//! live` drives it too, over JSON lines instead of a log), `report` renders the result.

pub(crate) mod driver;
pub(crate) mod log;
pub(crate) mod report;

pub use log::ReplayError;
pub use report::{AgentReplay, ReplayReport};

use super::flags::MethodFlags;
use crate::engine::{EngineConfig, RoutingRule};
use crate::time::Millis;
use driver::{Replayer, SessionOutcome};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

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
    #[command(flatten)]
    pub method: MethodFlags,
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

impl From<&MethodFlags> for ReplaySettings {
    fn from(m: &MethodFlags) -> Self {
        ReplaySettings {
            reply_interval_s: m.reply_interval_s,
            message_interval_s: m.message_interval_s,
            repeat_reminders: !m.no_repeat_reminders,
            reminder_cap: m.reminder_cap,
        }
    }
}

impl ReplaySettings {
    /// The engine configuration, after checking both intervals.
    pub(crate) fn engine_config(&self) -> Result<EngineConfig, ReplayError> {
        let reply = check_interval("--reply-interval-s", self.reply_interval_s, 60.0)?;
        let message = check_interval("--message-interval-s", self.message_interval_s, 300.0)?;
        Ok(EngineConfig {
            rule: RoutingRule::LeastLoaded,
            reply_interval: Some(reply),
            message_interval: Some(message),
            repeat_reminders: self.repeat_reminders,
            reminder_cap: self.reminder_cap,
            switches: Default::default(),
        })
    }
}

pub(crate) fn check_interval(
    flag: &'static str,
    value_s: f64,
    example: f64,
) -> Result<Millis, ReplayError> {
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
// ----- entry points ----------------------------------------------------------------------

/// Replays the log file named in `args`; stops with [`ReplayError::Interrupted`] once
/// `cancel` is set.
pub fn replay(args: &ReplayArgs, cancel: &'static AtomicBool) -> Result<ReplayReport, ReplayError> {
    let settings = ReplaySettings::from(&args.method);
    settings.engine_config()?;
    let text = log::read_log(&args.log)?;
    let limits = Limits {
        cancel,
        ..Limits::DEFAULT
    };
    run(&text, &args.log.display().to_string(), &settings, limits).map(|(report, _)| report)
}

/// Replays a log held in memory; `file_name` is only used in messages and the report.
pub fn replay_str(
    text: &str,
    file_name: &str,
    settings: &ReplaySettings,
) -> Result<ReplayReport, ReplayError> {
    run(text, file_name, settings, Limits::DEFAULT).map(|(report, _)| report)
}
/// [`ReplayError::Interrupted`] once `cancel` is set (SIGINT/SIGTERM, for the binary),
/// looked at when `count` is a multiple of 4 096 (rows read, rows replayed, timer
/// wake-ups): a few milliseconds of work between two looks.
pub(crate) fn interrupt_point(count: u64, cancel: &AtomicBool) -> Result<(), ReplayError> {
    if count.is_multiple_of(4096) && cancel.load(std::sync::atomic::Ordering::Relaxed) {
        Err(ReplayError::Interrupted)
    } else {
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) rows: usize,
    pub(crate) timer_wakeups: u64,
    /// Stops the replay at the next [`interrupt_point`] when set.
    pub(crate) cancel: &'static AtomicBool,
}

impl Limits {
    pub(crate) const DEFAULT: Limits = Limits {
        rows: MAX_ROWS,
        timer_wakeups: MAX_TIMER_WAKEUPS,
        cancel: &crate::pipeline::NEVER_CANCELLED,
    };
}

pub(crate) fn run(
    text: &str,
    file: &str,
    settings: &ReplaySettings,
    limits: Limits,
) -> Result<(ReplayReport, Vec<(String, SessionOutcome)>), ReplayError> {
    let config = settings.engine_config()?;
    let log = log::parse_log(text, file, limits)?;
    let mut outcomes = vec![SessionOutcome::default(); log.sessions.len()];
    let mut replayer = Replayer::new(&log, config, limits, &mut outcomes);
    replayer.run()?;
    let report = report::summarize(&log, *settings, &outcomes);
    let names = log.sessions.iter().map(|info| info.name.clone());
    Ok((report, names.zip(outcomes).collect()))
}

/// What the tests of every part share: the example log and small helpers.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub(crate) const EXAMPLE: &str = include_str!("../../../scenarios/example-log.csv");

    pub(crate) fn settings(reply_s: f64, message_s: f64) -> ReplaySettings {
        ReplaySettings {
            reply_interval_s: reply_s,
            message_interval_s: message_s,
            ..ReplaySettings::default()
        }
    }

    pub(crate) fn run_text(
        text: &str,
        settings: &ReplaySettings,
    ) -> Result<(ReplayReport, Vec<(String, SessionOutcome)>), ReplayError> {
        run(text, "t.csv", settings, Limits::DEFAULT)
    }

    pub(crate) fn outcome<'a>(
        sessions: &'a [(String, SessionOutcome)],
        name: &str,
    ) -> &'a SessionOutcome {
        &sessions.iter().find(|(n, _)| n == name).expect(name).1
    }

    pub(crate) fn agent<'a>(report: &'a ReplayReport, name: &str) -> &'a AgentReplay {
        report
            .per_agent
            .iter()
            .find(|a| a.agent == name)
            .expect(name)
    }

    pub(crate) fn error(text: &str) -> String {
        replay_str(text, "bad.csv", &ReplaySettings::default())
            .expect_err("should fail")
            .to_string()
    }

    pub(crate) const HEADER: &str = "timestamp,session,agent,kind\n";
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use proptest::prelude::*;
    use std::path::PathBuf;

    #[test]
    fn fails_with_missing_file_naming_the_path() {
        let args = ReplayArgs {
            log: PathBuf::from("/no/such/dir/day.csv"),
            method: MethodFlags::default(),
            json: false,
        };
        let e = replay(&args, &crate::pipeline::NEVER_CANCELLED)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/no/such/dir/day.csv"), "{e}");
    }

    #[test]
    fn reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day.csv");
        std::fs::write(&path, EXAMPLE).unwrap();
        let args = ReplayArgs {
            log: path,
            method: MethodFlags::default(),
            json: true,
        };
        assert_eq!(
            replay(&args, &crate::pipeline::NEVER_CANCELLED)
                .unwrap()
                .reminders,
            8
        );
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
    fn args_parse_with_defaults_and_help_has_an_example() {
        use clap::{CommandFactory, Parser};
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: ReplayArgs,
        }
        let cli = Cli::try_parse_from(["replay", "day.csv"]).unwrap();
        let s = ReplaySettings::from(&cli.args.method);
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
            ReplaySettings::from(&cli.args.method),
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
                // A reply the engine judges late (from the last message) answers at least
                // that message missed; the per-message count can be larger (see the
                // driver's `the_engine_verdict_and_the_logs_missed_responses`).
                prop_assert!(o.late_replies <= o.missed_responses, "{}: {:?}", name, o);
                if cap == Some(0) {
                    prop_assert_eq!(o.reminders, 0);
                }
            }
        }
    }
}
