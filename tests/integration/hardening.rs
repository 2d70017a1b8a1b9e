//! Issue 14, the process side, through the real binary: one test (or a few) per class,
//! each with the example that found it and variants of it.
//!
//! 1. Never a panic or an abort: tiny bench rosters, a closed or full stdout for every
//!    command, threads that cannot start, memory that runs out, the catch-all.
//! 3. Limits are checked before any work: `--out` as a symlink (to a directory, or
//!    dangling), under a read-only or uncreatable parent.
//! 4. Nothing is deleted that chatsim did not create: `--force` and the working
//!    directory, the inputs, files chatsim did not write, reports without a manifest.
//! 5. Output stays well-formed whatever the input holds: hostile agent and group names in
//!    every writer.
//!
//! Class 2 (interrupts) is in `interrupt.rs`; docs/testing.md says what each class
//! guarantees.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("chatsim")
}

fn chatsim() -> Command {
    let mut c = Command::new(bin());
    // The catch-all prints a backtrace when asked to; these tests check it does not.
    c.env_remove("RUST_BACKTRACE");
    c
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn small() -> String {
    repo("tests/fixtures/small.toml").display().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every entry of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every file under `dir` with its bytes (relative path → bytes), for "nothing changed".
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                ));
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), vec![]));
            }
        }
    }
    out.sort();
    out
}

/// Neither a panic's report nor an abort: no exit 101/134, no "panicked at".
fn assert_no_panic(what: &str, out: &Output) {
    let stderr = text(&out.stderr);
    assert!(
        !matches!(out.status.code(), Some(101 | 134)) && out.status.signal() != Some(6),
        "{what}: {:?}\n{stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{what}: {stderr}"
    );
}

// ----- 1. never a panic or an abort ------------------------------------------------------

/// `chatsim bench --agents 1` panicked (index out of bounds): its one agent was busy, the
/// desk's two customers waited, and the workload touched an open session that was not
/// there.
#[test]
fn bench_runs_every_tiny_roster() {
    let out = chatsim()
        .args(["bench", "--agents", "1", "--run-ms", "5", "--repeat", "1"])
        .output()
        .unwrap();
    assert_no_panic("bench --agents 1", &out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = chatsim()
        .args([
            "bench",
            "--agents",
            "1,2,3,4,5,7,19,21",
            "--fixed-ops",
            "3000",
        ])
        .args(["--repeat", "2", "--json"])
        .output()
        .unwrap();
    assert_no_panic("bench with tiny rosters", &out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 7 * 8);
}

/// Every command, its stdout closed before it writes a byte (what `| head -1` does to
/// the rest of a report): it ends by SIGPIPE, quietly — the shell's 141, as for `cat`.
/// `replay --json | head -1` used to panic 19 times in 20.
#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let log = repo("scenarios/example-log.csv").display().to_string();
    let sm = small();
    let commands: Vec<Vec<&str>> = vec![
        vec!["replay", &log, "--json"],
        vec!["replay", &log],
        vec!["validate", &sm],
        vec!["run", &sm],
        vec![
            "sweep",
            &sm,
            "--set",
            "agents.count=2,3",
            "--replications",
            "2",
        ],
        vec!["check", &sm, "--expect", "offered>=0"],
        vec!["compare", &sm, "--set-b", "agents.count=3"],
        vec!["staff", &sm, "--target", "service_level=0.5"],
        vec![
            "bench",
            "--agents",
            "10",
            "--fixed-ops",
            "1000",
            "--repeat",
            "1",
        ],
        vec!["--help"],
    ];
    for args in &commands {
        let rounds = if args[0] == "replay" { 20 } else { 2 };
        // Another test thread forking at the moment the reader is dropped holds a copy of
        // the read end until its child execs: a write in that window succeeds and the
        // command ends normally. So a clean exit 0 is taken as that race, but every
        // command must show the SIGPIPE ending in some round (up to 20 more are tried).
        let mut sigpipes = 0;
        let mut round = 0;
        while round < rounds || (sigpipes == 0 && round < rounds + 20) {
            round += 1;
            // chatsim is started (by the shell's exec) only once the reader is gone, so
            // its first write meets a closed pipe.
            let mut child = Command::new("sh")
                .arg("-c")
                .arg("read _ && exec \"$0\" \"$@\"")
                .arg(bin())
                .args(args)
                .env_remove("RUST_BACKTRACE")
                .current_dir(tmp.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take());
            let mut go = child.stdin.take().unwrap();
            go.write_all(b"go\n").unwrap();
            drop(go);
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            let status = child.wait().unwrap();
            assert!(stderr.is_empty(), "{args:?}: {stderr}");
            match status.signal() {
                Some(13) => sigpipes += 1,
                _ => assert!(status.success(), "{args:?}: {status:?}, stderr:\n{stderr}"),
            }
        }
        assert!(
            sigpipes > 0,
            "{args:?}: never ended by SIGPIPE in {round} rounds"
        );
    }
}

/// A stdout that cannot be written for another reason (a full disk) is an error with
/// exit 2, not a panic.
#[test]
fn a_full_stdout_is_an_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let log = repo("scenarios/example-log.csv").display().to_string();
    let sm = small();
    for args in [
        vec!["replay", &log, "--json"],
        vec!["validate", &sm],
        vec!["run", &sm],
        vec![
            "sweep",
            &sm,
            "--set",
            "agents.count=2,3",
            "--replications",
            "2",
        ],
        vec![
            "bench",
            "--agents",
            "10",
            "--fixed-ops",
            "1000",
            "--repeat",
            "1",
        ],
    ] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = chatsim().args(&args).stdout(full).output().unwrap();
        assert_no_panic(&format!("{args:?}"), &out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("error: cannot write to standard output: "),
            "{args:?}: {stderr}"
        );
    }
}

/// The catch-all: a panic left anywhere (here `check` printing with `println!` to a full
/// disk, until it prints through `cli::print_out`) is one line and exit 70, never a
/// backtrace or 101; once fixed at the source it is exit 2 like the others.
#[test]
fn a_remaining_panic_is_one_line() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = chatsim()
        .args(["check", &small(), "--expect", "offered>=0"])
        .stdout(full)
        .output()
        .unwrap();
    assert_no_panic("check > /dev/full", &out);
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    match out.status.code() {
        Some(70) => assert!(
            stderr.starts_with("error: internal error: ")
                && stderr.contains("this is a bug in chatsim"),
            "{stderr}"
        ),
        Some(2) => assert!(stderr.starts_with("error: cannot write"), "{stderr}"),
        other => panic!("{other:?}: {stderr}"),
    }
}

/// Runs `chatsim args…` under `sh -c 'ulimit -v KB; …'` with extra environment.
fn limited(kb: u64, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
        .arg(bin())
        .args(args)
        .env_remove("RUST_BACKTRACE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// `run --threads 1024 --replications 1024` under `ulimit -v 1000000` panicked on
/// `expect("thread pool")` or aborted: it runs (no more workers than cores under an
/// address-space limit).
#[test]
fn many_threads_under_a_memory_limit_run() {
    let sm = small();
    let out = limited(
        1_000_000,
        &[],
        &["run", &sm, "--threads", "1024", "--replications", "1024"],
    );
    assert_no_panic("1024 threads under ulimit -v", &out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1024 replications"));
}

/// No worker thread can start (each asks for a 3 GB stack under a 2 GB limit): the run
/// falls back to the main thread, says so, and gives the same figures.
#[test]
fn threads_that_cannot_start_fall_back_to_the_main_thread() {
    let sm = small();
    let big_stacks = [("RUST_MIN_STACK", "3000000000")];
    let reference = chatsim()
        .args([
            "run",
            &sm,
            "--threads",
            "1",
            "--replications",
            "4",
            "--seed",
            "9",
        ])
        .output()
        .unwrap();
    for args in [
        vec![
            "run",
            &sm,
            "--threads",
            "4",
            "--replications",
            "4",
            "--seed",
            "9",
        ],
        vec![
            "sweep",
            &sm,
            "--set",
            "agents.count=2,3",
            "--replications",
            "2",
        ],
    ] {
        let out = limited(2_000_000, &big_stacks, &args);
        assert_no_panic(&format!("{args:?}"), &out);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no worker thread could be started")
                || stderr.contains("the system allowed only"),
            "{args:?}: {stderr}"
        );
        if args[0] == "run" {
            let figures = |o: &[u8]| {
                text(o)
                    .lines()
                    .filter(|l| !l.contains("(wall)"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(figures(&out.stdout), figures(&reference.stdout));
        }
    }
}

/// Memory that runs out is exit 2 with a message, not Rust's abort (134): a roster of a
/// million agents (one of its per-agent tables alone asks for 104 MB)
/// under a 100 MB limit. (It was 36 000 reporting intervals; a run's memory no longer
/// grows with its intervals: docs/outputs.md, "Long runs".)
#[test]
fn running_out_of_memory_is_a_message_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = fs::read_to_string(repo("tests/fixtures/small.toml"))
        .unwrap()
        .replace("count = 2", "count = 1000000");
    let path = tmp.path().join("long.toml");
    fs::write(&path, sc).unwrap();
    let out = limited(
        100_000,
        &[],
        &[
            "run",
            path.to_str().unwrap(),
            "--replications",
            "64",
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ],
    );
    assert_no_panic("out of memory", &out);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: out of memory: ") && stderr.contains("ulimit -v"),
        "{stderr}"
    );
    assert_eq!(entries(tmp.path()), vec!["long.toml"]);
}

// ----- 3. limits are checked before any work ---------------------------------------------

/// The three commands that write a directory, each a long job (minutes) if it started.
fn long_jobs(out: &str) -> Vec<Vec<String>> {
    let mmc = repo("scenarios/mmc.toml").display().to_string();
    let default = repo("scenarios/default.toml").display().to_string();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["run", &mmc, "--replications", "400", "--out", out]),
        v(&[
            "staff",
            &default,
            "--target",
            "service_level=0.8",
            "--out",
            out,
        ]),
        v(&[
            "sweep",
            &mmc,
            "--set",
            "agents.count=8:40:1",
            "--replications",
            "50",
            "--out",
            out,
        ]),
    ]
}

/// Runs each long job with `--out out` (plus `extra`) in `dir`: exit 2 within seconds,
/// nothing on stdout (no table: nothing was simulated), stderr naming the path and
/// holding `want`, and `dir` unchanged.
fn refused_before_any_work(dir: &Path, out: &str, extra: &[&str], want: &[&str]) {
    for mut args in long_jobs(out) {
        args.extend(extra.iter().map(|s| s.to_string()));
        let before = snapshot(dir);
        let started = Instant::now();
        let o = chatsim().args(&args).current_dir(dir).output().unwrap();
        let took = started.elapsed();
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(o.stdout.is_empty(), "{args:?} worked before refusing");
        assert!(took < Duration::from_secs(5), "{args:?} took {took:?}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        for w in want.iter().chain([&out]) {
            assert!(stderr.contains(w), "{args:?}: lacks {w:?}: {stderr}");
        }
        assert_eq!(snapshot(dir), before, "{args:?} changed the directory");
    }
}

#[test]
fn an_out_that_is_a_symlink_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("real")).unwrap();
    fs::write(tmp.path().join("real/summary.json"), b"{}").unwrap();
    std::os::unix::fs::symlink("real", tmp.path().join("link")).unwrap();
    std::os::unix::fs::symlink("nowhere", tmp.path().join("dangling")).unwrap();
    for force in [&[][..], &["--force"][..]] {
        refused_before_any_work(
            tmp.path(),
            "link",
            force,
            &[
                "is a symbolic link to real",
                "give the real directory's path",
            ],
        );
        refused_before_any_work(
            tmp.path(),
            "dangling",
            force,
            &[
                "is a symbolic link to nowhere, which does not exist",
                "remove the link",
            ],
        );
    }
    // A symlink higher up the path is fine: only the target itself must be real.
    let out = chatsim()
        .args(["run", &small(), "--out", "link/sub"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(tmp.path().join("real/sub/summary.json").is_file());
}

#[test]
fn an_out_under_an_unwritable_or_uncreatable_parent_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    // Nobody, root included, creates anything in /proc: a parent there, or missing below it.
    if Path::new("/proc/self").exists() {
        for out in ["/proc/chatsim-out", "/proc/chatsim-missing/deeper/out"] {
            refused_before_any_work(
                tmp.path(),
                out,
                &[],
                &[
                    "cannot create anything in /proc",
                    "choose another output path",
                ],
            );
        }
    }
    // A read-only parent (not read-only to root, who may write anywhere: then skipped).
    let ro = tmp.path().join("ro");
    fs::create_dir(&ro).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let root_writes = fs::create_dir(ro.join("probe")).is_ok();
    if !root_writes {
        for out in ["ro/out", "ro/missing/out"] {
            refused_before_any_work(
                tmp.path(),
                out,
                &[],
                &["cannot create anything in", "writable"],
            );
        }
    }
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
}

// ----- 4. nothing is deleted that chatsim did not create --------------------------------

/// `cd desk && chatsim run small.toml --out ../desk --force` deleted the working
/// directory, scenario and all.
#[test]
fn force_never_deletes_the_working_directory_or_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = tmp.path().join("desk");
    fs::create_dir(&desk).unwrap();
    fs::copy(repo("tests/fixtures/small.toml"), desk.join("small.toml")).unwrap();
    let before = snapshot(tmp.path());
    let refused = |dir: &Path, args: &[&str], want: &str| {
        let o = chatsim().args(args).current_dir(dir).output().unwrap();
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(o.stdout.is_empty(), "{args:?}: worked before refusing");
        assert!(stderr.contains(want), "{args:?}: lacks {want:?}: {stderr}");
    };
    // The example: the scenario is in the target, and it is the working directory.
    refused(
        &desk,
        &["run", "small.toml", "--out", "../desk", "--force"],
        "refusing to replace output directory ../desk",
    );
    // The target is an ancestor of the working directory.
    fs::create_dir(desk.join("sub")).unwrap();
    refused(
        &desk.join("sub"),
        &["run", "../small.toml", "--out", "../../desk", "--force"],
        "refusing to replace",
    );
    fs::remove_dir(desk.join("sub")).unwrap();
    assert_eq!(snapshot(tmp.path()), before);

    // A directory that is chatsim's by every file (summary.json) but is the working
    // directory, the scenario being elsewhere.
    let results = tmp.path().join("results");
    fs::create_dir(&results).unwrap();
    fs::write(results.join("summary.json"), b"{}").unwrap();
    refused(
        &results,
        &[
            "run",
            "../desk/small.toml",
            "--out",
            "../results",
            "--force",
        ],
        "it holds the current directory",
    );
    // An earlier run's directory, re-run from its own resolved scenario.
    let o = chatsim()
        .args(["run", "desk/small.toml", "--out", "earlier"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    let earlier = snapshot(&tmp.path().join("earlier"));
    refused(
        tmp.path(),
        &[
            "run",
            "earlier/scenario.resolved.toml",
            "--out",
            "earlier",
            "--force",
        ],
        "it holds an input of this run",
    );
    assert_eq!(snapshot(&tmp.path().join("earlier")), earlier);
    // A file the scenario names (a roster called agents.csv, alone in its directory:
    // every file a name chatsim writes) is protected too.
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::write(
        shared.join("agents.csv"),
        "id,group,max_sessions,shift_start,shift_end\nA1,g,1,00:00,02:00\nA2,g,1,00:00,02:00\n",
    )
    .unwrap();
    let sc = fs::read_to_string(repo("tests/fixtures/small.toml"))
        .unwrap()
        .replace("count = 2", "roster = \"../shared/agents.csv\"");
    fs::write(desk.join("roster.toml"), sc).unwrap();
    for cmd in [
        vec!["run", "desk/roster.toml", "--out", "shared", "--force"],
        vec![
            "sweep",
            "desk/roster.toml",
            "--set",
            "run.seed=1,2",
            "--out",
            "shared",
            "--force",
        ],
        vec![
            "staff",
            "desk/roster.toml",
            "--target",
            "service_level=0.5",
            "--out",
            "shared",
            "--force",
        ],
    ] {
        refused(tmp.path(), &cmd, "it holds an input of this run");
    }
    assert!(shared.join("agents.csv").is_file());
}

/// `--force` replaces only a directory whose files are all chatsim's.
#[test]
fn force_refuses_a_directory_holding_files_chatsim_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("summary.json"), b"{\"earlier\": true}").unwrap();
    fs::write(out.join("notes.txt"), b"mine").unwrap();
    refused_before_any_work(
        tmp.path(),
        "out",
        &["--force"],
        &[
            "files chatsim did not write (notes.txt)",
            "move those files out or choose another output path",
        ],
    );
    // With a manifest, what it lists is chatsim's and nothing else.
    fs::remove_file(out.join("notes.txt")).unwrap();
    let o = chatsim()
        .args(["run", &small(), "--out", "out", "--force"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    fs::write(out.join("mine.csv"), b"x").unwrap();
    refused_before_any_work(
        tmp.path(),
        "out",
        &["--force"],
        &["files chatsim did not write (mine.csv)"],
    );
}

/// The committed `reports/default` has no manifest: regenerating it with `--force` works
/// (every file a name chatsim writes), and gives it one.
#[test]
fn force_replaces_a_report_written_before_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("reports/default");
    fs::create_dir_all(&target).unwrap();
    for e in fs::read_dir(repo("reports/default")).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, target.join(p.file_name().unwrap())).unwrap();
    }
    fs::remove_file(target.join(".chatsim-output")).ok();
    let o = chatsim()
        .arg("run")
        .arg(repo("scenarios/default.toml"))
        .args(["--replications", "2", "--force", "--out"])
        .arg(&target)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(target.join(".chatsim-output").is_file());
    assert!(text(&fs::read(target.join("summary.json")).unwrap()).contains("\"replications\": 2"));
    assert_eq!(
        entries(tmp.path().join("reports").as_path()),
        vec!["default"]
    );
}

// ----- 5. output stays well-formed whatever the input holds -------------------------------

/// Names with an ANSI colour, a bell, markup, a quote, other control characters (C0, DEL,
/// C1's CSI) and the right-to-left override.
const HOSTILE_AGENTS: &[&str] = &[
    "\u{1b}[31mred",
    "bell\u{7}",
    "<b>&amp",
    "quo\"te,comma",
    "ctl\u{1}\u{1f}\u{7f}\u{9b}2J",
    "\u{202e}evil",
    "plain",
];
const HOSTILE_GROUPS: &[&str] = &["\u{1b}[32mg1", "g<2>&\"'\u{202e}\u{7}"];

/// Whether `c` must not reach a terminal or a page raw (the test's own list).
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A small desk whose roster holds the hostile names, in `dir`.
fn hostile_desk(dir: &Path) -> PathBuf {
    let mut roster = String::from("id,group,max_sessions,shift_start,shift_end\n");
    for (i, a) in HOSTILE_AGENTS.iter().enumerate() {
        let g = HOSTILE_GROUPS[i % 2];
        roster.push_str(&format!(
            "{},{},2,00:00,02:00\n",
            csv_field(a),
            csv_field(g)
        ));
    }
    fs::write(dir.join("roster.csv"), roster).unwrap();
    let sc = fs::read_to_string(repo("tests/fixtures/small.toml"))
        .unwrap()
        .replace("count = 2", "roster = \"roster.csv\"");
    let path = dir.join("desk.toml");
    fs::write(&path, sc).unwrap();
    path
}

/// A small XML well-formedness check: only characters XML 1.0 allows, every `&` an
/// entity, every tag closed in order, attribute values quoted without `<`.
fn assert_well_formed_xml(name: &str, doc: &str) {
    for (i, c) in doc.char_indices() {
        let allowed =
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}');
        assert!(
            allowed,
            "{name}: character {c:?} at byte {i} is not allowed in XML"
        );
    }
    let entity_ok = |s: &str| -> usize {
        let end = s
            .find(';')
            .unwrap_or_else(|| panic!("{name}: `&` without `;`"));
        let ent = &s[1..end];
        let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
            || ent
                .strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || ent
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        assert!(ok, "{name}: bad entity &{ent};");
        end + 1
    };
    let mut stack: Vec<String> = vec![];
    let mut rest = doc;
    while let Some(i) = rest.find(['<', '&']) {
        rest = &rest[i..];
        if rest.starts_with('&') {
            rest = &rest[entity_ok(rest)..];
        } else if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>").expect("?> closes <?") + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->").expect("--> closes <!--") + 3..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').expect("> closes </");
            let tag = r[..end].trim();
            assert_eq!(
                stack.pop().as_deref(),
                Some(tag),
                "{name}: </{tag}> out of order"
            );
            rest = &r[end + 1..];
        } else {
            // An opening tag: name, attributes with quoted values, `>` or `/>`.
            let mut j = 1;
            let bytes = rest.as_bytes();
            let mut quote = None;
            while j < bytes.len() {
                let b = bytes[j];
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {
                        assert!(b != b'<', "{name}: `<` in an attribute value");
                        if b == b'&' {
                            j += entity_ok(&rest[j..]) - 1;
                        }
                    }
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None if b == b'>' => break,
                    None => {}
                }
                j += 1;
            }
            let inner = &rest[1..j];
            let tag: String = inner
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '/')
                .collect();
            if !inner.ends_with('/') {
                stack.push(tag);
            }
            rest = &rest[j + 1..];
        }
    }
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
}

/// The roster's hostile names through `run --out`: the terminal output has no escape
/// byte, every SVG is well-formed XML, the HTML has no raw control or bidi character,
/// CSV and JSON give the names back exactly.
#[test]
fn hostile_names_keep_every_output_well_formed() {
    let tmp = tempfile::tempdir().unwrap();
    let desk = hostile_desk(tmp.path());
    let o = chatsim()
        .arg("run")
        .arg(&desk)
        .args(["--out", "out"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    for stream in [&o.stdout, &o.stderr] {
        assert!(!text(stream).chars().any(unsafe_char));
    }
    let out = tmp.path().join("out");
    let mut svgs = 0;
    for name in entries(&out) {
        let bytes = fs::read(out.join(&name)).unwrap();
        let doc = text(&bytes);
        if name.ends_with(".svg") {
            svgs += 1;
            assert_well_formed_xml(&name, &doc);
        }
        if name.ends_with(".html") {
            assert!(!doc.chars().any(unsafe_char), "{name}");
            assert!(doc.contains("\\u{1b}[32mg1 (4 agents)"), "{name}");
            assert!(
                doc.contains("g&lt;2&gt;&amp;&quot;&#39;\\u{202e}\\u{7}"),
                "{name}"
            );
        }
        if name.ends_with(".json") {
            assert!(!doc.chars().any(unsafe_char), "{name}");
        }
    }
    assert_eq!(svgs, 4);
    assert_well_formed_xml(
        "report.html's plots",
        &text(&fs::read(out.join("plot_occupancy_groups.svg")).unwrap()),
    );
    // CSV round-trips.
    let column = |file: &str, col: usize| -> Vec<String> {
        let mut r = csv::Reader::from_path(out.join(file)).unwrap();
        r.records().map(|x| x.unwrap()[col].to_string()).collect()
    };
    assert_eq!(column("agents.csv", 0), HOSTILE_AGENTS);
    let groups_of_agents: Vec<&str> = (0..HOSTILE_AGENTS.len())
        .map(|i| HOSTILE_GROUPS[i % 2])
        .collect();
    assert_eq!(column("agents.csv", 1), groups_of_agents);
    assert_eq!(column("groups.csv", 0), HOSTILE_GROUPS);
    // JSON round-trips.
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let names: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, HOSTILE_GROUPS);
    // The workbook is valid and round-trips them too (a spreadsheet is a program's reader).
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("report.xlsx")).expect("report.xlsx opens");
    let sheet_column = |wb: &mut calamine::Xlsx<_>, sheet: &str, rows: usize| -> Vec<String> {
        let r = wb.worksheet_range(sheet).unwrap();
        (0..rows)
            .map(|k| r.get_value((3 + k as u32, 0)).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        sheet_column(&mut wb, "Agents", HOSTILE_AGENTS.len()),
        HOSTILE_AGENTS
    );
    assert_eq!(
        sheet_column(&mut wb, "Groups", HOSTILE_GROUPS.len()),
        HOSTILE_GROUPS
    );
}

/// Names from a replay log reach the terminal table and the JSON report; from a roster
/// with a mistake, an error message; a hostile scenario file name, `validate`'s line.
#[test]
fn hostile_names_never_reach_the_terminal_raw() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = String::from("timestamp,session,agent,kind\n");
    for (i, a) in HOSTILE_AGENTS.iter().enumerate() {
        let s = csv_field(&format!("s\u{1b}]0;title\u{7}{i}"));
        let a = csv_field(a);
        let t = 10 * i;
        log.push_str(&format!("{t},{s},{a},request\n{},{s},{a},close\n", t + 5));
    }
    fs::write(tmp.path().join("log.csv"), log).unwrap();
    let o = chatsim()
        .args(["replay", "log.csv"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let shown = text(&o.stdout);
    assert!(!shown.chars().any(unsafe_char), "{shown}");
    assert!(
        shown.contains("\\u{1b}[31mred") && shown.contains("\\u{202e}evil"),
        "{shown}"
    );
    let o = chatsim()
        .args(["replay", "log.csv", "--json"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!text(&o.stdout).chars().any(unsafe_char));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut agents: Vec<&str> = v["per_agent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent"].as_str().unwrap())
        .collect();
    let mut want = HOSTILE_AGENTS.to_vec();
    agents.sort();
    want.sort();
    assert_eq!(agents, want);

    // An error quoting a hostile name (a duplicate agent id).
    hostile_desk(tmp.path());
    let roster = fs::read_to_string(tmp.path().join("roster.csv")).unwrap();
    let first = roster.lines().nth(1).unwrap().to_string();
    fs::write(tmp.path().join("roster.csv"), format!("{roster}{first}\n")).unwrap();
    let o = chatsim()
        .args(["validate", "desk.toml"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.chars().any(unsafe_char), "{stderr}");

    // A scenario whose file name holds an escape sequence.
    let name = "desk\u{1b}[2J\u{202e}.toml";
    fs::copy(repo("tests/fixtures/small.toml"), tmp.path().join(name)).unwrap();
    let o = chatsim()
        .args(["validate", name])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let shown = text(&o.stdout);
    assert!(!shown.chars().any(unsafe_char), "{shown}");
    assert!(
        shown.starts_with("desk\\u{1b}[2J\\u{202e}.toml: ok"),
        "{shown}"
    );
}

/// An overloaded desk with infinite patience (one agent, 100 arrivals per second) stops
/// with a clear error once a million customers wait at once, instead of growing its
/// memory with every arrival (1.24 GB at 10⁷ customers before the limit). Exit 2, nothing
/// written; docs/testing.md gives the peak RSS at the limit.
#[test]
fn an_overloaded_desk_stops_at_the_wait_queue_limit() {
    let dir = tempfile::TempDir::new().unwrap();
    let sc = dir.path().join("over.toml");
    fs::write(
        &sc,
        "[run]\nhorizon_s = 100000\nwarmup_s = 0\nreplications = 1\nmax_events = 100000000\n\
         [arrivals]\nkind = \"poisson\"\nrate_per_hour = 360000\n\
         [sessions]\nmodel = \"holding\"\nholding_time = { dist = \"exponential\", mean_s = 60 }\n\
         [agents]\ncount = 1\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = chatsim()
        .args(["run", sc.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("the desk is overloaded: 1000000 customers"),
        "{err}"
    );
    assert!(err.contains("add agents"), "{err}");
    assert!(!out.exists());
}
