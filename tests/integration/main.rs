//! Integration tests, one binary (as nexosim and ripgrep do): each module is named for
//! what it proves.

mod allocation;
mod architecture;
mod bad_inputs;
mod bench_cmd;
mod cli;
mod determinism;
mod fuzz;
mod hardening;
mod interrupt;
mod live;
mod mutate_cli;
mod snapshots;
mod soak;
mod staffing_exact;
mod tools;
mod traces;
mod validation;
