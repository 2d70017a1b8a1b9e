//! The multi-queue desk against exact queueing theory (issue "Real desks: queues and
//! skills"): a desk written with `[[queues]]` must give the answers of Erlang C / Erlang A
//! wherever those answers are exact.
//!
//! - Two queues with disjoint skills and no overflow are two independent M/M/c(+M)
//!   systems: a Poisson stream split by independent segment draws (shares p, 1 − p) is two
//!   independent Poisson streams of rates pλ and (1 − p)λ, and no agent serves both. So
//!   each queue's own figures (`summary.json` → `queues[].metrics`) must match the Erlang
//!   C (A, with exponential patience) answer for *its* c, λ, μ (and θ).
//! - Two queues whose agents all have both skills at the same level, equal priorities, no
//!   ageing: one FCFS pool (an agent takes the longest-waiting head) fed by the merged
//!   Poisson stream, i.e. M/M/c at the total load. The run's figures match Erlang C for
//!   the total; by PASTA each queue's customers see the same wait law, so each queue's
//!   figures match it too.
//! - An overflow ring that opens after 10⁹ s never opens within a run, so the desk is the
//!   one without it: `summary.json` must be the same bytes (wall-clock figures aside).
//!
//! Tolerance as in validation.rs: each figure's own 95 % Student-t half-width over the
//! replications, widened by Bonferroni to a family-wise 99 % level over every check of
//! this file; derived from the t distribution, never a hand-picked literal. The exact
//! values come from the library's own formulas (src/metrics/erlang.rs), which
//! tests/integration/validation.rs and the unit tests hold to the textbook values.

use chatsim::catalogue::Metric;
use chatsim::dist::Dist;
use chatsim::engine::{QueueId, QueueSpec, Skill};
use chatsim::math::student_t_quantile;
use chatsim::metrics::erlang::{erlang_c, mmc_mean_wait, mmc_service_level, ErlangA};
use chatsim::metrics::summary::RunSummary;
use chatsim::scenario::{Queue, Scenario};
use chatsim::sim::presets::holding_mmc;

/// Checks in this file: 2 queues × 4 figures (Erlang C) + 2 × 4 (Erlang A) + (1 run +
/// 2 queues) × 4 (pooled): the Bonferroni family.
const FAMILY: f64 = 8.0 + 8.0 + 12.0;
/// Service-level threshold T of `holding_mmc`, seconds.
const T: f64 = 20.0;
const MEAN_HOLDING_S: f64 = 60.0;

fn replications() -> u32 {
    if crate::long_tests() {
        80
    } else {
        20
    }
}

fn horizon_s() -> u64 {
    if crate::long_tests() {
        400_000
    } else {
        200_000
    }
}

/// One queue of a test desk: its agents, its arrival rate and its customers' patience.
struct QueueLoad {
    name: &'static str,
    agents: u32,
    rate_per_hour: f64,
    patience_mean_s: Option<f64>,
}

/// The figures compared, each with its exact value.
struct Exact(Vec<(Metric, f64)>);

/// Erlang C for c agents, λ = rate/3600 per s, μ = 1/60 per s: P(wait) = C(c, λ/μ);
/// ASA = mean wait of connected = mean wait of all (nobody abandons) = C/(cμ − λ);
/// service level P(W ≤ T) = 1 − C·e^{−(cμ−λ)T}.
fn erlang_c_exact(c: u32, rate_per_hour: f64) -> Exact {
    let lambda = rate_per_hour / 3600.0;
    let mu = 1.0 / MEAN_HOLDING_S;
    Exact(vec![
        (Metric::PWait, erlang_c(c, lambda / mu)),
        (Metric::ServiceLevel, mmc_service_level(c, lambda, mu, T)),
        (Metric::AsaS, mmc_mean_wait(c, lambda, mu)),
        (Metric::WaitSMean, mmc_mean_wait(c, lambda, mu)),
    ])
}

/// Erlang A (M/M/c+M, θ = 1/patience mean): P(wait), service level (served within T over
/// offered), abandon ratio and the mean wait of everyone (abandoners to their abandonment)
/// from the birth–death chain in `ErlangA`.
fn erlang_a_exact(c: u32, rate_per_hour: f64, patience_mean_s: f64) -> Exact {
    let a = ErlangA::new(
        c,
        rate_per_hour / 3600.0,
        1.0 / MEAN_HOLDING_S,
        1.0 / patience_mean_s,
    )
    .expect("valid Erlang A parameters");
    Exact(vec![
        (Metric::PWait, a.p_wait()),
        (Metric::ServiceLevel, a.service_level(T)),
        (Metric::AbandonRatio, a.abandon_ratio()),
        (Metric::WaitSMean, a.wait_mean()),
    ])
}

/// A holding-model desk (exponential holding times of mean 60 s, one session per agent,
/// Poisson arrivals at the queues' total rate) with one queue and one segment per
/// `QueueLoad`, the segment's share its queue's part of the rate. With `pooled`, every
/// agent has every queue's skill at level 1; otherwise each queue's agents have its skill
/// only.
fn desk(loads: &[QueueLoad], pooled: bool, seed: u64) -> Scenario {
    let total_agents: u32 = loads.iter().map(|q| q.agents).sum();
    let total_rate: f64 = loads.iter().map(|q| q.rate_per_hour).sum();
    let mut sc = holding_mmc(
        total_agents,
        total_rate,
        MEAN_HOLDING_S,
        None,
        horizon_s(),
        2_000,
    );
    sc.run.replications = replications();
    sc.run.seed = seed;
    sc.queues = (0..loads.len())
        .map(|i| Queue {
            name: loads[i].name.into(),
            spec: QueueSpec::own(QueueId(i as u16)),
        })
        .collect();
    let template = sc.segments[0].clone();
    sc.segments = loads
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut s = template.clone();
            s.name = q.name.into();
            s.share = q.rate_per_hour / total_rate;
            s.patience = q.patience_mean_s.map(|mean| Dist::Exponential { mean });
            s.queue = QueueId(i as u16);
            s
        })
        .collect();
    let skill = |i: usize| Skill {
        queue: QueueId(i as u16),
        level: 1,
    };
    let mut agent = 0;
    for (i, q) in loads.iter().enumerate() {
        for _ in 0..q.agents {
            sc.agents[agent].skills = if pooled {
                (0..loads.len()).map(skill).collect()
            } else {
                vec![skill(i)]
            };
            agent += 1;
        }
    }
    sc
}

fn run(sc: &Scenario) -> RunSummary {
    chatsim::pipeline::simulate(sc, 0, &chatsim::pipeline::NEVER_CANCELLED, &|| {}).expect("run")
}

/// Compares `stats` (a run's or a queue's figures) with `exact`; returns report lines and
/// whether any check failed.
fn compare(
    label: &str,
    stats: &chatsim::metrics::summary::MetricSet,
    exact: &Exact,
) -> (Vec<String>, bool) {
    let n = replications() as f64;
    // Half-width at the family-wise 99 % level, from the reported 95 % one.
    let widen = student_t_quantile(1.0 - 0.01 / (2.0 * FAMILY), n - 1.0)
        / student_t_quantile(0.975, n - 1.0);
    let mut lines = vec![];
    let mut failed = false;
    for &(metric, want) in &exact.0 {
        let stat = stats
            .get(metric.name())
            .unwrap_or_else(|| panic!("no figure {}", metric.name()));
        let tol = stat.ci95_half_width * widen;
        let ok = (stat.mean - want).abs() <= tol;
        failed |= !ok;
        lines.push(format!(
            "{label:>18} {:>14}: sim {:.5} ± {:.5} (95%), exact {want:.5}, |diff| {:.5} vs tol {tol:.5} {}",
            metric.name(),
            stat.mean,
            stat.ci95_half_width,
            (stat.mean - want).abs(),
            if ok { "ok" } else { "FAIL" }
        ));
    }
    (lines, failed)
}

/// Each queue of `summary` against its own exact answer.
fn check_queues(summary: &RunSummary, exact: &[(&str, Exact)]) -> (Vec<String>, bool) {
    assert_eq!(summary.queues.len(), exact.len(), "one summary per queue");
    let mut lines = vec![];
    let mut failed = false;
    for (q, (name, want)) in summary.queues.iter().zip(exact) {
        assert_eq!(&q.name, name);
        let (l, f) = compare(&format!("queue {name}"), &q.metrics, want);
        lines.extend(l);
        failed |= f;
    }
    (lines, failed)
}

#[test]
fn disjoint_queues_each_match_their_own_erlang_c() {
    // english: c = 10, λ = 480/h, a = λ/μ = 8 erlangs, ρ = 0.8;
    // spanish: c = 6, λ = 270/h, a = 4.5, ρ = 0.75. Loads differ so that a mix-up of
    // the two queues' figures (or a pooled answer, c = 16, a = 12.5) would fail.
    let loads = [
        QueueLoad {
            name: "english",
            agents: 10,
            rate_per_hour: 480.0,
            patience_mean_s: None,
        },
        QueueLoad {
            name: "spanish",
            agents: 6,
            rate_per_hour: 270.0,
            patience_mean_s: None,
        },
    ];
    let summary = run(&desk(&loads, false, 20_261_206));
    let (lines, failed) = check_queues(
        &summary,
        &[
            ("english", erlang_c_exact(10, 480.0)),
            ("spanish", erlang_c_exact(6, 270.0)),
        ],
    );
    eprintln!("{}", lines.join("\n"));
    assert!(!failed, "{}", lines.join("\n"));
}

#[test]
fn disjoint_queues_with_patience_each_match_their_own_erlang_a() {
    // english: c = 10, λ = 660/h (a = 11, ρ = 1.1, overloaded), patience mean 120 s;
    // spanish: c = 6, λ = 324/h (a = 5.4, ρ = 0.9), patience mean 60 s.
    let loads = [
        QueueLoad {
            name: "english",
            agents: 10,
            rate_per_hour: 660.0,
            patience_mean_s: Some(120.0),
        },
        QueueLoad {
            name: "spanish",
            agents: 6,
            rate_per_hour: 324.0,
            patience_mean_s: Some(60.0),
        },
    ];
    let summary = run(&desk(&loads, false, 20_261_207));
    let (lines, failed) = check_queues(
        &summary,
        &[
            ("english", erlang_a_exact(10, 660.0, 120.0)),
            ("spanish", erlang_a_exact(6, 324.0, 60.0)),
        ],
    );
    eprintln!("{}", lines.join("\n"));
    assert!(!failed, "{}", lines.join("\n"));
}

#[test]
fn pooled_desk_written_with_queues_matches_erlang_c_for_the_total() {
    // Two queues of λ = 600/h and 360/h, 20 agents with both skills: M/M/20 at
    // λ = 960/h, a = 16, ρ = 0.8. The run's figures and each queue's match Erlang C for
    // the total (FCFS across the queues' heads; each queue's customers are a Poisson
    // thinning of the merged stream, so by PASTA they see the same wait law).
    let loads = [
        QueueLoad {
            name: "english",
            agents: 12,
            rate_per_hour: 600.0,
            patience_mean_s: None,
        },
        QueueLoad {
            name: "spanish",
            agents: 8,
            rate_per_hour: 360.0,
            patience_mean_s: None,
        },
    ];
    let summary = run(&desk(&loads, true, 20_261_208));
    let total = erlang_c_exact(20, 960.0);
    let (mut lines, mut failed) = compare("run (pooled)", &summary.metrics, &total);
    let (l, f) = check_queues(
        &summary,
        &[
            ("english", erlang_c_exact(20, 960.0)),
            ("spanish", erlang_c_exact(20, 960.0)),
        ],
    );
    lines.extend(l);
    failed |= f;
    eprintln!("{}", lines.join("\n"));
    assert!(!failed, "{}", lines.join("\n"));
}

/// A two-queue desk as a scenario file: `overflow` is the english queue's extra TOML
/// line (empty for none). Exponential patience, so both queues build real waits and an
/// overflow that opened at any time would change the figures.
fn two_queue_toml(overflow: &str) -> String {
    format!(
        r#"[run]
horizon_s = 20000
warmup_s = 600
replications = 4
seed = 7

[arrivals]
kind = "poisson"
rate_per_hour = 900

[[queues]]
name = "english"
{overflow}

[[queues]]
name = "spanish"

[customers]
patience = {{ dist = "exponential", mean_s = 90 }}

[[customers.segments]]
name = "en"
share = 0.6
queue = "english"

[[customers.segments]]
name = "es"
share = 0.4
queue = "spanish"

[sessions]
model = "holding"
holding_time = {{ dist = "exponential", mean_s = 60 }}

[agents]
roster = [
    {{ id = "E1", group = "english", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "english:1" }},
    {{ id = "E2", group = "english", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "english:1" }},
    {{ id = "E3", group = "english", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "english:1" }},
    {{ id = "E4", group = "english", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "english:1" }},
    {{ id = "S1", group = "spanish", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "spanish:1" }},
    {{ id = "S2", group = "spanish", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "spanish:1" }},
    {{ id = "S3", group = "spanish", max_sessions = 2, shift_start = "00:00", shift_end = "06:00", skills = "spanish:1" }},
]
"#
    )
}

/// `summary.json` of `chatsim run` on `toml`, without its wall-clock figures (the same
/// removal as determinism.rs: `wall_secs`, `events_per_s`, `routing_decisions_per_s`).
fn summary_json(dir: &std::path::Path, name: &str, toml: &str) -> String {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, toml).unwrap();
    let out = dir.join(name);
    assert_cmd::Command::cargo_bin("chatsim")
        .unwrap()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let bytes = std::fs::read(out.join("summary.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).expect("summary.json is JSON");
    let top = v.as_object_mut().expect("an object");
    assert!(top.remove("wall_secs").is_some(), "no wall_secs");
    let metrics = top
        .get_mut("metrics")
        .and_then(|m| m.as_object_mut())
        .expect("metrics");
    for m in [Metric::EventsPerS, Metric::RoutingDecisionsPerS] {
        assert!(metrics.remove(m.name()).is_some(), "no metric {}", m.name());
    }
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn overflow_after_a_billion_seconds_changes_no_byte() {
    // The run ends at 600 + 20 000 s ≪ 10⁹ s, so the ring to the Spanish agents never
    // opens: the desk is the one without it, and its summary.json must be identical.
    // The control: the same ring after 30 s opens often (patience mean 90 s, English at
    // λ = 540/h on 4 agents × 2 sessions) and must change the English figures, so the
    // comparison can fail.
    let dir = tempfile::tempdir().unwrap();
    let plain = summary_json(dir.path(), "plain", &two_queue_toml(""));
    let never = summary_json(
        dir.path(),
        "never",
        &two_queue_toml(r#"overflow = [{ after_s = 1e9, to = "spanish" }]"#),
    );
    let soon = summary_json(
        dir.path(),
        "soon",
        &two_queue_toml(r#"overflow = [{ after_s = 30, to = "spanish" }]"#),
    );
    assert!(plain.contains("\"queues\""), "a two-queue summary");
    assert_eq!(plain, never, "an overflow that never opens changed the run");
    assert_ne!(plain, soon, "an overflow after 30 s changed nothing");
}
