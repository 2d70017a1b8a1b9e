//! Metrics: streamed from the simulator's [`Observer`](crate::sim::Observer) calls,
//! summarised per replication and over replications.

pub mod collector;
pub mod erlang;
pub mod figures;
pub mod histogram;
mod interval_waits;
pub mod laws;
pub mod spool;
pub mod stats;
pub mod summary;
pub mod target;

/// The metric catalogue lives below the scenario (a scenario's `[targets]` name metrics);
/// `metrics::catalogue` is its path from here up, as before.
pub use crate::catalogue;

pub use catalogue::{Level, Metric};
pub use collector::Collector;
pub use figures::{
    AgentMetrics, Counts, GroupMetrics, IntervalMetrics, QueueMetrics, RepMetrics, Totals,
};
pub use stats::{Paired, Stat};
pub use summary::{
    summarize, AgentSummary, GroupSummary, IntervalSummary, MetricSet, Ordered, QueueSummary,
    RepDetail, RepFigures, RunSummary, Summarizer,
};
