//! A run held to its scenario's `[targets]`: each target met or missed at run level (the
//! rule of `chatsim check`: at the conservative end of the 95 % CI), and the intervals
//! that miss it. Data only; `report.html` and `report.xlsx` show it.

use crate::catalogue::{Level, Metric};
use crate::metrics::target::{Confidence, Target};
use crate::metrics::{RunSummary, Stat};

/// How a target is judged per interval.
#[derive(Clone, Debug, PartialEq)]
pub enum PerInterval {
    /// Every interval where the metric is defined was judged (`judged` of them, by the
    /// run-level rule on the interval's own mean and CI); `missed` are the indices, into
    /// `RunSummary::intervals`, of those where the target fails.
    Judged { judged: usize, missed: Vec<usize> },
    /// Judged at run level only, for the reason given.
    RunLevelOnly(&'static str),
}

/// Why a target has no per-interval judgement: the metric has no interval figure.
pub const NO_INTERVAL_FIGURE: &str = "no per-interval figure of this metric is measured";
/// … or the metric is a total over the run, which an interval's share of it cannot be held to.
pub const WINDOW_TOTAL: &str =
    "a total over the whole run: an interval's part of it is not held to the run's target";

/// … or the target is a queue's: judged on the queue's run figures (its intervals are in
/// `queue_intervals.csv`).
pub const QUEUE_TARGET: &str =
    "a queue's target, judged on the queue's figures over the run (per interval: queue_intervals.csv)";

/// One target's verdict.
#[derive(Clone, Debug)]
pub struct TargetVerdict<'a> {
    pub target: &'a Target,
    /// `None` for a name the catalogue does not know (a scenario's targets are checked at
    /// load, so only a code-built scenario can hold one).
    pub metric: Option<Metric>,
    /// The run-level figure; `None` when not measured.
    pub stat: Option<&'a Stat>,
    /// The conservative end it is judged at (NaN when not measured).
    pub judged: f64,
    pub met: bool,
    pub per_interval: PerInterval,
}

/// Every target's verdict, in the scenario's order.
#[derive(Clone, Debug)]
pub struct Verdict<'a> {
    pub targets: Vec<TargetVerdict<'a>>,
}

/// Whether `target` fails on the interval figure `stat` (an undefined figure, such as
/// the service level of an interval nobody arrived in, is not judged).
fn misses(target: &Target, stat: &Stat) -> Option<bool> {
    stat.mean
        .is_finite()
        .then(|| !target.holds(stat, Confidence::Conservative))
}

impl<'a> Verdict<'a> {
    /// Judges `targets` on `summary`.
    pub fn of(summary: &'a RunSummary, targets: &'a [Target]) -> Verdict<'a> {
        let targets = targets
            .iter()
            .map(|target| {
                let metric = Metric::parse(&target.metric);
                let stat = summary.stat_of(target);
                let judged = stat.map_or(f64::NAN, |s| {
                    target.judged_value(s, Confidence::Conservative)
                });
                let met = stat.is_some_and(|s| target.holds(s, Confidence::Conservative));
                let per_interval = match metric {
                    _ if target.queue.is_some() => PerInterval::RunLevelOnly(QUEUE_TARGET),
                    Some(m) if !Level::Interval.metrics().contains(&m) => {
                        PerInterval::RunLevelOnly(NO_INTERVAL_FIGURE)
                    }
                    Some(m) if m.is_window_total() => PerInterval::RunLevelOnly(WINDOW_TOTAL),
                    None => PerInterval::RunLevelOnly(NO_INTERVAL_FIGURE),
                    Some(m) => {
                        let (mut judged, mut missed) = (0, vec![]);
                        for (k, i) in summary.intervals.iter().enumerate() {
                            if let Some(miss) = i.metrics.get(m).and_then(|s| misses(target, s)) {
                                judged += 1;
                                if miss {
                                    missed.push(k);
                                }
                            }
                        }
                        PerInterval::Judged { judged, missed }
                    }
                };
                TargetVerdict {
                    target,
                    metric,
                    stat,
                    judged,
                    met,
                    per_interval,
                }
            })
            .collect();
        Verdict { targets }
    }

    /// How many targets are met.
    pub fn met(&self) -> usize {
        self.targets.iter().filter(|t| t.met).count()
    }

    /// The targets judged per interval, with the intervals each misses.
    pub fn per_interval(&self) -> impl Iterator<Item = (&TargetVerdict<'a>, &[usize])> {
        self.targets.iter().filter_map(|t| match &t.per_interval {
            PerInterval::Judged { missed, .. } => Some((t, missed.as_slice())),
            PerInterval::RunLevelOnly(_) => None,
        })
    }

    /// The intervals that miss at least one target, in time order.
    pub fn missed_intervals(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .per_interval()
            .flat_map(|(_, missed)| missed.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_summary;

    fn stat(mean: f64, hw: f64) -> Stat {
        Stat {
            mean,
            ci95_half_width: hw,
            per_replication: vec![],
        }
    }

    #[test]
    fn intervals_are_judged_like_the_run() {
        let mut s = sample_summary();
        let sl = Metric::ServiceLevel;
        // Interval 0: 0.9 ± 0.05 holds ≥ 0.8 at its conservative end (0.85); interval 1:
        // 0.82 ± 0.05 does not (0.77), though its mean does.
        s.intervals[0]
            .metrics
            .0
            .iter_mut()
            .find(|(m, _)| *m == sl)
            .unwrap()
            .1 = stat(0.9, 0.05);
        s.intervals[1]
            .metrics
            .0
            .iter_mut()
            .find(|(m, _)| *m == sl)
            .unwrap()
            .1 = stat(0.82, 0.05);
        s.intervals[2]
            .metrics
            .0
            .iter_mut()
            .find(|(m, _)| *m == sl)
            .unwrap()
            .1 = stat(1.0, 0.0);
        s.metrics.0.iter_mut().find(|(m, _)| *m == sl).unwrap().1 = stat(0.86, 0.01);
        let targets = vec![
            Target::parse("service_level>=0.8").unwrap(),
            Target::parse("abandoned<=1000").unwrap(),
            Target::parse("wait_s_p99<=1000").unwrap(),
        ];
        let v = Verdict::of(&s, &targets);
        assert!(v.targets[0].met);
        assert!((v.targets[0].judged - 0.85).abs() < 1e-12);
        assert_eq!(
            v.targets[0].per_interval,
            PerInterval::Judged {
                judged: s.intervals.len(),
                missed: vec![1]
            }
        );
        assert_eq!(
            v.targets[1].per_interval,
            PerInterval::RunLevelOnly(WINDOW_TOTAL)
        );
        assert_eq!(
            v.targets[2].per_interval,
            PerInterval::RunLevelOnly(NO_INTERVAL_FIGURE)
        );
        assert_eq!(v.missed_intervals(), vec![1]);
        assert_eq!(v.met(), v.targets.iter().filter(|t| t.met).count());
    }

    #[test]
    fn an_undefined_interval_is_not_judged_and_an_unknown_metric_is_missed() {
        let mut s = sample_summary();
        let sl = Metric::ServiceLevel;
        s.intervals[0]
            .metrics
            .0
            .iter_mut()
            .find(|(m, _)| *m == sl)
            .unwrap()
            .1 = stat(f64::NAN, f64::NAN);
        let targets = vec![
            Target::parse("service_level>=0").unwrap(),
            Target::parse("speed>=1").unwrap(),
        ];
        let v = Verdict::of(&s, &targets);
        assert_eq!(
            v.targets[0].per_interval,
            PerInterval::Judged {
                judged: s.intervals.len() - 1,
                missed: vec![]
            }
        );
        assert!(!v.targets[1].met && v.targets[1].stat.is_none());
    }
}
