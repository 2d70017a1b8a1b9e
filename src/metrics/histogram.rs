//! Latency histograms, one way for every figure: the precision, recording (saturating at
//! the top, zero waits in bulk) and quantiles as a bucket's lower edge.

use hdrhistogram::Histogram;

/// Significant digits of every latency histogram: a percentile is reported as the lower
/// edge of its bucket, at most 0.1 % below the true value (exact below 2.048 s), so it
/// never exceeds the exact maximum.
pub const HISTOGRAM_SIGFIG: u8 = 3;

pub(crate) fn new_histogram<T: hdrhistogram::Counter>() -> Histogram<T> {
    Histogram::new(HISTOGRAM_SIGFIG).expect("3 significant digits is a valid histogram precision")
}

pub(crate) fn record<T: hdrhistogram::Counter>(h: &mut Histogram<T>, ms: u64) {
    if h.record(ms).is_err() {
        h.saturating_record(ms);
    }
}

/// Records `n` waits of 0 ms at once. Zero waits (about half the chats of a busy desk
/// connect at once) are only counted as they come, a few instructions where a histogram
/// record is some fifty, and recorded here before the histogram is read: the histogram
/// is then the one recording each would give (the same counts, total, minimum and
/// maximum; 0 never resizes it).
pub(crate) fn record_zeros<T: hdrhistogram::Counter>(h: &mut Histogram<T>, n: u64) {
    match T::from_u64(n) {
        Some(count) if n > 0 => {
            let _ = h.record_n(0, count);
        }
        // More than the counter holds (never in practice): one by one, saturating alike.
        _ => (0..n).for_each(|_| record(h, 0)),
    }
}

/// The q-quantile in ms as the lower edge of its bucket; 0 for an empty histogram.
pub(crate) fn quantile_ms<T: hdrhistogram::Counter>(h: &Histogram<T>, q: f64) -> u64 {
    if h.is_empty() {
        0
    } else {
        h.lowest_equivalent(h.value_at_quantile(q))
    }
}
