//! Interrupts and crash-safe outputs, through the real binary.
//!
//! SIGINT and SIGTERM stop every command within a second, with exit 130, `chatsim:
//! interrupted; nothing was written` and nothing at the `--out` target (no directory, no
//! `.out.tmp-*`): `run` with short replications (the flag is checked between
//! replications, not only inside them), `staff` (between candidates), `sweep` of small
//! points (between grid points), `replay` of a large log and `validate` of a big trace
//! (work that reads input), and `shard` (its part, written as units finish, stays a hidden
//! temporary file until complete). An existing target is never touched without `--force`, and
//! with `--force` it is replaced only once the new run is complete.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `--set` for the small desk: a 100-hour horizon (6 000 customers a replication), so a
/// replication is about a millisecond and many of them last long past the signal.
const LONG_HORIZON: &str = "run.horizon_s=360000";

fn mmc() -> PathBuf {
    repo("scenarios/mmc.toml")
}

fn chatsim() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("chatsim"))
}

/// Starts chatsim with `args` in `dir`, stdout and stderr piped (stdout is drained by a
/// thread, so a large report never blocks the child).
fn start(dir: &Path, args: &[&str]) -> Child {
    let mut child = chatsim()
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = stdout.read_to_end(&mut sink);
    });
    child
}

/// Starts `chatsim run` on the M/M/c+M scenario; 400 replications take minutes.
fn spawn(out: &Path, extra: &[&str]) -> Child {
    chatsim()
        .arg("run")
        .arg(mmc())
        .args(["--replications", "400", "--out"])
        .arg(out)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Sends `signal` (`INT`, `TERM`) with the system's `kill`, no libc needed.
fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} failed");
}

/// Waits for the child to exit (at most `limit`), then returns its status and stderr.
fn finish(child: Child, limit: Duration) -> (ExitStatus, String) {
    wait_within(child, limit).unwrap_or_else(|| panic!("chatsim did not stop within {limit:?}"))
}

/// The child's exit status and stderr once it exits, or `None` (the child killed) if it
/// has not exited within `limit`. Shared with the mutation harness.
pub(crate) fn wait_within(mut child: Child, limit: Duration) -> Option<(ExitStatus, String)> {
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Some((status, stderr))
}

fn child_is_running(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
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

/// Runs chatsim with `args` in `dir`, signals it with each of SIGINT and SIGTERM after
/// `after`, and asserts: it was still running then, it exited 130 within a second of the
/// signal saying it was interrupted, and `dir` holds exactly what it held before (no
/// output directory, no temporary directory, no probe).
fn stops_within_a_second(dir: &Path, args: &[&str], after: Duration) {
    let before = entries(dir);
    for signal in ["INT", "TERM"] {
        let mut child = start(dir, args);
        std::thread::sleep(after);
        assert!(
            child_is_running(&mut child),
            "{args:?} ended before SIG{signal}: make its work longer"
        );
        send(&child, signal);
        let sent = Instant::now();
        let (status, stderr) = finish(child, Duration::from_secs(20));
        let took = sent.elapsed();
        assert_eq!(
            status.code(),
            Some(130),
            "{args:?} SIG{signal}: stderr:\n{stderr}"
        );
        assert!(
            took < Duration::from_secs(1),
            "{args:?} took {took:?} to stop after SIG{signal}"
        );
        assert!(
            stderr.contains("chatsim: interrupted; nothing was written"),
            "{args:?} SIG{signal}: stderr:\n{stderr}"
        );
        assert_eq!(
            entries(dir),
            before,
            "{args:?} SIG{signal} left something behind"
        );
    }
}

#[test]
fn run_with_short_replications_stops_between_them() {
    // 100 000 replications of about a millisecond each (6 000 customers): the flag must
    // be seen between them. A minute of work on a 2-core VM, so even a machine many times
    // faster is still at it when the signal comes.
    let tmp = tempfile::tempdir().unwrap();
    let sc = repo("tests/fixtures/small.toml");
    stops_within_a_second(
        tmp.path(),
        &[
            "run",
            sc.to_str().unwrap(),
            "--set",
            LONG_HORIZON,
            "--replications",
            "100000",
            "--out",
            "out",
        ],
        Duration::from_millis(500),
    );
}

/// A shard stopped mid-way leaves its plan's parts directory as it was: no part, no
/// temporary part, no failure note (an interruption is not a failure of the shard).
#[test]
fn an_interrupted_shard_leaves_no_part_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan");
    let sc = repo("tests/fixtures/small.toml");
    // 100 000 replications of about a millisecond each in one shard: a minute of work.
    let status = chatsim()
        .args([
            "run",
            sc.to_str().unwrap(),
            "--set",
            LONG_HORIZON,
            "--replications",
            "100000",
            "--plan",
        ])
        .arg(&plan)
        .args(["--shards", "1"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let parts = plan.join("parts");
    assert_eq!(entries(&parts), Vec::<String>::new());
    stops_within_a_second(
        &parts,
        &["shard", plan.to_str().unwrap(), "--index", "0"],
        Duration::from_millis(500),
    );
}

#[test]
fn staff_stops_between_candidates() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = repo("scenarios/default.toml");
    stops_within_a_second(
        tmp.path(),
        &[
            "staff",
            sc.to_str().unwrap(),
            "--target",
            "service_level=0.8",
            "--out",
            "out",
        ],
        Duration::from_millis(500),
    );
}

#[test]
fn compare_stops_between_replications() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = repo("tests/fixtures/small.toml");
    stops_within_a_second(
        tmp.path(),
        &[
            "compare",
            sc.to_str().unwrap(),
            "--set",
            LONG_HORIZON,
            "--set-b",
            "agents.count=3",
            "--replications",
            "100000",
            "--out",
            "out",
        ],
        Duration::from_millis(500),
    );
}

#[test]
fn sweep_of_small_points_stops_between_them() {
    // 2 000 points of 100 replications of 600 customers (a few tens of milliseconds per
    // point): over 20 s of work on a 2-core VM. With 200 points of 60 customers it
    // finished inside the 500 ms on a quiet machine.
    let tmp = tempfile::tempdir().unwrap();
    let sc = repo("tests/fixtures/small.toml");
    stops_within_a_second(
        tmp.path(),
        &[
            "sweep",
            sc.to_str().unwrap(),
            "--set",
            "run.horizon_s=36000",
            "--set",
            "agents.count=1:2000:1",
            "--replications",
            "100",
            "--out",
            "out",
        ],
        Duration::from_millis(500),
    );
}

#[test]
fn replay_of_a_large_log_stops() {
    let tmp = tempfile::tempdir().unwrap();
    // 3 million rows (100 MB): 1.6 s of parsing and replaying on a 2-core VM, ten times
    // the 150 ms the signal waits for (long enough for the handler to be in place).
    let mut log = String::with_capacity(110 << 20);
    log.push_str("timestamp,session,agent,kind\n");
    for s in 0..750_000u64 {
        let t = s as f64 * 0.05;
        let a = s % 200;
        log.push_str(&format!(
            "{t:.3},c{s},a{a},request\n{:.3},c{s},a{a},agent_reply\n{:.3},c{s},,customer_message\n{:.3},c{s},a{a},close\n",
            t + 0.001,
            t + 0.002,
            t + 0.003
        ));
    }
    fs::write(tmp.path().join("log.csv"), log).unwrap();
    stops_within_a_second(
        tmp.path(),
        &["replay", "log.csv", "--json"],
        Duration::from_millis(150),
    );
}

#[test]
fn validate_of_a_big_trace_stops() {
    let tmp = tempfile::tempdir().unwrap();
    // 12 million arrival instants (132 MB): the loader reads and checks them for 1.1 s on
    // a 2-core VM (seven times the 150 ms the signal waits for), and cannot poll the flag
    // itself; the interrupt handler ends the process for it.
    let mut trace = String::with_capacity(140 << 20);
    trace.push_str("time\n");
    for i in 1..=12_000_000u64 {
        trace.push_str(&format!("{}.{:02}\n", i / 100, i % 100));
    }
    fs::write(tmp.path().join("trace.csv"), trace).unwrap();
    fs::write(
        tmp.path().join("trace.toml"),
        "[run]\nhorizon_s = 120000\nreplications = 1\n\n[arrivals]\nkind = \"trace\"\n\
         file = \"trace.csv\"\n\n[sessions]\nmodel = \"holding\"\n\
         holding_time = { dist = \"exponential\", mean_s = 60 }\n\n[agents]\ncount = 3\n",
    )
    .unwrap();
    stops_within_a_second(
        tmp.path(),
        &["validate", "trace.toml"],
        Duration::from_millis(150),
    );
}

/// Earlier results: a real chatsim output directory (a one-axis sweep: `sweep.csv`,
/// `seed.txt` and the manifest), returned file by file for byte-for-byte checks.
fn earlier_results(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let status = chatsim()
        .arg("sweep")
        .arg(repo("tests/fixtures/small.toml"))
        .args(["--set", "agents.count=2,3", "--replications", "1", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(out)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert_eq!(
        entries(out),
        vec![".chatsim-output", "seed.txt", "sweep.csv"]
    );
    files
}

fn assert_unchanged(files: &[(PathBuf, Vec<u8>)]) {
    for (path, bytes) in files {
        assert_eq!(
            &fs::read(path).unwrap(),
            bytes,
            "{} changed",
            path.display()
        );
    }
}

/// Stops a long run with `signal` after a second and checks that nothing was written.
fn interrupted_run_writes_nothing(signal: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut child = spawn(&out, &[]);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        child_is_running(&mut child),
        "the run ended before the signal"
    );
    send(&child, signal);
    let (status, stderr) = finish(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130), "SIG{signal}: stderr:\n{stderr}");
    assert!(
        stderr.contains("chatsim: interrupted; nothing was written"),
        "SIG{signal}: stderr:\n{stderr}"
    );
    assert!(
        entries(tmp.path()).is_empty(),
        "SIG{signal} left {:?} beside the target",
        entries(tmp.path())
    );
}

#[test]
fn sigint_stops_the_run_with_130_and_writes_nothing() {
    interrupted_run_writes_nothing("INT");
}

#[test]
fn sigterm_stops_the_run_with_130_and_writes_nothing() {
    interrupted_run_writes_nothing("TERM");
}

#[test]
fn an_interrupted_forced_run_leaves_the_old_results_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let old = earlier_results(&out);
    let child = spawn(&out, &["--force"]);
    std::thread::sleep(Duration::from_secs(1));
    send(&child, "INT");
    let (status, stderr) = finish(child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130), "stderr:\n{stderr}");
    assert_unchanged(&old);
    assert_eq!(
        entries(&out),
        vec![".chatsim-output", "seed.txt", "sweep.csv"]
    );
    assert_eq!(
        entries(tmp.path()),
        vec!["out"],
        "a temporary directory is left"
    );
}

#[test]
fn an_existing_target_is_never_touched_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let old = earlier_results(&out);
    let output = chatsim()
        .arg("run")
        .arg(mmc())
        .args(["--replications", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already exists; use --force to replace it"),
        "{stderr}"
    );
    // Refused before simulating: nothing printed on stdout.
    assert!(output.stdout.is_empty());
    assert_unchanged(&old);
    assert_eq!(entries(tmp.path()), vec!["out"]);
}

#[test]
fn force_replaces_the_target_only_after_a_complete_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let old = earlier_results(&out);
    // About two seconds of work on one thread, watched while it runs.
    let mut child = chatsim()
        .arg("run")
        .arg(mmc())
        .args(["--replications", "6", "--threads", "1", "--force", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = {
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stdout.read_to_end(&mut sink);
        })
    };
    // The old results are in place while their sweep.csv is (the new ones have none).
    let old_in_place = || out.join("sweep.csv").is_file();
    let mut watched = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let before = old_in_place();
        let intact = old
            .iter()
            .all(|(p, b)| fs::read(p).ok().as_ref() == Some(b));
        let seen = entries(tmp.path());
        // Judge only a look taken wholly before the results were swapped in.
        if before && old_in_place() {
            assert!(intact, "the old results changed during the run");
            assert!(
                seen.iter().all(|e| e == "out" || e.starts_with(".out.")),
                "{seen:?}"
            );
            watched += 1;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    reader.join().unwrap();
    assert!(status.success());
    assert!(watched > 0, "the run ended before it could be watched");
    assert!(
        !out.join("sweep.csv").exists(),
        "the old directory was merged"
    );
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"replications\": 6"), "{summary}");
    let manifest = fs::read_to_string(out.join(".chatsim-output")).unwrap();
    assert!(
        manifest.contains("\nsummary.json\n") && !manifest.contains("sweep.csv"),
        "{manifest}"
    );
    assert_eq!(
        entries(tmp.path()),
        vec!["out"],
        "a temporary directory is left"
    );
}
