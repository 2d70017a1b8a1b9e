//! The short table printed at the end of a run: key figures as mean ± 95 % CI, at most
//! 80 columns wide.

use crate::metrics::RunSummary;
use crate::report::decimals_for;
use std::fmt::Write;

/// How a figure is shown: shares as percentages, counts with one decimal (a mean over
/// replications) or none from 100 on, the rest with about four significant digits.
#[derive(Clone, Copy)]
enum Unit {
    Count,
    Share,
    Seconds,
    Plain,
}

/// The rows: metric key, label (with its unit), how to show it.
const ROWS: &[(&str, &str, Unit)] = &[
    ("offered", "offered", Unit::Count),
    ("connected", "connected", Unit::Count),
    ("abandoned", "abandoned", Unit::Count),
    ("abandon_ratio", "abandon ratio (%)", Unit::Share),
    ("p_wait", "P(wait) (%)", Unit::Share),
    ("service_level", "service level (%)", Unit::Share),
    ("asa_s", "ASA (s)", Unit::Seconds),
    ("wait_s_p90", "wait p90 (s)", Unit::Seconds),
    ("occupancy", "occupancy (%)", Unit::Share),
    (
        "mean_concurrent_sessions",
        "open sessions (mean)",
        Unit::Plain,
    ),
    ("missed_responses", "missed responses", Unit::Count),
    ("reminders", "reminders", Unit::Count),
    (
        "reminders_per_agent_hour",
        "reminders per agent-hour",
        Unit::Plain,
    ),
    (
        "reply_latency_s_p90",
        "reply latency p90 (s)",
        Unit::Seconds,
    ),
    (
        "premature_disconnects",
        "premature disconnects",
        Unit::Count,
    ),
    ("ghost_disconnects", "ghost disconnects", Unit::Count),
    ("normal_closes", "normal closes", Unit::Count),
    ("events_per_s", "events per second (wall)", Unit::Plain),
];

fn duration(s: f64) -> String {
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{s} s")
    }
}

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
    for &(key, label, unit) in ROWS {
        let Some(stat) = summary.metrics.get(key) else {
            continue;
        };
        let scale = if matches!(unit, Unit::Share) {
            100.0
        } else {
            1.0
        };
        let (mean, ci) = (stat.mean * scale, stat.ci95_half_width * scale);
        let d = match unit {
            Unit::Share => 1,
            Unit::Count if mean.abs() >= 100.0 => 0,
            Unit::Count => 1,
            Unit::Seconds | Unit::Plain => decimals_for(mean),
        };
        let label = if key == "service_level" {
            format!(
                "service level ≤ {} s (%)",
                summary.service_level_threshold_s
            )
        } else {
            label.to_string()
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
