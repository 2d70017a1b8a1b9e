//! chatsim: a discrete-event simulator and load benchmark for live-chat desks.

pub mod cli;
pub mod dist;
pub mod engine;
pub mod metrics;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod time;
pub mod tools;
