//! Planner tools built on the simulator: staff, sweep, replay, check.
pub mod replay;
