//! SVG plots of a run, drawn in the shared chart frame ([`crate::report::chart`]), over
//! clock time ([`ClockAxis`]: `08:00`, `08:15`, …), with the scenario's targets drawn as
//! dashed lines on the plots that show their metric.
//!
//! Per-interval figures are drawn as steps: each interval's mean holds from its start
//! to its end, so the curve shows what the interval averaged, not a made-up trend.

use crate::catalogue::{Level, Unit};
use crate::clock::Clock;
use crate::metrics::target::{Direction, Target};
use crate::metrics::{Metric, MetricSet, RunSummary};
use crate::report::chart::{
    self, draw_runs, frame, label_font, legend, render, ClockAxis, XyChart, AXES, BAND_BLUE,
    CAPACITY_GREEN, GREY, ORANGE, SIZE, UNDER_RED,
};
use crate::report::{at_secs, show_value};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// One plot: its file name and its SVG, drawn once ([`all_plots`]) and both written as a
/// file and shown in `report.html`.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub file: String,
    pub svg: String,
}

/// Every plot, in report order: the four of every run, then one per target judged per
/// interval whose metric none of them shows (`plot_target_<metric>.svg`).
pub fn all_plots(summary: &RunSummary, clock: Clock, targets: &[Target]) -> Vec<Plot> {
    let axis = axis(summary, clock);
    let plot = |file: &str, svg: String| Plot {
        file: file.to_string(),
        svg,
    };
    let mut plots = vec![
        plot(
            "plot_queue_capacity.svg",
            queue_and_capacity_svg(summary, &axis, targets),
        ),
        plot(
            "plot_service_level.svg",
            interval_figure_svg(summary, &axis, Metric::ServiceLevel, targets),
        ),
        plot(
            "plot_reminders_disconnects.svg",
            reminders_disconnects_svg(summary, &axis),
        ),
        plot(
            "plot_occupancy_groups.svg",
            occupancy_by_group_svg(summary, targets),
        ),
    ];
    let mut own: Vec<Metric> = vec![];
    // A queue's target is not drawn on the desk's figures.
    for t in targets.iter().filter(|t| t.queue.is_none()) {
        let Some(m) = Metric::parse(&t.metric) else {
            continue;
        };
        if SHOWN.contains(&m)
            || own.contains(&m)
            || m.is_window_total()
            || !Level::Interval.metrics().contains(&m)
        {
            continue;
        }
        own.push(m);
        plots.push(plot(
            &target_plot_file(m),
            interval_figure_svg(summary, &axis, m, targets),
        ));
    }
    plots
}

/// The metrics the four plots of every run show (a target on one is drawn there).
const SHOWN: [Metric; 3] = [
    Metric::ServiceLevel,
    Metric::MeanQueueLen,
    Metric::Occupancy,
];

/// The file of the plot drawn for a target's metric.
pub fn target_plot_file(m: Metric) -> String {
    format!("plot_target_{}.svg", m.name())
}

/// The clock-time axis over every interval.
fn axis(summary: &RunSummary, clock: Clock) -> ClockAxis {
    ClockAxis::new(
        clock,
        summary.intervals.first().map(|i| at_secs(i.start_s)),
        summary.intervals.last().map(|i| at_secs(i.end_s)),
    )
}

fn mean_of(metrics: &MetricSet, m: Metric) -> f64 {
    metrics.get(m).map_or(f64::NAN, |s| s.mean)
}

/// How a figure of `m` is drawn: shares in percent.
fn scale(m: Metric) -> f64 {
    if m.unit() == Unit::Share {
        100.0
    } else {
        1.0
    }
}

/// The step curve of one interval figure (scaled, see [`scale`]): (start, v), (end, v)
/// per interval; undefined intervals break the curve into runs.
fn steps(summary: &RunSummary, axis: &ClockAxis, m: Metric) -> Vec<Vec<(f64, f64)>> {
    chart::steps(summary.intervals.iter().map(|i| {
        let v = mean_of(&i.metrics, m) * scale(m);
        (
            axis.at(at_secs(i.start_s)),
            axis.at(at_secs(i.end_s)),
            v.is_finite().then_some(v),
        )
    }))
}

/// The targets on `m`, each as the height of its line (scaled) and its legend label.
fn target_lines(m: Metric, targets: &[Target]) -> Vec<(f64, String)> {
    targets
        .iter()
        .filter(|t| t.metric == m.name() && t.queue.is_none())
        .map(|t| {
            let side = match t.direction {
                Direction::AtLeast => "at least",
                Direction::AtMost => "at most",
            };
            (
                t.value * scale(m),
                format!("target: {side} {}", show_value(m, t.value)),
            )
        })
        .collect()
}

/// Draws each target line across the chart, dashed, with a legend entry.
fn draw_targets(
    chart: &mut XyChart,
    x: &std::ops::Range<f64>,
    lines: &[(f64, String)],
) -> chart::DrawResult {
    for (y, label) in lines {
        let style = UNDER_RED.stroke_width(2);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x.start, *y), (x.end, *y)],
                8,
                5,
                style,
            ))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    Ok(())
}

/// The y axis's top: room for the curves, the targets and the legend.
fn top_with_targets(curves: &[&Vec<Vec<(f64, f64)>>], lines: &[(f64, String)]) -> f64 {
    let highest_target = lines.iter().map(|(y, _)| *y).fold(0.0, f64::max);
    chart::y_top(curves, 1.35).max(highest_target * 1.35)
}

/// Draws labelled step curves of interval figures on one chart, with the targets on
/// their metrics; a series' legend is its metric's label unless given.
fn step_chart(
    summary: &RunSummary,
    axis: &ClockAxis,
    title: &str,
    y_desc: &str,
    series: &[(Metric, Option<&str>, RGBColor)],
    targets: &[Target],
) -> String {
    render(title, SIZE, |root| {
        let curves: Vec<Vec<Vec<(f64, f64)>>> = series
            .iter()
            .map(|(m, _, _)| steps(summary, axis, *m))
            .collect();
        let lines: Vec<(f64, String)> = series
            .iter()
            .flat_map(|(m, _, _)| target_lines(*m, targets))
            .collect();
        let top = top_with_targets(&curves.iter().collect::<Vec<_>>(), &lines);
        let mut chart = frame(root, title, AXES).build_cartesian_2d(axis.x.clone(), 0.0..top)?;
        axis.mesh(&mut chart, y_desc)?;
        for ((m, label, color), runs) in series.iter().zip(&curves) {
            draw_runs(&mut chart, runs, label.unwrap_or(m.label()), *color)?;
        }
        draw_targets(&mut chart, &axis.x, &lines)?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Waiting customers (mean queue length) with busy capacity (mean open sessions) and
/// logged-in capacity (Σ max sessions of logged-in agents), per interval over the day.
pub(crate) fn queue_and_capacity_svg(
    summary: &RunSummary,
    axis: &ClockAxis,
    targets: &[Target],
) -> String {
    step_chart(
        summary,
        axis,
        "Waiting customers and capacity per interval",
        "customers / sessions",
        &[
            (Metric::MeanQueueLen, None, RED),
            (Metric::BusyCapacity, None, BLUE),
            (Metric::LoggedInCapacity, None, CAPACITY_GREEN),
        ],
        targets,
    )
}

/// Reminders, missed responses and disconnects (premature and ghost) per interval:
/// counts, so no run-level target is drawn on them.
pub(crate) fn reminders_disconnects_svg(summary: &RunSummary, axis: &ClockAxis) -> String {
    step_chart(
        summary,
        axis,
        "Reminders and disconnects per interval",
        "count per interval",
        &[
            // Said in full on the chart: the reminders are the method's idle reminders.
            (Metric::Reminders, Some("idle reminders"), ORANGE),
            (Metric::MissedResponses, None, RED),
            (Metric::PrematureDisconnects, None, BLUE),
            (Metric::GhostDisconnects, None, GREY),
        ],
        &[],
    )
}

/// One interval figure with its 95 % CI over replications as a band, and its targets:
/// the service level's plot, and the plot of each other target judged per interval.
pub(crate) fn interval_figure_svg(
    summary: &RunSummary,
    axis: &ClockAxis,
    m: Metric,
    targets: &[Target],
) -> String {
    let title = if m == Metric::ServiceLevel {
        format!(
            "Service level per interval (connected within {} s), 95 % CI band",
            summary.service_level_threshold_s
        )
    } else {
        format!("{} per interval, 95 % CI band", capitalised(m.label()))
    };
    let share = m.unit() == Unit::Share;
    let y_desc = match m.unit() {
        Unit::Share if m == Metric::ServiceLevel => "% of offered".to_string(),
        Unit::Share => "%".to_string(),
        u => u.text().to_string(),
    };
    render(&title, SIZE, |root| {
        let curve = steps(summary, axis, m);
        let lines = target_lines(m, targets);
        let bands: Vec<(f64, f64, f64, f64)> = summary
            .intervals
            .iter()
            .filter_map(|i| {
                let s = i.metrics.get(m)?;
                let ok =
                    s.mean.is_finite() && s.ci95_half_width.is_finite() && s.ci95_half_width > 0.0;
                ok.then(|| {
                    let k = scale(m);
                    (
                        axis.at(at_secs(i.start_s)),
                        axis.at(at_secs(i.end_s)),
                        (s.mean - s.ci95_half_width) * k,
                        (s.mean + s.ci95_half_width) * k,
                    )
                })
            })
            .collect();
        let top = if share {
            100.0
        } else {
            let band_top = bands.iter().map(|b| b.3).fold(0.0, f64::max);
            top_with_targets(&[&curve], &lines).max(band_top * 1.1)
        };
        let mut chart = frame(root, &title, AXES).build_cartesian_2d(axis.x.clone(), 0.0..top)?;
        axis.mesh(&mut chart, &y_desc)?;
        for (a, b, lo, hi) in bands {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, lo.clamp(0.0, top)), (b, hi.clamp(0.0, top))],
                BAND_BLUE.mix(0.35).filled(),
            )))?;
        }
        let label = format!("{} (mean)", m.label());
        draw_runs(&mut chart, &curve, &label, BLUE)?;
        draw_targets(&mut chart, &axis.x, &lines)?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// `label` with its first letter in upper case, as a title starts.
fn capitalised(label: &str) -> String {
    let mut c = label.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Occupancy per agent group (session-seconds over capacity-seconds while logged in),
/// as bars with 95 % CI whiskers, and a target on the desk's occupancy as a dashed line.
pub fn occupancy_by_group_svg(summary: &RunSummary, targets: &[Target]) -> String {
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
        for (y, label) in target_lines(Metric::Occupancy, targets) {
            let style = UNDER_RED.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(SegmentValue::Exact(0), y), (SegmentValue::Exact(n), y)],
                    8,
                    5,
                    style,
                ))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        if !target_lines(Metric::Occupancy, targets).is_empty() {
            legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_summary;

    fn clock() -> Clock {
        Clock::new(8 * 3_600_000, None)
    }

    fn svg_of<'a>(plots: &'a [Plot], file: &str) -> &'a str {
        &plots.iter().find(|p| p.file == file).unwrap().svg
    }

    #[test]
    fn plots_are_svg_with_text_and_no_error() {
        for p in all_plots(&sample_summary(), clock(), &[]) {
            let (name, svg) = (&p.file, &p.svg);
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
        let plots = all_plots(&s, clock(), &[]);
        assert!(svg_of(&plots, "plot_occupancy_groups.svg").contains("north"));
        assert!(svg_of(&plots, "plot_queue_capacity.svg").contains("waiting customers (mean)"));
        assert!(svg_of(&plots, "plot_service_level.svg").contains("service level (mean)"));
    }

    #[test]
    fn the_x_axis_reads_clock_time() {
        // Three hourly intervals from the epoch, which the clock reads as 08:00.
        let mut s = sample_summary();
        for (k, i) in s.intervals.iter_mut().enumerate() {
            (i.start_s, i.end_s) = (3600.0 * k as f64, 3600.0 * (k + 1) as f64);
        }
        let plots = all_plots(&s, clock(), &[]);
        for file in [
            "plot_queue_capacity.svg",
            "plot_service_level.svg",
            "plot_reminders_disconnects.svg",
        ] {
            let svg = svg_of(&plots, file);
            assert!(
                svg.contains("08:00\n</text>")
                    && svg.contains("10:00\n</text>")
                    && svg.contains("clock time"),
                "{file}"
            );
            assert!(!svg.contains("hours from start"), "{file}");
        }
    }

    #[test]
    fn targets_are_drawn_where_their_metric_is_and_get_a_plot_otherwise() {
        let s = sample_summary();
        let targets: Vec<Target> = [
            "service_level>=0.8",
            "abandon_ratio<=0.05",
            "abandoned<=3",
            "occupancy<=0.9",
            "wait_s_p99<=60",
        ]
        .iter()
        .map(|t| Target::parse(t).unwrap())
        .collect();
        let plots = all_plots(&s, clock(), &targets);
        let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
        // abandon_ratio has an interval figure none of the four shows: its own plot. A
        // total (abandoned) and a run-only figure (wait_s_p99) get none.
        assert_eq!(
            files,
            [
                "plot_queue_capacity.svg",
                "plot_service_level.svg",
                "plot_reminders_disconnects.svg",
                "plot_occupancy_groups.svg",
                "plot_target_abandon_ratio.svg"
            ]
        );
        assert!(svg_of(&plots, "plot_service_level.svg").contains("target: at least 80 %"));
        assert!(svg_of(&plots, "plot_occupancy_groups.svg").contains("target: at most 90 %"));
        let own = svg_of(&plots, "plot_target_abandon_ratio.svg");
        assert!(own.contains("target: at most 5 %") && own.contains("abandon ratio (mean)"));
        assert!(!svg_of(&plots, "plot_queue_capacity.svg").contains("target:"));
    }

    #[test]
    fn hostile_group_names_keep_the_svg_well_formed() {
        let mut s = sample_summary();
        s.groups[0].name = "\u{1b}[31m<&\"\u{7}\u{202e}".into();
        let svg = occupancy_by_group_svg(&s, &[]);
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
        assert_eq!(all_plots(&s, clock(), &[]), all_plots(&s, clock(), &[]));
        let mut empty = s.clone();
        empty.intervals.clear();
        empty.groups.clear();
        let targets = [Target::parse("abandon_ratio<=0.05").unwrap()];
        for p in all_plots(&empty, clock(), &targets) {
            assert!(p.svg.starts_with("<svg"));
        }
    }
}
