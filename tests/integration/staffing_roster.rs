//! `staff`'s shrinkage, FTE and roster gap from the command line: the appended
//! staffing.csv columns worked out by hand, `--json` holding the CSV's numbers, the old
//! columns untouched, and a bad shrinkage refused with the field, the value and the fix.

use assert_cmd::Command;
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

/// A small holding desk over 08:00–10:00 in four half hours: no chats in the first,
/// third and fourth (nothing to staff: 0 agents, no simulation), 120 an hour of 60 s
/// chats (2 Erlangs) in the second. The roster, by hand (minutes past 08:00):
///
/// | agent | shift       | break        |
/// |-------|-------------|--------------|
/// | A1    | 08:00–09:00 | 08:30–08:45  |
/// | A2    | 08:15–09:15 |              |
/// | A3    | 09:00–10:00 |              |
///
/// Logged in, time-weighted (agent-minutes / 30):
/// - 08:00–08:30: A1 30 + A2 15 = 45 → 1.5; no break → on the floor 1.5.
/// - 08:30–09:00: A1 30 + A2 30 = 60 → 2; A1's 15-minute break → on the floor 45/30 = 1.5.
/// - 09:00–09:30: A2 15 + A3 30 = 45 → 1.5 (on the floor 1.5).
/// - 09:30–10:00: A3 30 → 1.
///
/// Gap = on the floor − required: +1.5, 1.5 − required, +1.5, +1.
const DESK: &str = r#"
[run]
clock_origin = "08:00"
horizon_s = 7200
replications = 4
seed = 3
service_level_threshold_s = 20

[arrivals]
kind = "profile"
intervals = [
  { start = "08:00", end = "08:30", rate_per_hour = 0 },
  { start = "08:30", end = "09:00", rate_per_hour = 120 },
  { start = "09:00", end = "09:30", rate_per_hour = 0 },
  { start = "09:30", end = "10:00", rate_per_hour = 0 },
]

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 60 }

[agents]
max_sessions = 1
roster = [
  { id = "A1", shift_start = "08:00", shift_end = "09:00", breaks = "08:30+15m" },
  { id = "A2", shift_start = "08:15", shift_end = "09:15" },
  { id = "A3", shift_start = "09:00", shift_end = "10:00" },
]

[staffing]
shrinkage = 0.2
"#;

/// The CSV's columns before this change, in order: a contract (docs/outputs.md).
const OLD_HEADER: &str = "start_s,end_s,start,end,rate_per_hour,required_agents,\
required_sessions,targets_met,unmet_targets,erlang_c_agents,erlang_c_servers,\
erlang_c_session_s,search_start_agents,candidates_simulated,service_level_mean,\
service_level_ci95,occupancy_mean,occupancy_ci95,erlang_a_agents,erlang_a_servers,\
replications,replications_total,warmup_s,horizon_s";
const NEW_COLUMNS: &str = "shrinkage,fte_required,roster_logged_in,roster_on_floor,roster_gap";
/// Appended after them: the chat rule of thumb beside Erlang C.
const THUMB_COLUMNS: &str = "rule_of_thumb_concurrency,rule_of_thumb_factor,\
rule_of_thumb_aht_s,rule_of_thumb_agents,required_vs_rule_of_thumb";

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn staff(sc: &str, out: &Path, extra: &[&str]) -> Vec<u8> {
    chatsim()
        .args(["staff", sc, "--target", "service_level=0.8"])
        .args(extra)
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(0);
    std::fs::read(out.join("staffing.csv")).unwrap()
}

fn rows(csv: &[u8]) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn staff_reports_fte_and_the_roster_gap_worked_by_hand() {
    let dir = TempDir::new().unwrap();
    let sc = write(&dir, "desk.toml", DESK);
    let csv = staff(&sc, &dir.path().join("a"), &[]);
    let text = String::from_utf8(csv.clone()).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        format!("{OLD_HEADER},{NEW_COLUMNS},{THUMB_COLUMNS}"),
        "new columns are appended after the old ones"
    );
    let rows = rows(&csv);
    assert_eq!(rows.len(), 4);
    let f = |row: &BTreeMap<String, String>, k: &str| row[k].parse::<f64>().unwrap();
    let logged_in = [1.5, 2.0, 1.5, 1.0];
    let on_floor = [1.5, 1.5, 1.5, 1.0];
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(
            f(row, "shrinkage"),
            0.2,
            "the scenario's [staffing] shrinkage"
        );
        assert_eq!(f(row, "roster_logged_in"), logged_in[k], "interval {k}");
        assert_eq!(f(row, "roster_on_floor"), on_floor[k], "interval {k}");
        let required = f(row, "required_agents");
        // FTE = agents on the floor / (1 − 0.2): e.g. 10 agents → 12.5.
        assert_eq!(f(row, "fte_required"), required / 0.8, "interval {k}");
        assert_eq!(f(row, "roster_gap"), on_floor[k] - required, "interval {k}");
    }
    // Nothing to staff in the empty half hours: the gap is the roster itself.
    assert_eq!(rows[0]["required_agents"], "0");
    assert_eq!(rows[0]["roster_gap"], "1.5");
    // 2 Erlangs need 4 or so agents: under-staffed by the difference.
    let busy = f(&rows[1], "required_agents");
    assert!((3.0..=6.0).contains(&busy), "{busy}");
    assert!(f(&rows[1], "roster_gap") < 0.0);
    // One chat per agent: the rule of thumb's factor is 1, so it is plain Erlang C on the
    // 60 s chats: a = 2 Erlangs, μ = 1/60, 80 % within 20 s. Erlang B: B3 = 0.210526,
    // B4 = 0.095238; C3 = 0.444444, C4 = 0.173913; SL(3) = 1 − 0.444444·e^(−1/3) =
    // 0.6815 < 0.8, SL(4) = 1 − 0.173913·e^(−2/3) = 0.9107 → 4 agents. Empty half hours: 0.
    let thumb: Vec<&str> = rows
        .iter()
        .map(|r| r["rule_of_thumb_agents"].as_str())
        .collect();
    assert_eq!(thumb, ["0", "4", "0", "0"]);
    assert_eq!(rows[1]["rule_of_thumb_agents"], rows[1]["erlang_c_agents"]);
    for row in &rows {
        assert_eq!(
            (
                row["rule_of_thumb_concurrency"].as_str(),
                row["rule_of_thumb_factor"].as_str(),
                row["rule_of_thumb_aht_s"].as_str()
            ),
            ("1", "1", "60")
        );
    }
    assert_eq!(
        f(&rows[1], "required_vs_rule_of_thumb"),
        busy - 4.0,
        "simulated − rule of thumb"
    );

    // The table: the new columns and the day summary. Half hours: agent-hours required =
    // busy × 0.5; FTE-hours = busy × 0.5 / 0.8; roster on the floor = (1.5 + 1.5 + 1.5
    // + 1) × 0.5 = 2.75; over = (1.5 + 1.5 + 1) × 0.5 = 2; under = (busy − 1.5) × 0.5.
    let under = (busy - 1.5) * 0.5;
    let day = format!(
        "day (2.0 h, 4 staffed interval(s)): {:.1} agent-hours required on the floor, \
         {:.1} FTE-hours at 20% shrinkage; roster 2.8 agent-hours on the floor: 2.0 over, \
         {under:.1} under (net {:+.1})",
        busy * 0.5,
        busy * 0.5 / 0.8,
        2.0 - under
    );
    chatsim()
        .args(["staff", &sc, "--target", "service_level=0.8"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains(day)
                .and(predicate::str::contains("FTE"))
                .and(predicate::str::contains("roster"))
                .and(predicate::str::contains("gap")),
        );
}

#[test]
fn staff_shrinkage_flag_overrides_the_field_and_leaves_the_old_columns_alone() {
    let dir = TempDir::new().unwrap();
    let sc = write(&dir, "desk.toml", DESK);
    let without = write(
        &dir,
        "plain.toml",
        &DESK.replace("[staffing]\nshrinkage = 0.2\n", ""),
    );
    let base = staff(&without, &dir.path().join("base"), &[]);
    let field = staff(&sc, &dir.path().join("field"), &[]);
    let flag = staff(&sc, &dir.path().join("flag"), &["--shrinkage", "0.3"]);
    // Shrinkage changes no simulation: every old column is byte for byte the same.
    let old_part = |csv: &[u8]| -> Vec<String> {
        String::from_utf8(csv.to_vec())
            .unwrap()
            .lines()
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                // Less the shrinkage/roster columns and the rule of thumb's.
                cells[..cells.len() - 10].join(",")
            })
            .collect()
    };
    assert_eq!(old_part(&base), old_part(&field));
    assert_eq!(old_part(&base), old_part(&flag));
    assert!(old_part(&base)[0] == OLD_HEADER);
    let shrink = |csv: &[u8]| rows(csv)[0]["shrinkage"].clone();
    assert_eq!(
        (shrink(&base), shrink(&field), shrink(&flag)),
        ("0".into(), "0.2".into(), "0.3".into())
    );
    // Without shrinkage, FTE = agents on the floor.
    for row in rows(&base) {
        assert_eq!(row["fte_required"], row["required_agents"]);
    }
    let busy: f64 = rows(&flag)[1]["required_agents"].parse().unwrap();
    let fte: f64 = rows(&flag)[1]["fte_required"].parse().unwrap();
    assert_eq!(fte, busy / (1.0 - 0.3));
}

#[test]
fn staff_json_holds_the_csv_numbers_and_the_day() {
    let dir = TempDir::new().unwrap();
    let sc = write(&dir, "desk.toml", DESK);
    let out = dir.path().join("o");
    let output = chatsim()
        .args(["staff", &sc, "--target", "service_level=0.8", "--json"])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&output).expect("stdout is JSON alone");
    let csv = rows(&std::fs::read(out.join("staffing.csv")).unwrap());
    let intervals = v["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), csv.len());
    // Each field's text as printed (pretty JSON: one `"key": value` a line), so numbers are
    // read with Rust's exact parser rather than serde_json's faster approximate one.
    let text = String::from_utf8(output.clone()).unwrap();
    let body = text.split("\"intervals\": [").nth(1).unwrap();
    let body = body.split("\"day\": {").next().unwrap();
    let mut printed: Vec<BTreeMap<String, String>> = vec![];
    for line in body.lines().map(str::trim) {
        if line == "{" {
            printed.push(BTreeMap::new());
        } else if let Some((key, value)) = line.split_once("\": ") {
            let value = value.trim_end_matches(',');
            printed
                .last_mut()
                .unwrap()
                .insert(key.trim_start_matches('"').to_string(), value.to_string());
        }
    }
    assert_eq!(printed.len(), csv.len());
    for ((j, p), row) in intervals.iter().zip(&printed).zip(&csv) {
        assert_eq!(j.as_object().unwrap().len(), row.len(), "the same fields");
        assert_eq!(p.len(), row.len());
        for (key, cell) in row {
            let raw = p[key].as_str();
            match raw {
                "null" => assert_eq!(cell, "", "{key}"),
                "true" | "false" => assert_eq!(raw, cell, "{key}"),
                _ if raw.starts_with('"') => {
                    assert_eq!(&serde_json::from_str::<String>(raw).unwrap(), cell, "{key}")
                }
                _ => assert_eq!(
                    raw.parse::<f64>().unwrap(),
                    cell.parse::<f64>().unwrap(),
                    "{key}: the same number"
                ),
            }
        }
    }
    let day = &v["day"];
    let sum = |key: &str| -> f64 {
        csv.iter()
            .map(|r| r[key].parse::<f64>().unwrap() * 0.5)
            .sum()
    };
    let close = |a: &serde_json::Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-9;
    assert!(close(&day["agent_hours_required"], sum("required_agents")));
    assert!(close(&day["fte_hours"], sum("fte_required")));
    assert!(close(&day["roster_agent_hours"], 2.75));
    assert!(close(&day["net_gap_agent_hours"], sum("roster_gap")));
    assert!(close(&day["over_agent_hours"], 2.0));
    assert_eq!(day["hours"], 2.0);
    assert_eq!(v["all_staffed"], true);
    // Every output file, the JSON included, is the same on any thread count.
    let again = chatsim()
        .args(["staff", &sc, "--target", "service_level=0.8", "--json"])
        .args(["--threads", "1"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(output, again);
    assert!(out.join("staffing_gap.svg").exists());
}

#[test]
fn staff_refuses_a_bad_shrinkage_naming_the_field_value_and_fix() {
    let dir = TempDir::new().unwrap();
    for (value, says) in [
        ("1.0", "value 1 is not below 1"),
        ("-0.1", "value -0.1 is negative"),
        ("\"abc\"", "value \"abc\" is not a number"),
        ("1.5", "value 1.5 is not below 1"),
    ] {
        let text = DESK.replace("shrinkage = 0.2", &format!("shrinkage = {value}"));
        let sc = write(&dir, "bad.toml", &text);
        for cmd in ["staff", "validate"] {
            let mut c = chatsim();
            c.args([cmd, &sc]);
            if cmd == "staff" {
                c.args(["--target", "service_level=0.8"]);
            }
            c.assert()
                .code(2)
                .stdout(predicate::str::is_empty())
                .stderr(
                    predicate::str::contains("staffing.shrinkage")
                        .and(predicate::str::contains(says))
                        .and(predicate::str::contains("from 0 up to but not including 1")),
                );
        }
    }
    let sc = write(&dir, "desk.toml", DESK);
    for (value, says) in [
        ("1.0", "value 1.0 is not below 1"),
        ("-0.1", "value -0.1 is negative"),
        ("abc", "value \"abc\" is not a number"),
        ("NaN", "is not a finite number"),
    ] {
        chatsim()
            .args(["staff", &sc, "--target", "service_level=0.8"])
            .args(["--shrinkage", value])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(
                predicate::str::contains("--shrinkage")
                    .and(predicate::str::contains(says))
                    .and(predicate::str::contains("from 0 up to but not including 1")),
            );
    }
}

/// A desk of two chats per agent: 60 chats an hour of exponential 120 s (2 Erlangs of chat),
/// 80 % within 20 s. By hand (src/plan/staffing.rs, `rule_of_thumb_agents_by_hand`, case 1):
/// the rule of thumb divides AHT by Call Centre Helper's factor 1.7 for concurrency 2:
/// EAHT = 70.588 s, and one-server-per-agent Erlang C gives SL(2) = 0.6550, SL(3) = 0.9197
/// → 3 agents. The Erlang C column counts each agent as 2 servers of 120 s: a = 2,
/// SL(3 servers) = 0.6238, SL(4) = 0.8754 → 4 servers = 2 agents. The simulated desk (one
/// 120 s chat per slot, no slowdown) is that M/M/4 on 2 agents: it needs 2, so it sits one
/// below the rule of thumb.
const PAIRS: &str = r#"
[run]
horizon_s = 3600
replications = 4
seed = 5
service_level_threshold_s = 20

[arrivals]
kind = "poisson"
rate_per_hour = 60

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 120 }

[agents]
count = 2
max_sessions = 2
"#;

#[test]
fn staff_shows_the_chat_rule_of_thumb_beside_erlang_c() {
    let dir = TempDir::new().unwrap();
    let sc = write(&dir, "pairs.toml", PAIRS);
    let out = dir.path().join("pairs");
    let csv = staff(&sc, &out, &["--replications", "8"]);
    let rows = rows(&csv);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["erlang_c_servers"], "4");
    assert_eq!(row["erlang_c_agents"], "2");
    assert_eq!(row["rule_of_thumb_concurrency"], "2");
    assert_eq!(row["rule_of_thumb_factor"], "1.7");
    let eaht: f64 = row["rule_of_thumb_aht_s"].parse().unwrap();
    assert!((eaht - 120.0 / 1.7).abs() < 1e-9, "{eaht}");
    assert_eq!(row["rule_of_thumb_agents"], "3");
    let required: i64 = row["required_agents"].parse().unwrap();
    let vs: i64 = row["required_vs_rule_of_thumb"].parse().unwrap();
    assert_eq!(vs, required - 3);
    // The table prints the rule and its columns; the chart draws it.
    chatsim()
        .args(["staff", &sc, "--target", "service_level=0.8"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("AHT ÷ 1.7 (Call Centre Helper's concurrency factor at 2")
                .and(predicate::str::contains("thumb"))
                .and(predicate::str::contains("Δthumb")),
        );
    let svg = std::fs::read_to_string(out.join("staffing.svg")).unwrap();
    assert!(svg.contains("rule of thumb (Erlang C on AHT ÷ 1.7)"));
}
