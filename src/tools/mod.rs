//! The commands' bodies, built on [`crate::pipeline`] (and, for `replay`, on the engine
//! alone): `run`/`validate`, `check`, `staff`, `sweep`, `replay`. Each takes its parsed
//! arguments and a cancel flag and returns an exit code; the bytes come from
//! [`crate::report`]. The shared flags are in [`flags`].
pub mod check;
pub mod flags;
pub mod replay;
pub mod run;
pub mod staff;
pub mod sweep;
