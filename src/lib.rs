//! chatsim: a discrete-event simulator and load benchmark for live-chat customer-service
//! desks run by the idle-reminder / silence-disconnect dispatch method (SPEC.md).
//!
//! ```text
//!  scenario.toml ──┐                        ┌─────────────── sim ───────────────┐
//!  roster.csv    ──┼─> scenario::load ──> Scenario ──> Replication (one per seed i)
//!  profile.csv   ──┘   (raw serde, then       │        world events: EventQueue
//!                       one checked convert)  │        (time, seq) ── arrivals,
//!                                             │        replies, messages, shifts
//!                                             │              │ commands + now
//!                                             │              v
//!                                             │        engine::Engine  (pure: no clock,
//!                                             │        no RNG, no I/O) ── poll_event,
//!                                             │        poll_timeout ──┐
//!                                             │              │ events │ next wake-up
//!                                             │              v        │
//!                                             │        metrics::Observer (Collector)
//!                                             └──────────────┬──────────────────────┘
//!                                                            v  RepMetrics × replications
//!                        metrics::summarize ──> RunSummary (mean ± 95% CI per figure)
//!                                                            v
//!                        report::* (bytes only) ──> report::output (temp dir, rename)
//!                        summary.json · intervals/agents/groups.csv · *.svg · report.html
//! ```
//!
//! The [`engine`] is the claimed method as a state machine any driver can run; the
//! [`sim`]ulator is one driver, [`tools`] (staff, sweep, replay, check) and [`bench`] are
//! others built on it. [`cli`] is the thin command line.

pub mod bench;
pub mod cli;
pub mod csv_line;
pub mod dist;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod tools;

/// The dispatch engine: its own crate, `chatsim-engine`, which knows nothing of the rest.
pub use chatsim_engine as engine;
/// Virtual time (integer milliseconds), from the engine crate.
pub use chatsim_engine::time;
