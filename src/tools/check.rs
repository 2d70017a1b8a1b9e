//! `chatsim check`: a scenario's run held against expectations, for CI pipelines.
//!
//! Also home of what `staff` and `sweep` share about metric names on the command line:
//! the list of valid names ([`metric_names`]) and the error for an unknown one
//! ([`check_metric_name`]). The expectation syntax ([`Target`]) lives in
//! [`crate::target`], its judging in [`crate::metrics::target`], each metric's better direction in the catalogue
//! ([`Metric::more_is_better`]).
//!
//! An expectation holds when it holds at the conservative end of the metric's 95 %
//! confidence interval over replications: `mean − half-width ≥ value` for `>=`,
//! `mean + half-width ≤ value` for `<=`. Exit codes: 0 every expectation holds, 1 one
//! fails, 2 bad input (the binary maps every error to 2).

use super::flags::{ScenarioFlags, SetFlags};
use crate::metrics::catalogue::Metric;
pub use crate::metrics::target::{Confidence, Direction, Target};
use crate::metrics::Stat;
use crate::pipeline;
pub(crate) use crate::report::fmt_num;
use crate::report::output::print_out;
use crate::scenario::Scenario;
use anyhow::Context;
use clap::Args;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Whether a larger value of `metric` is better ([`Metric::more_is_better`]; an unknown
/// name is not).
pub fn more_is_better(metric: &str) -> bool {
    Metric::parse(metric).is_some_and(Metric::more_is_better)
}

/// The run-level metric names of `sc`'s summary, in report order (the catalogue's
/// [`Level::Run`](crate::metrics::Level::Run) list: the same for every scenario).
pub fn metric_names(_sc: &Scenario) -> Vec<String> {
    crate::metrics::catalogue::run_level_names()
}

/// An error naming an unknown metric, or `Ok` when `name` is one of `valid`. The error
/// suggests the closest valid name when one is close ([`crate::suggest::closest`]:
/// `servce_level` → "did you mean service_level?"), and lists every valid name otherwise
/// ([`crate::target::check_name`]).
pub fn check_metric_name(name: &str, valid: &[String], what: &str) -> anyhow::Result<()> {
    crate::target::check_name(name, valid)
        .map_err(|e| anyhow::anyhow!("unknown metric \"{}\" in {what}; {}", e.name, e.fix))
}

/// Parses every target and checks its metric name against `valid`: run-level targets
/// only (a queue's target, `metric[queue]`, is refused rather than judged on the desk).
pub fn parse_targets(
    texts: &[String],
    valid: &[String],
    what: &str,
) -> anyhow::Result<Vec<Target>> {
    texts
        .iter()
        .map(|t| {
            let target = Target::parse(t)?;
            refuse_queue_target(&target, what)?;
            check_metric_name(&target.metric, valid, what)?;
            Ok(target)
        })
        .collect()
}

/// An error for a queue's target (`metric[queue]`) where only the desk's figures are
/// judged, so that it is never judged on the desk's figure by mistake.
pub fn refuse_queue_target(target: &Target, what: &str) -> anyhow::Result<()> {
    match &target.queue {
        None => Ok(()),
        Some(q) => anyhow::bail!(
            "{what} \"{target}\" holds queue {q} to a figure, but {what} judges the whole \
             desk's figures; drop [{q}] for the desk, or hold the queue with `chatsim check \
             --expect '{target}'`"
        ),
    }
}

/// Parses `check`'s expectations: a run-level metric, or `metric[queue]` on one queue of
/// `sc`'s (a desk with several queues; the did-you-mean covers queue names too).
pub fn parse_expectations(texts: &[String], sc: &Scenario) -> anyhow::Result<Vec<Target>> {
    let queues: Vec<String> = sc.queues.iter().map(|q| q.name.clone()).collect();
    texts
        .iter()
        .map(|t| {
            let target = Target::parse(t)?;
            crate::target::check_target_names(&target, &queues)
                .map_err(|e| anyhow::anyhow!("unknown {} in --expect; {}", e.what, e.fix))?;
            Ok(target)
        })
        .collect()
}

/// Options of `chatsim check`.
#[derive(Args, Debug, Clone)]
#[command(after_help = "Example:\n  chatsim check scenarios/default.toml \
    --expect 'service_level>=0.8' --expect 'premature_disconnects<=60'\n\n\
    Without --expect, the scenario's [targets] are checked.\n\n\
    Exit status: 0 every expectation holds at the conservative end of its 95% CI \
    (mean - half-width for >=, mean + half-width for <=), 1 one fails, 2 bad input.")]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: ScenarioFlags,
    #[command(flatten)]
    pub set: SetFlags,
    /// An expectation NAME>=VALUE, NAME<=VALUE (also > and <), or NAME=VALUE (the
    /// metric's better direction); repeat for several. Without any, the scenario's
    /// `[targets]` are checked.
    #[arg(long = "expect", value_name = "EXPECTATION")]
    pub expect: Vec<String>,
    /// Number of replications (overrides `run.replications`; at least 2 for a CI).
    #[arg(long, allow_negative_numbers = true)]
    pub replications: Option<u32>,
    /// Print the verdict as one JSON object on stdout (each expectation with its metric,
    /// op, value, mean, ci95_half_width, conservative_end and holds; the overall holds)
    /// instead of the lines. The exit status is the same.
    #[arg(long)]
    pub json: bool,
}

/// Runs `chatsim check`: exit 0 when every expectation holds, 1 when one fails.
pub fn run(args: &CheckArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let input = &args.input;
    let sc = pipeline::load(
        &input.scenario,
        input.seed,
        args.replications,
        args.set.overrides()?,
    )?;
    let targets = if args.expect.is_empty() {
        if sc.targets.is_empty() {
            anyhow::bail!(
                "{}: nothing to check: the scenario has no [targets]; give one or more \
                 --expect NAME>=VALUE, or add [targets] expect = [\"service_level>=0.8\"] to \
                 the scenario (docs/scenario.md)",
                input.scenario.display()
            );
        }
        sc.targets.clone()
    } else {
        parse_expectations(&args.expect, &sc)?
    };
    let summary = pipeline::simulate(&sc, input.threads, cancel, &|| {})
        .with_context(|| format!("{}", input.scenario.display()))?;
    let (lines, all_hold) = judge(&targets, |t| summary.stat_of(t));
    if args.json {
        let verdict = verdict_json(&targets, |t| summary.stat_of(t));
        let object = serde_json::json!({
            "scenario": input.scenario.display().to_string(),
            "seed": summary.seed,
            "replications": summary.replications,
            "expectations": verdict,
            "holds": all_hold,
        });
        print_out(&json_text(&object), cancel)?;
        return Ok(exit_status(all_hold));
    }
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
    Ok(exit_status(all_hold))
}

fn exit_status(all_hold: bool) -> ExitCode {
    if all_hold {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Pretty JSON with a final newline; C1 and bidirectional characters (in a path) as
/// `\uXXXX`, as in `summary.json`.
fn json_text(value: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(value).expect("plain keys and values");
    format!("{}\n", crate::report::text::json_ascii_controls(&text))
}

/// Each target as a JSON object: the expectation as written back, its metric, op and
/// value, the metric's mean and 95 % CI half-width, the conservative end it is judged at,
/// and whether it holds. A figure JSON cannot hold (NaN, or not measured) is `null`.
fn verdict_json<'a>(
    targets: &[Target],
    get: impl Fn(&Target) -> Option<&'a Stat>,
) -> Vec<serde_json::Value> {
    targets
        .iter()
        .map(|t| {
            let stat = get(t);
            let (mean, hw, end, holds) = match stat {
                Some(stat) => (
                    Some(stat.mean),
                    Some(stat.ci95_half_width),
                    Some(t.judged_value(stat, Confidence::Conservative)),
                    t.holds(stat, Confidence::Conservative),
                ),
                None => (None, None, None, false),
            };
            let mut object = serde_json::json!({
                "expectation": t.to_string(),
                "metric": t.metric,
                "op": t.op(),
                "value": t.value,
                "mean": mean,
                "ci95_half_width": hw,
                "conservative_end": end,
                "holds": holds,
            });
            if let Some(q) = &t.queue {
                object["queue"] = serde_json::json!(q);
            }
            object
        })
        .collect()
}

/// One report line per target and whether all hold.
fn judge<'a>(targets: &[Target], get: impl Fn(&Target) -> Option<&'a Stat>) -> (Vec<String>, bool) {
    let mut all = true;
    let lines = targets
        .iter()
        .map(|t| match get(t) {
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
            (Metric::ServiceLevel.name(), Direction::AtLeast, false, 0.8)
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
            Metric::ServiceLevel.name(),
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
        let valid = vec![
            Metric::Offered.to_string(),
            Metric::ServiceLevel.to_string(),
        ];
        let e = parse_targets(&["servic_level>=0.8".into()], &valid, "--expect")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"servic_level\"") && e.contains("did you mean service_level?"),
            "{e}"
        );
        let e = parse_targets(&["latency>=0.8".into()], &valid, "--expect")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"latency\"") && e.contains("offered, service_level"),
            "{e}"
        );
    }

    #[test]
    fn the_json_verdict_gives_each_expectation_its_figures() {
        let s = stat(0.9, 0.01);
        let targets = vec![
            Target::parse("service_level>=0.85").unwrap(),
            Target::parse("abandon_ratio<0.05").unwrap(),
        ];
        let sl = Metric::ServiceLevel.name();
        let v = verdict_json(&targets, |t| (t.metric == sl).then_some(&s));
        assert_eq!(v[0]["metric"], sl);
        assert_eq!(v[0]["op"], ">=");
        assert_eq!(v[0]["value"], 0.85);
        assert_eq!(v[0]["mean"], 0.9);
        assert_eq!(v[0]["ci95_half_width"], 0.01);
        assert_eq!(v[0]["conservative_end"], 0.9 - 0.01);
        assert_eq!(v[0]["holds"], true);
        // Not measured: no figures, and it does not hold.
        assert_eq!(v[1]["op"], "<");
        assert!(v[1]["mean"].is_null() && v[1]["conservative_end"].is_null());
        assert_eq!(v[1]["holds"], false);
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
