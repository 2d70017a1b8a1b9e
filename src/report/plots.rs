//! SVG plots of a run, drawn by plotters into strings (no file, no font files: the SVG
//! backend writes `<text>` elements and the viewer renders them).
//!
//! Per-interval figures are drawn as steps: each interval's mean holds from its start
//! to its end, so the curve shows what the interval averaged, not a made-up trend.

use crate::metrics::{MetricSet, RunSummary};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::error::Error;

const SIZE: (u32, u32) = (900, 420);
const FONT: &str = "sans-serif";

type DrawResult = Result<(), Box<dyn Error>>;

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

/// Runs a drawing closure on an SVG string; a drawing error becomes a small SVG that
/// says what failed, so a report is never left without its figure silently.
fn render(
    title: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> DrawResult,
) -> String {
    let mut svg = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let r = root
            .fill(&WHITE)
            .map_err(|e| Box::new(e) as Box<dyn Error>)
            .and_then(|_| draw(&root));
        r.and_then(|_| root.present().map_err(|e| Box::new(e) as Box<dyn Error>))
    };
    match result {
        Ok(()) => svg,
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\"><text x=\"10\" y=\"20\">{}: {}</text></svg>",
            SIZE.0,
            SIZE.1,
            escape(title),
            escape(&e.to_string())
        ),
    }
}

/// Text put into SVG markup by hand (the fallback above); plotters escapes its own.
fn escape(s: &str) -> String {
    crate::report::text::markup(s)
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

fn mean_of(metrics: &MetricSet, name: &str) -> f64 {
    metrics.get(name).map_or(f64::NAN, |s| s.mean)
}

/// The step curve of one interval figure: (start, v), (end, v) per interval; undefined
/// intervals break the curve into runs.
fn steps(summary: &RunSummary, name: &str) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![];
    let mut run = vec![];
    for i in &summary.intervals {
        let v = mean_of(&i.metrics, name);
        if v.is_finite() {
            run.push((i.start_s / 3600.0, v));
            run.push((i.end_s / 3600.0, v));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// The y range from 0 to a third above the highest point, leaving the legend room (never
/// empty).
fn y_max(curves: &[&Vec<Vec<(f64, f64)>>]) -> f64 {
    let top = curves
        .iter()
        .flat_map(|c| c.iter().flatten())
        .map(|p| p.1)
        .fold(0.0f64, f64::max);
    if top > 0.0 {
        top * 1.35
    } else {
        1.0
    }
}

/// Draws labelled step curves of interval figures on one chart.
fn step_chart(
    summary: &RunSummary,
    title: &str,
    y_desc: &str,
    series: &[(&str, &str, RGBColor)],
) -> String {
    render(title, |root| {
        let curves: Vec<Vec<Vec<(f64, f64)>>> = series
            .iter()
            .map(|(name, _, _)| steps(summary, name))
            .collect();
        let (x0, x1) = hours_range(summary);
        let top = y_max(&curves.iter().collect::<Vec<_>>());
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("hours from start of warm-up")
            .y_desc(y_desc)
            .label_style((FONT, 13))
            .draw()?;
        for ((_, label, color), runs) in series.iter().zip(&curves) {
            let color = *color;
            for (k, run) in runs.iter().enumerate() {
                let drawn = chart
                    .draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(2)))?;
                if k == 0 {
                    drawn.label(*label).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                }
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
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
            ("mean_queue_len", "waiting customers (mean)", RED),
            ("busy_capacity", "open sessions (mean)", BLUE),
            (
                "logged_in_capacity",
                "logged-in capacity (sessions)",
                RGBColor(0, 140, 0),
            ),
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
            ("reminders", "idle reminders", RGBColor(230, 120, 0)),
            ("missed_responses", "missed responses", RED),
            ("premature_disconnects", "premature disconnects", BLUE),
            (
                "ghost_disconnects",
                "ghost disconnects",
                RGBColor(120, 120, 120),
            ),
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
    render(&title, |root| {
        let (x0, x1) = hours_range(summary);
        let mut chart = ChartBuilder::on(root)
            .caption(&title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..100.0)?;
        chart
            .configure_mesh()
            .x_desc("hours from start of warm-up")
            .y_desc("% of offered")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 13))
            .draw()?;
        let band_color = RGBColor(120, 150, 230);
        for i in &summary.intervals {
            let Some(s) = i.metrics.get("service_level") else {
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
                band_color.mix(0.35).filled(),
            )))?;
        }
        let runs = steps(summary, "service_level");
        for (k, run) in runs.iter().enumerate() {
            let pts = run.iter().map(|&(x, y)| (x, y * 100.0));
            let drawn = chart.draw_series(LineSeries::new(pts, BLUE.stroke_width(2)))?;
            if k == 0 {
                drawn.label("service level (mean)").legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2))
                });
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        Ok(())
    })
}

/// Occupancy per agent group (session-seconds over capacity-seconds while logged in),
/// as bars with 95 % CI whiskers.
pub fn occupancy_by_group_svg(summary: &RunSummary) -> String {
    let title = "Occupancy per agent group (95 % CI)";
    render(title, |root| {
        let n = summary.groups.len().max(1) as u32;
        // Shown, not raw: a control character is invalid XML and plotters escapes markup
        // only.
        let names: Vec<String> = summary
            .groups
            .iter()
            .map(|g| crate::report::text::display(&g.name).into_owned())
            .collect();
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
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
            .label_style((FONT, 13))
            .draw()?;
        for (i, g) in summary.groups.iter().enumerate() {
            let Some(s) = g.metrics.get("occupancy") else {
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
