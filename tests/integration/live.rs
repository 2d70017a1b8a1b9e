//! `chatsim live`, the engine as a sidecar: a hand-worked exchange line by line, the
//! bundled example log fed through it on virtual time (the same figures `replay` gives),
//! bad input, and a reminder arriving on time in real time.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

const EXAMPLE_LOG: &str = include_str!("../../scenarios/example-log.csv");

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn live(args: &[&str], input: &str) -> std::process::Output {
    chatsim()
        .arg("live")
        .args(args)
        .write_stdin(input.to_string())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

fn stdout_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

// ----- by hand ---------------------------------------------------------------------------

/// One agent with one place (ana:1), reply interval 60 s, message interval 300 s,
/// reminders repeating. Every event worked out by hand:
///
/// - 10 s c1 connects at once; 15 s c2 finds ana full and queues at position 1.
/// - 30 s ana replies to c1's opening (20 s, in time).
/// - 40 s c1 writes; the reply is owed from 40 s: reminders at 40 + 60 s + 1 ms = 100.001
///   and, repeating, 160.001 (both fire during the tick to 200).
/// - 205 s ana replies: 165 s, late, after 2 reminders. c1's silence timer: 205 + 300 s +
///   1 ms = 505.001.
/// - The tick to 600 fires it: c1 disconnected at 505.001, which frees ana, so c2 (waiting
///   since 15 s) connects at 505.001 after 490.001 s; its opening is owed from then, so a
///   reminder at 565.002 (the repeat at 625.002 is past 600).
/// - 601 s c1's customer writes again: the engine ended c1, so the line is `ignored`.
/// - 610 s ana answers c2 (104.999 s, late, 1 reminder); 620 s c2 closes.
/// - End of input at 620 s: nothing else is due by then.
#[test]
fn a_hand_worked_exchange_gives_every_event() {
    let input = r#"{"t":0,"cmd":"log_in","agent":"ana"}
{"t":10,"cmd":"request","session":"c1"}
{"t":15,"cmd":"request","session":"c2"}
{"t":30,"cmd":"reply","session":"c1"}
{"t":40,"cmd":"message","session":"c1"}
{"t":200,"cmd":"tick"}
{"t":205,"cmd":"reply","session":"c1"}
{"t":600,"cmd":"tick"}
{"t":601,"cmd":"message","session":"c1"}
{"t":610,"cmd":"reply","session":"c2"}
{"t":620,"cmd":"close","session":"c2"}
"#;
    let out = live(&["--agents", "ana:1", "--virtual-time"], input);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let expected = [
        r#"{"t":0.0,"event":"logged_in","agent":"ana"}"#,
        r#"{"t":10.0,"event":"connected","session":"c1","agent":"ana","count":1,"waited_s":0.0}"#,
        r#"{"t":15.0,"event":"queued","session":"c2","position":1}"#,
        r#"{"t":30.0,"event":"replied","session":"c1","agent":"ana","answered":true,"latency_s":20.0,"late":false,"reminders":0}"#,
        r#"{"t":100.001,"event":"reminder_due","session":"c1","agent":"ana","nth":1}"#,
        r#"{"t":160.001,"event":"reminder_due","session":"c1","agent":"ana","nth":2}"#,
        r#"{"t":205.0,"event":"replied","session":"c1","agent":"ana","answered":true,"latency_s":165.0,"late":true,"reminders":2}"#,
        r#"{"t":505.001,"event":"disconnected","session":"c1","agent":"ana"}"#,
        r#"{"t":505.001,"event":"connected","session":"c2","agent":"ana","count":1,"waited_s":490.001}"#,
        r#"{"t":565.002,"event":"reminder_due","session":"c2","agent":"ana","nth":1}"#,
        r#"{"t":601.0,"event":"ignored","session":"c1","line":9,"command":"message","why":"the engine disconnected this session for silence"}"#,
        r#"{"t":610.0,"event":"replied","session":"c2","agent":"ana","answered":true,"latency_s":104.999,"late":true,"reminders":1}"#,
        r#"{"t":620.0,"event":"closed","session":"c2","agent":"ana"}"#,
        r#"{"t":620.0,"event":"summary","lines":11,"commands":11,"sessions":2,"connected":2,"queued":1,"replies":3,"late_replies":2,"reminders":3,"closes":1,"disconnects":1,"abandons":0,"handed_back":0,"ignored":1,"open_sessions":0,"waiting":0}"#,
    ];
    assert_eq!(stdout_lines(&out), expected);
}

#[test]
fn drain_fires_the_timers_past_the_last_stamp() {
    // Without --drain nothing fires after the last stamp (0 s); with --drain 61 the
    // opening's reminder at 60.001 s does, and the summary is stamped 61 s.
    let input = "{\"t\":0,\"cmd\":\"log_in\",\"agent\":\"a\"}\n{\"t\":0,\"cmd\":\"request\",\"session\":\"c\"}\n";
    let plain = stdout_lines(&live(&["--agents", "a", "--virtual-time"], input));
    assert!(
        plain.iter().all(|l| !l.contains("reminder_due")),
        "{plain:?}"
    );
    let drained = stdout_lines(&live(
        &["--agents", "a", "--virtual-time", "--drain", "61"],
        input,
    ));
    assert!(drained.contains(
        &r#"{"t":60.001,"event":"reminder_due","session":"c","agent":"a","nth":1}"#.to_string()
    ));
    assert!(drained
        .last()
        .unwrap()
        .starts_with(r#"{"t":61.0,"event":"summary""#));
}

// ----- the example log, through live and through replay ----------------------------------

/// The example log as replay reads it: (seconds, session, agent, kind) rows, and each
/// session's agent by replay's rule (the request row's agent, else the first row naming
/// one, else "(unknown)").
/// (seconds, session, kind) rows, and session → agent.
type Rows = (Vec<(u64, String, String)>, BTreeMap<String, String>);

fn example_rows() -> Rows {
    let mut rows = Vec::new();
    let mut pinned: BTreeMap<String, String> = BTreeMap::new();
    let mut order = Vec::new();
    for line in EXAMPLE_LOG.lines() {
        if line.is_empty() || line.starts_with('#') || line.starts_with("timestamp") {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let hms: Vec<u64> = f[0].split(':').map(|p| p.parse().unwrap()).collect();
        let t = hms[0] * 3600 + hms[1] * 60 + hms[2];
        if !order.contains(&f[1].to_string()) {
            order.push(f[1].to_string());
        }
        if !f[2].is_empty() && !pinned.contains_key(f[1]) {
            pinned.insert(f[1].to_string(), f[2].to_string());
        }
        rows.push((t, f[1].to_string(), f[3].to_string()));
    }
    for s in order {
        pinned.entry(s).or_insert_with(|| "(unknown)".to_string());
    }
    (rows, pinned)
}

/// What one live run per logged agent said about the example log: replay gives each
/// logged agent an engine of its own in which it is the only one logged in, so this is
/// that, over the wire.
#[derive(Debug, Default)]
struct LiveDay {
    /// (session, instant in ms) of every reminder, in order.
    reminders: Vec<(String, u64)>,
    /// (session, instant in ms) of every silence disconnect.
    disconnects: Vec<(String, u64)>,
    /// Disconnected sessions whose customer wrote again (an `ignored` message).
    premature: Vec<String>,
    /// Per agent: (reminders, disconnects).
    per_agent: BTreeMap<String, (u64, u64)>,
    late_replies: u64,
}

fn live_day(settings: &[&str]) -> LiveDay {
    let (rows, pinned) = example_rows();
    let last = rows.last().unwrap().0;
    let agents: std::collections::BTreeSet<&String> = pinned.values().collect();
    let mut day = LiveDay::default();
    for agent in agents {
        let mut input = format!("{{\"t\":0,\"cmd\":\"log_in\",\"agent\":\"{agent}\"}}\n");
        for (t, session, kind) in &rows {
            if &pinned[session] != agent {
                continue;
            }
            let cmd = match kind.as_str() {
                "request" => "request",
                "customer_message" => "message",
                "agent_reply" => "reply",
                "close" => "close",
                other => panic!("{other}"),
            };
            input.push_str(&format!(
                "{{\"t\":{t},\"cmd\":\"{cmd}\",\"session\":\"{session}\"}}\n"
            ));
        }
        // Replay fires every engine's timers up to the log's last row.
        input.push_str(&format!("{{\"t\":{last},\"cmd\":\"tick\"}}\n"));
        let roster = format!("{agent}:64");
        let mut args = vec!["--agents", roster.as_str(), "--virtual-time"];
        args.extend_from_slice(settings);
        let out = live(&args, &input);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let entry = day.per_agent.entry(agent.clone()).or_default();
        for line in stdout_lines(&out) {
            let v: Value = serde_json::from_str(&line).unwrap();
            let ms = (v["t"].as_f64().unwrap() * 1000.0).round() as u64;
            let session = v["session"].as_str().unwrap_or_default().to_string();
            match v["event"].as_str().unwrap() {
                "reminder_due" => {
                    entry.0 += 1;
                    day.reminders.push((session, ms));
                }
                "disconnected" => {
                    entry.1 += 1;
                    day.disconnects.push((session, ms));
                }
                "ignored" if v["command"] == "message" && !day.premature.contains(&session) => {
                    day.premature.push(session)
                }
                "summary" => day.late_replies += v["late_replies"].as_u64().unwrap(),
                _ => {}
            }
        }
    }
    day
}

fn replay_json(settings: &[&str]) -> Value {
    let out = chatsim()
        .args(["replay", "scenarios/example-log.csv", "--json"])
        .args(settings)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Live on virtual time gives the example log's events as worked by hand in
/// src/tools/replay/driver.rs, and the counts `replay` prints, under four settings.
#[test]
fn the_example_log_through_live_matches_replay() {
    let hms = |h: u64, m: u64, s: u64| (h * 3600 + m * 60 + s) * 1000;
    let day = live_day(&[]);
    let mut reminders = day.reminders.clone();
    reminders.sort();
    let expected: Vec<(String, u64)> = [
        ("c02", hms(9, 4, 30) + 1),
        ("c02", hms(9, 5, 30) + 1),
        ("c03", hms(9, 8, 50) + 1),
        ("c07", hms(9, 22, 50) + 1),
        ("c08", hms(9, 26, 0) + 1),
        ("c10", hms(9, 36, 0) + 1),
        ("c10", hms(9, 37, 0) + 1),
        ("c10", hms(9, 38, 0) + 1),
    ]
    .iter()
    .map(|(s, t)| (s.to_string(), *t))
    .collect();
    assert_eq!(reminders, expected);
    let mut disconnects = day.disconnects.clone();
    disconnects.sort();
    assert_eq!(
        disconnects,
        [
            ("c04".to_string(), hms(9, 16, 40) + 1),
            ("c05".to_string(), hms(9, 17, 10) + 1)
        ]
    );
    assert_eq!(day.premature, ["c05"]);
    // The engine's late verdicts: c02, c03, c07 and c10's replies. Replay's
    // missed_responses (6) counts per customer message from the log: c07's two messages
    // before one reply count twice, and c08's opening, never answered before its close,
    // counts once; neither is a late reply.
    assert_eq!(day.late_replies, 4);

    for settings in [
        &[][..],
        &["--message-interval-s", "200"][..],
        &["--message-interval-s", "400"][..],
        &["--no-repeat-reminders"][..],
        &["--reminder-cap", "2"][..],
    ] {
        let day = live_day(settings);
        let r = replay_json(settings);
        let why = format!("{settings:?}");
        assert_eq!(r["reminders"], day.reminders.len() as u64, "{why}");
        assert_eq!(r["disconnects"], day.disconnects.len() as u64, "{why}");
        assert_eq!(
            r["premature_disconnects"],
            day.premature.len() as u64,
            "{why}"
        );
        let sessions: std::collections::BTreeSet<&String> =
            day.reminders.iter().map(|(s, _)| s).collect();
        assert_eq!(r["sessions_with_reminder"], sessions.len() as u64, "{why}");
        for a in r["per_agent"].as_array().unwrap() {
            let name = a["agent"].as_str().unwrap();
            let (rem, dis) = day.per_agent[name];
            assert_eq!(
                (a["reminders"].as_u64(), a["disconnects"].as_u64()),
                (Some(rem), Some(dis)),
                "{why} {name}"
            );
        }
        // Capacity reclaimed: each disconnected session's last row in the log less the
        // disconnect instant.
        let (rows, _) = example_rows();
        let reclaimed_ms: u64 = day
            .disconnects
            .iter()
            .map(|(s, at)| {
                let last = rows
                    .iter()
                    .filter(|r| &r.1 == s)
                    .map(|r| r.0)
                    .max()
                    .unwrap();
                (last * 1000).saturating_sub(*at)
            })
            .sum();
        assert_eq!(
            r["capacity_reclaimed_s"].as_f64().unwrap(),
            reclaimed_ms as f64 / 1000.0,
            "{why}"
        );
    }
}

// ----- bad input -------------------------------------------------------------------------

#[test]
fn bad_lines_name_the_line_the_value_and_the_fix() {
    let login = "{\"t\":0,\"cmd\":\"log_in\",\"agent\":\"ana\"}\n";
    let cases: [(&str, &[&str]); 8] = [
        (
            "{\"t\":0,\"cmd\":\"log_in\",\"agent\":\"ana\"\n",
            &["line 1:", "not a command", "one JSON object per line"],
        ),
        (
            "{\"t\":0,\"cmd\":\"dance\"}\n",
            &["line 1:", "unknown command `dance`", "log_in, log_out"],
        ),
        (
            "{\"t\":0,\"cmd\":\"log_in\",\"agent\":\"zoe\"}\n",
            &["line 1:", "unknown agent `zoe`", "--agents"],
        ),
        (
            &format!("{login}{{\"t\":5,\"cmd\":\"reply\",\"session\":\"c9\"}}\n"),
            &["line 2:", "`c9`", "send its `request` first"],
        ),
        (
            &format!("{login}{{\"t\":-1,\"cmd\":\"tick\"}}\n"),
            &["line 2:", "`t` -1", "seconds from 0"],
        ),
        (
            &format!("{{\"t\":10,\"cmd\":\"tick\"}}\n{login}"),
            &[
                "line 2:",
                "`t` 0 is earlier than 10 on line 1",
                "must not go back",
            ],
        ),
        (
            "{\"t\":0,\"cmd\":\"busy\",\"agent\":\"ana\"}\n",
            &["line 1:", "not logged in", "log_in"],
        ),
        (
            "{\"t\":0,\"cmd\":\"tick\",\"colour\":1}\n",
            &["line 1:", "unknown field `colour`"],
        ),
    ];
    for (input, needles) in cases {
        let out = live(&["--agents", "ana", "--virtual-time"], input);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input}: {err}");
        for n in needles {
            assert!(err.contains(n), "{input}: {err} lacks {n}");
        }
    }
    let out = live(&["--agents", "ana:99"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--agents ana:99"));
    let out = live(&["--agents", "ana", "--reply-interval-s", "0"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reply-interval-s 0"));
}

// ----- real time -------------------------------------------------------------------------

/// No stamps, real time, reply interval 0.3 s: the reminder comes about 300 ms after the
/// request, woken by `poll_timeout`, while stdin stays open and silent.
#[test]
fn a_reminder_arrives_on_time_in_real_time() {
    let bin = assert_cmd::cargo::cargo_bin("chatsim");
    let mut child = std::process::Command::new(bin)
        .args(["live", "--agents", "ana", "--reply-interval-s", "0.3"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin
        .write_all(
            b"{\"cmd\":\"log_in\",\"agent\":\"ana\"}\n{\"cmd\":\"request\",\"session\":\"c1\"}\n",
        )
        .unwrap();
    stdin.flush().unwrap();
    let mut read = |want: &str| -> (Value, Instant) {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], want, "{line}");
        (v, Instant::now())
    };
    read("logged_in");
    let (connected, at) = read("connected");
    let (reminder, reminded) = read("reminder_due");
    let waited = reminded - at;
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_millis(1000),
        "{waited:?}"
    );
    // The event's own instant is exactly one interval and a millisecond later.
    let ms = |v: &Value| (v["t"].as_f64().unwrap() * 1000.0).round() as u64;
    assert_eq!(ms(&reminder), ms(&connected) + 301);
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success());
}
