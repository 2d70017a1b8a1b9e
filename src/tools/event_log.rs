//! The chat log of one simulated replication (`chatsim run --event-log FILE`), in the log
//! format `chatsim replay` and `chatsim fit` read (docs/replay.md): what a chat product
//! would have exported had the simulated day been real.
//!
//! It is an [`Observer`] beside the run's collectors: the replication is simulated once
//! more with it (replication i is a pure function of (scenario, seed, i)), so the log is
//! the same for any `--threads` and the engine knows nothing of it.
//!
//! Rows, one per [`ChatEvent`], in the order the simulator reports them: by time, and
//! within an instant in the order things happened (a reply before the close it causes):
//!
//! | event | row |
//! |---|---|
//! | arrival | `request`, no agent (nobody has the chat yet) |
//! | connection | `connect`, the agent (again after a hand-back: the new agent) |
//! | abandon in queue | `abandon`, no agent |
//! | customer message | `customer_message`, no agent (the opening one is the request) |
//! | reply | `agent_reply`, the agent |
//! | normal end | `close`, the agent |
//! | silence disconnect | `disconnect`, the agent |
//!
//! The whole replication is logged, warm-up and drain included: the log is the day, the
//! warm-up is only what the metrics leave out. A premature disconnect's next message is
//! not logged (the chat was gone; the customer would have had to open a new one).

use crate::engine::AgentId;
use crate::report::output::write_file;
use crate::scenario::Scenario;
use crate::sim::{ChatEvent, Observer, Replication};
use crate::time::SimTime;
use anyhow::Context;
use std::fmt::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Checks, before the run, `--event-log-replication` against the scenario's
/// replications and that the log may be written to `file` (see [`write_file`]).
pub fn check(rep: u32, sc: &Scenario, file: &Path, force: bool) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(file) {
        Ok(m) if m.is_dir() => anyhow::bail!(
            "--event-log {}: a directory; give a file name, such as {}/day.csv",
            file.display(),
            file.display()
        ),
        Ok(_) if !force => anyhow::bail!(
            "--event-log {}: the file already exists; use --force to replace it",
            file.display()
        ),
        _ => {}
    }
    if rep >= sc.run.replications {
        anyhow::bail!(
            "--event-log-replication {rep}: the run has {} replication(s), numbered from 0; \
             give a number from 0 to {}",
            sc.run.replications,
            sc.run.replications - 1
        );
    }
    Ok(())
}

/// Simulates replication `rep` of `sc` (loaded from `path`) with an [`EventLog`] and
/// writes the log to `file` atomically; returns a one-line note for the user.
pub fn write(
    sc: &Scenario,
    path: &Path,
    rep: u32,
    file: &Path,
    force: bool,
    cancel: &AtomicBool,
) -> anyhow::Result<String> {
    let origin_ms = sc.run.clock.origin_ms();
    let note = format!(
        "chat log of replication {rep} of {}, seed {} (chatsim run --event-log)\n\
         rows: request, connect, abandon, customer_message, agent_reply, close, disconnect",
        path.display(),
        sc.run.seed
    );
    let (log, _) = Replication::new(sc, sc.run.seed, rep, EventLog::new(sc, origin_ms, &note))
        .with_cancel(cancel)
        .run()
        .with_context(|| path.display().to_string())?;
    let rows = log.rows();
    write_file(file, force, log.into_text().as_bytes(), cancel)
        .with_context(|| format!("writing the event log {}", file.display()))?;
    Ok(format!(
        "event log of replication {rep} written to {} ({rows} rows)",
        file.display()
    ))
}

/// The header line of the log.
pub const HEADER: &str = "timestamp,session,agent,kind\n";

/// Builds the chat log of one replication as CSV text.
#[derive(Debug)]
pub struct EventLog {
    text: String,
    /// Agent ids as CSV fields (quoted where needed), by engine index.
    agents: Vec<String>,
    /// The clock reading at the epoch, in ms: every timestamp is written as a clock time.
    origin_ms: u64,
    rows: u64,
}

impl EventLog {
    /// An empty log for `sc`, whose epoch reads `origin_ms` on the clock
    /// (`run.clock_origin`); `note` becomes the comment lines at the top.
    pub fn new(sc: &Scenario, origin_ms: u64, note: &str) -> EventLog {
        let mut text = String::new();
        for line in note.lines() {
            let _ = writeln!(text, "# {line}");
        }
        text.push_str(HEADER);
        EventLog {
            text,
            agents: sc.agents.iter().map(|a| csv_field(&a.name)).collect(),
            origin_ms,
            rows: 0,
        }
    }

    /// The log's rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The CSV text.
    pub fn into_text(self) -> String {
        self.text
    }

    fn agent(&self, a: AgentId) -> &str {
        self.agents.get(a.0 as usize).map_or("", |s| s.as_str())
    }
}

impl Observer for EventLog {
    fn on_chat(&mut self, now: SimTime, customer: u64, event: ChatEvent) {
        let (agent, kind) = match event {
            ChatEvent::Request => ("", "request"),
            ChatEvent::Connect(a) => (self.agent(a), "connect"),
            ChatEvent::Abandon => ("", "abandon"),
            ChatEvent::CustomerMessage => ("", "customer_message"),
            ChatEvent::Reply(a) => (self.agent(a), "agent_reply"),
            ChatEvent::Close(a) => (self.agent(a), "close"),
            ChatEvent::Disconnect(a) => (self.agent(a), "disconnect"),
        };
        let stamp = clock_ms(self.origin_ms + now.as_millis());
        // `agent` borrows self.agents; format into a local line first.
        let line = format!("{stamp},c{customer},{agent},{kind}\n");
        self.text.push_str(&line);
        self.rows += 1;
    }
}

/// A clock reading of `ms` milliseconds as `HH:MM:SS.fff` (hours may pass 24), the form
/// replay reads back to the millisecond.
pub fn clock_ms(ms: u64) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    format!("{:02}:{:02}:{:02}.{frac:03}", s / 3600, s / 60 % 60, s % 60)
}

/// `name` as one CSV field: quoted (with `""` for a quote) when it holds a comma, a quote
/// or surrounding spaces, which the log's reader would otherwise split or trim.
fn csv_field(name: &str) -> String {
    if name.contains([',', '"']) || name.trim() != name {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_keep_the_millisecond_and_pass_24_hours() {
        assert_eq!(clock_ms(0), "00:00:00.000");
        assert_eq!(clock_ms(27_000_250), "07:30:00.250");
        assert_eq!(clock_ms(90_061_001), "25:01:01.001");
    }

    #[test]
    fn agent_names_are_quoted_only_when_needed() {
        assert_eq!(csv_field("A001"), "A001");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(" x"), "\" x\"");
    }
}
