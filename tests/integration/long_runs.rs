//! A run with more reporting intervals than a summary lists one by one (768,
//! `metrics::collector::MAX_SUMMARY_INTERVALS`): `summary.json`, `report.html` and
//! `report.xlsx` list them merged, so their size is bounded whatever the horizon, while
//! `intervals.csv` has every interval, streamed from the replications' spool, the same
//! bytes for any thread count.

use assert_cmd::Command;
use chatsim::metrics::collector::MAX_SUMMARY_INTERVALS;
use std::path::Path;

/// One agent, one session at a time, every chat held exactly 5 s, customers at 0 s, 15 s
/// and 7 795 s; a 7 800 s window in 10 s intervals, no warm-up, one replication.
///
/// By hand: 7 800 / 10 = 780 intervals > 768, so the summary merges
/// ⌈780 / 768⌉ = 2 at a time: 390 summary intervals of 20 s. `intervals.csv` has a
/// header and 780 rows (781 lines).
/// - Fine interval 0 (0–10 s): the 0 s customer, served at once, busy 0–5 s: offered 1,
///   busy capacity 5/10 = 0.5.
/// - Fine interval 1 (10–20 s): the 15 s customer, busy 15–20 s: offered 1, busy 0.5.
/// - Fine interval 779 (7 790–7 800 s): the 7 795 s customer: offered 1, busy 0.5.
/// - Every other fine interval: offered 0, busy 0.
/// - Summary interval 0 (0–20 s) = fine 0 + 1: offered 2, busy 10/20 = 0.5; summary
///   interval 389 (7 780–7 800 s) = fine 778 + 779: offered 1, busy 5/20 = 0.25; every
///   other summary interval offered 0.
const HAND: &str = r#"
[run]
horizon_s = 7800
warmup_s = 0
interval_s = 10
replications = 1
seed = 3
service_level_threshold_s = 10

[arrivals]
kind = "trace"
times_s = [0, 15, 7795]

[sessions]
model = "holding"
holding_time = { dist = "constant", value_s = 5 }

[agents]
count = 1
max_sessions = 1
"#;

/// A random M/M/1 desk over the same 780 intervals, three replications: what the
/// thread-count and merge checks need (figures that differ by replication).
const RANDOM: &str = r#"
[run]
horizon_s = 7800
warmup_s = 0
interval_s = 10
replications = 3
seed = 11

[arrivals]
kind = "poisson"
rate_per_hour = 600

[customers]
patience = { dist = "exponential", mean_s = 30 }

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 4 }

[agents]
count = 1
max_sessions = 1
"#;

fn run(dir: &Path, toml: &str, threads: &str, out: &str) {
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, toml).unwrap();
    Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&scenario)
        .args(["--threads", threads, "--out"])
        .arg(dir.join(out))
        .assert()
        .success();
}

/// The CSV's rows as maps of column to cell.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_long_run_lists_its_intervals_merged_and_writes_every_one_to_intervals_csv() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), HAND, "1", "out");
    let out = tmp.path().join("out");

    let csv = rows(&out.join("intervals.csv"));
    assert_eq!(
        csv.len(),
        780,
        "a row per 10 s interval of the 7 800 s window"
    );
    let cell = |i: usize, col: &str| csv[i][col].parse::<f64>().unwrap();
    for (i, row) in csv.iter().enumerate() {
        assert_eq!(row["interval"], i.to_string());
        assert_eq!(row["start_s"], (10 * i).to_string());
        let (offered, busy) = match i {
            0 | 1 | 779 => (1.0, 0.5),
            _ => (0.0, 0.0),
        };
        assert_eq!(cell(i, "offered_mean"), offered, "interval {i}");
        assert_eq!(cell(i, "busy_capacity_mean"), busy, "interval {i}");
    }

    let summary = json(&out.join("summary.json"));
    assert_eq!(
        summary["intervals_merged"],
        serde_json::json!({"intervals": 780, "merge": 2, "full_series": "intervals.csv"})
    );
    assert_eq!(summary["interval_s"], 10.0, "the run's interval, unchanged");
    let listed = summary["intervals"].as_array().unwrap();
    assert_eq!(listed.len(), 390);
    assert!(listed.len() <= MAX_SUMMARY_INTERVALS);
    let mean = |k: usize, m: &str| listed[k]["metrics"][m]["mean"].as_f64().unwrap();
    for (k, i) in listed.iter().enumerate() {
        assert_eq!(i["index"], k);
        assert_eq!(i["start_s"].as_f64().unwrap(), 20.0 * k as f64);
        assert_eq!(i["end_s"].as_f64().unwrap(), 20.0 * (k + 1) as f64);
        let offered = match k {
            0 => 2.0,
            389 => 1.0,
            _ => 0.0,
        };
        assert_eq!(mean(k, "offered"), offered, "summary interval {k}");
    }
    assert_eq!(mean(0, "busy_capacity"), 0.5);
    assert_eq!(mean(389, "busy_capacity"), 0.25);
    assert_eq!(summary["metrics"]["offered"]["mean"], 3.0);

    // The page and the workbook list the 390 merged intervals, and say where the rest are.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("data-interval=\"389\""));
    assert!(!html.contains("data-interval=\"390\""));
    assert!(
        html.contains("merged 2 at a time"),
        "the page says it merges"
    );
    assert!(html.contains("intervals.csv has every interval"));
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("report.xlsx")).expect("report.xlsx opens");
    let sheet = wb.worksheet_range("Intervals").unwrap();
    let note = sheet.get_value((0, 0)).unwrap().to_string();
    assert!(
        note.starts_with("The run has 780 reporting intervals of 10 s")
            && note.contains("merged 2 at a time (each row is one interval of 20 s)")
            && note.ends_with("intervals.csv has every interval."),
        "{note}"
    );
    // Row 3 is the first interval: 390 rows of merged intervals, nothing after them.
    assert!(sheet.get_value((3 + 389, 0)).is_some());
    assert!(sheet
        .get_value((3 + 390, 0))
        .is_none_or(|c| *c == calamine::Data::Empty));
}

/// `intervals.csv` of a spooled run: the same bytes on one thread and two, and its rows
/// add up to the summary's merged intervals (a mean is linear: the mean of a merged
/// interval's offered is the sum of its two intervals' means).
#[test]
fn a_spooled_intervals_csv_is_the_same_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    run(tmp.path(), RANDOM, "1", "one");
    run(tmp.path(), RANDOM, "2", "two");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let a = std::fs::read(one.join("intervals.csv")).unwrap();
    assert_eq!(a, std::fs::read(two.join("intervals.csv")).unwrap());
    let csv = rows(&one.join("intervals.csv"));
    assert_eq!(csv.len(), 780);
    let summary = json(&one.join("summary.json"));
    let listed = summary["intervals"].as_array().unwrap();
    assert_eq!(listed.len(), 390);
    let mut total = 0.0;
    for (k, i) in listed.iter().enumerate() {
        let fine: f64 = csv[2 * k..2 * k + 2]
            .iter()
            .map(|r| r["offered_mean"].parse::<f64>().unwrap())
            .sum();
        let merged = i["metrics"]["offered"]["mean"].as_f64().unwrap();
        assert!(
            (fine - merged).abs() < 1e-9,
            "interval {k}: {fine} vs {merged}"
        );
        total += merged;
    }
    assert!(
        total > 1000.0,
        "about 1 300 customers a replication: {total}"
    );
    let offered = summary["metrics"]["offered"]["mean"].as_f64().unwrap();
    assert!((total - offered).abs() < 1e-6, "{total} vs {offered}");
}
