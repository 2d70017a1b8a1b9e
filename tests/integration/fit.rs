//! `chatsim fit`: the round trip. Simulate a known desk with `--event-log`, fit the log,
//! and find every true parameter inside its fitted interval; then run the fitted
//! scenario and find its KPIs inside the original's.

use assert_cmd::Command;
use chatsim::math::normal_quantile;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

fn chatsim() -> Command {
    Command::cargo_bin("chatsim").unwrap()
}

/// The known desk, at about 70 % of its 15 session slots so some customers wait and a few
/// abandon; `HORIZON` and `REPLICATIONS` are filled in (agents are on for a week).
/// Overlooks and load slowdown are off: a reply time is then R × speed factor, which is
/// what `fit` describes. The speed factors' geometric mean is 1 (0.8 × 1.25 = 1), the
/// normalisation `fit` uses, so they compare one to one.
const KNOWN: &str = r#"
[run]
horizon_s = HORIZON
replications = REPLICATIONS
seed = 20261207
clock_origin = "00:00"

[arrivals]
kind = "poisson"
rate_per_hour = 150

[sessions]
model = "turns"

[customers]
patience = { dist = "exponential", mean_s = 60 }
messages = { dist = "lognormal", mean = 4, sd = 2 }
think_time = { dist = "exponential", mean_s = 40 }
silent_prob = 0.1

[agents]
roster = [
  { id = "ana",  max_sessions = 3, shift_start = "00:00", shift_end = "168:00", speed_factor = 0.8 },
  { id = "ben",  max_sessions = 3, shift_start = "00:00", shift_end = "168:00", speed_factor = 1.0 },
  { id = "chen", max_sessions = 3, shift_start = "00:00", shift_end = "168:00", speed_factor = 1.25 },
  { id = "dana", max_sessions = 3, shift_start = "00:00", shift_end = "168:00", speed_factor = 1.0 },
  { id = "eve",  max_sessions = 3, shift_start = "00:00", shift_end = "168:00", speed_factor = 1.0 },
]

[agents.behaviour]
reply_time = { dist = "lognormal", mean_s = 30, sd_s = 20 }

[thresholds]
reply_interval_s = 60
message_interval_s = 120
"#;

/// The candidate of family `dist` for quantity `name`.
fn candidate<'a>(fit: &'a Value, name: &str, dist: &str) -> &'a Value {
    let q = fit["quantities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == name)
        .unwrap_or_else(|| panic!("no quantity {name}"));
    q["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dist"] == dist)
        .unwrap_or_else(|| panic!("no {dist} candidate for {name}"))
}

fn param(c: &Value, name: &str) -> (f64, f64) {
    let p = c["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name} in {c}"));
    (p["value"].as_f64().unwrap(), p["log_se"].as_f64().unwrap())
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

/// Runs the `original` scenario and the `fitted` one (with `extra` arguments) into `dir`
/// and checks that each of `kpis` agrees: the two means within √(h₁² + h₂²), h the
/// 95 % half-widths.
fn same_kpis(dir: &Path, original: &Path, fitted: &Path, extra: &[&str], kpis: &[&str]) {
    let (a, b) = (dir.join("original"), dir.join("rerun"));
    for (scenario, out, extra) in [(original, &a, &[][..]), (fitted, &b, extra)] {
        chatsim()
            .arg("run")
            .arg(scenario)
            .args(extra)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    }
    let (a, b) = (summary(&a), summary(&b));
    for kpi in kpis {
        let m = |s: &Value, f: &str| s["metrics"][kpi][f].as_f64().unwrap();
        let (ma, ha, mb, hb) = (
            m(&a, "mean"),
            m(&a, "ci95_half_width"),
            m(&b, "mean"),
            m(&b, "ci95_half_width"),
        );
        println!("{kpi}: original {ma} ± {ha}, fitted {mb} ± {hb}");
        assert!(
            (ma - mb).abs() <= (ha * ha + hb * hb).sqrt(),
            "{kpi}: original {ma} ± {ha}, fitted {mb} ± {hb}"
        );
    }
}

/// The known desk's scenario file for one run.
fn known(dir: &Path, name: &str, horizon_s: u32, replications: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    let text = KNOWN
        .replace("HORIZON", &horizon_s.to_string())
        .replace("REPLICATIONS", &replications.to_string());
    std::fs::write(&path, text).unwrap();
    path
}

const WEEK_S: u32 = 7 * 86_400;
const DAY_S: u32 = 86_400;

#[test]
fn fit_recovers_a_known_desk_and_its_kpis() {
    // The log: one simulated week (about 25 000 chats), so the fitted parameters are
    // tight. The KPIs are then compared over days (5 replications of one day each, of
    // the original and of the fitted scenario): the fit's own error, which neither run's
    // CI includes, is then small beside their half-widths (a week's estimates against
    // five days' KPIs; fitted from a single day, the fit's error alone is as large as a
    // day's KPI noise, and the comparison would fail often for that reason alone).
    let dir = TempDir::new().unwrap();
    let week = known(dir.path(), "week.toml", WEEK_S, 1);
    let log = dir.path().join("week.csv");
    chatsim()
        .args([
            "run",
            week.to_str().unwrap(),
            "--event-log",
            log.to_str().unwrap(),
        ])
        .assert()
        .success();
    let fitted = dir.path().join("fitted");
    // One profile interval over the whole week: the desk is steady, and hourly rates
    // would each carry their own counting noise into the fitted scenario.
    let out = chatsim()
        .args([
            "fit",
            log.to_str().unwrap(),
            "--json",
            "--interval-s",
            &WEEK_S.to_string(),
        ])
        .args(["--reply-interval-s", "60", "--message-interval-s", "120"])
        .args(["--out", fitted.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fit: Value = serde_json::from_slice(&out.stdout).unwrap();

    // Each true value against its interval, Bonferroni-adjusted over the 13 checked
    // here, so that all of them hold together with 95 % confidence (a plain 95 %
    // interval each would miss one of 13 about half the time by chance alone).
    let mut checks: Vec<(String, f64, f64, f64)> = Vec::new(); // name, truth, estimate, se(ln)
    let mut check = |name: &str, truth: f64, (value, log_se): (f64, f64)| {
        checks.push((name.to_string(), truth, value, log_se));
    };
    let requests = fit["arrivals"]["requests"].as_f64().unwrap();
    let rate = fit["arrivals"]["rate_per_hour"].as_f64().unwrap();
    // A Poisson count's se on the log scale is 1/√n.
    check("arrival rate /h", 150.0, (rate, 1.0 / requests.sqrt()));
    check(
        "patience mean_s",
        60.0,
        param(candidate(&fit, "patience", "exponential"), "mean_s"),
    );
    let messages = candidate(&fit, "messages", "lognormal");
    check("messages mean", 4.0, param(messages, "mean"));
    check("messages sd", 2.0, param(messages, "sd"));
    check(
        "think mean_s",
        40.0,
        param(candidate(&fit, "think_time", "exponential"), "mean_s"),
    );
    let reply = candidate(&fit, "reply_time", "lognormal");
    check("reply mean_s", 30.0, param(reply, "mean_s"));
    check("reply sd_s", 20.0, param(reply, "sd_s"));
    for (agent, truth) in [
        ("ana", 0.8),
        ("ben", 1.0),
        ("chen", 1.25),
        ("dana", 1.0),
        ("eve", 1.0),
    ] {
        let a = fit["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == agent)
            .unwrap();
        check(
            &format!("speed {agent}"),
            truth,
            (
                a["speed_factor"].as_f64().unwrap(),
                a["log_se"].as_f64().unwrap(),
            ),
        );
    }
    // The silent share: q = silences / turns is binomial; p = (q − S)/(1 − S).
    let sp = &fit["silent_prob"];
    let (k, n) = (
        sp["silences"].as_f64().unwrap(),
        sp["turns"].as_f64().unwrap(),
    );
    let slow = sp["slow_thinker_share"].as_f64().unwrap();
    let q = k / n;
    let p = sp["value"].as_f64().unwrap();
    assert!((p - (q - slow) / (1.0 - slow)).abs() < 1e-12);
    // On the log scale: se(ln p) = se(q) / ((1 − S) p).
    check(
        "silent_prob",
        0.1,
        (p, (q * (1.0 - q) / n).sqrt() / ((1.0 - slow) * p)),
    );
    let z = normal_quantile(1.0 - 0.05 / (2.0 * checks.len() as f64));
    let mut table = format!(
        "{:<18} {:>8} {:>10}  {:<22} (Bonferroni z = {z:.3} over {} parameters)\n",
        "parameter",
        "true",
        "fitted",
        "95 % CI",
        checks.len()
    );
    let mut missed = Vec::new();
    for (name, truth, value, se) in &checks {
        let (lo95, hi95) = (value * (-1.96 * se).exp(), value * (1.96 * se).exp());
        let (lo, hi) = (value * (-z * se).exp(), value * (z * se).exp());
        table += &format!(
            "{name:<18} {truth:>8} {value:>10.4}  {lo95:>9.4} to {hi95:<9.4} adj. {lo:.4} to {hi:.4}\n"
        );
        if !(lo..=hi).contains(truth) {
            missed.push(name.clone());
        }
    }
    println!("{table}");
    assert!(
        missed.is_empty(),
        "outside their intervals: {missed:?}\n{table}"
    );

    // The fitted scenario loads, and its KPIs lie within the original's: the difference
    // of the two means within the combined half-width √(h₁² + h₂²) of its 95 % CI. Both
    // run for a day: the fitted week's profile serves any shorter run.
    let fitted_toml = fitted.join("scenario.toml");
    chatsim()
        .args(["validate", fitted_toml.to_str().unwrap()])
        .assert()
        .success();
    let text = std::fs::read_to_string(&fitted_toml).unwrap();
    let week_line = format!("horizon_s = {WEEK_S}\n");
    assert!(text.contains(&week_line), "{text}");
    std::fs::write(
        &fitted_toml,
        text.replace(&week_line, &format!("horizon_s = {DAY_S}\n")),
    )
    .unwrap();
    let day = known(dir.path(), "day.toml", DAY_S, 5);
    same_kpis(
        dir.path(),
        &day,
        &fitted_toml,
        &["--replications", "5"],
        &[
            "service_level",
            "reminders_per_session",
            "disconnects",
            "abandon_ratio",
        ],
    );
}

#[test]
fn fit_refuses_a_log_without_replies_and_a_bad_interval() {
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("day.csv");
    std::fs::write(
        &log,
        "timestamp,session,agent,kind\n0,c1,a,request\n5,c1,a,close\n",
    )
    .unwrap();
    chatsim()
        .args(["fit", log.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no `agent_reply` row"));
    chatsim()
        .args(["fit", log.to_str().unwrap(), "--interval-s", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--interval-s 0: must be"));
}

/// A day whose patience is mostly censored and whose think times are cut by the message
/// interval: 11 agents of 3 slots under a two-hourly profile from 120 to 600 chats an
/// hour, so some customers wait and a few abandon, but most are connected first.
const CENSORED_DAY: &str = r#"
[run]
horizon_s = 86400
replications = REPLICATIONS
seed = 11
clock_origin = "00:00"

[arrivals]
kind = "profile"
intervals = [
  { start = "00:00", end = "02:00", rate_per_hour = 120 },
  { start = "02:00", end = "04:00", rate_per_hour = 120 },
  { start = "04:00", end = "06:00", rate_per_hour = 120 },
  { start = "06:00", end = "08:00", rate_per_hour = 120 },
  { start = "08:00", end = "10:00", rate_per_hour = 240 },
  { start = "10:00", end = "12:00", rate_per_hour = 360 },
  { start = "12:00", end = "14:00", rate_per_hour = 480 },
  { start = "14:00", end = "16:00", rate_per_hour = 600 },
  { start = "16:00", end = "18:00", rate_per_hour = 600 },
  { start = "18:00", end = "20:00", rate_per_hour = 480 },
  { start = "20:00", end = "22:00", rate_per_hour = 360 },
  { start = "22:00", end = "24:00", rate_per_hour = 240 },
]

[sessions]
model = "turns"

[customers]
patience = { dist = "gamma", shape = 2, scale_s = 45 }
messages = { dist = "lognormal", mean = 4, sd = 2 }
think_time = { dist = "gamma", shape = 2, scale_s = 45 }
silent_prob = 0.1

[agents]
count = 11
max_sessions = 3

[agents.behaviour]
reply_time = { dist = "lognormal", mean_s = 30, sd_s = 20 }

[thresholds]
reply_interval_s = 60
message_interval_s = 120
"#;

#[test]
fn fit_keeps_a_mostly_censored_patience_and_recovers_the_profile() {
    // The log of one day (about 7 700 chats, ~340 abandons: ~96 % of the waits are
    // censored, most at 0 s). Before the Kolmogorov–Smirnov distance was weighted for
    // censoring (estimate::ks_distance), the right family was rejected by the KM
    // estimate's jumps where few customers were still waiting (distance 0.356 against
    // 1.63/√338 = 0.089), and the empirical fallback kept only the abandoners' waits:
    // a patience of mean 27 s and at most 95 s for a true mean of 90 s, which moved the
    // fitted desk's service level from 81 % to 92 %.
    let dir = TempDir::new().unwrap();
    let scenario = |name: &str, replications: u32| {
        let path = dir.path().join(name);
        let text = CENSORED_DAY.replace("REPLICATIONS", &replications.to_string());
        std::fs::write(&path, text).unwrap();
        path
    };
    let day = scenario("day.toml", 1);
    let log = dir.path().join("day.csv");
    chatsim()
        .args(["run", day.to_str().unwrap()])
        .args(["--event-log", log.to_str().unwrap()])
        .assert()
        .success();
    let fitted = dir.path().join("fitted");
    let out = chatsim()
        .args([
            "fit",
            log.to_str().unwrap(),
            "--json",
            "--interval-s",
            "7200",
        ])
        .args(["--reply-interval-s", "60", "--message-interval-s", "120"])
        .args(["--out", fitted.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fit: Value = serde_json::from_slice(&out.stdout).unwrap();
    let patience = fit["quantities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "patience")
        .unwrap();
    assert!(
        patience["chosen"]["dist"] == "fitted",
        "patience fell back to the empirical waits: {}",
        patience["reason"]
    );

    // Each true value against its interval, Bonferroni-adjusted over the 17 checked.
    // The profile: interval i of 2 h at rate r_i has a Poisson count of mean 2 r_i:
    // 240 ×4, 480, 720, 960, 1 200, 1 200, 960, 720, 480 (7 680 in all); se(ln n) = 1/√n.
    let mut checks: Vec<(String, f64, (f64, f64))> = Vec::new();
    let rates = [120, 120, 120, 120, 240, 360, 480, 600, 600, 480, 360, 240];
    let intervals = fit["arrivals"]["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), rates.len());
    for (i, (row, &rate)) in intervals.iter().zip(&rates).enumerate() {
        let n = row["requests"].as_f64().unwrap();
        check_rate_row(row, n);
        checks.push((
            format!("requests {i}"),
            f64::from(2 * rate),
            (n, 1.0 / n.sqrt()),
        ));
    }
    // Patience, 96 % censored, and think times truncated at the 120 s message interval
    // (P(gamma(2, 45 s) > 120 s) = e^(−8/3)(1 + 8/3) = 0.255 of them unseen): both
    // gamma(2, 45 s).
    for name in ["patience", "think_time"] {
        let gamma = candidate(&fit, name, "gamma");
        checks.push((format!("{name} shape"), 2.0, param(gamma, "shape")));
        checks.push((format!("{name} scale_s"), 45.0, param(gamma, "scale_s")));
    }
    let sp = &fit["silent_prob"];
    let (k, n) = (
        sp["silences"].as_f64().unwrap(),
        sp["turns"].as_f64().unwrap(),
    );
    let (q, slow, p) = (
        k / n,
        sp["slow_thinker_share"].as_f64().unwrap(),
        sp["value"].as_f64().unwrap(),
    );
    checks.push((
        "silent_prob".into(),
        0.1,
        (p, (q * (1.0 - q) / n).sqrt() / ((1.0 - slow) * p)),
    ));
    let z = normal_quantile(1.0 - 0.05 / (2.0 * checks.len() as f64));
    let missed: Vec<String> = checks
        .iter()
        .filter(|(_, truth, (v, se))| {
            !((v * (-z * se).exp())..=(v * (z * se).exp())).contains(truth)
        })
        .map(|(name, truth, (v, se))| format!("{name}: true {truth}, fitted {v} (se ln {se})"))
        .collect();
    assert!(missed.is_empty(), "outside their intervals: {missed:?}");

    // What a planner acts on: the fitted desk's abandon ratio and service level lie
    // within the original's (the difference within √(h₁² + h₂²)), 8 days each.
    let fitted_toml = fitted.join("scenario.toml");
    let text = std::fs::read_to_string(&fitted_toml).unwrap();
    assert!(text.contains("replications = 8\n"), "{text}");
    let eight = scenario("eight.toml", 8);
    same_kpis(
        dir.path(),
        &eight,
        &fitted_toml,
        &[],
        &["abandon_ratio", "service_level"],
    );
}

/// A profile row's rate is its count over its 2 hours, with the Poisson interval
/// n ± z √n (z = 1.95996…, the two-sided 95 % quantile) as rates.
fn check_rate_row(row: &Value, n: f64) {
    let z = normal_quantile(0.975);
    assert!((row["rate_per_hour"].as_f64().unwrap() - n / 2.0).abs() < 1e-9);
    let ci = row["rate_ci95"].as_array().unwrap();
    assert!((ci[0].as_f64().unwrap() - (n - z * n.sqrt()) / 2.0).abs() < 1e-6);
    assert!((ci[1].as_f64().unwrap() - (n + z * n.sqrt()) / 2.0).abs() < 1e-6);
}

/// A log with nothing to describe the customers' messages or think times by is refused,
/// and no scenario is written: an empirical distribution of no samples is a scenario
/// `chatsim validate` refuses.
#[test]
fn fit_refuses_a_log_that_describes_no_messages_or_no_think_time() {
    let dir = TempDir::new().unwrap();
    let head = "timestamp,session,agent,kind\n0,c1,a,request\n10,c1,a,agent_reply\n";
    for (name, rows, want) in [
        // Still open after the reply: no chat says how many messages it had.
        (
            "open",
            "",
            "`messages` cannot be fitted: no served chat was closed",
        ),
        // Disconnected for silence: only a lower bound on its messages.
        (
            "silent",
            "20,c1,,customer_message\n30,c1,a,agent_reply\n340,c1,a,disconnect\n",
            "`messages` cannot be fitted: no served chat was closed",
        ),
        // Closed without writing again after the reply: no think time.
        (
            "one-turn",
            "20,c1,,close\n",
            "`think_time` cannot be fitted: in no chat does the customer write again",
        ),
    ] {
        let log = dir.path().join(format!("{name}.csv"));
        std::fs::write(&log, format!("{head}{rows}")).unwrap();
        let out = dir.path().join(name);
        chatsim()
            .arg("fit")
            .arg(&log)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "{}: {want}",
                log.display()
            )));
        assert!(!out.exists(), "{name}: a scenario was written");
    }
}

/// Requests 3 170 years apart are 111 111 112 intervals of 900 s, more than a scenario
/// holds: refused before the profile is made (it asked for about 10 GB), with the
/// coarser interval that would do: 99 999 999 990 s / 99 998 = 1 000 020.0 → 1000021.
#[test]
fn fit_refuses_requests_spread_over_more_intervals_than_a_scenario_holds() {
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("span.csv");
    std::fs::write(
        &log,
        "timestamp,session,agent,kind\n\
         0,c1,a,request\n10,c1,a,agent_reply\n20,c1,,customer_message\n\
         30,c1,a,agent_reply\n40,c1,,close\n\
         99999999990,c2,a,request\n99999999995,c2,a,agent_reply\n99999999996,c2,,close\n",
    )
    .unwrap();
    let out = dir.path().join("fitted");
    chatsim()
        .arg("fit")
        .arg(&log)
        .arg("--out")
        .arg(&out)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "{}: the requests span 99999999990 s (0 to 99999999990 on the log's scale), \
             111111112 intervals of 900 s, more than the 100000 a scenario holds; pass \
             --interval-s 1000021 or more, or check the timestamps",
            log.display()
        )));
    assert!(!out.exists());
}
