//! The conventions of the ecosystem: shell completions and man pages generated from the
//! parser, "did you mean" for misspelt metric and field names, `--json` on `run` and
//! `check`, and the sweep's progress bar kept off a stderr that is not a terminal.

use assert_cmd::Command;
use chatsim::metrics::Metric;
use clap::CommandFactory;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn small() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml")
}

fn subcommands() -> Vec<String> {
    chatsim::cli::Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = chatsim().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail with exit 2, nothing on stdout; returns stderr.
fn bad_input(args: &[&str]) -> String {
    let out = chatsim().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    stderr
}

#[test]
fn bash_completions_name_every_subcommand() {
    let names = subcommands();
    for expected in ["run", "check", "sweep", "staff", "completions", "manpage"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    let script = stdout_of(&["completions", "bash"]);
    assert!(script.contains("complete -F"), "{script}");
    // Each subcommand is a case of the top-level word, and one of the words offered.
    let top = script
        .lines()
        .find(|l| l.trim_start().starts_with("opts=\"") && l.contains(" run "))
        .unwrap_or_default();
    for name in &names {
        assert!(
            script.contains(&format!("chatsim,{name})")) && top.contains(&format!(" {name} ")),
            "{name} missing from the bash completions"
        );
    }
    // Flags of a subcommand are completed too.
    assert!(script.contains("--replications") && script.contains("--expect"));
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_refused() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        assert!(
            script.contains("chatsim") && script.contains("sweep"),
            "{shell}"
        );
    }
    let e = bad_input(&["completions", "tcsh"]);
    assert!(e.contains("tcsh") && e.contains("bash"), "{e}");
}

#[test]
fn the_man_page_renders_with_every_subcommand() {
    let page = stdout_of(&["manpage"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH chatsim 1"),
        "{page}"
    );
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(section), "{section} missing:\n{page}");
    }
    for name in subcommands() {
        assert!(
            page.contains(&format!("chatsim\\-{name}")),
            "{name}:\n{page}"
        );
    }
}

#[test]
fn manpage_out_writes_one_page_per_subcommand() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("man/man1");
    let said = stdout_of(&["manpage", "--out", out.to_str().unwrap()]);
    let mut pages = vec!["chatsim.1".to_owned()];
    pages.extend(subcommands().iter().map(|n| format!("chatsim-{n}.1")));
    assert!(
        said.contains(&format!("{} man pages written", pages.len())),
        "{said}"
    );
    for page in &pages {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(
            text.contains(".SH NAME") && text.contains(".SH SYNOPSIS"),
            "{page}:\n{text}"
        );
    }
    let run = std::fs::read_to_string(out.join("chatsim-run.1")).unwrap();
    assert!(
        run.contains("replications") && run.contains("\\-\\-json"),
        "{run}"
    );
    // A second time it is refused (as every --out is), and replaced with --force.
    bad_input(&["manpage", "--out", out.to_str().unwrap()]);
    stdout_of(&["manpage", "--out", out.to_str().unwrap(), "--force"]);
}

#[test]
fn a_misspelt_metric_gets_the_closest_name_suggested() {
    let sc = small();
    let sc = sc.to_str().unwrap();
    let sl = Metric::ServiceLevel.name();
    let e = bad_input(&["check", sc, "--expect", "servce_level>=0.8"]);
    assert!(
        e.contains("unknown metric \"servce_level\" in --expect")
            && e.contains(&format!("did you mean {sl}?")),
        "{e}"
    );
    let e = bad_input(&["staff", sc, "--target", "abandon_rate<=0.05"]);
    assert!(
        e.contains(&format!("did you mean {}?", Metric::AbandonRatio.name())),
        "{e}"
    );
    let e = bad_input(&[
        "sweep",
        sc,
        "--set",
        "agents.count=1,2",
        "--metric",
        "premature_disconnect",
    ]);
    assert!(
        e.contains("in --metric")
            && e.contains(&format!(
                "did you mean {}?",
                Metric::PrematureDisconnects.name()
            )),
        "{e}"
    );
    // Nothing close: the list of valid names, as before.
    let e = bad_input(&["check", sc, "--expect", "speed>=1"]);
    assert!(
        !e.contains("did you mean") && e.contains("valid metric names") && e.contains(sl),
        "{e}"
    );
}

#[test]
fn a_misspelt_field_gets_the_closest_name_suggested() {
    let dir = TempDir::new().unwrap();
    let text = std::fs::read_to_string(small()).unwrap();
    let bad = dir.path().join("typo.toml");
    std::fs::write(&bad, text.replace("horizon_s = 3600", "horizn_s = 3600")).unwrap();
    let e = bad_input(&["validate", bad.to_str().unwrap()]);
    assert!(
        e.contains("typo.toml")
            && e.contains("line 5, column 1")
            && e.contains("unknown field `horizn_s`")
            && e.contains(
                "fix: remove the field or correct its spelling (did you mean `horizon_s`?); \
                 docs/scenario.md lists every field"
            ),
        "{e}"
    );
    let sc = small();
    let e = bad_input(&["sweep", sc.to_str().unwrap(), "--set", "agents.cont=1,2"]);
    assert!(
        e.contains("override `agents.cont`")
            && e.contains("unknown field `cont`")
            && e.contains("did you mean `agents.count`?"),
        "{e}"
    );
    let e = bad_input(&["sweep", sc.to_str().unwrap(), "--set", "agents.flavour=1,2"]);
    assert!(
        e.contains("override `agents.flavour`") && !e.contains("did you mean"),
        "{e}"
    );
}

#[test]
fn run_json_prints_exactly_summary_json() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let printed = chatsim()
        .args([
            "run",
            small().to_str().unwrap(),
            "--replications",
            "2",
            "--json",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(printed.status.code(), Some(0), "{printed:?}");
    let file = std::fs::read(out.join("summary.json")).unwrap();
    assert_eq!(printed.stdout, file, "stdout is not summary.json's bytes");
    // Without --out: the JSON alone, no table and no hint.
    let alone = stdout_of(&["run", small().to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&alone).unwrap();
    assert!(
        v["metrics"][Metric::ServiceLevel.name()]["mean"].is_number(),
        "{alone}"
    );
    assert!(!alone.contains("add --out"));
}

#[test]
fn check_json_gives_each_expectation_and_the_verdict() {
    let sc = small();
    let sl = Metric::ServiceLevel.name();
    let pass = format!("{sl}>=0");
    let out = chatsim()
        .args([
            "check",
            sc.to_str().unwrap(),
            "--replications",
            "3",
            "--json",
        ])
        .args(["--expect", &pass, "--expect", &format!("{sl}>1.5")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one expectation fails: exit 1");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["holds"], false);
    assert_eq!(v["replications"], 3);
    let e = v["expectations"].as_array().unwrap();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0]["metric"], sl);
    assert_eq!(
        (e[0]["op"].as_str(), e[1]["op"].as_str()),
        (Some(">="), Some(">"))
    );
    assert_eq!(
        (e[0]["value"].as_f64(), e[1]["value"].as_f64()),
        (Some(0.0), Some(1.5))
    );
    for x in e {
        let (mean, hw) = (
            x["mean"].as_f64().unwrap(),
            x["ci95_half_width"].as_f64().unwrap(),
        );
        assert_eq!(x["conservative_end"].as_f64().unwrap(), mean - hw);
    }
    assert_eq!(
        (e[0]["holds"].as_bool(), e[1]["holds"].as_bool()),
        (Some(true), Some(false))
    );
    let out = chatsim()
        .args(["check", sc.to_str().unwrap(), "--json", "--expect", &pass])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["holds"], true);
}

#[test]
fn the_sweep_bar_stays_off_a_stderr_that_is_not_a_terminal() {
    let out = chatsim()
        .args([
            "sweep",
            small().to_str().unwrap(),
            "--set",
            "agents.count=1,2,3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
