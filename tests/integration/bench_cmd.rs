//! `chatsim bench` through the real binary: the JSON report a CI script reads, exact and
//! repeatable with `--fixed-ops`; the table with the machine and memory-probe lines; bad
//! arguments exit 2 naming the value.

use assert_cmd::Command;
use predicates::str::contains;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn bench_json(args: &[&str]) -> serde_json::Value {
    let out = chatsim()
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_report_has_a_result_per_rule_and_size_with_exact_fixed_op_counts() {
    let args = [
        "--agents",
        "10,50",
        "--rule",
        "all",
        "--repeat",
        "2",
        "--fixed-ops",
        "2000",
    ];
    let report = bench_json(&args);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 14, "7 rules x 2 sizes");
    for r in results {
        let runs = r["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(|run| run["ops"] == 2000));
        assert!(r["routing_decisions_per_s"]["median"].as_f64().unwrap() > 0.0);
        let decisions = |i: usize| runs[i]["routing_decisions"].as_u64().unwrap();
        assert!(decisions(0) > 0);
    }
    assert!(report["machine"]["nproc"].as_u64().unwrap() >= 1);
    assert!(
        report["memory_probe"].is_null(),
        "fixed-ops runs skip the timing probe"
    );
    // The work done is a pure function of the arguments.
    let again = bench_json(&args);
    let counts = |rep: &serde_json::Value| -> Vec<u64> {
        rep["results"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["runs"].as_array().unwrap().clone())
            .map(|run| run["engine_events"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(counts(&report), counts(&again));
}

#[test]
fn timed_table_names_the_machine_and_the_memory_probe() {
    chatsim()
        .args([
            "bench", "--agents", "10", "--rule", "random", "--repeat", "1",
        ])
        .args(["--run-ms", "5"])
        .assert()
        .success()
        .stdout(contains("machine: "))
        .stdout(contains("memory: a random dependent load in 8 MiB"))
        .stdout(contains("random"));
}

#[test]
fn bad_bench_arguments_exit_2_naming_the_value() {
    for (args, needle) in [
        (vec!["--agents", "0"], "'0' for '--agents"),
        (vec!["--rule", "fastest"], "unknown rule `fastest`"),
        (vec!["--repeat", "0"], "'0' for '--repeat"),
    ] {
        chatsim()
            .arg("bench")
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(needle));
    }
}
