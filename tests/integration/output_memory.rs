//! `run --out` makes its documents one at a time, as it writes them: `summary.json` and
//! the workbook streamed into their files, the page made when it is written. A summary
//! lists up to 768 intervals, so each of these documents is megabytes; held together
//! (as they were) the output cost their sum. Measured with the counting allocator of
//! [`crate::allocation`] (the calling thread's bytes), not timed.

use crate::allocation::peak_bytes_during;
use chatsim::metrics::collector::MAX_SUMMARY_INTERVALS;
use chatsim::metrics::RunSummary;
use chatsim::report::{self, output};
use chatsim::scenario::{self, Scenario};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// An M/M/2 desk over 768 ten-second intervals: a summary that lists the most intervals
/// one by one, as a long run's does.
const LONG: &str = r#"
[run]
horizon_s = 7680
warmup_s = 0
interval_s = 10
replications = 2
seed = 5

[arrivals]
kind = "poisson"
rate_per_hour = 1200

[sessions]
model = "holding"
holding_time = { dist = "exponential", mean_s = 20 }

[agents]
count = 2
max_sessions = 1
"#;

fn long_summary() -> (Scenario, RunSummary) {
    let sc = scenario::from_toml_str(LONG, Path::new("long.toml")).unwrap();
    let summary = chatsim::pipeline::simulate(&sc, 1, &AtomicBool::new(false), &|| {}).unwrap();
    assert_eq!(summary.intervals.len(), MAX_SUMMARY_INTERVALS);
    (sc, summary)
}

/// Counts the bytes written to it, keeps none.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn summary_json_is_written_as_it_is_serialized() {
    let (_, summary) = long_summary();
    let (written, peak) = peak_bytes_during(|| {
        let mut out = Counter(0);
        report::json::write_summary_json(&summary, &mut out).unwrap();
        out.0
    });
    assert_eq!(written, report::summary_json(&summary).len());
    // Megabytes of text, through a few kilobytes at most.
    assert!(written > 1_000_000, "{written} bytes");
    assert!(peak < 64 * 1024, "{peak} bytes held to write {written}");
}

#[test]
fn the_output_costs_its_largest_document_not_their_sum() {
    let (sc, summary) = long_summary();
    let json = report::summary_json(&summary).len();
    let (_, xlsx) = peak_bytes_during(|| report::report_xlsx(&summary, &sc).unwrap());
    let (_, html) = peak_bytes_during(|| {
        let plots = report::plots::all_plots(&summary, sc.run.clock, &sc.targets);
        report::report_html(&summary, &sc, &plots)
    });
    let tmp = tempfile::tempdir().unwrap();
    let ((), all) = peak_bytes_during(|| {
        let files = report::run_outputs(&summary, &sc);
        let cancel = AtomicBool::new(false);
        output::write_output_bodies(&tmp.path().join("out"), false, &files, &cancel).unwrap()
    });
    // One at a time, the output costs the largest document and the plots (a few hundred
    // kB); held together (`run_files`, in memory, as `run --out` once did), the workbook,
    // the page and summary.json at once: the bound tells the two apart.
    let largest = xlsx.max(html);
    assert!(
        all < largest + json / 2,
        "{all} bytes held to write the output; the workbook alone {xlsx}, the page {html}, \
         summary.json is {json} bytes"
    );
    let (_, together) = peak_bytes_during(|| report::run_files(&summary, &sc).unwrap());
    assert!(
        together > largest + json,
        "{together} bytes for every document at once"
    );
}
