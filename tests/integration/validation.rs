//! The simulator against exact queueing theory: with one session per agent, exponential
//! times and no timers the desk is M/M/c (Erlang C) or, with exponential patience,
//! M/M/c+M (Erlang A). Every estimate must fall inside its confidence interval around the
//! exact value.
//!
//! Tolerance: each figure's own 95 % Student-t half-width over the replications, widened
//! by Bonferroni to a family-wise 99 % level across all checks of this file (so one
//! unlucky draw out of ~20 checks does not fail the suite by chance). The widening is
//! derived from the t distribution, never a hand-picked literal.

use chatsim::math::student_t_quantile;
use chatsim::metrics::erlang::{erlang_c, mmc_mean_wait, mmc_service_level, ErlangA};
use chatsim::sim::presets::holding_mmc;

/// Figures checked per regime, and regimes: the Bonferroni family.
const FAMILY: f64 = 4.0 * 6.0;
const REPLICATIONS: u32 = 20;

struct Exact {
    p_wait: f64,
    wait_s_mean: f64,
    service_level: f64,
    abandon_ratio: f64,
}

fn check(
    name: &str,
    c: u32,
    rate_per_hour: f64,
    mean_s: f64,
    patience_s: Option<f64>,
    horizon_s: u64,
    exact: Exact,
) {
    let mut sc = holding_mmc(c, rate_per_hour, mean_s, patience_s, horizon_s, 2_000);
    sc.run.replications = REPLICATIONS;
    sc.run.seed = 20_261_202;
    let summary = chatsim::pipeline::simulate(&sc, 0, &chatsim::pipeline::NEVER_CANCELLED, &|| {})
        .expect("run");
    let n = REPLICATIONS as f64;
    // Half-width at the family-wise 99 % level, from the reported 95 % one.
    let widen = student_t_quantile(1.0 - 0.01 / (2.0 * FAMILY), n - 1.0)
        / student_t_quantile(0.975, n - 1.0);
    let mut report = vec![];
    let mut failed = false;
    for (metric, want) in [
        ("p_wait", exact.p_wait),
        ("wait_s_mean", exact.wait_s_mean),
        ("service_level", exact.service_level),
        ("abandon_ratio", exact.abandon_ratio),
    ] {
        let stat = summary.metrics.get(metric).expect(metric);
        let tol = stat.ci95_half_width * widen;
        let ok = (stat.mean - want).abs() <= tol;
        failed |= !ok;
        report.push(format!(
            "{name:>12} {metric:>14}: sim {:.5} ± {:.5} (95%), exact {want:.5}, |diff| {:.5} vs tol {tol:.5} {}",
            stat.mean,
            stat.ci95_half_width,
            (stat.mean - want).abs(),
            if ok { "ok" } else { "FAIL" }
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert!(!failed, "{}", report.join("\n"));
}

fn erlang_c_exact(c: u32, rate_per_hour: f64, mean_s: f64, t: f64) -> Exact {
    let lambda = rate_per_hour / 3600.0;
    let mu = 1.0 / mean_s;
    Exact {
        p_wait: erlang_c(c, lambda / mu),
        wait_s_mean: mmc_mean_wait(c, lambda, mu),
        service_level: mmc_service_level(c, lambda, mu, t),
        abandon_ratio: 0.0,
    }
}

fn erlang_a_exact(c: u32, rate_per_hour: f64, mean_s: f64, patience_s: f64, t: f64) -> Exact {
    let a = ErlangA::new(c, rate_per_hour / 3600.0, 1.0 / mean_s, 1.0 / patience_s).expect("valid");
    Exact {
        p_wait: a.p_wait(),
        wait_s_mean: a.wait_mean(),
        service_level: a.service_level(t),
        abandon_ratio: a.abandon_ratio(),
    }
}

#[test]
fn light_load_matches_erlang_c() {
    // c = 10, ρ = 0.5.
    check(
        "light",
        10,
        300.0,
        60.0,
        None,
        200_000,
        erlang_c_exact(10, 300.0, 60.0, 20.0),
    );
}

#[test]
fn moderate_load_matches_erlang_c() {
    // c = 20, ρ = 0.8.
    check(
        "moderate",
        20,
        960.0,
        60.0,
        None,
        200_000,
        erlang_c_exact(20, 960.0, 60.0, 20.0),
    );
}

#[test]
fn heavy_load_matches_erlang_c() {
    // c = 50, ρ = 0.95: long correlations, so a longer horizon.
    check(
        "heavy",
        50,
        2850.0,
        60.0,
        None,
        400_000,
        erlang_c_exact(50, 2850.0, 60.0, 20.0),
    );
}

#[test]
fn overload_with_abandonment_matches_erlang_a() {
    // c = 20, ρ = 1.2, patience mean 120 s.
    check(
        "overloaded",
        20,
        1440.0,
        60.0,
        Some(120.0),
        200_000,
        erlang_a_exact(20, 1440.0, 60.0, 120.0, 20.0),
    );
}

#[test]
fn issue_example_mmc_plus_m_matches_erlang_a() {
    // The holding-model example: c = 100, λ = 98/min, μ = 1/min, θ = 0.5/min.
    check(
        "example",
        100,
        5880.0,
        60.0,
        Some(120.0),
        100_000,
        erlang_a_exact(100, 5880.0, 60.0, 120.0, 20.0),
    );
}

#[test]
fn moderate_load_with_patience_matches_erlang_a() {
    // c = 10, ρ = 0.9, patience mean 60 s.
    check(
        "moderate+M",
        10,
        540.0,
        60.0,
        Some(60.0),
        200_000,
        erlang_a_exact(10, 540.0, 60.0, 60.0, 20.0),
    );
}
