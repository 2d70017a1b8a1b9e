//! Report writers: results to bytes, and the one place that touches output files.
//!
//! Every writer is a pure function of a [`RunSummary`] (hyperfine's export style): it
//! returns bytes and never opens a file. [`run_files`] assembles a run's output directory
//! and [`output::write_outputs`] puts it on disk atomically.

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

pub use html::report_html;
pub use json::summary_json;
pub use output::{check_target, write_outputs, OutputError};
pub use tabular::{agents_csv, groups_csv, intervals_csv};
pub use terminal::terminal_table;

use crate::metrics::RunSummary;

/// Every file of a run's output directory, by name, in a fixed order: `summary.json`,
/// `intervals.csv`, `agents.csv`, `groups.csv`, `scenario.resolved.toml` (the scenario as
/// run, `run.seed` included), `seed.txt`, the four plots and `report.html`.
pub fn run_files(summary: &RunSummary, resolved_scenario_toml: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("summary.json".to_string(), summary_json(summary)),
        ("intervals.csv".to_string(), intervals_csv(summary)),
        ("agents.csv".to_string(), agents_csv(summary)),
        ("groups.csv".to_string(), groups_csv(summary)),
        (
            "scenario.resolved.toml".to_string(),
            resolved_scenario_toml.as_bytes().to_vec(),
        ),
        (
            "seed.txt".to_string(),
            format!("{}\n", summary.seed).into_bytes(),
        ),
    ];
    for (name, svg) in plots::all_plots(summary) {
        files.push((name.to_string(), svg.into_bytes()));
    }
    files.push(("report.html".to_string(), report_html(summary)));
    files
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
        let files = run_files(&sample_summary(), "[run]\nseed = 42\n");
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
            ]
        );
        assert_eq!(files[5].1, b"42\n");
        // A report written before manifests existed is recognised by these names.
        assert!(names.iter().all(|n| output::is_chatsim_file_name(n)));
        assert!(files.iter().all(|(_, bytes)| !bytes.is_empty()));
    }

    #[test]
    fn numbers_in_cells() {
        assert_eq!(csv_number(0.25), "0.25");
        assert_eq!(csv_number(3.0), "3");
        assert_eq!(csv_number(f64::NAN), "");
    }
}
