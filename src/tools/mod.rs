//! The commands' bodies, built on [`crate::pipeline`] (`run`/`validate`, `check`, `staff`,
//! `sweep`, `compare`), on the engine alone (`replay`, and `live`, the engine as a sidecar), or on
//! the command line's own definition (`completions`, `manpage`: [`shell`]). Each
//! takes its parsed arguments and a cancel flag and returns an exit code; the bytes come
//! from [`crate::report`]. The shared flags are in [`flags`], the progress bar in [`progress`].
pub mod check;
pub mod compare;
pub mod event_log;
pub mod fit;
pub mod flags;
pub mod live;
pub mod progress;
pub mod replay;
pub mod run;
pub mod shard;
pub mod shell;
pub mod staff;
pub mod sweep;
