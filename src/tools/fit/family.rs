//! The parametric families of `src/dist.rs` as `fit` needs them: density, distribution
//! and survival functions in the scenario's own parameters, and a working scale on which
//! every parameter is free (its logarithm), where the optimiser and the Fisher
//! information live.

use crate::math::{ln_gamma, normal_cdf, regularized_gamma};

/// A family with its parameters fixed, in the scenario's own terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    Exponential {
        mean: f64,
    },
    /// Normal(mean, sd) truncated at 0 (the scenario's normal resamples below 0).
    Normal {
        mean: f64,
        sd: f64,
    },
    /// The lognormal's own mean and sd.
    LogNormal {
        mean: f64,
        sd: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    Weibull {
        shape: f64,
        scale: f64,
    },
    Erlang {
        k: u32,
        mean: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
}

/// The families fitted by maximum likelihood on the log scale (uniform, constant and
/// empirical are fitted in closed form elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Exponential,
    Normal,
    LogNormal,
    Gamma,
    Weibull,
    /// Erlang with this k (k is chosen by profiling the likelihood over it).
    Erlang(u32),
}

impl Family {
    /// Free parameters on the working scale.
    pub fn dims(self) -> usize {
        match self {
            Family::Exponential | Family::Erlang(_) => 1,
            _ => 2,
        }
    }

    /// The model of working-scale point `theta` (the logs of its parameters).
    pub fn model(self, theta: &[f64]) -> Model {
        let e = |i: usize| theta[i].exp();
        match self {
            Family::Exponential => Model::Exponential { mean: e(0) },
            Family::Normal => Model::Normal {
                mean: e(0),
                sd: e(1),
            },
            Family::LogNormal => Model::LogNormal {
                mean: e(0),
                sd: e(1),
            },
            Family::Gamma => Model::Gamma {
                shape: e(0),
                scale: e(1),
            },
            Family::Weibull => Model::Weibull {
                shape: e(0),
                scale: e(1),
            },
            Family::Erlang(k) => Model::Erlang { k, mean: e(0) },
        }
    }
}

/// ln φ(z), the standard normal log density.
fn ln_phi(z: f64) -> f64 {
    -0.5 * z * z - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

impl Model {
    /// The name the scenario file gives it (`dist = "…"`).
    pub fn name(&self) -> &'static str {
        match self {
            Model::Exponential { .. } => "exponential",
            Model::Normal { .. } => "normal",
            Model::LogNormal { .. } => "lognormal",
            Model::Gamma { .. } => "gamma",
            Model::Weibull { .. } => "weibull",
            Model::Erlang { .. } => "erlang",
            Model::Uniform { .. } => "uniform",
        }
    }

    /// The parameters as the scenario file names them, in its order; `duration` adds the
    /// `_s` suffix where the file does (means, sds, scales, bounds; never shape or k).
    pub fn params(&self, duration: bool) -> Vec<(String, f64)> {
        let s = |name: &str| {
            if duration {
                format!("{name}_s")
            } else {
                name.to_string()
            }
        };
        match *self {
            Model::Exponential { mean } => vec![(s("mean"), mean)],
            Model::Normal { mean, sd } | Model::LogNormal { mean, sd } => {
                vec![(s("mean"), mean), (s("sd"), sd)]
            }
            Model::Gamma { shape, scale } | Model::Weibull { shape, scale } => {
                vec![("shape".into(), shape), (s("scale"), scale)]
            }
            Model::Erlang { k, mean } => vec![("k".into(), k as f64), (s("mean"), mean)],
            Model::Uniform { low, high } => vec![(s("low"), low), (s("high"), high)],
        }
    }

    /// (μ, σ) of the normal under a lognormal of this mean and sd.
    fn log_params(mean: f64, sd: f64) -> (f64, f64) {
        let s2 = (1.0 + (sd / mean).powi(2)).ln();
        (mean.ln() - s2 / 2.0, s2.sqrt())
    }

    /// ln f(x), the log density (−∞ where it is 0).
    pub fn ln_pdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return f64::NEG_INFINITY;
        }
        match *self {
            Model::Exponential { mean } => -mean.ln() - x / mean,
            Model::Normal { mean, sd } => {
                let kept = normal_cdf(mean / sd);
                ln_phi((x - mean) / sd) - sd.ln() - kept.ln()
            }
            Model::LogNormal { mean, sd } => {
                if x <= 0.0 {
                    return f64::NEG_INFINITY;
                }
                let (mu, sigma) = Model::log_params(mean, sd);
                ln_phi((x.ln() - mu) / sigma) - sigma.ln() - x.ln()
            }
            Model::Gamma { shape, scale } => gamma_ln_pdf(shape, scale, x),
            Model::Erlang { k, mean } => gamma_ln_pdf(k as f64, mean / k as f64, x),
            Model::Weibull { shape, scale } => {
                if x <= 0.0 {
                    return if shape < 1.0 {
                        f64::INFINITY
                    } else if shape == 1.0 {
                        -scale.ln()
                    } else {
                        f64::NEG_INFINITY
                    };
                }
                let z = x / scale;
                shape.ln() - scale.ln() + (shape - 1.0) * z.ln() - z.powf(shape)
            }
            Model::Uniform { low, high } => {
                if x < low || x > high || high <= low {
                    f64::NEG_INFINITY
                } else {
                    -(high - low).ln()
                }
            }
        }
    }

    /// (F(x), 1 − F(x)), each computed on its accurate side.
    pub fn cdf_sf(&self, x: f64) -> (f64, f64) {
        if x <= 0.0 && !matches!(self, Model::Uniform { .. }) {
            return (0.0, 1.0);
        }
        match *self {
            Model::Exponential { mean } => {
                let sf = (-x / mean).exp();
                (-(-x / mean).exp_m1(), sf)
            }
            Model::Normal { mean, sd } => {
                let kept = normal_cdf(mean / sd);
                let sf = normal_cdf((mean - x) / sd) / kept;
                (1.0 - sf, sf)
            }
            Model::LogNormal { mean, sd } => {
                let (mu, sigma) = Model::log_params(mean, sd);
                let z = (x.ln() - mu) / sigma;
                (normal_cdf(z), normal_cdf(-z))
            }
            Model::Gamma { shape, scale } => regularized_gamma(shape, x / scale),
            Model::Erlang { k, mean } => regularized_gamma(k as f64, x * k as f64 / mean),
            Model::Weibull { shape, scale } => {
                let h = (x / scale).powf(shape);
                (-(-h).exp_m1(), (-h).exp())
            }
            Model::Uniform { low, high } => {
                let f = if x <= low {
                    0.0
                } else if x >= high {
                    1.0
                } else {
                    (x - low) / (high - low)
                };
                (f, 1.0 - f)
            }
        }
    }
}

fn gamma_ln_pdf(shape: f64, scale: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return if shape < 1.0 {
            f64::INFINITY
        } else if shape == 1.0 {
            -scale.ln()
        } else {
            f64::NEG_INFINITY
        };
    }
    (shape - 1.0) * x.ln() - x / scale - ln_gamma(shape) - shape * scale.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-10 * (1.0 + b.abs())
    }

    #[test]
    fn densities_and_distribution_functions_agree_with_closed_forms() {
        // Exponential mean 2 at x = 1: f = e^{-1/2}/2, F = 1 − e^{-1/2}.
        let m = Model::Exponential { mean: 2.0 };
        assert!(close(m.ln_pdf(1.0), (0.5f64 * (-0.5f64).exp()).ln()));
        assert!(close(m.cdf_sf(1.0).1, (-0.5f64).exp()));
        // Erlang k = 1 is the exponential; gamma(1, θ) too.
        let e = Model::Erlang { k: 1, mean: 2.0 };
        let g = Model::Gamma {
            shape: 1.0,
            scale: 2.0,
        };
        let w = Model::Weibull {
            shape: 1.0,
            scale: 2.0,
        };
        for x in [0.1, 1.0, 5.0] {
            for other in [e, g, w] {
                assert!(close(other.ln_pdf(x), m.ln_pdf(x)), "{other:?} {x}");
                assert!(close(other.cdf_sf(x).0, m.cdf_sf(x).0), "{other:?} {x}");
            }
        }
        // Lognormal mean e^{1/2}, sd √(e(e−1)) is exp(N(0, 1)): F(1) = 1/2, f(1) = φ(0).
        let ln = Model::LogNormal {
            mean: 0.5f64.exp(),
            sd: (1f64.exp() * (1f64.exp() - 1.0)).sqrt(),
        };
        assert!(close(ln.cdf_sf(1.0).0, 0.5));
        assert!(close(ln.ln_pdf(1.0), ln_phi(0.0)));
        // A normal far from 0 is hardly truncated: F(mean) = 1/2.
        let n = Model::Normal {
            mean: 100.0,
            sd: 1.0,
        };
        assert!(close(n.cdf_sf(100.0).0, 0.5));
        // Uniform on [2, 6]: f = 1/4, F(3) = 1/4.
        let u = Model::Uniform {
            low: 2.0,
            high: 6.0,
        };
        assert!(close(u.ln_pdf(3.0), 0.25f64.ln()));
        assert!(close(u.cdf_sf(3.0).0, 0.25));
        assert_eq!(u.ln_pdf(7.0), f64::NEG_INFINITY);
    }
}
