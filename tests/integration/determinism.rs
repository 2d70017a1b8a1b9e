//! A run is a pure function of (scenario, seed): the same bytes in every output file,
//! apart from the wall-clock figures, whatever the thread count, on a second run, and
//! when re-run from the `scenario.resolved.toml` the run wrote.
//!
//! The wall-clock figures (docs/outputs.md) are `wall_secs`, `events_per_s` and
//! `routing_decisions_per_s`. They appear in `summary.json` (top level and `metrics`)
//! and in `report.html` (the header's "wall-clock … s" and two rows of the engine's table;
//! `report.xlsx` leaves them out);
//! every other file must match byte for byte, which the comparison below enforces.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The figures that depend on the machine, not on (scenario, seed).
const WALL_CLOCK_METRICS: [&str; 2] = ["events_per_s", "routing_decisions_per_s"];

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn run(scenario: &Path, out: &Path, extra: &[&str]) {
    chatsim()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

/// `summary.json` without its wall-clock figures, as canonical JSON text.
fn summary_without_wall_clock(bytes: &[u8]) -> String {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("summary.json is JSON");
    let top = v.as_object_mut().expect("an object");
    assert!(top.remove("wall_secs").is_some(), "no wall_secs");
    let metrics = top
        .get_mut("metrics")
        .and_then(|m| m.as_object_mut())
        .expect("metrics");
    for key in WALL_CLOCK_METRICS {
        assert!(metrics.remove(key).is_some(), "no metric {key}");
    }
    serde_json::to_string_pretty(&v).unwrap()
}

/// `report.html` without its wall-clock figures: the header's "wall-clock N s" and the
/// rows of the wall-clock metrics (marked `<tr class="wall-clock">`) in the engine's table.
fn report_without_wall_clock(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("report.html is UTF-8");
    let mut found = 0;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.starts_with("<tr class=\"wall-clock\">") {
            assert!(
                WALL_CLOCK_METRICS
                    .iter()
                    .any(|m| line.contains(&format!("<code>{m}</code>"))),
                "a wall-clock row of another metric: {line}"
            );
            found += 1;
            continue;
        }
        match line.find(" · wall-clock ") {
            Some(at) => {
                found += 1;
                let end = line[at..].find(" s</p>").expect("the wall-clock figure") + at;
                lines.push(format!("{}{}", &line[..at], &line[end + 2..]));
            }
            None => lines.push(line.to_owned()),
        }
    }
    assert_eq!(found, 3, "report.html's wall-clock figures moved");
    lines.join("\n")
}

/// Every output file, the wall-clock figures taken out of the two that carry them.
fn comparable(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = fs::read(entry.path()).unwrap();
        let bytes = match name.as_str() {
            "summary.json" => summary_without_wall_clock(&bytes).into_bytes(),
            "report.html" => report_without_wall_clock(&bytes).into_bytes(),
            _ => bytes,
        };
        out.insert(name, bytes);
    }
    out
}

pub(crate) fn assert_same_outputs(a: &Path, b: &Path, what: &str) {
    let (fa, fb) = (comparable(a), comparable(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "{what}: different files"
    );
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{what}: {name} differs");
    }
}

fn bundled(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

#[test]
fn outputs_do_not_depend_on_the_thread_count_or_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = bundled("default.toml"); // 8 replications: enough for 8 threads
    let out = |n: &str| tmp.path().join(n);
    run(&sc, &out("t1"), &["--threads", "1"]);
    run(&sc, &out("t2"), &["--threads", "2"]);
    run(&sc, &out("t8"), &["--threads", "8"]);
    run(&sc, &out("t1-again"), &["--threads", "1"]);
    assert_same_outputs(&out("t1"), &out("t2"), "--threads 1 vs 2");
    assert_same_outputs(&out("t1"), &out("t8"), "--threads 1 vs 8");
    assert_same_outputs(&out("t1"), &out("t1-again"), "a second run");
}

#[test]
fn only_the_wall_clock_figures_differ_between_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = bundled("default.toml");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run(&sc, &a, &["--replications", "2", "--threads", "1"]);
    run(&sc, &b, &["--replications", "2", "--threads", "2"]);
    // Every file but these two must be equal byte for byte, unnormalised.
    for entry in fs::read_dir(&a).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "summary.json" || name == "report.html" {
            continue;
        }
        assert!(
            fs::read(a.join(&name)).unwrap() == fs::read(b.join(&name)).unwrap(),
            "{name} differs between two runs: it must hold no wall-clock figure"
        );
    }
    // And the wall-clock figures are where docs/outputs.md says (the helpers assert it).
    summary_without_wall_clock(&fs::read(a.join("summary.json")).unwrap());
    report_without_wall_clock(&fs::read(a.join("report.html")).unwrap());
}

#[test]
fn the_resolved_scenario_reproduces_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    for (sc, extra) in [
        (
            bundled("default.toml"),
            &["--replications", "3", "--seed", "977"][..],
        ),
        (bundled("mmc.toml"), &["--replications", "2"][..]),
    ] {
        let first = tmp.path().join("first");
        let again = tmp.path().join("again");
        run(&sc, &first, extra);
        // No --seed, no --replications: both come from the resolved file.
        run(&first.join("scenario.resolved.toml"), &again, &[]);
        assert_same_outputs(&first, &again, &format!("{} re-run", sc.display()));
        let seed = fs::read_to_string(first.join("seed.txt")).unwrap();
        let resolved = fs::read_to_string(first.join("scenario.resolved.toml")).unwrap();
        assert!(
            resolved.contains(&format!("seed = {}", seed.trim())),
            "the resolved scenario lacks the seed {seed}"
        );
        fs::remove_dir_all(&first).unwrap();
        fs::remove_dir_all(&again).unwrap();
    }
}

/// The conservation laws (offered = connected + abandoned + waiting, every connection ends
/// once, replies ≤ messages, reminded ≤ missed, agents' rows add up) are asserted after
/// every replication of every test run: the `checks` feature is on for the tests and the
/// binary they drive (Cargo.toml's dev-dependency on this crate). Checked when the tests
/// compile.
const _: () = assert!(chatsim::sim::ledger::Ledger::ON && chatsim::metrics::laws::ON);
