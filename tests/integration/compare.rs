//! `chatsim compare` and `--set` from the command line: common random numbers make a
//! scenario compared with itself differ by exactly 0; a clear effect (3 against 6 agents)
//! is significant with the right sign; pairing gives a narrower CI than unpaired
//! replications would; `--json` is `compare.json`'s bytes for any thread count; and
//! `--set` reaches `run` (and its resolved scenario), `validate`, `check` and `staff`.

use assert_cmd::Command;
use chatsim::metrics::Metric;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// An M/M/c desk of `count` agents: Poisson arrivals at 150 an hour, exponential sessions
/// of mean 60 s, so a = 2.5 Erlangs. Erlang C (T = 20 s): with 3 agents P(wait) = 0.702,
/// service level 1 − 0.702 · e^(−0.5 · 20/60) = 0.406, ASA = 0.702 · 60/0.5 = 84.3 s;
/// with 6 agents P(wait) = 0.047, service level 0.985, ASA 0.81 s.
fn mmc_desk(dir: &TempDir, count: u32) -> PathBuf {
    let path = dir.path().join(format!("desk{count}.toml"));
    std::fs::write(
        &path,
        format!(
            "[run]\nhorizon_s = 14400\nwarmup_s = 1800\nreplications = 8\nseed = 11\n\
             service_level_threshold_s = 20\n\n[arrivals]\nkind = \"poisson\"\n\
             rate_per_hour = 150\n\n[sessions]\nmodel = \"holding\"\n\
             holding_time = {{ dist = \"exponential\", mean_s = 60 }}\n\n\
             [agents]\ncount = {count}\n"
        ),
    )
    .unwrap();
    path
}

/// `compare … --json`'s document (exit 0 asserted).
fn compare_json(args: &[&str]) -> Value {
    let out = chatsim()
        .arg("compare")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Common random numbers, exactly: replication i of A and of B draw the same streams, so
/// the same scenario on both sides gives the same figures to the last bit, every
/// difference is exactly 0 (or undefined on both sides) and nothing is significant. The
/// turn-by-turn default desk exercises every stream (arrivals, customers, agents' replies,
/// aux periods, breaks).
#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let sc = repo("scenarios/default.toml");
    let sc = sc.to_str().unwrap();
    let v = compare_json(&[sc, sc, "--replications", "3"]);
    assert_eq!(v["replications"], 3);
    assert_eq!(v["fields"].as_array().unwrap().len(), 0);
    let metrics = v["metrics"].as_object().unwrap();
    assert!(metrics.len() > 40, "{}", metrics.len());
    for (name, m) in metrics {
        assert_eq!(m["significant"], false, "{name}");
        assert!(m["b_is"].is_null(), "{name}");
        assert_eq!(m["a"]["mean"], m["b"]["mean"], "{name}");
        for d in m["difference"]["per_replication"].as_array().unwrap() {
            assert!(d.is_null() || f(d) == 0.0, "{name}: {d}");
        }
        if m["n"] != 0 {
            assert_eq!(f(&m["difference"]["mean"]), 0.0, "{name}");
            assert_eq!(f(&m["difference"]["ci95_half_width"]), 0.0, "{name}");
        }
    }
    // The wall-clock figures are not compared: they differ between any two runs.
    assert!(metrics
        .keys()
        .all(|k| !Metric::parse(k).unwrap().is_wall_clock()));
    // The same through --set-b with a value equal to the file's: nothing differs either.
    let v = compare_json(&[sc, "--set-b", "run.seed=42", "--replications", "2"]);
    assert_eq!(v["fields"].as_array().unwrap().len(), 0);
    let sl = &v["metrics"][Metric::ServiceLevel.name()];
    assert_eq!(f(&sl["difference"]["mean"]), 0.0);
}

/// Six agents against three on the M/M/c desk of [`mmc_desk`]: Erlang C says the service
/// level rises from 0.41 to 0.99 and the ASA falls from 84 s to under 1 s; both moves are
/// significant, in the right direction, and called "better". What the agents cannot
/// change does not move at all: the arrivals are the same stream on both sides, so
/// `offered` differs by exactly 0 in every replication; the logged-in capacity (agents ×
/// 1 session, logged in all along) is 3 and 6, a difference of exactly +3.
#[test]
fn six_agents_against_three_is_a_significant_improvement() {
    let dir = TempDir::new().unwrap();
    let (three, six) = (mmc_desk(&dir, 3), mmc_desk(&dir, 6));
    let v = compare_json(&[three.to_str().unwrap(), six.to_str().unwrap()]);
    assert_eq!(
        (v["seed"].clone(), v["replications"].clone()),
        (11.into(), 8.into())
    );
    assert_eq!(v["fields"][0]["path"], "agents.roster");
    assert_eq!(
        (v["fields"][0]["a"].clone(), v["fields"][0]["b"].clone()),
        ("3 entries".into(), "6 entries".into())
    );
    let m = |metric: Metric| v["metrics"][metric.name()].clone();

    let sl = m(Metric::ServiceLevel);
    assert_eq!(sl["n"], 8);
    let (a, b) = (f(&sl["a"]["mean"]), f(&sl["b"]["mean"]));
    assert!((0.25..0.55).contains(&a) && b > 0.95, "{a} {b}");
    let (d, hw) = (
        f(&sl["difference"]["mean"]),
        f(&sl["difference"]["ci95_half_width"]),
    );
    assert!((d - (b - a)).abs() < 1e-12);
    assert!(d - hw > 0.3, "{d} ± {hw}");
    assert_eq!(
        (sl["significant"].clone(), sl["b_is"].clone()),
        (true.into(), "better".into())
    );
    assert!((f(&sl["relative_change"]) - d / a).abs() < 1e-12);

    let asa = m(Metric::AsaS);
    let d = f(&asa["difference"]["mean"]);
    assert!(
        d + f(&asa["difference"]["ci95_half_width"]) < -20.0,
        "{asa}"
    );
    assert_eq!(asa["b_is"], "better");
    assert_eq!(m(Metric::Occupancy)["b_is"], "worse");

    let offered = m(Metric::Offered);
    for d in offered["difference"]["per_replication"].as_array().unwrap() {
        assert_eq!(f(d), 0.0);
    }
    assert_eq!(offered["significant"], false);
    let cap = m(Metric::MeanLoggedInCapacity);
    assert_eq!((f(&cap["a"]["mean"]), f(&cap["b"]["mean"])), (3.0, 6.0));
    assert_eq!(f(&cap["difference"]["mean"]), 3.0);
    assert_eq!(cap["b_is"], "higher");

    // The table says the same, with the mark.
    let out = chatsim()
        .args(["compare", three.to_str().unwrap(), six.to_str().unwrap()])
        .args(["--metric", Metric::ServiceLevel.name()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8(out.stdout).unwrap();
    let line = table
        .lines()
        .find(|l| l.starts_with(Metric::ServiceLevel.name()))
        .unwrap();
    assert!(line.ends_with("* better"), "{table}");
    assert!(
        !table.contains(&format!("\n{} ", Metric::AsaS.name())),
        "{table}"
    );
}

/// Pairing is what makes few replications enough: the paired CI of B − A is narrower
/// than any unpaired CI of the same difference of means. The bound is computed here from
/// A's and B's own half-widths: each side's standard error is its half-width over
/// t(0.975, 7) = 2.364624 (8 replications), and an unpaired (Welch) interval is at least
/// t(0.975, 14) = 2.144787 (its degrees of freedom are at most 2 · 7) × √(se_A² + se_B²).
/// On 4 against 3 agents: a replication with more (or longer) chats is busier on both
/// sides, and pairing takes that out. It takes out most of the noise of the figures the
/// arrivals drive (sessions, open sessions, occupancy: 4.5 against 29 sessions), and a
/// good part of the service level's; not of the waits', whose noise at 3 agents (ρ =
/// 0.83) is mostly A's own long queue swings, which the 4-agent side does not share.
#[test]
fn the_paired_ci_is_narrower_than_the_unpaired_one() {
    let dir = TempDir::new().unwrap();
    let three = mmc_desk(&dir, 3);
    let v = compare_json(&[three.to_str().unwrap(), "--set-b", "agents.count=4"]);
    for metric in [
        Metric::ServiceLevel,
        Metric::PWait,
        Metric::Sessions,
        Metric::MeanConcurrentSessions,
        Metric::Occupancy,
    ] {
        let m = &v["metrics"][metric.name()];
        let se = |side: &str| f(&m[side]["ci95_half_width"]) / 2.364_624;
        let unpaired_bound = 2.144_787 * (se("a").powi(2) + se("b").powi(2)).sqrt();
        let paired = f(&m["difference"]["ci95_half_width"]);
        assert!(
            paired < unpaired_bound,
            "{metric}: paired {paired}, unpaired ≥ {unpaired_bound}"
        );
        // The tool's own Welch figure is within the bound, and wider than the paired one.
        let welch = f(&m["unpaired_ci95_half_width"]);
        assert!(
            welch >= unpaired_bound * (1.0 - 1e-9) && paired < welch,
            "{metric}"
        );
    }
    // Sessions follow the arrivals on both sides: pairing takes out most of their noise.
    let s = &v["metrics"][Metric::Sessions.name()];
    assert!(
        f(&s["difference"]["ci95_half_width"]) * 3.0 < f(&s["unpaired_ci95_half_width"]),
        "{s}"
    );
    let sl = &v["metrics"][Metric::ServiceLevel.name()];
    assert_eq!(sl["b_is"], "better", "{sl}");
}

/// `--json` prints `compare.json`'s bytes, and the files are the same for any thread
/// count; the `--out` directory holds both resolved scenarios, which load back as the two
/// sides (B's with the field set).
#[test]
fn json_is_the_file_and_the_bytes_do_not_depend_on_threads() {
    let dir = TempDir::new().unwrap();
    let three = mmc_desk(&dir, 3);
    let run = |threads: &str, out: &Path, json: bool| {
        let mut c = chatsim();
        c.args([
            "compare",
            three.to_str().unwrap(),
            "--set-b",
            "agents.count=4",
        ])
        .args(["--replications", "5", "--threads", threads, "--out"])
        .arg(out);
        if json {
            c.arg("--json");
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{o:?}");
        o.stdout
    };
    let (one, four) = (dir.path().join("one"), dir.path().join("four"));
    let printed = run("1", &one, true);
    run("4", &four, false);
    assert_eq!(printed, std::fs::read(one.join("compare.json")).unwrap());
    for name in [
        "compare.csv",
        "compare.json",
        "scenario_a.resolved.toml",
        "scenario_b.resolved.toml",
        "seed.txt",
    ] {
        assert_eq!(
            std::fs::read(one.join(name)).unwrap(),
            std::fs::read(four.join(name)).unwrap(),
            "{name} depends on --threads"
        );
    }
    let a = chatsim::scenario::load(&one.join("scenario_a.resolved.toml")).unwrap();
    let b = chatsim::scenario::load(&one.join("scenario_b.resolved.toml")).unwrap();
    assert_eq!((a.agents.len(), b.agents.len()), (3, 4));
    assert_eq!((a.run.replications, b.run.replications), (5, 5));
    // The CSV's rows are the JSON's metrics, in the same order.
    let csv = std::fs::read_to_string(one.join("compare.csv")).unwrap();
    let v: Value = serde_json::from_slice(&printed).unwrap();
    let rows: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(rows.len(), v["metrics"].as_object().unwrap().len());
    assert_eq!(rows[0], Metric::Offered.name());
    // Without a terminal, no progress bar is drawn.
    let o = chatsim()
        .args([
            "compare",
            three.to_str().unwrap(),
            "--set-b",
            "agents.count=4",
            "--replications",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Both sides must run the same replications under one seed; `--seed` and
/// `--replications` make two differing files comparable.
#[test]
fn the_sides_share_seed_and_replications_or_are_refused() {
    let dir = TempDir::new().unwrap();
    let three = mmc_desk(&dir, 3);
    let seeded = dir.path().join("seeded.toml");
    std::fs::write(
        &seeded,
        std::fs::read_to_string(&three)
            .unwrap()
            .replace("seed = 11", "seed = 12"),
    )
    .unwrap();
    let (a, b) = (three.to_str().unwrap(), seeded.to_str().unwrap());
    let out = chatsim().args(["compare", a, b]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(
        e.contains("run.seed 11 and B with 12") && e.contains("give --seed N"),
        "{e}"
    );
    let e = String::from_utf8(
        chatsim()
            .args(["compare", a, "--set-b", "run.replications=4"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    assert!(
        e.contains("A runs 8 replications and B 4") && e.contains("--replications N"),
        "{e}"
    );
    let v = compare_json(&[a, b, "--seed", "5", "--replications", "2"]);
    assert_eq!(
        (v["seed"].clone(), v["replications"].clone()),
        (5.into(), 2.into())
    );
    // Same seed, same desk: nothing differs.
    assert_eq!(v["fields"].as_array().unwrap().len(), 0);
}

/// `run --set`: the fields are set before the checks, the run uses them, and
/// `scenario.resolved.toml` records them (so the run can be replayed from it).
#[test]
fn run_set_is_run_and_recorded_in_the_resolved_scenario() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("out");
    let small = repo("tests/fixtures/small.toml");
    let printed = chatsim()
        .args([
            "run",
            small.to_str().unwrap(),
            "--set",
            "run.replications=2",
        ])
        .args(["--set", "agents.count=3", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(printed.status.code(), Some(0), "{printed:?}");
    let v: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(v["replications"], 2);
    let sl = &v["metrics"][Metric::ServiceLevel.name()];
    assert_eq!(sl["per_replication"].as_array().unwrap().len(), 2);
    // Three agents of one session each, logged in all along.
    assert_eq!(
        f(&v["metrics"][Metric::MeanLoggedInCapacity.name()]["mean"]),
        3.0
    );
    let resolved = chatsim::scenario::load(&out.join("scenario.resolved.toml")).unwrap();
    assert_eq!((resolved.run.replications, resolved.agents.len()), (2, 3));
    // validate takes --set too.
    let said = chatsim()
        .args([
            "validate",
            small.to_str().unwrap(),
            "--set",
            "agents.count=5",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8(said.stdout)
        .unwrap()
        .contains("ok (5 agents"));
}

/// `check --set` flips a verdict: the small desk's two agents give a logged-in capacity of
/// exactly 2 in every replication (CI half-width 0), so `>= 3` fails (exit 1); with
/// `--set agents.count=3` it is exactly 3 and holds (exit 0).
#[test]
fn check_set_flips_the_verdict() {
    let small = repo("tests/fixtures/small.toml");
    let expect = format!("{}>=3", Metric::MeanLoggedInCapacity.name());
    let check = |extra: &[&str]| {
        chatsim()
            .args([
                "check",
                small.to_str().unwrap(),
                "--replications",
                "2",
                "--expect",
                &expect,
            ])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(check(&[]), Some(1));
    assert_eq!(check(&["--set", "agents.count=3"]), Some(0));
}

/// `staff --set` staffs the scenario with the field set: ten times the arrivals (600 an
/// hour of 60 s sessions, a = 10 Erlangs) need 13 agents by Erlang C instead of 3 (a = 1).
#[test]
fn staff_set_staffs_the_changed_scenario() {
    let small = repo("tests/fixtures/small.toml");
    let staff = |extra: &[&str]| -> Value {
        let out = chatsim()
            .args([
                "staff",
                small.to_str().unwrap(),
                "--target",
                "service_level=0.8",
                "--json",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let base = staff(&[]);
    let busy = staff(&["--set", "arrivals.rate_per_hour=600"]);
    let row = |v: &Value, k: &str| v["intervals"][0][k].clone();
    assert_eq!(
        (row(&base, "rate_per_hour"), row(&busy, "rate_per_hour")),
        (60.0.into(), 600.0.into())
    );
    assert_eq!(
        (row(&base, "erlang_c_agents"), row(&busy, "erlang_c_agents")),
        (3.into(), 13.into())
    );
    assert!(
        row(&busy, "required_agents").as_u64().unwrap()
            > row(&base, "required_agents").as_u64().unwrap() + 5
    );
}
