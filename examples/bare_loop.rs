//! The bare-loop reference of the holding model: the leanest M/M/c+M simulation we can
//! write, the denominator of chatsim's speed ratio (benches/bare_ratio.sh).
//!
//! One Xoshiro256++ stream and `rand_distr::Exp` (ziggurat) for every draw, times in whole
//! milliseconds rounded as chatsim rounds them, a binary heap of departure instants, a
//! counter of idle agents and a FIFO of waiting customers' patience deadlines. Abandonment
//! is lazy: a waiting customer whose deadline has passed is counted as abandoned when an
//! agent frees up and reaches it, which gives the same counts as an abandonment event
//! without scheduling one. No engine, no metrics beyond three counters, no reporting.
//!
//!   cargo run --release --example bare_loop -- C RATE_PER_HOUR MEAN_HOLDING_S MEAN_PATIENCE_S HORIZON_S [SEED]
//!
//! Prints `customers served abandoned cpu_s customers_per_cpu_s`.

use rand::SeedableRng;
use rand_distr::{Distribution, Exp};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A duration drawn in seconds, as whole milliseconds (rounded, never truncated).
fn ms(secs: f64) -> u64 {
    (secs * 1000.0).round() as u64
}

/// One run's three counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    customers: u64,
    served: u64,
    abandoned: u64,
}

/// The M/M/c+M loop: `c` agents, Poisson arrivals at `rate_per_s`, exponential holding
/// and patience of these means (seconds), arrivals until `horizon` (ms), then the
/// agents' sessions run out.
fn simulate(
    c: u64,
    rate_per_s: f64,
    holding_s: f64,
    patience_s: f64,
    horizon: u64,
    seed: u64,
) -> Counts {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let inter = Exp::new(rate_per_s).expect("rate > 0");
    let holding = Exp::new(1.0 / holding_s).expect("holding > 0");
    let patience = Exp::new(1.0 / patience_s).expect("patience > 0");

    let mut departures: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(c as usize);
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut idle = c;
    let (mut customers, mut served, mut abandoned) = (0u64, 0u64, 0u64);
    // Arrival instants keep an exact clock so rounding does not accumulate.
    let mut arrival_s = inter.sample(&mut rng);
    let mut next_arrival = ms(arrival_s);
    while next_arrival < horizon || !departures.is_empty() {
        let departure = departures.peek().map_or(u64::MAX, |d| d.0);
        if next_arrival < horizon && next_arrival <= departure {
            let now = next_arrival;
            customers += 1;
            let deadline = now + ms(patience.sample(&mut rng));
            if idle > 0 {
                idle -= 1;
                served += 1;
                departures.push(Reverse(now + ms(holding.sample(&mut rng))));
            } else {
                waiting.push_back(deadline);
            }
            arrival_s += inter.sample(&mut rng);
            next_arrival = ms(arrival_s);
        } else {
            let now = departure;
            departures.pop();
            let mut taken = false;
            while let Some(deadline) = waiting.pop_front() {
                if deadline >= now {
                    served += 1;
                    departures.push(Reverse(now + ms(holding.sample(&mut rng))));
                    taken = true;
                    break;
                }
                abandoned += 1;
            }
            if !taken {
                idle += 1;
            }
        }
    }
    abandoned += waiting.len() as u64;
    Counts {
        customers,
        served,
        abandoned,
    }
}

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("numbers: C RATE HOLDING PATIENCE HORIZON [SEED]")
        })
        .collect();
    if args.len() < 5 {
        eprintln!(
            "usage: bare_loop C RATE_PER_HOUR MEAN_HOLDING_S MEAN_PATIENCE_S HORIZON_S [SEED]"
        );
        std::process::exit(2);
    }
    let seed = args.get(5).copied().unwrap_or(1.0) as u64;
    let started = cpu_seconds();
    let n = simulate(
        args[0] as u64,
        args[1] / 3600.0,
        args[2],
        args[3],
        ms(args[4]),
        seed,
    );
    let cpu = cpu_seconds() - started;
    println!(
        "{} {} {} {cpu:.6} {:.0}",
        n.customers,
        n.served,
        n.abandoned,
        n.customers as f64 / cpu
    );
}

/// CPU seconds of this process (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatsim::metrics::erlang::ErlangA;

    /// The reference simulates the model chatsim is held to: on M/M/10+M at 95 % load
    /// (570 an hour, 60-s holding, 120-s patience) its abandonment ratio is Erlang A's,
    /// within four standard errors of 20 independent runs' mean (each about 100 000
    /// customers); and every customer is either served or abandons.
    #[test]
    fn the_reference_loop_abandons_as_erlang_a_says() {
        let (c, rate_per_s, holding_s, patience_s) = (10, 570.0 / 3600.0, 60.0, 120.0);
        let ratios: Vec<f64> = (1..=20)
            .map(|seed| {
                let n = simulate(c, rate_per_s, holding_s, patience_s, 632_000_000, seed);
                assert_eq!(n.served + n.abandoned, n.customers, "seed {seed}");
                n.abandoned as f64 / n.customers as f64
            })
            .collect();
        let k = ratios.len() as f64;
        let mean = ratios.iter().sum::<f64>() / k;
        let var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let se = (var / k).sqrt();
        let exact = ErlangA::new(c as u32, rate_per_s, 1.0 / holding_s, 1.0 / patience_s)
            .expect("a valid M/M/c+M")
            .abandon_ratio();
        assert!(
            (mean - exact).abs() < 4.0 * se,
            "simulated {mean:.5} ± {se:.5}, Erlang A {exact:.5}"
        );
    }
}
