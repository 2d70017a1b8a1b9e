//! Arrival instants: Poisson, a piecewise-constant intraday profile, or a replayed trace.
//! One pending arrival at a time, so memory does not grow with the number of customers.

use super::seed::Rng;
use crate::scenario::{Arrivals, ProfileInterval};
use crate::time::{Millis, SimTime};
use rand::RngExt;

/// Produces arrival instants in order, up to (not including) `end`.
#[derive(Debug)]
pub struct ArrivalClock<'a> {
    arrivals: &'a Arrivals,
    end: SimTime,
    /// Exact (unrounded) time of the last arrival, in seconds, so rounding never drifts.
    last_s: f64,
    /// Profile interval or trace position.
    cursor: usize,
}

impl<'a> ArrivalClock<'a> {
    /// A clock for `arrivals` that stops before `end`.
    pub fn new(arrivals: &'a Arrivals, end: SimTime) -> Self {
        ArrivalClock {
            arrivals,
            end,
            last_s: 0.0,
            cursor: 0,
        }
    }

    /// The next arrival instant, or `None` when arrivals are over. Inlined into the
    /// simulator (one call a customer); a profile's draw stays out of line.
    #[inline(always)]
    pub fn next(&mut self, rng: &mut Rng) -> Option<SimTime> {
        let t = match self.arrivals {
            Arrivals::Poisson { rate_per_hour } => {
                self.last_s += exp1(rng) * 3600.0 / rate_per_hour;
                to_time(self.last_s)
            }
            Arrivals::Profile { intervals } => self.next_in_profile(rng, intervals)?,
            Arrivals::Trace { times } => {
                let t = *times.get(self.cursor)?;
                self.cursor += 1;
                t
            }
        };
        (t < self.end).then_some(t)
    }

    /// The next arrival of a piecewise-constant profile: the inversion of the cumulative
    /// rate, one Exp(1) spent across intervals.
    #[inline(never)]
    fn next_in_profile(&mut self, rng: &mut Rng, intervals: &[ProfileInterval]) -> Option<SimTime> {
        let mut need = exp1(rng);
        loop {
            let iv = intervals.get(self.cursor)?;
            let start_s = iv.start.as_secs_f64().max(self.last_s);
            let end_s = iv.end.as_secs_f64();
            let rate_s = iv.rate_per_hour / 3600.0;
            let mass = rate_s * (end_s - start_s);
            if rate_s > 0.0 && need <= mass {
                self.last_s = start_s + need / rate_s;
                return Some(to_time(self.last_s));
            }
            need -= mass.max(0.0);
            self.last_s = end_s;
            self.cursor += 1;
        }
    }
}

impl ArrivalClock<'_> {
    /// The forecast's AHT of the profile interval of the latest arrival (the clock stays
    /// in that interval until the next draw).
    pub fn aht(&self) -> Option<Millis> {
        match self.arrivals {
            Arrivals::Profile { intervals } => intervals.get(self.cursor).and_then(|i| i.aht),
            _ => None,
        }
    }
}

/// A standard exponential draw by inversion (1 − u avoids ln 0).
fn exp1(rng: &mut Rng) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln()
}

fn to_time(s: f64) -> SimTime {
    SimTime::ZERO + Millis::from_secs_f64_rounded(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::seed::{rng, Stream};

    fn count(arrivals: &Arrivals, end_s: u64) -> usize {
        let mut clock = ArrivalClock::new(arrivals, SimTime::from_secs(end_s));
        let mut r = rng(1, 0, Stream::Arrivals, 0);
        std::iter::from_fn(|| clock.next(&mut r)).count()
    }

    #[test]
    fn poisson_count_matches_rate_within_five_standard_errors() {
        let n = count(
            &Arrivals::Poisson {
                rate_per_hour: 3600.0,
            },
            100_000,
        );
        // Mean 100 000, sd √100 000 ≈ 316.
        assert!((n as f64 - 100_000.0).abs() < 5.0 * 316.3, "{n}");
    }

    #[test]
    fn profile_follows_each_interval_rate() {
        let iv = |a: u64, b: u64, r: f64| ProfileInterval {
            start: SimTime::from_secs(a),
            end: SimTime::from_secs(b),
            rate_per_hour: r,
            aht: None,
        };
        let quiet = Arrivals::Profile {
            intervals: vec![iv(0, 50_000, 0.0), iv(50_000, 100_000, 7200.0)],
        };
        let mut clock = ArrivalClock::new(&quiet, SimTime::from_secs(100_000));
        let mut r = rng(1, 0, Stream::Arrivals, 0);
        let first = clock.next(&mut r).unwrap();
        assert!(
            first >= SimTime::from_secs(50_000),
            "no arrival in a zero-rate interval"
        );
        let n = 1 + std::iter::from_fn(|| clock.next(&mut r)).count();
        // Mean 100 000 (2/s for 50 000 s).
        assert!((n as f64 - 100_000.0).abs() < 5.0 * 316.3, "{n}");
    }

    #[test]
    fn trace_replays_times_and_stops_at_end() {
        let times = vec![
            SimTime::from_millis(5),
            SimTime::from_millis(5),
            SimTime::from_millis(900),
            SimTime::from_millis(2000),
        ];
        let a = Arrivals::Trace { times };
        let mut clock = ArrivalClock::new(&a, SimTime::from_millis(1000));
        let mut r = rng(1, 0, Stream::Arrivals, 0);
        let got: Vec<_> = std::iter::from_fn(|| clock.next(&mut r)).collect();
        assert_eq!(
            got,
            [
                SimTime::from_millis(5),
                SimTime::from_millis(5),
                SimTime::from_millis(900)
            ]
        );
    }
}
