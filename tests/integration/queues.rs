//! Per-queue figures and targets through the real binary, on a two-queue desk worked by
//! hand (`tests/fixtures/two-queues.toml`).
//!
//! By hand: 20 customers arrive 10 s apart from 08:00:00 (the last at 08:03:10, all in
//! the first five-minute interval). Each goes to segment `en` (queue english) or `es`
//! (queue spanish) by the seeded draw of the segment shares, so the split, n_en + n_es =
//! 20, is read from the desk's figures; everything else follows from it:
//! - english: E1 (skill english only, 10 sessions, each chat held 50 s; at most 5 chats
//!   overlap) takes every English customer at once: offered n_en, connected n_en, wait
//!   0, service level 1, P(wait) 0, abandon ratio 0.
//! - spanish: S1, its only agent, logs in at 08:09, and nobody overflows, so every Spanish
//!   customer gives up after its constant 5 s patience: offered n_es, abandoned n_es,
//!   abandon ratio 1, service level 0 (an abandoner is a miss), mean wait = p50 = p90 =
//!   max = 5 s; ASA has no connected customer (0, as at run level).
//! - the desk: offered 20, connected n_en, abandoned n_es.
//! - the second interval (08:05–08:10) offers nobody in either queue.
//!
//! Targets: `service_level[english]>=0.9` holds (1), `abandon_ratio[spanish]<=0.1` fails
//! (1), `offered>=20` holds.

use assert_cmd::Command;
use std::path::Path;

const DESK: &str = "tests/fixtures/two-queues.toml";

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// The rows of a CSV file as maps from column to cell.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
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
fn each_queue_gets_its_hand_worked_figures_in_summary_json_and_the_csvs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    chatsim()
        .args(["run", DESK, "--out"])
        .arg(&out)
        .assert()
        .success();
    let s: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let desk = |m: &str| s["metrics"][m]["mean"].as_f64().unwrap();
    let n_en = desk("connected");
    let n_es = desk("abandoned");
    assert_eq!(desk("offered"), 20.0);
    assert_eq!(n_en + n_es, 20.0);
    assert!(n_en > 0.0 && n_es > 0.0, "seed 11 splits the customers");
    let queues = s["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    assert_eq!(queues[0]["name"], "english");
    assert_eq!(queues[1]["name"], "spanish");
    let q = |k: usize, m: &str| queues[k]["metrics"][m]["mean"].as_f64().unwrap();
    let want_en = [
        ("offered", n_en),
        ("connected", n_en),
        ("abandoned", 0.0),
        ("unresolved", 0.0),
        ("service_level", 1.0),
        ("p_wait", 0.0),
        ("abandon_ratio", 0.0),
        ("asa_s", 0.0),
        ("wait_s_max", 0.0),
    ];
    for (m, v) in want_en {
        assert_eq!(q(0, m), v, "english {m}");
    }
    let want_es = [
        ("offered", n_es),
        ("connected", 0.0),
        ("abandoned", n_es),
        ("service_level", 0.0),
        ("p_wait", 1.0),
        ("abandon_ratio", 1.0),
        ("asa_s", 0.0),
        ("wait_s_mean", 5.0),
        ("wait_s_p50", 5.0),
        ("wait_s_p90", 5.0),
        ("wait_s_max", 5.0),
    ];
    for (m, v) in want_es {
        assert_eq!(q(1, m), v, "spanish {m}");
    }
    // Per-replication values, like the run's (one replication).
    let per = &queues[1]["metrics"]["abandoned"]["per_replication"];
    assert_eq!(per.as_array().unwrap().len(), 1);
    // Per interval: everything in the first, nothing in the second.
    let qi = |k: usize, i: usize, m: &str| queues[k]["intervals"][i]["metrics"][m]["mean"].as_f64();
    assert_eq!(qi(0, 0, "offered"), Some(n_en));
    assert_eq!(qi(1, 0, "abandoned"), Some(n_es));
    assert_eq!(qi(0, 1, "offered"), Some(0.0));
    assert_eq!(qi(1, 1, "service_level"), None, "undefined: nobody arrived");

    // queues.csv: one row per queue, the same means.
    let rows = csv_rows(&read(&out, "queues.csv"));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["queue"], "english");
    assert_eq!(rows[0]["offered_mean"], n_en.to_string());
    assert_eq!(rows[0]["service_level_mean"], "1");
    assert_eq!(rows[1]["abandoned_mean"], n_es.to_string());
    assert_eq!(rows[1]["abandon_ratio_mean"], "1");
    assert_eq!(rows[1]["wait_s_mean_mean"], "5");
    assert_eq!(rows[1]["service_level_ci95"], "0");
    // queue_intervals.csv: queue by queue, with intervals.csv's clock columns.
    let rows = csv_rows(&read(&out, "queue_intervals.csv"));
    let keys: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["queue"].clone(),
                r["interval"].clone(),
                r["start"].clone(),
                r["offered_mean"].clone(),
            )
        })
        .collect();
    let k = |q: &str, i: &str, t: &str, o: f64| (q.into(), i.into(), t.into(), o.to_string());
    assert_eq!(
        keys,
        [
            k("english", "0", "08:00", n_en),
            k("english", "1", "08:05", 0.0),
            k("spanish", "0", "08:00", n_es),
            k("spanish", "1", "08:05", 0.0),
        ]
    );
    assert_eq!(rows[2]["end_s"], "300");
    assert_eq!(rows[2]["abandoned_mean"], n_es.to_string());
    assert_eq!(
        rows[3]["service_level_mean"], "",
        "undefined per interval: empty"
    );

    // The report: the queue table, the missed queue target highlighted, the verdict.
    let html = read(&out, "report.html");
    let table = &html[html.find("id=\"queues\"").unwrap()..html.find("id=\"plots\"").unwrap()];
    let spanish = &table[table.find("data-queue=\"spanish\"").unwrap()..];
    let spanish = &spanish[..spanish.find("</tr>").unwrap()];
    assert_eq!(spanish.matches("n miss").count(), 1, "{spanish}");
    assert!(
        spanish.contains("<td class=\"n miss\">100.00 ± 0.00 %</td>"),
        "{spanish}"
    );
    let english = &table[table.find("data-queue=\"english\"").unwrap()..];
    let english = &english[..english.find("</tr>").unwrap()];
    assert!(!english.contains("miss"), "{english}");
    assert!(html.contains("<p class=\"overall missed\">1 of 3 targets missed.</p>"));
    assert!(html.contains("abandon ratio of queue spanish at most 10 %"));
    assert!(html.contains("data-target=\"service_level[english]&gt;=0.9\""));
}

#[test]
fn a_one_queue_desk_writes_no_queue_files_and_no_queues_key() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    chatsim()
        .args(["run", "tests/fixtures/small.toml", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(!out.join("queues.csv").exists());
    assert!(!out.join("queue_intervals.csv").exists());
    let s: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    assert!(s.get("queues").is_none());
    assert!(!read(&out, "report.html").contains("id=\"queues\""));
}

#[test]
fn check_holds_a_queue_to_its_expectation() {
    // English's service level is 1: held.
    chatsim()
        .args(["check", DESK, "--expect", "service_level[english]>=0.9"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "PASS service_level[english]>=0.9",
        ));
    // Spanish abandons every customer: failed, though the desk's own ratio is below 1.
    chatsim()
        .args(["check", DESK, "--expect", "abandon_ratio[spanish]<=0.9"])
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "FAIL abandon_ratio[spanish]<=0.9",
        ));
    chatsim()
        .args(["check", DESK, "--expect", "abandon_ratio<=0.9"])
        .assert()
        .code(0);
    // The scenario's [targets]: one of the three fails.
    chatsim().args(["check", DESK]).assert().code(1);
    // The JSON verdict names the queue.
    let out = chatsim()
        .args([
            "check",
            DESK,
            "--json",
            "--expect",
            "service_level[spanish]>=0.5",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let e = &v["expectations"][0];
    assert_eq!(e["queue"], "spanish");
    assert_eq!(e["metric"], "service_level");
    assert_eq!(e["mean"], 0.0);
    assert_eq!(e["holds"], false);
}
