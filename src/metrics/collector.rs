//! The streaming [`Collector`]: one replication's figures built from [`Observer`] calls,
//! in memory O(agents + intervals) — no per-customer record.
//!
//! The measured window is [warmup, warmup + horizon), cut into intervals of
//! `run.interval` from the window's start (the last one may be shorter). Three kinds of
//! figure, and how the warm-up is excluded from each:
//! - customer figures (offered, connected, abandoned, wait, service level) count a
//!   customer by its **arrival** instant, in the interval of its arrival, whenever its
//!   connection or abandonment comes;
//! - event figures (replies, reminders, disconnects, closes, sessions started) count
//!   events whose instant is in the window, in the interval of that instant;
//! - time-weighted figures (queue length, open sessions, logged-in capacity, agents'
//!   logged-in, busy and session time) are integrals over the window only.
//!
//! A desk with several queues also gets each queue's customer and reply figures, per run
//! and per interval ([`QueueMetrics`]): a chat counts in the queue it was offered to (its
//! segment's), wherever it is served. A one-queue desk keeps none (its queue *is* the run).

use crate::engine::{AgentId, QueueId};
use crate::scenario::Scenario;
use crate::sim::{DisconnectKind, Observer};
use crate::time::{Millis, SimTime};
use hdrhistogram::Histogram;

use super::figures::{
    AgentMetrics, Counts, GroupMetrics, IntervalMetrics, QueueMetrics, RepMetrics, Timeline, Totals,
};
use super::histogram::{new_histogram, quantile_ms, record, record_zeros};
use super::interval_waits::IntervalWaits;
use super::spool::SpoolWriter;

/// Adds a resolved arrival's wait to an interval's sum, maximum and waits (for its p90).
#[inline(always)]
fn record_interval_wait(acc: &mut IntervalAcc, wait: Millis) {
    let ms = wait.as_millis();
    acc.counts.wait_ms_sum += ms;
    acc.counts.wait_ms_max = acc.counts.wait_ms_max.max(ms);
    acc.waits.record(ms);
}

/// Closes one interval's accumulators into its figures: unresolved arrivals were not
/// connected at once either (`p_wait`).
fn finish_interval(tl: &Timeline, index: usize, acc: &mut IntervalAcc) -> IntervalMetrics {
    let (start, end) = tl.bounds(index);
    let wait_ms_p90 = acc.waits.p90();
    let mut counts = std::mem::take(&mut acc.counts);
    counts.waited += counts.offered.saturating_sub(counts.resolved());
    IntervalMetrics {
        index,
        start,
        end,
        counts,
        wait_ms_p90,
    }
}

/// One interval's accumulators while the replication runs (only while it is open: see
/// [`Collector`]'s window).
#[derive(Clone, Debug, Default)]
struct IntervalAcc {
    counts: Counts,
    /// Its resolved arrivals' waits, for its p90.
    waits: IntervalWaits,
}

impl IntervalAcc {
    /// An untouched interval whose waits fill `buffer` (a closed interval's) first.
    fn with_buffer(buffer: Vec<u32>) -> IntervalAcc {
        IntervalAcc {
            counts: Counts::default(),
            waits: IntervalWaits::with_buffer(buffer),
        }
    }
}

/// The open intervals of one series (the desk's, or one queue's part), from the
/// collector's first open interval on: grown as later intervals are touched, taken from
/// the front as they close, so a replication holds only the intervals still open. A
/// vector and the index of its front (compacted now and then) rather than a ring: every
/// counted event indexes it, and this is the cheapest index.
#[derive(Clone, Debug, Default)]
struct Window {
    accs: Vec<IntervalAcc>,
    /// Where the first open interval is in `accs` (the ones before are closed).
    head: usize,
    /// Wait buffers of closed intervals, for the intervals opened next (a few at most:
    /// about as many as are open at once).
    spare: Vec<Vec<u32>>,
}

impl Window {
    /// Interval `i`'s accumulators, `first` being the window's first interval.
    #[inline(always)]
    fn at(&mut self, first: usize, i: usize) -> &mut IntervalAcc {
        debug_assert!(
            i >= first,
            "interval {i} is already closed (first open {first})"
        );
        let k = self.head + i.saturating_sub(first);
        if k < self.accs.len() {
            return &mut self.accs[k];
        }
        self.grow(k)
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, k: usize) -> &mut IntervalAcc {
        #[cfg(test)]
        tests::PEAK_WINDOW.with(|p| p.set(p.get().max(k + 1)));
        let spare = &mut self.spare;
        self.accs.resize_with(k + 1, || {
            IntervalAcc::with_buffer(spare.pop().unwrap_or_default())
        });
        &mut self.accs[k]
    }

    /// Keeps a closed interval's wait buffer for an interval opened later.
    fn recycle(&mut self, buffer: Vec<u32>) {
        if self.spare.len() < SPARE_BUFFERS && buffer.capacity() > 0 {
            self.spare.push(buffer);
        }
    }

    /// Takes the first open interval out (empty if it was never touched).
    fn pop_front(&mut self) -> IntervalAcc {
        let Some(acc) = self.accs.get_mut(self.head) else {
            return IntervalAcc::default();
        };
        let acc = std::mem::take(acc);
        self.head += 1;
        if self.head == self.accs.len() {
            self.accs.clear();
            self.head = 0;
        } else if self.head >= 64 && 2 * self.head >= self.accs.len() {
            self.accs.drain(..self.head);
            self.head = 0;
        }
        acc
    }
}

/// The most wait buffers a [`Window`] keeps for reuse.
const SPARE_BUFFERS: usize = 4;

/// What a replication keeps of its closed intervals: their sum (the run's or queue's
/// counts), and the series the summary reports, each interval as it closes or, beyond
/// [`MAX_SUMMARY_INTERVALS`], `merge` consecutive intervals merged into one (exactly the
/// interval a run with `interval_s` × `merge` would have: counts and integrals added,
/// maxima taken, the waits pooled for the p90).
#[derive(Clone, Debug, Default)]
struct Series {
    totals: Counts,
    rows: Vec<IntervalMetrics>,
    bucket: Counts,
    bucket_waits: IntervalWaits,
}

impl Series {
    /// Closes fine interval `i` into the series; returns its figures and its emptied wait
    /// buffer (for [`Window::recycle`]).
    fn close(
        &mut self,
        tl: &Timeline,
        merge: usize,
        i: usize,
        mut acc: IntervalAcc,
    ) -> (IntervalMetrics, Vec<u32>) {
        if merge > 1 {
            self.bucket_waits.absorb(&acc.waits);
        }
        let fine = finish_interval(tl, i, &mut acc);
        self.totals.add(&fine.counts);
        if merge <= 1 {
            self.rows.push(fine.clone());
        } else {
            self.bucket.add(&fine.counts);
            if (i + 1).is_multiple_of(merge) || i + 1 == tl.count {
                let b = i / merge;
                let wait_ms_p90 = self.bucket_waits.p90();
                let buffer = std::mem::take(&mut self.bucket_waits).into_buffer();
                self.bucket_waits = IntervalWaits::with_buffer(buffer);
                self.rows.push(IntervalMetrics {
                    index: b,
                    start: tl.bounds(b * merge).0,
                    end: tl.bounds(i).1,
                    counts: std::mem::take(&mut self.bucket),
                    wait_ms_p90,
                });
            }
        }
        (fine, acc.waits.into_buffer())
    }
}

/// The most intervals a summary reports one by one (`summary.json`, `report.html`,
/// `report.xlsx`, the per-interval targets): eight days of 15-minute intervals. A run with
/// more reports them merged, [`summary_merge`] at a time; `intervals.csv` keeps every one.
pub const MAX_SUMMARY_INTERVALS: usize = 768;

/// How many consecutive reporting intervals each summary interval merges for `scenario`:
/// 1 up to [`MAX_SUMMARY_INTERVALS`] intervals, else the fewest that bring the count
/// within it.
pub fn summary_merge(scenario: &Scenario) -> usize {
    Timeline::new(scenario)
        .count
        .div_ceil(MAX_SUMMARY_INTERVALS)
        .max(1)
}

/// One queue's accumulators while the replication runs: its part of every open
/// interval, its closed series, and its waits for the run's percentiles.
#[derive(Clone, Debug)]
struct QueueAcc {
    intervals: Window,
    series: Series,
    wait_histogram: Histogram<u64>,
    /// Zero waits not yet in `wait_histogram` ([`record_zeros`]).
    zero_waits: u64,
}

/// One agent's state and accumulators while the replication runs.
#[derive(Clone, Debug, Default)]
struct AgentAcc {
    online: bool,
    busy: bool,
    sessions: u32,
    /// Integrated up to here, an instant clamped into the window: the window time from
    /// here to a later `t` is `t` clamped minus this, with no overlap to work out.
    since: SimTime,
    m: AgentMetrics,
    /// The customers connected to this agent (by arrival in the window), added to its
    /// group's figures at the end: counted here, where `on_connected` already is, rather
    /// than through a second lookup of the group.
    customers: GroupCustomers,
}

/// A group's customer figures ([`GroupMetrics`]), or one agent's part of them.
#[derive(Clone, Copy, Debug, Default)]
struct GroupCustomers {
    connected: u64,
    wait_ms_sum_connected: u64,
    within_threshold: u64,
}

/// A piecewise-constant level and when it last changed (integrated up to then).
#[derive(Clone, Copy, Debug, Default)]
struct Level {
    value: u64,
    since: SimTime,
}

#[derive(Clone, Copy, Debug)]
enum LevelKind {
    Queue,
    Sessions,
    Capacity,
}

/// Streams one replication's observer calls into its figures. Build one per
/// replication with [`Collector::new`], hand it to the simulator, then call
/// [`Collector::finish`].
///
/// Calls come in time order (the [`Observer`] contract; only event counts may come out
/// of it, as long as their interval is still open). The collector keeps a *current*
/// interval, the one the latest instant falls in: nearly every call falls in the same
/// interval as the one before, so finding it is one compare, its accumulators are a
/// field (not a slot of the window), and a level change in it is one multiply-add.
/// Reaching a later interval ([`Collector::roll`]) runs the general code, once per
/// interval: the levels are integrated interval by interval up to its start.
#[derive(Clone, Debug)]
pub struct Collector {
    timeline: Timeline,
    threshold: Millis,
    reply_target: Millis,
    /// The open intervals from `first_open_interval` up to the current one (excluded).
    intervals: Window,
    /// The closed ones, as the summary reports them.
    series: Series,
    /// Intervals each summary interval merges ([`summary_merge`]).
    merge: usize,
    /// Where each closed interval's row goes for `intervals.csv`, when spooled.
    spool: Option<SpoolWriter>,
    agents: Vec<AgentAcc>,
    groups: Vec<GroupMetrics>,
    /// Per queue, for a desk with several; empty otherwise.
    queues: Vec<QueueAcc>,
    /// Each segment's queue (what `on_offered` is told is the segment).
    segment_queue: Vec<QueueId>,
    /// No agent holds more counted sessions than its cap (see `laws::check`).
    cap_binds: bool,
    /// The desk's levels, each integrated at least up to the current interval's start
    /// (up to the window's end once it is over).
    queue: Level,
    open_sessions: Level,
    capacity: Level,
    wait_histogram: Histogram<u64>,
    /// Zero waits not yet in `wait_histogram` ([`record_zeros`]).
    zero_waits: u64,
    reply_latency_histogram: Histogram<u64>,
    events: u64,
    routing_decisions: u64,
    ended: bool,
    /// Intervals before this one are over, resolved and closed.
    first_open_interval: usize,
    /// The current interval: 0 until the window starts, `timeline.count` once it is over.
    cur: usize,
    /// Its bounds [start, end) and length in ms; `SimTime::NEVER` and 0 once the window
    /// is over, so that no instant is in it and none is past it.
    cur_start: SimTime,
    cur_end: SimTime,
    cur_len: u64,
    /// The desk's part of the current interval.
    current: IntervalAcc,
}

impl Collector {
    /// A collector for one replication of `scenario`: every agent logged out, idle, not
    /// busy; nobody waiting.
    pub fn new(scenario: &Scenario) -> Collector {
        let timeline = Timeline::new(scenario);
        let agents = scenario
            .agents
            .iter()
            .map(|a| AgentAcc {
                since: timeline.start,
                m: AgentMetrics {
                    group: a.group,
                    max_sessions: a.max_sessions,
                    ..AgentMetrics::default()
                },
                ..AgentAcc::default()
            })
            .collect();
        let mut groups = vec![GroupMetrics::default(); scenario.groups.len()];
        for a in &scenario.agents {
            if let Some(g) = groups.get_mut(a.group as usize) {
                g.agents += 1;
            }
        }
        let queues = if scenario.queues.len() > 1 {
            let acc = QueueAcc {
                intervals: Window::default(),
                series: Series::default(),
                wait_histogram: new_histogram(),
                zero_waits: 0,
            };
            vec![acc; scenario.queues.len()]
        } else {
            vec![]
        };
        // Nothing before the window counts: the levels are integrated from its start.
        let level = Level {
            value: 0,
            since: timeline.start,
        };
        let (cur_start, cur_end) = timeline.span(0);
        let cur_len = cur_end.as_millis().saturating_sub(cur_start.as_millis());
        Collector {
            timeline,
            threshold: scenario.run.service_level_threshold,
            reply_target: scenario.run.reply_target,
            intervals: Window::default(),
            series: Series::default(),
            merge: timeline.count.div_ceil(MAX_SUMMARY_INTERVALS).max(1),
            spool: None,
            agents,
            groups,
            queues,
            segment_queue: scenario.segments.iter().map(|s| s.queue).collect(),
            cap_binds: !(scenario.switches.reactivate_over_cap
                && scenario.switches.inactive_after.is_some()),
            queue: level,
            open_sessions: level,
            capacity: level,
            wait_histogram: new_histogram(),
            zero_waits: 0,
            reply_latency_histogram: new_histogram(),
            events: 0,
            routing_decisions: 0,
            ended: false,
            first_open_interval: 0,
            cur: 0,
            cur_start,
            cur_end,
            cur_len,
            current: IntervalAcc::default(),
        }
    }

    /// A collector that also writes each closed interval's row to `spool` (the rows of
    /// `intervals.csv` beyond [`MAX_SUMMARY_INTERVALS`], see [`super::spool`]).
    pub fn with_spool(scenario: &Scenario, spool: SpoolWriter) -> Collector {
        Collector {
            spool: Some(spool),
            ..Collector::new(scenario)
        }
    }

    /// Whether `t` is in the current interval: one compare (an instant before its start
    /// wraps round to a huge offset).
    #[inline(always)]
    fn in_current(&self, t: SimTime) -> bool {
        t.as_millis().wrapping_sub(self.cur_start.as_millis()) < self.cur_len
    }

    /// Applies `f` to the desk's part of the interval holding `t` and returns the
    /// interval, if `t` is in the window (the current interval's part directly).
    #[inline(always)]
    fn with_acc(&mut self, t: SimTime, f: impl FnOnce(&mut IntervalAcc)) -> Option<usize> {
        if self.in_current(t) {
            f(&mut self.current);
            Some(self.cur)
        } else {
            let i = self.interval_of_slow(t)?;
            f(self.acc(i));
            Some(i)
        }
    }

    /// Counts an event of `agent` at `now`, if it is in the window and the agent in the
    /// roster: `desk` on the desk's counts of its interval, `agent_m` on the agent's
    /// figures. Returns the interval.
    #[inline(always)]
    fn count_event(
        &mut self,
        now: SimTime,
        agent: AgentId,
        desk: impl FnOnce(&mut Counts),
        agent_m: impl FnOnce(&mut AgentMetrics),
    ) -> Option<usize> {
        let a = self.agent(agent)?;
        let i = self.with_acc(now, |acc| desk(&mut acc.counts))?;
        agent_m(&mut self.agents[a].m);
        Some(i)
    }

    /// The interval holding `t`, if `t` is in the window, outside the current interval:
    /// an instant past it makes its interval current first.
    #[cold]
    #[inline(never)]
    fn interval_of_slow(&mut self, t: SimTime) -> Option<usize> {
        self.reach(t);
        self.timeline.index(t)
    }

    /// Makes the interval holding `now` current if `now` is past the current one.
    #[inline(always)]
    fn reach(&mut self, now: SimTime) {
        if now >= self.cur_end {
            self.roll(now);
        }
    }

    /// Makes the interval holding `t` (at or past the current interval's end) current,
    /// or none if `t` is past the window: the current interval's accumulators join the
    /// window, and every level is integrated up to the new current interval's start
    /// (interval by interval, the quiet ones between included), so that within it a
    /// level change only integrates from its start on.
    #[cold]
    #[inline(never)]
    fn roll(&mut self, t: SimTime) {
        let tl = self.timeline;
        debug_assert!(t >= self.cur_end && self.cur < tl.count);
        let next = tl.index(t).unwrap_or(tl.count);
        let first = self.first_open_interval;
        // The current interval's slot in the window is untouched (its events went to
        // `current`): it becomes the new current one, with a reused wait buffer if any.
        let slot = self.intervals.at(first, self.cur);
        debug_assert!(slot.counts == Counts::default() && slot.waits.is_empty());
        std::mem::swap(slot, &mut self.current);
        self.cur = next;
        let (start, end) = tl.span(next);
        self.advance_levels(start.min(tl.end));
        (self.cur_start, self.cur_end) = (start, end);
        self.cur_len = end.as_millis().saturating_sub(start.as_millis());
    }

    /// Integrates a level up to `now`, interval by interval (every interval it reaches
    /// is open: at most the current one).
    fn advance_level(&mut self, kind: LevelKind, now: SimTime) {
        let level = match kind {
            LevelKind::Queue => &mut self.queue,
            LevelKind::Sessions => &mut self.open_sessions,
            LevelKind::Capacity => &mut self.capacity,
        };
        if now <= level.since {
            return;
        }
        let (value, since) = (level.value, level.since);
        level.since = now;
        let tl = self.timeline;
        tl.for_each_overlap(since, now, |i, ms| {
            let c = &mut self.acc(i).counts;
            match kind {
                LevelKind::Queue => {
                    c.queue_ms += value * ms;
                    c.queue_max = c.queue_max.max(value);
                }
                LevelKind::Sessions => c.session_ms += value * ms,
                LevelKind::Capacity => c.capacity_ms += value * ms,
            }
        });
    }

    /// Sets a level at `now`. In the current interval (nearly always) the value held
    /// since the last change is one multiply-add into the current interval; `kind` is a
    /// constant at every call, so the `match`es fold away.
    #[inline(always)]
    fn set_level(&mut self, kind: LevelKind, now: SimTime, value: u64) {
        if !self.in_current(now) {
            return self.set_level_slow(kind, now, value);
        }
        let c = &mut self.current.counts;
        let level = match kind {
            LevelKind::Queue => &mut self.queue,
            LevelKind::Sessions => &mut self.open_sessions,
            LevelKind::Capacity => &mut self.capacity,
        };
        // `since` is in the current interval or at its start; not after `now`, but for a
        // call out of time order (ignored, as by the general code).
        if now > level.since {
            let held = level.value * (now.as_millis() - level.since.as_millis());
            level.since = now;
            match kind {
                LevelKind::Queue => {
                    c.queue_ms += held;
                    c.queue_max = c.queue_max.max(level.value);
                }
                LevelKind::Sessions => c.session_ms += held,
                LevelKind::Capacity => c.capacity_ms += held,
            }
        }
        level.value = value;
        if let LevelKind::Queue = kind {
            c.queue_max = c.queue_max.max(value);
        }
    }

    /// [`Collector::set_level`] at an instant outside the current interval: past it (the
    /// current interval moves on, then it is the fast path), before the window, after
    /// it, or before the current interval (out of time order: its maximum still counts).
    #[cold]
    #[inline(never)]
    fn set_level_slow(&mut self, kind: LevelKind, now: SimTime, value: u64) {
        self.reach(now);
        if self.in_current(now) {
            return self.set_level(kind, now, value);
        }
        self.advance_level(kind, now);
        match kind {
            LevelKind::Queue => {
                self.queue.value = value;
                if let Some(i) = self.timeline.index(now) {
                    let c = self.counts(i);
                    c.queue_max = c.queue_max.max(value);
                }
            }
            LevelKind::Sessions => self.open_sessions.value = value,
            LevelKind::Capacity => self.capacity.value = value,
        }
    }

    /// Integrates one agent's state up to `now`.
    #[inline(always)]
    fn advance_agent(&mut self, a: usize, now: SimTime) {
        let t = now.max(self.timeline.start).min(self.timeline.end);
        let agent = &mut self.agents[a];
        if t <= agent.since {
            return;
        }
        let ms = t.as_millis() - agent.since.as_millis();
        agent.since = t;
        let held = agent.sessions as u64 * ms;
        agent.m.session_ms += held;
        if agent.online {
            agent.m.logged_in_ms += ms;
            agent.m.session_ms_logged_in += held;
            if agent.busy {
                agent.m.busy_ms += ms;
            }
        }
    }

    /// The agent's index, if it is in the roster (unknown ids are ignored).
    #[inline(always)]
    fn agent(&self, agent: AgentId) -> Option<usize> {
        let a = agent.0 as usize;
        debug_assert!(a < self.agents.len(), "unknown agent {agent:?}");
        (a < self.agents.len()).then_some(a)
    }

    /// A customer who arrived at `arrived` is resolved (connected or abandoned) after
    /// `wait`: `count` counts it in its arrival interval's figures (the desk's and its
    /// queue's), and the wait is recorded there and in the run's. False, and nothing
    /// counted, if it arrived outside the window.
    #[inline(always)]
    fn resolve_wait(
        &mut self,
        arrived: SimTime,
        wait: Millis,
        queue: QueueId,
        count: impl Fn(&mut Counts) + Copy,
    ) -> bool {
        let Some(i) = self.with_acc(arrived, |acc| {
            count(&mut acc.counts);
            record_interval_wait(acc, wait);
        }) else {
            return false;
        };
        self.record_run_wait(i, wait, queue, count);
        true
    }

    /// Records a resolved arrival's wait (connected: until connection; abandoned: until it
    /// gave up) in the run's histogram and, on a desk with several queues, in its queue's:
    /// its part of interval `i` (counted there by `count`, as the desk's part was) and
    /// histogram.
    #[inline(always)]
    fn record_run_wait(
        &mut self,
        i: usize,
        wait: Millis,
        queue: QueueId,
        count: impl FnOnce(&mut Counts),
    ) {
        let ms = wait.as_millis();
        if ms == 0 {
            self.zero_waits += 1;
        } else {
            record(&mut self.wait_histogram, ms);
        }
        if !self.queues.is_empty() {
            self.record_queue_wait(i, wait, queue, count);
        }
    }

    /// The queue's part of [`Collector::record_run_wait`], out of line: a one-queue desk
    /// (the common case) then saves no registers for it.
    #[inline(never)]
    fn record_queue_wait(
        &mut self,
        i: usize,
        wait: Millis,
        queue: QueueId,
        count: impl FnOnce(&mut Counts),
    ) {
        let first = self.first_open_interval;
        if let Some(q) = self.queues.get_mut(queue.0 as usize) {
            let acc = q.intervals.at(first, i);
            count(&mut acc.counts);
            record_interval_wait(acc, wait);
            if wait == Millis::ZERO {
                q.zero_waits += 1;
            } else {
                record(&mut q.wait_histogram, wait.as_millis());
            }
        }
    }

    /// Counts an arrival of segment `segment` in its queue's part of interval `i`, on a
    /// desk with several queues (out of line, as [`Collector::record_queue_wait`]).
    #[inline(never)]
    fn queue_offered(&mut self, i: usize, segment: u16) {
        let queue = self.segment_queue.get(segment as usize).copied();
        if let Some(c) = queue.and_then(|q| self.queue_counts(q, i)) {
            c.offered += 1;
        }
    }

    /// Queue `queue`'s part of interval `i`, for a desk with several queues.
    #[inline(always)]
    fn queue_counts(&mut self, queue: QueueId, i: usize) -> Option<&mut Counts> {
        let q = self.queues.get_mut(queue.0 as usize)?;
        Some(&mut q.intervals.at(self.first_open_interval, i).counts)
    }

    /// The desk's part of open interval `i` (at most the current one).
    #[inline(always)]
    fn acc(&mut self, i: usize) -> &mut IntervalAcc {
        debug_assert!(
            i <= self.cur,
            "interval {i} is after the current {}",
            self.cur
        );
        if i == self.cur {
            &mut self.current
        } else {
            self.intervals.at(self.first_open_interval, i)
        }
    }

    /// The desk's counts of open interval `i` (at most the current one).
    #[inline(always)]
    fn counts(&mut self, i: usize) -> &mut Counts {
        &mut self.acc(i).counts
    }

    /// Closes, in order, every interval that is over at `now` (current) and whose
    /// arrivals are all resolved: nothing can change its figures any more (its levels
    /// were integrated to its end when a later interval became current), so they go to
    /// the series (and the spool) and its accumulators are freed. Memory stays flat in
    /// the intervals. Nothing to do while every open interval is the current one.
    #[inline(always)]
    fn finalize_intervals(&mut self, now: SimTime) {
        if self.first_open_interval < self.cur {
            self.finalize_intervals_slow(now);
        }
    }

    #[cold]
    #[inline(never)]
    fn finalize_intervals_slow(&mut self, now: SimTime) {
        while self.first_open_interval < self.cur {
            let first = self.first_open_interval;
            let (_, end) = self.timeline.bounds(first);
            if end > now {
                break;
            }
            let c = &self.intervals.at(first, first).counts;
            if c.offered != c.resolved() {
                break;
            }
            self.close_first_interval();
        }
    }

    /// Integrates the levels up to `to`. They integrate lazily; an interval is brought up
    /// to its end when a later one becomes current (the same sums as integrating later,
    /// split at the same edges).
    fn advance_levels(&mut self, to: SimTime) {
        self.advance_level(LevelKind::Queue, to);
        self.advance_level(LevelKind::Sessions, to);
        self.advance_level(LevelKind::Capacity, to);
    }

    /// Closes the first open interval (the desk's and each queue's part of it), which is
    /// before the current one.
    fn close_first_interval(&mut self) {
        let i = self.first_open_interval;
        debug_assert!(i < self.cur, "closing the current interval {i}");
        let tl = self.timeline;
        let acc = self.intervals.pop_front();
        let (fine, buffer) = self.series.close(&tl, self.merge, i, acc);
        self.intervals.recycle(buffer);
        let mut parts = Vec::with_capacity(self.queues.len());
        for q in &mut self.queues {
            let acc = q.intervals.pop_front();
            let (part, buffer) = q.series.close(&tl, self.merge, i, acc);
            q.intervals.recycle(buffer);
            parts.push(part);
        }
        if let Some(spool) = &mut self.spool {
            spool.push(&fine, &parts);
        }
        self.first_open_interval += 1;
    }

    /// Closes every integral at the end of the window (or at `now`, if later state is
    /// outside the window anyway): the state last observed holds until then.
    fn close(&mut self, now: SimTime) {
        // The levels are integrated interval by interval as [`Collector::finish`] closes
        // the rest of the window (the state last observed holds until its end).
        let until = now.max(self.timeline.end);
        for a in 0..self.agents.len() {
            self.advance_agent(a, until);
        }
        self.ended = true;
    }

    /// The replication's figures. Closes the integrals at the window's end if
    /// [`Observer::on_end`] was not called.
    pub fn finish(mut self) -> RepMetrics {
        if !self.ended {
            self.close(self.timeline.end);
        }
        // The window is over: the levels hold their last values to its end. Rolled one
        // interval at a time, each closed as it is passed (nothing can change it now), so
        // a replication that ends long before the window does (or never saw it) holds
        // one interval at a time, not the rest of the window at once.
        while self.cur < self.timeline.count {
            let end = self.cur_end;
            self.reach(end);
            while self.first_open_interval < self.cur {
                self.close_first_interval();
            }
        }
        while self.first_open_interval < self.timeline.count {
            self.close_first_interval();
        }
        if let Some(spool) = &mut self.spool {
            spool.flush();
        }
        record_zeros(&mut self.wait_histogram, self.zero_waits);
        for q in &mut self.queues {
            record_zeros(&mut q.wait_histogram, q.zero_waits);
        }
        let tl = self.timeline;
        let queues = self
            .queues
            .into_iter()
            .map(|q| {
                let counts = q.series.totals;
                QueueMetrics {
                    unresolved: counts.offered.saturating_sub(counts.resolved()),
                    wait_ms_p50: quantile_ms(&q.wait_histogram, 0.5),
                    wait_ms_p90: quantile_ms(&q.wait_histogram, 0.9),
                    wait_ms_p99: quantile_ms(&q.wait_histogram, 0.99),
                    counts,
                    intervals: q.series.rows,
                }
            })
            .collect();
        let counts = self.series.totals;
        let intervals = self.series.rows;
        let mut groups = self.groups;
        for a in &self.agents {
            if let Some(g) = groups.get_mut(a.m.group as usize) {
                g.connected += a.customers.connected;
                g.wait_ms_sum_connected += a.customers.wait_ms_sum_connected;
                g.within_threshold += a.customers.within_threshold;
            }
        }
        let agents: Vec<AgentMetrics> = self.agents.into_iter().map(|a| a.m).collect();
        let mut totals = Totals {
            unresolved: counts.offered.saturating_sub(counts.resolved()),
            wait_ms_p50: quantile_ms(&self.wait_histogram, 0.5),
            wait_ms_p90: quantile_ms(&self.wait_histogram, 0.9),
            wait_ms_p99: quantile_ms(&self.wait_histogram, 0.99),
            reply_latency_ms_p50: quantile_ms(&self.reply_latency_histogram, 0.5),
            reply_latency_ms_p90: quantile_ms(&self.reply_latency_histogram, 0.9),
            reply_latency_ms_p99: quantile_ms(&self.reply_latency_histogram, 0.99),
            counts,
            ..Totals::default()
        };
        for a in &agents {
            totals.logged_in_ms += a.logged_in_ms;
            totals.busy_ms += a.busy_ms;
            totals.session_ms_logged_in += a.session_ms_logged_in;
            if let Some(g) = groups.get_mut(a.group as usize) {
                g.totals.add(a);
                g.capacity_ms += a.capacity_ms();
            }
        }
        let metrics = RepMetrics {
            window_start: tl.start,
            window_end: tl.end,
            interval: tl.interval,
            service_level_threshold: self.threshold,
            reply_target: self.reply_target,
            totals,
            intervals,
            agents,
            groups,
            queues,
            events: self.events,
            routing_decisions: self.routing_decisions,
            wall_secs: 0.0,
            wait_histogram: self.wait_histogram,
            reply_latency_histogram: self.reply_latency_histogram,
        };
        if super::laws::ON {
            if let Err(law) = super::laws::check(&metrics, self.cap_binds) {
                panic!("a conservation law of the figures is broken: {law}");
            }
        }
        metrics
    }
}

impl Observer for Collector {
    #[inline(always)]
    fn on_offered(&mut self, now: SimTime, segment: u16) {
        if let Some(i) = self.with_acc(now, |acc| acc.counts.offered += 1) {
            if !self.queues.is_empty() {
                self.queue_offered(i, segment);
            }
        }
        self.finalize_intervals(now);
    }

    #[inline(always)]
    fn on_connected(&mut self, now: SimTime, arrived: SimTime, agent: AgentId, queue: QueueId) {
        let Some(a) = self.agent(agent) else { return };
        if self
            .with_acc(now, |acc| acc.counts.sessions_started += 1)
            .is_some()
        {
            self.agents[a].m.sessions += 1;
        }
        let wait = now.saturating_since(arrived);
        let within = wait <= self.threshold;
        let count = |c: &mut Counts| {
            c.connected += 1;
            c.wait_ms_sum_connected += wait.as_millis();
            c.waited += u64::from(wait > Millis::ZERO);
            c.within_threshold += u64::from(within);
        };
        if !self.resolve_wait(arrived, wait, queue, count) {
            return;
        }
        // The agent's group's part, summed into the groups at the end.
        let customers = &mut self.agents[a].customers;
        customers.connected += 1;
        customers.wait_ms_sum_connected += wait.as_millis();
        customers.within_threshold += u64::from(within);
        self.finalize_intervals(now);
    }

    fn on_reconnected(&mut self, now: SimTime, agent: AgentId) {
        self.count_event(
            now,
            agent,
            |c| c.reconnected += 1,
            |m| {
                m.sessions += 1;
                m.reconnected += 1;
            },
        );
    }

    fn on_abandoned(&mut self, now: SimTime, arrived: SimTime, queue: QueueId) {
        let wait = now.saturating_since(arrived);
        let count = |c: &mut Counts| {
            c.abandoned += 1;
            c.waited += 1;
        };
        if !self.resolve_wait(arrived, wait, queue, count) {
            return;
        }
        // Only `arrived`'s interval was looked up: `now`'s becomes current before closing.
        self.reach(now);
        self.finalize_intervals(now);
    }

    fn on_queue_len(&mut self, now: SimTime, len: u32) {
        self.set_level(LevelKind::Queue, now, len as u64);
    }

    #[inline(always)]
    fn on_agent_sessions(&mut self, now: SimTime, agent: AgentId, sessions: u32) {
        let Some(a) = self.agent(agent) else { return };
        self.advance_agent(a, now);
        let old = std::mem::replace(&mut self.agents[a].sessions, sessions);
        let total = self.open_sessions.value + sessions as u64 - old as u64;
        self.set_level(LevelKind::Sessions, now, total);
    }

    fn on_agent_online(&mut self, now: SimTime, agent: AgentId, online: bool) {
        let Some(a) = self.agent(agent) else { return };
        self.advance_agent(a, now);
        let acc = &mut self.agents[a];
        if acc.online == online {
            return;
        }
        acc.online = online;
        let max = acc.m.max_sessions as u64;
        let total = if online {
            self.capacity.value + max
        } else {
            self.capacity.value - max
        };
        self.set_level(LevelKind::Capacity, now, total);
    }

    fn on_agent_busy(&mut self, now: SimTime, agent: AgentId, busy: bool) {
        let Some(a) = self.agent(agent) else { return };
        self.advance_agent(a, now);
        self.agents[a].busy = busy;
    }

    // Inlined into the simulator's loop: one call per reply, whose register saves cost
    // about as much as its counting (issue 19).
    #[inline(always)]
    fn on_reply(
        &mut self,
        now: SimTime,
        agent: AgentId,
        latency: Millis,
        missed: bool,
        queue: QueueId,
    ) {
        let late = u64::from(latency > self.reply_target);
        let count = |c: &mut Counts| {
            c.replies += 1;
            c.missed_responses += u64::from(missed);
            c.late_replies += late;
            c.reply_latency_ms_sum += latency.as_millis();
        };
        let Some(i) = self.count_event(now, agent, count, |m| {
            m.replies += 1;
            m.missed_responses += u64::from(missed);
            m.late_replies += late;
            m.reply_latency_ms_sum += latency.as_millis();
        }) else {
            return;
        };
        if let Some(c) = self.queue_counts(queue, i) {
            count(c);
        }
        record(&mut self.reply_latency_histogram, latency.as_millis());
    }

    fn on_reminder(&mut self, now: SimTime, agent: AgentId, first_in_session: bool) {
        self.count_event(
            now,
            agent,
            |c| {
                c.reminders += 1;
                c.sessions_with_reminder += u64::from(first_in_session);
            },
            |m| m.reminders += 1,
        );
    }

    fn on_disconnect(
        &mut self,
        now: SimTime,
        agent: AgentId,
        kind: DisconnectKind,
        held_silent: Millis,
        queue: QueueId,
    ) {
        let premature = kind == DisconnectKind::Premature;
        let count = |c: &mut Counts| {
            c.disconnects += 1;
            c.premature_disconnects += u64::from(premature);
            c.ghost_disconnects += u64::from(!premature);
            c.silent_ms += held_silent.as_millis();
        };
        let Some(i) = self.count_event(now, agent, count, |m| {
            m.disconnects += 1;
            m.premature_disconnects += u64::from(premature);
            m.ghost_disconnects += u64::from(!premature);
        }) else {
            return;
        };
        if let Some(c) = self.queue_counts(queue, i) {
            count(c);
        }
    }

    // Inlined into the simulator (as it was before the current interval): measured, the
    // call costs more than the few instructions it saves the caller.
    #[inline]
    fn on_close(&mut self, now: SimTime, agent: AgentId) {
        self.count_event(
            now,
            agent,
            |c| c.normal_closes += 1,
            |m| m.normal_closes += 1,
        );
    }

    fn on_handed_back(&mut self, now: SimTime, agent: AgentId) {
        self.count_event(now, agent, |c| c.handed_back += 1, |m| m.handed_back += 1);
    }

    fn on_end(&mut self, now: SimTime, events: u64, routing_decisions: u64) {
        self.events = events;
        self.routing_decisions = routing_decisions;
        self.close(now);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dist::Dist;
    use crate::engine::{LogOutMode, QueueId, RoutingRule, Skill};
    use crate::metrics::catalogue::Metric;
    use crate::scenario::{
        AgentBehaviour, AgentSpec, Arrivals, Queue, RunSpec, Segment, SessionModel, Thresholds,
    };

    thread_local! {
        /// The most intervals a window of this thread held at once ([`Window::grow`]).
        pub(crate) static PEAK_WINDOW: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A scenario with one agent per entry of `agents` (group index, max sessions), the
    /// groups named, a 10 s warm-up, a 60 s horizon in 20 s intervals and a 5 s service-level
    /// threshold. Distributions are constants; nothing here is sampled.
    pub(crate) fn test_scenario(agents: &[(u16, u32)], groups: &[&str]) -> Scenario {
        let one = Dist::Constant { value: 1.0 };
        Scenario {
            run: RunSpec {
                horizon: Millis::from_secs(60),
                warmup: Millis::from_secs(10),
                replications: 1,
                seed: 7,
                service_level_threshold: Millis::from_secs(5),
                reply_target: Millis::from_secs(60),
                interval: Millis::from_secs(20),
                max_events: 1_000_000,
                max_sim_time: Millis::from_secs(3600),
                clock: Default::default(),
            },
            arrivals: Arrivals::Poisson {
                rate_per_hour: 60.0,
            },
            segments: vec![Segment {
                name: "default".into(),
                share: 1.0,
                patience: None,
                messages: one.clone(),
                think_time: one.clone(),
                silent_prob: 0.0,
                queue: QueueId(0),
            }],
            sessions: SessionModel::Holding {
                holding_time: one.clone(),
            },
            groups: groups.iter().map(|g| g.to_string()).collect(),
            agents: agents
                .iter()
                .enumerate()
                .map(|(i, &(group, max_sessions))| AgentSpec {
                    name: format!("A{i:03}"),
                    group,
                    max_sessions,
                    shift_start: SimTime::ZERO,
                    shift_end: SimTime::from_secs(3600),
                    breaks: vec![],
                    speed_factor: 1.0,
                    skills: vec![Skill {
                        queue: QueueId(0),
                        level: 1,
                    }],
                })
                .collect(),
            behaviour: AgentBehaviour {
                reply_time: one.clone(),
                load_slowdown: 0.0,
                overlook_prob: 0.0,
                reaction_time: one.clone(),
                overlook_delay: one,
                aux: None,
                log_out: LogOutMode::Finish,
            },
            thresholds: Thresholds {
                reply_interval: Some(Millis::from_secs(30)),
                message_interval: Some(Millis::from_secs(120)),
                repeat_reminders: true,
                reminder_cap: None,
            },
            routing: RoutingRule::LeastLoaded,
            switches: Default::default(),
            preset: None,
            queues: vec![Queue::default_queue()],
            staffing: Default::default(),
            about: Default::default(),
            targets: vec![],
        }
    }

    fn s(secs: u64) -> SimTime {
        SimTime::from_secs(secs)
    }

    fn scalar(list: &[(Metric, f64)], name: Metric) -> f64 {
        list.iter()
            .find(|(k, _)| *k == name)
            .unwrap_or_else(|| panic!("no metric {name}"))
            .1
    }

    #[test]
    fn customers_count_by_arrival_and_warmup_is_excluded() {
        let sc = test_scenario(&[(0, 1)], &["g"]);
        let mut c = Collector::new(&sc);
        // Arrived in warm-up, connected in the window: not counted as a customer,
        // but the session start is an event in the window.
        c.on_offered(s(5), 0);
        c.on_connected(s(12), s(5), AgentId(0), QueueId(0));
        // Arrived in interval 0 (10..30 s), connected in interval 1, after 15 s.
        c.on_offered(s(25), 0);
        c.on_connected(s(40), s(25), AgentId(0), QueueId(0));
        // Arrived in interval 1, connected at once.
        c.on_offered(s(35), 0);
        c.on_connected(s(35), s(35), AgentId(0), QueueId(0));
        // Arrived in interval 2, abandoned after 3 s (within the threshold, still a miss).
        c.on_offered(s(55), 0);
        c.on_abandoned(s(58), s(55), QueueId(0));
        // Arrived after the window: ignored.
        c.on_offered(s(70), 0);
        c.on_connected(s(71), s(70), AgentId(0), QueueId(0));
        c.on_end(s(80), 100, 4);
        let r = c.finish();
        let per: Vec<(u64, u64, u64)> = r
            .intervals
            .iter()
            .map(|i| (i.counts.offered, i.counts.connected, i.counts.abandoned))
            .collect();
        assert_eq!(per, vec![(1, 1, 0), (1, 1, 0), (1, 0, 1)]);
        assert_eq!(
            r.intervals
                .iter()
                .map(|i| i.counts.sessions_started)
                .collect::<Vec<_>>(),
            vec![1, 2, 0]
        );
        let m = r.scalars();
        assert_eq!(scalar(&m, Metric::Offered), 3.0);
        assert_eq!(scalar(&m, Metric::Connected), 2.0);
        assert_eq!(scalar(&m, Metric::Abandoned), 1.0);
        // One of three connected within 5 s: the abandoner is a miss.
        assert!((scalar(&m, Metric::ServiceLevel) - 1.0 / 3.0).abs() < 1e-12);
        assert!((scalar(&m, Metric::PWait) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(scalar(&m, Metric::AsaS), 7.5);
        assert_eq!(scalar(&m, Metric::WaitSMean), 6.0);
        assert_eq!(scalar(&m, Metric::WaitSMax), 15.0);
        assert_eq!(scalar(&m, Metric::Events), 100.0);
        assert_eq!(r.groups[0].connected, 2);
        assert_eq!(r.agents[0].sessions, 3);
        let sl1 = scalar(&r.intervals[1].scalars(), Metric::ServiceLevel);
        assert_eq!(sl1, 1.0);
    }

    /// [`test_scenario`] with two queues, `english` (segment 0) and `spanish` (segment 1).
    pub(crate) fn two_queue_scenario(agents: &[(u16, u32)], groups: &[&str]) -> Scenario {
        let mut sc = test_scenario(agents, groups);
        let mut spanish = sc.segments[0].clone();
        spanish.name = "spanish".into();
        spanish.queue = QueueId(1);
        sc.segments[0].name = "english".into();
        sc.segments[0].share = 0.5;
        spanish.share = 0.5;
        sc.segments.push(spanish);
        sc.queues = vec![
            Queue {
                name: "english".into(),
                spec: crate::engine::QueueSpec::own(QueueId(0)),
            },
            Queue {
                name: "spanish".into(),
                spec: crate::engine::QueueSpec::own(QueueId(1)),
            },
        ];
        sc
    }

    #[test]
    fn a_chat_counts_in_the_queue_it_was_offered_to() {
        let sc = two_queue_scenario(&[(0, 2), (0, 2)], &["g"]);
        let mut c = Collector::new(&sc);
        let (en, es) = (QueueId(0), QueueId(1));
        // Window 10..70 s in intervals [10,30) [30,50) [50,70); T = 5 s; reply target 60 s.
        // An English customer in the warm-up: counted nowhere.
        c.on_offered(s(5), 0);
        c.on_connected(s(6), s(5), AgentId(1), en);
        // English, interval 0: waits 2 s (within T).
        c.on_offered(s(12), 0);
        c.on_connected(s(14), s(12), AgentId(0), en);
        // Spanish, interval 0: waits 10 s and is served by agent 0 (an overflow agent);
        // it still counts in spanish. Replies and a disconnect count by their instants:
        // English at 20 s (3 s, on time); Spanish at 35 s (70 s: late past 60 s, and
        // missed), a ghost disconnect at 45 s. (Calls come in time order, as the
        // simulator makes them.)
        c.on_offered(s(15), 1);
        c.on_reply(s(20), AgentId(0), Millis::from_secs(3), false, en);
        c.on_connected(s(25), s(15), AgentId(0), es);
        // Spanish, interval 1: gives up after 8 s.
        c.on_offered(s(32), 1);
        c.on_reply(s(35), AgentId(0), Millis::from_secs(70), true, es);
        c.on_abandoned(s(40), s(32), es);
        c.on_disconnect(
            s(45),
            AgentId(0),
            DisconnectKind::Ghost,
            Millis::from_secs(30),
            es,
        );
        // English, interval 2: still waiting at the end (unresolved).
        c.on_offered(s(55), 0);
        c.on_end(s(80), 0, 0);
        let r = c.finish();
        assert_eq!(r.queues.len(), 2);
        // By hand, English: offered 2 (12 s, 55 s), connected 1 (2 s), unresolved 1;
        // SL 1/2; P(wait) (the 2 s wait and the unresolved) 2/2; ASA = mean wait = 2 s;
        // one reply of 3 s, none late or missed.
        let en_m = r.queues[0].scalars();
        let want_en = [
            (Metric::Offered, 2.0),
            (Metric::Connected, 1.0),
            (Metric::Abandoned, 0.0),
            (Metric::Unresolved, 1.0),
            (Metric::AbandonRatio, 0.0),
            (Metric::PWait, 1.0),
            (Metric::ServiceLevel, 0.5),
            (Metric::AsaS, 2.0),
            (Metric::WaitSMean, 2.0),
            (Metric::WaitSMax, 2.0),
            (Metric::Replies, 1.0),
            (Metric::LateReplies, 0.0),
            (Metric::LateReplyRatio, 0.0),
            (Metric::MissedResponses, 0.0),
            (Metric::ReplyLatencySMean, 3.0),
            (Metric::Disconnects, 0.0),
        ];
        for (m, v) in want_en {
            assert_eq!(scalar(&en_m, m), v, "english {m}");
        }
        // Spanish: offered 2, connected 1 (10 s), abandoned 1 (8 s); SL 0/2; abandon
        // ratio 1/2; ASA 10 s; mean wait (10 + 8)/2 = 9 s; p50 8 s, p90 = p99 = max 10 s
        // (both exact in the histogram); one reply, late and missed; one ghost disconnect.
        let es_m = r.queues[1].scalars();
        let want_es = [
            (Metric::Offered, 2.0),
            (Metric::Connected, 1.0),
            (Metric::Abandoned, 1.0),
            (Metric::Unresolved, 0.0),
            (Metric::AbandonRatio, 0.5),
            (Metric::PWait, 1.0),
            (Metric::ServiceLevel, 0.0),
            (Metric::AsaS, 10.0),
            (Metric::WaitSMean, 9.0),
            (Metric::WaitSP50, 8.0),
            (Metric::WaitSP90, 10.0),
            (Metric::WaitSP99, 10.0),
            (Metric::WaitSMax, 10.0),
            (Metric::Replies, 1.0),
            (Metric::LateReplies, 1.0),
            (Metric::LateReplyRatio, 1.0),
            (Metric::MissedResponses, 1.0),
            (Metric::MissedResponseRatio, 1.0),
            (Metric::Disconnects, 1.0),
            (Metric::GhostDisconnects, 1.0),
            (Metric::PrematureDisconnects, 0.0),
        ];
        for (m, v) in want_es {
            assert_eq!(scalar(&es_m, m), v, "spanish {m}");
        }
        // Per interval: (offered, connected, abandoned, replies, disconnects).
        let per = |q: usize| -> Vec<[u64; 5]> {
            r.queues[q]
                .intervals
                .iter()
                .map(|i| {
                    let c = &i.counts;
                    [
                        c.offered,
                        c.connected,
                        c.abandoned,
                        c.replies,
                        c.disconnects,
                    ]
                })
                .collect()
        };
        assert_eq!(per(0), [[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]]);
        assert_eq!(per(1), [[1, 1, 0, 0, 0], [1, 0, 1, 1, 1], [0, 0, 0, 0, 0]]);
        // English interval 2: its one customer unresolved, a miss of the SL, waited.
        let en2 = r.queues[0].intervals[2].queue_scalars();
        assert_eq!(scalar(&en2, Metric::Unresolved), 1.0);
        assert_eq!(scalar(&en2, Metric::ServiceLevel), 0.0);
        assert_eq!(scalar(&en2, Metric::PWait), 1.0);
        assert!(scalar(&en2, Metric::WaitSMean).is_nan());
        // The desk is the two queues together (the laws check every count as well).
        let m = r.scalars();
        assert_eq!(scalar(&m, Metric::Offered), 4.0);
        assert_eq!(scalar(&m, Metric::ServiceLevel), 0.25);
        // Agent 0 served both queues' window customers (12 s English, 15 s Spanish):
        // group figures go by the agent, queue figures by the queue offered to.
        assert_eq!(r.groups[0].connected, 2);
    }

    #[test]
    fn a_one_queue_desk_keeps_no_queue_figures() {
        let sc = test_scenario(&[(0, 1)], &["g"]);
        let mut c = Collector::new(&sc);
        c.on_offered(s(12), 0);
        c.on_connected(s(12), s(12), AgentId(0), QueueId(0));
        assert!(c.finish().queues.is_empty());
    }

    #[test]
    fn an_agent_over_its_cap_passes_occupancy_one_only_when_the_switch_allows_it() {
        // One agent of cap 1 holds 2 counted sessions through the whole window (10..70 s):
        // 2 × 60 000 session-ms in 60 000 ms logged in at 1 session, occupancy 2. Only
        // `reactivate_over_cap` (with inactivity) makes that possible, and then the laws
        // allow it; without the switch it is a broken law (the collector panics in tests).
        let over_cap = |reactivate: bool| {
            let mut sc = test_scenario(&[(0, 1)], &["g"]);
            sc.switches.inactive_after = Some(Millis::from_secs(5));
            sc.switches.reactivate_over_cap = reactivate;
            let mut c = Collector::new(&sc);
            c.on_agent_online(s(0), AgentId(0), true);
            c.on_agent_sessions(s(0), AgentId(0), 2);
            c.on_end(s(95), 0, 0);
            c.finish()
        };
        let r = over_cap(true);
        assert_eq!(r.agents[0].session_ms_logged_in, 2 * 60_000);
        assert_eq!(r.agents[0].logged_in_ms, 60_000);
        let caught = std::panic::catch_unwind(|| over_cap(false));
        assert!(
            caught.is_err(),
            "occupancy 2 with the cap binding must break a law"
        );
    }

    #[test]
    fn occupancy_integrates_over_the_window_only() {
        // Two agents, max 2 and 1.
        let sc = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let mut c = Collector::new(&sc);
        c.on_agent_online(s(0), AgentId(0), true);
        c.on_agent_online(s(0), AgentId(1), true);
        // Agent 0 holds 2 sessions from 0 to 20 s (10 s of it in the window), then 1 to 40 s.
        // It is busy 30..50 s and logs off at 60 s. Agent 1 holds 1 session from 50 s
        // on; the window ends at 70 s.
        c.on_agent_sessions(s(0), AgentId(0), 2);
        c.on_agent_sessions(s(20), AgentId(0), 1);
        c.on_agent_busy(s(30), AgentId(0), true);
        c.on_agent_sessions(s(40), AgentId(0), 0);
        c.on_agent_busy(s(50), AgentId(0), false);
        c.on_agent_sessions(s(50), AgentId(1), 1);
        c.on_agent_online(s(60), AgentId(0), false);
        c.on_end(s(95), 0, 0);
        let r = c.finish();
        let a0 = &r.agents[0];
        assert_eq!(a0.logged_in_ms, 50_000);
        assert_eq!(a0.busy_ms, 20_000);
        assert_eq!(a0.session_ms_logged_in, 2 * 10_000 + 20_000);
        let occ0 = scalar(&a0.scalars(), Metric::Occupancy);
        assert!((occ0 - 40_000.0 / (2.0 * 50_000.0)).abs() < 1e-12);
        assert_eq!(scalar(&a0.scalars(), Metric::MeanConcurrentSessions), 0.8);
        let a1 = &r.agents[1];
        assert_eq!((a1.logged_in_ms, a1.session_ms_logged_in), (60_000, 20_000));
        // Run occupancy: (40 + 20) s / (2·50 + 1·60) s.
        let m = r.scalars();
        assert!((scalar(&m, Metric::Occupancy) - 60.0 / 160.0).abs() < 1e-12);
        assert_eq!(scalar(&m, Metric::BusyTimeS), 20.0);
        // Interval 0 (10..30 s): sessions 2 for 10 s, 1 for 10 s → 1.5 mean; capacity 3.
        let i0 = r.intervals[0].scalars();
        assert_eq!(scalar(&i0, Metric::BusyCapacity), 1.5);
        assert_eq!(scalar(&i0, Metric::LoggedInCapacity), 3.0);
        // Interval 2 (50..70 s): agent 0 out at 60 s → capacity (3·10 + 1·10)/20 = 2.
        let i2 = r.intervals[2].scalars();
        assert_eq!(scalar(&i2, Metric::LoggedInCapacity), 2.0);
        assert_eq!(scalar(&i2, Metric::BusyCapacity), 1.0);
        assert_eq!(r.groups[1].capacity_ms, 60_000);
        let g0 = r.groups[0].scalars();
        assert!((scalar(&g0, Metric::Occupancy) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn queue_length_is_time_weighted_per_interval() {
        let sc = test_scenario(&[(0, 1)], &["g"]);
        let mut c = Collector::new(&sc);
        c.on_queue_len(s(0), 5); // warm-up only until 10 s
        c.on_queue_len(s(20), 2);
        c.on_queue_len(s(40), 0);
        c.on_queue_len(s(55), 7);
        c.on_queue_len(s(55), 0); // an instant: counts for the max only
        c.on_end(s(70), 0, 0);
        let r = c.finish();
        let means: Vec<f64> = r
            .intervals
            .iter()
            .map(|i| scalar(&i.scalars(), Metric::MeanQueueLen))
            .collect();
        assert_eq!(means, vec![(5.0 * 10.0 + 2.0 * 10.0) / 20.0, 1.0, 0.0]);
        let maxes: Vec<u64> = r.intervals.iter().map(|i| i.counts.queue_max).collect();
        assert_eq!(maxes, vec![5, 2, 7]);
        assert!((scalar(&r.scalars(), Metric::MeanQueueLen) - 90.0 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn events_count_by_their_instant() {
        let sc = test_scenario(&[(0, 3), (0, 3)], &["g"]);
        let mut c = Collector::new(&sc);
        c.on_agent_online(s(0), AgentId(0), true);
        c.on_agent_online(s(0), AgentId(1), true);
        c.on_reminder(s(5), AgentId(0), true); // warm-up
        c.on_reminder(s(15), AgentId(0), true);
        c.on_reminder(s(45), AgentId(0), false);
        c.on_reply(
            s(9),
            AgentId(1),
            Millis::from_millis(31_000),
            true,
            QueueId(0),
        ); // warm-up
        c.on_reply(
            s(16),
            AgentId(1),
            Millis::from_millis(31_000),
            true,
            QueueId(0),
        );
        c.on_reply(
            s(17),
            AgentId(1),
            Millis::from_millis(2_000),
            false,
            QueueId(0),
        );
        c.on_disconnect(
            s(50),
            AgentId(1),
            DisconnectKind::Premature,
            Millis::from_millis(120_000),
            QueueId(0),
        );
        c.on_disconnect(
            s(60),
            AgentId(0),
            DisconnectKind::Ghost,
            Millis::from_millis(120_000),
            QueueId(0),
        );
        c.on_disconnect(
            s(75),
            AgentId(0),
            DisconnectKind::Ghost,
            Millis::from_millis(120_000),
            QueueId(0),
        ); // after
        c.on_close(s(29), AgentId(0));
        c.on_handed_back(s(31), AgentId(1));
        c.on_end(s(80), 0, 0);
        let r = c.finish();
        let reminders: Vec<u64> = r.intervals.iter().map(|i| i.counts.reminders).collect();
        assert_eq!(reminders, vec![1, 1, 0]);
        let m = r.scalars();
        assert_eq!(scalar(&m, Metric::Reminders), 2.0);
        assert_eq!(scalar(&m, Metric::SessionsWithReminder), 1.0);
        assert_eq!(scalar(&m, Metric::MissedResponses), 1.0);
        assert_eq!(scalar(&m, Metric::Replies), 2.0);
        assert_eq!(scalar(&m, Metric::Disconnects), 2.0);
        assert_eq!(scalar(&m, Metric::PrematureDisconnects), 1.0);
        assert_eq!(scalar(&m, Metric::GhostDisconnects), 1.0);
        assert_eq!(scalar(&m, Metric::SilentCapacityS), 240.0);
        assert_eq!(scalar(&m, Metric::NormalCloses), 1.0);
        assert_eq!(scalar(&m, Metric::HandedBack), 1.0);
        // 2 reminders over 2 agents × 60 s logged in.
        assert!((scalar(&m, Metric::RemindersPerAgentHour) - 2.0 / (120.0 / 3600.0)).abs() < 1e-9);
        assert_eq!(scalar(&m, Metric::ReplyLatencySP50), 2.0);
        // 31 000 ms lies in a 16 ms bucket: reported as its lower edge, within 0.1 %.
        let p99 = scalar(&m, Metric::ReplyLatencySP99);
        assert!((31.0 * 0.999..=31.0).contains(&p99), "{p99}");
        assert_eq!(r.agents[0].reminders, 2);
        assert_eq!(r.agents[1].missed_responses, 1);
        assert_eq!(r.groups[0].totals.disconnects, 2);
    }

    #[test]
    fn undefined_ratios_are_zero_at_run_level_and_nan_per_interval() {
        let sc = test_scenario(&[(0, 1)], &["g"]);
        let r = Collector::new(&sc).finish();
        assert!(r.scalars().iter().all(|(_, v)| *v == 0.0));
        assert!(scalar(&r.intervals[0].scalars(), Metric::ServiceLevel).is_nan());
        assert_eq!(r.intervals.len(), 3);
        assert_eq!((r.intervals[2].start, r.intervals[2].end), (s(50), s(70)));
    }

    /// Beyond `MAX_SUMMARY_INTERVALS` the series merges intervals: a 60 s window in 50 ms
    /// intervals is 1 200 of them, merged ⌈1 200 / 768⌉ = 2 at a time into 600 of 100 ms,
    /// each exactly the interval a 100 ms run of the same calls reports (counts, integrals,
    /// maxima and the wait p90 of the merged histograms), with the same totals.
    #[test]
    fn merged_intervals_are_those_of_a_coarser_run() {
        let mut fine = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        fine.run.interval = Millis::from_millis(50);
        let mut coarse = fine.clone();
        coarse.run.interval = Millis::from_millis(100);
        assert_eq!(summary_merge(&fine), 2);
        assert_eq!(summary_merge(&coarse), 1);
        let drive = |sc: &Scenario| {
            let ms = SimTime::from_millis;
            let mut c = Collector::new(sc);
            c.on_agent_online(ms(0), AgentId(0), true);
            c.on_agent_online(ms(10_020), AgentId(1), true);
            // Customers every 200 ms from 10.01 s (290 of them, the last at 67.81 s); each
            // waits 0, 40, 80 or 120 ms in turn, every fifth gives up instead, and a
            // connected chat is held 55 ms: each story ends before the next arrival.
            for j in 0..290u64 {
                let arrived = ms(10_010 + 200 * j);
                let resolved = arrived + Millis::from_millis(40 * (j % 4));
                let agent = AgentId((j % 2) as u32);
                c.on_offered(arrived, 0);
                c.on_queue_len(arrived, 1);
                if j % 5 == 4 {
                    c.on_abandoned(resolved, arrived, QueueId(0));
                    c.on_queue_len(resolved, 0);
                } else {
                    c.on_connected(resolved, arrived, agent, QueueId(0));
                    c.on_queue_len(resolved, 0);
                    c.on_agent_sessions(resolved, agent, 1);
                    c.on_agent_sessions(resolved + Millis::from_millis(55), agent, 0);
                }
            }
            c.on_end(SimTime::from_secs(70), 0, 0);
            c.finish()
        };
        let (merged, reference) = (drive(&fine), drive(&coarse));
        assert_eq!(merged.intervals.len(), 600);
        assert_eq!(reference.intervals.len(), 600);
        for (m, r) in merged.intervals.iter().zip(&reference.intervals) {
            assert_eq!((m.index, m.start, m.end), (r.index, r.start, r.end));
            assert_eq!(m.counts, r.counts, "interval {}", r.index);
            assert_eq!(m.wait_ms_p90, r.wait_ms_p90, "interval {}", r.index);
        }
        assert_eq!(merged.totals.counts, reference.totals.counts);
        // j % 5 = 4 for 58 of j = 0..290.
        assert_eq!(merged.totals.counts.offered, 290);
        assert_eq!(merged.totals.counts.abandoned, 58);
    }

    /// The current interval's fast paths where they meet a boundary: an event exactly at
    /// one, a level held across several intervals, an agent change after a long quiet
    /// stretch, a level changed at the very instant a later call moved the current
    /// interval on. Window 10..70 s in intervals [10,30) [30,50) [50,70).
    #[test]
    fn a_closed_intervals_wait_buffer_serves_the_next_interval_opened() {
        let mut w = Window::default();
        w.recycle(Vec::with_capacity(100));
        // An empty buffer is not worth keeping; the spare list stays bounded.
        w.recycle(Vec::new());
        assert_eq!(w.spare.len(), 1);
        (0..SPARE_BUFFERS + 3).for_each(|_| w.recycle(Vec::with_capacity(1)));
        assert_eq!(w.spare.len(), SPARE_BUFFERS);
        // Intervals 0 and 1 opened: each takes a spare buffer, the last kept first.
        w.at(0, 1);
        assert_eq!(w.spare.len(), SPARE_BUFFERS - 2);
        let waits = std::mem::take(&mut w.pop_front().waits);
        assert!(waits.is_empty());
        assert!(waits.into_buffer().capacity() < 100, "the last one kept");
        w.pop_front();
        w.at(2, 2);
        assert_eq!(w.spare.len(), SPARE_BUFFERS - 3);
    }

    #[test]
    fn a_replication_that_ends_early_holds_one_interval_at_a_time() {
        // 100 000 s of 1-s intervals; one agent logs in at 0 s and the replication ends
        // at 20 s: `finish` rolls through the 99 990 intervals left, closing each as it
        // passes, so the window never holds more than two (it held every one at once
        // when the rest of the window was rolled in one step: 34 MB here).
        let mut sc = test_scenario(&[(0, 1)], &["g"]);
        sc.run.horizon = Millis::from_secs(100_000);
        sc.run.interval = Millis::from_secs(1);
        PEAK_WINDOW.with(|p| p.set(0));
        let mut c = Collector::new(&sc);
        c.on_agent_online(s(0), AgentId(0), true);
        c.on_end(s(20), 0, 0);
        let r = c.finish();
        assert!(
            PEAK_WINDOW.with(|p| p.get()) <= 2,
            "{}",
            PEAK_WINDOW.with(|p| p.get())
        );
        // Capacity 1 held through every interval: the levels still reach the end.
        assert_eq!(
            r.intervals.len(),
            764,
            "100 000 intervals listed merged 131 at a time"
        );
        assert!(r.intervals.iter().all(|i| i.counts.capacity_ms > 0));
    }

    #[test]
    fn boundaries_quiet_stretches_and_held_levels_by_hand() {
        // A0 (max 2) and A1 (max 1) log in at 0 s: capacity 3 all through the window.
        let sc = test_scenario(&[(0, 2), (0, 1)], &["g"]);
        let mut c = Collector::new(&sc);
        c.on_agent_online(s(0), AgentId(0), true);
        c.on_agent_online(s(0), AgentId(1), true);
        c.on_queue_len(s(5), 4); // warm-up: counts from 10 s on
        c.on_agent_sessions(s(12), AgentId(1), 1); // held to 68 s: three intervals
        c.on_queue_len(s(20), 5);
        // Exactly at the first boundary: the arrival is interval 1's, and moves the
        // current interval on; the queue, 5 until now, is 2 from this instant, so 5 was
        // never held in interval 1 (its maximum is 2).
        c.on_offered(s(30), 0);
        c.on_queue_len(s(30), 2); // then held to the end: intervals 1 and 2
        c.on_connected(s(30), s(30), AgentId(0), QueueId(0));
        c.on_agent_sessions(s(30), AgentId(0), 1);
        // Nothing from 30 s to 68 s: the next call crosses the boundary at 50 s.
        c.on_agent_sessions(s(68), AgentId(1), 0);
        c.on_agent_sessions(s(68), AgentId(0), 0);
        c.on_offered(s(70), 0); // at the window's end: outside it
        c.on_end(s(80), 0, 0);
        let r = c.finish();
        let per = |f: fn(&Counts) -> u64| -> Vec<u64> {
            r.intervals.iter().map(|i| f(&i.counts)).collect()
        };
        // Queue: 4 × 10 s + 5 × 10 s in interval 0; 2 × 20 s in each of the others.
        assert_eq!(per(|c| c.queue_ms), [90_000, 40_000, 40_000]);
        assert_eq!(per(|c| c.queue_max), [5, 2, 2]);
        // Open sessions: A1's one from 12 s (18 s of interval 0), A0's one from 30 s, both
        // to 68 s: 1 × 18 s; 2 × 20 s; 2 × 18 s (then 0 for 2 s).
        assert_eq!(per(|c| c.session_ms), [18_000, 40_000, 36_000]);
        assert_eq!(per(|c| c.capacity_ms), [60_000, 60_000, 60_000]);
        assert_eq!(per(|c| c.offered), [0, 1, 0]);
        assert_eq!(per(|c| c.connected), [0, 1, 0]);
        assert_eq!(per(|c| c.sessions_started), [0, 1, 0]);
        assert_eq!(per(|c| c.within_threshold), [0, 1, 0]);
        assert_eq!(per(|c| c.waited), [0, 0, 0]);
        let (a0, a1) = (&r.agents[0], &r.agents[1]);
        assert_eq!(
            (a0.session_ms, a0.logged_in_ms, a0.sessions),
            (38_000, 60_000, 1)
        );
        assert_eq!((a1.session_ms, a1.session_ms_logged_in), (56_000, 56_000));
        assert_eq!(r.groups[0].connected, 1);
        // 170 s of queue over the 60 s window; interval means 4.5, 2 and 2.
        let m = r.scalars();
        assert!((scalar(&m, Metric::MeanQueueLen) - 170.0 / 60.0).abs() < 1e-12);
        let means: Vec<f64> = r
            .intervals
            .iter()
            .map(|i| scalar(&i.scalars(), Metric::MeanQueueLen))
            .collect();
        assert_eq!(means, [4.5, 2.0, 2.0]);
    }

    /// Zero waits are counted apart and recorded when a histogram is read: every
    /// percentile still sees them. Window 10..70 s in intervals [10,30) [30,50) [50,70).
    #[test]
    fn zero_waits_count_in_every_percentile() {
        let sc = test_scenario(&[(0, 20)], &["g"]);
        let mut c = Collector::new(&sc);
        // Interval 0: six customers (12..17 s) connected at once, four (20..23 s)
        // connected 10 s later, in interval 1 (interval 0 then closes at 33 s, not current).
        for t in 12..18 {
            c.on_offered(s(t), 0);
            c.on_connected(s(t), s(t), AgentId(0), QueueId(0));
        }
        for t in 20..24 {
            c.on_offered(s(t), 0);
        }
        for t in 20..24 {
            c.on_connected(s(t + 10), s(t), AgentId(0), QueueId(0));
        }
        // Interval 2: one customer connected at once; interval 1: nobody arrives.
        c.on_offered(s(55), 0);
        c.on_connected(s(55), s(55), AgentId(0), QueueId(0));
        let r = c.finish();
        // Interval 0's ten waits: six 0 s, four 10 s; the 9th smallest (p90) is 10 s
        // (10 000 ms, exact: its bucket is 8 ms wide from 8 192 ms). Interval 2's one wait
        // is 0 s: its p90 is 0, not undefined.
        let p90: Vec<u64> = r.intervals.iter().map(|i| i.wait_ms_p90).collect();
        assert_eq!(p90, [10_000, 0, 0]);
        let i2 = r.intervals[2].scalars();
        assert_eq!(scalar(&i2, Metric::WaitSP90), 0.0);
        assert!(scalar(&r.intervals[1].scalars(), Metric::WaitSP90).is_nan());
        // The run's eleven waits: seven 0 s, four 10 s. p50 is the 6th smallest, 0 s (it
        // would be 10 s without the zeros); p90 the 10th and p99 the 11th, 10 s.
        assert_eq!(r.wait_histogram.len(), 11);
        assert_eq!(r.wait_histogram.count_at(0), 7);
        let m = r.scalars();
        assert_eq!(scalar(&m, Metric::WaitSP50), 0.0);
        assert_eq!(scalar(&m, Metric::WaitSP90), 10.0);
        assert_eq!(scalar(&m, Metric::WaitSP99), 10.0);
        assert_eq!(scalar(&m, Metric::PWait), 4.0 / 11.0);
    }

    #[test]
    fn last_interval_may_be_short() {
        let mut sc = test_scenario(&[(0, 1)], &["g"]);
        sc.run.horizon = Millis::from_secs(50);
        let mut c = Collector::new(&sc);
        c.on_queue_len(s(50), 4);
        let r = c.finish();
        assert_eq!(r.intervals.len(), 3);
        assert_eq!(r.intervals[2].len_ms(), 10_000);
        assert_eq!(scalar(&r.intervals[2].scalars(), Metric::MeanQueueLen), 4.0);
    }

    #[test]
    fn wall_clock_figures_come_from_the_setter() {
        let sc = test_scenario(&[(0, 1)], &["g"]);
        let mut c = Collector::new(&sc);
        c.on_end(s(70), 5000, 250);
        let mut r = c.finish();
        r.set_wall_secs(0.5);
        let m = r.scalars();
        assert_eq!(scalar(&m, Metric::EventsPerS), 10_000.0);
        assert_eq!(scalar(&m, Metric::RoutingDecisionsPerS), 500.0);
    }
}
