//! Special functions on the ground floor: the normal and Student-t quantiles, erfc,
//! ln Γ and the regularized incomplete beta. Distributions (`dist`) and statistics
//! (`metrics`) both reach down to them; no statistics crate is used because the t
//! quantile for fractional degrees of freedom is needed exact to about 1e-10.

/// The p-quantile of Student's t distribution with `df` degrees of freedom (`df` may be
/// fractional or infinite). Closed forms for df 1 and 2, the Cornish–Fisher series for very
/// large df, and otherwise safeguarded Newton steps on the exact CDF (regularized incomplete
/// beta) from the series' first guess.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "quantile level must be in (0, 1), got {p}"
    );
    assert!(df > 0.0, "degrees of freedom must be positive, got {df}");
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    if df == 1.0 {
        return (std::f64::consts::PI * (p - 0.5)).tan();
    }
    if df == 2.0 {
        return (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
    }
    let z = normal_quantile(p);
    if df.is_infinite() {
        return z;
    }
    let guess = cornish_fisher(z, df);
    if df > 1e6 {
        return guess;
    }
    // Bracket the root in [0, hi], then Newton with bisection as the fallback.
    let (mut lo, mut hi) = (0.0, guess.max(1.0));
    while student_t_cdf(hi, df) < p {
        lo = hi;
        hi *= 2.0;
    }
    let mut t = if guess > lo && guess < hi {
        guess
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..200 {
        let f = student_t_cdf(t, df) - p;
        if f < 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let step = f / student_t_pdf(t, df);
        let mut next = t - step;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - t).abs() <= 1e-14 * t.abs().max(1.0) || hi - lo <= 1e-14 * hi {
            return next;
        }
        t = next;
    }
    t
}

/// [`student_t_quantile`]`(0.975, df)` for a whole number of degrees of freedom: a 95 %
/// confidence interval's factor. A summary asks for it for every figure of every interval
/// with the same `df` (replications − 1), and each answer is a Newton search on the
/// incomplete beta: at 64 replications of the default desk that was a tenth of the run,
/// all of it after the replications, on one thread. Each thread keeps its last answer.
pub fn t975(df: u64) -> f64 {
    thread_local! {
        static LAST: std::cell::Cell<Option<(u64, f64)>> = const { std::cell::Cell::new(None) };
    }
    LAST.with(|last| match last.get() {
        Some((d, q)) if d == df => q,
        _ => {
            let q = student_t_quantile(0.975, df as f64);
            last.set(Some((df, q)));
            q
        }
    })
}

/// Abramowitz & Stegun 26.7.5: the t quantile as a series in 1/df around the normal one.
fn cornish_fisher(z: f64, df: f64) -> f64 {
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4)
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * regularized_incomplete_beta(0.5 * df, 0.5, x);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

fn student_t_pdf(t: f64, df: f64) -> f64 {
    let ln = ln_gamma(0.5 * (df + 1.0))
        - ln_gamma(0.5 * df)
        - 0.5 * (df * std::f64::consts::PI).ln()
        - 0.5 * (df + 1.0) * (t * t / df).ln_1p();
    ln.exp()
}

/// The standard normal quantile (Acklam's rational approximation, relative error below
/// 1.2e-9, refined by one Newton step on `erfc`).
pub fn normal_quantile(p: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "quantile level must be in (0, 1), got {p}"
    );
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Newton step: Φ(x) − p over φ(x).
    let cdf = 0.5 * erfc(-x / std::f64::consts::SQRT_2);
    let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    x - (cdf - p) / pdf
}

/// The complementary error function: the Maclaurin series of erf below 1.5, the Laplace
/// continued fraction above (relative error about 1e-14).
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.5 {
        return 1.0 - erf_small(x);
    }
    if x > 27.0 {
        return 0.0;
    }
    // Continued fraction (Lentz) of erfc for x ≥ 1.5: erfc(x) = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))).
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * std::f64::consts::PI.sqrt())
}

/// erf by its Maclaurin series, for |x| < 1.5 (terms stay below e^{x²} ≈ 10, so at most
/// one digit is lost to cancellation).
fn erf_small(x: f64) -> f64 {
    let mut term = x;
    let mut sum = x;
    let x2 = x * x;
    for n in 1..60 {
        term *= -x2 / n as f64;
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() < 1e-17 * sum.abs() {
            break;
        }
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + G + 0.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Φ(z), the standard normal distribution function.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// P(a, x) and Q(a, x) = 1 − P(a, x), the regularized incomplete gamma functions
/// (a > 0, x ≥ 0): the series below a + 1, the continued fraction (modified Lentz) above,
/// each returning the side it computes accurately (relative error about 1e-14).
pub fn regularized_gamma(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    let log_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        let p = (sum.ln() + log_front).exp().min(1.0);
        (p, 1.0 - p)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        let q = (h.ln() + log_front).exp().min(1.0);
        (1.0 - q, q)
    }
}

/// I_x(a, b), the regularized incomplete beta function, by its continued fraction
/// (modified Lentz), using the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) where it converges
/// faster.
pub fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() + b * (-x).ln_1p() - (ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b));
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let clamp = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / clamp(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..100_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / clamp(1.0 + aa * d);
        c = clamp(1.0 + aa / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t975_is_the_quantile_whatever_was_asked_before() {
        for df in [63u64, 63, 1, 2, 63, 1000, 9, 9] {
            assert_eq!(
                t975(df).to_bits(),
                student_t_quantile(0.975, df as f64).to_bits(),
                "{df}"
            );
        }
        // Tables: t(0.975; 9) = 2.262157, t(0.975; 63) = 1.998341.
        assert!((t975(9) - 2.262_157).abs() < 1e-6);
        assert!((t975(63) - 1.998_341).abs() < 1e-6);
    }

    #[test]
    fn t_quantiles_match_tables_to_1e6() {
        let known = [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (3.0, 3.182_446_305),
            (4.0, 2.776_445_105),
            (5.0, 2.570_581_836),
            (7.0, 2.364_624_252),
            (10.0, 2.228_138_852),
            (29.0, 2.045_229_642),
            (100.0, 1.983_971_519),
            (1000.0, 1.962_339_081),
            (f64::INFINITY, 1.959_963_985),
        ];
        for (df, want) in known {
            let got = student_t_quantile(0.975, df);
            assert!((got - want).abs() < 1e-6, "df {df}: got {got}, want {want}");
        }
    }

    #[test]
    fn t_quantile_other_levels_and_symmetry() {
        assert!((student_t_quantile(0.995, 3.0) - 5.840_909_309).abs() < 1e-6);
        assert!((student_t_quantile(0.95, 15.0) - 1.753_050_356).abs() < 1e-6);
        assert!((student_t_quantile(0.025, 4.0) + 2.776_445_105).abs() < 1e-6);
        let q = student_t_quantile(0.9999, 3.0);
        assert!(
            (q - 22.203_742_273).abs() < 1e-6 && (student_t_cdf(q, 3.0) - 0.9999).abs() < 1e-13
        );
    }

    #[test]
    fn t_quantile_is_continuous_in_df() {
        // No jump where the method switches (df 2 → 3, Newton → series at 1e6).
        let mut last = student_t_quantile(0.975, 1.0);
        for df in (1..200).map(|k| 1.0 + k as f64 * 0.05) {
            let q = student_t_quantile(0.975, df);
            assert!(q < last + 1e-12, "not decreasing at df {df}");
            last = q;
        }
        let a = student_t_quantile(0.975, 0.999_999e6);
        let b = student_t_quantile(0.975, 1.000_001e6);
        assert!((a - b).abs() < 1e-10, "{a} vs {b}");
    }

    #[test]
    fn normal_quantile_and_erfc() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
        assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
        assert!((erfc(1.0) - 0.157_299_207_050_285_13).abs() < 1e-15);
        assert!((erfc(0.3) - 0.671_373_240_540_872_9).abs() < 1e-15);
        assert!((erfc(-1.0) - 1.842_700_792_949_715).abs() < 1e-15);
    }

    #[test]
    fn incomplete_gamma_against_closed_forms() {
        // a = 1: P(1, x) = 1 − e^{−x}; a = 2: P(2, x) = 1 − e^{−x}(1 + x).
        for x in [0.01, 0.5, 1.0, 2.5, 10.0, 40.0] {
            let (p1, q1) = regularized_gamma(1.0, x);
            assert!((q1 - (-x).exp()).abs() < 1e-13 * (1.0 + q1), "{x}");
            assert!((p1 + q1 - 1.0).abs() < 1e-15);
            let (_, q2) = regularized_gamma(2.0, x);
            assert!((q2 - (-x).exp() * (1.0 + x)).abs() < 1e-13, "{x}");
        }
        // P(0.5, x) = erf(√x).
        let (p, _) = regularized_gamma(0.5, 2.0);
        assert!((p - (1.0 - erfc(2f64.sqrt()))).abs() < 1e-13);
        assert_eq!(regularized_gamma(3.0, 0.0), (0.0, 1.0));
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
    }
}
