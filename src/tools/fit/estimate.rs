//! Maximum likelihood with what a chat log really shows: exact values, values known only
//! to lie in an interval (a count of messages is a rounded draw), values known only to
//! exceed a bound (right-censored: the patience of a customer who was connected before
//! giving up), and samples seen only below a bound (truncated: a think time longer than
//! the message interval ends in a disconnect, never in a message).
//!
//! Each family is fitted on the log scale of its parameters by Nelder–Mead (1 or 2
//! dimensions, from moment estimates), and its 95 % confidence intervals come from the
//! observed Fisher information there (the inverse Hessian of −ln L by central
//! differences): exp(ln θ̂ ± z·se), so an interval never leaves (0, ∞).

use super::family::{Family, Model};
use std::collections::HashMap;

/// One observation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Obs {
    /// The value itself.
    Exact(f64),
    /// Somewhere in (lo, hi]; `lo` may be −∞.
    Between(f64, f64),
    /// Larger than this (right-censored).
    Above(f64),
}

/// A sample, each distinct observation once with its multiplicity, and the truncation
/// bound every observation lies at or below, if any.
#[derive(Clone, Debug, Default)]
pub struct Data {
    pub obs: Vec<(Obs, f64)>,
    pub truncated_at: Option<f64>,
}

impl Data {
    /// Groups equal observations (counts repeat a lot; durations in ms a little).
    pub fn new(obs: impl IntoIterator<Item = Obs>, truncated_at: Option<f64>) -> Data {
        let mut seen: HashMap<(u8, u64, u64), usize> = HashMap::new();
        let mut out: Vec<(Obs, f64)> = Vec::new();
        for o in obs {
            let key = match o {
                Obs::Exact(x) => (0, x.to_bits(), 0),
                Obs::Between(a, b) => (1, a.to_bits(), b.to_bits()),
                Obs::Above(c) => (2, c.to_bits(), 0),
            };
            match seen.get(&key) {
                Some(&i) => out[i].1 += 1.0,
                None => {
                    seen.insert(key, out.len());
                    out.push((o, 1.0));
                }
            }
        }
        // A fixed order (the map's is not): sums, and so the optimiser's path, are the
        // same on every run.
        // At equal values events come first: the Kaplan–Meier convention.
        let censored = |o: &Obs| matches!(o, Obs::Above(_));
        out.sort_by(|a, b| {
            order_key(&a.0)
                .total_cmp(&order_key(&b.0))
                .then(censored(&a.0).cmp(&censored(&b.0)))
        });
        Data {
            obs: out,
            truncated_at,
        }
    }

    /// Observations that are not censored (exact or interval).
    pub fn events(&self) -> f64 {
        self.obs
            .iter()
            .filter(|(o, _)| !matches!(o, Obs::Above(_)))
            .map(|(_, w)| w)
            .sum()
    }

    /// All observations.
    pub fn len(&self) -> f64 {
        self.obs.iter().map(|(_, w)| w).sum()
    }

    /// Mean and variance of the uncensored values (an interval at its upper end less
    /// half its width, or at its upper end when open below): starting points only.
    pub fn moments(&self) -> Option<(f64, f64)> {
        let (mut n, mut s, mut ss) = (0.0, 0.0, 0.0);
        for &(o, w) in &self.obs {
            let x = match o {
                Obs::Exact(x) => x,
                Obs::Between(a, b) if a.is_finite() => (a + b) / 2.0,
                Obs::Between(_, b) => (b - 0.5).max(b / 2.0),
                Obs::Above(_) => continue,
            };
            n += w;
            s += w * x;
            ss += w * x * x;
        }
        if n < 1.0 {
            return None;
        }
        let mean = s / n;
        Some((mean, (ss / n - mean * mean).max(0.0)))
    }
}

fn order_key(o: &Obs) -> f64 {
    match *o {
        Obs::Exact(x) => x,
        Obs::Between(_, b) => b,
        Obs::Above(c) => c,
    }
}

/// ln L of `model` on `data`.
pub fn log_likelihood(model: &Model, data: &Data) -> f64 {
    let mut total = 0.0;
    for &(o, w) in &data.obs {
        let l = match o {
            // Durations are whole milliseconds: a 0 is the interval [0, 0.5 ms), where
            // a density that is infinite at 0 (gamma or Weibull of shape < 1) would
            // make the likelihood unbounded.
            Obs::Exact(x) if x < 0.000_5 => model.cdf_sf(0.000_5).0.ln(),
            Obs::Exact(x) => model.ln_pdf(x),
            Obs::Between(a, b) => {
                let (fa, sa) = if a.is_finite() {
                    model.cdf_sf(a)
                } else {
                    (0.0, 1.0)
                };
                let (fb, sb) = model.cdf_sf(b);
                // The difference on the accurate side: upper tails by survival.
                let p = if fb > 0.5 { sa - sb } else { fb - fa };
                p.ln()
            }
            Obs::Above(c) => model.cdf_sf(c).1.ln(),
        };
        total += w * l;
    }
    if let Some(t) = data.truncated_at {
        total -= data.len() * model.cdf_sf(t).0.ln();
    }
    if total.is_nan() {
        f64::NEG_INFINITY
    } else {
        total
    }
}

/// A family fitted by maximum likelihood.
#[derive(Clone, Debug)]
pub struct Fitted {
    pub model: Model,
    pub log_likelihood: f64,
    /// Free parameters (for AIC): Erlang's k counts.
    pub k_params: usize,
    /// Standard errors of ln(parameter), in [`Model::params`] order; NaN where the
    /// information matrix was not positive definite (or the parameter is fixed, as
    /// Erlang's k).
    pub log_se: Vec<f64>,
}

/// Minimises `f` from `x0` by Nelder–Mead (dimension 1 or 2), with a first step of
/// `step` along each axis; stops when the simplex's values agree to 1e-10 (relative) or
/// after 2 000 iterations. Non-finite values count as +∞.
pub fn nelder_mead(f: impl Fn(&[f64]) -> f64, x0: &[f64], step: f64) -> Vec<f64> {
    let n = x0.len();
    let g = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut pts: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += step;
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| g(p)).collect();
    for _ in 0..2000 {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        pts = order.iter().map(|&i| pts[i].clone()).collect();
        vals = order.iter().map(|&i| vals[i]).collect();
        let (best, worst) = (vals[0], vals[n]);
        if best.is_finite() && (worst - best).abs() <= 1e-10 * (1.0 + best.abs()) {
            let spread = pts[1..]
                .iter()
                .flat_map(|p| p.iter().zip(&pts[0]).map(|(a, b)| (a - b).abs()))
                .fold(0.0, f64::max);
            if spread < 1e-7 {
                break;
            }
        }
        let centroid: Vec<f64> = (0..n)
            .map(|d| pts[..n].iter().map(|p| p[d]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|d| centroid[d] + t * (pts[n][d] - centroid[d]))
                .collect()
        };
        let reflected = along(-1.0);
        let fr = g(&reflected);
        if fr < vals[0] {
            let expanded = along(-2.0);
            let fe = g(&expanded);
            (pts[n], vals[n]) = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < vals[n - 1] {
            (pts[n], vals[n]) = (reflected, fr);
        } else {
            let contracted = if fr < vals[n] {
                along(-0.5)
            } else {
                along(0.5)
            };
            let fc = g(&contracted);
            if fc < vals[n].min(fr) {
                (pts[n], vals[n]) = (contracted, fc);
            } else {
                for i in 1..=n {
                    pts[i] = (0..n)
                        .map(|d| pts[0][d] + 0.5 * (pts[i][d] - pts[0][d]))
                        .collect();
                    vals[i] = g(&pts[i]);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&a, &b| vals[a].total_cmp(&vals[b]))
        .unwrap_or(0);
    pts[best].clone()
}

/// Standard errors at `theta` from the inverse Hessian of `neg_ll` (central differences
/// with step 1e-3 on the log scale); NaN when it is not positive definite.
fn standard_errors(neg_ll: &impl Fn(&[f64]) -> f64, theta: &[f64]) -> Vec<f64> {
    let h = 1e-3;
    let at = |d: &[(usize, f64)]| {
        let mut x = theta.to_vec();
        for &(i, dx) in d {
            x[i] += dx;
        }
        neg_ll(&x)
    };
    let f0 = neg_ll(theta);
    let n = theta.len();
    let mut hess = vec![vec![0.0; n]; n];
    for (i, j) in (0..n).flat_map(|i| (0..=i).map(move |j| (i, j))) {
        let v = if i == j {
            (at(&[(i, h)]) - 2.0 * f0 + at(&[(i, -h)])) / (h * h)
        } else {
            (at(&[(i, h), (j, h)]) - at(&[(i, h), (j, -h)]) - at(&[(i, -h), (j, h)])
                + at(&[(i, -h), (j, -h)]))
                / (4.0 * h * h)
        };
        hess[i][j] = v;
        hess[j][i] = v;
    }
    let nan = vec![f64::NAN; n];
    match n {
        1 if hess[0][0] > 0.0 => vec![(1.0 / hess[0][0]).sqrt()],
        2 => {
            let det = hess[0][0] * hess[1][1] - hess[0][1] * hess[1][0];
            if hess[0][0] > 0.0 && det > 0.0 {
                vec![(hess[1][1] / det).sqrt(), (hess[0][0] / det).sqrt()]
            } else {
                nan
            }
        }
        _ => nan,
    }
}

/// Starting point on the log scale from the sample's moments.
fn start(family: Family, mean: f64, var: f64) -> Vec<f64> {
    let mean = mean.max(1e-3);
    let sd = var.sqrt().max(mean * 0.05);
    let cv = sd / mean;
    match family {
        Family::Exponential | Family::Erlang(_) => vec![mean.ln()],
        Family::Normal | Family::LogNormal => vec![mean.ln(), sd.ln()],
        Family::Gamma => {
            let shape = 1.0 / (cv * cv);
            vec![shape.ln(), (mean / shape).ln()]
        }
        Family::Weibull => {
            let shape = cv.powf(-1.086).clamp(0.2, 50.0);
            let scale = mean / crate::math::ln_gamma(1.0 + 1.0 / shape).exp();
            vec![shape.ln(), scale.ln()]
        }
    }
}

/// Fits `family` to `data` by maximum likelihood; `None` when the sample has no
/// uncensored value or no finite likelihood anywhere near its moments.
pub fn fit_family(family: Family, data: &Data) -> Option<Fitted> {
    let (mean, var) = data.moments()?;
    let neg_ll = |theta: &[f64]| -log_likelihood(&family.model(theta), data);
    let theta = nelder_mead(neg_ll, &start(family, mean, var), 0.3);
    let ll = -neg_ll(&theta);
    if !ll.is_finite() {
        return None;
    }
    let mut log_se = standard_errors(&neg_ll, &theta);
    if let Family::Erlang(_) = family {
        log_se.insert(0, f64::NAN); // k: chosen, not estimated on a continuous scale
    }
    Some(Fitted {
        model: family.model(&theta),
        log_likelihood: ll,
        k_params: if matches!(family, Family::Erlang(_)) {
            2
        } else {
            family.dims()
        },
        log_se,
    })
}

/// Erlang: the best k near the gamma's shape (the likelihood in k is unimodal around
/// it), each with its mean by maximum likelihood.
pub fn fit_erlang(data: &Data, gamma_shape: Option<f64>) -> Option<Fitted> {
    let centre = gamma_shape.unwrap_or(1.0).clamp(1.0, 1000.0);
    let lo = (centre.floor() as u32).saturating_sub(1).max(1);
    let hi = (centre.ceil() as u32 + 1).min(1000);
    (lo..=hi)
        .filter_map(|k| fit_family(Family::Erlang(k), data))
        .max_by(|a, b| a.log_likelihood.total_cmp(&b.log_likelihood))
}

/// The uniform's maximum likelihood: the smallest and largest values (censored
/// observations above the largest push it up). Its likelihood is not regular, so its
/// intervals come from the order statistics instead (see [`uniform_ci`]).
pub fn fit_uniform(data: &Data) -> Option<Fitted> {
    let mut low = f64::INFINITY;
    let mut high: f64 = 0.0;
    for &(o, _) in &data.obs {
        let (a, b) = match o {
            Obs::Exact(x) => (x, x),
            Obs::Between(a, b) => (if a.is_finite() { a } else { 0.0 }, b),
            Obs::Above(c) => (f64::INFINITY, c),
        };
        low = low.min(a.max(0.0));
        high = high.max(b);
    }
    if !low.is_finite() || high <= low {
        return None;
    }
    let model = Model::Uniform { low, high };
    let ll = log_likelihood(&model, data);
    ll.is_finite().then_some(Fitted {
        model,
        log_likelihood: ll,
        k_params: 2,
        log_se: vec![f64::NAN, f64::NAN],
    })
}

/// 95 % intervals of the uniform's bounds from the order statistics: with n values on
/// [L, H], P(min − L > d) = (1 − d/(H − L))ⁿ ≈ e^{−nd/R}, so L lies in
/// [min − R·ln(40)/n, min] at 97.5 % one-sided, and H likewise above the max.
pub fn uniform_ci(low: f64, high: f64, n: f64) -> [(f64, f64); 2] {
    let d = (high - low) * 40f64.ln() / n.max(1.0);
    [((low - d).max(0.0), low), (high, high + d)]
}

/// The constant that explains every observation, if one does: all exact values equal
/// (to the millisecond), or every interval the same one, and no censored value above it.
pub fn fit_constant(data: &Data) -> Option<f64> {
    let mut value: Option<f64> = None;
    let mut bound: f64 = f64::NEG_INFINITY;
    for &(o, _) in &data.obs {
        let v = match o {
            Obs::Exact(x) => x,
            Obs::Between(_, b) => b - 0.5,
            Obs::Above(c) => {
                bound = bound.max(c);
                continue;
            }
        };
        match value {
            None => value = Some(v),
            Some(u) if (u - v).abs() < 5e-4 => {}
            Some(_) => return None,
        }
    }
    value.filter(|&v| v > bound)
}

/// The Kolmogorov–Smirnov distance between `model` (truncated as the data are) and the
/// sample's Kaplan–Meier estimate of its distribution (the plain empirical one when
/// nothing is censored): the largest gap, on either side of each uncensored value. For
/// an interval (a count) the step is compared with the model at its two edges: before
/// it at the lower, after it at the upper.
///
/// With censored values each gap is divided by Ŝ(t)·(1 + n σ̂²(t)) (Ŝ the Kaplan–Meier
/// survival, σ̂² Greenwood's sum Σ d/(r(r − d)), n every observation): Hall and Wellner's
/// weighting, under which √n × the distance tends to the supremum of a Brownian bridge on
/// part of [0, 1], so Kolmogorov's critical value 1.63/√n still bounds a 1 % test. The
/// plain distance has no such bound: where few values are still at risk (a patience
/// seen only through the few customers who waited long) the estimate jumps by 1/r, and
/// the right family was rejected (gamma patience, 338 abandons among 7 725 waits: plain
/// distance 0.356 against 1.63/√338 = 0.089), for an empirical fallback that drops the
/// censored waits and so halves the patience. Without censoring the weight is exactly 1
/// (Greenwood's sum telescopes to 1/(nŜ) − 1/n), and the plain distance is computed.
pub fn ks_distance(model: &Model, data: &Data) -> f64 {
    let scale = data
        .truncated_at
        .map_or(1.0, |t| model.cdf_sf(t).0.max(1e-300));
    let n = data.len();
    let censored = data.events() < n;
    let mut at_risk = n;
    let mut surv = 1.0;
    // Ŝ × Greenwood's sum, kept as a product so that it stays finite when the last
    // values at risk all end at once (Ŝ → 0 as the sum → ∞).
    let mut surv_greenwood = 0.0;
    let weight = |surv: f64, surv_greenwood: f64| {
        if censored {
            surv + n * surv_greenwood
        } else {
            1.0
        }
    };
    let mut d: f64 = 0.0;
    let mut i = 0;
    // Observations are sorted by value; at equal values, events before censorings.
    while i < data.obs.len() {
        let (o, w) = data.obs[i];
        i += 1;
        match o {
            Obs::Above(_) => at_risk -= w,
            Obs::Exact(_) | Obs::Between(..) => {
                // Before the step, the model just below the value (a count's lower
                // edge); after it, at the value (its upper edge).
                let (below, at) = match o {
                    Obs::Between(a, b) => (a, b),
                    Obs::Exact(x) | Obs::Above(x) => (x, x),
                };
                let cdf = |x: f64| {
                    if x.is_finite() {
                        (model.cdf_sf(x).0 / scale).min(1.0)
                    } else {
                        0.0
                    }
                };
                d = d.max((cdf(below) - (1.0 - surv)).abs() / weight(surv, surv_greenwood));
                if at_risk > 0.0 {
                    // Ŝ'σ̂'² = (1 − w/r) Ŝσ̂² + Ŝ w/r², from σ̂'² = σ̂² + w/(r(r − w)).
                    surv_greenwood =
                        (1.0 - w / at_risk) * surv_greenwood + surv * w / (at_risk * at_risk);
                    surv *= 1.0 - w / at_risk;
                }
                at_risk -= w;
                d = d.max((cdf(at) - (1.0 - surv)).abs() / weight(surv, surv_greenwood));
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_mle_of_three_points_worked_by_hand() {
        // x = 1, 2, 6: ln L(m) = −3 ln m − 9/m, maximal at m = 9/3 = 3 (the mean); the
        // information is −d²lnL/d(ln m)² = 9/m = 3 at m = 3, so se(ln m) = 1/√3.
        let data = Data::new([Obs::Exact(1.0), Obs::Exact(2.0), Obs::Exact(6.0)], None);
        let f = fit_family(Family::Exponential, &data).unwrap();
        let Model::Exponential { mean } = f.model else {
            panic!()
        };
        assert!((mean - 3.0).abs() < 1e-6, "{mean}");
        assert!((f.log_likelihood - (-3.0 * 3f64.ln() - 3.0)).abs() < 1e-9);
        assert!(
            (f.log_se[0] - 1.0 / 3f64.sqrt()).abs() < 1e-4,
            "{:?}",
            f.log_se
        );
    }

    #[test]
    fn censored_exponential_mle_is_total_time_over_events() {
        // Events at 10 and 30, censored at 20, 40 and 100: the MLE is the total time on
        // test over the events, (10 + 30 + 20 + 40 + 100) / 2 = 100.
        let data = Data::new(
            [
                Obs::Exact(10.0),
                Obs::Exact(30.0),
                Obs::Above(20.0),
                Obs::Above(40.0),
                Obs::Above(100.0),
            ],
            None,
        );
        let f = fit_family(Family::Exponential, &data).unwrap();
        let Model::Exponential { mean } = f.model else {
            panic!()
        };
        assert!((mean - 100.0).abs() < 1e-5, "{mean}");
        // Information 2 events: se(ln m) = 1/√2.
        assert!((f.log_se[0] - 0.5f64.sqrt()).abs() < 1e-4);
    }

    #[test]
    fn truncated_and_interval_likelihoods_by_hand() {
        // Exponential mean 1, truncated at 1: ln f(0.5) − ln F(1) = −0.5 − ln(1 − e^{−1}).
        let m = Model::Exponential { mean: 1.0 };
        let t = Data::new([Obs::Exact(0.5)], Some(1.0));
        let want = -0.5 - (1.0 - (-1f64).exp()).ln();
        assert!((log_likelihood(&m, &t) - want).abs() < 1e-12);
        // A count of 1 is (−∞, 1.5]: ln F(1.5); of 3 is (2.5, 3.5]: ln(e^{−2.5} − e^{−3.5}).
        let c = Data::new(
            [Obs::Between(f64::NEG_INFINITY, 1.5), Obs::Between(2.5, 3.5)],
            None,
        );
        let want = (1.0 - (-1.5f64).exp()).ln() + ((-2.5f64).exp() - (-3.5f64).exp()).ln();
        assert!((log_likelihood(&m, &c) - want).abs() < 1e-12);
    }

    #[test]
    fn ks_of_counts_compares_each_step_at_its_edges() {
        // Counts 1, 2, 2 against a model with P(N = 1) = F(1.5) = 1/3 and
        // P(N ≤ 2) = F(2.5) = 1 (uniform on [0, 2.5] gives F(1.5) = 0.6, F(2.5) = 1):
        // steps 1/3 at 1 and 1 at 2; gaps |0 − 0| and |0.6 − 1/3| at 1, then
        // |0.6 − 1/3| and |1 − 1| at 2: the largest is 0.6 − 1/3.
        let data = Data::new(
            [
                Obs::Between(f64::NEG_INFINITY, 1.5),
                Obs::Between(1.5, 2.5),
                Obs::Between(1.5, 2.5),
            ],
            None,
        );
        let u = Model::Uniform {
            low: 0.0,
            high: 2.5,
        };
        assert!((ks_distance(&u, &data) - (0.6 - 1.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn constant_uniform_and_ks_by_hand() {
        let same = Data::new([Obs::Exact(5.0), Obs::Exact(5.0), Obs::Above(3.0)], None);
        assert_eq!(fit_constant(&same), Some(5.0));
        let censored_past = Data::new([Obs::Exact(5.0), Obs::Above(7.0)], None);
        assert_eq!(fit_constant(&censored_past), None);
        let u = Data::new([Obs::Exact(2.0), Obs::Exact(4.0), Obs::Exact(6.0)], None);
        let f = fit_uniform(&u).unwrap();
        assert_eq!(
            f.model,
            Model::Uniform {
                low: 2.0,
                high: 6.0
            }
        );
        // KS of uniform(2, 6) against {2, 4, 6}: at 2, F = 0 against the step 0 → 1/3
        // (gap 1/3); at 4, F = 1/2 against 1/3 → 2/3 (1/6); at 6, F = 1 against 2/3 → 1
        // (1/3): the largest gap is 1/3.
        assert!((ks_distance(&f.model, &u) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ks_under_censoring_is_weighted_by_hall_and_wellner() {
        // Values 1 and 3, one censored at 2, against uniform(0, 8) (F(x) = x/8), n = 3.
        // At 1 (3 at risk): before, |1/8 − 0| = 0.125 (weight 1); after, Ŝ = 2/3,
        // Ŝσ̂² = 1 × 1/9, weight 2/3 + 3/9 = 1 (nothing censored yet), |1/8 − 1/3| =
        // 0.2083. The censoring at 2 leaves 1 at risk. At 3: before, |3/8 − 1/3| = 0.0417
        // (weight 1); after, Ŝ = 0, Ŝσ̂² = 0 + (2/3) × 1/1 = 2/3, weight 0 + 3 × 2/3 = 2,
        // |3/8 − 1| / 2 = 0.3125. The plain distance would be 0.625, from the one value
        // left at risk.
        let data = Data::new([Obs::Exact(1.0), Obs::Above(2.0), Obs::Exact(3.0)], None);
        let u = Model::Uniform {
            low: 0.0,
            high: 8.0,
        };
        assert!((ks_distance(&u, &data) - 0.3125).abs() < 1e-12);
        // Uncensored, the weight is 1 at every step: {1, 3} against uniform(0, 8) is the
        // plain distance, |3/8 − 1| = 0.625 after the last step.
        let plain = Data::new([Obs::Exact(1.0), Obs::Exact(3.0)], None);
        assert!((ks_distance(&u, &plain) - 0.625).abs() < 1e-12);
    }
}
