//! The command line's contract beyond single bad inputs: exit 0 and every file on
//! success; the run-time limits stop a real scenario with exit 2, naming the limit and how
//! to raise it, and write nothing; a huge thread count is harmless; an OS error is told
//! once.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A copy of the default desk in `dir`, with `extra` added to its `[run]` table.
fn default_desk_with(dir: &Path, extra: &str) -> PathBuf {
    for csv in ["default-roster.csv", "default-profile.csv"] {
        fs::copy(repo("scenarios").join(csv), dir.join(csv)).unwrap();
    }
    let text = fs::read_to_string(repo("scenarios/default.toml")).unwrap();
    let text = text.replacen("[run]\n", &format!("[run]\n{extra}\n"), 1);
    let path = dir.join("desk.toml");
    fs::write(&path, text).unwrap();
    path
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_run_exits_0_and_writes_every_documented_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    chatsim()
        .arg("run")
        .arg(repo("tests/fixtures/small.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    assert_eq!(
        entries(&out),
        vec![
            ".chatsim-output",
            "agents.csv",
            "groups.csv",
            "intervals.csv",
            "plot_occupancy_groups.svg",
            "plot_queue_capacity.svg",
            "plot_reminders_disconnects.svg",
            "plot_service_level.svg",
            "report.html",
            "report.xlsx",
            "scenario.resolved.toml",
            "seed.txt",
            "summary.json",
        ]
    );
    assert_eq!(entries(tmp.path()), vec!["out"]);
    // The manifest lists every file written, in the order of docs/outputs.md.
    let manifest = fs::read_to_string(out.join(".chatsim-output")).unwrap();
    let listed: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(listed.len(), 12, "{manifest}");
    assert_eq!(listed[0], "summary.json");
    assert_eq!(listed[10], "report.html");
    assert_eq!(listed[11], "report.xlsx");
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    for sc in [
        "scenarios/default.toml",
        "scenarios/mmc.toml",
        "tests/fixtures/trace.toml",
        "tests/fixtures/small.toml",
    ] {
        chatsim()
            .args(["validate", &repo(sc).display().to_string()])
            .assert()
            .code(0)
            .stdout(predicates::str::contains(": ok ("));
    }
}

/// The event cap passes the load-time check (7 361 arrivals expected, under 50 000) but
/// each turn-by-turn chat takes many events, so the run reaches it.
#[test]
fn the_event_limit_stops_a_real_run_with_2_and_says_how_to_raise_it() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = default_desk_with(tmp.path(), "max_events = 50000");
    let out = tmp.path().join("out");
    let assert = chatsim()
        .arg("run")
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for want in [
        "desk.toml: ",
        "exceeded its limit of 50000 simulated events",
        "raise `run.max_events` in the scenario",
    ] {
        assert!(stderr.contains(want), "lacks {want:?}:\n{stderr}");
    }
    assert!(!out.exists(), "an output directory was written");
    assert_eq!(
        entries(tmp.path()),
        vec!["default-profile.csv", "default-roster.csv", "desk.toml"]
    );
}

/// A cap on simulated time equal to the run's length leaves no room to drain the chats
/// still open at 20:00.
#[test]
fn the_simulated_time_limit_stops_a_real_run_with_2_and_says_how_to_raise_it() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = default_desk_with(tmp.path(), "max_sim_time_s = 43200");
    let out = tmp.path().join("out");
    let assert = chatsim()
        .arg("run")
        .arg(&sc)
        .args(["--replications", "1", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for want in [
        "desk.toml: ",
        "exceeded its limit of 43200 s of simulated time",
        "raise `run.max_sim_time_s` in the scenario",
    ] {
        assert!(stderr.contains(want), "lacks {want:?}:\n{stderr}");
    }
    assert!(!out.exists(), "an output directory was written");
}

/// Found while building the bad-input table: `--threads 100000` started 100 000 threads
/// (minutes, gigabytes) for a one-replication run. Only one per replication is started.
#[test]
fn a_huge_thread_count_is_harmless() {
    let started = std::time::Instant::now();
    chatsim()
        .arg("run")
        .arg(repo("tests/fixtures/small.toml"))
        .args(["--threads", "100000", "--replications", "2"])
        .assert()
        .code(0);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

/// Found while building the bad-input table: the OS error of an unreadable replay log,
/// and of an output directory that cannot be created, was printed twice (once in the
/// message, once as its source).
#[test]
fn an_os_error_is_told_once() {
    let assert = chatsim()
        .args(["replay", "no/such/log.csv"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
    if Path::new("/proc/self").exists() {
        // Nobody, root included, may create a directory in /proc.
        let assert = chatsim()
            .arg("run")
            .arg(repo("tests/fixtures/small.toml"))
            .args(["--out", "/proc/chatsim-out"])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
    }
}
