//! Integration tests, one binary (as nexosim and ripgrep do): each module is named for
//! what it proves.

mod validation;
