//! Choosing among the nine distributions: every family that can be fitted is, by
//! maximum likelihood ([`super::estimate`]); the one with the lowest AIC (2k − 2 ln L)
//! is chosen; when even that one is rejected by the Kolmogorov–Smirnov test at 1 %
//! (distance over 1.63/√n, with at least 30 uncensored values), the empirical
//! distribution of the values is used instead. A constant is chosen outright when it
//! explains every value (its likelihood is unbounded).

use super::estimate::{
    fit_constant, fit_erlang, fit_family, fit_uniform, ks_distance, uniform_ci, Data, Fitted, Obs,
};
use super::family::{Family, Model};
use serde::Serialize;

/// z of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// One parameter with its 95 % interval.
#[derive(Clone, Debug, Serialize)]
pub struct Param {
    pub name: String,
    pub value: f64,
    /// None when the information matrix was singular (or the parameter is chosen, as
    /// Erlang's k).
    pub ci95: Option<(f64, f64)>,
    /// Standard error of ln(value) (for intervals at other levels); None as above.
    pub log_se: Option<f64>,
}

/// One family fitted.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub dist: &'static str,
    pub params: Vec<Param>,
    pub log_likelihood: f64,
    pub aic: f64,
    pub ks: f64,
    #[serde(skip)]
    pub model: Model,
}

/// The distribution written into the scenario.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Chosen {
    Constant {
        value: f64,
    },
    Fitted {
        index: usize,
    },
    /// The uncensored values themselves (a thinned, sorted subset when there are more
    /// than [`MAX_EMPIRICAL`]).
    Empirical {
        samples: Vec<f64>,
    },
}

/// At most this many samples in an empirical distribution (quantiles kept).
pub const MAX_EMPIRICAL: usize = 10_000;

/// A quantity's fit: every candidate, and the choice with its reason.
#[derive(Clone, Debug, Serialize)]
pub struct QuantityFit {
    pub name: &'static str,
    /// Observations: uncensored, and in all.
    pub events: f64,
    pub observations: f64,
    pub truncated_at: Option<f64>,
    pub candidates: Vec<Candidate>,
    pub chosen: Chosen,
    pub reason: String,
    #[serde(skip)]
    pub duration: bool,
}

impl QuantityFit {
    /// The chosen candidate, when a family was chosen.
    pub fn chosen_candidate(&self) -> Option<&Candidate> {
        match self.chosen {
            Chosen::Fitted { index } => self.candidates.get(index),
            _ => None,
        }
    }

    /// The chosen distribution as a scenario's inline table.
    pub fn toml(&self, samples_file: &str) -> String {
        let s = if self.duration { "_s" } else { "" };
        match &self.chosen {
            Chosen::Constant { value } => {
                format!("{{ dist = \"constant\", value{s} = {} }}", num(*value))
            }
            Chosen::Fitted { index } => {
                let c = &self.candidates[*index];
                let params: Vec<String> = c
                    .params
                    .iter()
                    .map(|p| {
                        if p.name == "k" {
                            format!("k = {}", p.value as u64)
                        } else {
                            format!("{} = {}", p.name, num(p.value))
                        }
                    })
                    .collect();
                format!("{{ dist = \"{}\", {} }}", c.dist, params.join(", "))
            }
            Chosen::Empirical { .. } => {
                format!("{{ dist = \"empirical\", file = \"{samples_file}\" }}")
            }
        }
    }
}

/// A number for a scenario file: 6 significant digits, no exponent for ordinary sizes.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Fits every family to `data` and chooses (see the module documentation). `duration`
/// names parameters with `_s`.
pub fn fit_quantity(name: &'static str, data: &Data, duration: bool) -> QuantityFit {
    let mut candidates = Vec::new();
    let mut push = |f: Fitted| {
        let ks = ks_distance(&f.model, data);
        let n_events = data.events();
        let names = f.model.params(duration);
        let params = names
            .into_iter()
            .enumerate()
            .map(|(i, (pname, value))| {
                let se = f.log_se.get(i).copied().filter(|s| s.is_finite());
                let ci95 = match f.model {
                    Model::Uniform { low, high } => Some(uniform_ci(low, high, n_events)[i]),
                    _ => se.map(|se| (value * (-Z95 * se).exp(), value * (Z95 * se).exp())),
                };
                Param {
                    name: pname,
                    value,
                    ci95,
                    log_se: se,
                }
            })
            .collect();
        candidates.push(Candidate {
            dist: f.model.name(),
            params,
            log_likelihood: f.log_likelihood,
            aic: 2.0 * f.k_params as f64 - 2.0 * f.log_likelihood,
            ks,
            model: f.model,
        });
    };
    let gamma = fit_family(Family::Gamma, data);
    let gamma_shape = gamma.as_ref().map(|g| match g.model {
        Model::Gamma { shape, .. } => shape,
        _ => 1.0,
    });
    for f in [
        fit_family(Family::Exponential, data),
        fit_uniform(data),
        fit_family(Family::Normal, data),
        fit_family(Family::LogNormal, data),
        gamma,
        fit_family(Family::Weibull, data),
        fit_erlang(data, gamma_shape),
    ]
    .into_iter()
    .flatten()
    {
        push(f);
    }
    let events = data.events();
    let mut fit = QuantityFit {
        name,
        events,
        observations: data.len(),
        truncated_at: data.truncated_at,
        candidates,
        chosen: Chosen::Constant { value: 0.0 },
        reason: String::new(),
        duration,
    };
    if let Some(value) = fit_constant(data) {
        fit.chosen = Chosen::Constant { value };
        fit.reason = "every value is the same: constant".into();
        return fit;
    }
    let best = fit
        .candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.aic.is_finite())
        .min_by(|a, b| a.1.aic.total_cmp(&b.1.aic))
        .map(|(i, _)| i);
    // Kolmogorov's 1 % value over every observation: censored ones included, since
    // `ks_distance` weights a censored sample's gaps so that this bound holds (without
    // censoring every observation is an event).
    let critical = 1.63 / data.len().max(1.0).sqrt();
    match best {
        Some(i) if events < 30.0 || fit.candidates[i].ks <= critical => {
            fit.chosen = Chosen::Fitted { index: i };
            fit.reason = format!(
                "lowest AIC: {} (KS distance {:.4}, 1 % critical value {:.4})",
                fit.candidates[i].dist, fit.candidates[i].ks, critical
            );
        }
        _ => {
            fit.chosen = Chosen::Empirical {
                samples: empirical_samples(data),
            };
            fit.reason = match best {
                Some(i) => format!(
                    "no family fits: the best by AIC, {}, has KS distance {:.4} over the 1 % \
                     critical value {:.4}: empirical",
                    fit.candidates[i].dist, fit.candidates[i].ks, critical
                ),
                None => "no family could be fitted: empirical".into(),
            };
        }
    }
    fit
}

/// The uncensored values, sorted, thinned to [`MAX_EMPIRICAL`] evenly spaced order
/// statistics. (Censoring is ignored here: the empirical fallback describes what was
/// seen, and says so.)
fn empirical_samples(data: &Data) -> Vec<f64> {
    let mut values = Vec::new();
    for &(o, w) in &data.obs {
        let x = match o {
            Obs::Exact(x) => x,
            Obs::Between(_, b) => (b - 0.5).max(0.0),
            Obs::Above(_) => continue,
        };
        values.extend(std::iter::repeat_n(x, w as usize));
    }
    values.sort_by(f64::total_cmp);
    if values.len() <= MAX_EMPIRICAL {
        return values;
    }
    let n = values.len();
    (0..MAX_EMPIRICAL)
        .map(|i| values[((2 * i + 1) * n) / (2 * MAX_EMPIRICAL)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_the_scenario_file() {
        assert_eq!(num(40.123456789), "40.1235");
        assert_eq!(num(0.1), "0.1");
        assert_eq!(num(1234567.0), "1234567");
        assert_eq!(num(3.0), "3");
    }

    #[test]
    fn chooses_a_constant_when_every_value_is_the_same() {
        let d = Data::new([Obs::Exact(5.0); 10], None);
        let f = fit_quantity("x", &d, true);
        assert_eq!(f.chosen, Chosen::Constant { value: 5.0 });
        assert_eq!(f.toml(""), "{ dist = \"constant\", value_s = 5 }");
    }
}
