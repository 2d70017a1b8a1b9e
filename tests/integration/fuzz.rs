//! Fuzzing every input parser through the library: the scenario TOML, the roster,
//! profile, trace and empirical-sample CSVs, and the replay log. Each target gets
//! (a) arbitrary bytes or text and (b) structured mutations of a valid bundled file
//! (lines deleted, duplicated, swapped or inserted; a value replaced by a hostile token;
//! a column dropped or added; the text cut short).
//!
//! Every case must return quickly and without panicking. A rejection must name the file
//! and the place in it (a field path or a line that exists); an accepted scenario must
//! survive a tiny simulation (capped by `run.max_events`), the report writers, and the
//! round trip through its resolved form. `CHATSIM_FUZZ_CASES` sets the cases per target
//! (default 256, 2 048 with `CHATSIM_LONG_TESTS=1`); docs/testing.md records the long local
//! runs.

use chatsim::metrics::{summarize, Collector};
use chatsim::report;
use chatsim::scenario::{self, Scenario, ScenarioError};
use chatsim::sim::{Replication, SimError};
use chatsim::tools::replay::{replay_str, ReplayError, ReplaySettings};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::path::Path;
use std::time::{Duration, Instant};

const DEFAULT_TOML: &str = include_str!("../../scenarios/default.toml");
const DEFAULT_ROSTER: &str = include_str!("../../scenarios/default-roster.csv");
const DEFAULT_PROFILE: &str = include_str!("../../scenarios/default-profile.csv");
const MMC_TOML: &str = include_str!("../../scenarios/mmc.toml");
pub(crate) const EXAMPLE_LOG: &str = include_str!("../../scenarios/example-log.csv");
const TRACE_TOML: &str = include_str!("../fixtures/trace.toml");
const TRACE_CSV: &str = include_str!("../fixtures/trace.csv");
const SAMPLES_CSV: &str = include_str!("../fixtures/holding-samples.csv");

/// Loose bound on one case: parsing, plus the tiny run when the input is accepted. The
/// slowest legitimate case is a replay walking its 50 million timer wake-ups to the
/// limit: about 2 s in release, a minute without optimisations.
const CASE_TIME_LIMIT: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(300)
} else {
    Duration::from_secs(10)
};
/// The event cap of the tiny run of an accepted scenario.
const TINY_RUN_EVENTS: u64 = 20_000;

fn cases() -> u32 {
    std::env::var("CHATSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if super::long_tests() { 2048 } else { 256 })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Crashing inputs are kept by hand as named regression tests below.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ----- inputs --------------------------------------------------------------------------

/// A scenario directory: the TOML's name and every file it holds.
#[derive(Clone, Debug)]
pub(crate) struct Bundle {
    pub(crate) toml: &'static str,
    pub(crate) files: Vec<(&'static str, Vec<u8>)>,
}

impl Bundle {
    pub(crate) fn default_desk() -> Bundle {
        Bundle {
            toml: "default.toml",
            files: vec![
                ("default.toml", DEFAULT_TOML.into()),
                ("default-roster.csv", DEFAULT_ROSTER.into()),
                ("default-profile.csv", DEFAULT_PROFILE.into()),
            ],
        }
    }

    pub(crate) fn mmc() -> Bundle {
        Bundle {
            toml: "mmc.toml",
            files: vec![("mmc.toml", MMC_TOML.into())],
        }
    }

    fn trace() -> Bundle {
        Bundle {
            toml: "trace.toml",
            files: vec![
                ("trace.toml", TRACE_TOML.into()),
                ("trace.csv", TRACE_CSV.into()),
                ("holding-samples.csv", SAMPLES_CSV.into()),
            ],
        }
    }

    fn with(mut self, name: &str, bytes: Vec<u8>) -> Bundle {
        let slot = self.files.iter_mut().find(|(n, _)| *n == name);
        slot.expect("a file of the bundle").1 = bytes;
        self
    }
}

/// Values that break parsers: signs, non-finite and overflowing numbers, empty strings,
/// impossible clock times, integers at and past the type limits, unicode, TOML syntax.
const TOKENS: &[&str] = &[
    "-1",
    "0",
    "-0",
    "1",
    "0.5",
    "1.5",
    "64",
    "65",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "1e-320",
    "0.001",
    "0.0001",
    "1e11",
    "1e12",
    "1e13",
    "\"\"",
    "",
    " ",
    "99:99",
    "24:00",
    "00:00",
    "23:59:59.999",
    "100:00",
    "8:3",
    "99999999999999999999:00",
    "12:00+30m",
    "08:00+99999999999999999999999h",
    "99999999999999999999:00+30m",
    "08:00+30m;08:10+5m",
    "1e11",
    "00:00+0s",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "\"18446744073709551616\"",
    "99999999999999999999999999999",
    "üñíçødé",
    "日本語",
    "🙂",
    "\u{feff}",
    "\"off\"",
    "off",
    "true",
    "[]",
    "{}",
    "[1, -2]",
    "\"exponential\"",
    "{ dist = \"constant\", value_s = 0 }",
    "{ dist = \"empirical\", file = \"default-roster.csv\" }",
    "#",
    ",",
    "\"",
    "\"a,b\"",
    "request",
    "close",
    "agent_reply",
    "customer_message",
];

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(TOKENS).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<f64>().prop_map(|v| v.to_string()),
        1 => (0u32..100_000).prop_map(|v| v.to_string()),
        1 => "[ -~]{0,12}",
        1 => "\\PC{0,8}",
    ]
}

/// How a file is cut into values: CSV cells, or TOML `key = value` pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    Toml,
}

/// Which line, cell or position an edit hits: taken modulo the number there are.
type Pick = u32;

fn at(pick: Pick, n: usize) -> usize {
    pick as usize % n
}

/// One structured edit of a valid file.
#[derive(Clone, Debug)]
pub(crate) enum Mutation {
    DeleteLine(Pick),
    DuplicateLine(Pick),
    SwapLines(Pick, Pick),
    InsertLine(Pick, String),
    ReplaceValue(Pick, Pick, String),
    /// CSV: remove one column from every line. TOML: remove one `key = value`.
    DropColumn(Pick, Pick),
    /// CSV: append a cell to every line. TOML: add a `key = value` line.
    AddColumn(Pick, String),
    Truncate(Pick),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => any::<Pick>().prop_map(Mutation::DeleteLine),
        1 => any::<Pick>().prop_map(Mutation::DuplicateLine),
        1 => (any::<Pick>(), any::<Pick>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => (any::<Pick>(), token()).prop_map(|(a, t)| Mutation::InsertLine(a, t)),
        6 => (any::<Pick>(), any::<Pick>(), token())
            .prop_map(|(l, f, t)| Mutation::ReplaceValue(l, f, t)),
        1 => (any::<Pick>(), any::<Pick>()).prop_map(|(l, f)| Mutation::DropColumn(l, f)),
        1 => (any::<Pick>(), token()).prop_map(|(l, t)| Mutation::AddColumn(l, t)),
        1 => any::<Pick>().prop_map(Mutation::Truncate),
    ]
}

pub(crate) fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..4)
}

/// The byte ranges of the values of a TOML line: what follows each `=` up to the next
/// `,`, `}` or end of line (good enough to hit every scalar of the bundled files).
fn toml_value_ranges(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, c) in line.char_indices() {
        if c == '=' {
            let start = i + 1;
            let end = line[start..]
                .find([',', '}', '#'])
                .map_or(line.len(), |j| start + j);
            out.push((start, end));
        }
    }
    out
}

pub(crate) fn apply(text: &str, format: Format, edits: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut cut: Option<usize> = None;
    for m in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match m {
            Mutation::DeleteLine(i) => {
                lines.remove(at(*i, n));
            }
            Mutation::DuplicateLine(i) => {
                let k = at(*i, n);
                lines.insert(k, lines[k].clone());
            }
            Mutation::SwapLines(a, b) => lines.swap(at(*a, n), at(*b, n)),
            Mutation::InsertLine(i, t) => lines.insert(at(*i, n + 1), t.clone()),
            Mutation::ReplaceValue(l, f, t) => {
                let line = &mut lines[at(*l, n)];
                match format {
                    Format::Csv => {
                        let mut cells: Vec<&str> = line.split(',').collect();
                        let k = at(*f, cells.len());
                        cells[k] = t;
                        *line = cells.join(",");
                    }
                    Format::Toml => {
                        let ranges = toml_value_ranges(line);
                        if ranges.is_empty() {
                            *line = t.clone();
                        } else {
                            let (s, e) = ranges[at(*f, ranges.len())];
                            line.replace_range(s..e, &format!(" {t} "));
                        }
                    }
                }
            }
            Mutation::DropColumn(l, f) => match format {
                Format::Csv => {
                    let width = lines
                        .iter()
                        .map(|l| l.split(',').count())
                        .max()
                        .unwrap_or(1);
                    let k = at(*f, width);
                    for line in &mut lines {
                        let mut cells: Vec<&str> = line.split(',').collect();
                        if k < cells.len() {
                            cells.remove(k);
                        }
                        *line = cells.join(",");
                    }
                }
                Format::Toml => {
                    let line = &mut lines[at(*l, n)];
                    let ranges = toml_value_ranges(line);
                    if ranges.is_empty() {
                        line.clear();
                    } else {
                        // Remove `key = value` by cutting from the previous separator.
                        let (s, e) = ranges[at(*f, ranges.len())];
                        let key_start = line[..s].rfind([',', '{']).map_or(0, |p| p + 1);
                        let end = if line[e..].starts_with(',') { e + 1 } else { e };
                        line.replace_range(key_start..end, "");
                    }
                }
            },
            Mutation::AddColumn(l, t) => match format {
                Format::Csv => {
                    for line in &mut lines {
                        line.push(',');
                        line.push_str(t);
                    }
                }
                Format::Toml => lines.insert(at(*l, n + 1), format!("extra_field = {t}")),
            },
            Mutation::Truncate(i) => cut = Some(*i as usize),
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    if let Some(c) = cut {
        let mut at = c % (out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.truncate(at);
    }
    out
}

// ----- checks --------------------------------------------------------------------------

/// Physical lines of a file, as the parsers count them (an empty file has line 1).
fn line_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// A scenario rejection names a file of the bundle and a field path or an existing line.
fn check_scenario_error(e: &ScenarioError, bundle: &Bundle) -> Result<(), TestCaseError> {
    let msg = e.to_string();
    prop_assert!(
        bundle.files.iter().any(|(n, _)| msg.contains(n)),
        "the message names no file of the scenario:\n{msg}"
    );
    match e {
        ScenarioError::Toml { detail, fix, .. } => {
            prop_assert!(detail.contains("line"), "no line in: {msg}");
            prop_assert!(!fix.is_empty(), "no fix in: {msg}");
        }
        ScenarioError::Field { field, fix, .. } => {
            prop_assert!(
                !field.is_empty() && msg.contains(&format!("field `{field}`")),
                "no field in: {msg}"
            );
            prop_assert!(!fix.is_empty(), "no fix in: {msg}");
        }
        ScenarioError::Line {
            file, line, fix, ..
        } => {
            prop_assert!(msg.contains(&format!("line {line}")), "{msg}");
            prop_assert!(!fix.is_empty(), "no fix in: {msg}");
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some((_, bytes)) = bundle.files.iter().find(|(n, _)| *n == name) {
                prop_assert!(
                    (1..=line_count(bytes)).contains(line),
                    "line {line} is not a line of {name}: {msg}"
                );
            }
        }
        ScenarioError::ReadNamed { field, .. } => {
            // A mutated `file = ...` names a path that is missing or a directory.
            prop_assert!(msg.contains(&format!("field `{field}`")), "{msg}");
        }
        ScenarioError::Read { .. } => {
            prop_assert!(false, "a CSV's read error names no field: {msg}")
        }
        ScenarioError::Override { .. } => prop_assert!(false, "no overrides given: {msg}"),
    }
    Ok(())
}

/// An accepted scenario runs (capped), reports, and round-trips through its resolved form.
fn check_accepted(sc: &Scenario, dir: &Path) -> Result<(), TestCaseError> {
    let resolved = scenario::to_resolved_toml(sc);
    let again = scenario::from_toml_str(&resolved, &dir.join("resolved.toml"));
    match again {
        Ok(again) => prop_assert!(
            &again == sc,
            "the resolved scenario loads back different:\n{resolved}"
        ),
        Err(e) => prop_assert!(false, "the resolved scenario is rejected: {e}\n{resolved}"),
    }
    let mut tiny = sc.clone();
    tiny.run.max_events = tiny.run.max_events.min(TINY_RUN_EVENTS);
    let seed = tiny.run.seed;
    match Replication::new(&tiny, seed, 0, Collector::new(&tiny)).run() {
        Ok((collector, _)) => {
            let summary = summarize(&tiny, seed, &[collector.finish()], 0.0);
            let files = report::run_files(&summary, &tiny).expect("the report's files");
            prop_assert!(files.iter().all(|(_, bytes)| !bytes.is_empty()));
        }
        Err(SimError::EventLimit { .. } | SimError::TimeLimit { .. }) => {}
        Err(e) => prop_assert!(false, "unexpected {e}"),
    }
    Ok(())
}

thread_local! {
    /// One scenario directory per target (each target runs on its own thread): a fresh
    /// one per case would cost more than the case.
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary directory");
}

/// Writes the bundle into this thread's directory and checks it (see [`check_bundle_in`]).
fn check_bundle(bundle: &Bundle) -> Result<(), TestCaseError> {
    DIR.with(|dir| check_bundle_in(dir.path(), bundle))
}

/// Writes the bundle into `dir` and loads its TOML through the library.
fn load_bundle_in(dir: &Path, bundle: &Bundle) -> Result<Scenario, ScenarioError> {
    for (name, bytes) in &bundle.files {
        std::fs::write(dir.join(name), bytes).expect("write a fuzz file");
    }
    let toml = bundle
        .files
        .iter()
        .find(|(n, _)| *n == bundle.toml)
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    scenario::from_toml_str(&toml, &dir.join(bundle.toml))
}

/// Writes the bundle into `dir`, loads it and checks the result (see the module doc).
fn check_bundle_in(dir: &Path, bundle: &Bundle) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let loaded = load_bundle_in(dir, bundle);
    match &loaded {
        Err(e) => check_scenario_error(e, bundle)?,
        Ok(sc) => check_accepted(sc, dir)?,
    }
    let took = started.elapsed();
    prop_assert!(took < CASE_TIME_LIMIT, "the case took {took:?}");
    Ok(())
}

/// A replay rejection names the log and, for a row, an existing line.
fn check_replay(text: &str, settings: &ReplaySettings) -> Result<(), TestCaseError> {
    let name = "example-log.csv";
    let started = Instant::now();
    let result = replay_str(text, name, settings);
    let took = started.elapsed();
    prop_assert!(took < CASE_TIME_LIMIT, "the replay took {took:?}");
    let Err(e) = result else {
        return Ok(());
    };
    let msg = e.to_string();
    prop_assert!(msg.contains(name), "the message names no file: {msg}");
    let line = match &e {
        ReplayError::Csv { line, .. }
        | ReplayError::Header { line, .. }
        | ReplayError::ColumnCount { line, .. }
        | ReplayError::Timestamp { line, .. }
        | ReplayError::Unsorted { line, .. }
        | ReplayError::Kind { line, .. }
        | ReplayError::EmptySession { line, .. }
        | ReplayError::NotRequested { line, .. }
        | ReplayError::DuplicateRequest { line, .. }
        | ReplayError::AfterClose { line, .. } => Some(*line),
        ReplayError::Empty { .. } | ReplayError::TooManyTimers { .. } => None,
        other => return Err(TestCaseError::fail(format!("unexpected {other}"))),
    };
    if let Some(line) = line {
        prop_assert!(msg.contains(&format!("{name}:{line}:")), "{msg}");
        prop_assert!(
            (1..=line_count(text.as_bytes())).contains(&line),
            "line {line} is not a line of the log: {msg}"
        );
    }
    Ok(())
}

fn settings() -> impl Strategy<Value = ReplaySettings> {
    (
        prop::sample::select(&[1.0, 30.0, 60.0][..]),
        prop::sample::select(&[5.0, 300.0][..]),
        any::<bool>(),
        prop::option::of(0u32..4),
    )
        .prop_map(|(reply, message, repeat, cap)| ReplaySettings {
            reply_interval_s: reply,
            message_interval_s: message,
            repeat_reminders: repeat,
            reminder_cap: cap,
        })
}

/// Text that looks like CSV: digits, clock punctuation, commas, quotes, newlines.
const CSV_ISH: &str = "[0-9a-z:.,+;#\" \\-\n]{0,400}";

// ----- targets -------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scenario_toml_arbitrary_text(text in prop_oneof![
        any::<String>(),
        "[a-z_\\[\\]=\"0-9. {},\n-]{0,400}",
    ]) {
        let bundle = Bundle::default_desk().with("default.toml", text.into_bytes());
        check_bundle(&bundle)?;
    }

    #[test]
    fn scenario_toml_mutated(which in 0..3usize, edits in mutations()) {
        let (bundle, base) = match which {
            0 => (Bundle::default_desk(), DEFAULT_TOML),
            1 => (Bundle::mmc(), MMC_TOML),
            _ => (Bundle::trace(), TRACE_TOML),
        };
        let name = bundle.toml;
        let bundle = bundle.with(name, apply(base, Format::Toml, &edits).into_bytes());
        check_bundle(&bundle)?;
    }

    #[test]
    fn roster_csv_arbitrary(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        CSV_ISH.prop_map(String::into_bytes),
    ]) {
        check_bundle(&Bundle::default_desk().with("default-roster.csv", bytes))?;
    }

    #[test]
    fn roster_csv_mutated(edits in mutations()) {
        let text = apply(DEFAULT_ROSTER, Format::Csv, &edits);
        check_bundle(&Bundle::default_desk().with("default-roster.csv", text.into_bytes()))?;
    }

    #[test]
    fn profile_csv_arbitrary(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        CSV_ISH.prop_map(String::into_bytes),
    ]) {
        check_bundle(&Bundle::default_desk().with("default-profile.csv", bytes))?;
    }

    #[test]
    fn profile_csv_mutated(edits in mutations()) {
        let text = apply(DEFAULT_PROFILE, Format::Csv, &edits);
        check_bundle(&Bundle::default_desk().with("default-profile.csv", text.into_bytes()))?;
    }

    #[test]
    fn trace_csv_arbitrary(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        CSV_ISH.prop_map(String::into_bytes),
    ]) {
        check_bundle(&Bundle::trace().with("trace.csv", bytes))?;
    }

    #[test]
    fn trace_csv_mutated(edits in mutations()) {
        let text = apply(TRACE_CSV, Format::Csv, &edits);
        check_bundle(&Bundle::trace().with("trace.csv", text.into_bytes()))?;
    }

    #[test]
    fn samples_csv_arbitrary(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        CSV_ISH.prop_map(String::into_bytes),
    ]) {
        check_bundle(&Bundle::trace().with("holding-samples.csv", bytes))?;
    }

    #[test]
    fn samples_csv_mutated(edits in mutations()) {
        let text = apply(SAMPLES_CSV, Format::Csv, &edits);
        check_bundle(&Bundle::trace().with("holding-samples.csv", text.into_bytes()))?;
    }

    #[test]
    fn replay_log_arbitrary(text in prop_oneof![any::<String>(), CSV_ISH], s in settings()) {
        check_replay(&text, &s)?;
    }

    #[test]
    fn replay_log_mutated(edits in mutations(), s in settings()) {
        check_replay(&apply(EXAMPLE_LOG, Format::Csv, &edits), &s)?;
    }
}

// ----- the bundled files themselves, and regressions found by fuzzing ------------------

#[test]
fn unmutated_bundles_load_run_and_round_trip() {
    for bundle in [Bundle::default_desk(), Bundle::mmc(), Bundle::trace()] {
        let dir = tempfile::tempdir().unwrap();
        let sc =
            load_bundle_in(dir.path(), &bundle).unwrap_or_else(|e| panic!("{}: {e}", bundle.toml));
        check_accepted(&sc, dir.path()).unwrap();
    }
    let report = replay_str(EXAMPLE_LOG, "example-log.csv", &ReplaySettings::default());
    assert!(report.is_ok(), "{:?}", report.err());
}

#[test]
fn mutations_change_the_text_as_described() {
    let csv = "a,b,c\n1,2,3\n";
    let edits = vec![Mutation::AddColumn(0, "x".into())];
    assert_eq!(apply(csv, Format::Csv, &edits), "a,b,c,x\n1,2,3,x\n");
    let edits = vec![Mutation::DropColumn(0, 0)];
    assert_eq!(apply(csv, Format::Csv, &edits), "b,c\n2,3\n");
    let toml = "x = { dist = \"constant\", value_s = 5 }\n";
    let edits = vec![Mutation::ReplaceValue(0, 2, "nan".into())];
    assert_eq!(
        apply(toml, Format::Toml, &edits),
        "x = { dist = \"constant\", value_s = nan }\n"
    );
}

/// Loads `bundle` in a fresh directory, expecting a rejection whose message holds `want`.
fn rejected_with(bundle: &Bundle, want: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let e = load_bundle_in(dir.path(), bundle).expect_err("a rejection");
    check_scenario_error(&e, bundle).unwrap();
    let msg = e.to_string();
    for w in want {
        assert!(msg.contains(w), "message lacks {w:?}:\n{msg}");
    }
}

/// Found by `scenario_toml_mutated`: a CSV named by a mutated `file = ...` that does not
/// exist was reported by its path alone, naming neither the scenario nor the field.
#[test]
fn regression_unreadable_samples_file_names_the_field() {
    let toml = TRACE_TOML.replace("holding-samples.csv", "18446744073709551616");
    rejected_with(
        &Bundle::trace().with("trace.toml", toml.into_bytes()),
        &[
            "18446744073709551616: cannot read the file named by field \
             `sessions.holding_time.file` in ",
            "trace.toml",
            "check the path",
        ],
    );
}

/// Found by `scenario_toml_mutated`: `interval_s = 0.001` was accepted, and the tiny run
/// spent 10 s and gigabytes setting up 43 million reporting intervals.
#[test]
fn regression_millisecond_reporting_interval_is_refused() {
    let toml = DEFAULT_TOML.replace("interval_s = 900 ", "interval_s = 0.001 ");
    rejected_with(
        &Bundle::default_desk().with("default.toml", toml.into_bytes()),
        &[
            "field `run.interval_s`",
            "value 0.001 s cuts run.horizon_s = 43200 s into 43200000 reporting intervals",
            "limit of 100000",
            "at least 1 s",
        ],
    );
}

/// Found by `roster_csv_mutated` (in a debug build): a break starting at
/// `99999999999999999999:00` overflowed an i64 while the error message was being
/// written; in release the message showed wrapped-around times.
#[test]
fn regression_break_far_beyond_any_run_is_refused_plainly() {
    let roster = DEFAULT_ROSTER.replace("09:30+15m;11:30+30m", "99999999999999999999:00+30m");
    rejected_with(
        &Bundle::default_desk().with("default-roster.csv", roster.into_bytes()),
        &[
            "default-roster.csv line 4",
            "column `breaks`",
            "is too large",
            "below 1000000000000 s",
        ],
    );
}

/// Found with the case above: a break lasting `99999999999999999999999h` wrapped to a
/// negative length and was silently dropped, so the scenario loaded.
#[test]
fn regression_endless_break_is_refused() {
    let roster = DEFAULT_ROSTER.replace("09:30+15m;11:30+30m", "09:30+99999999999999999999999h");
    rejected_with(
        &Bundle::default_desk().with("default-roster.csv", roster.into_bytes()),
        &[
            "default-roster.csv line 4",
            "column `breaks`",
            "is too large",
        ],
    );
}
