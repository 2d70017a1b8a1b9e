//! Hand-worked traces: tiny scenarios (customers at exact instants, one to three agents,
//! constant distributions, probabilities 0 or 1) whose every figure is worked out by hand
//! in a timeline above the test, then asserted.
//!
//! The rules the timelines follow (docs/model.md, src/sim/world.rs, src/engine/mod.rs):
//! time is integer milliseconds; a timer fires at the first millisecond its interval is
//! exceeded (reminder at message + k·I + 1, silence disconnect at last reply + M + 1),
//! before any world event of that instant; the opening message is sent at connection; a
//! reply to a message at t comes at t + R × speed × (1 + slowdown × (count − 1)), count
//! the agent's open sessions when the message arrives. Below, I is the reply interval, M
//! the message interval, R the reply time, N the messages per session, and `C1 → A1` a
//! connection. Every run is one replication with no warm-up, a horizon covering the whole
//! trace and one reporting interval; every agent's row balances
//! sessions = normal closes + disconnects + hand-backs (nothing is left open).

use chatsim::metrics::{MetricSet, RunSummary};
use std::path::Path;

/// Run-level figures every test must list (the helper fails if one is left out).
const RUN_REQUIRED: [&str; 25] = [
    "offered",
    "connected",
    "abandoned",
    "unresolved",
    "p_wait",
    "service_level",
    "asa_s",
    "wait_s_mean",
    "wait_s_max",
    "mean_queue_len",
    "max_queue_len",
    "sessions",
    "replies",
    "missed_responses",
    "late_replies",
    "reminders",
    "sessions_with_reminder",
    "disconnects",
    "premature_disconnects",
    "ghost_disconnects",
    "silent_capacity_s",
    "normal_closes",
    "handed_back",
    "reconnected",
    "reply_latency_s_mean",
];

/// Per-agent figures every test must list for every agent of its roster.
const AGENT_REQUIRED: [&str; 14] = [
    "sessions",
    "replies",
    "missed_responses",
    "late_replies",
    "reminders",
    "disconnects",
    "premature_disconnects",
    "ghost_disconnects",
    "normal_closes",
    "handed_back",
    "reconnected",
    "logged_in_s",
    "session_s",
    "busy_time_s",
];

/// Runs an inline scenario (named `name` in errors) and returns its summary.
fn simulate(name: &str, toml: &str) -> RunSummary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(format!("{name}.toml"));
    let sc = chatsim::scenario::from_toml_str(toml, &path)
        .unwrap_or_else(|e| panic!("{name}: the scenario does not load: {e}"));
    assert_eq!(sc.run.replications, 1, "{name}: one replication");
    assert_eq!(sc.run.warmup.as_millis(), 0, "{name}: no warm-up");
    chatsim::pipeline::simulate(&sc, 1, &chatsim::pipeline::NEVER_CANCELLED, &|| {})
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn close_to(expected: f64, got: f64) -> bool {
    if expected.is_nan() {
        return got.is_nan();
    }
    (expected - got).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// Compares one table of figures with `expected`, appending every problem to `problems`:
/// a listed name the table does not have, a name listed twice, a required name not listed,
/// a value off.
fn compare(
    what: &str,
    set: &MetricSet,
    required: &[&str],
    expected: &[(&str, f64)],
    problems: &mut Vec<String>,
) {
    for (i, (name, want)) in expected.iter().enumerate() {
        if expected[..i].iter().any(|(n, _)| n == name) {
            problems.push(format!("{what}: `{name}` is listed twice"));
        }
        match set.get(name) {
            None => problems.push(format!("{what}: no metric named `{name}`")),
            Some(stat) if !close_to(*want, stat.mean) => problems.push(format!(
                "{what}: {name:<24} expected {want:<12} got {}",
                stat.mean
            )),
            Some(_) => {}
        }
    }
    for name in required {
        if !expected.iter().any(|(n, _)| n == name) {
            problems.push(format!("{what}: the test does not check `{name}`"));
        }
    }
}

/// Asserts the run-level figures and every agent's row (in roster order, each agent
/// listed), and that each agent's sessions balance its ends; reports every mismatch at
/// once.
fn expect(s: &RunSummary, run: &[(&str, f64)], agents: &[(&str, &[(&str, f64)])]) {
    let mut problems = Vec::new();
    compare("run", &s.metrics, &RUN_REQUIRED, run, &mut problems);
    let names: Vec<&str> = s.agents.iter().map(|a| a.name.as_str()).collect();
    let listed: Vec<&str> = agents.iter().map(|(n, _)| *n).collect();
    if names != listed {
        problems.push(format!(
            "agents: the roster is {names:?}, the test lists {listed:?}"
        ));
    }
    for (name, expected) in agents {
        let Some(a) = s.agents.iter().find(|a| a.name == *name) else {
            continue;
        };
        let what = format!("agent {name}");
        compare(&what, &a.metrics, &AGENT_REQUIRED, expected, &mut problems);
        let v = |m: &str| a.metrics.get(m).map_or(f64::NAN, |x| x.mean);
        let ends = v("normal_closes") + v("disconnects") + v("handed_back");
        if v("sessions") != ends {
            problems.push(format!(
                "{what}: sessions {} ≠ normal closes + disconnects + hand-backs {ends}",
                v("sessions")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} figure(s) off:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ----- the reply interval -------------------------------------------------------------

/// I = 10 s; A1 replies in R = 10 s (speed 1), A2 in 10 s × 1.0001 = 10.001 s; N = 1; the
/// reply target is 5 s, so both replies are late by the scenario's yardstick while only
/// one is a missed response by the method's.
///
/// ```text
///      0  C1 arrives → A1 (tie on load and last assignment: lowest id); reply due 10000,
///         reminder armed at 0 + 10000 + 1 = 10001
///      0  C2 arrives → A2 (A1 full); reply due 10001, reminder at 10001
///  10000  A1 replies, latency 10000 = I: in time; N = 1 → C1 closes (reminder cancelled)
///  10001  timer first: reminder to A2 (C2's first); then A2 replies, latency 10001 > I:
///         missed; C2 closes
/// ```
#[test]
fn reply_at_the_reply_interval_is_in_time_one_ms_later_is_missed() {
    let s = simulate(
        "reply_at_interval",
        r#"
[run]
horizon_s = 60
interval_s = 60
replications = 1
reply_target_s = 5

[arrivals]
kind = "trace"
times_s = [0, 0]

[customers]
messages = { dist = "constant", value = 1 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 1, shift_start = 0, shift_end = 60, speed_factor = 1.0 },
  { id = "A2", max_sessions = 1, shift_start = 0, shift_end = 60, speed_factor = 1.0001 },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 10 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 2.0),
            ("replies", 2.0),
            ("missed_responses", 1.0),
            ("missed_response_ratio", 0.5),
            ("late_replies", 2.0),
            ("reminders", 1.0),
            ("sessions_with_reminder", 1.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 2.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 10.0005),
            ("logged_in_agent_hours", 120.0 / 3600.0),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 1.0),
                    ("replies", 1.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 1.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 60.0),
                    ("session_s", 10.0),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 10.0),
                ],
            ),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 1.0),
                    ("missed_responses", 1.0),
                    ("late_replies", 1.0),
                    ("reminders", 1.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 60.0),
                    ("session_s", 10.001),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 10.001),
                ],
            ),
        ],
    );
}

/// The desk of the three reminder tests: one agent, one customer at 0 with N = 2 and a
/// think time of 5 s, R = 35 s, I = 10 s, M = 30 s; `thresholds` varies.
fn reminder_desk(thresholds: &str) -> String {
    format!(
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = {{ dist = "constant", value = 2 }}
think_time = {{ dist = "constant", value_s = 5 }}

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 1

[agents.behaviour]
reply_time = {{ dist = "constant", value_s = 35 }}

[thresholds]
reply_interval_s = 10
message_interval_s = 30
{thresholds}
"#
    )
}

/// Agent A001 for the reminder desk: two replies 35 s late each, `reminders` of them.
fn reminder_agent(reminders: f64) -> Vec<(&'static str, f64)> {
    vec![
        ("sessions", 1.0),
        ("replies", 2.0),
        ("missed_responses", 2.0),
        ("late_replies", 0.0),
        ("reminders", reminders),
        ("disconnects", 0.0),
        ("premature_disconnects", 0.0),
        ("ghost_disconnects", 0.0),
        ("normal_closes", 1.0),
        ("handed_back", 0.0),
        ("reconnected", 0.0),
        ("logged_in_s", 100.0),
        ("session_s", 75.0),
        ("busy_time_s", 0.0),
        ("reply_latency_s_mean", 35.0),
    ]
}

/// The reminder desk's run figures with `reminders` reminders: one customer served at once,
/// two replies 35 s after their messages (missed: > I; not late: ≤ the 60 s target).
fn reminder_run(reminders: f64) -> Vec<(&'static str, f64)> {
    vec![
        ("offered", 1.0),
        ("connected", 1.0),
        ("abandoned", 0.0),
        ("unresolved", 0.0),
        ("p_wait", 0.0),
        ("service_level", 1.0),
        ("asa_s", 0.0),
        ("wait_s_mean", 0.0),
        ("wait_s_max", 0.0),
        ("mean_queue_len", 0.0),
        ("max_queue_len", 0.0),
        ("sessions", 1.0),
        ("replies", 2.0),
        ("missed_responses", 2.0),
        ("late_replies", 0.0),
        ("reminders", reminders),
        ("reminders_per_session", reminders),
        ("sessions_with_reminder", 1.0),
        ("disconnects", 0.0),
        ("premature_disconnects", 0.0),
        ("ghost_disconnects", 0.0),
        ("silent_capacity_s", 0.0),
        ("normal_closes", 1.0),
        ("handed_back", 0.0),
        ("reconnected", 0.0),
        ("reply_latency_s_mean", 35.0),
    ]
}

/// Reminders repeat every I while the reply is owed, with no cap.
///
/// ```text
///      0  C1 → A001; opening message; reply due 35000; reminder at 10001
///  10001  reminder 1 (re-armed one interval on: 20001)
///  20001  reminder 2 (next 30001)
///  30001  reminder 3 (next 40001)
///  35000  reply, latency 35000 > I: missed (not late: ≤ 60 s); the 40001 reminder is
///         cancelled; message 2 due at 35000 + 5000 = 40000
///  40000  message 2; reply due 75000; reminders from 40000: 50001, 60001, 70001
///  75000  reply, latency 35000: missed; N = 2 → close
/// ```
/// Six reminders, one session with a reminder.
#[test]
fn reminders_repeat_every_interval_without_a_cap() {
    let s = simulate("reminders_repeat", &reminder_desk(""));
    expect(&s, &reminder_run(6.0), &[("A001", &reminder_agent(6.0))]);
}

/// The same desk with `reminder_cap = 2`: at most two reminders per owed reply, the count
/// starting again at each customer message (it is reset by the reply).
///
/// ```text
///      0  C1 → A001; reply due 35000; reminder at 10001
///  10001  reminder 1 (next 20001)
///  20001  reminder 2: the cap; no more for this reply
///  35000  reply (missed); message 2 at 40000
///  40000  message 2; reply due 75000; reminder at 50001
///  50001  reminder 1 of this reply (next 60001)
///  60001  reminder 2: the cap
///  75000  reply (missed); close
/// ```
#[test]
fn reminder_cap_limits_the_reminders_per_owed_reply() {
    let s = simulate("reminder_cap", &reminder_desk("reminder_cap = 2"));
    expect(&s, &reminder_run(4.0), &[("A001", &reminder_agent(4.0))]);
}

/// The same desk with `repeat_reminders = false`: one reminder per owed reply.
///
/// ```text
///      0  C1 → A001; reply due 35000; reminder at 10001
///  10001  reminder (not re-armed)
///  35000  reply (missed); message 2 at 40000
///  40000  message 2; reminder at 50001
///  50001  reminder (not re-armed)
///  75000  reply (missed); close
/// ```
#[test]
fn reminders_that_do_not_repeat_come_once_per_owed_reply() {
    let s = simulate("reminders_once", &reminder_desk("repeat_reminders = false"));
    expect(&s, &reminder_run(2.0), &[("A001", &reminder_agent(2.0))]);
}

// ----- overlooked messages ------------------------------------------------------------

/// overlook_prob = 1: every message is overlooked and answered at its first reminder +
/// the reaction time, 12 s, which is longer than I = 10 s, so a second reminder falls
/// before the reply (and does not schedule another one). N = 2, think 5 s, reply target
/// 20 s.
///
/// ```text
///      0  C1 → A001; opening message overlooked; reminder at 10001
///  10001  reminder 1 (the session's first) → reply due 10001 + 12000 = 22001; next
///         reminder 20001
///  20001  reminder 2 (no new reply: the message is already being answered)
///  22001  reply, latency 22001: missed, and late (> 20 s); message 2 due 27001
///  27001  message 2, overlooked; reminder at 27001 + 10001 = 37002
///  37002  reminder → reply due 49002; next reminder 47002
///  47002  reminder
///  49002  reply, latency 22001: missed, late; N = 2 → close
/// ```
#[test]
fn overlooked_message_is_answered_after_the_first_reminder_and_the_reaction_time() {
    let s = simulate(
        "overlooked",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1
reply_target_s = 20

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 1

[agents.behaviour]
reply_time = { dist = "constant", value_s = 2 }
overlook_prob = 1
reaction_time = { dist = "constant", value_s = 12 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 1.0),
            ("replies", 2.0),
            ("missed_responses", 2.0),
            ("late_replies", 2.0),
            ("reminders", 4.0),
            ("sessions_with_reminder", 1.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 22.001),
        ],
        &[(
            "A001",
            &[
                ("sessions", 1.0),
                ("replies", 2.0),
                ("missed_responses", 2.0),
                ("late_replies", 2.0),
                ("reminders", 4.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 1.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 49.002),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// With `reply_interval_s = "off"` no reminder can come: an overlooked message is answered
/// after `overlook_delay`, 7 s. Nothing is a missed response (there is no reply interval
/// to miss), but the reply is late by the 5 s reply target. N = 1.
///
/// ```text
///     0  C1 → A001; opening message overlooked; reply due 0 + 7000
///  7000  reply, latency 7000; close
/// ```
#[test]
fn overlooked_message_without_reminders_waits_the_overlook_delay() {
    let s = simulate(
        "overlook_delay",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1
reply_target_s = 5

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = { dist = "constant", value = 1 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 1

[agents.behaviour]
reply_time = { dist = "constant", value_s = 2 }
overlook_prob = 1
reaction_time = { dist = "constant", value_s = 12 }
overlook_delay = { dist = "constant", value_s = 7 }

[thresholds]
reply_interval_s = "off"
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 0.0),
            ("late_replies", 1.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 7.0),
        ],
        &[(
            "A001",
            &[
                ("sessions", 1.0),
                ("replies", 1.0),
                ("missed_responses", 0.0),
                ("late_replies", 1.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 1.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 7.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

// ----- the message interval -----------------------------------------------------------

/// The desk of the two think-time tests: one agent, one customer at 0 with N = 3, R = 2 s,
/// I = 10 s, M = 30 s, and the given think time.
fn think_desk(think_s: &str) -> String {
    format!(
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = {{ dist = "constant", value = 3 }}
think_time = {{ dist = "constant", value_s = {think_s} }}

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 1

[agents.behaviour]
reply_time = {{ dist = "constant", value_s = 2 }}

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#
    )
}

/// A think time 1 ms past M: the customer would write again at the very millisecond the
/// silence timer fires, and the timer goes first.
///
/// ```text
///      0  C1 → A001; reply due 2000
///   2000  reply (latency 2000); disconnect armed at 2000 + 30000 + 1 = 32001; message 2
///         due at 2000 + 30001 = 32001
///  32001  timer first: silence disconnect, premature (a message was pending); the slot
///         was held silent 32001 − 2000 = 30001 ms; the message of 32001 finds no session
/// ```
#[test]
fn think_time_past_the_message_interval_is_a_premature_disconnect() {
    let s = simulate("premature", &think_desk("30.001"));
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 1.0),
            ("premature_disconnects", 1.0),
            ("ghost_disconnects", 0.0),
            ("premature_disconnect_ratio", 1.0),
            ("silent_capacity_s", 30.001),
            ("normal_closes", 0.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[(
            "A001",
            &[
                ("sessions", 1.0),
                ("replies", 1.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 1.0),
                ("premature_disconnects", 1.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 0.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 32.001),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// A think time of exactly M: the message comes at last reply + M, in time.
///
/// ```text
///      0  C1 → A001; reply due 2000
///   2000  reply; disconnect armed at 32001; message 2 due at 32000
///  32000  message 2 (in time: the disconnect is cancelled); reply due 34000
///  34000  reply; disconnect at 64001; message 3 due at 64000
///  64000  message 3; reply due 66000
///  66000  reply; N = 3 → close
/// ```
#[test]
fn think_time_of_exactly_the_message_interval_is_in_time() {
    let s = simulate("think_at_interval", &think_desk("30"));
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 1.0),
            ("replies", 3.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[(
            "A001",
            &[
                ("sessions", 1.0),
                ("replies", 3.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 1.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 66.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// silent_prob = 1: after the first reply each customer goes silent for good (N = 3 is
/// never reached), and the silence timer reclaims the slot. One agent with a cap of 2,
/// customers at 0 and 5 s, R = 2 s, M = 30 s.
///
/// ```text
///      0  C1 → A001 (count 1); reply due 2000
///   2000  reply; C1 goes silent (ghost); disconnect at 32001
///   5000  C2 → A001 (count 2); reply due 7000
///   7000  reply; C2 ghost; disconnect at 37001
///  32001  ghost disconnect of C1, held silent 30001 ms
///  37001  ghost disconnect of C2, held silent 30001 ms
/// ```
/// Silent capacity 60.002 s; session time 32.001 + 32.001 s.
#[test]
fn ghost_is_reclaimed_after_the_message_interval() {
    let s = simulate(
        "ghost",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 5]

[customers]
messages = { dist = "constant", value = 3 }
think_time = { dist = "constant", value_s = 5 }
silent_prob = 1

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 2

[agents.behaviour]
reply_time = { dist = "constant", value_s = 2 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 2.0),
            ("replies", 2.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 2.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 2.0),
            ("premature_disconnect_ratio", 0.0),
            ("silent_capacity_s", 60.002),
            ("normal_closes", 0.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[(
            "A001",
            &[
                ("sessions", 2.0),
                ("replies", 2.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 2.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 2.0),
                ("normal_closes", 0.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 64.002),
                ("busy_time_s", 0.0),
                ("occupancy", 64.002 / 200.0),
            ],
        )],
    );
}

// ----- waiting ------------------------------------------------------------------------

/// A planned break (busy) from 20 s to 50 s; patience 15 s; one agent, cap 1; N = 1,
/// R = 5 s; customers at 0, 25 and 45 s.
///
/// ```text
///      0  C1 → A1; reply due 5000
///   5000  reply; close
///  20000  break: A1 busy
///  25000  C2 arrives, A1 busy → waits (patience until 40000)
///  40000  C2 abandons after 15000
///  45000  C3 arrives → waits (patience until 60000)
///  50000  break ends: A1 un-busy → C3 → A1 after a 5000 wait; reply due 55000
///  55000  reply; close
/// ```
/// Queue: 1 customer over [25, 40) and [45, 50) s: 20 s of 100.
#[test]
fn waiting_customer_abandons_during_a_break() {
    let s = simulate(
        "break_abandon",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 25, 45]

[customers]
patience = { dist = "constant", value_s = 15 }
messages = { dist = "constant", value = 1 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 1, shift_start = 0, shift_end = 100, breaks = "20+30s" },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 5 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 3.0),
            ("connected", 2.0),
            ("abandoned", 1.0),
            ("abandon_ratio", 1.0 / 3.0),
            ("unresolved", 0.0),
            ("p_wait", 2.0 / 3.0),
            ("service_level", 2.0 / 3.0),
            ("asa_s", 2.5),
            ("wait_s_mean", 20.0 / 3.0),
            ("wait_s_max", 15.0),
            ("mean_queue_len", 0.2),
            ("max_queue_len", 1.0),
            ("sessions", 2.0),
            ("replies", 2.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 2.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 5.0),
            ("busy_time_s", 30.0),
        ],
        &[(
            "A1",
            &[
                ("sessions", 2.0),
                ("replies", 2.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 2.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 10.0),
                ("busy_time_s", 30.0),
            ],
        )],
    );
}

/// One agent with a cap of 2; customers at 0, 1 and 2 s; N = 1, R = 8 s.
///
/// ```text
///      0  C1 → A001 (count 1); reply due 8000
///   1000  C2 → A001 (count 2); reply due 9000
///   2000  C3 arrives: A001 is at its cap → waits
///   8000  reply to C1; close (count 1) → C3 → A001 after 6000; reply due 16000
///   9000  reply to C2; close
///  16000  reply to C3; close
/// ```
/// Queue: 1 customer over [2, 8) s.
#[test]
fn third_customer_waits_for_a_slot_under_a_cap_of_two() {
    let s = simulate(
        "cap_two",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 1, 2]

[customers]
messages = { dist = "constant", value = 1 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 2

[agents.behaviour]
reply_time = { dist = "constant", value_s = 8 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 3.0),
            ("connected", 3.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 1.0 / 3.0),
            ("service_level", 1.0),
            ("asa_s", 2.0),
            ("wait_s_mean", 2.0),
            ("wait_s_max", 6.0),
            ("mean_queue_len", 0.06),
            ("max_queue_len", 1.0),
            ("sessions", 3.0),
            ("replies", 3.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 3.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 8.0),
            ("occupancy", 24.0 / 200.0),
        ],
        &[(
            "A001",
            &[
                ("sessions", 3.0),
                ("replies", 3.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 3.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 24.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// A silence disconnect frees the only slot, and the waiting customer is connected at
/// that very instant. One agent, cap 1; customers at 0 and 10 s; N = 2, R = 2 s, think
/// 40 s > M = 30 s, so every session ends by a premature disconnect.
///
/// ```text
///      0  C1 → A001; reply due 2000
///   2000  reply; disconnect at 32001; message 2 due 42000
///  10000  C2 arrives → waits
///  32001  premature disconnect of C1 (held silent 30001) → C2 → A001 after 22001 (over
///         the 20 s service-level threshold); reply due 34001
///  34001  reply; disconnect at 64002; message 2 due 74001
///  42000  C1's message: its session is gone, nothing happens
///  64002  premature disconnect of C2 (held silent 30001)
/// ```
#[test]
fn disconnect_frees_the_slot_for_a_waiting_customer() {
    let s = simulate(
        "disconnect_frees_slot",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 10]

[customers]
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 40 }

[sessions]
model = "turns"

[agents]
count = 1
max_sessions = 1

[agents.behaviour]
reply_time = { dist = "constant", value_s = 2 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.5),
            ("service_level", 0.5),
            ("asa_s", 11.0005),
            ("wait_s_mean", 11.0005),
            ("wait_s_max", 22.001),
            ("mean_queue_len", 0.22001),
            ("max_queue_len", 1.0),
            ("sessions", 2.0),
            ("replies", 2.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 2.0),
            ("premature_disconnects", 2.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 60.002),
            ("normal_closes", 0.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[(
            "A001",
            &[
                ("sessions", 2.0),
                ("replies", 2.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 2.0),
                ("premature_disconnects", 2.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 0.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 64.002),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// A customer arrives when no agent will ever log in again, with infinite patience: it is
/// offered, never connected, unresolved, and counts in P(wait) and as a service-level
/// miss. A1 works [0, 10) s; customers at 0 and 20 s; N = 1, R = 2 s; horizon 60 s.
///
/// ```text
///      0  C1 → A1; reply due 2000
///   2000  reply; close
///  10000  A1 logs out
///  20000  C2 arrives → waits; nothing else can happen: the run ends, C2 unresolved
/// ```
/// Queue: 1 customer over [20, 60) s (held to the window's end). Only C1's wait (0) is
/// known, so the mean and largest wait are 0.
#[test]
fn customer_nobody_serves_is_unresolved() {
    let s = simulate(
        "unresolved",
        r#"
[run]
horizon_s = 60
interval_s = 60
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 20]

[customers]
messages = { dist = "constant", value = 1 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
roster = [{ id = "A1", max_sessions = 1, shift_start = 0, shift_end = 10 }]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 2 }

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("abandon_ratio", 0.0),
            ("unresolved", 1.0),
            ("p_wait", 0.5),
            ("service_level", 0.5),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 40.0 / 60.0),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[(
            "A1",
            &[
                ("sessions", 1.0),
                ("replies", 1.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 1.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 10.0),
                ("session_s", 2.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

// ----- log-out ------------------------------------------------------------------------

/// `log_out = "finish"`: A1 (cap 2) works [0, 20) s and keeps its session after log-out
/// until it ends, but gets nothing new although it has room; A2 (cap 1) works the whole
/// run. N = 2, R = 5 s, think 20 s; customers at 0, 22 and 23 s.
///
/// ```text
///      0  C1 → A1 (tie: lowest id); reply due 5000
///   5000  A1 replies; message 2 due 25000
///  20000  A1 logs out, keeping C1
///  22000  C2 → A2 (A1 is offline); reply due 27000
///  23000  C3 arrives: A2 full, A1 offline → waits
///  25000  C1's message 2; A1 (offline) replies at 30000
///  27000  A2 replies to C2; message 2 due 47000
///  30000  A1 replies; C1 closes
///  47000  C2's message 2; reply due 52000
///  52000  A2 replies; C2 closes → C3 → A2 after 29000 (over the 20 s threshold);
///         reply due 57000
///  57000  reply; message 2 due 77000
///  77000  message 2; reply due 82000
///  82000  reply; C3 closes
/// ```
/// A1 holds C1 over [0, 30) s, 20 s of it logged in: occupancy 20 / (2 × 20). A2 holds
/// one session over [22, 82) s. Queue: 1 customer over [23, 52) s.
#[test]
fn log_out_finish_keeps_open_sessions_and_takes_nothing_new() {
    let s = simulate(
        "log_out_finish",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 22, 23]

[customers]
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 20 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 2, shift_start = 0, shift_end = 20 },
  { id = "A2", max_sessions = 1, shift_start = 0, shift_end = 100 },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 5 }
log_out = "finish"

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 3.0),
            ("connected", 3.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 1.0 / 3.0),
            ("service_level", 2.0 / 3.0),
            ("asa_s", 29.0 / 3.0),
            ("wait_s_mean", 29.0 / 3.0),
            ("wait_s_max", 29.0),
            ("mean_queue_len", 0.29),
            ("max_queue_len", 1.0),
            ("sessions", 3.0),
            ("replies", 6.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 3.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 5.0),
            ("occupancy", 80.0 / 140.0),
            ("logged_in_agent_hours", 120.0 / 3600.0),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 1.0),
                    ("replies", 2.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 20.0),
                    ("session_s", 30.0),
                    ("busy_time_s", 0.0),
                    ("occupancy", 0.5),
                ],
            ),
            (
                "A2",
                &[
                    ("sessions", 2.0),
                    ("replies", 4.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 2.0),
                    ("handed_back", 0.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 100.0),
                    ("session_s", 60.0),
                    ("busy_time_s", 0.0),
                    ("occupancy", 0.6),
                ],
            ),
        ],
    );
}

/// `log_out = "hand_back"` while a reply is owed. A1 works [0, 11) s, A2 [25, 100) s;
/// one customer at 0; N = 2, R = 12 s, think 5 s, I = 10 s; reply target 30 s. The reply
/// stays owed since the opening message (0): its reminders keep the grid 0 + k·I + 1 ms,
/// only those falling while connected are sent, and A2 draws its reply at reconnection.
///
/// ```text
///      0  C1 → A1; reply due 12000; reminder at 10001
///  10001  reminder to A1 (the session's first); next on the grid: 20001
///  11000  A1 logs out: C1 handed back to the queue (its reply of 12000 dropped, the
///         20001 reminder too)
///  25000  A2 logs in → C1 reconnected, reply still owed since 0; reminders resume at the
///         first grid point from now: 10001 + 2 × 10000 = 30001; A2's reply due
///         25000 + 12000 = 37000
///  30001  reminder to A2 (next 40001)
///  37000  A2 replies, latency 37000 from the opening message: missed, and late (> 30 s);
///         message 2 due 42000
///  42000  message 2; reply due 54000; reminder at 52001
///  52001  reminder to A2
///  54000  A2 replies, latency 12000: missed, not late; N = 2 → close
/// ```
/// Queue: the handed-back session over [11, 25) s. The customer itself was connected at
/// once (wait 0); its reconnection is not a customer wait.
#[test]
fn hand_back_with_a_reply_owed_resumes_the_reply_and_its_reminders() {
    let s = simulate(
        "hand_back_owed",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1
reply_target_s = 30

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 5 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 1, shift_start = 0, shift_end = 11 },
  { id = "A2", max_sessions = 1, shift_start = 25, shift_end = 100 },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 12 }
log_out = "hand_back"

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.14),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 2.0),
            ("missed_responses", 2.0),
            ("late_replies", 1.0),
            ("reminders", 3.0),
            ("sessions_with_reminder", 1.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 24.5),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 1.0),
                    ("replies", 0.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 1.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 0.0),
                    ("handed_back", 1.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 11.0),
                    ("session_s", 11.0),
                    ("busy_time_s", 0.0),
                ],
            ),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 2.0),
                    ("missed_responses", 2.0),
                    ("late_replies", 1.0),
                    ("reminders", 2.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 1.0),
                    ("logged_in_s", 75.0),
                    ("session_s", 29.0),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 24.5),
                ],
            ),
        ],
    );
}

/// The desk of the three hand-back-while-thinking tests: A1 works [0, 5) s and hands its
/// session back; A2 logs in at `a2_start_s`; one customer at 0; N = 2, R = 2 s, I = 10 s,
/// M = 30 s and the given think time. At log-out the customer owes the next message.
fn thinking_desk(a2_start_s: u32, think_s: u32) -> String {
    format!(
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = {{ dist = "constant", value = 2 }}
think_time = {{ dist = "constant", value_s = {think_s} }}

[sessions]
model = "turns"

[agents]
roster = [
  {{ id = "A1", max_sessions = 1, shift_start = 0, shift_end = 5 }},
  {{ id = "A2", max_sessions = 1, shift_start = {a2_start_s}, shift_end = 100 }},
]

[agents.behaviour]
reply_time = {{ dist = "constant", value_s = 2 }}
log_out = "hand_back"

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#
    )
}

/// A1's row in the thinking tests: it answered the opening message in 2 s, then handed
/// the session back at 5 s.
fn thinking_a1() -> Vec<(&'static str, f64)> {
    vec![
        ("sessions", 1.0),
        ("replies", 1.0),
        ("missed_responses", 0.0),
        ("late_replies", 0.0),
        ("reminders", 0.0),
        ("disconnects", 0.0),
        ("premature_disconnects", 0.0),
        ("ghost_disconnects", 0.0),
        ("normal_closes", 0.0),
        ("handed_back", 1.0),
        ("reconnected", 0.0),
        ("logged_in_s", 5.0),
        ("session_s", 5.0),
        ("busy_time_s", 0.0),
        ("reply_latency_s_mean", 2.0),
    ]
}

/// Handed back while the customer thinks (think 6 s); the pending message arrives at its
/// drawn instant while the session waits; A2 (in at 20 s) owes the reply from that message
/// on reconnection and answers it once.
///
/// ```text
///      0  C1 → A1; reply due 2000
///   2000  A1 replies; message 2 due 8000; disconnect at 32001
///   5000  A1 logs out: C1 handed back (disconnect cancelled; message 2 keeps 8000)
///   8000  message 2 while waiting: the reply is owed from 8000
///  20000  A2 logs in → C1 reconnected; the reply owed since 8000: reminder grid
///         8000 + k·10000 + 1 → 18001 is past, next 28001; A2's reply due 22000
///  22000  A2 replies, latency 14000 > I: missed (no reminder fell while connected);
///         N = 2 → close
/// ```
/// Queue: the handed-back session over [5, 20) s.
#[test]
fn hand_back_while_thinking_message_arrives_while_waiting() {
    let s = simulate("hand_back_thinking_waiting", &thinking_desk(20, 6));
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.15),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 2.0),
            ("missed_responses", 1.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 8.0),
        ],
        &[
            ("A1", &thinking_a1()),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 1.0),
                    ("missed_responses", 1.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 1.0),
                    ("logged_in_s", 80.0),
                    ("session_s", 2.0),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 14.0),
                ],
            ),
        ],
    );
}

/// Handed back while the customer thinks (think 6 s); A2 (in at 6 s) takes the session
/// before the pending message, which arrives at its drawn instant and is answered once.
///
/// ```text
///      0  C1 → A1; reply due 2000
///   2000  A1 replies; message 2 due 8000; disconnect at 32001
///   5000  A1 logs out: C1 handed back
///   6000  A2 logs in → C1 reconnected; the customer owes the message: disconnect at
///         2000 + 30000 + 1 = 32001; no reply from A2 (none is owed)
///   8000  message 2; A2's reply due 10000; reminder at 18001
///  10000  A2 replies, latency 2000; N = 2 → close
/// ```
/// Queue: the handed-back session over [5, 6) s.
#[test]
fn hand_back_while_thinking_message_arrives_after_reconnection() {
    let s = simulate("hand_back_thinking_reconnected", &thinking_desk(6, 6));
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.01),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 2.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[
            ("A1", &thinking_a1()),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 1.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 1.0),
                    ("logged_in_s", 94.0),
                    ("session_s", 4.0),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 2.0),
                ],
            ),
        ],
    );
}

/// Handed back while the customer thinks (think 50 s > M); A2 logs in at 40 s, past the
/// silence deadline of A1's last reply, so the session is disconnected at once on
/// reconnection: premature (message 2 was pending), with no silent slot-time (the slot
/// was held from the reconnection only).
///
/// ```text
///      0  C1 → A1; reply due 2000
///   2000  A1 replies; message 2 due 52000; disconnect at 32001
///   5000  A1 logs out: C1 handed back (no disconnect while waiting)
///  40000  A2 logs in → C1 reconnected; the disconnect deadline 32001 is past → armed at
///         40000 and fired at once: premature, held silent 40000 − 40000 = 0
///  52000  the pending message finds no session
/// ```
/// Queue: the handed-back session over [5, 40) s.
#[test]
fn hand_back_while_thinking_past_the_message_interval_disconnects_at_reconnection() {
    let s = simulate("hand_back_thinking_past", &thinking_desk(40, 50));
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.35),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 1.0),
            ("premature_disconnects", 1.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 0.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[
            ("A1", &thinking_a1()),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 0.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 1.0),
                    ("premature_disconnects", 1.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 0.0),
                    ("handed_back", 0.0),
                    ("reconnected", 1.0),
                    ("logged_in_s", 60.0),
                    ("session_s", 0.0),
                    ("busy_time_s", 0.0),
                ],
            ),
        ],
    );
}

/// `log_out = "hand_back"` with a customer already waiting: A1's two sessions go to the
/// head of the queue, oldest first, ahead of the waiting C3; handed-back sessions never
/// abandon (their patience ended with their first connection) while C3's runs from its
/// arrival. A1 (cap 2) works [0, 10) s, A2 (cap 1) [18, 100) s; patience 20 s; N = 2,
/// R = 2 s, think 20 s; customers at 0, 1 and 3.5 s.
///
/// ```text
///      0  C1 → A1 (count 1); reply due 2000
///   1000  C2 → A1 (count 2); reply due 3000
///   2000  A1 replies to C1; C1's message 2 due 22000
///   3000  A1 replies to C2; C2's message 2 due 23000
///   3500  C3 arrives: A1 full, A2 off → waits (patience until 23500)
///  10000  A1 logs out: queue [C1, C2, C3]
///  18000  A2 logs in → C1 reconnected (customer owes the message; disconnect at 32001)
///  22000  C1's message 2; A2's reply due 24000
///  23000  C2's message 2 while waiting: reply owed from 23000
///  23500  C3 abandons after 20000 (C1 and C2 arrived earlier and do not)
///  24000  A2 replies to C1 (latency 2000); C1 closes → C2 reconnected, reply owed since
///         23000 (reminder at 33001); A2's reply due 26000
///  26000  A2 replies to C2 (latency 3000); C2 closes
/// ```
/// Queue: 1 over [3.5, 10), 3 over [10, 18), 2 over [18, 23.5), 1 over [23.5, 24) s:
/// 6.5 + 24 + 11 + 0.5 = 42 customer-seconds of 100 s. A1 holds 1 session over [0, 1) s
/// and 2 over [1, 10) s; A2 one over [18, 26) s.
#[test]
fn hand_back_goes_ahead_of_a_waiting_customer_and_never_abandons() {
    let s = simulate(
        "hand_back_ahead_of_waiting",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 1, 3.5]

[customers]
patience = { dist = "constant", value_s = 20 }
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 20 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 2, shift_start = 0, shift_end = 10 },
  { id = "A2", max_sessions = 1, shift_start = 18, shift_end = 100 },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 2 }
log_out = "hand_back"

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 3.0),
            ("connected", 2.0),
            ("abandoned", 1.0),
            ("unresolved", 0.0),
            ("p_wait", 1.0 / 3.0),
            ("service_level", 2.0 / 3.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 20.0 / 3.0),
            ("wait_s_max", 20.0),
            ("mean_queue_len", 0.42),
            ("max_queue_len", 3.0),
            ("sessions", 2.0),
            ("replies", 4.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 2.0),
            ("handed_back", 2.0),
            ("reconnected", 2.0),
            ("reply_latency_s_mean", 2.25),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 2.0),
                    ("replies", 2.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 0.0),
                    ("handed_back", 2.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 10.0),
                    ("session_s", 19.0),
                    ("busy_time_s", 0.0),
                ],
            ),
            (
                "A2",
                &[
                    ("sessions", 2.0),
                    ("replies", 2.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 2.0),
                    ("handed_back", 0.0),
                    ("reconnected", 2.0),
                    ("logged_in_s", 82.0),
                    ("session_s", 8.0),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 2.5),
                ],
            ),
        ],
    );
}

// ----- load -----------------------------------------------------------------------------

/// load_slowdown = 0.5 and speed factor 1.5 on R = 4 s: a reply takes
/// 4 × 1.5 × (1 + 0.5 × (count − 1)) = 6, 9 or 12 s at 1, 2 or 3 open sessions, count
/// taken when the message arrives (at connection for the opening message). One agent,
/// cap 3; customers at 0, 1 and 2 s; N = 2, think 3 s; I = 10 s.
///
/// ```text
///      0  C1 → A1 (count 1): reply due 6000
///   1000  C2 → A1 (count 2): reply due 1000 + 9000 = 10000
///   2000  C3 → A1 (count 3): reply due 2000 + 12000 = 14000; reminder at 12001
///   6000  reply to C1 (6000); message 2 due 9000
///   9000  C1's message 2 (count 3): reply due 21000; reminder at 19001
///  10000  reply to C2 (9000); message 2 due 13000
///  12001  reminder (C3's)
///  13000  C2's message 2 (count 3): reply due 25000; reminder at 23001
///  14000  reply to C3 (12000, missed); message 2 due 17000
///  17000  C3's message 2 (count 3): reply due 29000; reminder at 27001
///  19001  reminder (C1's)
///  21000  reply to C1 (12000, missed); close
///  23001  reminder (C2's)
///  25000  reply to C2 (12000, missed); close
///  27001  reminder (C3's second; the session already had one)
///  29000  reply to C3 (12000, missed); close
/// ```
/// Latencies 6 + 9 + 12 + 12 + 12 + 12 = 63 s over 6 replies; sessions held
/// 21 + 24 + 27 = 72 s.
#[test]
fn reply_time_slows_down_with_the_agents_service_count() {
    let s = simulate(
        "load_slowdown",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 1, 2]

[customers]
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 3 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 3, shift_start = 0, shift_end = 100, speed_factor = 1.5 },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 4 }
load_slowdown = 0.5

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 3.0),
            ("connected", 3.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 3.0),
            ("replies", 6.0),
            ("missed_responses", 4.0),
            ("late_replies", 0.0),
            ("reminders", 4.0),
            ("sessions_with_reminder", 3.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 3.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 10.5),
            ("occupancy", 72.0 / 300.0),
        ],
        &[(
            "A1",
            &[
                ("sessions", 3.0),
                ("replies", 6.0),
                ("missed_responses", 4.0),
                ("late_replies", 0.0),
                ("reminders", 4.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 3.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 72.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// The desk of the two same-instant slowdown tests: A1 (cap 2) works from `shift_start_s`;
/// customers at `times_s`; N = 1, R = 4 s, load_slowdown 0.5 (so 4 s at one open session,
/// 6 s at two).
fn same_instant_desk(times_s: &str, shift_start_s: u32) -> String {
    format!(
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = {times_s}

[customers]
messages = {{ dist = "constant", value = 1 }}
think_time = {{ dist = "constant", value_s = 3 }}

[sessions]
model = "turns"

[agents]
roster = [
  {{ id = "A1", max_sessions = 2, shift_start = {shift_start_s}, shift_end = 100 }},
]

[agents.behaviour]
reply_time = {{ dist = "constant", value_s = 4 }}
load_slowdown = 0.5

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#
    )
}

/// Two customers connected to one agent at the same instant: each opening message counts
/// the sessions open at its own connection, the first 1, the second 2.
///
/// ```text
///  10000  C1 → A1 (count 1): reply due 10000 + 4000 = 14000
///  10000  C2 → A1 (count 2): reply due 10000 + 6000 = 16000
///  14000  reply to C1; close
///  16000  reply to C2; close
/// ```
#[test]
fn reply_time_counts_each_connection_of_one_instant_in_turn() {
    let s = simulate("same_instant_arrivals", &same_instant_desk("[10, 10]", 0));
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.0),
            ("max_queue_len", 0.0),
            ("sessions", 2.0),
            ("replies", 2.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 2.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 5.0),
        ],
        &[(
            "A1",
            &[
                ("sessions", 2.0),
                ("replies", 2.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 2.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 100.0),
                ("session_s", 10.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// The same two connections at 10 s, made by one log-in that takes both waiting
/// customers: the model is the same as in the test above, so are the reply times.
///
/// ```text
///      0  C1 arrives, nobody logged in → waits
///   1000  C2 arrives → waits
///  10000  A1 logs in: C1 → A1 (count 1): reply due 14000; C2 → A1 (count 2): 16000
///  14000  reply to C1; close
///  16000  reply to C2; close
/// ```
/// (A world that read the agent's count after the engine call answered both at 16000;
/// the `Connected` event now carries each connection's own count.)
#[test]
fn reply_time_counts_only_earlier_connections_when_a_log_in_takes_several() {
    let s = simulate("same_instant_log_in", &same_instant_desk("[0, 1]", 10));
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 1.0),
            ("service_level", 1.0),
            ("asa_s", 9.5),
            ("wait_s_mean", 9.5),
            ("wait_s_max", 10.0),
            ("mean_queue_len", 0.19),
            ("max_queue_len", 2.0),
            ("sessions", 2.0),
            ("replies", 2.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 2.0),
            ("handed_back", 0.0),
            ("reconnected", 0.0),
            ("reply_latency_s_mean", 5.0),
        ],
        &[(
            "A1",
            &[
                ("sessions", 2.0),
                ("replies", 2.0),
                ("missed_responses", 0.0),
                ("late_replies", 0.0),
                ("reminders", 0.0),
                ("disconnects", 0.0),
                ("premature_disconnects", 0.0),
                ("ghost_disconnects", 0.0),
                ("normal_closes", 2.0),
                ("handed_back", 0.0),
                ("reconnected", 0.0),
                ("logged_in_s", 90.0),
                ("session_s", 10.0),
                ("busy_time_s", 0.0),
            ],
        )],
    );
}

/// Handed back while the customer thinks (think 50 s > M); A2 logs in at 20 s, before
/// the silence deadline, which stays last reply + M + 1; the silent slot-time is counted
/// from the reconnection (the wait held no slot).
///
/// ```text
///      0  C1 → A1; reply due 2000
///   2000  A1 replies; message 2 due 52000; disconnect at 32001
///   5000  A1 logs out: C1 handed back
///  20000  A2 logs in → C1 reconnected; disconnect at 32001
///  32001  premature disconnect, held silent 32001 − 20000 = 12001
///  52000  the pending message finds no session
/// ```
#[test]
fn hand_back_silent_capacity_counts_from_the_reconnection() {
    let s = simulate("hand_back_silent_capacity", &thinking_desk(20, 50));
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.15),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 0.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 1.0),
            ("premature_disconnects", 1.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 12.001),
            ("normal_closes", 0.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 2.0),
        ],
        &[
            ("A1", &thinking_a1()),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 0.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 1.0),
                    ("premature_disconnects", 1.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 0.0),
                    ("handed_back", 0.0),
                    ("reconnected", 1.0),
                    ("logged_in_s", 80.0),
                    ("session_s", 12.001),
                    ("busy_time_s", 0.0),
                ],
            ),
        ],
    );
}

/// A session that waited before its first connection (so its patience clock was running)
/// is handed back and waits past the instant its patience would have run out: it does not
/// abandon. A1 (cap 1) works [0, 20) s, A2 (cap 1) [40, 100) s; patience 30 s; N = 2,
/// R = 4 s, think 3 s; customers at 0 and 1 s.
///
/// ```text
///      0  C1 → A1; reply due 4000
///   1000  C2 arrives → waits (patience until 31000)
///   4000  reply to C1; message 2 due 7000
///   7000  C1's message 2; reply due 11000
///  11000  reply to C1; C1 closes → C2 → A1 after 10000; reply due 15000
///  15000  reply to C2; message 2 due 18000
///  18000  C2's message 2; reply due 22000; reminder at 28001
///  20000  A1 logs out with the reply owed: C2 handed back (reply and reminder dropped)
///  31000  C2's patience would run out: it was connected once, it stays
///  40000  A2 logs in → C2 reconnected, reply owed since 18000: reminder grid 28001,
///         38001 past, next 48001; A2's reply due 44000
///  44000  A2 replies, latency 26000: missed; N = 2 → close
/// ```
/// Queue: C2 over [1, 11) s and again over [20, 40) s: 30 customer-seconds of 100.
#[test]
fn hand_back_of_a_session_that_waited_first_never_abandons() {
    let s = simulate(
        "hand_back_waited_first",
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0, 1]

[customers]
patience = { dist = "constant", value_s = 30 }
messages = { dist = "constant", value = 2 }
think_time = { dist = "constant", value_s = 3 }

[sessions]
model = "turns"

[agents]
roster = [
  { id = "A1", max_sessions = 1, shift_start = 0, shift_end = 20 },
  { id = "A2", max_sessions = 1, shift_start = 40, shift_end = 100 },
]

[agents.behaviour]
reply_time = { dist = "constant", value_s = 4 }
log_out = "hand_back"

[thresholds]
reply_interval_s = 10
message_interval_s = 30
"#,
    );
    expect(
        &s,
        &[
            ("offered", 2.0),
            ("connected", 2.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.5),
            ("service_level", 1.0),
            ("asa_s", 5.0),
            ("wait_s_mean", 5.0),
            ("wait_s_max", 10.0),
            ("mean_queue_len", 0.3),
            ("max_queue_len", 1.0),
            ("sessions", 2.0),
            ("replies", 4.0),
            ("missed_responses", 1.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 2.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 9.5),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 2.0),
                    ("replies", 3.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 1.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 20.0),
                    ("session_s", 20.0),
                    ("busy_time_s", 0.0),
                ],
            ),
            (
                "A2",
                &[
                    ("sessions", 1.0),
                    ("replies", 1.0),
                    ("missed_responses", 1.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 1.0),
                    ("handed_back", 0.0),
                    ("reconnected", 1.0),
                    ("logged_in_s", 60.0),
                    ("session_s", 4.0),
                    ("busy_time_s", 0.0),
                    ("reply_latency_s_mean", 26.0),
                ],
            ),
        ],
    );
}

/// The desk of the two overlooked-after-hand-back tests: every message overlooked
/// (reaction 12 s, overlook delay 7 s); A1 works [0, `a1_end_s`), A2 [20, 100) s; one
/// customer at 0, N = 1; I = 10 s and the given reminder settings. At reconnection no
/// reminder can fall any more, so the overlooked message must be answered as when
/// reminders are off: after the overlook delay.
fn overlooked_hand_back_desk(a1_end_s: u32, reminders: &str) -> String {
    format!(
        r#"
[run]
horizon_s = 100
interval_s = 100
replications = 1

[arrivals]
kind = "trace"
times_s = [0]

[customers]
messages = {{ dist = "constant", value = 1 }}
think_time = {{ dist = "constant", value_s = 5 }}

[sessions]
model = "turns"

[agents]
roster = [
  {{ id = "A1", max_sessions = 1, shift_start = 0, shift_end = {a1_end_s} }},
  {{ id = "A2", max_sessions = 1, shift_start = 20, shift_end = 100 }},
]

[agents.behaviour]
reply_time = {{ dist = "constant", value_s = 2 }}
overlook_prob = 1
reaction_time = {{ dist = "constant", value_s = 12 }}
overlook_delay = {{ dist = "constant", value_s = 7 }}
log_out = "hand_back"

[thresholds]
reply_interval_s = 10
message_interval_s = 30
{reminders}
"#
    )
}

/// A2's row in the overlooked-after-hand-back tests: it takes the session at 20 s and
/// answers at 27 s, 27 s after the opening message.
fn overlooked_hand_back_a2() -> Vec<(&'static str, f64)> {
    vec![
        ("sessions", 1.0),
        ("replies", 1.0),
        ("missed_responses", 1.0),
        ("late_replies", 0.0),
        ("reminders", 0.0),
        ("disconnects", 0.0),
        ("premature_disconnects", 0.0),
        ("ghost_disconnects", 0.0),
        ("normal_closes", 1.0),
        ("handed_back", 0.0),
        ("reconnected", 1.0),
        ("logged_in_s", 80.0),
        ("session_s", 7.0),
        ("busy_time_s", 0.0),
        ("reply_latency_s_mean", 27.0),
    ]
}

/// Non-repeating reminders; A1 hands the session back at 5 s, before its one reminder.
///
/// ```text
///      0  C1 → A1; opening message overlooked; reminder at 10001
///   5000  A1 logs out: C1 handed back, reply owed since 0 (reminder cancelled)
///  20000  A2 logs in → C1 reconnected; the one reminder point (10001) is past, so no
///         reminder can come; A2 overlooks the message too → reply after the overlook
///         delay: 27000
///  27000  A2 replies, latency 27000: missed; close
/// ```
/// (The simulator once never answered: A2 waited for a reminder that could not come, and
/// the session stayed open forever. An overlooked message now waits for a reminder only
/// when the engine has one armed.)
#[test]
fn overlooked_after_hand_back_with_the_one_reminder_past_waits_the_overlook_delay() {
    let s = simulate(
        "overlooked_hand_back_once",
        &overlooked_hand_back_desk(5, "repeat_reminders = false"),
    );
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.15),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 1.0),
            ("late_replies", 0.0),
            ("reminders", 0.0),
            ("sessions_with_reminder", 0.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 27.0),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 1.0),
                    ("replies", 0.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 0.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 0.0),
                    ("handed_back", 1.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 5.0),
                    ("session_s", 5.0),
                    ("busy_time_s", 0.0),
                ],
            ),
            ("A2", &overlooked_hand_back_a2()),
        ],
    );
}

/// `reminder_cap = 1`; A1 gets the one reminder, then hands the session back at 15 s,
/// before its reply (reminder + 12 s reaction).
///
/// ```text
///      0  C1 → A1; opening message overlooked; reminder at 10001
///  10001  reminder 1 (the cap) → A1's reply due 22001
///  15000  A1 logs out: C1 handed back (the 22001 reply dropped)
///  20000  A2 logs in → C1 reconnected; the cap is reached, so no reminder can come; A2
///         overlooks the message too → reply after the overlook delay: 27000
///  27000  A2 replies, latency 27000: missed; close
/// ```
/// (The simulator once never answered, as in the test above.)
#[test]
fn overlooked_after_hand_back_with_the_reminder_cap_reached_waits_the_overlook_delay() {
    let s = simulate(
        "overlooked_hand_back_capped",
        &overlooked_hand_back_desk(15, "reminder_cap = 1"),
    );
    expect(
        &s,
        &[
            ("offered", 1.0),
            ("connected", 1.0),
            ("abandoned", 0.0),
            ("unresolved", 0.0),
            ("p_wait", 0.0),
            ("service_level", 1.0),
            ("asa_s", 0.0),
            ("wait_s_mean", 0.0),
            ("wait_s_max", 0.0),
            ("mean_queue_len", 0.05),
            ("max_queue_len", 1.0),
            ("sessions", 1.0),
            ("replies", 1.0),
            ("missed_responses", 1.0),
            ("late_replies", 0.0),
            ("reminders", 1.0),
            ("sessions_with_reminder", 1.0),
            ("disconnects", 0.0),
            ("premature_disconnects", 0.0),
            ("ghost_disconnects", 0.0),
            ("silent_capacity_s", 0.0),
            ("normal_closes", 1.0),
            ("handed_back", 1.0),
            ("reconnected", 1.0),
            ("reply_latency_s_mean", 27.0),
        ],
        &[
            (
                "A1",
                &[
                    ("sessions", 1.0),
                    ("replies", 0.0),
                    ("missed_responses", 0.0),
                    ("late_replies", 0.0),
                    ("reminders", 1.0),
                    ("disconnects", 0.0),
                    ("premature_disconnects", 0.0),
                    ("ghost_disconnects", 0.0),
                    ("normal_closes", 0.0),
                    ("handed_back", 1.0),
                    ("reconnected", 0.0),
                    ("logged_in_s", 15.0),
                    ("session_s", 15.0),
                    ("busy_time_s", 0.0),
                ],
            ),
            ("A2", &overlooked_hand_back_a2()),
        ],
    );
}
