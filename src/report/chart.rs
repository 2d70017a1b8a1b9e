//! The one chart frame every SVG of chatsim is drawn in — the run's plots, `staff`'s
//! staffing chart and `sweep`'s heat maps: canvas size, white background, title, margin,
//! label areas, fonts, legend box, step curves, colours, and the small SVG that says what
//! failed when a drawing cannot be made. Drawn by plotters into strings (no file, no font
//! files: the SVG backend writes `<text>` elements and the viewer renders them).

use crate::clock::Clock;
use crate::time::SimTime;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::error::Error;

/// Canvas of a chart over time (run plots, staffing).
pub(crate) const SIZE: (u32, u32) = (900, 420);
/// Canvas of a heat map (room for a square-ish grid).
pub(crate) const HEATMAP_SIZE: (u32, u32) = (900, 620);
/// The one font family.
pub(crate) const FONT: &str = "sans-serif";
const TITLE_PX: u32 = 20;
const LABEL_PX: u32 = 13;
const MARGIN_PX: u32 = 12;
/// Label areas (x axis height, y axis width) of a chart over time.
pub(crate) const AXES: (u32, u32) = (40, 60);
/// Label areas of a heat map (its ticks are set values, wider than numbers).
pub(crate) const HEATMAP_AXES: (u32, u32) = (50, 80);
/// Length of a legend entry's line sample, px.
const LEGEND_SAMPLE_PX: i32 = 20;
/// Width of every curve, px.
const STROKE_PX: u32 = 2;

/// Orange: reminders; Erlang C.
pub(crate) const ORANGE: RGBColor = RGBColor(230, 120, 0);
/// Green: logged-in capacity.
pub(crate) const CAPACITY_GREEN: RGBColor = RGBColor(0, 140, 0);
/// Green: Erlang A.
pub(crate) const ERLANG_A_GREEN: RGBColor = RGBColor(0, 150, 70);
/// Red: a roster under the staffing requirement.
pub(crate) const UNDER_RED: RGBColor = RGBColor(210, 40, 40);
/// Grey: ghost disconnects; a heat-map cell without a value.
pub(crate) const GREY: RGBColor = RGBColor(120, 120, 120);
pub(crate) const EMPTY_CELL: RGBColor = RGBColor(200, 200, 200);
/// The service level's CI band.
pub(crate) const BAND_BLUE: RGBColor = RGBColor(120, 150, 230);

pub(crate) type DrawResult = Result<(), Box<dyn Error>>;
/// The drawing area of one SVG.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// A chart with numbers on both axes.
pub(crate) type XyChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The label font: ticks, axis descriptions, legend, heat-map cells.
pub(crate) fn label_font() -> (&'static str, u32) {
    (FONT, LABEL_PX)
}

/// Runs a drawing on a white SVG canvas of `size` into a string; a drawing error
/// becomes a small SVG that says what failed, so a report is never left without its
/// figure silently.
pub(crate) fn render(
    title: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> DrawResult,
) -> String {
    let mut svg = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
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
            size.0,
            size.1,
            crate::report::text::markup(title),
            crate::report::text::markup(&e.to_string())
        ),
    }
}

/// The frame: title, margin and label areas `(x height, y width)`; the caller builds
/// its coordinates on it.
pub(crate) fn frame<'a, 'b>(
    root: &'a Area<'b>,
    title: &str,
    axes: (u32, u32),
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, (FONT, TITLE_PX))
        .margin(MARGIN_PX)
        .x_label_area_size(axes.0)
        .y_label_area_size(axes.1);
    builder
}

/// The legend box, at `position`.
pub(crate) fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(label_font())
        .position(position)
        .draw()?;
    Ok(())
}

/// Step curves: each `(from, to, value)` holds its value from `from` to `to`; a `None`
/// (undefined) breaks the curve into runs.
pub(crate) fn steps(
    segments: impl IntoIterator<Item = (f64, f64, Option<f64>)>,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![];
    let mut run = vec![];
    for (from, to, value) in segments {
        match value {
            Some(v) => {
                run.push((from, v));
                run.push((to, v));
            }
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Draws one series' runs (see [`steps`]) in `color`, with one legend entry `label`.
pub(crate) fn draw_runs(
    chart: &mut XyChart,
    runs: &[Vec<(f64, f64)>],
    label: &str,
    color: RGBColor,
) -> DrawResult {
    for (k, run) in runs.iter().enumerate() {
        let drawn = chart.draw_series(LineSeries::new(
            run.iter().copied(),
            color.stroke_width(STROKE_PX),
        ))?;
        if k == 0 {
            drawn.label(label).legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + LEGEND_SAMPLE_PX, y)],
                    color.stroke_width(STROKE_PX),
                )
            });
        }
    }
    Ok(())
}

/// The top of a y axis from 0 that leaves room for the legend above the highest point:
/// `headroom` × the highest value (1 when nothing is above 0).
pub(crate) fn y_top(runs: &[&Vec<Vec<(f64, f64)>>], headroom: f64) -> f64 {
    let top = runs
        .iter()
        .flat_map(|c| c.iter().flatten())
        .map(|p| p.1)
        .fold(0.0f64, f64::max);
    if top > 0.0 {
        top * headroom
    } else {
        1.0
    }
}

/// The x axis of a chart over clock time: x is [`Clock::hours`] (hours from the first
/// day's midnight), from the first interval's start to the last one's end.
pub(crate) struct ClockAxis {
    pub clock: Clock,
    pub x: std::ops::Range<f64>,
}

impl ClockAxis {
    /// The axis over `[first, last)` (an empty run gets a one-hour axis at the origin).
    pub fn new(clock: Clock, first: Option<SimTime>, last: Option<SimTime>) -> ClockAxis {
        let x0 = clock.hours(first.unwrap_or(SimTime::ZERO));
        let x1 = last.map_or(x0 + 1.0, |t| clock.hours(t)).max(x0 + 1e-6);
        ClockAxis { clock, x: x0..x1 }
    }

    /// The x coordinate of `t`.
    pub fn at(&self, t: SimTime) -> f64 {
        self.clock.hours(t)
    }

    /// Draws the mesh with clock-time tick labels (`08:00`, `00:15 +1d`) and `y_desc`.
    pub fn mesh(&self, chart: &mut XyChart, y_desc: &str) -> DrawResult {
        chart
            .configure_mesh()
            .x_desc("clock time")
            .x_label_formatter(&|h| Clock::hour_label(*h))
            .y_desc(y_desc)
            .label_style(label_font())
            .draw()?;
        Ok(())
    }
}
