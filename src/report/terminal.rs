//! The short table printed at the end of a run: key figures as mean ± 95 % CI, at most
//! 80 columns wide.

use crate::metrics::catalogue::{Metric, Unit};
use crate::metrics::RunSummary;
use crate::report::decimals_for;
use crate::report::duration;
use std::fmt::Write;

/// How a figure is shown: shares as percentages, counts with one decimal (a mean over
/// replications) or none from 100 on, the rest with about four significant digits.
#[derive(Clone, Copy)]
enum Shown {
    Count,
    Share,
    Seconds,
    Plain,
}

impl Shown {
    fn of(m: Metric) -> Shown {
        match m.unit() {
            Unit::Count(_) => Shown::Count,
            Unit::Share => Shown::Share,
            Unit::Seconds => Shown::Seconds,
            Unit::Other(_) => Shown::Plain,
        }
    }
}

/// The rows, in order; each is labelled with its catalogue label and unit.
const ROWS: &[Metric] = &[
    Metric::Offered,
    Metric::Connected,
    Metric::Abandoned,
    Metric::AbandonRatio,
    Metric::PWait,
    Metric::ServiceLevel,
    Metric::AsaS,
    Metric::WaitSP90,
    Metric::Occupancy,
    Metric::MeanConcurrentSessions,
    Metric::MissedResponses,
    Metric::Reminders,
    Metric::RemindersPerAgentHour,
    Metric::ReplyLatencySP90,
    Metric::PrematureDisconnects,
    Metric::GhostDisconnects,
    Metric::NormalCloses,
    Metric::EventsPerS,
];

/// The key figures of a run, one per line, as `label (unit)  mean ± half-width`.
pub fn terminal_table(summary: &RunSummary) -> String {
    let mut out = String::new();
    let reps = summary.replications;
    let _ = writeln!(
        out,
        "chatsim {} · seed {} · {} replication{} · {} measured after {} warm-up",
        summary.chatsim_version,
        summary.seed,
        reps,
        if reps == 1 { "" } else { "s" },
        duration(summary.horizon_s),
        duration(summary.warmup_s),
    );
    let _ = writeln!(out, "{:<32}{:>14} ± 95% CI", "figure", "mean");
    let _ = writeln!(out, "{}", "─".repeat(60));
    for &key in ROWS {
        let Some(stat) = summary.metrics.get(key) else {
            continue;
        };
        let unit = Shown::of(key);
        let scale = if matches!(unit, Shown::Share) {
            100.0
        } else {
            1.0
        };
        let (mean, ci) = (stat.mean * scale, stat.ci95_half_width * scale);
        let d = match unit {
            Shown::Share => 1,
            Shown::Count if mean.abs() >= 100.0 => 0,
            Shown::Count => 1,
            Shown::Seconds | Shown::Plain => decimals_for(mean),
        };
        let label = match (key, unit) {
            (Metric::ServiceLevel, _) => format!(
                "{} ≤ {} s (%)",
                key.label(),
                summary.service_level_threshold_s
            ),
            (_, Shown::Share) => format!("{} (%)", key.label()),
            (_, Shown::Seconds) => format!("{} (s)", key.label()),
            _ => key.label().to_string(),
        };
        let _ = writeln!(out, "{label:<32}{mean:>14.d$} ± {ci:.d$}");
    }
    if reps == 1 {
        let _ = writeln!(
            out,
            "one replication: no confidence interval (shown as ± 0)"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_summary;

    #[test]
    fn terminal_table_snapshot() {
        insta::assert_snapshot!(terminal_table(&sample_summary()));
    }

    #[test]
    fn terminal_table_fits_80_columns() {
        let text = terminal_table(&sample_summary());
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line}");
        }
    }
}
