//! `chatsim sweep`'s bytes: the terminal table, `sweep.csv` and the heat maps, from a
//! [`SweepResult`] (computed by `tools::sweep`). Pure functions: no file is opened.

use crate::metrics::Metric;
use crate::plan::sweep::{show, SweepResult};
use crate::report::chart::{frame, label_font, render, EMPTY_CELL, HEATMAP_AXES, HEATMAP_SIZE};
use crate::report::fmt_num;
use crate::report::text::display;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The terminal table: every point with the chosen metrics, `*` on the Pareto-best,
/// then the Pareto-best points again.
pub fn sweep_table(r: &SweepResult) -> String {
    let pareto = &r.pareto;
    let mut out = String::new();
    let dirs: Vec<String> = r
        .metrics
        .iter()
        .map(|m| format!("{m} ({})", if m.more_is_better() { "max" } else { "min" }))
        .collect();
    out.push_str(&format!(
        "{} grid points · seed {} · {} replications each · comparing {}\n",
        r.points.len(),
        r.summaries.first().map_or(0, |s| s.seed),
        r.summaries.first().map_or(0, |s| s.replications),
        dirs.join(", ")
    ));
    let widths: Vec<usize> = r
        .axes
        .iter()
        .map(|a| a.path.chars().count().max(6))
        .collect();
    let mut header = String::from("  ");
    for (a, w) in r.axes.iter().zip(&widths) {
        header.push_str(&format!("{:>w$}  ", a.path));
    }
    for m in &r.metrics {
        header.push_str(&format!("{m:>24}  "));
    }
    out.push_str(header.trim_end());
    out.push('\n');
    let row = |i: usize| {
        let mut line = String::new();
        line.push_str(if pareto.contains(&i) { "* " } else { "  " });
        for (v, w) in r.points[i].iter().zip(&widths) {
            line.push_str(&format!("{:>w$}  ", show(v)));
        }
        for m in &r.metrics {
            let cell = r.summaries[i].metrics.get(m).map_or("-".into(), |s| {
                format!("{} ± {}", fmt_num(s.mean), fmt_num(s.ci95_half_width))
            });
            line.push_str(&format!("{cell:>24}  "));
        }
        format!("{}\n", line.trim_end())
    };
    for i in 0..r.points.len() {
        out.push_str(&row(i));
    }
    out.push_str(&format!(
        "Pareto-best ({} of {} points, on the means):\n",
        pareto.len(),
        r.points.len()
    ));
    for &i in pareto {
        out.push_str(&row(i));
    }
    out
}

/// `sweep.csv`: the set values, then `name_mean,name_ci95` for every metric except the
/// wall-clock ones, one row per point in grid order.
pub fn sweep_csv(r: &SweepResult) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    let names: Vec<Metric> = r
        .summaries
        .first()
        .map(|s| {
            s.metrics
                .iter()
                .map(|(m, _)| m)
                .filter(|m| !m.is_wall_clock())
                .collect()
        })
        .unwrap_or_default();
    let mut header: Vec<String> = r.axes.iter().map(|a| a.path.clone()).collect();
    for n in &names {
        header.push(crate::report::tabular::mean_column(n.name()));
        header.push(crate::report::tabular::ci95_column(n.name()));
    }
    w.write_record(&header)?;
    let num = crate::report::csv_number;
    for (p, s) in r.points.iter().zip(&r.summaries) {
        let mut row: Vec<String> = p.iter().map(show).collect();
        for n in &names {
            let (m, ci) = s
                .metrics
                .get(*n)
                .map_or((f64::NAN, f64::NAN), |x| (x.mean, x.ci95_half_width));
            row.push(num(m));
            row.push(num(ci));
        }
        w.write_record(&row)?;
    }
    Ok(w.into_inner()?)
}

/// A colour from red (worst) through yellow to green (best), `good` in [0, 1].
fn goodness_color(good: f64) -> RGBColor {
    let g = good.clamp(0.0, 1.0);
    let lerp = |a: u8, b: u8, t: f64| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (red, yellow, green) = ((215, 48, 39), (254, 224, 139), (26, 152, 80));
    let (from, to, t) = if g < 0.5 {
        (red, yellow, g * 2.0)
    } else {
        (yellow, green, g * 2.0 - 1.0)
    };
    RGBColor(
        lerp(from.0, to.0, t),
        lerp(from.1, to.1, t),
        lerp(from.2, to.2, t),
    )
}

/// The heat map of `metric`'s mean over a two-axis grid, in the shared chart frame:
/// first axis across, second up, each cell labelled with its mean; greener is better.
pub fn heatmap_svg(r: &SweepResult, metric: Metric) -> String {
    let title = format!(
        "{metric} (mean; greener is better: {})",
        if metric.more_is_better() {
            "higher"
        } else {
            "lower"
        }
    );
    render(&title, HEATMAP_SIZE, |root| {
        let (xa, ya) = (&r.axes[0], &r.axes[1]);
        let (nx, ny) = (xa.values.len() as u32, ya.values.len() as u32);
        let mut chart = frame(root, &title, HEATMAP_AXES).build_cartesian_2d(
            (0u32..nx - 1).into_segmented(),
            (0u32..ny - 1).into_segmented(),
        )?;
        // Shown, not raw: a control character in a value would make the SVG invalid XML
        // (plotters escapes markup only).
        let label = |values: &[toml::Value], v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => values
                .get(*i as usize)
                .map(|v| display(&show(v)).into_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let xl = |v: &SegmentValue<u32>| label(&xa.values, v);
        let yl = |v: &SegmentValue<u32>| label(&ya.values, v);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx as usize)
            .y_labels(ny as usize)
            .x_label_formatter(&xl)
            .y_label_formatter(&yl)
            .x_desc(display(&xa.path))
            .y_desc(display(&ya.path))
            .label_style(label_font())
            .draw()?;
        let means: Vec<f64> = r
            .summaries
            .iter()
            .map(|s| s.metrics.get(metric).map_or(f64::NAN, |x| x.mean))
            .collect();
        let finite = means.iter().copied().filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min);
        let hi = finite.fold(f64::NEG_INFINITY, f64::max);
        let text =
            TextStyle::from(label_font().into_font()).pos(Pos::new(HPos::Center, VPos::Center));
        for (k, mean) in means.iter().enumerate() {
            // Point k is (x, y) = (k / ny, k % ny): the first axis varies slowest.
            let (x, y) = ((k as u32) / ny, (k as u32) % ny);
            let color = if mean.is_finite() {
                let t = if hi > lo {
                    (mean - lo) / (hi - lo)
                } else {
                    0.5
                };
                goodness_color(if metric.more_is_better() { t } else { 1.0 - t })
            } else {
                EMPTY_CELL
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ],
                color.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                fmt_num(*mean),
                (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                text.clone(),
            )))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_from_red_to_green() {
        assert_eq!(goodness_color(0.0), RGBColor(215, 48, 39));
        assert_eq!(goodness_color(1.0), RGBColor(26, 152, 80));
    }
}
