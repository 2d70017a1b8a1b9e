//! Metrics: streamed from simulator events, summarised per replication and over replications.

pub mod observer;

pub mod catalogue;
pub mod collector;
pub mod erlang;
pub mod laws;
pub mod stats;
pub mod summary;
pub mod target;

pub use catalogue::{Level, Metric};
pub use observer::{DisconnectKind, NullObserver, Observer};

pub use collector::{
    AgentMetrics, Collector, Counts, GroupMetrics, IntervalMetrics, RepMetrics, Totals,
};
pub use stats::{student_t_quantile, Stat};
pub use summary::{
    summarize, AgentSummary, GroupSummary, IntervalSummary, MetricSet, Ordered, RunSummary,
    Summarizer,
};
