//! What `chatsim sweep` finds, as data: every grid point's summary, which the tool
//! computes (`tools::sweep`) and the report writes (`report::sweep`).

use crate::metrics::catalogue::Metric;
use crate::metrics::RunSummary;

/// One axis of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<toml::Value>,
}

/// A finished sweep.
#[derive(Clone, Debug)]
pub struct SweepResult {
    pub axes: Vec<Axis>,
    pub points: Vec<Vec<toml::Value>>,
    pub summaries: Vec<RunSummary>,
    /// The metrics compared (Pareto front, heat maps).
    pub metrics: Vec<Metric>,
    /// The Pareto-best points' indices, in grid order (on the compared metrics' means).
    pub pareto: Vec<usize>,
}

impl SweepResult {
    /// The chosen metrics' means, per point.
    pub fn means(&self) -> Vec<Vec<f64>> {
        self.summaries
            .iter()
            .map(|s| {
                self.metrics
                    .iter()
                    .map(|&m| s.metrics.get(m).map_or(f64::NAN, |x| x.mean))
                    .collect()
            })
            .collect()
    }
}

/// A value as written in the CSV and tables: strings bare, everything else as TOML.
pub fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
