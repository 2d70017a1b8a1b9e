//! The files a scenario names: what `--force` must never delete and what a sharded run
//! pins by content hash (docs/scale-out.md).

use std::path::{Path, PathBuf};

/// Every existing file the scenario at `path` names: each string value of its TOML that,
/// resolved against the scenario's directory as the loader does, is a file (roster,
/// profile, trace, empirical samples), in the order they appear, without repeats.
/// Unreadable or invalid scenarios give none (the loader reports them).
pub fn named_files(path: &Path) -> Vec<PathBuf> {
    // The loader's own reader: a FIFO or a device is refused, not read, and nothing past
    // its size limit is read.
    let Ok(bytes) = super::read_regular_file(path, super::MAX_SCENARIO_BYTES) else {
        return vec![];
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return vec![];
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return vec![];
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut found = vec![];
    table.values().for_each(|v| walk(v, dir, &mut found));
    found
}

/// Adds the strings under `value` that name an existing file in `dir`.
pub fn walk(value: &toml::Value, dir: &Path, found: &mut Vec<PathBuf>) {
    match value {
        toml::Value::String(s) if !s.is_empty() => {
            let named = dir.join(s);
            if named.is_file() && !found.contains(&named) {
                found.push(named);
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|v| walk(v, dir, found)),
        toml::Value::Table(t) => t.values().for_each(|v| walk(v, dir, found)),
        _ => {}
    }
}
