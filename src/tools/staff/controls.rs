//! A candidate's replications and their control variates: each replication's figures
//! with martingale controls of known mean 0 ([`ControlTrack`]), and the
//! regression-adjusted estimate of every judged figure ([`judge`]), which removes most
//! of the queue's replication-to-replication luck.

use crate::engine::{AgentId, QueueId};
use crate::math::student_t_quantile;
use crate::metrics::{Collector, RepMetrics, RunSummary, Stat};
use crate::pipeline;
use crate::scenario::{Arrivals, Scenario, SessionModel};
use crate::sim::{DisconnectKind, Observer, SimError};
use crate::time::{Millis, SimTime};
use std::sync::atomic::AtomicBool;

/// Runs replications `reps` of `sc` in parallel, in replication order: the figures of a
/// single run over the same replications, since replication i is seeded from (seed, i)
/// whatever else runs. Each comes with its control variates ([`ControlTrack`]; none
/// unless `sc`'s arrivals are Poisson).
pub(super) fn run_replications(
    sc: &Scenario,
    reps: std::ops::Range<u32>,
    cancel: &AtomicBool,
) -> Result<Vec<(RepMetrics, Vec<f64>)>, SimError> {
    let track = |_| Tracked {
        collector: Collector::new(sc),
        controls: ControlTrack::new(sc),
    };
    pipeline::replicate_with(sc, reps, cancel, track, |observer, wall_secs| {
        let controls = observer.controls.values();
        let mut m = observer.collector.finish();
        m.set_wall_secs(wall_secs);
        // Staff judges run-level figures only: the pooled percentiles' histograms
        // (tens of kB each) are dropped, so that 256 replications in flight stay small.
        m.wait_histogram = small_histogram();
        m.reply_latency_histogram = small_histogram();
        (m, controls)
    })
}

/// Controls enter a candidate's estimate once it has this many replications (its second
/// look): with up to six controls, at least nine degrees of freedom are left.
pub(super) const CONTROLS_FROM: usize = 16;

/// The state functions h the control variates weight events by: 1, "no free session
/// slot" and the busy share of the slots, each taken just before the event's millisecond.
fn control_basis(sessions: u64, capacity: u64) -> [f64; 3] {
    [
        1.0,
        if sessions >= capacity { 1.0 } else { 0.0 },
        sessions as f64 / capacity.max(1) as f64,
    ]
}

/// Martingale control variates of one replication, over its measured window: figures
/// whose expectation is exactly zero by construction, yet which move with the queue's
/// luck, so regressing a candidate's figures on them ([`controlled_estimate`]) removes
/// most of the replication-to-replication noise.
///
/// - **Arrivals** (every staffed sub-scenario is Poisson at a known rate λ): for each h of
///   [`control_basis`], Σ over the window's arrivals of h(state just before) − λ ∫ h dt.
///   Arrival instants are a Poisson process's points rounded to the millisecond, so each
///   millisecond's arrival count has mean λ · 1 ms whatever happened before it: the sum
///   is a martingale increment with mean exactly 0. With h = 1 it is the arrival count
///   minus λ × the window.
/// - **Departures**, when every session's holding time is exponential with mean S (each
///   session ends at rate 1/S whatever else happens): Σ over the window's session ends of
///   h(state just before) − ∫ h · sessions / S dt.
///
/// The state is the number of sessions in progress, against the desk's capacity (Σ max
/// sessions); figures are counted in the same window as the collector's.
#[derive(Clone, Debug)]
pub(super) struct ControlTrack {
    /// The measured window [start, end), ms.
    start: u64,
    end: u64,
    capacity: u64,
    /// λ per ms; `None` when arrivals are not Poisson (no controls then).
    arrival_rate_ms: Option<f64>,
    /// 1/S per ms, with exponential holding times.
    departure_rate_ms: Option<f64>,
    per_agent: Vec<u32>,
    sessions: u64,
    /// Sessions in progress before any event of the current millisecond.
    before: u64,
    /// The current millisecond (of the last event seen).
    now: u64,
    arrivals: [f64; 3],
    arrivals_expected: [f64; 3],
    departures: [f64; 3],
    departures_expected: [f64; 3],
}

impl ControlTrack {
    fn new(sc: &Scenario) -> Self {
        let start = sc.run.warmup.as_millis();
        let arrival_rate_ms = match sc.arrivals {
            Arrivals::Poisson { rate_per_hour } => Some(rate_per_hour / 3_600_000.0),
            _ => None,
        };
        let departure_rate_ms = match &sc.sessions {
            SessionModel::Holding {
                holding_time: crate::dist::Dist::Exponential { mean },
            } if *mean > 0.0 => Some(1.0 / (mean * 1000.0)),
            _ => None,
        };
        ControlTrack {
            start,
            end: start + sc.run.horizon.as_millis(),
            capacity: sc.agents.iter().map(|a| a.max_sessions as u64).sum(),
            arrival_rate_ms,
            departure_rate_ms,
            per_agent: vec![0; sc.agents.len()],
            sessions: 0,
            before: 0,
            now: 0,
            arrivals: [0.0; 3],
            arrivals_expected: [0.0; 3],
            departures: [0.0; 3],
            departures_expected: [0.0; 3],
        }
    }

    /// Moves the clock to `now`. The compensators integrate the state before each
    /// millisecond's events over the window's milliseconds: the state held over
    /// [start − 1, end − 1) ms.
    fn tick(&mut self, now: SimTime) {
        if now.as_millis() <= self.now {
            return;
        }
        let from = self.now.max(self.start.saturating_sub(1));
        let to = now.as_millis().min(self.end.saturating_sub(1));
        if to > from {
            let dt = (to - from) as f64;
            let h = control_basis(self.sessions, self.capacity);
            let busy = self.sessions as f64;
            for (j, hj) in h.iter().enumerate() {
                if let Some(rate) = self.arrival_rate_ms {
                    self.arrivals_expected[j] += rate * hj * dt;
                }
                if let Some(rate) = self.departure_rate_ms {
                    self.departures_expected[j] += rate * busy * hj * dt;
                }
            }
        }
        self.before = self.sessions;
        self.now = now.as_millis();
    }

    fn in_window(&self, now: SimTime) -> bool {
        (self.start..self.end).contains(&now.as_millis())
    }

    /// The controls: arrivals' (3) then departures' (3, with exponential holding times).
    fn values(&self) -> Vec<f64> {
        let mut out = vec![];
        if self.arrival_rate_ms.is_some() {
            out.extend((0..3).map(|j| self.arrivals[j] - self.arrivals_expected[j]));
            if self.departure_rate_ms.is_some() {
                out.extend((0..3).map(|j| self.departures[j] - self.departures_expected[j]));
            }
        }
        out
    }
}

/// The collector, with the control variates tracked alongside: every call is passed on
/// unchanged, so the figures are the collector's own.
struct Tracked {
    collector: Collector,
    controls: ControlTrack,
}

impl Observer for Tracked {
    fn on_offered(&mut self, now: SimTime, segment: u16) {
        let c = &mut self.controls;
        c.tick(now);
        if c.in_window(now) {
            let h = control_basis(c.before, c.capacity);
            for (sum, hj) in c.arrivals.iter_mut().zip(h) {
                *sum += hj;
            }
        }
        self.collector.on_offered(now, segment);
    }
    fn on_connected(&mut self, now: SimTime, arrived: SimTime, agent: AgentId, queue: QueueId) {
        self.controls.tick(now);
        self.collector.on_connected(now, arrived, agent, queue);
    }
    fn on_reconnected(&mut self, now: SimTime, agent: AgentId) {
        self.controls.tick(now);
        self.collector.on_reconnected(now, agent);
    }
    fn on_abandoned(&mut self, now: SimTime, arrived: SimTime, queue: QueueId) {
        self.controls.tick(now);
        self.collector.on_abandoned(now, arrived, queue);
    }
    fn on_queue_len(&mut self, now: SimTime, len: u32) {
        self.controls.tick(now);
        self.collector.on_queue_len(now, len);
    }
    fn on_agent_sessions(&mut self, now: SimTime, agent: AgentId, sessions: u32) {
        let c = &mut self.controls;
        c.tick(now);
        let i = agent.0 as usize;
        if c.per_agent.len() <= i {
            c.per_agent.resize(i + 1, 0);
        }
        c.sessions = c.sessions + sessions as u64 - c.per_agent[i] as u64;
        c.per_agent[i] = sessions;
        self.collector.on_agent_sessions(now, agent, sessions);
    }
    fn on_agent_online(&mut self, now: SimTime, agent: AgentId, online: bool) {
        self.controls.tick(now);
        self.collector.on_agent_online(now, agent, online);
    }
    fn on_agent_busy(&mut self, now: SimTime, agent: AgentId, busy: bool) {
        self.controls.tick(now);
        self.collector.on_agent_busy(now, agent, busy);
    }
    fn on_reply(
        &mut self,
        now: SimTime,
        agent: AgentId,
        latency: Millis,
        missed: bool,
        queue: QueueId,
    ) {
        self.controls.tick(now);
        self.collector.on_reply(now, agent, latency, missed, queue);
    }
    fn on_reminder(&mut self, now: SimTime, agent: AgentId, first_in_session: bool) {
        self.controls.tick(now);
        self.collector.on_reminder(now, agent, first_in_session);
    }
    fn on_disconnect(
        &mut self,
        now: SimTime,
        agent: AgentId,
        kind: DisconnectKind,
        held_silent: Millis,
        queue: QueueId,
    ) {
        self.controls.tick(now);
        self.collector
            .on_disconnect(now, agent, kind, held_silent, queue);
    }
    fn on_close(&mut self, now: SimTime, agent: AgentId) {
        let c = &mut self.controls;
        c.tick(now);
        if c.departure_rate_ms.is_some() && c.in_window(now) {
            let h = control_basis(c.before, c.capacity);
            for (sum, hj) in c.departures.iter_mut().zip(h) {
                *sum += hj;
            }
        }
        self.collector.on_close(now, agent);
    }
    fn on_handed_back(&mut self, now: SimTime, agent: AgentId) {
        self.controls.tick(now);
        self.collector.on_handed_back(now, agent);
    }
    fn on_end(&mut self, now: SimTime, events: u64, routing_decisions: u64) {
        self.controls.tick(now);
        self.collector.on_end(now, events, routing_decisions);
    }
}

/// A figure as a candidate is judged on: the estimate, its 95 % half-width, and the
/// degrees of freedom of the t quantile behind it.
#[derive(Clone, Debug)]
pub(super) struct Judged {
    pub(super) metric: String,
    /// The mean and 95 % half-width (control-variate adjusted when controls were used);
    /// the per-replication figures are the raw ones.
    pub(super) stat: Stat,
    pub(super) df: f64,
}

/// The regression-adjusted (control-variate) mean of `y` with controls `x` (one row per
/// replication) of known mean 0: ȳ − β̂ · x̄, β̂ the least-squares slopes of y on the
/// controls, with the usual CI: s² = SSE / (n − 1 − k), var = s² (1/n + x̄ᵀ Sxx⁻¹ x̄),
/// half-width t(0.975, n − 1 − k) · √var. A control that is constant, or a combination
/// of earlier ones, is left out (k counts the kept ones; k = 0 is the plain mean and its
/// CI). `None` with a non-finite figure, or too few replications for the kept controls.
pub(super) fn controlled_estimate(y: &[f64], x: &[Vec<f64>]) -> Option<(f64, f64, f64)> {
    let n = y.len();
    if n < 2 || x.len() != n || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let width = x[0].len();
    if x.iter()
        .any(|r| r.len() != width || r.iter().any(|v| !v.is_finite()))
    {
        return None;
    }
    let y_mean = y.iter().sum::<f64>() / nf;
    let col_mean: Vec<f64> = (0..width)
        .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / nf)
        .collect();
    let centred = |j: usize| -> Vec<f64> { x.iter().map(|r| r[j] - col_mean[j]).collect() };
    // Keep the controls one by one, each only if it is not (nearly) a combination of
    // those kept before it (Gram–Schmidt residual above 1e-9 of its own size).
    let mut kept: Vec<usize> = vec![];
    let mut basis: Vec<Vec<f64>> = vec![];
    for j in 0..width {
        if kept.len() + 2 >= n {
            break;
        }
        let v = centred(j);
        let norm: f64 = v.iter().map(|a| a * a).sum();
        let mut r = v.clone();
        for q in &basis {
            let dot: f64 = r.iter().zip(q).map(|(a, b)| a * b).sum();
            for (ri, qi) in r.iter_mut().zip(q) {
                *ri -= dot * qi;
            }
        }
        let rest: f64 = r.iter().map(|a| a * a).sum();
        if norm > 0.0 && rest > 1e-9 * norm {
            let len = rest.sqrt();
            basis.push(r.iter().map(|a| a / len).collect());
            kept.push(j);
        }
    }
    let k = kept.len();
    let cols: Vec<Vec<f64>> = kept.iter().map(|&j| centred(j)).collect();
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let sxx: Vec<Vec<f64>> = cols
        .iter()
        .map(|a| cols.iter().map(|b| dot(a, b)).collect())
        .collect();
    let sxy: Vec<f64> = cols.iter().map(|a| dot(a, &yc)).collect();
    let d: Vec<f64> = kept.iter().map(|&j| col_mean[j]).collect();
    let beta = solve(&sxx, &sxy)?;
    let sxx_inv_d = solve(&sxx, &d)?;
    let syy = dot(&yc, &yc);
    let sse = (syy - dot(&beta, &sxy)).max(0.0);
    let df = (n - 1 - k) as f64;
    let mean = y_mean - dot(&beta, &d);
    let var = sse / df * (1.0 / nf + dot(&d, &sxx_inv_d));
    Some((mean, student_t_quantile(0.975, df) * var.sqrt(), df))
}

/// Solves the small symmetric system `a` z = `b` by Gaussian elimination with partial
/// pivoting; `None` when singular.
fn solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let k = b.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .zip(b)
        .map(|(row, &bi)| {
            let mut r = row.clone();
            r.push(bi);
            r
        })
        .collect();
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[p][c] == 0.0 {
            return None;
        }
        m.swap(c, p);
        let pivot = m[c].clone();
        for row in m.iter_mut().skip(c + 1) {
            let f = row[c] / pivot[c];
            for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                *x -= f * p;
            }
        }
    }
    let mut z = vec![0.0; k];
    for c in (0..k).rev() {
        let rest: f64 = (c + 1..k).map(|j| m[c][j] * z[j]).sum();
        z[c] = (m[c][k] - rest) / m[c][c];
    }
    Some(z)
}

/// The figures `names` of `summary` as judged: from [`CONTROLS_FROM`] replications on,
/// adjusted by the replications' `controls` ([`controlled_estimate`]); before that, or
/// without controls or a defined figure in every replication, the plain mean and CI.
pub(super) fn judge(summary: &RunSummary, controls: &[Vec<f64>], names: &[&str]) -> Vec<Judged> {
    names
        .iter()
        .filter_map(|&name| {
            let s = summary.metrics.get(name)?;
            let plain_df = s.per_replication.iter().filter(|v| v.is_finite()).count() as f64 - 1.0;
            let controlled = (controls.len() >= CONTROLS_FROM
                && controls.first().is_some_and(|c| !c.is_empty()))
            .then(|| controlled_estimate(&s.per_replication, controls))
            .flatten();
            Some(match controlled {
                Some((mean, half_width, df)) => Judged {
                    metric: name.to_string(),
                    stat: Stat {
                        mean,
                        ci95_half_width: half_width,
                        per_replication: s.per_replication.clone(),
                    },
                    df,
                },
                None => Judged {
                    metric: name.to_string(),
                    stat: s.clone(),
                    df: plain_df,
                },
            })
        })
        .collect()
}

/// An empty histogram of the least precision (a few hundred bytes).
fn small_histogram() -> hdrhistogram::Histogram<u64> {
    hdrhistogram::Histogram::new_with_max(2, 1).expect("a valid histogram")
}
