//! Planner tools built on the simulator: staff, sweep, replay, check; and `live`, the
//! engine as a sidecar.
pub mod check;
pub mod live;
pub mod replay;
pub mod staff;
pub mod sweep;
