//! SVG plots of a run, drawn in the shared chart frame ([`crate::report::chart`]).
//!
//! Per-interval figures are drawn as steps: each interval's mean holds from its start
//! to its end, so the curve shows what the interval averaged, not a made-up trend.

use crate::metrics::{Metric, MetricSet, RunSummary};
use crate::report::chart::{
    self, draw_runs, frame, label_font, legend, render, AXES, BAND_BLUE, CAPACITY_GREEN, GREY,
    ORANGE, SIZE,
};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Every plot with its file name, in report order.
pub fn all_plots(summary: &RunSummary) -> Vec<(&'static str, String)> {
    vec![
        ("plot_queue_capacity.svg", queue_and_capacity_svg(summary)),
        ("plot_service_level.svg", service_level_svg(summary)),
        (
            "plot_reminders_disconnects.svg",
            reminders_disconnects_svg(summary),
        ),
        ("plot_occupancy_groups.svg", occupancy_by_group_svg(summary)),
    ]
}

/// The x range in hours covering every interval (never empty).
fn hours_range(summary: &RunSummary) -> (f64, f64) {
    let start = summary.intervals.first().map_or(0.0, |i| i.start_s) / 3600.0;
    let end = summary.intervals.last().map_or(1.0, |i| i.end_s) / 3600.0;
    if end > start {
        (start, end)
    } else {
        (start, start + 1.0)
    }
}

fn mean_of(metrics: &MetricSet, m: Metric) -> f64 {
    metrics.get(m).map_or(f64::NAN, |s| s.mean)
}

/// The step curve of one interval figure: (start, v), (end, v) per interval; undefined
/// intervals break the curve into runs.
fn steps(summary: &RunSummary, m: Metric) -> Vec<Vec<(f64, f64)>> {
    chart::steps(summary.intervals.iter().map(|i| {
        let v = mean_of(&i.metrics, m);
        (
            i.start_s / 3600.0,
            i.end_s / 3600.0,
            v.is_finite().then_some(v),
        )
    }))
}

/// Draws labelled step curves of interval figures on one chart; a series' legend is its
/// metric's label unless given.
fn step_chart(
    summary: &RunSummary,
    title: &str,
    y_desc: &str,
    series: &[(Metric, Option<&str>, RGBColor)],
) -> String {
    render(title, SIZE, |root| {
        let curves: Vec<Vec<Vec<(f64, f64)>>> =
            series.iter().map(|(m, _, _)| steps(summary, *m)).collect();
        let (x0, x1) = hours_range(summary);
        let top = chart::y_top(&curves.iter().collect::<Vec<_>>(), 1.35);
        let mut chart = frame(root, title, AXES).build_cartesian_2d(x0..x1, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("hours from start of warm-up")
            .y_desc(y_desc)
            .label_style(label_font())
            .draw()?;
        for ((m, label, color), runs) in series.iter().zip(&curves) {
            draw_runs(&mut chart, runs, label.unwrap_or(m.label()), *color)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Waiting customers (mean queue length) with busy capacity (mean open sessions) and
/// logged-in capacity (Σ max sessions of logged-in agents), per interval over the day.
pub fn queue_and_capacity_svg(summary: &RunSummary) -> String {
    step_chart(
        summary,
        "Waiting customers and capacity per interval",
        "customers / sessions",
        &[
            (Metric::MeanQueueLen, None, RED),
            (Metric::BusyCapacity, None, BLUE),
            (Metric::LoggedInCapacity, None, CAPACITY_GREEN),
        ],
    )
}

/// Reminders, missed responses and disconnects (premature and ghost) per interval.
pub fn reminders_disconnects_svg(summary: &RunSummary) -> String {
    step_chart(
        summary,
        "Reminders and disconnects per interval",
        "count per interval",
        &[
            // Said in full on the chart: the reminders are the method's idle reminders.
            (Metric::Reminders, Some("idle reminders"), ORANGE),
            (Metric::MissedResponses, None, RED),
            (Metric::PrematureDisconnects, None, BLUE),
            (Metric::GhostDisconnects, None, GREY),
        ],
    )
}

/// Service level per interval (share of offered connected within T), with its 95 % CI
/// over replications as a band.
pub fn service_level_svg(summary: &RunSummary) -> String {
    let title = format!(
        "Service level per interval (connected within {} s), 95 % CI band",
        summary.service_level_threshold_s
    );
    render(&title, SIZE, |root| {
        let (x0, x1) = hours_range(summary);
        let mut chart = frame(root, &title, AXES).build_cartesian_2d(x0..x1, 0.0..100.0)?;
        chart
            .configure_mesh()
            .x_desc("hours from start of warm-up")
            .y_desc("% of offered")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(label_font())
            .draw()?;
        for i in &summary.intervals {
            let Some(s) = i.metrics.get(Metric::ServiceLevel) else {
                continue;
            };
            if !(s.mean.is_finite() && s.ci95_half_width.is_finite()) || s.ci95_half_width == 0.0 {
                continue;
            }
            let lo = ((s.mean - s.ci95_half_width) * 100.0).clamp(0.0, 100.0);
            let hi = ((s.mean + s.ci95_half_width) * 100.0).clamp(0.0, 100.0);
            let (a, b) = (i.start_s / 3600.0, i.end_s / 3600.0);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, lo), (b, hi)],
                BAND_BLUE.mix(0.35).filled(),
            )))?;
        }
        let percent: Vec<Vec<(f64, f64)>> = steps(summary, Metric::ServiceLevel)
            .into_iter()
            .map(|run| run.into_iter().map(|(x, y)| (x, y * 100.0)).collect())
            .collect();
        let label = format!("{} (mean)", Metric::ServiceLevel.label());
        draw_runs(&mut chart, &percent, &label, BLUE)?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Occupancy per agent group (session-seconds over capacity-seconds while logged in),
/// as bars with 95 % CI whiskers.
pub fn occupancy_by_group_svg(summary: &RunSummary) -> String {
    let title = "Occupancy per agent group (95 % CI)";
    render(title, SIZE, |root| {
        let n = summary.groups.len().max(1) as u32;
        // Shown, not raw: a control character is invalid XML and plotters escapes markup
        // only.
        let names: Vec<String> = summary
            .groups
            .iter()
            .map(|g| crate::report::text::display(&g.name).into_owned())
            .collect();
        let mut chart = frame(root, title, AXES)
            .build_cartesian_2d((0u32..n - 1).into_segmented(), 0.0..100.0)?;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n as usize)
            .x_label_formatter(&label)
            .y_desc("% of logged-in capacity")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(label_font())
            .draw()?;
        for (i, g) in summary.groups.iter().enumerate() {
            let Some(s) = g.metrics.get(Metric::Occupancy) else {
                continue;
            };
            if !s.mean.is_finite() {
                continue;
            }
            let i = i as u32;
            let v = s.mean * 100.0;
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), v),
                ],
                BLUE.mix(0.6).filled(),
            );
            bar.set_margin(0, 0, 20, 20);
            chart.draw_series(std::iter::once(bar))?;
            let ci = if s.ci95_half_width.is_finite() {
                s.ci95_half_width * 100.0
            } else {
                0.0
            };
            if ci > 0.0 {
                let (lo, hi) = ((v - ci).max(0.0), (v + ci).min(100.0));
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![
                        (SegmentValue::CenterOf(i), lo),
                        (SegmentValue::CenterOf(i), hi),
                    ],
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_summary;

    #[test]
    fn plots_are_svg_with_text_and_no_error() {
        for (name, svg) in all_plots(&sample_summary()) {
            assert!(
                svg.starts_with("<svg"),
                "{name}: {}",
                &svg[..svg.len().min(200)]
            );
            assert!(svg.trim_end().ends_with("</svg>"), "{name}");
            assert!(svg.contains("<text"), "{name} has no text");
            assert!(!svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"420\"><text x=\"10\""), "{name} fell back");
        }
    }

    #[test]
    fn plots_keep_group_names_and_legends() {
        let s = sample_summary();
        assert!(occupancy_by_group_svg(&s).contains("north"));
        assert!(queue_and_capacity_svg(&s).contains("waiting customers (mean)"));
        assert!(service_level_svg(&s).contains("service level (mean)"));
    }

    #[test]
    fn hostile_group_names_keep_the_svg_well_formed() {
        let mut s = sample_summary();
        s.groups[0].name = "\u{1b}[31m<&\"\u{7}\u{202e}".into();
        let svg = occupancy_by_group_svg(&s);
        assert!(!svg
            .chars()
            .any(|c| c != '\n' && crate::report::text::is_unsafe(c)));
        assert!(
            svg.contains("\\u{1b}[31m&lt;&amp;&quot;\\u{7}\\u{202e}"),
            "{svg}"
        );
    }

    #[test]
    fn plots_are_deterministic_and_survive_empty_runs() {
        let s = sample_summary();
        assert_eq!(service_level_svg(&s), service_level_svg(&s));
        let mut empty = s.clone();
        empty.intervals.clear();
        empty.groups.clear();
        for (_, svg) in all_plots(&empty) {
            assert!(svg.starts_with("<svg"));
        }
    }
}
