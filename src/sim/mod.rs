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
        limit.0 / 1000
    )]
    TimeLimit { limit: Millis, at: SimTime },
    #[error("the run was interrupted")]
    Interrupted,
}

/// Most worker threads a run starts, whatever it is asked for.
pub const MAX_THREADS: usize = 1024;

/// One finished replication: its observer and totals, and the wall time it took.
pub struct RepOutcome<O> {
    pub observer: O,
    pub stats: RepStats,
    pub wall_secs: f64,
}

/// Runs every replication of `sc` under `seed` on `threads` threads (0 = all cores; never
/// more than the replications or [`MAX_THREADS`]),
/// each observed by `make(rep)`, and returns them in replication order. `cancel`, when set,
/// stops the run with [`SimError::Interrupted`]; `on_done` is called as each replication
/// finishes (for a progress bar).
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
    // More workers than replications would only idle, and `--threads 100000` would spend
    // minutes and gigabytes starting them.
    let threads = match threads {
        0 => 0,
        n => n.min(sc.run.replications as usize).min(MAX_THREADS),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let results: Vec<Result<RepOutcome<O>, SimError>> = pool.install(|| {
        (0..sc.run.replications)
            .into_par_iter()
            .map(|rep| {
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
            })
            .collect()
    });
    results.into_iter().collect()
}
