//! Integration tests, one binary (as nexosim and ripgrep do): each module is named for
//! what it proves.

mod allocation;
mod snapshots;
mod soak;
mod tools;
mod validation;
