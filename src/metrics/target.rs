//! Judging a target ([`crate::target::Target`], `metric op value`) on a metric's mean and
//! 95 % CI: `check`'s expectations, `staff`'s targets, a report's verdict.

use crate::metrics::Stat;
pub use crate::target::{Direction, Target};

/// How a target is judged from a metric's mean and 95 % CI.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// At the CI's conservative end: mean − half-width for `>=`, mean + half-width for `<=`.
    Conservative,
    /// At the mean alone.
    Mean,
}

impl Target {
    /// The figure the target is judged on: the CI's conservative end (or the mean).
    pub fn judged_value(&self, stat: &Stat, confidence: Confidence) -> f64 {
        let hw = if stat.ci95_half_width.is_finite() {
            stat.ci95_half_width
        } else {
            0.0
        };
        match (confidence, self.direction) {
            (Confidence::Mean, _) => stat.mean,
            (Confidence::Conservative, Direction::AtLeast) => stat.mean - hw,
            (Confidence::Conservative, Direction::AtMost) => stat.mean + hw,
        }
    }

    /// Whether `stat` meets the target under `confidence` (a NaN mean never does).
    pub fn holds(&self, stat: &Stat, confidence: Confidence) -> bool {
        self.holds_for(self.judged_value(stat, confidence))
    }
}
