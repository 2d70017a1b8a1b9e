//! The one run pipeline below the commands: load a scenario ([`load`]), run its units of
//! work on a pool of worker threads with a cancel flag passed in, and summarize as the
//! results come in. `run` and `check` use [`simulate`] (replications in parallel, streamed
//! into a [`Summarizer`]); `sweep` runs its grid points with [`in_order`] and each point's
//! replications with [`simulate_serial`]; `staff` runs its candidates' replications in
//! batches with [`replicate`].
//!
//! Every function here returns its results in unit order (replication, grid point), so the
//! bytes out never depend on the thread count; a run is a pure function of (scenario,
//! seed). Cancelling (the binary sets its flag on SIGINT/SIGTERM) stops every unit at its
//! next poll: replications poll every [`CANCEL_CHECK_EVENTS`](crate::sim::CANCEL_CHECK_EVENTS) events, and each function
//! looks once more after its last unit, so a signal during the run always means "stop".

use crate::metrics::spool::IntervalSpool;
use crate::metrics::{summarize, Collector, RepFigures, RepMetrics, RunSummary, Summarizer};
use crate::scenario::{self, Override, Scenario};
use crate::sim::{Observer, RepStats, Replication, SimError};
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Most worker threads a run starts, whatever it is asked for.
pub const MAX_THREADS: usize = 1024;

/// A cancel flag nothing sets: for callers (tests, embedders) that never cancel.
pub static NEVER_CANCELLED: AtomicBool = AtomicBool::new(false);

/// Loads the scenario at `path` with the command line's `--seed` and `--replications`
/// (when given) and any further `overrides` (a sweep's grid point) applied on top of the
/// file, then checked as one (see [`scenario::load_with_overrides`]).
pub fn load(
    path: &Path,
    seed: Option<u64>,
    replications: Option<u32>,
    mut overrides: Vec<Override>,
) -> anyhow::Result<Scenario> {
    if let Some(seed) = seed {
        overrides.push(Override {
            path: "run.seed".into(),
            // A TOML integer holds at most 2⁶³ − 1; larger seeds go as the decimal string
            // the loader also accepts in a file.
            value: match i64::try_from(seed) {
                Ok(i) => toml::Value::Integer(i),
                Err(_) => toml::Value::String(seed.to_string()),
            },
        });
    }
    if let Some(r) = replications {
        overrides.push(Override {
            path: "run.replications".into(),
            value: toml::Value::Integer(r as i64),
        });
    }
    Ok(scenario::load_with_overrides(path, &overrides)?)
}

/// Runs every replication of `sc` on `threads` worker threads (0 = one per core) and
/// summarizes them as they finish: memory grows with the replications only by their
/// run-level figures. `on_done` is called as each replication finishes (a progress bar).
pub fn simulate(
    sc: &Scenario,
    threads: usize,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> Result<RunSummary, SimError> {
    simulate_spooled(sc, threads, cancel, on_done, None)
}

/// [`simulate`], each replication also spooling every interval's row to `spool` when
/// given (what `run --out` does when the summary merges intervals: `intervals.csv` is
/// then written from the spool, see [`crate::metrics::spool`]).
pub fn simulate_spooled(
    sc: &Scenario,
    threads: usize,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
    spool: Option<Arc<IntervalSpool>>,
) -> Result<RunSummary, SimError> {
    let started = Instant::now();
    let mut summary = Summarizer::new(sc);
    if let Some(spool) = &spool {
        summary = summary.with_spool(Arc::clone(spool));
    }
    run_replications_streamed(
        sc,
        sc.run.seed,
        threads,
        |rep| match &spool {
            Some(spool) => Collector::with_spool(sc, spool.writer(rep)),
            None => Collector::new(sc),
        },
        cancel,
        on_done,
        |o| {
            let mut m = o.observer.finish();
            m.set_wall_secs(o.wall_secs);
            summary.push(&m);
        },
    )?;
    Ok(summary.finish(sc.run.seed, started.elapsed().as_secs_f64()))
}

/// Runs every replication of `sc` in order on the calling thread and summarizes them:
/// what a tool calls from its own worker threads (one pool for the whole tool, rather
/// than one per grid point, keeps memory flat). The same figures as [`simulate`], byte
/// for byte.
pub fn simulate_serial(sc: &Scenario, cancel: &AtomicBool) -> Result<RunSummary, SimError> {
    let started = Instant::now();
    let reps = (0..sc.run.replications)
        .map(|rep| {
            let t = Instant::now();
            let (collector, _) = Replication::new(sc, sc.run.seed, rep, Collector::new(sc))
                .with_cancel(cancel)
                .run()?;
            let mut m = collector.finish();
            m.set_wall_secs(t.elapsed().as_secs_f64());
            Ok(m)
        })
        .collect::<Result<Vec<_>, SimError>>()?;
    Ok(summarize(
        sc,
        sc.run.seed,
        &reps,
        started.elapsed().as_secs_f64(),
    ))
}

/// One replication's figures (see [`RepFigures`]: with the interval, group and agent
/// detail when `detail`) and the wall-clock seconds it took: the unit of work of `run`
/// and, run-level only, of each `sweep` point, in one process or in a shard
/// (docs/scale-out.md).
pub fn replication_figures(
    sc: &Scenario,
    rep: u32,
    detail: bool,
    cancel: &AtomicBool,
    spool: Option<&Arc<IntervalSpool>>,
) -> Result<(RepFigures, f64), SimError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(SimError::Interrupted);
    }
    let t = Instant::now();
    let collector = match spool {
        Some(spool) => Collector::with_spool(sc, spool.writer(rep)),
        None => Collector::new(sc),
    };
    let (collector, _) = Replication::new(sc, sc.run.seed, rep, collector)
        .with_cancel(cancel)
        .run()?;
    let mut m = collector.finish();
    let wall = t.elapsed().as_secs_f64();
    m.set_wall_secs(wall);
    Ok((RepFigures::of(&m, detail), wall))
}

/// Replications `reps` of `sc` on `threads` worker threads, each one's figures with the
/// detail and its wall time handed to `sink` in replication order, a chunk at a time (see
/// [`in_order_streamed`]): a `run` shard's units. With `spool`, each also writes every
/// interval's row to its block there. The first error in replication order, the sink's
/// included, stops it.
pub fn replications_figures<E: From<SimError>>(
    sc: &Scenario,
    reps: std::ops::Range<u32>,
    threads: usize,
    cancel: &AtomicBool,
    spool: Option<&Arc<IntervalSpool>>,
    mut sink: impl FnMut(u32, RepFigures, f64) -> Result<(), E>,
) -> Result<(), E> {
    let reps: Vec<u32> = reps.collect();
    in_order_streamed(
        threads,
        &reps,
        |&rep| replication_figures(sc, rep, true, cancel, spool).map(|d| (rep, d)),
        |done| {
            let (rep, (figures, wall)) = done?;
            sink(rep, figures, wall)
        },
    )?;
    if cancel.load(Ordering::Relaxed) {
        return Err(SimError::Interrupted.into());
    }
    Ok(())
}

/// Runs replications `reps` of `sc` on the current rayon pool (the caller's, inside
/// [`rayon::ThreadPool::install`]; the global one otherwise), each observed by a
/// [`Collector`] whose figures `keep` trims before they are held, in replication order:
/// the figures of a single run over the same replications, since replication i is seeded
/// from (seed, i) whatever else runs.
pub fn replicate<T: Send>(
    sc: &Scenario,
    reps: std::ops::Range<u32>,
    cancel: &AtomicBool,
    keep: impl Fn(RepMetrics) -> T + Sync,
) -> Result<Vec<T>, SimError> {
    replicate_with(
        sc,
        reps,
        cancel,
        |_| Collector::new(sc),
        |c, wall| {
            let mut m = c.finish();
            m.set_wall_secs(wall);
            keep(m)
        },
    )
}

/// [`replicate`] with any observer: `make(rep)` builds replication `rep`'s observer and
/// `finish(observer, wall_secs)` turns it into what is kept.
pub fn replicate_with<O: Observer + Send, T: Send>(
    sc: &Scenario,
    reps: std::ops::Range<u32>,
    cancel: &AtomicBool,
    make: impl Fn(u32) -> O + Sync,
    finish: impl Fn(O, f64) -> T + Sync,
) -> Result<Vec<T>, SimError> {
    let out = reps
        .into_par_iter()
        .map(|rep| {
            let t = Instant::now();
            let (observer, _) = Replication::new(sc, sc.run.seed, rep, make(rep))
                .with_cancel(cancel)
                .run()?;
            Ok(finish(observer, t.elapsed().as_secs_f64()))
        })
        .collect::<Result<Vec<T>, SimError>>()?;
    if cancel.load(Ordering::Relaxed) {
        return Err(SimError::Interrupted);
    }
    Ok(out)
}

/// Runs `f` on every unit on `threads` worker threads (see [`worker_pool`]) and returns
/// every result in unit order. Every unit's result is kept, so a caller that reports the
/// first error reports the first in unit order, whatever finished first.
pub fn in_order<U: Sync, T: Send>(
    threads: usize,
    units: &[U],
    f: impl Fn(&U) -> T + Sync + Send,
) -> Vec<T> {
    match worker_pool(threads, units.len()) {
        Some(pool) => pool.install(|| units.par_iter().map(&f).collect()),
        // Not even one worker thread could be started: run here, one after another.
        None => units.iter().map(f).collect(),
    }
}

/// [`in_order`], each result handed to `sink` in unit order as soon as it and every
/// earlier one are done, holding a chunk of results at a time (a few per worker thread,
/// as [`run_replications_streamed`]): memory does not grow with the units, which for a
/// shard of a long run are megabytes each. The sink's first error stops it.
pub fn in_order_streamed<U: Sync, T: Send, E>(
    threads: usize,
    units: &[U],
    f: impl Fn(&U) -> T + Sync + Send,
    sink: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    streamed_by_index(threads, units.len(), |i| f(&units[i]), sink)
}

/// The chunked loop of [`in_order_streamed`] and [`run_replications_streamed`]: `f` runs
/// on units `0..n` a chunk at a time ([`CHUNK_PER_THREAD`] per worker thread) and each
/// chunk's results go to `sink` in unit order before the next chunk starts.
fn streamed_by_index<T: Send, E>(
    threads: usize,
    n: usize,
    f: impl Fn(usize) -> T + Sync + Send,
    mut sink: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let pool = worker_pool(threads, n);
    let chunk = pool
        .as_ref()
        .map_or(1, |p| p.current_num_threads() * CHUNK_PER_THREAD);
    let mut first = 0;
    while first < n {
        let part = first..n.min(first.saturating_add(chunk));
        first = part.end;
        let results: Vec<T> = match &pool {
            Some(pool) => pool.install(|| part.into_par_iter().map(&f).collect()),
            // Not even one worker thread could be started: run here, one after another.
            None => part.map(&f).collect(),
        };
        for r in results {
            sink(r)?;
        }
    }
    Ok(())
}

/// One finished replication: its observer and totals, and the wall time it took.
pub struct RepOutcome<O> {
    pub observer: O,
    pub stats: RepStats,
    pub wall_secs: f64,
}

/// Replications run at once per worker thread in [`run_replications_streamed`]: enough
/// that the workers rarely wait for a chunk's slowest replication, few enough that the
/// outcomes held at once stay a handful.
const CHUNK_PER_THREAD: usize = 4;

/// Runs every replication of `sc` under `seed` on `threads` threads (see [`worker_pool`]),
/// each observed by `make(rep)`, and hands each outcome to `sink` in replication order as
/// soon as it and every earlier one are done, holding at most a chunk of outcomes at a
/// time (a few per worker thread): memory does not grow with the replications. `cancel`,
/// when set, stops the run with [`SimError::Interrupted`]: it is checked before each
/// replication, inside each every [`CANCEL_CHECK_EVENTS`](crate::sim::CANCEL_CHECK_EVENTS) events, and once more after the
/// last. `on_done` is called as each replication finishes.
pub fn run_replications_streamed<O, F>(
    sc: &Scenario,
    seed: u64,
    threads: usize,
    make: F,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
    mut sink: impl FnMut(RepOutcome<O>),
) -> Result<(), SimError>
where
    O: Observer + Send,
    F: Fn(u32) -> O + Sync,
{
    let one = |rep: u32| {
        if cancel.load(Ordering::Relaxed) {
            return Err(SimError::Interrupted);
        }
        let started = Instant::now();
        let (observer, stats) = Replication::new(sc, seed, rep, make(rep))
            .with_cancel(cancel)
            .run()?;
        on_done();
        Ok(RepOutcome {
            observer,
            stats,
            wall_secs: started.elapsed().as_secs_f64(),
        })
    };
    let reps = sc.run.replications as usize;
    streamed_by_index(
        threads,
        reps,
        |rep| one(rep as u32),
        |r| {
            sink(r?);
            Ok(())
        },
    )?;
    // A signal after the last replication still means "stop": nothing is reported.
    if cancel.load(Ordering::Relaxed) {
        return Err(SimError::Interrupted);
    }
    Ok(())
}

/// A pool of worker threads for `jobs` independent jobs: `threads` of them (0 = one per
/// core), never more than the jobs or [`MAX_THREADS`] (more would only idle, and
/// `--threads 100000` would spend minutes and gigabytes starting them).
///
/// When the system refuses that many threads (a memory limit such as `ulimit -v`, a
/// process limit), it tries half as many, down to one, and says so on stderr; `None` when
/// not even one could be started: the caller then runs the jobs on its own thread. The
/// results never depend on the number of workers.
pub fn worker_pool(threads: usize, jobs: usize) -> Option<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut wanted = match threads {
        0 => cores,
        n => n,
    }
    .min(jobs.max(1))
    .min(MAX_THREADS);
    if address_space_limited() {
        // Under `ulimit -v` every thread's stack and malloc arena eat reserved address
        // space the run's figures need, and a thread that cannot allocate ends the run:
        // no more workers than cores, which is all a CPU-bound run can use anyway.
        wanted = wanted.min(cores);
    }
    let mut n = wanted;
    loop {
        match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => {
                if n < wanted {
                    eprintln_quiet(&format!(
                        "note: the system allowed only {n} of {wanted} worker threads; \
                         running on {n} (the results do not depend on it)"
                    ));
                }
                return Some(pool);
            }
            Err(_) if n > 1 => n /= 2,
            Err(err) => {
                eprintln_quiet(&format!(
                    "note: no worker thread could be started ({err}); running on the main thread"
                ));
                return None;
            }
        }
    }
}

/// Whether the process runs under a finite address-space limit (`ulimit -v`; read from
/// /proc/self/limits, so Linux only).
fn address_space_limited() -> bool {
    std::fs::read_to_string("/proc/self/limits").is_ok_and(|text| {
        text.lines()
            .find(|l| l.starts_with("Max address space"))
            .and_then(|l| l.split_whitespace().nth(3))
            .is_some_and(|soft| soft != "unlimited")
    })
}

/// A note on stderr that never panics (a closed stderr is not worth a crash).
fn eprintln_quiet(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// 100 units on 2 workers (chunks of 8): the sink sees them in unit order, and never
    /// more than a chunk's results are held at once (collecting them all, as a shard did
    /// before, holds 100).
    #[test]
    fn in_order_streamed_hands_over_in_order_holding_a_chunk() {
        let units: Vec<usize> = (0..100).collect();
        let held = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let mut seen = vec![];
        let r: Result<(), ()> = in_order_streamed(
            2,
            &units,
            |&u| {
                let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                u
            },
            |u| {
                held.fetch_sub(1, Ordering::SeqCst);
                seen.push(u);
                Ok(())
            },
        );
        assert_eq!(r, Ok(()));
        assert_eq!(seen, units);
        let chunk = worker_pool(2, 100).unwrap().current_num_threads() * CHUNK_PER_THREAD;
        assert!(chunk <= 8, "{chunk}");
        assert!(most.load(Ordering::SeqCst) <= chunk, "{most:?} > {chunk}");
    }

    /// The sink's error at unit 3 is returned and no chunk after the first is started.
    #[test]
    fn in_order_streamed_stops_at_the_sinks_first_error() {
        let units: Vec<usize> = (0..100).collect();
        let started = AtomicUsize::new(0);
        let r = in_order_streamed(
            2,
            &units,
            |&u| {
                started.fetch_add(1, Ordering::SeqCst);
                u
            },
            |u| if u == 3 { Err(u) } else { Ok(()) },
        );
        assert_eq!(r, Err(3));
        assert!(started.load(Ordering::SeqCst) <= 8, "{started:?}");
    }
}
