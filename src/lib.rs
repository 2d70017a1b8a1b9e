//! chatsim: a discrete-event simulator and load benchmark for live-chat customer-service
//! desks run by the idle-reminder / silence-disconnect dispatch method (docs/method.md).
//!
//! ```text
//!  scenario.toml ──┐
//!  roster.csv    ──┼─> scenario::load ──> Scenario
//!  profile.csv   ──┘   (raw serde, then one checked convert)
//!                                  │
//!  pipeline (load, plan units, run them on worker threads with a cancel flag, summarize)
//!                                  │ one Replication per (seed, i)
//!                                  v
//!      ┌───────────────────────── sim ─────────────────────────┐
//!      │ world: EventQueue (time, seq) of arrivals, replies,   │
//!      │ messages, shifts, drawn from dist ── commands + now ──┼──> engine::Engine
//!      │                                  <── events, next ────┤    (crate chatsim-engine:
//!      │                                      wake-up          │     no clock, RNG or I/O)
//!      │ sim::Observer calls ──────────────────────────────────┼──> metrics::Collector
//!      └───────────────────────────────────────────────────────┘         │ RepMetrics
//!                                                                        v
//!                  metrics::Summarizer ──> RunSummary (mean ± 95 % CI per figure,
//!                                          named by catalogue)
//!                                                                        v
//!  tools (run, check, staff, sweep: what to ask; replay, live: the engine alone)
//!                                                                        v
//!  report::* (bytes only) ──> report::output (temp dir, rename) / stdout
//!  summary.json · intervals/agents/groups.csv · *.svg · report.html · staffing.csv · sweep.csv
//! ```
//!
//! Each layer reaches only down: `time`/`engine` < `math` < `dist` < `scenario` < `sim` <
//! `metrics` < `plan` < `report`, `pipeline` < `tools` < `cli` (docs/architecture.md draws it and
//! says what each may not reach). The [`engine`] is the claimed method as a state machine
//! any driver can run; the [`sim`]ulator, `replay` and `live` are drivers. [`cli`] only
//! parses arguments and maps errors to exit codes; [`bench`] measures the engine alone.

pub mod bench;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod csv_line;
pub mod dist;
pub mod math;
pub mod metrics;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod suggest;
pub mod target;
pub mod tools;

/// The dispatch engine: its own crate, `chatsim-engine`, which knows nothing of the rest.
pub use chatsim_engine as engine;
/// Virtual time (integer milliseconds), from the engine crate.
pub use chatsim_engine::time;
