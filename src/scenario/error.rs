//! Errors that tell the user what to do: each names the file, the field path or line,
//! the bad value and the fix (as hyperfine's and globset's errors do).

use std::io;
use std::path::PathBuf;

/// Why a scenario could not be loaded. Every variant's message names the file (or the
/// override), where in it, the bad value and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A file (the scenario or a CSV it names) could not be read, or was refused: not a
    /// regular file, or over its size limit (see [`super::read_regular_file`]).
    #[error(
        "{}: cannot read the file: {error}; {}",
        path.display(),
        super::input::read_fix(error)
    )]
    Read {
        path: PathBuf,
        /// The OS error, shown in the message itself (not as a `source`, so that an
        /// error chain does not print it twice).
        error: io::Error,
    },
    /// A CSV file named by a field of the scenario could not be read.
    #[error(
        "{}: cannot read the file named by field `{field}` in {}: {error}; {}",
        path.display(),
        file.display(),
        super::input::read_fix(error)
    )]
    ReadNamed {
        /// The CSV file, resolved against the scenario's directory.
        path: PathBuf,
        /// The scenario file naming it.
        file: PathBuf,
        field: String,
        error: io::Error,
    },
    /// TOML syntax, unknown field, missing field or wrong type, as toml reports it (with
    /// line and column).
    #[error("{}: {detail}\n{fix}", file.display())]
    Toml {
        file: PathBuf,
        detail: String,
        fix: String,
    },
    /// A field of the TOML whose value breaks a rule.
    #[error("{}: field `{field}`: {problem}; {fix}", file.display())]
    Field {
        file: PathBuf,
        field: String,
        problem: String,
        fix: String,
    },
    /// A row of a CSV file that breaks a rule.
    #[error("{} line {line}: {problem}; {fix}", file.display())]
    Line {
        file: PathBuf,
        line: u64,
        problem: String,
        fix: String,
    },
    /// An override (`--set path=value`) naming no field, or whose value does not fit.
    #[error("{}: override `{path}`: {problem}; {fix}", file.display())]
    Override {
        file: PathBuf,
        path: String,
        problem: String,
        fix: String,
    },
}

impl ScenarioError {
    /// The field path (`thresholds.reply_interval_s`) or override path, if the error has one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ScenarioError::Field { field, .. } | ScenarioError::ReadNamed { field, .. } => {
                Some(field)
            }
            ScenarioError::Override { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The CSV line number, if the error is about a CSV row.
    pub fn line(&self) -> Option<u64> {
        match self {
            ScenarioError::Line { line, .. } => Some(*line),
            _ => None,
        }
    }
}
