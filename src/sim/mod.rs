//! The simulator: one driver of the dispatch engine, on a virtual clock, against a
//! scenario (SPEC part B).
//!
//! A run is a pure function of (scenario, seed): replication `i` draws from streams seeded
//! by (seed, i, stream, index) ([`seed`]), replications run in parallel and are returned in
//! replication order, so the bytes out do not depend on the thread count.

mod arrivals;
pub mod event_queue;
pub mod ledger;
pub mod presets;
pub mod seed;
mod world;

pub use world::{RepStats, Replication};

use crate::metrics::Observer;
use crate::scenario::Scenario;
use crate::time::{Millis, SimTime};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT/SIGTERM (the binary's handler, `crate::cli`): every long loop polls it
/// (replications every [`CANCEL_CHECK_EVENTS`] events and at their start, the planner
/// tools between candidates and grid points, the output directory before it commits) and
/// stops without writing anything. A library caller may pass its own flag instead.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// A replication polls its cancel flag once every this many events: about a millisecond
/// of work, so an interrupt is seen at once even when events are slow, at no measurable
/// cost (one relaxed load per 4 096 events).
pub const CANCEL_CHECK_EVENTS: u64 = 4096;

/// Why a replication stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error(
        "the run exceeded its limit of {limit} simulated events (at simulated time {at}); \
         raise `run.max_events` in the scenario if the run is meant to be this large"
    )]
    EventLimit { limit: u64, at: SimTime },
    #[error(
        "the run exceeded its limit of {} s of simulated time (at {at}); raise \
         `run.max_sim_time_s` in the scenario, or check for work that never drains",
        limit.as_millis() / 1000
    )]
    TimeLimit { limit: Millis, at: SimTime },
    #[error(
        "the desk is overloaded: {limit} customers were waiting at once (at simulated time \
         {at}), the most a run holds; add agents, give customers a finite patience, or \
         lower the arrival rate"
    )]
    Overloaded { limit: u32, at: SimTime },
    #[error("the run was interrupted")]
    Interrupted,
}

/// Most customers a replication lets wait at once (about 200 bytes each, so about
/// 200 MB at the limit): a desk whose queue grows past it is overloaded, and the run ends
/// with [`SimError::Overloaded`] instead of growing its memory without bound.
pub const MAX_WAITING: u32 = 1_000_000;

/// Most worker threads a run starts, whatever it is asked for.
pub const MAX_THREADS: usize = 1024;

/// One finished replication: its observer and totals, and the wall time it took.
pub struct RepOutcome<O> {
    pub observer: O,
    pub stats: RepStats,
    pub wall_secs: f64,
}

/// Runs every replication of `sc` under `seed` on `threads` threads (see [`worker_pool`]:
/// 0 = all cores, never more than the replications or [`MAX_THREADS`], fewer when the
/// system refuses them), each observed by `make(rep)`, and returns them in replication
/// order. `cancel`, when set, stops the run with [`SimError::Interrupted`]: it is checked
/// before each replication, inside each every [`CANCEL_CHECK_EVENTS`] events, and once
/// more after the last. `on_done` is called as each replication finishes (for a progress
/// bar). Keeps every outcome: a caller that only summarizes should stream them with
/// [`run_replications_streamed`].
pub fn run_replications<O, F>(
    sc: &Scenario,
    seed: u64,
    threads: usize,
    make: F,
    cancel: &AtomicBool,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<RepOutcome<O>>, SimError>
where
    O: Observer + Send,
    F: Fn(u32) -> O + Sync,
{
    let mut all = Vec::with_capacity(sc.run.replications as usize);
    run_replications_streamed(sc, seed, threads, make, cancel, on_done, |o| all.push(o))?;
    Ok(all)
}

/// Replications run at once per worker thread in [`run_replications_streamed`]: enough
/// that the workers rarely wait for a chunk's slowest replication, few enough that the
/// outcomes held at once stay a handful.
const CHUNK_PER_THREAD: usize = 4;

/// As [`run_replications`], but hands each outcome to `sink` in replication order as soon
/// as it and every earlier one are done, holding at most a chunk of outcomes at a time
/// (a few per worker thread): memory does not grow with the replications.
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
        let started = std::time::Instant::now();
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
    let reps = sc.run.replications;
    let pool = worker_pool(threads, reps as usize);
    let chunk = pool
        .as_ref()
        .map_or(1, |p| p.current_num_threads() * CHUNK_PER_THREAD) as u32;
    let mut first = 0u32;
    while first < reps {
        let range = first..reps.min(first.saturating_add(chunk));
        first = range.end;
        let results: Vec<Result<RepOutcome<O>, SimError>> = match &pool {
            Some(pool) => pool.install(|| range.into_par_iter().map(one).collect()),
            // Not even one worker thread could be started: run here, one after another.
            None => range.map(one).collect(),
        };
        for r in results {
            sink(r?);
        }
    }
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
