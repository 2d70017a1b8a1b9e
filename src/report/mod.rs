//! Report writers: results to bytes, and the one place that touches output files.
//!
//! Every writer is a pure function of a [`RunSummary`] (hyperfine's export style): it
//! returns bytes, or writes them to the writer it is given, and never opens a file.
//! [`run_outputs`] assembles a run's output directory and
//! [`output::write_output_bodies`] puts it on disk atomically, one document at a time.

pub mod chart;
pub mod compare;
pub mod html;
pub mod json;
pub mod output;
pub mod plots;
pub mod staffing;
pub mod sweep;
pub mod tabular;
pub mod terminal;
pub mod text;
pub mod verdict;
pub mod xlsx;

pub use html::report_html;
pub use json::summary_json;
pub use output::{check_target, write_outputs, Body, OutputError};
pub use tabular::{agents_csv, groups_csv, intervals_csv, queue_intervals_csv, queues_csv};
pub use terminal::terminal_table;
pub use xlsx::report_xlsx;

use crate::catalogue::{Metric, Unit};
use crate::clock::Clock;
use crate::metrics::RunSummary;
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::rc::Rc;

/// Every file of a run's output directory, by name, in a fixed order: `summary.json`,
/// `intervals.csv`, `agents.csv`, `groups.csv`, `scenario.resolved.toml` (the scenario as
/// run, `run.seed` included), `seed.txt`, the plots (each drawn once, and shown again in
/// the page), `report.html` and `report.xlsx`; a desk with several queues adds
/// `queues.csv` and `queue_intervals.csv` after `groups.csv` (a one-queue desk's files
/// are as they were). All in memory: see [`run_outputs`] for a long run.
pub fn run_files(summary: &RunSummary, sc: &Scenario) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    run_outputs(summary, sc)
        .into_iter()
        .map(|(name, body)| Ok((name, body.into_bytes()?)))
        .collect()
}

/// [`run_files`] as [`output::write_output_bodies`] writes them, one document at a time:
/// `summary.json` and `report.xlsx` streamed into their files, `report.html` made when it
/// is written, and `intervals.csv` and `queue_intervals.csv` streamed from the
/// replications' spool when the summary has one ([`RunSummary::interval_rows`]). So the
/// output costs the largest document (the workbook's cells), not all of them together,
/// and never a long run's series.
pub fn run_outputs<'a>(summary: &'a RunSummary, sc: &'a Scenario) -> Vec<(String, Body<'a>)> {
    let streamed = summary.interval_rows.is_some();
    let series = |write: fn(&RunSummary, &mut dyn std::io::Write) -> std::io::Result<()>| {
        if streamed {
            Body::Stream(Box::new(move |out: &mut (dyn std::io::Write + Send)| {
                write(summary, out)
            }))
        } else {
            let mut bytes = Vec::new();
            write(summary, &mut bytes).expect("writing to memory cannot fail");
            Body::Bytes(bytes)
        }
    };
    let mut files = vec![
        (
            "summary.json".to_string(),
            Body::Stream(Box::new(|out: &mut (dyn std::io::Write + Send)| {
                // Many small writes: through a buffer they are copies, not a call each
                // through `dyn Write` (which doubled a long run's summary.json's cost).
                json::write_summary_json(summary, std::io::BufWriter::new(out))
            })),
        ),
        (
            "intervals.csv".to_string(),
            series(tabular::write_intervals_csv),
        ),
        ("agents.csv".to_string(), Body::Bytes(agents_csv(summary))),
        ("groups.csv".to_string(), Body::Bytes(groups_csv(summary))),
    ];
    if !summary.queues.is_empty() {
        files.push(("queues.csv".to_string(), Body::Bytes(queues_csv(summary))));
        files.push((
            "queue_intervals.csv".to_string(),
            series(tabular::write_queue_intervals_csv),
        ));
    }
    files.extend([
        (
            "scenario.resolved.toml".to_string(),
            Body::Bytes(crate::scenario::to_resolved_toml(sc).into_bytes()),
        ),
        (
            "seed.txt".to_string(),
            Body::Bytes(format!("{}\n", summary.seed).into_bytes()),
        ),
    ]);
    // Drawn once, shared by their files and the page.
    let plots: Rc<[plots::Plot]> = plots::all_plots(summary, sc.run.clock, &sc.targets).into();
    for (i, p) in plots.iter().enumerate() {
        let plots = Rc::clone(&plots);
        files.push((
            p.file.clone(),
            Body::Later(Box::new(move || Ok(plots[i].svg.as_bytes().to_vec()))),
        ));
    }
    files.push((
        "report.html".to_string(),
        Body::Later(Box::new(move || Ok(report_html(summary, sc, &plots)))),
    ));
    files.push((
        "report.xlsx".to_string(),
        Body::Stream(Box::new(|out: &mut (dyn std::io::Write + Send)| {
            xlsx::write_report_xlsx(summary, sc, out).map_err(xlsx::io_error)
        })),
    ));
    files
}

/// A length of time in words: `900` → `15 min`, `3600` → `1 h`, `45` → `45 s`.
pub(crate) fn duration(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{s} s")
    }
}

/// What a reader of a long run's report must know when its intervals are merged
/// (`summary.json`'s `intervals_merged`): how many there are, how many a row merges,
/// and where every one is. `None` when each row is one reporting interval.
pub(crate) fn merged_note(summary: &RunSummary) -> Option<String> {
    let m = summary.intervals_merged.as_ref()?;
    Some(format!(
        "The run has {} reporting intervals of {}; the tables, plots and per-interval \
         targets here show them merged {} at a time (each row is one interval of {}). {} \
         has every interval.",
        m.intervals,
        duration(summary.interval_s),
        m.merge,
        duration(summary.interval_s * m.merge as f64),
        m.full_series
    ))
}

/// Seconds from the epoch as a simulated time (whole milliseconds, as the run has them).
pub(crate) fn at_secs(s: f64) -> SimTime {
    SimTime::from_millis((s.max(0.0) * 1000.0).round() as u64)
}

/// An interval as a planner reads it: `08:00–08:15`; with `days`, its day first (the
/// date when the scenario gives one): `day 2 00:00–00:15`, `2026-12-08 00:00–00:15`.
pub(crate) fn interval_label(clock: &Clock, start_s: f64, end_s: f64, days: bool) -> String {
    let (a, b) = (at_secs(start_s), at_secs(end_s));
    let span = format!("{}–{}", clock.time_of_day(a), clock.time_of_day(b));
    if !days {
        return span;
    }
    match clock.date(a) {
        Some(date) => format!("{date} {span}"),
        None => format!("day {} {span}", clock.day(a)),
    }
}

/// The run's measured window: within one day as [`interval_label`] gives it, else each
/// end with its own day or date (`day 1 01:00 – day 10 07:13:20`: an interval's label
/// would name only the first day).
pub(crate) fn window_label(clock: &Clock, start_s: f64, end_s: f64) -> String {
    let (a, b) = (at_secs(start_s), at_secs(end_s));
    if !clock.spans_days(a, b) {
        return interval_label(clock, start_s, end_s, false);
    }
    let at = |t: SimTime| match clock.date(t) {
        Some(date) => format!("{date} {}", clock.time_of_day(t)),
        None => format!("day {} {}", clock.day(t), clock.time_of_day(t)),
    };
    format!("{} – {}", at(a), at(b))
}

/// A value of `m` with its unit, for a sentence or a legend: `80 %`, `60 s`,
/// `5 customers` (to six significant digits, so 0.07 is `7 %`).
pub(crate) fn show_value(m: Metric, v: f64) -> String {
    let short = |x: f64| {
        if x == 0.0 || !x.is_finite() {
            return format!("{x}");
        }
        let digits = 6 - 1 - x.abs().log10().floor() as i32;
        let k = 10f64.powi(digits.max(0));
        format!("{}", (x * k).round() / k)
    };
    match m.unit() {
        Unit::Share => format!("{} %", short(v * 100.0)),
        Unit::Seconds => format!("{} s", short(v)),
        Unit::Count(noun) | Unit::Other(noun) => format!("{} {noun}", short(v)),
    }
}

/// A number as a CSV cell: shortest exact decimal, empty when undefined (NaN).
pub(crate) fn csv_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// A figure with about five significant digits.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 10_000.0 {
        0
    } else if a >= 100.0 {
        2
    } else if a >= 1.0 {
        3
    } else {
        4
    };
    format!("{x:.decimals$}")
}

/// How many decimals to show a figure of this size with (about four significant digits).
pub(crate) fn decimals_for(x: f64) -> usize {
    let a = x.abs();
    if a == 0.0 || a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else {
        3
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::metrics::collector::tests::test_scenario;
    use crate::metrics::summarize;
    use crate::metrics::summary::tests::sample_reps;

    /// The summary of three small hand-built replications (see `sample_reps`).
    pub(crate) fn sample_summary() -> RunSummary {
        let sc = test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        summarize(&sc, 42, &sample_reps(&sc), 0.75)
    }

    #[test]
    fn run_files_lists_every_output() {
        let sc =
            crate::metrics::collector::tests::test_scenario(&[(0, 2), (1, 1)], &["north", "south"]);
        let files = run_files(&sample_summary(), &sc).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "summary.json",
                "intervals.csv",
                "agents.csv",
                "groups.csv",
                "scenario.resolved.toml",
                "seed.txt",
                "plot_queue_capacity.svg",
                "plot_service_level.svg",
                "plot_reminders_disconnects.svg",
                "plot_occupancy_groups.svg",
                "report.html",
                "report.xlsx",
            ]
        );
        assert_eq!(files[5].1, b"42\n");
        // A report written before manifests existed is recognised by these names.
        assert!(names.iter().all(|n| output::is_chatsim_file_name(n)));
        assert!(files.iter().all(|(_, bytes)| !bytes.is_empty()));
    }

    #[test]
    fn values_with_units_and_interval_labels() {
        assert_eq!(show_value(Metric::ServiceLevel, 0.8), "80 %");
        assert_eq!(show_value(Metric::AbandonRatio, 0.07), "7 %");
        assert_eq!(show_value(Metric::AsaS, 20.0), "20 s");
        assert_eq!(show_value(Metric::MeanQueueLen, 2.5), "2.5 customers");
        let clock = Clock::new(8 * 3_600_000, None);
        assert_eq!(interval_label(&clock, 0.0, 900.0, false), "08:00–08:15");
        assert_eq!(
            interval_label(&clock, 57_600.0, 58_500.0, true),
            "day 2 00:00–00:15"
        );
        let dated = Clock::new(8 * 3_600_000, Some(jiff::civil::date(2026, 12, 7)));
        assert_eq!(
            interval_label(&dated, 57_600.0, 58_500.0, true),
            "2026-12-08 00:00–00:15"
        );
        // A window within one day reads as an interval; across days, each end has its day:
        // from midnight, 3 600 s is day 1 01:00 and 803 600 s = 9 days + 26 000 s is day 10
        // 07:13:20.
        assert_eq!(window_label(&clock, 3_600.0, 7_200.0), "09:00–10:00");
        let clock0 = Clock::new(0, None);
        assert_eq!(
            window_label(&clock0, 3_600.0, 803_600.0),
            "day 1 01:00 – day 10 07:13:20"
        );
        assert_eq!(
            window_label(&dated, 0.0, 86_400.0),
            "2026-12-07 08:00 – 2026-12-08 08:00"
        );
    }

    #[test]
    fn numbers_in_cells() {
        assert_eq!(csv_number(0.25), "0.25");
        assert_eq!(csv_number(3.0), "3");
        assert_eq!(csv_number(f64::NAN), "");
    }
}
