//! The replay report and its two renderings: a text summary for people (at most 80
//! columns) and JSON for programs.

use super::driver::SessionOutcome;
use super::log::{Kind, Log};
use super::ReplaySettings;
use crate::metrics::Metric;
use crate::report::text::clip;
use crate::time::Millis;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write as _;

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
            Metric::Sessions.name(),
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
            Metric::Reminders.name(),
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
            Metric::Disconnects.name(),
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
            "agent",
            Metric::Sessions.name(),
            Metric::Reminders.name(),
            "missed",
            Metric::Disconnects.name()
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

/// The report, from the checked log and each session's outcome.
pub(crate) fn summarize(
    log: &Log,
    settings: ReplaySettings,
    outcomes: &[SessionOutcome],
) -> ReplayReport {
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
    use super::super::test_support::*;
    use super::super::*;
    use crate::metrics::Metric;

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
        assert_eq!(v[Metric::Reminders.name()], 8);
        assert_eq!(v[Metric::PrematureDisconnects.name()], 1);
        // Two disconnects, each 1 ms past its interval: 630 s less 2 ms.
        assert_eq!(v["capacity_reclaimed_s"], 629.998);
        assert_eq!(v["settings"]["message_interval_s"], 300.0);
        assert_eq!(v["per_agent"][1]["agent"], "ana");
    }
}
