//! Crash-safe outputs, through the real binary: a run stopped by SIGINT or SIGTERM exits
//! 130 and leaves nothing behind (no target, no temporary directory beside it); an
//! existing target is never touched without `--force`, and with `--force` it is replaced
//! only once the new run is complete.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn mmc() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc.toml")
}

/// Starts `chatsim run` on the M/M/c+M scenario; 400 replications take minutes.
fn spawn(out: &Path, extra: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("chatsim"))
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
fn finish(mut child: Child, limit: Duration) -> (ExitStatus, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("chatsim did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
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

/// Earlier results: a directory whose files the tests check byte for byte.
fn earlier_results(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fs::create_dir_all(out.join("plots")).unwrap();
    let files = vec![
        (out.join("summary.json"), b"{\"earlier\": true}\n".to_vec()),
        (out.join("notes.txt"), b"kept by hand\n".to_vec()),
        (out.join("plots/a.svg"), b"<svg/>".to_vec()),
    ];
    for (path, bytes) in &files {
        fs::write(path, bytes).unwrap();
    }
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
    let child = spawn(&out, &[]);
    std::thread::sleep(Duration::from_secs(1));
    assert!(child_is_running(&child), "the run ended before the signal");
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

fn child_is_running(child: &Child) -> bool {
    Path::new(&format!("/proc/{}", child.id())).exists()
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
    assert_eq!(entries(&out), vec!["notes.txt", "plots", "summary.json"]);
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
    let output = Command::new(assert_cmd::cargo::cargo_bin("chatsim"))
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
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("chatsim"))
        .arg("run")
        .arg(mmc())
        .args(["--replications", "6", "--threads", "1", "--force", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The results table is printed once every replication is done, before anything is
    // written: until it appears, the run is incomplete.
    let complete = Arc::new(AtomicBool::new(false));
    let reader = {
        let complete = Arc::clone(&complete);
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            if stdout.read(&mut byte).unwrap_or(0) > 0 {
                complete.store(true, Ordering::SeqCst);
            }
            let mut rest = Vec::new();
            let _ = stdout.read_to_end(&mut rest);
        })
    };
    let mut watched = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if !complete.load(Ordering::SeqCst) {
            let intact = old
                .iter()
                .all(|(p, b)| fs::read(p).ok().as_ref() == Some(b));
            let seen = entries(tmp.path());
            // Judge only a look taken wholly before the run completed.
            if !complete.load(Ordering::SeqCst) {
                assert!(intact, "the old results changed during the run");
                assert!(
                    seen.iter().all(|e| e == "out" || e.starts_with(".out.")),
                    "{seen:?}"
                );
                watched += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    reader.join().unwrap();
    assert!(status.success());
    assert!(watched > 0, "the run ended before it could be watched");
    assert!(
        !out.join("notes.txt").exists(),
        "the old directory was merged"
    );
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"replications\": 6"), "{summary}");
    assert_eq!(
        entries(tmp.path()),
        vec!["out"],
        "a temporary directory is left"
    );
}
