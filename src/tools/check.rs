//! `chatsim check`: a scenario's run held against expectations, for CI pipelines.
//!
//! Also home of what `staff` and `sweep` share about metrics: the expectation syntax
//! ([`Target`]), which metrics are "more is better" ([`MORE_IS_BETTER`]), and the list of
//! valid metric names ([`metric_names`]).
//!
//! An expectation holds when it holds at the conservative end of the metric's 95 %
//! confidence interval over replications: `mean − half-width ≥ value` for `>=`,
//! `mean + half-width ≤ value` for `<=`. Exit codes: 0 every expectation holds, 1 one
//! fails, 2 bad input (the binary maps every error to 2).

use super::flags::ScenarioFlags;
use crate::metrics::{Collector, Stat};
use crate::pipeline;
use crate::report::output::print_out;
use crate::scenario::Scenario;
use anyhow::Context;
use clap::Args;
use std::fmt;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Run-level metrics where a larger value is better (maximized by `sweep`'s Pareto
/// front, `>=` by default in a `name=value` target). Every other metric is taken as
/// "less is better".
pub const MORE_IS_BETTER: &[&str] = &[
    "service_level",
    "connected",
    "sessions",
    "replies",
    "normal_closes",
    "occupancy",
    "mean_sessions_per_agent",
];

/// Metrics measured on the wall clock, not in simulated time: they differ from run to
/// run, so byte-identical outputs leave them out.
pub const WALL_CLOCK_METRICS: &[&str] = &["events_per_s", "routing_decisions_per_s"];

/// Whether a larger value of `metric` is better.
pub fn more_is_better(metric: &str) -> bool {
    MORE_IS_BETTER.contains(&metric)
}

/// The run-level metric names of `sc`'s summary, in report order (no simulation needed).
pub fn metric_names(sc: &Scenario) -> Vec<String> {
    Collector::new(sc)
        .finish()
        .scalars()
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect()
}

/// An error naming an unknown metric and listing the valid ones, or `Ok` when `name` is
/// one of `valid`.
pub fn check_metric_name(name: &str, valid: &[String], what: &str) -> anyhow::Result<()> {
    if valid.iter().any(|v| v == name) {
        return Ok(());
    }
    anyhow::bail!(
        "unknown metric \"{name}\" in {what}; valid metric names: {}",
        valid.join(", ")
    )
}

/// Which side of the value a metric must be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `>=` (or `>`): the metric must be at least the value.
    AtLeast,
    /// `<=` (or `<`): the metric must be at most the value.
    AtMost,
}

/// One expectation or staffing target: `metric op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub metric: String,
    pub direction: Direction,
    /// `>` / `<` rather than `>=` / `<=`.
    pub strict: bool,
    pub value: f64,
}

/// How a target is judged from a metric's mean and 95 % CI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Confidence {
    /// At the CI's conservative end: mean − half-width for `>=`, mean + half-width for `<=`.
    Conservative,
    /// At the mean alone.
    Mean,
}

impl Target {
    /// Parses `name>=v`, `name<=v`, `name>v`, `name<v` (also `≥`, `≤`), or `name=v`,
    /// which takes the metric's better direction (`>=` for [`MORE_IS_BETTER`] metrics,
    /// `<=` otherwise). The metric name is not checked here (see [`check_metric_name`]).
    pub fn parse(text: &str) -> anyhow::Result<Target> {
        Target::parse_with(text, |name| {
            if more_is_better(name) {
                Direction::AtLeast
            } else {
                Direction::AtMost
            }
        })
    }

    /// [`Target::parse`] with the direction of a bare `name=v` chosen by `default`
    /// (`staff` takes the direction in which the metric improves with more agents).
    pub fn parse_with(text: &str, default: impl Fn(&str) -> Direction) -> anyhow::Result<Target> {
        let bad = |why: &str| {
            anyhow::anyhow!(
                "bad expectation \"{text}\": {why}; write NAME>=VALUE, NAME<=VALUE or \
                 NAME=VALUE (e.g. service_level>=0.8, abandon_ratio<=0.05)"
            )
        };
        let ops: [(&str, Option<Direction>, bool); 7] = [
            (">=", Some(Direction::AtLeast), false),
            ("<=", Some(Direction::AtMost), false),
            ("≥", Some(Direction::AtLeast), false),
            ("≤", Some(Direction::AtMost), false),
            (">", Some(Direction::AtLeast), true),
            ("<", Some(Direction::AtMost), true),
            ("=", None, false),
        ];
        let Some(at) = text.find(['<', '>', '=', '≥', '≤']) else {
            return Err(bad("no comparison operator"));
        };
        let (name, rest) = text.split_at(at);
        let Some((op, dir, strict)) = ops.iter().find(|(op, _, _)| rest.starts_with(op)) else {
            return Err(bad("no comparison operator"));
        };
        let name = name.trim();
        let value_text = rest[op.len()..].trim();
        if name.is_empty() {
            return Err(bad("no metric name before the operator"));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad("the metric name may hold only letters, digits and _"));
        }
        let value: f64 = value_text
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(&format!("\"{value_text}\" is not a finite number")))?;
        let direction = dir.unwrap_or_else(|| default(name));
        Ok(Target {
            metric: name.to_string(),
            direction,
            strict: *strict,
            value,
        })
    }

    /// The figure the target is judged on: the CI's conservative end (or the mean).
    pub fn judged_value(&self, stat: &Stat, confidence: Confidence) -> f64 {
        let hw = if stat.ci95_half_width.is_finite() {
            stat.ci95_half_width
        } else {
            0.0
        };
        match (confidence, self.direction) {
            (Confidence::Mean, _) => stat.mean,
            (Confidence::Conservative, Direction::AtLeast) => stat.mean - hw,
            (Confidence::Conservative, Direction::AtMost) => stat.mean + hw,
        }
    }

    /// Whether `stat` meets the target under `confidence` (a NaN mean never does).
    pub fn holds(&self, stat: &Stat, confidence: Confidence) -> bool {
        self.holds_for(self.judged_value(stat, confidence))
    }

    /// Whether the figure `v` meets the target (a NaN never does).
    pub fn holds_for(&self, v: f64) -> bool {
        match (self.direction, self.strict) {
            (Direction::AtLeast, false) => v >= self.value,
            (Direction::AtLeast, true) => v > self.value,
            (Direction::AtMost, false) => v <= self.value,
            (Direction::AtMost, true) => v < self.value,
        }
    }

    /// The operator as written back: `>=`, `<=`, `>`, `<`.
    pub fn op(&self) -> &'static str {
        match (self.direction, self.strict) {
            (Direction::AtLeast, false) => ">=",
            (Direction::AtLeast, true) => ">",
            (Direction::AtMost, false) => "<=",
            (Direction::AtMost, true) => "<",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.metric, self.op(), self.value)
    }
}

/// Parses every target and checks its metric name against `valid`.
pub fn parse_targets(
    texts: &[String],
    valid: &[String],
    what: &str,
) -> anyhow::Result<Vec<Target>> {
    texts
        .iter()
        .map(|t| {
            let target = Target::parse(t)?;
            check_metric_name(&target.metric, valid, what)?;
            Ok(target)
        })
        .collect()
}

/// Options of `chatsim check`.
#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  chatsim check scenarios/default.toml \
    --expect 'service_level>=0.8' --expect 'premature_disconnects<=60'\n\n\
    Exit status: 0 every expectation holds at the conservative end of its 95% CI \
    (mean - half-width for >=, mean + half-width for <=), 1 one fails, 2 bad input.")]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: ScenarioFlags,
    /// An expectation NAME>=VALUE, NAME<=VALUE (also > and <), or NAME=VALUE (the
    /// metric's better direction); repeat for several.
    #[arg(long = "expect", required = true, value_name = "EXPECTATION")]
    pub expect: Vec<String>,
    /// Number of replications (overrides `run.replications`; at least 2 for a CI).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
}

/// Runs `chatsim check`: exit 0 when every expectation holds, 1 when one fails.
pub fn run(args: &CheckArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let input = &args.input;
    let sc = pipeline::load(&input.scenario, input.seed, args.replications, vec![])?;
    let targets = parse_targets(&args.expect, &metric_names(&sc), "--expect")?;
    let summary = pipeline::simulate(&sc, input.threads, cancel, &|| {})
        .with_context(|| format!("{}", input.scenario.display()))?;
    let (lines, all_hold) = judge(&targets, |m| summary.metrics.get(m));
    let mut text = format!(
        "{}: seed {}, {} replications; judged at the conservative end of each 95% CI\n",
        input.scenario.display(),
        summary.seed,
        summary.replications
    );
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    if summary.replications < 2 {
        text.push_str("note: with one replication there is no CI; the mean alone was judged\n");
    }
    print_out(&text, cancel)?;
    Ok(if all_hold {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One report line per target and whether all hold.
fn judge<'a>(targets: &[Target], get: impl Fn(&str) -> Option<&'a Stat>) -> (Vec<String>, bool) {
    let mut all = true;
    let lines = targets
        .iter()
        .map(|t| match get(&t.metric) {
            Some(stat) => {
                let ok = t.holds(stat, Confidence::Conservative);
                all &= ok;
                let hw = stat.ci95_half_width;
                format!(
                    "{} {:<32} estimate {} ± {} (95% CI {} … {}), judged {}",
                    if ok { "PASS" } else { "FAIL" },
                    t.to_string(),
                    fmt_num(stat.mean),
                    fmt_num(hw),
                    fmt_num(stat.mean - hw),
                    fmt_num(stat.mean + hw),
                    fmt_num(t.judged_value(stat, Confidence::Conservative))
                )
            }
            None => {
                all = false;
                format!("FAIL {t}: not measured")
            }
        })
        .collect();
    (lines, all)
}

/// A figure with about five significant digits.
pub(crate) fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 10_000.0 {
        0
    } else if a >= 100.0 {
        2
    } else if a >= 1.0 {
        3
    } else {
        4
    };
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(mean: f64, hw: f64) -> Stat {
        Stat {
            mean,
            ci95_half_width: hw,
            per_replication: vec![],
        }
    }

    #[test]
    fn parses_every_operator_and_the_default_direction() {
        let t = Target::parse("service_level>=0.8").unwrap();
        assert_eq!(
            (t.metric.as_str(), t.direction, t.strict, t.value),
            ("service_level", Direction::AtLeast, false, 0.8)
        );
        assert_eq!(
            Target::parse(" abandon_ratio <= 0.05 ").unwrap().direction,
            Direction::AtMost
        );
        assert!(Target::parse("reminders<3").unwrap().strict);
        assert_eq!(
            Target::parse("service_level=0.8").unwrap().direction,
            Direction::AtLeast
        );
        assert_eq!(
            Target::parse("abandon_ratio=0.05").unwrap().direction,
            Direction::AtMost
        );
        assert_eq!(Target::parse("occupancy≥0.7").unwrap().op(), ">=");
        assert_eq!(
            Target::parse("reminders_per_session<=0.2")
                .unwrap()
                .to_string(),
            "reminders_per_session<=0.2"
        );
    }

    #[test]
    fn malformed_expectations_say_how_to_write_one() {
        for bad in [
            "service_level",
            "service_level>>0.8",
            ">=0.8",
            "service level>=0.8",
            "x>=abc",
            "x>=inf",
            "x>=",
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(e.contains("NAME>=VALUE"), "{bad}: {e}");
        }
    }

    #[test]
    fn holds_at_the_conservative_end() {
        let at_least = Target::parse("service_level>=0.8").unwrap();
        assert!(at_least.holds(&stat(0.85, 0.04), Confidence::Conservative));
        assert!(!at_least.holds(&stat(0.82, 0.04), Confidence::Conservative));
        assert!(at_least.holds(&stat(0.82, 0.04), Confidence::Mean));
        let at_most = Target::parse("abandon_ratio<=0.05").unwrap();
        assert!(at_most.holds(&stat(0.03, 0.01), Confidence::Conservative));
        assert!(!at_most.holds(&stat(0.045, 0.01), Confidence::Conservative));
        assert!(!at_most.holds(&stat(f64::NAN, 0.0), Confidence::Mean));
        let strict = Target::parse("reminders<10").unwrap();
        assert!(!strict.holds(&stat(10.0, 0.0), Confidence::Conservative));
    }

    #[test]
    fn unknown_metric_lists_the_valid_names() {
        let valid = vec!["offered".to_string(), "service_level".to_string()];
        let e = parse_targets(&["servic_level>=0.8".into()], &valid, "--expect")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("servic_level") && e.contains("offered, service_level"),
            "{e}"
        );
    }

    #[test]
    fn judge_reports_pass_and_fail() {
        let s = stat(0.9, 0.01);
        let targets = vec![
            Target::parse("service_level>=0.85").unwrap(),
            Target::parse("service_level>=0.895").unwrap(),
        ];
        let (lines, all) = judge(&targets, |_| Some(&s));
        assert!(!all);
        assert!(
            lines[0].starts_with("PASS") && lines[1].starts_with("FAIL"),
            "{lines:?}"
        );
    }
}
