//! The planner tools from the command line: `staff` against Erlang C, `sweep` with
//! common random numbers, `check`'s exit codes, and both writers' refusal to clobber.

use super::desks;
use assert_cmd::Command;
use chatsim::metrics::erlang::{mmc_service_level, smallest_c_for_service_level};
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// [`desks::MMC_8_ERLANGS`]: an hour after a 10-minute warm-up, 4 replications, 20-s threshold.
fn mmc_scenario() -> String {
    let run = r#"
[run]
horizon_s = 3600
warmup_s = 600
replications = 4
seed = 11
service_level_threshold_s = 20
"#;
    format!("{run}{}", desks::MMC_8_ERLANGS)
}

/// [`desks::SMALL_TURNS`]: agents are not short there, so the reply interval, not the
/// queue, drives reminders; two hours, 3 replications.
fn turns_scenario() -> String {
    let run = r#"
[run]
horizon_s = 7200
warmup_s = 900
replications = 3
seed = 5
"#;
    format!("{run}{}", desks::SMALL_TURNS)
}

fn write_scenario(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

/// The rows of a CSV as header → cell maps.
fn read_csv(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn staffing_an_mmc_interval_matches_erlang_c_within_one_agent() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "mmc.toml", &mmc_scenario());
    let out = dir.path().join("staffing");
    chatsim()
        .args([
            "staff",
            sc.to_str().unwrap(),
            "--target",
            "service_level=0.8",
        ])
        .args([
            "--replications",
            "10",
            "--customers-per-replication",
            "4000",
        ])
        .args(["--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("Erlang C"));
    let rows = read_csv(&out.join("staffing.csv"));
    assert_eq!(rows.len(), 1, "a Poisson scenario is one interval");
    let row = &rows[0];
    let required: u32 = row["required_agents"].parse().unwrap();
    let erlang: u32 = row["erlang_c_agents"].parse().unwrap();
    let (lambda, mu, t) = (480.0 / 3600.0, 1.0 / 60.0, 20.0);
    let exact = smallest_c_for_service_level(lambda, mu, t, 0.8);
    assert_eq!(
        erlang, exact,
        "the Erlang C column is the exact formula's answer"
    );
    // Why at most one agent apart: the simulated M/M/c has Erlang C's service level, so
    // the two rules would agree exactly on the mean. Staffing to the conservative end of
    // the 95% CI (mean − half-width ≥ 0.8) asks for one more agent when Erlang C's answer
    // clears 0.8 by less than the half-width; one agent lifts the service level by far
    // more than the half-width at this size, so never two. The other way (one fewer),
    // the estimate of c − 1 can land above its exact value by up to about a half-width.
    let sl = |c| mmc_service_level(c, lambda, mu, t);
    let hw: f64 = row["service_level_ci95"].parse().unwrap();
    assert!(
        sl(exact + 1) - sl(exact) > hw,
        "one agent outweighs the CI margin"
    );
    assert!(
        required.abs_diff(erlang) <= 1,
        "simulated {required} vs Erlang C {erlang} (service level {} ± {hw})",
        row["service_level_mean"]
    );
    let achieved: f64 = row["service_level_mean"].parse().unwrap();
    assert!(
        achieved - hw >= 0.8,
        "the requirement meets the target with confidence"
    );
    let simulated: u32 = row["candidates_simulated"].parse().unwrap();
    assert!(
        simulated <= 4,
        "the search does not try every candidate: {simulated}"
    );
    let svg = std::fs::read_to_string(out.join("staffing.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Erlang C"));
}

#[test]
fn sweep_reminders_fall_as_the_reply_interval_grows() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "turns.toml", &turns_scenario());
    let out = dir.path().join("sweep");
    chatsim()
        .args(["sweep", sc.to_str().unwrap()])
        .args(["--set", "thresholds.reply_interval_s=30:120:30"])
        .args(["--metric", "reminders", "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("Pareto-best"));
    let rows = read_csv(&out.join("sweep.csv"));
    let intervals: Vec<&str> = rows
        .iter()
        .map(|r| r["thresholds.reply_interval_s"].as_str())
        .collect();
    assert_eq!(intervals, ["30", "60", "90", "120"]);
    let reminders: Vec<f64> = rows
        .iter()
        .map(|r| r["reminders_mean"].parse().unwrap())
        .collect();
    assert!(reminders[0] > 0.0, "{reminders:?}");
    // Common random numbers: the same customers and agents at every point, so the count
    // can only fall as reminders come later (none is drawn differently).
    assert!(
        reminders.windows(2).all(|w| w[1] <= w[0]),
        "reminders must not rise with the reply interval: {reminders:?}"
    );
    assert!(reminders[3] < reminders[0], "{reminders:?}");
    let header = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(
        !header.contains("events_per_s"),
        "wall-clock figures stay out"
    );
}

#[test]
fn sweep_output_is_byte_identical_for_any_thread_count() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "turns.toml", &turns_scenario());
    let run = |threads: &str, name: &str| {
        let out = dir.path().join(name);
        chatsim()
            .args(["sweep", sc.to_str().unwrap(), "--replications", "2"])
            .args(["--set", "thresholds.reply_interval_s=30,90"])
            .args(["--set", "thresholds.message_interval_s=120,300"])
            .args(["--threads", threads, "--out", out.to_str().unwrap()])
            .assert()
            .success();
        out
    };
    let (a, b) = (run("1", "one"), run("2", "two"));
    for file in [
        "sweep.csv",
        "heatmap_late_reply_ratio.svg",
        "heatmap_premature_disconnects.svg",
        "heatmap_service_level.svg",
        "heatmap_reminders_per_agent_hour.svg",
        "heatmap_silent_capacity_s.svg",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn check_exits_zero_when_expectations_hold() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "mmc.toml", &mmc_scenario());
    chatsim()
        .args([
            "check",
            sc.to_str().unwrap(),
            "--expect",
            "service_level>=0.5",
        ])
        .args(["--expect", "abandon_ratio<=0.01"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS service_level>=0.5"));
}

#[test]
fn check_exits_one_when_an_expectation_fails() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "mmc.toml", &mmc_scenario());
    chatsim()
        .args([
            "check",
            sc.to_str().unwrap(),
            "--expect",
            "service_level>=0.5",
        ])
        .args(["--expect", "offered<=10"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL offered<=10"))
        .stdout(predicate::str::contains("PASS service_level>=0.5"));
}

#[test]
fn check_without_expect_holds_the_scenario_to_its_targets() {
    let dir = TempDir::new().unwrap();
    // The same desk as `check_exits_one_when_an_expectation_fails`, its expectations
    // written in the scenario instead.
    let with_targets = format!(
        "{}\n[targets]\nexpect = [\"service_level>=0.5\", \"offered<=10\"]\n",
        mmc_scenario()
    );
    let sc = write_scenario(&dir, "targets.toml", &with_targets);
    chatsim()
        .args(["check", sc.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL offered<=10"))
        .stdout(predicate::str::contains("PASS service_level>=0.5"));
    // --expect replaces the scenario's targets.
    chatsim()
        .args([
            "check",
            sc.to_str().unwrap(),
            "--expect",
            "service_level>=0.5",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("offered").not());
    // No targets and no --expect: bad input, saying what to add.
    let bare = write_scenario(&dir, "bare.toml", &mmc_scenario());
    chatsim()
        .args(["check", bare.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("nothing to check")
                .and(predicate::str::contains("--expect"))
                .and(predicate::str::contains("[targets]")),
        );
}

#[test]
fn check_exits_two_on_a_malformed_expectation_or_unknown_metric() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "mmc.toml", &mmc_scenario());
    chatsim()
        .args([
            "check",
            sc.to_str().unwrap(),
            "--expect",
            "service_level>>0.8",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NAME>=VALUE"));
    chatsim()
        .args([
            "check",
            sc.to_str().unwrap(),
            "--expect",
            "servce_level>=0.8",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown metric \"servce_level\" in --expect; did you mean service_level?",
        ));
    chatsim()
        .args(["check", sc.to_str().unwrap(), "--expect", "speed>=0.8"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("valid metric names")
                .and(predicate::str::contains("service_level")),
        );
}

#[test]
fn staff_and_sweep_refuse_to_clobber_an_existing_out_without_force() {
    let dir = TempDir::new().unwrap();
    let mmc = write_scenario(&dir, "mmc.toml", &mmc_scenario());
    let turns = write_scenario(&dir, "turns.toml", &turns_scenario());
    let out = dir.path().join("results");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), b"mine").unwrap();
    let staff = |force: bool| {
        let mut c = chatsim();
        c.args([
            "staff",
            mmc.to_str().unwrap(),
            "--target",
            "service_level=0.8",
        ])
        .args(["--replications", "3", "--customers-per-replication", "500"])
        .args(["--out", out.to_str().unwrap()]);
        if force {
            c.arg("--force");
        }
        c.assert()
    };
    let sweep = |force: bool| {
        let mut c = chatsim();
        c.args(["sweep", turns.to_str().unwrap(), "--replications", "2"])
            .args(["--set", "thresholds.reply_interval_s=30,60"])
            .args(["--out", out.to_str().unwrap()]);
        if force {
            c.arg("--force");
        }
        c.assert()
    };
    for refused in [staff(false), sweep(false)] {
        refused
            .code(2)
            .stderr(predicate::str::contains("already exists; use --force"));
        assert_eq!(std::fs::read(out.join("keep.txt")).unwrap(), b"mine");
    }
    // --force replaces only chatsim's own results: keep.txt is not, so it is refused.
    for refused in [staff(true), sweep(true)] {
        refused.code(2).stderr(predicate::str::contains(
            "files chatsim did not write (keep.txt)",
        ));
        assert_eq!(std::fs::read(out.join("keep.txt")).unwrap(), b"mine");
    }
    std::fs::remove_file(out.join("keep.txt")).unwrap();
    std::fs::write(out.join("summary.json"), b"{}").unwrap();
    staff(true).success();
    assert!(out.join("staffing.csv").is_file() && out.join("staffing.svg").is_file());
    assert!(
        !out.join("summary.json").exists(),
        "--force replaces the directory"
    );
    sweep(true).success();
    assert!(out.join("sweep.csv").is_file() && !out.join("staffing.csv").exists());
}

#[test]
fn staff_rejects_an_unknown_target_metric_listing_the_valid_ones() {
    let dir = TempDir::new().unwrap();
    let sc = write_scenario(&dir, "mmc.toml", &mmc_scenario());
    chatsim()
        .args(["staff", sc.to_str().unwrap(), "--target", "speed=0.8"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("valid metric names")
                .and(predicate::str::contains("abandon_ratio")),
        );
}

#[test]
fn tool_help_shows_an_example() {
    for cmd in ["staff", "sweep", "check"] {
        chatsim()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "chatsim {cmd} scenarios/default.toml"
            )));
    }
}

/// The default sweep metrics weigh what the thresholds buy against what they cost: on the
/// bundled desk the tightest corner (short reply and message intervals: fewest late
/// replies, best service level, least silent capacity) is Pareto-best beside the loosest
/// (fewest reminders and premature disconnects). With the old default (reminders per
/// session, premature disconnects: both costs of tightening) only loose points were.
#[test]
fn default_sweep_metrics_trade_off_both_ways_on_the_bundled_desk() {
    let out = chatsim()
        .args(["sweep", "scenarios/default.toml", "--replications", "2"])
        .args(["--set", "thresholds.reply_interval_s=30,120"])
        .args(["--set", "thresholds.message_interval_s=120,600"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let pareto: Vec<(u32, u32)> = text
        .split("Pareto-best")
        .nth(1)
        .expect("a Pareto section")
        .lines()
        .filter(|l| l.starts_with('*'))
        .map(|l| {
            let mut f = l[1..].split_whitespace().map(|x| x.parse().unwrap());
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    assert!(pareto.contains(&(30, 120)), "{text}");
    assert!(pareto.contains(&(120, 600)), "{text}");
}
