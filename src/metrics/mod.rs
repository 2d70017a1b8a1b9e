//! Metrics: streamed from the simulator's [`Observer`](crate::sim::Observer) calls,
//! summarised per replication and over replications.

pub mod catalogue;
pub mod collector;
pub mod erlang;
pub mod laws;
pub mod stats;
pub mod summary;
pub mod target;

pub use catalogue::{Level, Metric};
pub use collector::{
    AgentMetrics, Collector, Counts, GroupMetrics, IntervalMetrics, RepMetrics, Totals,
};
pub use stats::{Paired, Stat};
pub use summary::{
    summarize, AgentSummary, GroupSummary, IntervalSummary, MetricSet, Ordered, RepDetail,
    RepFigures, RunSummary, Summarizer,
};
