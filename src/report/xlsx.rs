//! `report.xlsx`: the report's tables for planners who work in spreadsheets
//! (`rust_xlsxwriter`). Five sheets: **Summary** (every run figure, grouped by section as
//! the catalogue groups them, with units), **Intervals** (clock-time columns, then every
//! interval figure), **Agents**, **Groups** and **Targets** (the verdict, as in
//! `report.html`). Figures are numbers, not text: shares are stored as fractions (0.85)
//! and shown in a percent format, so a formula reads the value `summary.json` holds.
//!
//! The bytes are a pure function of (scenario, seed): the document's creation time, which
//! `rust_xlsxwriter` takes from the system clock by default, is fixed, and the wall-clock
//! figures (`events_per_s`, `routing_decisions_per_s`) are left out.

use crate::catalogue::{Level, Metric, Section, Unit};
use crate::metrics::{MetricSet, RunSummary, Stat};
use crate::report::verdict::{PerInterval, Verdict};
use crate::report::{at_secs, interval_label};
use crate::scenario::Scenario;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError,
};

/// Most data rows in the Intervals and Agents sheets: a spreadsheet holds a desk's day,
/// not a million agents (which would take gigabytes here); the CSV files hold every row,
/// and a last row says how many were left out.
pub const MAX_SHEET_ROWS: usize = 10_000;

/// Longest text an Excel cell holds.
const MAX_CELL_CHARS: usize = 32_767;

/// The document's creation time, fixed so that the same run gives the same bytes.
const CREATED: (u16, u8, u8) = (2000, 1, 1);

/// The formats of the workbook.
struct Formats {
    bold: Format,
    percent: Format,
    number: Format,
    percent_miss: Format,
    number_miss: Format,
    met: Format,
    missed: Format,
}

impl Formats {
    fn new() -> Formats {
        let miss = Color::RGB(0xFFD7D7);
        Formats {
            bold: Format::new().set_bold(),
            percent: Format::new().set_num_format("0.0%"),
            number: Format::new().set_num_format("General"),
            percent_miss: Format::new()
                .set_num_format("0.0%")
                .set_background_color(miss)
                .set_bold(),
            number_miss: Format::new()
                .set_num_format("General")
                .set_background_color(miss)
                .set_bold(),
            met: Format::new()
                .set_bold()
                .set_font_color(Color::RGB(0x176B2C)),
            missed: Format::new()
                .set_bold()
                .set_font_color(Color::RGB(0xB00020)),
        }
    }

    /// The format of a figure of `m`, highlighted when `miss`.
    fn of(&self, m: Metric, miss: bool) -> &Format {
        match (m.unit() == Unit::Share, miss) {
            (true, false) => &self.percent,
            (true, true) => &self.percent_miss,
            (false, false) => &self.number,
            (false, true) => &self.number_miss,
        }
    }
}

/// Text as a cell holds it (at most [`MAX_CELL_CHARS`]).
fn text(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

fn put_text(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
    ws.write_string(row, col, text(s))?;
    Ok(())
}

fn put_bold(ws: &mut Worksheet, row: u32, col: u16, s: &str, f: &Formats) -> Result<(), XlsxError> {
    ws.write_string_with_format(row, col, text(s), &f.bold)?;
    Ok(())
}

/// A number, or an empty cell when undefined (Excel has no NaN).
fn put_number(ws: &mut Worksheet, row: u32, col: u16, x: f64, f: &Format) -> Result<(), XlsxError> {
    if x.is_finite() {
        ws.write_number_with_format(row, col, x, f)?;
    }
    Ok(())
}

/// The unit as a heading shows it.
fn unit_text(m: Metric) -> &'static str {
    match m.unit() {
        Unit::Share => "%",
        u => u.text(),
    }
}

/// The metrics of a level, section by section (the order of the report's tables).
fn by_section(level: Level) -> Vec<Metric> {
    Section::ALL
        .iter()
        .flat_map(|s| {
            level
                .metrics()
                .iter()
                .copied()
                .filter(move |m| m.section() == *s)
        })
        .collect()
}

/// Three heading rows over the figure columns from `col`: the section (where it
/// starts), `label (unit)` and `± 95 % CI`, and the published names (`service_level`,
/// `service_level_ci95`, as in the CSV files).
fn figure_headings(
    ws: &mut Worksheet,
    col: u16,
    metrics: &[Metric],
    f: &Formats,
) -> Result<(), XlsxError> {
    let mut last = None;
    for (k, m) in metrics.iter().enumerate() {
        let c = col + 2 * k as u16;
        if last != Some(m.section()) {
            put_bold(ws, 0, c, m.section().title(), f)?;
            last = Some(m.section());
        }
        put_bold(ws, 1, c, &format!("{} ({})", m.label(), unit_text(*m)), f)?;
        put_bold(ws, 1, c + 1, "± 95 % CI", f)?;
        put_text(ws, 2, c, m.name())?;
        put_text(ws, 2, c + 1, &format!("{}_ci95", m.name()))?;
    }
    Ok(())
}

/// One row's figures: mean and half-width of each metric, from `col`.
fn figure_cells(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    metrics: &[Metric],
    values: &MetricSet,
    miss: impl Fn(Metric) -> bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    for (k, m) in metrics.iter().enumerate() {
        let c = col + 2 * k as u16;
        if let Some(s) = values.get(*m) {
            let format = f.of(*m, miss(*m));
            put_number(ws, row, c, s.mean, format)?;
            put_number(ws, row, c + 1, s.ci95_half_width, f.of(*m, false))?;
        }
    }
    Ok(())
}

/// The workbook's bytes.
pub fn report_xlsx(summary: &RunSummary, sc: &Scenario) -> Result<Vec<u8>, XlsxError> {
    let mut bytes = Vec::new();
    write_report_xlsx(summary, sc, &mut bytes)?;
    Ok(bytes)
}

/// Writes the workbook to `out` as it is zipped: the same bytes as [`report_xlsx`],
/// without a copy of the whole file beside the workbook's cells.
pub fn write_report_xlsx(
    summary: &RunSummary,
    sc: &Scenario,
    out: impl std::io::Write + Send,
) -> Result<(), XlsxError> {
    let f = Formats::new();
    let verdict = Verdict::of(summary, &sc.targets);
    let mut wb = Workbook::new();
    let (y, m, d) = CREATED;
    let mut props = DocProperties::new()
        .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?)
        .set_author("chatsim");
    if let Some(name) = &sc.about.name {
        props = props.set_title(text(name));
    }
    wb.set_properties(&props);
    summary_sheet(wb.add_worksheet(), summary, sc, &f)?;
    intervals_sheet(wb.add_worksheet(), summary, sc, &verdict, &f)?;
    agents_sheet(wb.add_worksheet(), summary, &f)?;
    groups_sheet(wb.add_worksheet(), summary, &f)?;
    if !summary.queues.is_empty() {
        queues_sheet(wb.add_worksheet(), summary, &verdict, &f)?;
    }
    targets_sheet(wb.add_worksheet(), summary, sc, &verdict, &f)?;
    wb.save_to_writer(out)
}

/// An error of the workbook's writer as an I/O error: the file system's own, or the
/// writer's message.
pub fn io_error(e: XlsxError) -> std::io::Error {
    match e {
        XlsxError::IoError(e) => e,
        e => std::io::Error::other(e),
    }
}

/// Summary: the name, the description and the run; then every run figure by section
/// (pooled percentiles with them), with unit, mean, half-width and the CI's ends.
fn summary_sheet(
    ws: &mut Worksheet,
    summary: &RunSummary,
    sc: &Scenario,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name("Summary")?;
    let title = sc.about.name.as_deref().unwrap_or("chatsim report");
    put_bold(ws, 0, 0, title, f)?;
    let mut row = 1;
    if let Some(d) = &sc.about.description {
        put_text(ws, row, 0, d)?;
        row += 1;
    }
    put_text(
        ws,
        row,
        0,
        &format!(
            "seed {}, {} replication(s); every figure is the mean over replications and the \
             half-width of its 95 % CI; shares in percent; the wall-clock figures (the \
             simulator's speed) are in summary.json only",
            summary.seed, summary.replications
        ),
    )?;
    row += 2;
    let head = [
        "section",
        "figure",
        "metric",
        "unit",
        "mean",
        "± 95 % CI",
        "CI low",
        "CI high",
    ];
    for (c, h) in head.iter().enumerate() {
        put_bold(ws, row, c as u16, h, f)?;
    }
    ws.set_freeze_panes(row + 1, 0)?;
    row += 1;
    for section in Section::ALL {
        let figures = summary
            .metrics
            .iter()
            .filter(|(m, _)| m.section() == section);
        // The wall-clock figures stay in summary.json: without them the workbook is the
        // same bytes for the same scenario and seed.
        for (m, s) in figures.filter(|(m, _)| !m.is_wall_clock()) {
            put_text(ws, row, 0, section.title())?;
            put_text(ws, row, 1, m.label())?;
            put_text(ws, row, 2, m.name())?;
            put_text(ws, row, 3, unit_text(m))?;
            stat_cells(ws, row, 4, m, s, f)?;
            row += 1;
        }
        for (m, v) in summary
            .pooled
            .iter()
            .filter(|(m, _)| m.section() == section)
        {
            put_text(ws, row, 0, section.title())?;
            put_text(
                ws,
                row,
                1,
                &format!("{} (pooled over replications)", m.label()),
            )?;
            put_text(ws, row, 2, m.name())?;
            put_text(ws, row, 3, unit_text(m))?;
            put_number(ws, row, 4, *v, f.of(m, false))?;
            row += 1;
        }
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 40)?;
    ws.set_column_width(2, 28)?;
    Ok(())
}

/// Mean, half-width, CI low and CI high of `m` from `col`.
fn stat_cells(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    m: Metric,
    s: &Stat,
    f: &Formats,
) -> Result<(), XlsxError> {
    let format = f.of(m, false);
    let hw = if s.ci95_half_width.is_finite() {
        s.ci95_half_width
    } else {
        0.0
    };
    put_number(ws, row, col, s.mean, format)?;
    put_number(ws, row, col + 1, s.ci95_half_width, format)?;
    put_number(ws, row, col + 2, s.mean - hw, format)?;
    put_number(ws, row, col + 3, s.mean + hw, format)?;
    Ok(())
}

/// The note under a sheet cut at [`MAX_SHEET_ROWS`].
fn cut_note(
    ws: &mut Worksheet,
    row: u32,
    left: usize,
    what: &str,
    file: &str,
) -> Result<(), XlsxError> {
    if left > 0 {
        put_text(
            ws,
            row,
            0,
            &format!(
                "… {left} more {what} not shown here (at most {MAX_SHEET_ROWS} rows): see {file}"
            ),
        )?;
    }
    Ok(())
}

/// Intervals: the interval as clock time (`08:00–08:15`; day and date when the run spans
/// days), start and end, seconds from the epoch, then every interval figure by section;
/// a figure that misses a target is highlighted. A long run's merged intervals are said
/// so in the first row.
fn intervals_sheet(
    ws: &mut Worksheet,
    summary: &RunSummary,
    sc: &Scenario,
    verdict: &Verdict,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name("Intervals")?;
    if let Some(note) = super::merged_note(summary) {
        put_text(ws, 0, 0, &note)?;
    }
    let clock = sc.run.clock;
    let days = summary.spans_days();
    let head = [
        "interval", "day", "date", "start", "end", "start_s", "end_s",
    ];
    for (c, h) in head.iter().enumerate() {
        put_bold(ws, 1, c as u16, h, f)?;
        put_text(ws, 2, c as u16, h)?;
    }
    let metrics = by_section(Level::Interval);
    let first = head.len() as u16;
    figure_headings(ws, first, &metrics, f)?;
    ws.set_freeze_panes(3, first)?;
    let shown = summary.intervals.len().min(MAX_SHEET_ROWS);
    for (k, i) in summary.intervals.iter().take(shown).enumerate() {
        let row = 3 + k as u32;
        let (a, b) = (at_secs(i.start_s), at_secs(i.end_s));
        put_text(
            ws,
            row,
            0,
            &interval_label(&clock, i.start_s, i.end_s, days),
        )?;
        put_number(ws, row, 1, clock.day(a) as f64, &f.number)?;
        if let Some(date) = clock.date(a) {
            put_text(ws, row, 2, &date)?;
        }
        put_text(ws, row, 3, &clock.time_of_day(a))?;
        put_text(ws, row, 4, &clock.time_of_day(b))?;
        put_number(ws, row, 5, i.start_s, &f.number)?;
        put_number(ws, row, 6, i.end_s, &f.number)?;
        let miss = |m: Metric| {
            verdict
                .per_interval()
                .any(|(t, missed)| t.metric == Some(m) && missed.contains(&k))
        };
        figure_cells(ws, row, first, &metrics, &i.metrics, miss, f)?;
    }
    cut_note(
        ws,
        3 + shown as u32,
        summary.intervals.len() - shown,
        "intervals",
        "intervals.csv",
    )?;
    ws.set_column_width(0, if days { 26 } else { 14 })?;
    Ok(())
}

/// Agents: id, group, session cap, then every agent figure by section.
fn agents_sheet(ws: &mut Worksheet, summary: &RunSummary, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("Agents")?;
    let head = ["agent", "group", "max_sessions"];
    for (c, h) in head.iter().enumerate() {
        put_bold(ws, 1, c as u16, h, f)?;
        put_text(ws, 2, c as u16, h)?;
    }
    let metrics = by_section(Level::Agent);
    figure_headings(ws, head.len() as u16, &metrics, f)?;
    ws.set_freeze_panes(3, 1)?;
    let shown = summary.agents.len().min(MAX_SHEET_ROWS);
    for (k, a) in summary.agents.iter().take(shown).enumerate() {
        let row = 3 + k as u32;
        put_text(ws, row, 0, &a.name)?;
        put_text(ws, row, 1, &a.group)?;
        put_number(ws, row, 2, f64::from(a.max_sessions), &f.number)?;
        figure_cells(
            ws,
            row,
            head.len() as u16,
            &metrics,
            &a.metrics,
            |_| false,
            f,
        )?;
    }
    cut_note(
        ws,
        3 + shown as u32,
        summary.agents.len() - shown,
        "agents",
        "agents.csv",
    )
}

/// Groups: name, roster size, then every group figure by section.
fn groups_sheet(ws: &mut Worksheet, summary: &RunSummary, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name("Groups")?;
    let head = ["group", "agents"];
    for (c, h) in head.iter().enumerate() {
        put_bold(ws, 1, c as u16, h, f)?;
        put_text(ws, 2, c as u16, h)?;
    }
    let metrics = by_section(Level::Group);
    figure_headings(ws, head.len() as u16, &metrics, f)?;
    ws.set_freeze_panes(3, 1)?;
    for (k, g) in summary.groups.iter().enumerate() {
        let row = 3 + k as u32;
        put_text(ws, row, 0, &g.name)?;
        put_number(ws, row, 1, f64::from(g.agents), &f.number)?;
        figure_cells(
            ws,
            row,
            head.len() as u16,
            &metrics,
            &g.metrics,
            |_| false,
            f,
        )?;
    }
    Ok(())
}

/// Queues (a desk with several): name, then every per-queue figure by section; a figure
/// whose queue target is missed is highlighted.
fn queues_sheet(
    ws: &mut Worksheet,
    summary: &RunSummary,
    verdict: &Verdict,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name("Queues")?;
    put_bold(ws, 1, 0, "queue", f)?;
    put_text(ws, 2, 0, "queue")?;
    let metrics = by_section(Level::Queue);
    figure_headings(ws, 1, &metrics, f)?;
    ws.set_freeze_panes(3, 1)?;
    for (k, q) in summary.queues.iter().enumerate() {
        let row = 3 + k as u32;
        put_text(ws, row, 0, &q.name)?;
        let missed = |m: Metric| {
            verdict
                .targets
                .iter()
                .any(|t| !t.met && t.metric == Some(m) && t.target.queue.as_ref() == Some(&q.name))
        };
        figure_cells(ws, row, 1, &metrics, &q.metrics, missed, f)?;
    }
    Ok(())
}

/// Targets: each target of the scenario with its estimate, the end it is judged at, the
/// verdict, and the intervals that miss it.
fn targets_sheet(
    ws: &mut Worksheet,
    summary: &RunSummary,
    sc: &Scenario,
    verdict: &Verdict,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_name("Targets")?;
    let head = [
        "target",
        "metric",
        "op",
        "value",
        "mean",
        "± 95 % CI",
        "CI low",
        "CI high",
        "judged at",
        "verdict",
        "per interval",
        "intervals that miss it",
    ];
    for (c, h) in head.iter().enumerate() {
        put_bold(ws, 0, c as u16, h, f)?;
    }
    ws.set_freeze_panes(1, 1)?;
    if verdict.targets.is_empty() {
        put_text(
            ws,
            1,
            0,
            "no targets: add [targets] expect = [...] to the scenario",
        )?;
    }
    let clock = sc.run.clock;
    for (k, t) in verdict.targets.iter().enumerate() {
        let row = 1 + k as u32;
        put_text(ws, row, 0, &t.target.to_string())?;
        put_text(ws, row, 1, &t.target.metric)?;
        put_text(ws, row, 2, t.target.op())?;
        let format = t.metric.map_or(&f.number, |m| f.of(m, false));
        put_number(ws, row, 3, t.target.value, format)?;
        if let (Some(m), Some(s)) = (t.metric, t.stat) {
            stat_cells(ws, row, 4, m, s, f)?;
        }
        put_number(ws, row, 8, t.judged, format)?;
        if t.met {
            ws.write_string_with_format(row, 9, "met", &f.met)?;
        } else {
            ws.write_string_with_format(row, 9, "missed", &f.missed)?;
        }
        match &t.per_interval {
            PerInterval::Judged { judged, missed } => {
                put_text(
                    ws,
                    row,
                    10,
                    &format!("{} of {judged} intervals miss it", missed.len()),
                )?;
                let labels: Vec<String> = missed
                    .iter()
                    .map(|&i| {
                        let i = &summary.intervals[i];
                        interval_label(&clock, i.start_s, i.end_s, summary.spans_days())
                    })
                    .collect();
                put_text(ws, row, 11, &labels.join(", "))?;
            }
            PerInterval::RunLevelOnly(why) => {
                put_text(ws, row, 10, &format!("judged at run level only: {why}"))?;
            }
        }
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(10, 40)?;
    Ok(())
}
