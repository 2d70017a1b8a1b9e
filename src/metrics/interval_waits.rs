//! [`IntervalWaits`]: the waits of one reporting interval (or of one merged summary
//! interval), kept for its `wait_ms_p90`.
//!
//! An interval holds about a hundred waits where a histogram holds some 12 000 slots, so
//! the waits are kept raw (the zero ones only counted) and the p90 is found by selection
//! at close, at exactly the rank the histogram reads: per customer a push, per interval
//! work in its own waits, not in the histogram's slots. The answer is the histogram's,
//! bit for bit ([`IntervalWaits::p90`]). Beyond [`RAW_CAP`] raw waits the batch spills
//! into a histogram, so memory stays bounded however many customers an interval has.

use std::sync::LazyLock;

use hdrhistogram::Histogram;

use super::histogram::{new_histogram, quantile_ms, record, record_zeros};

/// The most raw waits an interval keeps before it spills them into its histogram (16 KiB
/// a buffer): a few times the busiest intervals measured (~1 400 customers in 15 minutes
/// at M/M/100, about half of them waiting), and a fixed bound, whatever the arrival rate.
pub(crate) const RAW_CAP: usize = 4096;

/// The quantile reported per interval.
const P90: f64 = 0.9;

/// A histogram of the collector's precision, only to read its bucket edges from.
static SCALE: LazyLock<Histogram<u8>> = LazyLock::new(new_histogram);

/// One interval's waits: the zero ones counted, the others raw until [`RAW_CAP`], then
/// spilled into a histogram batch by batch.
#[derive(Clone, Debug, Default)]
pub(crate) struct IntervalWaits {
    /// Zero waits (about half the chats of a busy desk connect at once): a count only.
    zeros: u64,
    /// Non-zero waits not in `spilled`, in ms.
    raw: Vec<u32>,
    /// Every earlier batch of raw waits, once `raw` filled up (or a wait did not fit a u32).
    spilled: Option<Histogram<u32>>,
}

impl IntervalWaits {
    /// Empty waits that fill `buffer` (cleared) first: a closed interval's, reused.
    pub(crate) fn with_buffer(mut buffer: Vec<u32>) -> IntervalWaits {
        buffer.clear();
        IntervalWaits {
            raw: buffer,
            ..IntervalWaits::default()
        }
    }

    /// The raw buffer, emptied, for [`IntervalWaits::with_buffer`] to reuse.
    pub(crate) fn into_buffer(self) -> Vec<u32> {
        let mut raw = self.raw;
        raw.clear();
        raw
    }

    /// Whether it holds no wait.
    pub(crate) fn is_empty(&self) -> bool {
        self.zeros == 0 && self.raw.is_empty() && self.spilled.is_none()
    }

    /// Adds a wait of `ms`.
    #[inline(always)]
    pub(crate) fn record(&mut self, ms: u64) {
        if ms == 0 {
            self.zeros += 1;
        } else {
            match u32::try_from(ms) {
                Ok(v) if self.raw.len() < RAW_CAP => self.raw.push(v),
                _ => self.spill(ms),
            }
        }
    }

    /// Moves the raw waits into the histogram, then records `ms` there (a full buffer, or
    /// a wait of 50 days and more, which a u32 does not hold).
    #[cold]
    #[inline(never)]
    fn spill(&mut self, ms: u64) {
        self.flush();
        record(self.histogram(), ms);
    }

    fn histogram(&mut self) -> &mut Histogram<u32> {
        self.spilled.get_or_insert_with(new_histogram)
    }

    /// Records the raw waits in the histogram and empties the buffer. The largest goes
    /// first: the histogram then grows once for the batch, not once per new maximum.
    fn flush(&mut self) {
        let Some(max) = self.raw.iter().copied().enumerate().max_by_key(|&(_, v)| v) else {
            return;
        };
        self.raw.swap(0, max.0);
        let mut raw = std::mem::take(&mut self.raw);
        let h = self.histogram();
        for &v in &raw {
            record(h, u64::from(v));
        }
        raw.clear();
        self.raw = raw;
    }

    /// Adds every wait of `other` (a fine interval's, to its merged summary interval's).
    pub(crate) fn absorb(&mut self, other: &IntervalWaits) {
        self.zeros += other.zeros;
        let room = RAW_CAP - self.raw.len();
        if other.raw.len() <= room {
            self.raw.extend_from_slice(&other.raw);
        } else {
            for &v in &other.raw {
                self.record(u64::from(v));
            }
        }
        if let Some(h) = &other.spilled {
            // Both auto-resize, so adding cannot fail.
            let _ = self.histogram().add(h);
        }
    }

    /// The p90 of the waits in ms, as the lower edge of its histogram bucket (0 if none):
    /// exactly `quantile_ms(h, 0.9)` of a histogram `h` holding these waits. That is the
    /// lower edge of the wait of rank `ceil(0.9 × count)` (at least 1) in increasing
    /// order (hdrhistogram's `value_at_quantile` returns the top of that wait's bucket),
    /// which selection finds among the raw waits (the zero ones, all lower, counted
    /// first). Reorders the raw waits.
    pub(crate) fn p90(&mut self) -> u64 {
        if self.spilled.is_some() {
            self.flush();
            let zeros = std::mem::take(&mut self.zeros);
            let h = self.histogram();
            record_zeros(h, zeros);
            return quantile_ms(h, P90);
        }
        let total = self.zeros + self.raw.len() as u64;
        if total == 0 {
            return 0;
        }
        let rank = ((P90 * total as f64).ceil() as u64).max(1);
        if rank <= self.zeros {
            return 0;
        }
        // rank - zeros is in 1..=raw.len(): ceil(0.9 × total) ≤ total.
        let k = (rank - self.zeros - 1) as usize;
        let (_, &mut v, _) = self.raw.select_nth_unstable(k);
        SCALE.lowest_equivalent(u64::from(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The p90 as the collector read it before: a histogram fed each wait (zero waits in
    /// bulk), `quantile_ms(h, 0.9)`.
    fn histogram_of(waits: &[u64]) -> Histogram<u32> {
        let mut h = new_histogram();
        for &ms in waits.iter().filter(|&&ms| ms > 0) {
            record(&mut h, ms);
        }
        record_zeros(&mut h, waits.iter().filter(|&&ms| ms == 0).count() as u64);
        h
    }

    fn p90_of(waits: &[u64]) -> u64 {
        let mut w = IntervalWaits::default();
        waits.iter().for_each(|&ms| w.record(ms));
        w.p90()
    }

    #[test]
    fn the_p90_is_the_lower_edge_of_the_bucket_of_the_ninth_tenth_wait_by_hand() {
        // Ten waits, sorted: 0 0 0 5 7 2047 2048 2049 4097 4099. Rank ceil(0.9 × 10) = 9:
        // 4097, whose bucket (4096..=4099: 4 ms wide above 4096 ms) starts at 4096.
        let waits = [4099, 0, 2049, 5, 0, 4097, 2047, 7, 0, 2048];
        assert_eq!(p90_of(&waits), 4096);
        // Without the 4099: nine waits, rank ceil(8.1) = 9 is the largest, 4097 → 4096.
        // Without 4097 and 4099: eight waits, rank ceil(7.2) = 8 is 2049, whose bucket
        // (2 ms wide above 2048 ms) starts at 2048.
        assert_eq!(p90_of(&[0, 2049, 5, 0, 4097, 2047, 7, 0, 2048]), 4096);
        assert_eq!(p90_of(&[0, 2049, 5, 0, 2047, 7, 0, 2048]), 2048);
        // Nine zeros and a 5: rank 9 is a zero.
        assert_eq!(p90_of(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 5]), 0);
        // One wait is its own p90 (rank at least 1); none gives 0.
        assert_eq!(p90_of(&[2047]), 2047);
        assert_eq!(p90_of(&[]), 0);
    }

    #[test]
    fn a_full_buffer_spills_and_is_reused() {
        // RAW_CAP + 1 waits of 1..=RAW_CAP+1 ms: the last one finds the buffer full,
        // spills it into the histogram and goes there too; rank ceil(0.9 × 4097) = 3688 is 3688 ms,
        // in the 2-ms bucket 3688..=3689.
        let waits: Vec<u64> = (1..=RAW_CAP as u64 + 1).collect();
        let mut w = IntervalWaits::default();
        waits.iter().for_each(|&ms| w.record(ms));
        assert!(w.spilled.is_some());
        assert!(w.raw.is_empty());
        assert_eq!(w.p90(), 3688);
        let buffer = w.into_buffer();
        assert!(buffer.is_empty() && buffer.capacity() >= RAW_CAP);
        let reused = IntervalWaits::with_buffer(buffer);
        assert!(reused.is_empty());
    }

    /// Waits with many ties, zeros, every bucket edge from 2 048 ms up, and a few too
    /// long for a u32.
    fn wait() -> impl Strategy<Value = u64> {
        prop_oneof![
            3 => Just(0u64),
            2 => 1u64..6,
            2 => 1u64..3000,
            2 => (11u32..33).prop_flat_map(|k| (1u64 << k) - 3..(1u64 << k) + 3),
            2 => 1u64..300_000,
            1 => u64::from(u32::MAX) - 2..u64::from(u32::MAX) + 3,
        ]
    }

    /// One interval's waits: mostly a few dozen, sometimes past the raw bound.
    fn interval() -> impl Strategy<Value = Vec<u64>> {
        prop_oneof![
            6 => prop::collection::vec(wait(), 0..60),
            2 => prop::collection::vec(wait(), 0..600),
            1 => prop::collection::vec(wait(), RAW_CAP - 3..RAW_CAP + 40),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn the_p90_is_the_histograms(waits in interval()) {
            prop_assert_eq!(p90_of(&waits), quantile_ms(&histogram_of(&waits), 0.9));
        }

        /// A merged summary interval: each fine interval's waits absorbed into the bucket
        /// (the fine p90 read too, reordering them), against the fine histograms added up
        /// as the collector did; one buffer reused from interval to interval.
        #[test]
        fn a_merged_p90_is_the_merged_histograms(intervals in prop::collection::vec(interval(), 1..6)) {
            let mut bucket = IntervalWaits::default();
            let mut merged: Histogram<u32> = new_histogram();
            let mut buffer = Vec::new();
            for waits in &intervals {
                let mut fine = IntervalWaits::with_buffer(buffer);
                waits.iter().for_each(|&ms| fine.record(ms));
                bucket.absorb(&fine);
                let h = histogram_of(waits);
                prop_assert_eq!(fine.p90(), quantile_ms(&h, 0.9));
                merged.add(&h).unwrap();
                buffer = fine.into_buffer();
            }
            prop_assert_eq!(bucket.p90(), quantile_ms(&merged, 0.9));
        }
    }
}
