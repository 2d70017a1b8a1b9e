//! Statistics over replications: the mean with a Student-t 95 % confidence interval (the
//! t quantile comes from [`crate::math`]), and the paired difference of two configurations
//! run with common random numbers ([`Paired`]).

use crate::math::{student_t_quantile, t975};
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
            t975((n - 1) as u64) * (var / n as f64).sqrt()
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

/// One figure of two configurations A and B whose replication i shared its random
/// streams (common random numbers): the paired difference d_i = B_i − A_i, with its mean
/// and Student-t 95 % CI over the replications where both are defined. Pairing is what
/// makes the comparison precise: the luck both sides share (a busy morning, a run of long
/// chats) cancels in d_i, so the CI is of the configurations' difference alone.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    /// Replications where the figure is defined on both sides (finite in A and in B).
    pub n: usize,
    /// A's mean and half-width over those n replications (no per-replication values: the
    /// differences carry them).
    pub a: Stat,
    /// B's over the same n replications.
    pub b: Stat,
    /// d_i = B_i − A_i; its mean is B's mean − A's mean, its half-width the paired one.
    pub diff: Stat,
    /// The half-width the same difference of means would have if A's and B's replications
    /// were independent (Welch's two-sample t interval): what pairing saves, shown next to it.
    pub unpaired_ci95_half_width: f64,
}

impl Paired {
    /// Pairs `a[i]` with `b[i]` (replication i of each side); a replication where either
    /// value is not finite is left out of every figure.
    pub fn from_pairs(a: &[f64], b: &[f64]) -> Paired {
        assert_eq!(a.len(), b.len(), "both sides have the same replications");
        let both = |i: usize| a[i].is_finite() && b[i].is_finite();
        let keep = |v: &[f64]| -> Vec<f64> {
            (0..v.len())
                .map(|i| if both(i) { v[i] } else { f64::NAN })
                .collect()
        };
        let (a, b) = (Stat::from_values(keep(a)), Stat::from_values(keep(b)));
        let d: Vec<f64> = a
            .per_replication
            .iter()
            .zip(&b.per_replication)
            .map(|(x, y)| y - x)
            .collect();
        let n = d.iter().filter(|v| v.is_finite()).count();
        let unpaired_ci95_half_width = welch_half_width(&a, &b, n);
        let figures_only = |s: Stat| Stat {
            per_replication: Vec::new(),
            ..s
        };
        Paired {
            n,
            a: figures_only(a),
            b: figures_only(b),
            diff: Stat::from_values(d),
            unpaired_ci95_half_width,
        }
    }

    /// Whether the 95 % CI of the difference excludes 0 (never with fewer than two pairs:
    /// one replication gives no interval).
    pub fn significant(&self) -> bool {
        let (m, hw) = (self.diff.mean, self.diff.ci95_half_width);
        self.n >= 2 && m.is_finite() && hw.is_finite() && (m - hw > 0.0 || m + hw < 0.0)
    }

    /// The difference relative to A's mean, (B − A) / |A|; NaN when A's mean is 0 or
    /// undefined.
    pub fn relative_change(&self) -> f64 {
        let base = self.a.mean.abs();
        if base > 0.0 && base.is_finite() {
            self.diff.mean / base
        } else {
            f64::NAN
        }
    }
}

/// Welch's 95 % half-width for the difference of two means over `n` values each:
/// t(0.975, ν) · √(s²_A/n + s²_B/n), ν by Welch–Satterthwaite; 0 when both sides are
/// constant, NaN below two values.
fn welch_half_width(a: &Stat, b: &Stat, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let var = |s: &Stat| {
        let v: Vec<f64> = s
            .per_replication
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        v.iter().map(|x| (x - s.mean) * (x - s.mean)).sum::<f64>() / (n - 1) as f64 / n as f64
    };
    let (va, vb) = (var(a), var(b));
    if va + vb == 0.0 {
        return 0.0;
    }
    let df = (va + vb).powi(2) / ((va * va + vb * vb) / (n - 1) as f64);
    student_t_quantile(0.975, df) * (va + vb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four replications worked by hand. A = 10, 12, 11, 13 and B = 12, 15, 12, 16, so
    /// d = 2, 3, 1, 3: mean 9/4 = 2.25; deviations −0.25, 0.75, −1.25, 0.75, squares sum
    /// to 2.75, s² = 2.75/3; half-width t(0.975, 3) · √(s²/4) = 3.182446305 · 0.478714 =
    /// 1.52348: the CI 0.727 … 3.773 excludes 0. Means 11.5 and 13.75 (13.75 − 11.5 =
    /// 2.25), relative change 2.25/11.5 = 0.195652.
    /// Unpaired: s²_A = 5/3, s²_B = 12.75/3, so s²/n = 0.416667 and 1.0625, se =
    /// √1.479167 = 1.216210; ν = 1.479167² / ((0.416667² + 1.0625²)/3) = 5.0394, so t is
    /// between t(0.975, 6) = 2.446912 and t(0.975, 5) = 2.570582: half-width 2.98 … 3.13,
    /// and that CI contains 0. The shared luck (A and B rise and fall together) is what the
    /// pairing takes out.
    #[test]
    fn paired_difference_of_four_replications_by_hand() {
        let p = Paired::from_pairs(&[10.0, 12.0, 11.0, 13.0], &[12.0, 15.0, 12.0, 16.0]);
        assert_eq!(p.n, 4);
        assert_eq!((p.a.mean, p.b.mean, p.diff.mean), (11.5, 13.75, 2.25));
        assert_eq!(p.diff.per_replication, vec![2.0, 3.0, 1.0, 3.0]);
        let hw = 3.182_446_305 * (2.75f64 / 3.0 / 4.0).sqrt();
        assert!((p.diff.ci95_half_width - hw).abs() < 1e-8, "{p:?}");
        assert!((p.diff.ci95_half_width - 1.52348).abs() < 1e-5);
        assert!(p.significant());
        assert!((p.relative_change() - 2.25 / 11.5).abs() < 1e-15);
        let se = (5.0f64 / 12.0 + 12.75 / 12.0).sqrt();
        assert!((se - 1.216_210).abs() < 1e-6);
        let u = p.unpaired_ci95_half_width;
        assert!(u > 2.446_912 * se && u < 2.570_582 * se, "{u}");
        assert!(p.diff.mean - u < 0.0, "unpaired, the CI contains 0");
        // B − A = −(A − B): the sign flips, nothing else.
        let q = Paired::from_pairs(&[12.0, 15.0, 12.0, 16.0], &[10.0, 12.0, 11.0, 13.0]);
        assert_eq!(q.diff.mean, -2.25);
        assert_eq!(q.diff.ci95_half_width, p.diff.ci95_half_width);
        assert!(q.significant());
    }

    /// Only replications defined on both sides count: here replication 1 (A undefined)
    /// and 2 (B undefined) drop out, leaving n = 2 pairs, d = 1 and 3.
    #[test]
    fn incomplete_pairs_are_left_out() {
        let nan = f64::NAN;
        let p = Paired::from_pairs(&[1.0, nan, 3.0, 2.0], &[2.0, 5.0, nan, 5.0]);
        assert_eq!(p.n, 2);
        assert_eq!((p.a.mean, p.b.mean, p.diff.mean), (1.5, 3.5, 2.0));
        assert!(p.diff.per_replication[1].is_nan() && p.diff.per_replication[2].is_nan());
        // d = 1, 3: s = √2, half-width t(0.975, 1) · √2/√2 = 12.706.
        assert!((p.diff.ci95_half_width - 12.706_204_736).abs() < 1e-6);
        assert!(!p.significant());
        // One pair: no interval, never significant; none: nothing at all.
        let one = Paired::from_pairs(&[1.0, nan], &[4.0, 2.0]);
        assert_eq!(
            (one.n, one.diff.mean, one.diff.ci95_half_width),
            (1, 3.0, 0.0)
        );
        assert!(!one.significant());
        let none = Paired::from_pairs(&[nan], &[1.0]);
        assert_eq!(none.n, 0);
        assert!(none.diff.mean.is_nan() && !none.significant());
        assert!(none.relative_change().is_nan());
    }

    /// A constant shift is a difference known exactly: half-width 0, significant; equal
    /// sides differ by exactly 0 and are not.
    #[test]
    fn exact_differences() {
        let p = Paired::from_pairs(&[1.0, 5.0, 2.0], &[2.0, 6.0, 3.0]);
        assert_eq!((p.diff.mean, p.diff.ci95_half_width), (1.0, 0.0));
        assert!(p.significant());
        let same = Paired::from_pairs(&[1.0, 5.0, 2.0], &[1.0, 5.0, 2.0]);
        assert_eq!((same.diff.mean, same.diff.ci95_half_width), (0.0, 0.0));
        assert!(!same.significant());
        assert_eq!(same.relative_change(), 0.0);
    }

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
