//! A memory-latency probe: how long one random, dependent load takes in a working set of a
//! given size. It tells a reader of `chatsim bench` figures whether the machine's shared L3
//! was free: the 100 000-agent rows are memory-bound, and on a shared VM they move by 2-3x
//! with the neighbours' cache use while the small rows do not.
//!
//! A pointer chase through one random cycle of 64-byte lines (Sattolo's shuffle), so that
//! neither the prefetcher nor out-of-order execution can hide a miss.

use serde::Serialize;
use std::hint::black_box;
use std::time::Instant;

/// The working set `chatsim bench` probes: larger than any L2, smaller than a whole L3.
pub const PROBE_MIB: f64 = 8.0;
/// Loads timed per probe (about 0.1-0.7 s, from L3 to DRAM latency).
pub const PROBE_LOADS: u64 = 5_000_000;

/// The probe's readings around a benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MemoryProbe {
    pub working_set_mib: f64,
    pub ns_per_load_before: f64,
    pub ns_per_load_after: f64,
}

/// One cache line; only the first word is used.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Line {
    next: usize,
}

/// Nanoseconds per dependent random load in a working set of `mib` MiB, over `loads` loads.
pub fn memory_latency_ns(mib: f64, loads: u64) -> f64 {
    let n = ((mib * 1024.0 * 1024.0 / 64.0) as usize).max(2);
    let mut order: Vec<usize> = (0..n).collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % i as u64) as usize);
    }
    let mut lines = vec![Line { next: 0 }; n];
    for i in 0..n {
        lines[order[i]].next = order[(i + 1) % n];
    }
    let mut p = 0;
    for _ in 0..n {
        p = lines[p].next; // every line once, so the timed loads find them resident
    }
    let start = Instant::now();
    for _ in 0..loads {
        p = lines[p].next;
    }
    let ns = start.elapsed().as_nanos() as f64 / loads.max(1) as f64;
    black_box(p);
    ns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reads_a_positive_finite_latency() {
        let ns = memory_latency_ns(0.25, 10_000);
        assert!(ns.is_finite() && ns > 0.0, "{ns}");
    }
}
