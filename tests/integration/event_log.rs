//! `run --event-log`: a run's chat log in `replay`'s format, worked by hand on a constant
//! desk, the same for any thread count, and replayed to the run's own counts.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// One agent, one session at a time, everything constant: arrivals at 10, 20 and 22 s,
/// 2 messages, reply 3 s, think 5 s, patience 5 s, clock 08:00 at the epoch (trace
/// times are clock readings).
const CONSTANT_DESK: &str = r#"
[run]
horizon_s = 100
clock_origin = "08:00"

[arrivals]
kind = "trace"
times_s = [28810, 28820, 28822] # 08:00:10, 08:00:20, 08:00:22

[sessions]
model = "turns"

[customers]
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 5 }
patience = { dist = "constant", value_s = 5 }

[agents]
count = 1
max_sessions = 1

[agents.behaviour]
reply_time = { dist = "constant", value_s = 3 }
"#;

#[test]
fn event_log_of_a_constant_desk_worked_by_hand() {
    // c1 arrives at 10 to an idle agent: connected at 10, the opening answered at 13,
    // its second (last) message at 13 + 5 = 18, answered at 21, where it closes.
    // c2 arrives at 20 while A001 holds c1 (one session at most): it waits, and is
    // connected at 21 when c1 closes (before its patience runs out at 25); replies at
    // 24 and 32, message at 29, close at 32.
    // c3 arrives at 22 while A001 holds c2, waits, and abandons at 22 + 5 = 27.
    // At 21 the order is what happened: c1's reply, the close it causes, c2's connect.
    let dir = TempDir::new().unwrap();
    let sc = write(dir.path(), "desk.toml", CONSTANT_DESK);
    let log = dir.path().join("day.csv");
    chatsim()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--event-log",
            log.to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = std::fs::read_to_string(&log).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        rows,
        [
            "timestamp,session,agent,kind",
            "08:00:10.000,c1,,request",
            "08:00:10.000,c1,A001,connect",
            "08:00:13.000,c1,A001,agent_reply",
            "08:00:18.000,c1,,customer_message",
            "08:00:20.000,c2,,request",
            "08:00:21.000,c1,A001,agent_reply",
            "08:00:21.000,c1,A001,close",
            "08:00:21.000,c2,A001,connect",
            "08:00:22.000,c3,,request",
            "08:00:24.000,c2,A001,agent_reply",
            "08:00:27.000,c3,,abandon",
            "08:00:29.000,c2,,customer_message",
            "08:00:32.000,c2,A001,agent_reply",
            "08:00:32.000,c2,A001,close",
        ]
    );
    // Replay reads it back: 3 sessions (requests), 2 closes, 2 customer messages, 4
    // replies; every reply within 60 s and no silence over 300 s, so nothing else.
    let out = chatsim()
        .args(["replay", log.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["sessions"], 3);
    assert_eq!(r["closes"], 2);
    assert_eq!(r["customer_messages"], 2);
    assert_eq!(r["agent_replies"], 4);
    assert_eq!(r["reminders"], 0);
    assert_eq!(r["missed_responses"], 0);
    assert_eq!(r["disconnects"], 0);
}

/// A busy turn-by-turn desk: queueing and abandons, overlooked messages (reminders and
/// missed responses), silences (disconnects), speed factors. Arrivals only in the first
/// hour of a two-hour horizon, and no warm-up: see the replay test for why.
pub const BUSY_DESK: &str = r#"
[run]
horizon_s = 7200
replications = 2
seed = 2026
clock_origin = "09:00"

[arrivals]
kind = "profile"
intervals = [
  { start = "09:00", end = "10:00", rate_per_hour = 200 },
  { start = "10:00", end = "11:00", rate_per_hour = 0 },
]

[sessions]
model = "turns"

[customers]
patience = { dist = "exponential", mean_s = 90 }
messages = { dist = "lognormal", mean = 4, sd = 2 }
think_time = { dist = "exponential", mean_s = 40 }
silent_prob = 0.1

[agents]
roster = [
  { id = "ana", max_sessions = 3, shift_start = "09:00", shift_end = "11:00", speed_factor = 0.8 },
  { id = "ben", max_sessions = 3, shift_start = "09:00", shift_end = "11:00", speed_factor = 1.0 },
  { id = "chen", max_sessions = 3, shift_start = "09:00", shift_end = "11:00", speed_factor = 1.25 },
  { id = "dana", max_sessions = 3, shift_start = "09:00", shift_end = "11:00" },
]

[agents.behaviour]
reply_time = { dist = "lognormal", mean_s = 30, sd_s = 20 }
overlook_prob = 0.1
reaction_time = { dist = "exponential", mean_s = 20 }

[thresholds]
reply_interval_s = 60
message_interval_s = 120
"#;

fn metric(summary: &Value, name: &str, rep: usize) -> f64 {
    summary["metrics"][name]["per_replication"][rep]
        .as_f64()
        .unwrap_or_else(|| panic!("{name} of replication {rep}"))
}

#[test]
fn replaying_a_runs_event_log_gives_the_runs_own_counts() {
    let dir = TempDir::new().unwrap();
    let sc = write(dir.path(), "busy.toml", BUSY_DESK);
    let (out, log) = (dir.path().join("out"), dir.path().join("day.csv"));
    chatsim()
        .args(["run", sc.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args([
            "--event-log",
            log.to_str().unwrap(),
            "--event-log-replication",
            "1",
        ])
        .assert()
        .success();
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    // The run's figures count events in the measured window [warm-up, warm-up + horizon);
    // the log holds the whole replication, drain included, and replay counts all of it.
    // They agree when nothing happens outside the window: no warm-up here, and arrivals
    // stop an hour before the horizon ends, long enough for every chat to end (the
    // last row below is checked to fall inside the horizon, so this test says when its
    // own premise fails).
    let text = std::fs::read_to_string(&log).unwrap();
    let last = text.lines().last().unwrap();
    assert!(
        last.as_bytes()[..2] == *b"10",
        "the log runs past 11:00: {last}"
    );
    let replay = chatsim()
        .args(["replay", log.to_str().unwrap(), "--json"])
        .args(["--reply-interval-s", "60", "--message-interval-s", "120"])
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let r: Value = serde_json::from_slice(&replay.stdout).unwrap();
    let rep = 1;
    // Every chat offered in the window is a session of the log (a request row).
    assert_eq!(
        r["sessions"].as_f64().unwrap(),
        metric(&summary, "offered", rep)
    );
    assert!(
        metric(&summary, "abandoned", rep) > 0.0,
        "no abandons: the test needs some"
    );
    for (replayed, run) in [
        ("reminders", "reminders"),
        ("disconnects", "disconnects"),
        // The simulator's per-reply verdict equals replay's per-message count here: a
        // simulated customer writes only after a reply, so one message at a time is
        // owed, and every chat ends answered (the drain runs to the end).
        ("missed_responses", "missed_responses"),
        ("sessions_with_reminder", "sessions_with_reminder"),
    ] {
        let expected = metric(&summary, run, rep);
        assert!(expected > 0.0, "{run} is 0: the test would prove little");
        assert_eq!(r[replayed].as_f64().unwrap(), expected, "{replayed}");
    }
}

#[test]
fn the_event_log_does_not_depend_on_the_thread_count() {
    let dir = TempDir::new().unwrap();
    let sc = write(dir.path(), "busy.toml", BUSY_DESK);
    let logs: Vec<Vec<u8>> = ["1", "2"]
        .iter()
        .map(|threads| {
            let log = dir.path().join(format!("t{threads}.csv"));
            chatsim()
                .args(["run", sc.to_str().unwrap(), "--threads", threads])
                .args(["--event-log", log.to_str().unwrap()])
                .assert()
                .success();
            std::fs::read(&log).unwrap()
        })
        .collect();
    assert_eq!(logs[0], logs[1]);
}

#[test]
fn event_log_refuses_a_replication_out_of_range_and_an_existing_file() {
    let dir = TempDir::new().unwrap();
    let sc = write(dir.path(), "busy.toml", BUSY_DESK);
    let log = dir.path().join("day.csv");
    chatsim()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--event-log",
            log.to_str().unwrap(),
        ])
        .args(["--event-log-replication", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--event-log-replication 2: the run has 2 replication(s)",
        ));
    assert!(!log.exists());
    std::fs::write(&log, "keep me").unwrap();
    chatsim()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--event-log",
            log.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists; use --force"));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "keep me");
    chatsim()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--force",
            "--event-log",
            log.to_str().unwrap(),
        ])
        .assert()
        .success();
    assert!(std::fs::read_to_string(&log).unwrap().contains(",request"));
}
