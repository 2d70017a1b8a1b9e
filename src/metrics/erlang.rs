//! Exact queueing formulas the simulator is validated against, and that staffing uses:
//! Erlang B and C (M/M/c) and Erlang A (M/M/c+M, exponential patience).
//!
//! Rates (`lambda` arrivals, `mu` services per server, `theta` abandonments per waiting
//! customer) and times (`t`, and the results of the mean-wait functions) are in any one
//! consistent unit — per second and seconds in chatsim.

/// Erlang B: the blocking probability of c servers offered `a` Erlangs, by the stable
/// recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
pub fn erlang_b(c: u32, offered_load_erlangs: f64) -> f64 {
    let a = offered_load_erlangs;
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

/// Erlang C: the probability that an arrival must wait in M/M/c with offered load `a`
/// (= λ/μ) Erlangs; 1 when the system is unstable (a ≥ c). Computed from Erlang B as
/// C = B / (1 − ρ(1 − B)), ρ = a/c, which never overflows.
pub fn erlang_c(c: u32, offered_load_erlangs: f64) -> f64 {
    let a = offered_load_erlangs;
    if c == 0 || a >= c as f64 {
        return 1.0;
    }
    let b = erlang_b(c, a);
    let rho = a / c as f64;
    b / (1.0 - rho * (1.0 - b))
}

/// Mean wait over all arrivals in M/M/c: C / (cμ − λ); infinite when unstable.
pub fn mmc_mean_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let slack = c as f64 * mu - lambda;
    if slack <= 0.0 {
        return f64::INFINITY;
    }
    erlang_c(c, lambda / mu) / slack
}

/// Service level of M/M/c: P(wait ≤ t) = 1 − C·e^{−(cμ−λ)t}; 0 when unstable.
pub fn mmc_service_level(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let slack = c as f64 * mu - lambda;
    if slack <= 0.0 {
        return 0.0;
    }
    1.0 - erlang_c(c, lambda / mu) * (-slack * t).exp()
}

/// Erlang C staffing: the fewest servers whose M/M/c service level within `t` reaches
/// `target` (a share in [0, 1)). Starts at the smallest stable c and adds one at a time;
/// the service level rises to 1 with c, so any target below 1 is reached (a target of 1
/// or more is reached when the float rounds to 1, or stops at a cap of 10 million).
pub fn smallest_c_for_service_level(lambda: f64, mu: f64, t: f64, target: f64) -> u32 {
    const CAP: u32 = 10_000_000;
    let a = lambda / mu;
    let mut c = (a.floor() as u32).saturating_add(1).max(1);
    while c < CAP && mmc_service_level(c, lambda, mu, t) < target {
        c += 1;
    }
    c
}

/// The smallest c in 1..=`cap` with `meets(c)`, for a `meets` that is monotone in c
/// (false … false true … true): doubling from 1, then bisection, so O(log c) calls (an
/// Erlang A model is rebuilt per call, so a one-by-one scan would cost O(c²)). `None`
/// when even `cap` fails.
pub fn smallest_c_where(cap: u32, mut meets: impl FnMut(u32) -> bool) -> Option<u32> {
    let (mut lo, mut hi) = (0u32, 1u32);
    while !meets(hi) {
        if hi >= cap {
            return None;
        }
        lo = hi;
        hi = hi.saturating_mul(2).min(cap);
    }
    // lo fails (0 = no server, taken as failing), hi meets.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Erlang A staffing: the fewest servers whose M/M/c+M model `meets` (a monotone
/// requirement, such as a service level and an abandonment ratio), at most 10 million.
/// Abandonment keeps every c stable, so the model always exists for θ > 0.
pub fn smallest_c_for_erlang_a(
    lambda: f64,
    mu: f64,
    theta: f64,
    meets: impl Fn(&ErlangA) -> bool,
) -> Option<u32> {
    smallest_c_where(10_000_000, |c| {
        ErlangA::new(c, lambda, mu, theta).is_some_and(|m| meets(&m))
    })
}

/// Erlang A (M/M/c+M): Poisson arrivals at `lambda`, c servers at `mu` each, and each
/// waiting customer abandons at rate `theta`. Built once from the stationary law of the
/// birth–death chain of N, the number in system (birth λ, death min(n,c)μ + max(n−c,0)θ),
/// truncated where the remaining tail is below 1e-16 of the total.
#[derive(Clone, Debug)]
pub struct ErlangA {
    c: u32,
    lambda: f64,
    mu: f64,
    theta: f64,
    /// π_n, n = 0..len.
    probs: Vec<f64>,
}

impl ErlangA {
    /// The model, or `None` when it has no stationary law (θ = 0 and λ ≥ cμ), or a
    /// parameter is not a finite non-negative rate (λ, μ > 0 required).
    pub fn new(c: u32, lambda: f64, mu: f64, theta: f64) -> Option<ErlangA> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !(ok(lambda) && ok(mu) && ok(theta)) || lambda <= 0.0 || mu <= 0.0 {
            return None;
        }
        if theta == 0.0 && lambda >= c as f64 * mu {
            return None;
        }
        let death =
            |n: u64| n.min(c as u64) as f64 * mu + n.saturating_sub(c as u64) as f64 * theta;
        // Log-domain terms, so that a^c/c! for hundreds of servers cannot overflow.
        let mut logs = vec![0.0f64];
        let mut max_log = 0.0f64;
        let ln_lambda = lambda.ln();
        let mut n: u64 = 0;
        loop {
            n += 1;
            let l = logs[logs.len() - 1] + ln_lambda - death(n).ln();
            logs.push(l);
            max_log = max_log.max(l);
            let next_ratio = lambda / death(n + 1);
            if n >= c as u64 && next_ratio < 1.0 {
                // Later ratios are no larger, so the tail is below a geometric series.
                let tail_bound = (l - max_log).exp() / (1.0 - next_ratio);
                if tail_bound < 1e-16 {
                    break;
                }
            }
            if n >= 50_000_000 {
                break;
            }
        }
        let weights: Vec<f64> = logs.iter().map(|l| (l - max_log).exp()).collect();
        let total: f64 = weights.iter().sum();
        let probs = weights.into_iter().map(|w| w / total).collect();
        Some(ErlangA {
            c,
            lambda,
            mu,
            theta,
            probs,
        })
    }

    /// The stationary probability of n in system, π_n (0 beyond the truncation).
    pub fn prob_in_system(&self, n: usize) -> f64 {
        self.probs.get(n).copied().unwrap_or(0.0)
    }

    /// P(an arrival waits) = P(N ≥ c), by PASTA.
    pub fn p_wait(&self) -> f64 {
        self.probs.iter().skip(self.c as usize).sum()
    }

    /// E[number waiting] = Σ (n − c)⁺ π_n.
    pub fn mean_queue_len(&self) -> f64 {
        let c = self.c as usize;
        self.probs
            .iter()
            .enumerate()
            .skip(c + 1)
            .map(|(n, p)| (n - c) as f64 * p)
            .sum()
    }

    /// Share of server time busy: E[busy servers] / c.
    pub fn occupancy(&self) -> f64 {
        self.mean_busy_servers() / self.c as f64
    }

    /// E[busy servers] = Σ min(n, c) π_n.
    pub fn mean_busy_servers(&self) -> f64 {
        let c = self.c as usize;
        self.probs
            .iter()
            .enumerate()
            .map(|(n, p)| n.min(c) as f64 * p)
            .sum()
    }

    /// Share of arrivals who abandon: θ·E[queue] / λ (abandonment flow over arrival flow).
    pub fn abandon_ratio(&self) -> f64 {
        self.theta * self.mean_queue_len() / self.lambda
    }

    /// Mean wait over all arrivals (abandoners count their time to abandon): E[queue]/λ,
    /// by Little's law.
    pub fn wait_mean(&self) -> f64 {
        self.mean_queue_len() / self.lambda
    }

    /// P(an arrival is connected within `t`), abandoners counting as misses.
    ///
    /// Method: an arrival finding n < c is connected at once. One finding n = c + k
    /// has k customers ahead; by FIFO only they matter. Its position j (customers ahead)
    /// falls by one at rate cμ + jθ (a server frees, or one of the j ahead abandons) and it
    /// leaves unserved at its own rate θ; from j = 0 it is served at rate cμ. This absorbing
    /// chain is solved by uniformization at rate Λ = cμ + Kθ (K the largest queue kept):
    /// with u_m(j) = P(served within m uniformized steps | j ahead),
    /// u_{m+1}(j) = (cμ + jθ)/Λ · u_m(j−1) + (1 − (cμ + (j+1)θ)/Λ) · u_m(j), u_m(−1) = 1,
    /// and P(served by t | j) = Σ_m Poisson(m; Λt) · u_m(j). The Poisson sum is cut at
    /// Λt + 10√(Λt) + 30 steps (the dropped tail is below 1e-16), so the result is exact
    /// to that truncation and the stationary law's.
    pub fn service_level(&self, t: f64) -> f64 {
        let c = self.c as usize;
        let at_once: f64 = self.probs.iter().take(c).sum();
        let queued: &[f64] = self.probs.get(c..).unwrap_or(&[]);
        if queued.is_empty() || t <= 0.0 || self.c == 0 {
            return at_once;
        }
        let k_max = queued.len();
        let c_mu = self.c as f64 * self.mu;
        let uni = c_mu + k_max as f64 * self.theta;
        let lt = uni * t;
        let steps = (lt + 10.0 * lt.sqrt() + 30.0).ceil() as usize;
        let mut u = vec![0.0f64; k_max];
        let mut next = vec![0.0f64; k_max];
        let mut served = 0.0;
        let ln_lt = lt.ln();
        for m in 0..=steps {
            let log_w = -lt + m as f64 * ln_lt - crate::math::ln_gamma(m as f64 + 1.0);
            let w = log_w.exp();
            if w > 0.0 {
                served += w * queued.iter().zip(&u).map(|(p, u)| p * u).sum::<f64>();
            }
            for j in 0..k_max {
                let down = (c_mu + j as f64 * self.theta) / uni;
                let stay = 1.0 - (c_mu + (j + 1) as f64 * self.theta) / uni;
                let ahead = if j == 0 { 1.0 } else { u[j - 1] };
                next[j] = down * ahead + stay * u[j];
            }
            std::mem::swap(&mut u, &mut next);
        }
        at_once + served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_textbook_value() {
        // c = 10 servers, a = 8 Erlangs: C ≈ 0.4092 (standard tables).
        let c = erlang_c(10, 8.0);
        assert!((c - 0.409_180_151).abs() < 1e-6, "{c}");
        assert!((erlang_b(10, 8.0) - 0.121_661_064).abs() < 1e-6);
        assert_eq!(erlang_c(5, 5.0), 1.0);
        // One server: C = ρ.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-15);
    }

    #[test]
    fn erlang_c_stays_finite_for_large_desks() {
        let c = erlang_c(1000, 980.0);
        assert!(c.is_finite() && c > 0.0 && c < 1.0);
    }

    #[test]
    fn mmc_wait_and_service_level() {
        // c = 10, λ = 8 per minute, μ = 1 per minute.
        let w = mmc_mean_wait(10, 8.0, 1.0);
        assert!((w - 0.409_180_151 / 2.0).abs() < 1e-6);
        let sl = mmc_service_level(10, 8.0, 1.0, 0.5);
        assert!((sl - (1.0 - 0.409_180_151 * (-1.0f64).exp())).abs() < 1e-6);
        assert_eq!(mmc_service_level(2, 3.0, 1.0, 1.0), 0.0);
        assert_eq!(mmc_mean_wait(2, 3.0, 1.0), f64::INFINITY);
    }

    #[test]
    fn staffing_finds_the_smallest_c() {
        // 360 chats an hour, 240 s handling, 80 % within 20 s: a = 24 Erlangs.
        let (lambda, mu, t) = (360.0 / 3600.0, 1.0 / 240.0, 20.0);
        let c = smallest_c_for_service_level(lambda, mu, t, 0.8);
        assert_eq!(c, 29);
        assert!(mmc_service_level(c, lambda, mu, t) >= 0.8);
        assert!(mmc_service_level(c - 1, lambda, mu, t) < 0.8);
        assert_eq!(smallest_c_for_service_level(lambda, mu, t, 0.0), 25);
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_without_abandonment() {
        let (c, lambda, mu) = (10, 8.0, 1.0);
        let a = ErlangA::new(c, lambda, mu, 1e-12).unwrap();
        assert!((a.p_wait() - erlang_c(c, 8.0)).abs() < 1e-9);
        assert!((a.wait_mean() - mmc_mean_wait(c, lambda, mu)).abs() < 1e-9);
        for t in [0.0, 0.1, 0.5, 2.0] {
            let want = mmc_service_level(c, lambda, mu, t);
            assert!(
                (a.service_level(t) - want).abs() < 1e-9,
                "t {t}: {} vs {want}",
                a.service_level(t)
            );
        }
        assert!(a.abandon_ratio() < 1e-10);
        assert!(ErlangA::new(c, 10.0, 1.0, 0.0).is_none());
    }

    #[test]
    fn erlang_a_balances_flows() {
        // Served flow λ(1 − P(ab)) equals μ·E[busy]; overloaded desk, finite thanks to θ.
        let a = ErlangA::new(20, 25.0, 1.0, 0.5).unwrap();
        let served = 25.0 * (1.0 - a.abandon_ratio());
        assert!((served - a.mean_busy_servers()).abs() < 1e-9);
        let total: f64 = (0..a.probs.len()).map(|n| a.prob_in_system(n)).sum();
        assert!((total - 1.0).abs() < 1e-12);
        // Service level + abandon + served-late add up to at most 1 and rise with t.
        let (s1, s2) = (a.service_level(0.1), a.service_level(1.0));
        assert!(s1 < s2 && s2 < 1.0 - a.abandon_ratio() + 1e-12);
        assert!((a.service_level(1e3) - (1.0 - a.abandon_ratio())).abs() < 1e-9);
    }

    /// The tagged customer's chain integrated directly (RK4 on the Kolmogorov forward
    /// equations), an independent check of the uniformization.
    fn served_by_rk4(c: u32, mu: f64, theta: f64, ahead: usize, t: f64) -> f64 {
        // State j = customers ahead (0..=ahead) plus "served" (absorbing, last slot).
        let n = ahead + 2;
        let c_mu = c as f64 * mu;
        let deriv = |p: &[f64]| {
            let mut d = vec![0.0; n];
            for j in 0..=ahead {
                let down = c_mu + j as f64 * theta;
                let out = down + theta;
                d[j] -= out * p[j];
                if j == 0 {
                    d[n - 1] += down * p[j];
                } else {
                    d[j - 1] += down * p[j];
                }
            }
            d
        };
        let mut p = vec![0.0; n];
        p[ahead] = 1.0;
        let steps = 20_000;
        let h = t / steps as f64;
        for _ in 0..steps {
            let k1 = deriv(&p);
            let y2: Vec<f64> = p.iter().zip(&k1).map(|(a, b)| a + 0.5 * h * b).collect();
            let k2 = deriv(&y2);
            let y3: Vec<f64> = p.iter().zip(&k2).map(|(a, b)| a + 0.5 * h * b).collect();
            let k3 = deriv(&y3);
            let y4: Vec<f64> = p.iter().zip(&k3).map(|(a, b)| a + h * b).collect();
            let k4 = deriv(&y4);
            for i in 0..n {
                p[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
        }
        p[n - 1]
    }

    #[test]
    fn erlang_a_service_level_matches_brute_force() {
        let (c, lambda, mu, theta, t) = (3, 3.5, 1.0, 0.7, 0.8);
        let a = ErlangA::new(c, lambda, mu, theta).unwrap();
        let mut want: f64 = (0..c as usize).map(|n| a.prob_in_system(n)).sum();
        let mut k = 0;
        while a.prob_in_system(c as usize + k) > 1e-18 {
            want += a.prob_in_system(c as usize + k) * served_by_rk4(c, mu, theta, k, t);
            k += 1;
        }
        let got = a.service_level(t);
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }

    #[test]
    fn smallest_c_where_finds_the_threshold_in_few_calls() {
        for answer in [1u32, 2, 3, 7, 64, 65, 1000, 4097] {
            let mut calls = 0;
            let got = smallest_c_where(1 << 20, |c| {
                calls += 1;
                c >= answer
            });
            assert_eq!(got, Some(answer));
            assert!(
                calls <= 2 * (32 - answer.leading_zeros()) + 2,
                "{answer}: {calls}"
            );
        }
        assert_eq!(smallest_c_where(100, |_| false), None);
        assert_eq!(smallest_c_where(100, |c| c >= 100), Some(100));
    }

    #[test]
    fn erlang_a_staffing_is_the_smallest_c_meeting_every_requirement() {
        // 360 chats an hour, 240 s handling, 2 min mean patience, 80 % within 20 s.
        let (lambda, mu, theta, t) = (0.1, 1.0 / 240.0, 1.0 / 120.0, 20.0);
        let sl = |m: &ErlangA| m.service_level(t) >= 0.8;
        let c = smallest_c_for_erlang_a(lambda, mu, theta, sl).unwrap();
        let at = |c| ErlangA::new(c, lambda, mu, theta).unwrap();
        assert!(sl(&at(c)) && !sl(&at(c - 1)), "c {c}");
        // Abandonment shortens the queue: never more than Erlang C's 29.
        assert!(c <= 29, "c {c}");
        let both = |m: &ErlangA| sl(m) && m.abandon_ratio() <= 0.005;
        let c2 = smallest_c_for_erlang_a(lambda, mu, theta, both).unwrap();
        assert!(c2 >= c && both(&at(c2)) && !both(&at(c2 - 1)), "c2 {c2}");
        assert!((at(c2).occupancy() - at(c2).mean_busy_servers() / c2 as f64).abs() < 1e-15);
    }

    #[test]
    fn erlang_a_single_server_closed_form() {
        // M/M/1+M: π_n ∝ λⁿ / (μ (μ+θ) (μ+2θ) …); P(wait) = 1 − π_0.
        let (lambda, mu, theta) = (0.9, 1.0, 0.5);
        let a = ErlangA::new(1, lambda, mu, theta).unwrap();
        let mut term = 1.0;
        let mut total = 1.0;
        for n in 1..200 {
            term *= lambda / (mu + (n - 1) as f64 * theta);
            total += term;
        }
        assert!((a.p_wait() - (1.0 - 1.0 / total)).abs() < 1e-12);
    }
}
