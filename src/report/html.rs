//! `report.html`: one self-contained page (inline CSS and SVG, no external asset) with the
//! run's figures, its plots and its per-group and per-interval tables.

use crate::metrics::{Metric, MetricSet, RunSummary, Stat};
use crate::report::{decimals_for, plots};
use std::fmt::Write;

/// Text as HTML: markup escaped, control and bidirectional characters shown as escapes
/// (`report::text`).
fn escape(s: &str) -> String {
    crate::report::text::markup(s)
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{:.*}", decimals_for(x), x)
    } else {
        "–".to_string()
    }
}

fn mean_ci(s: &Stat) -> String {
    if !s.mean.is_finite() {
        return "–".to_string();
    }
    let d = decimals_for(s.mean);
    format!(
        "{:.d$} ± {:.d$}",
        s.mean,
        if s.ci95_half_width.is_finite() {
            s.ci95_half_width
        } else {
            0.0
        }
    )
}

/// A table with one row per entry and the named metrics as columns (mean ± CI).
fn wide_table(out: &mut String, first: &str, rows: &[(String, &MetricSet)], columns: &[Metric]) {
    let _ = write!(out, "<table><tr><th>{}</th>", escape(first));
    for c in columns {
        let _ = write!(out, "<th>{}</th>", escape(c.name()));
    }
    out.push_str("</tr>\n");
    for (label, m) in rows {
        let _ = write!(out, "<tr><td>{}</td>", escape(label));
        for c in columns {
            let cell = m.get(*c).map_or("–".to_string(), mean_ci);
            let _ = write!(out, "<td class=\"n\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The whole report as UTF-8 HTML bytes.
pub fn report_html(summary: &RunSummary) -> Vec<u8> {
    let mut out = String::new();
    let title = format!("chatsim report — seed {}", summary.seed);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 2em; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; }}\n\
         th {{ background: #f0f0f0; }}\n\
         td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
         figure {{ margin: 1em 0; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let _ = writeln!(
        out,
        "<p>chatsim {} · {} replication(s) · warm-up {} s · measured {} s in intervals of {} s · \
         service-level threshold {} s · wall-clock {:.2} s</p>",
        escape(&summary.chatsim_version),
        summary.replications,
        summary.warmup_s,
        summary.horizon_s,
        summary.interval_s,
        summary.service_level_threshold_s,
        summary.wall_secs
    );
    out.push_str(
        "<p>Every figure is the mean over replications ± the half-width of its 95 % Student-t \
         confidence interval (± 0 with one replication). See docs/outputs.md for each metric.</p>\n",
    );

    out.push_str(
        "<h2>Run figures</h2>\n<table><tr><th>metric</th><th>mean</th><th>± 95 % CI</th></tr>\n",
    );
    for (name, s) in summary.metrics.iter() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(name.name()),
            number(s.mean),
            number(s.ci95_half_width)
        );
    }
    out.push_str("</table>\n");

    out.push_str(
        "<h2>Pooled over replications</h2>\n<table><tr><th>figure</th><th>value</th></tr>\n",
    );
    for (name, v) in summary.pooled.iter() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(name.name()),
            number(*v)
        );
    }
    out.push_str("</table>\n");

    out.push_str("<h2>Plots</h2>\n");
    for (name, svg) in plots::all_plots(summary) {
        let _ = writeln!(
            out,
            "<figure id=\"{}\">\n{}\n</figure>",
            escape(name.trim_end_matches(".svg")),
            svg.trim()
        );
    }

    out.push_str("<h2>Agent groups</h2>\n");
    let groups: Vec<(String, &MetricSet)> = summary
        .groups
        .iter()
        .map(|g| (format!("{} ({} agents)", g.name, g.agents), &g.metrics))
        .collect();
    wide_table(
        &mut out,
        "group",
        &groups,
        &[
            Metric::Connected,
            Metric::AsaS,
            Metric::Occupancy,
            Metric::MeanConcurrentSessions,
            Metric::BusyTimeS,
            Metric::Reminders,
            Metric::MissedResponses,
            Metric::Disconnects,
        ],
    );

    out.push_str("<h2>Intervals</h2>\n");
    let intervals: Vec<(String, &MetricSet)> = summary
        .intervals
        .iter()
        .map(|i| {
            (
                crate::report::tabular::interval_label(summary, i),
                &i.metrics,
            )
        })
        .collect();
    wide_table(
        &mut out,
        "interval",
        &intervals,
        &[
            Metric::Offered,
            Metric::ServiceLevel,
            Metric::AsaS,
            Metric::AbandonRatio,
            Metric::MeanQueueLen,
            Metric::BusyCapacity,
            Metric::Reminders,
            Metric::Disconnects,
        ],
    );
    out.push_str("</body>\n</html>\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_summary;

    #[test]
    fn report_is_self_contained() {
        let html = String::from_utf8(report_html(&sample_summary())).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(html.matches("<svg").count(), 4);
        for external in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(external), "external reference {external}");
        }
        assert!(html.contains(Metric::ServiceLevel.name()));
        assert!(html.contains("north (1 agents)"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn names_are_escaped() {
        let mut s = sample_summary();
        s.groups[0].name = "<b>&".into();
        let html = String::from_utf8(report_html(&s)).unwrap();
        assert!(html.contains("&lt;b&gt;&amp;") && !html.contains("<b>&"));
    }

    #[test]
    fn control_and_bidi_characters_never_reach_the_page_raw() {
        let mut s = sample_summary();
        s.groups[0].name = "\u{1b}[31mred\u{7}\u{202e}x".into();
        let html = String::from_utf8(report_html(&s)).unwrap();
        let raw = html
            .chars()
            .filter(|&c| c != '\n' && crate::report::text::is_unsafe(c))
            .count();
        assert_eq!(raw, 0);
        assert!(html.contains("\\u{1b}[31mred\\u{7}\\u{202e}x"), "{html}");
    }
}
