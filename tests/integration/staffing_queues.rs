//! `staff` with per-queue targets: the skill groups' head-counts, checked against the
//! one-queue answers (Erlang C and the one-queue `staff`) where theory says they agree.
//!
//! Every desk: Poisson arrivals, exponential 60 s sessions, one session per agent, no
//! abandonment, threshold 60 s, so each queue is M/M/c with SL(c) = 1 − C(c, a)·e^−(c−a)
//! (a the load in Erlangs, C Erlang's delay probability). By hand:
//! - a = 1 (60 chats/h): c = 1 carries its whole load (unstable); c = 2: C = 1/3,
//!   SL = 1 − e^−1/3 = 0.877.
//! - a = 3 (180 chats/h): c = 3 unstable; c = 4: C = 0.509, SL = 0.813.
//! - a = 4 (240 chats/h, one pooled queue): c = 4 unstable; c = 5: C = 0.554, SL = 0.796.
//!
//! With targets of 0.6 every first stable c clears its target by ≥ 0.19 (far outside any
//! CI of the default replications), so the answers are 2, 4 and 5 agents.

use super::desks;
use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

const RUN: &str = r#"
[run]
horizon_s = 36000
warmup_s = 3600
replications = 8
seed = 5
service_level_threshold_s = 60

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 60 }
"#;

/// English 60 chats/h, Spanish 180 chats/h (shares 1/4, 3/4 of 240); `skills` gives the
/// English agents' and the Spanish agents' skills.
fn two_queues(english: &str, spanish: &str) -> String {
    let queues = desks::ENGLISH_SPANISH;
    format!(
        r#"{RUN}
[arrivals]
kind = "poisson"
rate_per_hour = 240
{queues}
[agents]
roster = [
    {{ id = "E1", shift_start = "00:00", shift_end = "11:00", group = "english", max_sessions = 1, skills = "{english}" }},
    {{ id = "E2", shift_start = "00:00", shift_end = "11:00", group = "english", max_sessions = 1, skills = "{english}" }},
    {{ id = "S1", shift_start = "00:00", shift_end = "11:00", group = "spanish", max_sessions = 1, skills = "{spanish}" }},
    {{ id = "S2", shift_start = "00:00", shift_end = "11:00", group = "spanish", max_sessions = 1, skills = "{spanish}" }},
]
"#
    )
}

/// One queue at `rate` chats/h, for the one-queue `staff`.
fn one_queue(rate: u32) -> String {
    format!(
        r#"{RUN}
[arrivals]
kind = "poisson"
rate_per_hour = {rate}

[agents]
count = 3
max_sessions = 1
"#
    )
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn staff_json(sc: &str, targets: &[&str]) -> Value {
    let mut cmd = chatsim();
    cmd.args(["staff", sc, "--json"]);
    for t in targets {
        cmd.args(["--target", t]);
    }
    let out = cmd.assert().code(0).get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

/// The one-queue `staff`'s required agents at `rate`.
fn one_queue_answer(dir: &TempDir, rate: u32) -> u64 {
    let sc = write(dir, &format!("one-{rate}.toml"), &one_queue(rate));
    let v = staff_json(&sc, &["service_level>=0.6"]);
    v["intervals"][0]["required_agents"]
        .as_u64()
        .unwrap_or_else(|| panic!("one-queue staffing: {v}"))
}

#[test]
fn disjoint_queues_are_staffed_each_as_its_own_single_queue() {
    let dir = TempDir::new().unwrap();
    let sc = write(&dir, "two.toml", &two_queues("english:1", "spanish:1"));
    let v = staff_json(
        &sc,
        &["service_level[english]>=0.6", "service_level[spanish]>=0.6"],
    );
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{v}");
    assert_eq!(groups[0]["skills"], "english:1");
    assert_eq!(groups[1]["skills"], "spanish:1");
    // By hand (module doc): 2 English agents, 4 Spanish.
    assert_eq!(groups[0]["required_agents"], 2, "{v}");
    assert_eq!(groups[1]["required_agents"], 4, "{v}");
    // The same as the one-queue staff of each queue alone, and as Erlang C.
    assert_eq!(one_queue_answer(&dir, 60), 2);
    assert_eq!(one_queue_answer(&dir, 180), 4);
    let queues = v["queues"].as_array().unwrap();
    assert_eq!(queues[0]["queue"], "english");
    assert_eq!(queues[0]["erlang_c_agents"], 2, "{v}");
    assert_eq!(queues[1]["erlang_c_agents"], 4, "{v}");
    assert!((queues[0]["rate_per_hour"].as_f64().unwrap() - 60.0).abs() < 1e-9);
    // Each queue's achieved figure is near its M/M/c value (0.877, 0.813).
    for (q, exact) in [(0, 0.877), (1, 0.813)] {
        let a = &queues[q]["achieved"][0];
        let mean = a["mean"].as_f64().unwrap();
        assert!((mean - exact).abs() < 0.05, "queue {q}: {mean} vs {exact}");
        assert!(a["ci95_half_width"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(v["staffed"], true);
}

#[test]
fn a_pooled_desk_is_one_group_with_the_single_queue_answer() {
    let dir = TempDir::new().unwrap();
    let both = "english:1 spanish:1";
    let sc = write(&dir, "pooled.toml", &two_queues(both, both));
    let v = staff_json(
        &sc,
        &["service_level[english]>=0.6", "service_level[spanish]>=0.6"],
    );
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "every agent has every skill: {v}");
    assert_eq!(groups[0]["roster_agents"], 4);
    // By hand: 240 chats/h of 60 s is 4 Erlangs, c = 5.
    assert_eq!(groups[0]["required_agents"], 5, "{v}");
    assert_eq!(one_queue_answer(&dir, 240), 5);
}

#[test]
fn per_queue_targets_outputs_are_written() {
    let dir = TempDir::new().unwrap();
    let sc = write(&dir, "two.toml", &two_queues("english:1", "spanish:1"));
    let out = dir.path().join("out");
    chatsim()
        .args(["staff", &sc, "--target", "service_level[english]>=0.6"])
        .args(["--target", "service_level[spanish]>=0.6", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let groups = std::fs::read_to_string(out.join("staffing_groups.csv")).unwrap();
    assert_eq!(
        groups,
        "group,skills,roster_agents,required_agents\n1,english:1,2,2\n2,spanish:1,2,4\n"
    );
    let queues = std::fs::read_to_string(out.join("staffing_queues.csv")).unwrap();
    let lines: Vec<&str> = queues.lines().collect();
    assert_eq!(lines.len(), 3, "{queues}");
    assert!(lines[1].starts_with("english,60.000,service_level[english]>=0.6,"));
    let english: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        english[5..7],
        ["2", "2"],
        "Erlang C servers and agents: {queues}"
    );
    assert!(lines[2].starts_with("spanish,180.000,service_level[spanish]>=0.6,"));
}
