//! Planner tools built on the simulator: staff, sweep, replay, check.
pub mod check;
pub mod replay;
pub mod staff;
pub mod sweep;
