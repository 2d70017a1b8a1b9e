//! The CSV files a scenario names: roster, arrival trace and empirical samples (the
//! intraday profile, read as spreadsheets export it, is `forecast`'s). Each reader
//! returns rows with their line numbers, in the raw types the inline TOML forms use, so
//! that one conversion checks both. Lines starting with `#` are comments; blank lines are
//! skipped; cells are trimmed.

use super::input::{read_regular_file, MAX_CSV_BYTES};
use super::raw::{RawRosterRow, TimeValue};
use super::ScenarioError;
use crate::dist::{fmt_value, MAX_DRAW};
use std::path::{Path, PathBuf};

/// Roster columns, in the documented order.
pub(super) const ROSTER_COLUMNS: [&str; 8] = [
    "id",
    "group",
    "max_sessions",
    "shift_start",
    "shift_end",
    "breaks",
    "speed_factor",
    "skills",
];

pub(super) fn line_err(
    file: &Path,
    line: u64,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> ScenarioError {
    ScenarioError::Line {
        file: file.to_path_buf(),
        line,
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// The file's text (a leading byte-order mark dropped), or an error naming the line
/// where it stops being UTF-8.
pub(super) fn read_text(path: &Path) -> Result<String, ScenarioError> {
    let mut bytes =
        read_regular_file(path, MAX_CSV_BYTES).map_err(|error| ScenarioError::Read {
            path: path.to_path_buf(),
            error,
        })?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = e.utf8_error().valid_up_to();
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        line_err(path, line, "the file is not UTF-8 text", "save it as UTF-8")
    })
}

/// Every record of the file with its (1-based, physical) line number, cells trimmed.
/// Blank lines and lines starting with `#` are skipped. Cells may be double-quoted
/// (`"a,b"`, with `""` for a quote) but may not span lines. The lines are split here
/// rather than by the csv crate because its reported line numbers skip blank and
/// comment lines, and an error must point at the line the user sees.
fn read_records(path: &Path) -> Result<Vec<(u64, Vec<String>)>, ScenarioError> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    for (i, raw_line) in text.lines().enumerate() {
        let line = i as u64 + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let cells = crate::csv_line::split(trimmed)
            .map_err(|p| line_err(path, line, p, "close every quoted cell on its own line"))?
            .into_iter()
            .map(std::borrow::Cow::into_owned)
            .collect();
        out.push((line, cells));
    }
    Ok(out)
}

/// Maps a header row to column indices, rejecting unknown and repeated names.
fn header_indices(
    path: &Path,
    line: u64,
    header: &[String],
    known: &[&str],
) -> Result<Vec<Option<usize>>, ScenarioError> {
    let mut idx = vec![None; known.len()];
    for (i, name) in header.iter().enumerate() {
        let Some(k) = known.iter().position(|k| k == name) else {
            return Err(line_err(
                path,
                line,
                format!("unknown column \"{name}\" in the header"),
                format!("use the columns {}", known.join(",")),
            ));
        };
        if idx[k].is_some() {
            return Err(line_err(
                path,
                line,
                format!("column \"{name}\" appears twice in the header"),
                "keep one",
            ));
        }
        idx[k] = Some(i);
    }
    Ok(idx)
}

fn check_width(
    path: &Path,
    line: u64,
    row: &[String],
    header: &[String],
) -> Result<(), ScenarioError> {
    if row.len() != header.len() {
        return Err(line_err(
            path,
            line,
            format!(
                "{} fields, expected {} ({})",
                row.len(),
                header.len(),
                header.join(",")
            ),
            "give one value per column (leave optional ones empty, keep the commas)",
        ));
    }
    Ok(())
}

fn cell(row: &[String], idx: Option<usize>) -> Option<&str> {
    idx.map(|i| row[i].as_str()).filter(|s| !s.is_empty())
}

/// The roster: a header naming some of [`ROSTER_COLUMNS`] (id, shift_start and shift_end
/// are required), then one agent per row.
pub(super) fn read_roster(path: &Path) -> Result<Vec<(u64, RawRosterRow)>, ScenarioError> {
    let records = read_records(path)?;
    let Some(((hline, header), rows)) = records.split_first() else {
        return Err(line_err(
            path,
            1,
            "the roster is empty",
            format!(
                "write a header {} and one row per agent",
                ROSTER_COLUMNS.join(",")
            ),
        ));
    };
    let idx = header_indices(path, *hline, header, &ROSTER_COLUMNS)?;
    for (k, name) in ROSTER_COLUMNS.iter().enumerate() {
        if idx[k].is_none() && matches!(*name, "id" | "shift_start" | "shift_end") {
            return Err(line_err(
                path,
                *hline,
                format!("the header has no column \"{name}\""),
                format!("add it; the columns are {}", ROSTER_COLUMNS.join(",")),
            ));
        }
    }
    if rows.is_empty() {
        return Err(line_err(
            path,
            *hline,
            "the roster has a header but no agents",
            "add one row per agent",
        ));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        let line = *line;
        check_width(path, line, row, header)?;
        let max_sessions = match cell(row, idx[2]) {
            None => None,
            Some(s) => Some(s.parse::<i64>().map_err(|_| {
                line_err(
                    path,
                    line,
                    format!("column `max_sessions`: \"{s}\" is not an integer"),
                    "give a whole number 1..=64",
                )
            })?),
        };
        let speed_factor = match cell(row, idx[6]) {
            None => None,
            Some(s) => Some(s.parse::<f64>().map_err(|_| {
                line_err(
                    path,
                    line,
                    format!("column `speed_factor`: \"{s}\" is not a number"),
                    "give a number > 0, e.g. 1.0",
                )
            })?),
        };
        out.push((
            line,
            RawRosterRow {
                id: cell(row, idx[0]).unwrap_or("").to_owned(),
                group: cell(row, idx[1]).map(str::to_owned),
                max_sessions,
                shift_start: TimeValue::Text(cell(row, idx[3]).unwrap_or("").to_owned()),
                shift_end: TimeValue::Text(cell(row, idx[4]).unwrap_or("").to_owned()),
                breaks: cell(row, idx[5]).map(str::to_owned),
                speed_factor,
                skills: cell(row, idx[7]).map(str::to_owned),
            },
        ));
    }
    Ok(out)
}

/// Rows of a one-column file; a first row starting with a letter is a header.
fn one_column(path: &Path, what: &str) -> Result<Vec<(u64, String)>, ScenarioError> {
    let mut records = read_records(path)?;
    if records
        .first()
        .is_some_and(|(_, r)| r.len() == 1 && r[0].starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        records.remove(0);
    }
    records
        .into_iter()
        .map(|(line, row)| {
            if row.len() != 1 {
                return Err(line_err(
                    path,
                    line,
                    format!("{} fields, expected 1", row.len()),
                    format!("write one {what} per line"),
                ));
            }
            Ok((line, row.into_iter().next().unwrap_or_default()))
        })
        .collect()
}

/// An arrival trace: one clock reading per row (seconds or HH:MM[:SS]), optional header,
/// handed to `row` one at a time with its line number, in file order. Streamed: a trace of
/// ten million rows costs its bytes and its converted times, not a string per row.
pub(super) fn read_trace(
    path: &Path,
    mut row: impl FnMut(u64, TimeValue) -> Result<(), ScenarioError>,
) -> Result<(), ScenarioError> {
    let text = read_text(path)?;
    let mut first = true;
    let mut rows = 0u64;
    for (i, raw_line) in text.lines().enumerate() {
        let line = i as u64 + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let cells = crate::csv_line::split(trimmed)
            .map_err(|p| line_err(path, line, p, "close every quoted cell on its own line"))?;
        let is_header = std::mem::take(&mut first)
            && cells.len() == 1
            && cells[0].starts_with(|c: char| c.is_ascii_alphabetic());
        if is_header {
            continue;
        }
        if cells.len() != 1 {
            return Err(line_err(
                path,
                line,
                format!("{} fields, expected 1", cells.len()),
                "write one arrival time per line",
            ));
        }
        rows += 1;
        row(line, TimeValue::Text(cells[0].to_string()))?;
    }
    if rows == 0 {
        return Err(line_err(
            path,
            1,
            "the trace holds no arrival times",
            "write one arrival time per line",
        ));
    }
    Ok(())
}

/// Empirical samples: one number ≥ 0 per row, optional header.
pub(super) fn read_samples(path: &Path) -> Result<Vec<f64>, ScenarioError> {
    let rows = one_column(path, "sample")?;
    if rows.is_empty() {
        return Err(line_err(
            path,
            1,
            "the file holds no samples",
            "write one sample per line",
        ));
    }
    rows.into_iter()
        .map(|(line, s)| match s.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=MAX_DRAW).contains(&v) => Ok(v),
            Ok(v) if v > MAX_DRAW && v.is_finite() => Err(line_err(
                path,
                line,
                format!("sample {} is too large", fmt_value(v)),
                format!("give a number from 0 to {}", fmt_value(MAX_DRAW)),
            )),
            Ok(v) => Err(line_err(
                path,
                line,
                format!("sample {} is negative or not finite", fmt_value(v)),
                "give a number ≥ 0",
            )),
            Err(_) => Err(line_err(
                path,
                line,
                format!("\"{s}\" is not a number"),
                "give a number ≥ 0",
            )),
        })
        .collect()
}

/// A file named in the scenario, resolved against the scenario's directory.
pub(super) fn resolve(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn line_numbers_count_blank_and_comment_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        fs::write(&p, "a,b\r\n\r\n# note\r\nx,1\n\ny,2\n").unwrap();
        let rows = read_records(&p).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 4, 6]);
    }
}
