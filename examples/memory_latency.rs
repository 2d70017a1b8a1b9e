//! How long one random, dependent load takes on this machine, by working-set size: the
//! floor under any engine whose state outgrows the caches (see `chatsim::bench::probe`).
//!
//! ```text
//! cargo run --release --example memory_latency [-- MIB ...]   (default: 0.5 1 2 4 8 16 32 64)
//! ```
//!
//! On a shared VM the answer moves with the neighbours: when they fill the shared L3, an
//! 8 MiB working set costs DRAM latency; when they are quiet, L3 latency.
//! `benches/scaling_ratio.sh` pairs this probe with the routing bench for that reason.

use chatsim::bench::probe::{memory_latency_ns, PROBE_LOADS};

fn main() {
    let sizes: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    } else {
        sizes
    };
    for mib in sizes {
        println!(
            "{mib:>6} MiB  {:6.1} ns/load",
            memory_latency_ns(mib, PROBE_LOADS)
        );
    }
}
