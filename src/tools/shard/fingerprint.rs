//! A short numeric fingerprint of this binary on this host: the bits of the elementary
//! functions and distribution draws a simulation and its summary use. Two hosts with the
//! same fingerprint compute these the same, last bit included; a shard whose fingerprint
//! differs from its plan's refuses to run, so that a node with another maths library
//! cannot put a silently different part into an exact merge.

use crate::dist::Dist;
use crate::math::{ln_gamma, normal_quantile, student_t_quantile};
use crate::sim::seed::{rng, Stream};
use sha2::{Digest, Sha256};

/// 16 hex digits: the start of the SHA-256 of the values' bits.
pub fn fingerprint() -> String {
    let mut h = Sha256::new();
    let mut put = |x: f64| h.update(x.to_bits().to_le_bytes());
    // Arguments spread over the ranges the simulator uses (probabilities, seconds, rates).
    let args: [f64; 11] = [
        1e-6, 0.012_345, 0.1, 0.5, 0.975, 1.0, 2.5, 7.25, 60.0, 1234.5, 86_400.0,
    ];
    for &x in &args {
        put(x.ln());
        put(x.ln_1p());
        put((-x).exp());
        put((x / 100.0).exp_m1());
        put(x.powf(0.37));
        put(x.powf(-1.5));
        put(x.sqrt());
        put(x.sin());
        put(x.cos());
        put(ln_gamma(x));
        put(student_t_quantile(0.975, x.max(1.0)));
        put(normal_quantile((x / 86_400.1).clamp(1e-9, 0.999)));
    }
    // A few draws of every sampled distribution (the samplers' own maths included).
    let dists = [
        Dist::Exponential { mean: 60.0 },
        Dist::Uniform {
            low: 5.0,
            high: 95.0,
        },
        Dist::Normal {
            mean: 60.0,
            sd: 25.0,
        },
        Dist::LogNormal {
            mean: 300.0,
            sd: 200.0,
        },
        Dist::Gamma {
            shape: 2.5,
            scale: 30.0,
        },
        Dist::Gamma {
            shape: 0.4,
            scale: 30.0,
        },
        Dist::Weibull {
            shape: 1.5,
            scale: 100.0,
        },
        Dist::Erlang { k: 3, mean: 90.0 },
    ];
    for (i, d) in dists.iter().enumerate() {
        let mut r = rng(0x5EED, 0, Stream::Customer, i as u64);
        for _ in 0..16 {
            put(d.sample(&mut r));
        }
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_short() {
        let a = fingerprint();
        assert_eq!(a, fingerprint());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
