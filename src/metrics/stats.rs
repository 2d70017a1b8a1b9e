//! Statistics over replications: the mean with a Student-t 95 % confidence interval (the
//! t quantile comes from [`crate::math`]).

use crate::math::student_t_quantile;
use serde::Serialize;

/// One figure over replications: its mean, the half-width of its 95 % confidence
/// interval, and the value of every replication in replication order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stat {
    /// Mean over the replications where the figure is defined.
    pub mean: f64,
    /// t(0.975, n−1) · s / √n over those n replications; 0 when n ≤ 1.
    pub ci95_half_width: f64,
    /// The figure of each replication; NaN (written `null` in JSON) where undefined. Kept
    /// for run-level figures only (interval, group and agent figures are streamed, see
    /// `Summarizer`), and left out of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_replication: Vec<f64>,
}

impl Stat {
    /// Mean and 95 % CI of `values`, skipping non-finite ones (undefined in that
    /// replication, e.g. a ratio whose denominator was 0). With no finite value at all the
    /// mean and half-width are NaN.
    pub fn from_values(values: Vec<f64>) -> Stat {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite.len();
        if n == 0 {
            return Stat {
                mean: f64::NAN,
                ci95_half_width: f64::NAN,
                per_replication: values,
            };
        }
        let mean = finite.iter().sum::<f64>() / n as f64;
        let ci95_half_width = if n < 2 {
            0.0
        } else {
            let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
            student_t_quantile(0.975, (n - 1) as f64) * (var / n as f64).sqrt()
        };
        Stat {
            mean,
            ci95_half_width,
            per_replication: values,
        }
    }

    /// The same figure with every non-finite number replaced by 0, so that the fixed
    /// `summary.json` contract ("number") always holds.
    pub fn finite_or_zero(mut self) -> Stat {
        let fix = |v: f64| if v.is_finite() { v } else { 0.0 };
        self.mean = fix(self.mean);
        self.ci95_half_width = fix(self.ci95_half_width);
        self.per_replication.iter_mut().for_each(|v| *v = fix(*v));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_of_replications() {
        let s = Stat::from_values(vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        // sd = sqrt(2.5); half width = t(0.975, 4) · sd / √5
        let want = 2.776_445_105 * (2.5f64 / 5.0).sqrt();
        assert!((s.ci95_half_width - want).abs() < 1e-8);
        let one = Stat::from_values(vec![7.0]);
        assert_eq!((one.mean, one.ci95_half_width), (7.0, 0.0));
        let some_undefined = Stat::from_values(vec![f64::NAN, 2.0, 4.0]);
        assert_eq!(some_undefined.mean, 3.0);
        assert!(some_undefined.per_replication[0].is_nan());
        let none = Stat::from_values(vec![f64::NAN]).finite_or_zero();
        assert_eq!(
            (none.mean, none.ci95_half_width, none.per_replication),
            (0.0, 0.0, vec![0.0])
        );
    }
}
