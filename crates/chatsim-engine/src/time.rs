//! Virtual time: integer milliseconds behind newtypes, so that no bare integer of
//! unknown unit crosses a module boundary.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of simulated (or, for a live driver, wall) time: milliseconds since the
/// run's epoch. Ordered, copyable, and exact, so equal instants compare equal.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(u64);

/// A length of time in milliseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Millis(u64);

impl SimTime {
    /// The epoch: the start of warm-up in a simulation.
    pub const ZERO: SimTime = SimTime(0);
    /// A time that never comes; used for "no deadline".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// An instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms)
    }

    /// An instant from whole seconds after the epoch.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1000)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time since the epoch, as a duration.
    pub const fn since_epoch(self) -> Millis {
        Millis(self.0)
    }

    /// Seconds since the epoch, as a float for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: SimTime) -> Millis {
        Millis(self.0.saturating_sub(earlier.0))
    }

    /// The instant `d` before this one, the epoch at the earliest.
    pub const fn saturating_sub(self, d: Millis) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
}

impl Millis {
    /// No time at all.
    pub const ZERO: Millis = Millis(0);

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Millis {
        Millis(ms)
    }

    /// A duration of whole seconds.
    pub const fn from_secs(s: u64) -> Millis {
        Millis(s * 1000)
    }

    /// The duration in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This duration less `d`, zero at the least.
    pub const fn saturating_sub(self, d: Millis) -> Millis {
        Millis(self.0.saturating_sub(d.0))
    }

    /// `k` times this duration, saturating.
    pub const fn saturating_mul(self, k: u64) -> Millis {
        Millis(self.0.saturating_mul(k))
    }

    /// A duration drawn as real seconds, rounded to the nearest millisecond (never
    /// truncated: truncation would bias every draw's mean down by half a tick). Negative
    /// and NaN inputs become zero; huge ones saturate.
    pub fn from_secs_f64_rounded(s: f64) -> Millis {
        Millis(round_to_u64(s * 1000.0))
    }

    /// The duration in seconds, as a float for reports.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl Add<Millis> for SimTime {
    type Output = SimTime;
    fn add(self, d: Millis) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<Millis> for SimTime {
    fn add_assign(&mut self, d: Millis) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = Millis;
    fn sub(self, earlier: SimTime) -> Millis {
        self.saturating_since(earlier)
    }
}

impl Add for Millis {
    type Output = Millis;
    fn add(self, o: Millis) -> Millis {
        Millis(self.0.saturating_add(o.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0 / 1000;
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03}",
            s / 3600,
            (s / 60) % 60,
            s % 60,
            self.0 % 1000
        )
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// `x.round()` as a `u64` (halves away from zero), 0 for negative and NaN inputs,
/// saturating: bit for bit the same as `f64::round`, without its library call (baseline
/// x86-64 has no rounding instruction, and every drawn duration passes here).
///
/// Below 2^51 the sum `x + 2^52` is rounded by the addition itself to 2^52 plus the
/// whole number nearest `x` (ties to even) and that number is the sum's mantissa: no
/// float-to-integer conversion, whose saturating checks cost more than the rest (issue
/// 19). A tie rounded down (to even) is moved up: halves go away from zero.
#[inline(always)]
fn round_to_u64(x: f64) -> u64 {
    // 2^52: from here on every double is a whole number.
    const WHOLE: f64 = 4_503_599_627_370_496.0;
    // 2^51: below it, `x + WHOLE` stays under 2^53, in WHOLE's binade.
    const HALF_WHOLE: f64 = 2_251_799_813_685_248.0;
    if x > 0.0 && x < HALF_WHOLE {
        let sum = x + WHOLE;
        // Exact: whole numbers under 2^53; and `x - nearest` is exact (Sterbenz, or
        // `nearest` is 0).
        let nearest = sum - WHOLE;
        let mantissa = sum.to_bits() & ((1 << 52) - 1);
        mantissa + u64::from(x - nearest == 0.5)
    } else {
        round_to_u64_wide(x)
    }
}

/// [`round_to_u64`] for 0, negatives, NaN and from 2^51 on.
#[cold]
#[inline(never)]
fn round_to_u64_wide(x: f64) -> u64 {
    const WHOLE: f64 = 4_503_599_627_370_496.0;
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= WHOLE {
        x as u64 // saturates at u64::MAX
    } else {
        // Below 2^52 the truncation and `x - t` are exact (Sterbenz), so `frac` is the
        // true fractional part.
        let t = x as u64;
        let frac = x - t as f64;
        t + u64::from(frac >= 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written rounding is `f64::round` bit for bit: the halves, the last double
    /// under a half, both sides of 2^51, 2^52 and 2^64, negatives, NaN, and a sweep of
    /// draws.
    #[test]
    fn round_to_u64_is_f64_round() {
        let reference = |x: f64| {
            let r = x.round();
            if r.is_nan() || r <= 0.0 {
                0
            } else if r >= u64::MAX as f64 {
                u64::MAX
            } else {
                r as u64
            }
        };
        let mut cases = vec![
            0.0,
            -0.0,
            -0.4,
            -3.7,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            1e-300,
            1e-320,
            // Both sides of 2^51, where the fast path ends: halves to even and odd.
            2_251_799_813_685_246.5,
            2_251_799_813_685_247.5,
            2_251_799_813_685_248.0,
            2_251_799_813_685_248.5,
            2_251_799_813_685_249.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            4_503_599_627_370_497.0,
            9_007_199_254_740_993.0,
            1.8446744073709552e19,
            1e30,
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Doubles of every exponent, and draws on millisecond scales.
            cases.push(f64::from_bits(x >> 2));
            cases.push((x >> 11) as f64 / (1u64 << 53) as f64 * 1e7);
            cases.push((x % 10_000_000) as f64 / 2.0);
        }
        for c in cases {
            assert_eq!(round_to_u64(c), reference(c), "{c:e}");
        }
    }

    #[test]
    fn rounding_is_to_nearest_not_truncation() {
        assert_eq!(Millis::from_secs_f64_rounded(0.0004), Millis(0));
        assert_eq!(Millis::from_secs_f64_rounded(0.0005), Millis(1));
        assert_eq!(Millis::from_secs_f64_rounded(1.2346), Millis(1235));
        assert_eq!(Millis::from_secs_f64_rounded(-3.0), Millis(0));
        assert_eq!(Millis::from_secs_f64_rounded(f64::NAN), Millis(0));
    }

    #[test]
    fn display_is_clock_like() {
        assert_eq!(SimTime(3_723_004).to_string(), "01:02:03.004");
    }
}
