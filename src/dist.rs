//! Probability distributions for durations (in seconds) and counts, checked before a run.
//!
//! Parameters are in natural units: seconds for durations (a scenario writes `mean_s`),
//! plain numbers for counts. A duration becomes ticks by rounding to the nearest
//! millisecond, never by truncation (see [`Millis::from_secs_f64_rounded`]).
//!
//! Sampling is on the simulator's hot path: [`Dist::sample`] is one `match` and one draw,
//! with no allocation. The few derived parameters (lognormal's μ and σ, gamma's
//! Marsaglia–Tsang constants) cost a handful of flops per draw, cheaper than a cache
//! that would change the variants' public fields.

use crate::time::Millis;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, Gamma, StandardNormal, Weibull};
use std::fmt;

/// Largest mean of a duration distribution, in seconds: 10⁷ s, about 116 days. Chat
/// durations are seconds to hours; a mean beyond this is a unit slip (ms for s, a missing
/// decimal point) and would make the planner tools size a desk for millions of Erlangs.
pub const MAX_MEAN_S: f64 = 1e7;

/// Largest mean of a count distribution (customer messages per chat).
pub const MAX_MEAN_COUNT: f64 = 10_000.0;

/// Largest coefficient of variation (sd ÷ mean) of a parametric distribution. Beyond
/// it the mean is carried by draws rarer than about one in a million while nearly every
/// draw is far below it (a lognormal with sd = 100 × mean has its median at mean ÷ 100),
/// so no run would see the distribution it was given. For gamma this is shape ≥ 10⁻⁴,
/// for Weibull shape ≳ 0.128; exponential, Erlang, uniform and the truncated normal are
/// always below it. Empirical samples are drawn as they are and are exempt.
pub const MAX_CV: f64 = 100.0;

/// Largest single draw, in natural units (10¹² s, the longest duration a scenario may
/// hold anywhere). A draw of an unbounded distribution beyond it is cut to it, which
/// keeps every instant an exact integer; an empirical sample beyond it is refused.
pub const MAX_DRAW: f64 = 1e12;

/// Resampling budget of the truncated normal; after this many negative draws in a row
/// (only when the mean sits many sds below 0) the draw is 0.
const NORMAL_MAX_TRIES: u32 = 1000;

/// A checked distribution. Construct through the scenario loader, which validates every
/// parameter; the variants hold ready-to-sample parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Constant { value: f64 },
    /// Exponential with the given mean.
    Exponential { mean: f64 },
    /// Uniform on [low, high].
    Uniform { low: f64, high: f64 },
    /// Normal(mean, sd), truncated at 0 by resampling.
    Normal { mean: f64, sd: f64 },
    /// Lognormal given by its own mean and sd (not those of the underlying normal).
    LogNormal { mean: f64, sd: f64 },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma { shape: f64, scale: f64 },
    /// Weibull with shape k and scale λ.
    Weibull { shape: f64, scale: f64 },
    /// Erlang: sum of `k` exponentials, total mean `mean`.
    Erlang { k: u32, mean: f64 },
    /// Uniform choice among samples (read from a CSV).
    Empirical { samples: Vec<f64> },
}

/// A parameter that breaks its distribution's rule, as found by [`Dist::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct DistParamError {
    /// The parameter's base name, without a unit suffix: "mean", "sd", "shape", "samples".
    pub param: &'static str,
    /// For `samples`, the index of the bad sample.
    pub index: Option<usize>,
    /// The offending value (NaN when the list is empty).
    pub value: f64,
    /// What the value must be besides finite, e.g. "> 0" or "≥ low".
    pub requirement: &'static str,
}

impl fmt::Display for DistParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(
                f,
                "{}[{}] = {} must be {}",
                self.param, i, self.value, self.requirement
            ),
            None if self.param == "samples" => write!(f, "samples must be {}", self.requirement),
            None => write!(
                f,
                "{} = {} must be {}",
                self.param, self.value, self.requirement
            ),
        }
    }
}

/// A distribution whose parameters are each valid but which, as a whole, no run could
/// use, as found by [`Dist::check_limits`].
#[derive(Clone, Debug, PartialEq)]
pub enum DistLimitError {
    /// The mean is over the limit ([`MAX_MEAN_S`] or [`MAX_MEAN_COUNT`]).
    MeanTooLarge { mean: f64, limit: f64 },
    /// The coefficient of variation is over [`MAX_CV`].
    TooSkewed {
        cv: f64,
        /// The median, where it has a closed form (lognormal, Weibull).
        median: Option<f64>,
    },
    /// An empirical sample over [`MAX_DRAW`].
    SampleTooLarge { index: usize, value: f64 },
}

/// A number for a message: plain when it reads well (`60`, `0.25`, `10000000`),
/// scientific when it would not (`1e300`, `1.5e-9`).
pub fn fmt_value(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-4..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A computed number for a message, to four significant digits: `93326215`, `0.06`,
/// `6e-5`, `3.169e292`.
pub fn fmt_approx(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let e = x.abs().log10().floor();
    if !(-4.0..15.0).contains(&e) {
        let t = format!("{x:.3e}");
        // 1.000e300 → 1e300, 6.000e-5 → 6e-5
        return match t.split_once('e') {
            Some((m, exp)) if m.contains('.') => {
                format!("{}e{exp}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => t,
        };
    }
    let decimals = (3.0 - e).max(0.0) as usize;
    let t = format!("{x:.decimals$}");
    if t.contains('.') {
        t.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        t
    }
}

/// A duration in seconds in the unit a person would use: `90 s`, `25 min`, `3.2 h`,
/// `116 days`, `3.2 years`.
pub fn fmt_duration_human(secs: f64) -> String {
    let round = |x: f64| {
        if x >= 100.0 {
            format!("{}", x.round())
        } else {
            format!("{}", (x * 10.0).round() / 10.0)
        }
    };
    if !secs.is_finite() {
        return format!("{secs} s");
    }
    if secs < 120.0 {
        format!("{} s", fmt_approx(secs))
    } else if secs < 7200.0 {
        format!("{} min", round(secs / 60.0))
    } else if secs < 172_800.0 {
        format!("{} h", round(secs / 3600.0))
    } else if secs < 2.0 * 31_557_600.0 {
        format!("{} days", round(secs / 86_400.0))
    } else if secs < 1e6 * 31_557_600.0 {
        format!("{} years", round(secs / 31_557_600.0))
    } else {
        format!("{} years", fmt_approx(secs / 31_557_600.0))
    }
}

impl Dist {
    /// Draws one value in natural units (never above [`MAX_DRAW`]).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = self.sample_unbounded(rng);
        // Not `min`: a NaN must stay NaN (it becomes 0 ms), not turn into MAX_DRAW.
        if x > MAX_DRAW {
            MAX_DRAW
        } else {
            x
        }
    }

    #[inline]
    fn sample_unbounded<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Dist::Uniform { low, high } => {
                let u: f64 = rng.random();
                low + (high - low) * u
            }
            Dist::Normal { mean, sd } => sample_truncated_normal(mean, sd, rng),
            Dist::LogNormal { mean, sd } => {
                if sd == 0.0 {
                    return mean;
                }
                LogNormalShape::new(mean, sd).sample(rng)
            }
            Dist::Gamma { shape, scale } => match Gamma::new(shape, scale) {
                Ok(g) => g.sample(rng),
                Err(_) => 0.0,
            },
            Dist::Weibull { shape, scale } => match Weibull::new(scale, shape) {
                Ok(w) => w.sample(rng),
                Err(_) => 0.0,
            },
            Dist::Erlang { k, mean } => {
                let k = f64::from(k.max(1));
                match Gamma::new(k, mean / k) {
                    Ok(g) => g.sample(rng),
                    Err(_) => 0.0,
                }
            }
            Dist::Empirical { ref samples } => {
                if samples.is_empty() {
                    return 0.0;
                }
                samples[rng.random_range(0..samples.len())]
            }
        }
    }

    /// Draws a duration in seconds and rounds it to the nearest millisecond.
    #[inline]
    pub fn sample_ms<R: Rng + ?Sized>(&self, rng: &mut R) -> Millis {
        Millis::from_secs_f64_rounded(self.sample(rng))
    }

    /// Draws a duration of the distribution scaled by `scale` ([`Dist::scaled`]: `scale`
    /// times a draw, the same in law) and rounds it to the nearest millisecond. With
    /// `scale = 1` it is [`Dist::sample_ms`], draw for draw.
    #[inline]
    pub fn sample_scaled_ms<R: Rng + ?Sized>(&self, rng: &mut R, scale: f64) -> Millis {
        let x = self.sample_unbounded(rng) * scale;
        Millis::from_secs_f64_rounded(if x > MAX_DRAW { MAX_DRAW } else { x })
    }

    /// The distribution of `c × X` for a draw X, `c > 0`: every kind is a scale family, so
    /// this is the same kind with its scale parameters multiplied by `c` (its shape, cv
    /// and skew unchanged) and its mean `c` times this one's. A forecast's AHT sets a
    /// holding time's mean this way.
    pub fn scaled(&self, c: f64) -> Dist {
        match *self {
            Dist::Constant { value } => Dist::Constant { value: value * c },
            Dist::Exponential { mean } => Dist::Exponential { mean: mean * c },
            Dist::Uniform { low, high } => Dist::Uniform {
                low: low * c,
                high: high * c,
            },
            // A normal truncated at 0, scaled, is the scaled normal truncated at 0.
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * c,
                sd: sd * c,
            },
            Dist::LogNormal { mean, sd } => Dist::LogNormal {
                mean: mean * c,
                sd: sd * c,
            },
            Dist::Gamma { shape, scale } => Dist::Gamma {
                shape,
                scale: scale * c,
            },
            Dist::Weibull { shape, scale } => Dist::Weibull {
                shape,
                scale: scale * c,
            },
            Dist::Erlang { k, mean } => Dist::Erlang { k, mean: mean * c },
            Dist::Empirical { ref samples } => Dist::Empirical {
                samples: samples.iter().map(|x| x * c).collect(),
            },
        }
    }

    /// This distribution scaled ([`Dist::scaled`]) to the mean `mean`; the parameter that
    /// is the mean (constant, exponential, lognormal, Erlang) is set to it exactly. `None`
    /// when this one's mean is 0 (a constant 0, say), which no factor can scale.
    pub fn with_mean(&self, mean: f64) -> Option<Dist> {
        let own = self.mean();
        if !(own > 0.0 && own.is_finite()) {
            return None;
        }
        Some(match self.scaled(mean / own) {
            Dist::Constant { .. } => Dist::Constant { value: mean },
            Dist::Exponential { .. } => Dist::Exponential { mean },
            Dist::LogNormal { sd, .. } => Dist::LogNormal { mean, sd },
            Dist::Erlang { k, .. } => Dist::Erlang { k, mean },
            other => other,
        })
    }

    /// Draws a count (e.g. a number of messages): rounded to nearest, at least 1.
    #[inline]
    pub fn sample_count<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        let x = self.sample(rng).round();
        if x.is_nan() || x < 1.0 {
            1
        } else if x >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            x as u32
        }
    }

    /// The distribution's mean in natural units (of the truncated normal for `Normal`).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant { value } => value,
            Dist::Exponential { mean } => mean,
            Dist::Uniform { low, high } => 0.5 * (low + high),
            Dist::Normal { mean, sd } => truncated_normal_moments(mean, sd).0,
            Dist::LogNormal { mean, .. } => mean,
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Weibull { shape, scale } => scale * gamma_fn(1.0 + 1.0 / shape),
            Dist::Erlang { mean, .. } => mean,
            Dist::Empirical { ref samples } => {
                if samples.is_empty() {
                    0.0
                } else {
                    samples.iter().sum::<f64>() / samples.len() as f64
                }
            }
        }
    }

    /// The distribution's variance in natural units squared (population variance for
    /// `Empirical`).
    pub fn variance(&self) -> f64 {
        match *self {
            Dist::Constant { .. } => 0.0,
            Dist::Exponential { mean } => mean * mean,
            Dist::Uniform { low, high } => (high - low) * (high - low) / 12.0,
            Dist::Normal { mean, sd } => truncated_normal_moments(mean, sd).1,
            Dist::LogNormal { sd, .. } => sd * sd,
            Dist::Gamma { shape, scale } => shape * scale * scale,
            Dist::Weibull { shape, scale } => {
                let g1 = gamma_fn(1.0 + 1.0 / shape);
                let g2 = gamma_fn(1.0 + 2.0 / shape);
                scale * scale * (g2 - g1 * g1).max(0.0)
            }
            Dist::Erlang { k, mean } => mean * mean / f64::from(k.max(1)),
            Dist::Empirical { ref samples } => {
                if samples.is_empty() {
                    return 0.0;
                }
                let m = self.mean();
                samples.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / samples.len() as f64
            }
        }
    }

    /// The coefficient of variation, sd ÷ mean, computed without overflow (in log space
    /// for Weibull, whose moments overflow long before its ratio does). Infinite when the
    /// mean is 0 and the sd is not; 0 for a point mass.
    pub fn cv(&self) -> f64 {
        match *self {
            Dist::Constant { .. } => 0.0,
            Dist::Exponential { .. } => 1.0,
            Dist::LogNormal { mean, sd } => sd / mean,
            Dist::Gamma { shape, .. } => 1.0 / shape.sqrt(),
            Dist::Erlang { k, .. } => 1.0 / f64::from(k.max(1)).sqrt(),
            Dist::Weibull { shape, .. } => {
                let ln_g1 = crate::math::ln_gamma(1.0 + 1.0 / shape);
                let ln_g2 = crate::math::ln_gamma(1.0 + 2.0 / shape);
                // cv² = Γ(1 + 2/k) / Γ(1 + 1/k)² − 1
                (ln_g2 - 2.0 * ln_g1).exp_m1().max(0.0).sqrt()
            }
            // Scaled so that no square overflows: below 1 ÷ √3, and below 1.
            Dist::Uniform { low, high } => {
                let mid = 0.5 * low + 0.5 * high;
                if high == low {
                    0.0
                } else {
                    (high - low) / 12f64.sqrt() / mid
                }
            }
            Dist::Normal { mean, sd } => {
                if sd == 0.0 {
                    return 0.0;
                }
                let (m, v) = truncated_normal_moments(mean / sd, 1.0);
                v.sqrt() / m
            }
            Dist::Empirical { .. } => {
                let m = self.mean();
                let v = self.variance();
                if v == 0.0 {
                    0.0
                } else {
                    v.sqrt() / m
                }
            }
        }
    }

    /// The median where it has a closed form: lognormal and Weibull (the distributions a
    /// skewed draw comes from), constant and exponential.
    pub fn median(&self) -> Option<f64> {
        match *self {
            Dist::Constant { value } => Some(value),
            Dist::Exponential { mean } => Some(mean * std::f64::consts::LN_2),
            // e^μ = mean ÷ √(1 + cv²); hypot does not overflow for a huge cv.
            Dist::LogNormal { mean, sd } => Some(mean / (sd / mean).hypot(1.0)),
            Dist::Weibull { shape, scale } => {
                Some(scale * std::f64::consts::LN_2.powf(1.0 / shape))
            }
            _ => None,
        }
    }

    /// Checks what each parameter alone cannot show: the mean is at most `max_mean`
    /// ([`MAX_MEAN_S`] for durations, [`MAX_MEAN_COUNT`] for counts), a parametric
    /// distribution is not skewed past [`MAX_CV`], and no empirical sample is over
    /// [`MAX_DRAW`]. Call after [`Dist::validate`].
    pub fn check_limits(&self, max_mean: f64) -> Result<(), DistLimitError> {
        if let Dist::Empirical { ref samples } = *self {
            if let Some((index, &value)) = samples.iter().enumerate().find(|(_, &x)| x > MAX_DRAW) {
                return Err(DistLimitError::SampleTooLarge { index, value });
            }
        } else {
            let cv = self.cv();
            if cv.is_nan() || cv > MAX_CV {
                return Err(DistLimitError::TooSkewed {
                    cv,
                    median: self.median(),
                });
            }
        }
        let mean = self.mean();
        if mean.is_nan() || mean > max_mean {
            return Err(DistLimitError::MeanTooLarge {
                mean,
                limit: max_mean,
            });
        }
        Ok(())
    }

    /// The name used in scenario files: "exponential", "lognormal", ….
    pub fn kind_name(&self) -> &'static str {
        match self {
            Dist::Constant { .. } => "constant",
            Dist::Exponential { .. } => "exponential",
            Dist::Uniform { .. } => "uniform",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
            Dist::Gamma { .. } => "gamma",
            Dist::Weibull { .. } => "weibull",
            Dist::Erlang { .. } => "erlang",
            Dist::Empirical { .. } => "empirical",
        }
    }

    /// A one-line human description, e.g. `lognormal(mean 30, sd 20)`.
    pub fn describe(&self) -> String {
        let v = |x: f64| fmt_value(x);
        match self {
            Dist::Constant { value } => format!("constant({})", v(*value)),
            Dist::Exponential { mean } => format!("exponential(mean {})", v(*mean)),
            Dist::Uniform { low, high } => format!("uniform({}, {})", v(*low), v(*high)),
            Dist::Normal { mean, sd } => {
                format!("normal(mean {}, sd {}, truncated at 0)", v(*mean), v(*sd))
            }
            Dist::LogNormal { mean, sd } => format!("lognormal(mean {}, sd {})", v(*mean), v(*sd)),
            Dist::Gamma { shape, scale } => {
                format!("gamma(shape {}, scale {})", v(*shape), v(*scale))
            }
            Dist::Weibull { shape, scale } => {
                format!("weibull(shape {}, scale {})", v(*shape), v(*scale))
            }
            Dist::Erlang { k, mean } => format!("erlang(k {k}, mean {})", v(*mean)),
            Dist::Empirical { samples } => {
                format!(
                    "empirical({} samples, mean {})",
                    samples.len(),
                    fmt_approx(self.mean())
                )
            }
        }
    }

    /// Checks every parameter: finite, positive means and scales, sd ≥ 0, shape > 0,
    /// k ≥ 1, 0 ≤ low ≤ high, non-empty samples all ≥ 0. Values are durations or counts,
    /// so nothing may be negative.
    pub fn validate(&self) -> Result<(), DistParamError> {
        fn err(param: &'static str, value: f64, requirement: &'static str) -> DistParamError {
            DistParamError {
                param,
                index: None,
                value,
                requirement,
            }
        }
        // Every number must also be finite; NaN fails every comparison below.
        fn non_negative(param: &'static str, v: f64) -> Result<(), DistParamError> {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(err(param, v, "≥ 0"))
            }
        }
        fn positive(param: &'static str, v: f64) -> Result<(), DistParamError> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(err(param, v, "> 0"))
            }
        }
        match *self {
            Dist::Constant { value } => non_negative("value", value),
            Dist::Exponential { mean } => positive("mean", mean),
            Dist::Uniform { low, high } => {
                non_negative("low", low)?;
                non_negative("high", high)?;
                if high < low {
                    return Err(err("high", high, "≥ low"));
                }
                Ok(())
            }
            Dist::Normal { mean, sd } | Dist::LogNormal { mean, sd } => {
                positive("mean", mean)?;
                non_negative("sd", sd)
            }
            Dist::Gamma { shape, scale } | Dist::Weibull { shape, scale } => {
                positive("shape", shape)?;
                positive("scale", scale)
            }
            Dist::Erlang { k, mean } => {
                if k < 1 {
                    return Err(err("k", f64::from(k), "an integer ≥ 1"));
                }
                positive("mean", mean)
            }
            Dist::Empirical { ref samples } => {
                if samples.is_empty() {
                    return Err(err("samples", f64::NAN, "a non-empty list"));
                }
                for (i, &x) in samples.iter().enumerate() {
                    if !(x.is_finite() && x >= 0.0) {
                        return Err(DistParamError {
                            param: "samples",
                            index: Some(i),
                            value: x,
                            requirement: "≥ 0",
                        });
                    }
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A lognormal by its mean and sd (> 0), as `exp(μ + σz)` = `mean · exp(σz − σ²/2)`
/// with σ² = ln(1 + cv²) and μ = ln(mean) − σ²/2: the one place the formula lives.
#[derive(Clone, Copy, Debug)]
struct LogNormalShape {
    mean: f64,
    sigma: f64,
    /// σ²/2.
    half_sigma2: f64,
}

impl LogNormalShape {
    #[inline]
    fn new(mean: f64, sd: f64) -> Self {
        let cv = sd / mean;
        let sigma2 = (cv * cv).ln_1p();
        LogNormalShape {
            mean,
            sigma: sigma2.sqrt(),
            half_sigma2: 0.5 * sigma2,
        }
    }

    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let z: f64 = StandardNormal.sample(rng);
        self.mean * (self.sigma * z - self.half_sigma2).exp()
    }
}

/// A distribution with what every draw would recompute worked out once: the lognormal's
/// σ and σ²/2 (a `log1p` and a square root per draw otherwise), and the exponential's
/// draw taken out of [`Dist`]'s `match` (an out-of-line call whose register saves and
/// dispatch cost about as much as the ziggurat draw itself). The same draws as
/// [`Dist::sample`], bit for bit (the same operations on the same values), for the
/// simulator's per-customer and per-message draws.
#[derive(Clone, Debug)]
pub struct Prepared {
    dist: Dist,
    shortcut: Shortcut,
}

/// How a [`Prepared`] draws: inline for the common kinds, else through [`Dist`].
#[derive(Clone, Copy, Debug)]
enum Shortcut {
    Exponential {
        mean: f64,
    },
    /// A lognormal with `sd > 0`, its shape worked out.
    LogNormal(LogNormalShape),
    General,
}

impl Prepared {
    pub fn new(dist: &Dist) -> Prepared {
        let shortcut = match *dist {
            Dist::Exponential { mean } => Shortcut::Exponential { mean },
            Dist::LogNormal { mean, sd } if sd != 0.0 => {
                Shortcut::LogNormal(LogNormalShape::new(mean, sd))
            }
            _ => Shortcut::General,
        };
        Prepared {
            dist: dist.clone(),
            shortcut,
        }
    }

    /// A draw before the cap ([`Dist::sample_unbounded`]).
    #[inline(always)]
    fn sample_unbounded<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.shortcut {
            Shortcut::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Shortcut::LogNormal(shape) => shape.sample(rng),
            Shortcut::General => self.dist.sample_unbounded(rng),
        }
    }

    /// [`Dist::sample`]. Inlined into the simulator's per-turn draws: out of line, the
    /// call's register saves cost about as much as the draw's own arithmetic.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = self.sample_unbounded(rng);
        if x > MAX_DRAW {
            MAX_DRAW
        } else {
            x
        }
    }

    /// [`Dist::sample_ms`].
    #[inline]
    pub fn sample_ms<R: Rng + ?Sized>(&self, rng: &mut R) -> Millis {
        Millis::from_secs_f64_rounded(self.sample(rng))
    }

    /// [`Dist::sample_scaled_ms`]. Inlined into the holding model's one draw a customer.
    #[inline(always)]
    pub fn sample_scaled_ms<R: Rng + ?Sized>(&self, rng: &mut R, scale: f64) -> Millis {
        let x = self.sample_unbounded(rng) * scale;
        Millis::from_secs_f64_rounded(if x > MAX_DRAW { MAX_DRAW } else { x })
    }
}

#[inline]
fn sample_truncated_normal<R: Rng + ?Sized>(mean: f64, sd: f64, rng: &mut R) -> f64 {
    if sd == 0.0 {
        return mean.max(0.0);
    }
    for _ in 0..NORMAL_MAX_TRIES {
        let z: f64 = StandardNormal.sample(rng);
        let x = mean + sd * z;
        if x >= 0.0 {
            return x;
        }
    }
    0.0
}

/// Mean and variance of Normal(mean, sd) conditioned on x ≥ 0.
fn truncated_normal_moments(mean: f64, sd: f64) -> (f64, f64) {
    if sd <= 0.0 {
        return (mean.max(0.0), 0.0);
    }
    let alpha = -mean / sd;
    // Mills ratio λ = φ(α) / (1 − Φ(α)); negligible truncation when α ≪ 0.
    if alpha < -10.0 {
        return (mean, sd * sd);
    }
    let phi = (-0.5 * alpha * alpha).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let tail = 0.5 * erfc(alpha / std::f64::consts::SQRT_2);
    let lambda = phi / tail;
    let m = mean + sd * lambda;
    let v = sd * sd * (1.0 + alpha * lambda - lambda * lambda);
    (m, v.max(0.0))
}

/// The complementary error function: one implementation serves the crate, in
/// [`crate::math::erfc`].
fn erfc(x: f64) -> f64 {
    crate::math::erfc(x)
}

/// Γ(x) for x > 0 (the Weibull moments need Γ(1 + k/shape) > 0): one Lanczos
/// implementation serves the crate, in [`crate::math::ln_gamma`].
fn gamma_fn(x: f64) -> f64 {
    crate::math::ln_gamma(x).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    const N: usize = 200_000;

    /// Checks the sample mean against `mean()` within 5 standard errors, and the sample
    /// variance against `variance()` loosely (within 10%, or exact for degenerate ones).
    fn check_moments(d: &Dist, seed: u64) {
        d.validate().unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut sum = 0.0;
        let mut sum2 = 0.0;
        for _ in 0..N {
            let x = d.sample(&mut rng);
            assert!(x >= 0.0 && x.is_finite(), "{d}: drew {x}");
            sum += x;
            sum2 += x * x;
        }
        let n = N as f64;
        let m = sum / n;
        let var = (sum2 / n - m * m).max(0.0);
        let se = (d.variance() / n).sqrt();
        let tol = 5.0 * se + 1e-12 * d.mean().abs();
        assert!(
            (m - d.mean()).abs() <= tol,
            "{d}: sample mean {m}, expected {} ± {tol}",
            d.mean()
        );
        if d.variance() > 0.0 {
            let rel = (var - d.variance()).abs() / d.variance();
            assert!(
                rel < 0.1,
                "{d}: sample variance {var}, expected {}",
                d.variance()
            );
        } else {
            assert!(var < 1e-9, "{d}: sample variance {var}, expected 0");
        }
    }

    #[test]
    fn sample_means_match_theory() {
        let cases = [
            Dist::Constant { value: 5.0 },
            Dist::Exponential { mean: 120.0 },
            Dist::Uniform {
                low: 2.0,
                high: 10.0,
            },
            Dist::Uniform {
                low: 3.0,
                high: 3.0,
            },
            Dist::Normal {
                mean: 30.0,
                sd: 5.0,
            },
            Dist::Normal {
                mean: 5.0,
                sd: 10.0,
            },
            Dist::LogNormal {
                mean: 30.0,
                sd: 20.0,
            },
            Dist::LogNormal {
                mean: 60.0,
                sd: 0.0,
            },
            Dist::Gamma {
                shape: 2.5,
                scale: 4.0,
            },
            Dist::Gamma {
                shape: 0.5,
                scale: 10.0,
            },
            Dist::Weibull {
                shape: 1.5,
                scale: 50.0,
            },
            Dist::Weibull {
                shape: 0.8,
                scale: 20.0,
            },
            Dist::Erlang { k: 3, mean: 90.0 },
            Dist::Erlang { k: 1, mean: 10.0 },
            Dist::Empirical {
                samples: vec![1.0, 2.0, 4.0, 8.0],
            },
        ];
        for (i, d) in cases.iter().enumerate() {
            check_moments(d, 1000 + i as u64);
        }
    }

    #[test]
    fn truncated_normal_far_below_zero_gives_up_at_zero() {
        let d = Dist::Normal {
            mean: 1.0,
            sd: 1e-3,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert!((d.sample(&mut rng) - 1.0).abs() < 0.01);
        // Not a valid scenario value (mean must be > 0), but sampling must still end.
        let d = Dist::Normal {
            mean: -100.0,
            sd: 1.0,
        };
        assert_eq!(d.sample(&mut rng), 0.0);
    }

    #[test]
    fn special_functions_are_accurate() {
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-12);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-13);
        assert!((gamma_fn(1.5) - 0.886_226_925_452_758).abs() < 1e-13);
        assert!((erfc(0.5) - 0.479_500_122_186_953_5).abs() < 1e-13);
        assert!((erfc(3.5) / 7.430_983_723_414_128e-7 - 1.0).abs() < 1e-10);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-13);
        assert!((erfc(2.9) / 4.109_787_809_945_886e-5 - 1.0).abs() < 1e-9);
        assert!((erfc(2.999) / 2.223_016_859_983_405_8e-5 - 1.0).abs() < 1e-9);
        assert!((erfc(3.0) / 2.209_049_699_858_543_8e-5 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn scaling_keeps_the_shape_and_sets_the_mean() {
        let kinds = [
            Dist::Constant { value: 300.0 },
            Dist::Exponential { mean: 300.0 },
            Dist::Uniform {
                low: 100.0,
                high: 500.0,
            },
            Dist::Normal {
                mean: 60.0,
                sd: 90.0,
            }, // truncated: its mean is not 60
            Dist::LogNormal {
                mean: 300.0,
                sd: 200.0,
            },
            Dist::Gamma {
                shape: 2.5,
                scale: 120.0,
            },
            Dist::Weibull {
                shape: 1.5,
                scale: 330.0,
            },
            Dist::Erlang { k: 3, mean: 300.0 },
            Dist::Empirical {
                samples: vec![60.0, 240.0, 600.0],
            },
        ];
        for d in &kinds {
            let s = d.with_mean(450.0).unwrap();
            assert_eq!(s.kind_name(), d.kind_name());
            // The mean is the AHT (to rounding: the truncated normal's and Weibull's means
            // go through erfc and Γ), the shape is kept.
            assert!((s.mean() - 450.0).abs() < 1e-9, "{d:?}: {}", s.mean());
            assert!((s.cv() - d.cv()).abs() < 1e-9, "{d:?}");
            // A draw of the scaled distribution is the factor times a draw of this one, on
            // the same random numbers: what the simulator's scaled draw takes.
            let c = 450.0 / d.mean();
            for seed in 0..50 {
                let mut a = Xoshiro256PlusPlus::seed_from_u64(seed);
                let mut b = Xoshiro256PlusPlus::seed_from_u64(seed);
                let (x, y) = (s.sample(&mut a), d.sample(&mut b) * c);
                assert!(
                    (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                    "{d:?}: {x} vs {y}"
                );
                let mut b = Xoshiro256PlusPlus::seed_from_u64(seed);
                let ms = d.sample_scaled_ms(&mut b, c).as_millis() as f64;
                assert!((ms - y * 1000.0).abs() <= 0.5 + 1e-6, "{d:?}");
            }
        }
        // Constants: the AHT exactly; a scale of 1 is the plain draw.
        assert_eq!(
            Dist::Constant { value: 300.0 }.with_mean(420.0),
            Some(Dist::Constant { value: 420.0 })
        );
        let d = Dist::LogNormal {
            mean: 30.0,
            sd: 20.0,
        };
        let mut a = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut b = Xoshiro256PlusPlus::seed_from_u64(9);
        assert_eq!(d.sample_ms(&mut a), d.sample_scaled_ms(&mut b, 1.0));
        // A mean of 0 cannot be scaled.
        assert_eq!(Dist::Constant { value: 0.0 }.with_mean(300.0), None);
        assert_eq!(
            Dist::Empirical { samples: vec![0.0] }.with_mean(300.0),
            None
        );
    }

    /// A prepared distribution draws what the plain one draws, bit for bit, for every kind
    /// (a lognormal with and without spread included).
    #[test]
    fn prepared_draws_are_the_plain_draws() {
        let dists = [
            Dist::Constant { value: 2.5 },
            Dist::Exponential { mean: 60.0 },
            Dist::Uniform {
                low: 1.0,
                high: 9.0,
            },
            Dist::Normal { mean: 5.0, sd: 4.0 },
            Dist::LogNormal {
                mean: 30.0,
                sd: 20.0,
            },
            Dist::LogNormal { mean: 3.0, sd: 0.0 },
            Dist::Gamma {
                shape: 2.0,
                scale: 3.0,
            },
            Dist::Weibull {
                shape: 1.5,
                scale: 40.0,
            },
            Dist::Erlang { k: 3, mean: 12.0 },
            Dist::Empirical {
                samples: vec![1.0, 4.0, 9.0],
            },
        ];
        for d in dists {
            let p = Prepared::new(&d);
            let mut a = Xoshiro256PlusPlus::seed_from_u64(11);
            let mut b = Xoshiro256PlusPlus::seed_from_u64(11);
            for _ in 0..2_000 {
                assert_eq!(
                    p.sample(&mut a).to_bits(),
                    d.sample(&mut b).to_bits(),
                    "{d:?}"
                );
                assert_eq!(p.sample_ms(&mut a), d.sample_ms(&mut b), "{d:?}");
                assert_eq!(
                    p.sample_scaled_ms(&mut a, 1.7),
                    d.sample_scaled_ms(&mut b, 1.7),
                    "{d:?}"
                );
            }
        }
    }

    #[test]
    fn sample_ms_rounds_to_nearest() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(
            Dist::Constant { value: 1.2346 }.sample_ms(&mut rng),
            Millis::from_millis(1235)
        );
        assert_eq!(Dist::Constant { value: 0.0 }.sample_count(&mut rng), 1);
        assert_eq!(Dist::Constant { value: 3.5 }.sample_count(&mut rng), 4);
    }

    #[test]
    fn limits_reject_absurd_means_skews_and_samples() {
        let ok = [
            Dist::Exponential { mean: MAX_MEAN_S },
            Dist::LogNormal {
                mean: 60.0,
                sd: 6000.0,
            },
            Dist::Gamma {
                shape: 1e-4,
                scale: 1.0,
            },
            Dist::Weibull {
                shape: 0.13,
                scale: 1.0,
            },
            Dist::Weibull {
                shape: 1e300,
                scale: 5.0,
            },
            Dist::Gamma {
                shape: 1e300,
                scale: 1e-298,
            },
            Dist::Normal {
                mean: 1e-300,
                sd: 1e6,
            },
            Dist::Empirical {
                samples: vec![0.0, 0.0, 1e6],
            },
        ];
        for d in ok {
            assert_eq!(d.check_limits(MAX_MEAN_S), Ok(()), "{d:?}");
        }
        let too_large = |d: Dist| {
            matches!(
                d.check_limits(MAX_MEAN_S),
                Err(DistLimitError::MeanTooLarge { .. })
            )
        };
        let too_skewed = |d: Dist| {
            matches!(
                d.check_limits(MAX_MEAN_S),
                Err(DistLimitError::TooSkewed { .. })
            )
        };
        assert!(too_large(Dist::Exponential { mean: 1e8 }));
        assert!(too_large(Dist::Exponential { mean: 1e300 }));
        assert!(too_large(Dist::Uniform {
            low: 0.0,
            high: 1e300
        }));
        assert!(too_large(Dist::Normal {
            mean: 60.0,
            sd: 1e300
        }));
        assert!(too_large(Dist::Constant { value: 1.1e7 }));
        assert!(too_large(Dist::Empirical {
            samples: vec![1e11, 1.0]
        }));
        assert!(too_skewed(Dist::LogNormal {
            mean: 60.0,
            sd: 1e200
        }));
        assert!(too_skewed(Dist::Gamma {
            shape: 1e-300,
            scale: 1.0
        }));
        assert!(too_skewed(Dist::Weibull {
            shape: 0.1,
            scale: 1.0
        }));
        assert!(too_skewed(Dist::Weibull {
            shape: 1e-300,
            scale: 1.0
        }));
        assert_eq!(
            Dist::Empirical {
                samples: vec![1.0, 2e12]
            }
            .check_limits(MAX_MEAN_S),
            Err(DistLimitError::SampleTooLarge {
                index: 1,
                value: 2e12
            })
        );
        // The lognormal of the skew limit has its median at a hundredth of its mean.
        let m = Dist::LogNormal {
            mean: 60.0,
            sd: 1e200,
        }
        .median()
        .unwrap();
        assert!(m > 0.0 && m < 1e-190, "{m}");
    }

    #[test]
    fn a_draw_never_passes_the_largest_duration() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let d = Dist::Constant { value: 1e300 };
        assert_eq!(d.sample(&mut rng), MAX_DRAW);
        assert_eq!(
            d.sample_ms(&mut rng),
            Millis::from_millis(1_000_000_000_000_000)
        );
        // A NaN stays NaN (0 ms), not the largest draw.
        assert!(Dist::Constant { value: f64::NAN }.sample(&mut rng).is_nan());
    }

    #[test]
    fn numbers_in_messages_read_well() {
        assert_eq!(fmt_value(1e300), "1e300");
        assert_eq!(fmt_value(60.0), "60");
        assert_eq!(fmt_value(1e13), "10000000000000");
        assert_eq!(fmt_approx(5.999999999999999e-5), "6e-5");
        assert_eq!(fmt_approx(93_326_215.443), "93326215");
        assert_eq!(fmt_approx(3.168_808_781_4e292), "3.169e292");
        assert_eq!(fmt_approx(0.06), "0.06");
        assert_eq!(fmt_duration_human(1e7), "116 days");
        assert_eq!(fmt_duration_human(1e8), "3.2 years");
        assert_eq!(fmt_duration_human(90.0), "90 s");
    }

    #[test]
    fn validate_rejects_bad_parameters() {
        let bad = [
            (Dist::Exponential { mean: 0.0 }, "mean"),
            (Dist::Exponential { mean: f64::NAN }, "mean"),
            (Dist::Constant { value: -1.0 }, "value"),
            (
                Dist::Uniform {
                    low: 5.0,
                    high: 1.0,
                },
                "high",
            ),
            (
                Dist::Normal {
                    mean: 10.0,
                    sd: -1.0,
                },
                "sd",
            ),
            (
                Dist::LogNormal {
                    mean: f64::INFINITY,
                    sd: 1.0,
                },
                "mean",
            ),
            (
                Dist::Gamma {
                    shape: 0.0,
                    scale: 1.0,
                },
                "shape",
            ),
            (
                Dist::Weibull {
                    shape: 1.0,
                    scale: -1.0,
                },
                "scale",
            ),
            (Dist::Erlang { k: 0, mean: 1.0 }, "k"),
            (Dist::Empirical { samples: vec![] }, "samples"),
            (
                Dist::Empirical {
                    samples: vec![1.0, -2.0],
                },
                "samples",
            ),
        ];
        for (d, param) in bad {
            let e = d.validate().unwrap_err();
            assert_eq!(e.param, param, "{d:?}");
        }
    }
}
