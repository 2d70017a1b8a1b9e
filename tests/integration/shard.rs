//! Plan, shard, merge (docs/scale-out.md): `run`, `sweep` and `staff` split into 1, 2, 3
//! and 7 shards, run in shuffled order on different thread counts with a retried and a
//! re-run shard, merge to the single-machine command's bytes (wall-clock figures aside);
//! and every bad part, plan or index is an error that names it (exit 2).

use super::desks;
use super::determinism::assert_same_outputs;
use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// [`desks::SMALL_TURNS`] for an hour, 3 replications (a sweep over its two thresholds
/// moves every figure).
fn turns_scenario() -> String {
    let run = r#"
[run]
horizon_s = 3600
warmup_s = 600
replications = 3
seed = 5
"#;
    format!("{run}{}", desks::SMALL_TURNS)
}

/// The commands, each as the arguments after `chatsim` (before --out/--plan).
fn commands(dir: &Path) -> Vec<(&'static str, Vec<String>)> {
    let turns = dir.join("turns.toml");
    std::fs::write(&turns, turns_scenario()).unwrap();
    let s = |p: &Path| p.display().to_string();
    let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut run = v(&["run"]);
    run.extend([
        s(&fixture("trace.toml")),
        "--replications".into(),
        "5".into(),
    ]);
    let mut sweep = v(&["sweep", &s(&turns)]);
    sweep.extend(v(&[
        "--set",
        "thresholds.reply_interval_s=30,90",
        "--set",
        "thresholds.message_interval_s=120:360:120",
        "--metric",
        "late_reply_ratio",
        "--metric",
        "service_level",
    ]));
    let mut staff = v(&["staff", &s(&fixture("trace.toml"))]);
    staff.extend(v(&[
        "--target",
        "service_level=0.8",
        "--replications",
        "2",
        "--max-replications",
        "8",
    ]));
    // More intervals than a summary lists one by one (768 of 15 min): the summary merges
    // them in pairs, and intervals.csv keeps all 778, each shard's part carrying them.
    let long = dir.join("long.toml");
    let long_run = "[run]\nhorizon_s = 700000\nwarmup_s = 0\nreplications = 3\nseed = 9\n";
    std::fs::write(&long, format!("{long_run}{}", desks::MMC_8_ERLANGS)).unwrap();
    let long_run = v(&["run", &s(&long)]);
    vec![
        ("run", run),
        ("sweep", sweep),
        ("staff", staff),
        ("long-run", long_run),
    ]
}

/// Plans `args` into `plan` with `shards` shards.
fn make_plan(args: &[String], plan: &Path, shards: u32) {
    chatsim()
        .args(args)
        .arg("--plan")
        .arg(plan)
        .arg("--shards")
        .arg(shards.to_string())
        .assert()
        .success()
        .stdout(predicate::str::contains("plan written to"));
}

fn run_shard(plan: &Path, index: u32, threads: u32) -> assert_cmd::assert::Assert {
    chatsim()
        .arg("shard")
        .arg(plan)
        .arg("--index")
        .arg(index.to_string())
        .arg("--threads")
        .arg(threads.to_string())
        .env_remove("SLURM_ARRAY_TASK_ID")
        .assert()
}

fn part(plan: &Path, index: u32) -> PathBuf {
    plan.join("parts").join(format!("part-{index:05}.jsonl"))
}

/// Merges `plan` into `out`; the exit status and stdout.
fn merge(plan: &Path, out: &Path) -> (i32, String) {
    let o = chatsim()
        .arg("merge")
        .arg(plan)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn sharded_runs_sweeps_and_staffings_merge_to_the_single_machine_bytes() {
    let tmp = TempDir::new().unwrap();
    for (name, args) in commands(tmp.path()) {
        let single = tmp.path().join(format!("{name}-single"));
        let o = chatsim()
            .args(&args)
            .arg("--out")
            .arg(&single)
            .output()
            .unwrap();
        let (single_code, single_stdout) = (o.status.code().unwrap(), o.stdout);
        for shards in [1u32, 2, 3, 7] {
            let what = format!("{name} in {shards} shards");
            let plan = tmp.path().join(format!("{name}-plan-{shards}"));
            make_plan(&args, &plan, shards);
            // Shuffled order (a stride coprime with the count), thread counts 1-3.
            let order: Vec<u32> = (0..shards).map(|k| (k * 5 + 3) % shards).collect();
            for (k, &i) in order.iter().enumerate() {
                run_shard(&plan, i, k as u32 % 3 + 1).success();
            }
            // A retried task whose part is complete does nothing: the part is unchanged.
            let before = std::fs::read(part(&plan, 0)).unwrap();
            run_shard(&plan, 0, 2)
                .success()
                .stdout(predicate::str::contains("already done"));
            assert_eq!(std::fs::read(part(&plan, 0)).unwrap(), before, "{what}");
            // A shard whose part was cut short runs again and writes it whole.
            let last = shards - 1;
            let bytes = std::fs::read(part(&plan, last)).unwrap();
            std::fs::write(part(&plan, last), &bytes[..bytes.len() - 5]).unwrap();
            run_shard(&plan, last, 1).success();
            let out = tmp.path().join(format!("{name}-merged-{shards}"));
            let (code, stdout) = merge(&plan, &out);
            assert_eq!(code, single_code, "{what}: exit status");
            assert_same_outputs(&single, &out, &what);
            if !name.ends_with("run") {
                // run's table shows its wall-clock figures; the others' tables are equal.
                assert_eq!(
                    stdout.replace(&out.display().to_string(), "OUT"),
                    String::from_utf8_lossy(&single_stdout)
                        .replace(&single.display().to_string(), "OUT"),
                    "{what}: stdout"
                );
            }
        }
    }
}

/// A finished 3-shard sweep plan in `tmp`, and its merge's reference output.
fn finished_plan(tmp: &TempDir) -> (PathBuf, Vec<String>) {
    let (_, args) = commands(tmp.path()).swap_remove(1);
    let plan = tmp.path().join("plan");
    make_plan(&args, &plan, 3);
    for i in 0..3 {
        run_shard(&plan, i, 1).success();
    }
    (plan, args)
}

fn merge_fails(plan: &Path, out: &Path, wants: &[&str]) {
    let o = chatsim()
        .arg("merge")
        .arg(plan)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for w in wants {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_missing_part_is_named_with_the_command_that_runs_it_again() {
    let tmp = TempDir::new().unwrap();
    let (plan, _) = finished_plan(&tmp);
    std::fs::remove_file(part(&plan, 1)).unwrap();
    merge_fails(
        &plan,
        &tmp.path().join("out"),
        &[
            "no part for shard 1 of 3",
            "sbatch --array=1 ",
            "shard.sbatch",
        ],
    );
    chatsim()
        .arg("status")
        .arg(&plan)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("done:    0,2 (2)"))
        .stdout(predicate::str::contains("missing: 1 (1)"))
        .stdout(predicate::str::contains("sbatch --array=1 "));
}

#[test]
fn a_truncated_part_is_named() {
    let tmp = TempDir::new().unwrap();
    let (plan, _) = finished_plan(&tmp);
    let bytes = std::fs::read(part(&plan, 2)).unwrap();
    // Cut inside the trailer, then inside a unit record.
    for cut in [bytes.len() - 10, bytes.len() / 2] {
        std::fs::write(part(&plan, 2), &bytes[..cut]).unwrap();
        merge_fails(
            &plan,
            &tmp.path().join("out"),
            &["part-00002.jsonl: truncated", "run shard 2 again"],
        );
    }
}

#[test]
fn an_altered_part_fails_its_checksum() {
    let tmp = TempDir::new().unwrap();
    let (plan, _) = finished_plan(&tmp);
    let text = std::fs::read_to_string(part(&plan, 0)).unwrap();
    // One digit of a figure changed: still a complete, well-formed part.
    let at = text.find("\"run\":[").unwrap() + 7;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(part(&plan, 0), &bytes).unwrap();
    merge_fails(
        &plan,
        &tmp.path().join("out"),
        &["part-00000.jsonl: corrupt", "checksum", "run shard 0 again"],
    );
}

#[test]
fn a_part_of_another_plan_is_named() {
    let tmp = TempDir::new().unwrap();
    let (plan, args) = finished_plan(&tmp);
    // The same command planned again with another seed: its parts are not this plan's.
    let other = tmp.path().join("other");
    let mut args = args;
    args.extend(["--seed".to_string(), "99".to_string()]);
    make_plan(&args, &other, 3);
    run_shard(&other, 1, 1).success();
    std::fs::copy(part(&other, 1), part(&plan, 1)).unwrap();
    merge_fails(
        &plan,
        &tmp.path().join("out"),
        &["part-00001.jsonl: a part of another plan"],
    );
}

/// A shard count edited into plan.json is refused by its size before the ranges are
/// worked out for it: 100 000 001 shards (one over the limit) would be 1.6 GB of ranges,
/// which the 400 MB address-space limit turns into "out of memory" instead of the message.
#[test]
fn an_edited_shard_count_is_refused_before_its_ranges_are_made() {
    let tmp = TempDir::new().unwrap();
    let (_, args) = commands(tmp.path()).swap_remove(0);
    let plan = tmp.path().join("plan");
    make_plan(&args, &plan, 2);
    let text = std::fs::read_to_string(plan.join("plan.json")).unwrap();
    assert!(text.contains("\n  \"shards\": 2,\n"), "{text}");
    std::fs::write(
        plan.join("plan.json"),
        text.replace("\n  \"shards\": 2,\n", "\n  \"shards\": 100000001,\n"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    for command in ["status", "merge"] {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 400000 && exec \"$0\" \"$@\"")
            .arg(assert_cmd::cargo::cargo_bin("chatsim"))
            .arg(command)
            .arg(&plan)
            .args(if command == "merge" {
                vec![std::ffi::OsStr::new("--out"), out.as_os_str()]
            } else {
                vec![]
            })
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains("into 100000001 shards; the file was edited, make a new plan"),
            "{command}: {err}"
        );
    }
}

#[test]
fn a_duplicated_part_is_named() {
    let tmp = TempDir::new().unwrap();
    let (plan, _) = finished_plan(&tmp);
    let copy = plan.join("parts").join("part-00001-copy.jsonl");
    std::fs::copy(part(&plan, 1), &copy).unwrap();
    merge_fails(
        &plan,
        &tmp.path().join("out"),
        &[
            "part-00001-copy.jsonl and",
            "part-00001.jsonl are both parts of shard 1",
        ],
    );
}

#[test]
fn a_changed_input_fails_the_shard_and_status_lists_it() {
    let tmp = TempDir::new().unwrap();
    let (_, args) = commands(tmp.path()).swap_remove(1);
    let plan = tmp.path().join("plan");
    make_plan(&args, &plan, 2);
    run_shard(&plan, 0, 1).success();
    let scenario = tmp.path().join("turns.toml");
    std::fs::write(&scenario, turns_scenario().replace("seed = 5", "seed = 6")).unwrap();
    run_shard(&plan, 1, 1)
        .code(2)
        .stderr(predicate::str::contains(
            "turns.toml has changed since the plan was made",
        ));
    chatsim()
        .arg("status")
        .arg(&plan)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("failed:  1 (1)"))
        .stdout(predicate::str::contains("shard 1 failed: the plan's input"))
        .stdout(predicate::str::contains("sbatch --array=1 "));
    // Put back, the shard runs and the plan is complete.
    std::fs::write(&scenario, turns_scenario()).unwrap();
    run_shard(&plan, 1, 1).success();
    chatsim()
        .arg("status")
        .arg(&plan)
        .assert()
        .success()
        .stdout(predicate::str::contains("done:    0-1 (2)"));
}

#[test]
fn a_foreign_fingerprint_stops_the_shard() {
    let tmp = TempDir::new().unwrap();
    let (_, args) = commands(tmp.path()).swap_remove(0);
    let plan = tmp.path().join("plan");
    make_plan(&args, &plan, 2);
    let text = std::fs::read_to_string(plan.join("plan.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ours = v["fingerprint"].as_str().unwrap().to_string();
    std::fs::write(
        plan.join("plan.json"),
        text.replace(&ours, "0123456789abcdef"),
    )
    .unwrap();
    run_shard(&plan, 0, 1)
        .code(2)
        .stderr(predicate::str::contains(format!(
            "numeric fingerprint {ours} on this host differs from the plan's 0123456789abcdef"
        )));
    assert!(!part(&plan, 0).exists());
}

#[test]
fn the_shard_index_comes_from_the_engines_variables() {
    let tmp = TempDir::new().unwrap();
    let (_, args) = commands(tmp.path()).swap_remove(0);
    let plan = tmp.path().join("plan");
    make_plan(&args, &plan, 3);
    for (var, i) in [
        ("SLURM_ARRAY_TASK_ID", 0),
        ("JOB_COMPLETION_INDEX", 1),
        ("AWS_BATCH_JOB_ARRAY_INDEX", 2),
    ] {
        chatsim()
            .arg("shard")
            .arg(&plan)
            .env(var, i.to_string())
            .assert()
            .success();
        assert!(part(&plan, i).exists(), "{var}");
    }
    for (args, env, want) in [
        (
            vec!["--index", "3"],
            None,
            "--index is \"3\": the plan has shards 0 to 2",
        ),
        (vec![], Some("x"), "$SLURM_ARRAY_TASK_ID is \"x\""),
        (
            vec![],
            None,
            "no shard index: give --index I (0 to 2) or set one of",
        ),
    ] {
        let mut c = chatsim();
        c.arg("shard").arg(&plan).args(&args);
        for v in [
            "CHATSIM_SHARD_INDEX",
            "SLURM_ARRAY_TASK_ID",
            "JOB_COMPLETION_INDEX",
            "AWS_BATCH_JOB_ARRAY_INDEX",
        ] {
            c.env_remove(v);
        }
        if let Some(e) = env {
            c.env("SLURM_ARRAY_TASK_ID", e);
        }
        c.assert().code(2).stderr(predicate::str::contains(want));
    }
}

#[test]
fn the_slurm_scripts_submit_an_array_and_an_afterok_merge() {
    let tmp = TempDir::new().unwrap();
    let (_, args) = commands(tmp.path()).swap_remove(1);
    let plan = tmp.path().join("plan");
    make_plan(&args, &plan, 4);
    let submit = std::fs::read_to_string(plan.join("submit.sh")).unwrap();
    assert!(
        submit.contains("sbatch --parsable --array=\"${ARRAY:-0-3}\""),
        "{submit}"
    );
    assert!(submit.contains("--dependency=afterok:\"$jid\""), "{submit}");
    let shard = std::fs::read_to_string(plan.join("shard.sbatch")).unwrap();
    assert!(shard.contains(" shard '"), "{shard}");
    let merge = std::fs::read_to_string(plan.join("merge.sbatch")).unwrap();
    assert!(
        merge.contains(" merge '") && merge.contains("--force"),
        "{merge}"
    );
    // A plan is never written over.
    plan_refused(&args, &plan, "is not empty; give a new directory");
}

/// `ARGS --plan PLAN --shards 2` exits 2 and says `wants`.
fn plan_refused(args: &[String], plan: &Path, wants: &str) {
    chatsim()
        .args(args)
        .arg("--plan")
        .arg(plan)
        .arg("--shards")
        .arg("2")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(wants));
}

/// What `--plan` cannot split is refused before a plan is written (exit 2, the plan
/// directory not created): a run's event log (one replication's chat log, written on one
/// machine) and a per-queue staffing (its skill groups are searched together).
#[test]
fn an_event_log_or_a_per_queue_staffing_is_not_planned() {
    let tmp = TempDir::new().unwrap();
    let s = |p: &Path| p.display().to_string();
    let plan = tmp.path().join("plan");
    let refused = |args: &[String], wants: &str| {
        plan_refused(args, &plan, wants);
        assert!(!plan.exists(), "no plan is written");
    };
    let log = tmp.path().join("chats.csv");
    refused(
        &[
            "run".into(),
            s(&fixture("trace.toml")),
            "--event-log".into(),
            s(&log),
        ],
        "fix: run without --plan to write the log",
    );
    assert!(!log.exists());
    let two = tmp.path().join("two.toml");
    let skills = "\n[agents.skills]\nall = \"english:1 spanish:1\"\n";
    let queues = desks::ENGLISH_SPANISH;
    let run = "[run]\nhorizon_s = 3600\nwarmup_s = 0\nreplications = 2\nseed = 3\n";
    std::fs::write(
        &two,
        format!("{run}{}{skills}{queues}", desks::MMC_8_ERLANGS),
    )
    .unwrap();
    refused(
        &[
            "staff".into(),
            s(&two),
            "--target".into(),
            "service_level[english]>=0.6".into(),
        ],
        "--plan cannot split a per-queue staffing",
    );
}
