//! A run over replications: every figure as mean ± 95 % CI with its per-replication
//! values, at run level, per interval, per group and per agent. `summary.json` is this
//! struct serialized (agents excepted: they go to `agents.csv`).

use crate::clock::Clock;
use crate::math::t975;
use crate::metrics::catalogue::{Level, Metric};
use crate::metrics::collector::{summary_merge, Collector};
use crate::metrics::figures::{IntervalMetrics, QueueMetrics, Timeline};
use crate::metrics::histogram::{quantile_ms, HISTOGRAM_SIGFIG};
use crate::metrics::spool::{IntervalSpool, RowPart};
use crate::metrics::stats::Stat;
use crate::metrics::RepMetrics;
use crate::scenario::Scenario;
use crate::time::SimTime;
use hdrhistogram::Histogram;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::sync::Arc;

/// Metrics' values in a fixed order (the catalogue's order for their level), serialized
/// as a JSON object in that order, keyed by the metrics' published names (never a hash
/// map: output bytes must not depend on iteration order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ordered<V>(pub Vec<(Metric, V)>);

/// What [`Ordered::get`] looks a value up by: a [`Metric`], or a published name (`&str`,
/// `String`: what a user typed).
pub trait MetricKey {
    /// Whether the key names `m`.
    fn is(&self, m: Metric) -> bool;
}

impl MetricKey for Metric {
    fn is(&self, m: Metric) -> bool {
        *self == m
    }
}

impl MetricKey for &Metric {
    fn is(&self, m: Metric) -> bool {
        **self == m
    }
}

impl<T: AsRef<str> + ?Sized> MetricKey for T {
    fn is(&self, m: Metric) -> bool {
        self.as_ref() == m.name()
    }
}

impl<V> Ordered<V> {
    /// The value of the metric `key` names.
    pub fn get(&self, key: impl MetricKey) -> Option<&V> {
        self.0.iter().find(|(k, _)| key.is(*k)).map(|(_, v)| v)
    }

    /// Metrics and values in order.
    pub fn iter(&self) -> impl Iterator<Item = (Metric, &V)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// Published names in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(k, _)| k.name())
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.name(), v)?;
        }
        map.end()
    }
}

/// Metric name → mean, CI half-width and per-replication values.
pub type MetricSet = Ordered<Stat>;

/// One reporting interval over replications.
#[derive(Clone, Debug, serde::Serialize)]
pub struct IntervalSummary {
    pub index: usize,
    /// Start and end in seconds from the epoch (the start of warm-up).
    pub start_s: f64,
    pub end_s: f64,
    pub metrics: MetricSet,
}

impl IntervalSummary {
    /// The interval's start as a simulated instant (for the clock that shows it).
    pub fn start(&self) -> SimTime {
        instant(self.start_s)
    }

    /// The interval's end as a simulated instant.
    pub fn end(&self) -> SimTime {
        instant(self.end_s)
    }
}

/// Seconds from the epoch (whole milliseconds, as every summary time is) as an instant.
fn instant(secs: f64) -> SimTime {
    SimTime::from_millis((secs * 1000.0).round().max(0.0) as u64)
}

/// One agent group over replications.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GroupSummary {
    pub name: String,
    /// Agents of the group in the roster.
    pub agents: u32,
    pub metrics: MetricSet,
}

/// One agent over replications.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AgentSummary {
    /// The roster's id.
    pub name: String,
    pub group: String,
    pub max_sessions: u32,
    pub metrics: MetricSet,
}

/// One queue of a desk with several, over replications: its run figures (mean, CI and
/// per replication, like the run's) and its part of every interval (mean and CI).
#[derive(Clone, Debug, serde::Serialize)]
pub struct QueueSummary {
    pub name: String,
    /// Every value is a number (undefined ratios are 0), as at run level.
    pub metrics: MetricSet,
    pub intervals: Vec<IntervalSummary>,
}

/// A whole run: what every writer in [`crate::report`] turns into bytes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunSummary {
    pub chatsim_version: String,
    pub seed: u64,
    pub replications: usize,
    /// Wall-clock seconds of the whole run (replications may run in parallel).
    pub wall_secs: f64,
    pub warmup_s: f64,
    pub horizon_s: f64,
    pub interval_s: f64,
    pub service_level_threshold_s: f64,
    /// Present only when the run has more reporting intervals than a summary lists one by
    /// one ([`MAX_SUMMARY_INTERVALS`](crate::metrics::collector::MAX_SUMMARY_INTERVALS)):
    /// then `intervals` (and each queue's) are merged, and `intervals.csv` has every one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals_merged: Option<MergedIntervals>,
    /// Run-level figures; every value is a number (undefined ratios are 0).
    pub metrics: MetricSet,
    /// Percentiles over all replications' customers and replies together (histograms
    /// merged), in seconds.
    pub pooled: Ordered<f64>,
    pub intervals: Vec<IntervalSummary>,
    pub groups: Vec<GroupSummary>,
    /// Per-queue figures of a desk with several queues, in `[[queues]]` order; a
    /// one-queue desk has none (its queue's figures are the run's), and its
    /// `summary.json` has no `queues` key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueSummary>,
    /// Per-agent figures; written to `agents.csv`, left out of `summary.json` for size.
    #[serde(skip)]
    pub agents: Vec<AgentSummary>,
    /// How the scenario's clock shows simulated times (`run.clock_origin`,
    /// `run.start_date`): every table and plot shows interval times through it.
    #[serde(skip)]
    pub clock: Clock,
    /// Every reporting interval's figures, read back from the replications' spool, when
    /// the summary's intervals are merged and the run spooled them (`run --out`):
    /// what `intervals.csv` and `queue_intervals.csv` are written from.
    #[serde(skip)]
    pub interval_rows: Option<IntervalRows>,
}

/// How a summary with more intervals than it lists is merged (`summary.json`'s
/// `intervals_merged`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MergedIntervals {
    /// The run's reporting intervals (`interval_s` each; the last may be shorter).
    pub intervals: usize,
    /// Consecutive intervals each listed interval merges: its figures are those of one
    /// interval of `merge` × `interval_s` (the last may be shorter).
    pub merge: usize,
    /// Where every interval is, one row each.
    pub full_series: &'static str,
}

/// The spooled replications of a run: every interval's figures over replications,
/// computed one interval at a time (memory O(replications × figures)).
#[derive(Clone, Debug)]
pub struct IntervalRows {
    spool: Arc<IntervalSpool>,
    replications: usize,
}

impl IntervalRows {
    /// Calls `f` with each interval's summary, in order: the desk's figures, or one
    /// queue's part. The same means and CIs as a summary of unmerged intervals, bit for
    /// bit (the same values pushed in the same replication order).
    pub fn for_each(
        &self,
        part: RowPart,
        mut f: impl FnMut(IntervalSummary) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let names = match part {
            RowPart::Desk => Level::Interval.metrics(),
            RowPart::Queue(_) => Level::QueueInterval.metrics(),
        };
        self.spool.zip(self.replications, part, |i, rows| {
            let mut acc = LevelAcc::of(names);
            for row in rows {
                acc.push_values(row);
            }
            let (start, end) = self.spool.bounds(i);
            f(IntervalSummary {
                index: i,
                start_s: start.as_secs_f64(),
                end_s: end.as_secs_f64(),
                metrics: acc.metric_set(),
            })
        })
    }
}

impl RunSummary {
    /// The figure `target` is held to: the run's metric, or its queue's.
    pub fn stat_of(&self, target: &crate::target::Target) -> Option<&Stat> {
        match &target.queue {
            None => self.metrics.get(&target.metric),
            Some(q) => self
                .queues
                .iter()
                .find(|s| &s.name == q)?
                .metrics
                .get(&target.metric),
        }
    }

    /// Whether the reporting intervals fall on more than one day of the clock: then every
    /// table shows `day` and `date` beside the times of day (the rule of `staffing.csv`).
    pub fn spans_days(&self) -> bool {
        match (self.intervals.first(), self.intervals.last()) {
            (Some(first), Some(last)) => self.clock.spans_days(first.start(), last.end()),
            _ => false,
        }
    }
}

/// Streamed moments of one interval, group or agent figure: the mean as the in-order sum
/// of the finite values over their count (the same sum a batch mean takes), the variance
/// by Welford's update. Memory does not grow with the replications.
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: u64,
    sum: f64,
    welford_mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        self.sum += x;
        let delta = x - self.welford_mean;
        self.welford_mean += delta / self.n as f64;
        self.m2 += delta * (x - self.welford_mean);
    }

    /// Mean and 95 % CI half-width as [`Stat::from_values`] defines them, without the
    /// per-replication values (NaN mean when no replication defined the figure).
    fn stat(&self) -> Stat {
        let n = self.n;
        let mean = if n == 0 {
            f64::NAN
        } else {
            self.sum / n as f64
        };
        let ci95_half_width = match n {
            0 => f64::NAN,
            1 => 0.0,
            _ => {
                let var = (self.m2 / (n - 1) as f64).max(0.0);
                t975(n - 1) * (var / n as f64).sqrt()
            }
        };
        Stat {
            mean,
            ci95_half_width,
            per_replication: Vec::new(),
        }
    }
}

/// The figures of one level (an interval, a group, an agent) streamed over replications.
#[derive(Clone, Debug)]
struct LevelAcc {
    names: Vec<Metric>,
    moments: Vec<Moments>,
}

impl LevelAcc {
    fn new(template: &[(Metric, f64)]) -> LevelAcc {
        LevelAcc {
            names: template.iter().map(|(n, _)| *n).collect(),
            moments: vec![Moments::default(); template.len()],
        }
    }

    fn of(names: &[Metric]) -> LevelAcc {
        LevelAcc {
            names: names.to_vec(),
            moments: vec![Moments::default(); names.len()],
        }
    }

    /// Adds one replication's values, in this level's order.
    fn push_values(&mut self, row: &[f64]) {
        for (m, x) in self.moments.iter_mut().zip(row) {
            m.push(*x);
        }
    }

    fn metric_set(&self) -> MetricSet {
        Ordered(
            self.names
                .iter()
                .zip(&self.moments)
                .map(|(n, m)| (*n, m.stat()))
                .collect(),
        )
    }
}

/// What one replication adds to a summary: its figures in the summary's order (run
/// level, then per interval, group and agent, each in the catalogue's order for its
/// level) and its histograms. A [`Summarizer`] reads nothing else of a replication, so a
/// replication's figures carried elsewhere (a shard's part file, docs/scale-out.md) and
/// pushed back give the summary of a single run, bit for bit.
#[derive(Clone, Debug, PartialEq)]
pub struct RepFigures {
    /// Run-level values ([`RepMetrics::scalars`]: undefined ratios already 0).
    pub run: Vec<f64>,
    /// Each queue's values ([`QueueMetrics::scalars`]); empty for a one-queue desk.
    pub queues: Vec<Vec<f64>>,
    /// Interval, group and agent figures with the pooled histograms; `None` for a
    /// run-level summary ([`Summarizer::run_level`]).
    pub detail: Option<RepDetail>,
}

/// The per-interval, per-group and per-agent part of [`RepFigures`].
#[derive(Clone, Debug, PartialEq)]
pub struct RepDetail {
    pub intervals: Vec<Vec<f64>>,
    pub groups: Vec<Vec<f64>>,
    pub agents: Vec<Vec<f64>>,
    /// Each queue's intervals, queue by queue ([`IntervalMetrics::queue_scalars`]).
    pub queue_intervals: Vec<Vec<f64>>,
    pub waits: Histogram<u64>,
    pub replies: Histogram<u64>,
    pub wait_max: u64,
}

fn values(list: &[(Metric, f64)]) -> Vec<f64> {
    list.iter().map(|(_, v)| *v).collect()
}

impl RepFigures {
    /// The figures of `r`, with the detail or only the run level.
    pub fn of(r: &RepMetrics, detail: bool) -> RepFigures {
        RepFigures {
            run: values(&r.scalars()),
            queues: r.queues.iter().map(|q| values(&q.scalars())).collect(),
            detail: detail.then(|| RepDetail {
                intervals: r.intervals.iter().map(|i| values(&i.scalars())).collect(),
                groups: r.groups.iter().map(|g| values(&g.scalars())).collect(),
                agents: r.agents.iter().map(|a| values(&a.scalars())).collect(),
                queue_intervals: r
                    .queues
                    .iter()
                    .flat_map(|q| &q.intervals)
                    .map(|i| values(&i.queue_scalars()))
                    .collect(),
                waits: r.wait_histogram.clone(),
                replies: r.reply_latency_histogram.clone(),
                wait_max: r.totals.counts.wait_ms_max,
            }),
        }
    }
}

/// Streams replications, in replication order, into a [`RunSummary`]: what a run keeps
/// is the run-level figures of each replication (the `per_replication` values of the
/// `summary.json` contract) and, per interval, group and agent, streamed moments; pooled
/// percentiles merge each replication's histograms as it comes. So memory grows with the
/// replications only by the run-level figures (about 60 numbers each), never by their
/// intervals, agents or histograms.
#[derive(Debug)]
pub struct Summarizer<'a> {
    scenario: &'a Scenario,
    template: RepMetrics,
    run_names: Vec<Metric>,
    run_values: Vec<Vec<f64>>,
    intervals: Vec<LevelAcc>,
    groups: Vec<LevelAcc>,
    agents: Vec<LevelAcc>,
    /// Per queue, per metric, the replications' values (for `per_replication`).
    queue_names: Vec<Metric>,
    queue_values: Vec<Vec<Vec<f64>>>,
    /// Each queue's intervals, queue by queue.
    queue_intervals: Vec<LevelAcc>,
    waits: Histogram<u64>,
    replies: Histogram<u64>,
    wait_max: u64,
    replications: usize,
    /// The replications' spooled interval rows, if they are spooled.
    spool: Option<Arc<IntervalSpool>>,
}

impl<'a> Summarizer<'a> {
    /// An empty summary of `scenario`'s figures.
    pub fn new(scenario: &'a Scenario) -> Summarizer<'a> {
        let template = Collector::new(scenario).finish();
        let run = template.scalars();
        let histogram = || Histogram::new(HISTOGRAM_SIGFIG).expect("valid precision");
        Summarizer {
            scenario,
            run_names: run.iter().map(|(n, _)| *n).collect(),
            run_values: vec![Vec::new(); run.len()],
            intervals: template
                .intervals
                .iter()
                .map(|i| LevelAcc::new(&i.scalars()))
                .collect(),
            groups: template
                .groups
                .iter()
                .map(|g| LevelAcc::new(&g.scalars()))
                .collect(),
            agents: template
                .agents
                .iter()
                .map(|a| LevelAcc::new(&a.scalars()))
                .collect(),
            queue_names: Level::Queue.metrics().to_vec(),
            queue_values: vec![
                vec![Vec::new(); Level::Queue.metrics().len()];
                template.queues.len()
            ],
            queue_intervals: template
                .queues
                .iter()
                .flat_map(|q| &q.intervals)
                .map(|i| LevelAcc::new(&i.queue_scalars()))
                .collect(),
            waits: histogram(),
            replies: histogram(),
            wait_max: 0,
            replications: 0,
            spool: None,
            template,
        }
    }

    /// A summary whose replications also spool every interval's row to `spool` (their
    /// collectors made with [`Collector::with_spool`]): its `interval_rows` then reads
    /// them back.
    pub fn with_spool(mut self, spool: Arc<IntervalSpool>) -> Summarizer<'a> {
        self.spool = Some(spool);
        self
    }

    /// A summary of the run-level figures alone: no interval, group or agent figures and
    /// no pooled percentiles (they stay empty and 0). What `sweep` keeps of each point,
    /// so a point's figures are a few numbers per replication.
    pub fn run_level(scenario: &'a Scenario) -> Summarizer<'a> {
        let mut s = Summarizer::new(scenario);
        s.intervals.clear();
        s.groups.clear();
        s.agents.clear();
        s.queue_intervals.clear();
        s.template.intervals.clear();
        s.template.groups.clear();
        s.template.agents.clear();
        for q in &mut s.template.queues {
            q.intervals.clear();
        }
        s
    }

    /// Whether `f` has the shape this summary takes: as many run-level values, and the
    /// detail (with as many intervals, groups and agents, each with as many values) exactly
    /// when the summary keeps it. Figures read from a file are checked with it first.
    pub fn fits(&self, f: &RepFigures) -> bool {
        let shape = |accs: &[LevelAcc], rows: &[Vec<f64>]| {
            accs.len() == rows.len() && accs.iter().zip(rows).all(|(a, r)| a.names.len() == r.len())
        };
        let detailed = !self.template.intervals.is_empty()
            || !self.template.groups.is_empty()
            || !self.template.agents.is_empty();
        f.run.len() == self.run_names.len()
            && f.queues.len() == self.queue_values.len()
            && f.queues.iter().all(|q| q.len() == self.queue_names.len())
            && match &f.detail {
                Some(d) => {
                    detailed
                        && shape(&self.intervals, &d.intervals)
                        && shape(&self.groups, &d.groups)
                        && shape(&self.agents, &d.agents)
                        && shape(&self.queue_intervals, &d.queue_intervals)
                }
                None => !detailed,
            }
    }

    /// Adds the next replication (replications must come in replication order, so that
    /// the output does not depend on which finished first).
    pub fn push(&mut self, r: &RepMetrics) {
        let detail = !self.template.intervals.is_empty()
            || !self.template.groups.is_empty()
            || !self.template.agents.is_empty();
        self.push_figures(&RepFigures::of(r, detail));
    }

    /// Adds the next replication's figures (see [`RepFigures`]; in replication order).
    pub fn push_figures(&mut self, f: &RepFigures) {
        for (values, x) in self.run_values.iter_mut().zip(&f.run) {
            values.push(*x);
        }
        for (queue, row) in self.queue_values.iter_mut().zip(&f.queues) {
            for (values, x) in queue.iter_mut().zip(row) {
                values.push(*x);
            }
        }
        if let Some(d) = &f.detail {
            for (acc, row) in self.intervals.iter_mut().zip(&d.intervals) {
                acc.push_values(row);
            }
            for (acc, row) in self.groups.iter_mut().zip(&d.groups) {
                acc.push_values(row);
            }
            for (acc, row) in self.agents.iter_mut().zip(&d.agents) {
                acc.push_values(row);
            }
            for (acc, row) in self.queue_intervals.iter_mut().zip(&d.queue_intervals) {
                acc.push_values(row);
            }
            // Both auto-resize, so adding cannot fail.
            let _ = self.waits.add(&d.waits);
            let _ = self.replies.add(&d.replies);
            self.wait_max = self.wait_max.max(d.wait_max);
        }
        self.replications += 1;
    }

    /// The summary of the replications pushed, started from `seed`, `wall_secs` in all.
    pub fn finish(self, seed: u64, wall_secs: f64) -> RunSummary {
        let scenario = self.scenario;
        let merge = if self.template.intervals.is_empty() {
            1
        } else {
            summary_merge(scenario)
        };
        let metrics = Ordered(
            self.run_names
                .iter()
                .zip(self.run_values)
                .map(|(n, v)| (*n, Stat::from_values(v).finite_or_zero()))
                .collect(),
        );
        let interval_summary = |t: &IntervalMetrics, acc: &LevelAcc| IntervalSummary {
            index: t.index,
            start_s: t.start.as_secs_f64(),
            end_s: t.end.as_secs_f64(),
            metrics: acc.metric_set(),
        };
        let intervals = self
            .template
            .intervals
            .iter()
            .zip(&self.intervals)
            .map(|(t, acc)| interval_summary(t, acc))
            .collect();
        let mut queue_intervals = self.queue_intervals.iter();
        let queues = scenario
            .queues
            .iter()
            .zip(&self.template.queues)
            .zip(self.queue_values)
            .map(
                |((queue, t), values): ((_, &QueueMetrics), _)| QueueSummary {
                    name: queue.name.clone(),
                    metrics: Ordered(
                        self.queue_names
                            .iter()
                            .zip(values)
                            .map(|(n, v)| (*n, Stat::from_values(v).finite_or_zero()))
                            .collect(),
                    ),
                    intervals: t
                        .intervals
                        .iter()
                        .zip(queue_intervals.by_ref())
                        .map(|(t, acc)| interval_summary(t, acc))
                        .collect(),
                },
            )
            .collect();
        let groups = scenario
            .groups
            .iter()
            .zip(&self.template.groups)
            .zip(&self.groups)
            .map(|((name, t), acc)| GroupSummary {
                name: name.clone(),
                agents: t.agents,
                metrics: acc.metric_set(),
            })
            .collect();
        let agents = scenario
            .agents
            .iter()
            .zip(&self.agents)
            .map(|(spec, acc)| AgentSummary {
                name: spec.name.clone(),
                group: scenario
                    .groups
                    .get(spec.group as usize)
                    .cloned()
                    .unwrap_or_default(),
                max_sessions: spec.max_sessions,
                metrics: acc.metric_set(),
            })
            .collect();
        RunSummary {
            chatsim_version: env!("CARGO_PKG_VERSION").to_string(),
            seed,
            replications: self.replications,
            wall_secs,
            warmup_s: scenario.run.warmup.as_secs_f64(),
            horizon_s: scenario.run.horizon.as_secs_f64(),
            interval_s: scenario.run.interval.as_secs_f64(),
            service_level_threshold_s: scenario.run.service_level_threshold.as_secs_f64(),
            intervals_merged: (merge > 1).then_some(MergedIntervals {
                intervals: Timeline::new(scenario).count,
                merge,
                full_series: "intervals.csv",
            }),
            metrics,
            pooled: pooled(&self.waits, &self.replies, self.wait_max),
            intervals,
            groups,
            queues,
            agents,
            clock: scenario.run.clock,
            interval_rows: self.spool.map(|spool| IntervalRows {
                spool,
                replications: self.replications,
            }),
        }
    }
}

/// Summarizes the replications of one run of `scenario` (started from `seed`, taking
/// `wall_secs` in all): [`Summarizer`] over `reps` in order. Pure: the same replications
/// give the same summary, byte for byte once written, except for the wall-clock figures
/// (`wall_secs`, `events_per_s`, `routing_decisions_per_s`).
pub fn summarize(
    scenario: &Scenario,
    seed: u64,
    reps: &[RepMetrics],
    wall_secs: f64,
) -> RunSummary {
    let mut s = Summarizer::new(scenario);
    for r in reps {
        s.push(r);
    }
    s.finish(seed, wall_secs)
}

/// Percentiles over every replication's waits and reply latencies together.
fn pooled(waits: &Histogram<u64>, replies: &Histogram<u64>, wait_max: u64) -> Ordered<f64> {
    let q = |h: &Histogram<u64>, q: f64| quantile_ms(h, q) as f64 / 1000.0;
    let value = |m: Metric| match m {
        Metric::WaitSP50 => q(waits, 0.5),
        Metric::WaitSP90 => q(waits, 0.9),
        Metric::WaitSP99 => q(waits, 0.99),
        Metric::WaitSMax => wait_max as f64 / 1000.0,
        Metric::WaitsRecorded => waits.len() as f64,
        Metric::ReplyLatencySP50 => q(replies, 0.5),
        Metric::ReplyLatencySP90 => q(replies, 0.9),
        Metric::ReplyLatencySP99 => q(replies, 0.99),
        Metric::RepliesRecorded => replies.len() as f64,
        _ => panic!("{m} is listed at pooled level"),
    };
    Ordered(
        Level::Pooled
            .metrics()
            .iter()
            .map(|&m| (m, value(m)))
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::{AgentId, QueueId};
    use crate::metrics::collector::tests::test_scenario;
    use crate::metrics::spool::{IntervalSpool, RowPart};
    use crate::sim::Observer;
    use crate::time::Millis;

    /// Three small hand-driven replications of the two-group test scenario: `k`
    /// customers waiting k·2 s each, agent 0 busy with one session for 20 s, one
    /// reminder per replication, agent 1 disconnecting a ghost.
    pub(crate) fn sample_reps(scenario: &Scenario) -> Vec<RepMetrics> {
        sample_reps_with(|_| Collector::new(scenario))
    }

    /// [`sample_reps`], replication k's collector made by `make(k)`.
    fn sample_reps_with(make: impl Fn(u64) -> Collector) -> Vec<RepMetrics> {
        type Call = Box<dyn Fn(&mut Collector)>;
        (1..=3u64)
            .map(|k| {
                let s = SimTime::from_secs;
                let mut c = make(k);
                c.on_agent_online(s(0), AgentId(0), true);
                c.on_agent_online(s(0), AgentId(1), true);
                // Every call at its instant, sorted below: the simulator calls in time order.
                let mut calls: Vec<(u64, Call)> = vec![];
                for j in 0..k {
                    let arrived = s(12 + 15 * j);
                    let connected = arrived + Millis::from_secs(2 * k);
                    calls.push((
                        12 + 15 * j,
                        Box::new(move |c| {
                            c.on_offered(arrived, 0);
                            c.on_queue_len(arrived, 1);
                        }),
                    ));
                    calls.push((
                        12 + 15 * j + 2 * k,
                        Box::new(move |c| {
                            c.on_connected(connected, arrived, AgentId((j % 2) as u32), QueueId(0));
                            c.on_queue_len(connected, 0);
                        }),
                    ));
                }
                calls.push((60, Box::new(move |c| c.on_offered(s(60), 0))));
                calls.push((
                    60 + k,
                    Box::new(move |c| c.on_abandoned(s(60 + k), s(60), QueueId(0))),
                ));
                calls.push((
                    20,
                    Box::new(move |c| c.on_agent_sessions(s(20), AgentId(0), 1)),
                ));
                calls.push((
                    40,
                    Box::new(move |c| c.on_agent_sessions(s(40), AgentId(0), 0)),
                ));
                calls.push((
                    30,
                    Box::new(move |c| {
                        c.on_reply(
                            s(30),
                            AgentId(0),
                            Millis::from_millis(1500 * k),
                            k == 3,
                            QueueId(0),
                        )
                    }),
                ));
                calls.push((
                    33,
                    Box::new(move |c| c.on_reminder(s(33), AgentId(0), true)),
                ));
                calls.push((
                    50,
                    Box::new(move |c| {
                        c.on_disconnect(
                            s(50),
                            AgentId(1),
                            crate::sim::DisconnectKind::Ghost,
                            Millis::from_millis(90_000),
                            QueueId(0),
                        )
                    }),
                ));
                calls.push((45, Box::new(move |c| c.on_close(s(45), AgentId(0)))));
                calls.sort_by_key(|(t, _)| *t);
                for (_, call) in &calls {
                    call(&mut c);
                }
                c.on_end(s(70), 1000 * k, 10 * k);
                let mut r = c.finish();
                r.set_wall_secs(0.25);
                r
            })
            .collect()
    }

    #[test]
    fn summary_has_the_fixed_contract() {
        let sc = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let reps = sample_reps(&sc);
        let sum = summarize(&sc, 42, &reps, 0.9);
        let json: serde_json::Value = serde_json::to_value(&sum).unwrap();
        assert_eq!(json["chatsim_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(json["seed"], 42);
        assert_eq!(json["replications"], 3);
        let fixed = [
            Metric::Offered,
            Metric::Connected,
            Metric::Abandoned,
            Metric::PWait,
            Metric::AbandonRatio,
            Metric::WaitSMean,
            Metric::AsaS,
            Metric::ServiceLevel,
            Metric::MissedResponses,
            Metric::Reminders,
            Metric::Disconnects,
            Metric::PrematureDisconnects,
            Metric::GhostDisconnects,
            Metric::NormalCloses,
            Metric::Occupancy,
            Metric::Events,
            Metric::EventsPerS,
        ];
        for name in fixed.map(Metric::name) {
            let m = &json["metrics"][name];
            assert!(m["mean"].is_number(), "{name}: {m}");
            assert!(m["ci95_half_width"].is_number(), "{name}");
            let per = m["per_replication"].as_array().unwrap();
            assert_eq!(per.len(), 3);
            assert!(per.iter().all(|v| v.is_number()), "{name}");
        }
        // Offered 2, 3, 4: mean 3, sd 1, half width t(0.975, 2)/√3.
        let offered = sum.metrics.get(Metric::Offered).unwrap();
        assert_eq!(offered.per_replication, vec![2.0, 3.0, 4.0]);
        assert_eq!(offered.mean, 3.0);
        assert!((offered.ci95_half_width - 4.302_652_730 / 3f64.sqrt()).abs() < 1e-8);
        assert_eq!(
            sum.metrics.get(Metric::EventsPerS).unwrap().per_replication,
            vec![4000.0, 8000.0, 12000.0]
        );
        // Pooled waits: 2 s ×1 + 4 s ×2 + 6 s ×3 connected and 1, 2, 3 s abandoned.
        assert_eq!(sum.pooled.get(Metric::WaitsRecorded), Some(&9.0));
        assert_eq!(sum.pooled.get(Metric::WaitSMax), Some(&6.0));
        assert_eq!(sum.intervals.len(), 3);
        assert_eq!(sum.groups.len(), 2);
        assert_eq!(sum.agents.len(), 2);
        assert!(json.get("agents").is_none());
    }

    #[test]
    fn summary_is_deterministic_and_ordered() {
        let sc = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let reps = sample_reps(&sc);
        let a = serde_json::to_string(&summarize(&sc, 1, &reps, 1.0)).unwrap();
        let b = serde_json::to_string(&summarize(&sc, 1, &reps, 1.0)).unwrap();
        assert_eq!(a, b);
        let offered = a.find(&format!("\"{}\"", Metric::Offered)).unwrap();
        let connected = a.find(&format!("\"{}\"", Metric::Connected)).unwrap();
        assert!(
            offered < connected,
            "metrics keep report order, not alphabetical"
        );
    }

    /// Interval, group and agent figures are streamed: the mean is the same in-order sum
    /// as a batch mean (bit for bit), the CI the same up to rounding of the variance.
    #[test]
    fn streamed_levels_match_the_batch_statistics() {
        let sc = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let reps = sample_reps(&sc);
        let sum = summarize(&sc, 1, &reps, 1.0);
        for (i, interval) in sum.intervals.iter().enumerate() {
            for (name, stat) in interval.metrics.iter() {
                let values: Vec<f64> = reps
                    .iter()
                    .map(|r| {
                        r.intervals[i]
                            .scalars()
                            .iter()
                            .find(|(n, _)| *n == name)
                            .unwrap()
                            .1
                    })
                    .collect();
                let batch = Stat::from_values(values);
                let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
                assert!(same(stat.mean, batch.mean), "{name}: mean");
                let close = (stat.ci95_half_width - batch.ci95_half_width).abs()
                    <= 1e-12 * batch.ci95_half_width.abs().max(1.0)
                    || (stat.ci95_half_width.is_nan() && batch.ci95_half_width.is_nan());
                assert!(
                    close,
                    "{name}: {} vs {}",
                    stat.ci95_half_width, batch.ci95_half_width
                );
                assert!(stat.per_replication.is_empty());
            }
        }
    }

    /// Replication k (1..=3) of the two-queue desk: k English customers connected at
    /// once in interval 0, one Spanish customer who gives up after k seconds in interval 1.
    pub(crate) fn two_queue_reps(scenario: &Scenario) -> Vec<RepMetrics> {
        two_queue_reps_with(|_| Collector::new(scenario))
    }

    /// [`two_queue_reps`], replication k's collector made by `make(k)`.
    fn two_queue_reps_with(make: impl Fn(u64) -> Collector) -> Vec<RepMetrics> {
        (1..=3u64)
            .map(|k| {
                let s = SimTime::from_secs;
                let mut c = make(k);
                for j in 0..k {
                    c.on_offered(s(12 + j), 0);
                    c.on_connected(s(12 + j), s(12 + j), AgentId(0), QueueId(0));
                }
                c.on_offered(s(31), 1);
                c.on_abandoned(s(31 + k), s(31), QueueId(1));
                c.on_end(s(70), 0, 0);
                c.finish()
            })
            .collect()
    }

    #[test]
    fn each_queue_has_its_figures_over_replications() {
        let sc = crate::metrics::collector::tests::two_queue_scenario(&[(0, 5)], &["g"]);
        let sum = summarize(&sc, 1, &two_queue_reps(&sc), 1.0);
        let names: Vec<&str> = sum.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["english", "spanish"]);
        // English offered 1, 2, 3 (mean 2, sd 1), all connected at once: SL 1 each.
        let en = &sum.queues[0].metrics;
        let offered = en.get(Metric::Offered).unwrap();
        assert_eq!(offered.per_replication, vec![1.0, 2.0, 3.0]);
        assert_eq!(offered.mean, 2.0);
        assert!((offered.ci95_half_width - 4.302_652_730 / 3f64.sqrt()).abs() < 1e-8);
        assert_eq!(
            en.get(Metric::ServiceLevel).unwrap().per_replication,
            [1.0; 3]
        );
        // English never abandoned; its undefined wait percentiles would be NaN: never,
        // since every customer connected (wait 0 s).
        assert_eq!(en.get(Metric::WaitSP90).unwrap().mean, 0.0);
        // Spanish: one abandoner a replication, after 1, 2, 3 s; no reply: the late reply
        // ratio is undefined and written 0, as at run level.
        let es = &sum.queues[1].metrics;
        assert_eq!(
            es.get(Metric::AbandonRatio).unwrap().per_replication,
            [1.0; 3]
        );
        assert_eq!(
            es.get(Metric::WaitSMean).unwrap().per_replication,
            vec![1.0, 2.0, 3.0]
        );
        assert_eq!(es.get(Metric::LateReplyRatio).unwrap().mean, 0.0);
        // Per interval: Spanish interval 1 holds the abandoner; its interval 0 is empty
        // (service level undefined: NaN, written null).
        let es_i = &sum.queues[1].intervals;
        assert_eq!(es_i.len(), 3);
        assert_eq!(es_i[1].metrics.get(Metric::Abandoned).unwrap().mean, 1.0);
        assert!(es_i[0]
            .metrics
            .get(Metric::ServiceLevel)
            .unwrap()
            .mean
            .is_nan());
        let json: serde_json::Value = serde_json::to_value(&sum).unwrap();
        let q = &json["queues"][1];
        assert_eq!(q["name"], "spanish");
        assert_eq!(
            q["metrics"][Metric::Abandoned.name()]["per_replication"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert!(q["intervals"][1]["metrics"][Metric::Abandoned.name()]["mean"].is_number());
    }

    #[test]
    fn a_one_queue_summary_has_no_queues_key() {
        let sc = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let sum = summarize(&sc, 42, &sample_reps(&sc), 0.9);
        assert!(sum.queues.is_empty());
        let json: serde_json::Value = serde_json::to_value(&sum).unwrap();
        assert!(json.get("queues").is_none());
    }

    #[test]
    fn no_replications_gives_zeros_not_nulls() {
        let sc = test_scenario(&[(0, 1)], &["g"]);
        let sum = summarize(&sc, 1, &[], 0.0);
        assert!(sum
            .metrics
            .iter()
            .all(|(_, s)| s.mean == 0.0 && s.per_replication.is_empty()));
    }

    /// Whether two summaries of the same interval are equal bit for bit (NaN = NaN).
    fn same_interval(a: &IntervalSummary, b: &IntervalSummary) -> bool {
        let same = |x: f64, y: f64| x.to_bits() == y.to_bits();
        a.index == b.index
            && same(a.start_s, b.start_s)
            && same(a.end_s, b.end_s)
            && a.metrics.0.len() == b.metrics.0.len()
            && a.metrics
                .iter()
                .zip(b.metrics.iter())
                .all(|((m, x), (n, y))| {
                    m == n && same(x.mean, y.mean) && same(x.ci95_half_width, y.ci95_half_width)
                })
    }

    /// The streaming zip: each interval's mean and CI computed from the replications'
    /// spooled rows, one interval at a time, equal the in-memory summary's bit for bit,
    /// for the desk and for each queue's part.
    #[test]
    fn the_spool_zip_gives_the_in_memory_interval_figures() {
        let dir = tempfile::tempdir().unwrap();
        let desk = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let spool = IntervalSpool::new(&desk, dir.path()).unwrap();
        let reps = sample_reps_with(|k| Collector::with_spool(&desk, spool.writer(k as u32 - 1)));
        let mut s = Summarizer::new(&desk).with_spool(Arc::clone(&spool));
        for r in &reps {
            s.push(r);
        }
        let sum = s.finish(1, 1.0);
        assert!(
            sum.intervals_merged.is_none(),
            "3 intervals: listed one by one"
        );
        let mut zipped = vec![];
        let rows = sum.interval_rows.as_ref().unwrap();
        rows.for_each(RowPart::Desk, |i| {
            zipped.push(i);
            Ok(())
        })
        .unwrap();
        assert_eq!(zipped.len(), 3);
        for (a, b) in zipped.iter().zip(&sum.intervals) {
            assert!(same_interval(a, b), "{a:?}\n{b:?}");
        }
        // Interval 0 (10–30 s) is offered 1, 2, 2 (replication k's customers arrive at
        // 12 s, 27 s, 42 s, the first k of them): the zip saw every replication.
        assert_eq!(
            zipped[0].metrics.get(Metric::Offered).unwrap().mean,
            5.0 / 3.0
        );

        let queues = crate::metrics::collector::tests::two_queue_scenario(&[(0, 5)], &["g"]);
        let spool = IntervalSpool::new(&queues, dir.path()).unwrap();
        let reps =
            two_queue_reps_with(|k| Collector::with_spool(&queues, spool.writer(k as u32 - 1)));
        let mut s = Summarizer::new(&queues).with_spool(Arc::clone(&spool));
        for r in &reps {
            s.push(r);
        }
        let sum = s.finish(1, 1.0);
        let rows = sum.interval_rows.as_ref().unwrap();
        for part in [RowPart::Desk, RowPart::Queue(0), RowPart::Queue(1)] {
            let listed = match part {
                RowPart::Desk => &sum.intervals,
                RowPart::Queue(q) => &sum.queues[q].intervals,
            };
            let mut n = 0;
            rows.for_each(part, |i| {
                assert!(same_interval(&i, &listed[n]), "{part:?} {n}");
                n += 1;
                Ok(())
            })
            .unwrap();
            assert_eq!(n, 3, "{part:?}");
        }
        // Spanish interval 1: one abandoner in each replication.
        let mut spanish = vec![];
        rows.for_each(RowPart::Queue(1), |i| {
            spanish.push(i.metrics.get(Metric::Abandoned).unwrap().mean);
            Ok(())
        })
        .unwrap();
        assert_eq!(spanish, [0.0, 1.0, 0.0]);

        // A sharded run's path: each replication's block read back whole (the shard) and
        // written into another spool (the merge's) gives the same rows.
        let copy = IntervalSpool::new(&queues, dir.path()).unwrap();
        assert_eq!(copy.block_len(), spool.block_len());
        for k in 0..reps.len() as u32 {
            copy.write_block(k, &spool.read_block(k).unwrap()).unwrap();
        }
        let mut s = Summarizer::new(&queues).with_spool(Arc::clone(&copy));
        for r in &reps {
            s.push(r);
        }
        let copied = s.finish(1, 1.0);
        let copied_rows = copied.interval_rows.as_ref().unwrap();
        for part in [RowPart::Desk, RowPart::Queue(0), RowPart::Queue(1)] {
            let (mut a, mut b) = (vec![], vec![]);
            rows.for_each(part, |i| {
                a.push(i);
                Ok(())
            })
            .unwrap();
            copied_rows
                .for_each(part, |i| {
                    b.push(i);
                    Ok(())
                })
                .unwrap();
            assert_eq!(a.len(), 3, "{part:?}");
            for (x, y) in a.iter().zip(&b) {
                assert!(same_interval(x, y), "{part:?}: {x:?}\n{y:?}");
            }
        }
    }
}
