//! The commands' bodies, built on [`crate::pipeline`] (`run`/`validate`, `check`, `staff`,
//! `sweep`) or on the engine alone (`replay`, and `live`, the engine as a sidecar). Each
//! takes its parsed arguments and a cancel flag and returns an exit code; the bytes come
//! from [`crate::report`]. The shared flags are in [`flags`].
pub mod check;
pub mod flags;
pub mod live;
pub mod replay;
pub mod run;
pub mod staff;
pub mod sweep;
