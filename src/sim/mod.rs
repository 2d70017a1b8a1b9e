//! The simulator: one driver of the dispatch engine, on a virtual clock, against a
//! scenario (SPEC part B).
//!
//! One [`Replication`] is a pure function of (scenario, seed, i): it draws from streams
//! seeded by (seed, i, stream, index) ([`seed`]) and tells its [`Observer`] what happens.
//! Running many of them (in parallel, in replication order) is [`crate::pipeline`]'s job.

mod arrivals;
pub mod event_queue;
pub mod ledger;
mod observer;
pub mod presets;
pub mod quad_heap;
pub mod seed;
mod world;

pub use observer::{ChatEvent, DisconnectKind, NullObserver, Observer};
pub use world::{RepStats, Replication};

use crate::time::{Millis, SimTime};

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
