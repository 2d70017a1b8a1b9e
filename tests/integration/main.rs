//! Integration tests, one binary (as nexosim and ripgrep do): each module is named for
//! what it proves.

/// `CHATSIM_LONG_TESTS=1`: the long variants of the soak, the mutation harness and the
/// fuzz targets (docs/testing.md, "Default and long tests"); `.ci/run` runs them.
pub fn long_tests() -> bool {
    std::env::var_os("CHATSIM_LONG_TESTS").is_some_and(|v| !v.is_empty() && v != "0")
}

mod allocation;
mod architecture;
mod bad_inputs;
mod bench_cmd;
mod cli;
mod compare;
mod conventions;
mod desks;
mod determinism;
mod event_log;
mod fit;
mod forecast;
mod fuzz;
mod hardening;
mod interrupt;
mod live;
mod long_runs;
mod mutate_cli;
mod output_memory;
mod presets;
mod queues;
mod queues_exact;
mod report;
mod shard;
mod snapshots;
mod soak;
mod staffing_exact;
mod staffing_queues;
mod staffing_roster;
mod tools;
mod traces;
mod validation;
