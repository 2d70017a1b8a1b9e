//! `chatsim staff`'s bytes: the terminal table, `staffing.csv` and `staffing.svg`, from a
//! [`StaffingResult`] (computed by `tools::staff`). Pure functions: no file is opened.

use crate::metrics::target::Confidence;
use crate::plan::staffing::{erlang_a_targets, erlang_service_level, RatePlan, StaffingResult};
use crate::report::chart::{
    self, draw_runs, frame, legend, render, ClockAxis, AXES, CAPACITY_GREEN, ERLANG_A_GREEN,
    ORANGE, SIZE, UNDER_RED,
};
use crate::report::fmt_num;
use crate::time::SimTime;
use plotters::prelude::*;

/// A share as a percentage without float noise: 0.55 → "55", 0.8125 → "81.25".
pub(crate) fn percent(share: f64) -> String {
    let text = format!("{:.6}", 100.0 * share);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A factor or a mean cap to two decimals at most: 1.7 → "1.7", 3.0 → "3", 2.125 → "2.13".
fn short(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The terminal table: one row per interval.
pub fn staffing_table(r: &StaffingResult) -> String {
    let mut out = String::new();
    let targets: Vec<String> = r.targets.iter().map(|t| t.to_string()).collect();
    out.push_str(&format!(
        "staffing for {} · judged at {} · seed {}, {}–{} replications per candidate \
         (doubled while undecided)\n",
        targets.join(", "),
        match r.confidence {
            Confidence::Conservative => "the conservative end of the 95% CI",
            Confidence::Mean => "the mean",
        },
        r.seed,
        r.replications,
        r.max_replications
    ));
    out.push_str(&format!(
        "Erlang C: each agent = max_sessions servers, {}% within {} s, mean session = {}\n",
        percent(erlang_service_level(&r.targets)),
        r.service_level_threshold_s,
        if r.holding_model && r.intervals.iter().any(|(i, _)| i.aht.is_some()) {
            "the forecast's AHT of the interval (else the holding-time mean)"
        } else if r.holding_model {
            "the holding-time mean"
        } else {
            "measured at the required staffing (Little's law)"
        }
    ));
    if let Some(p) = r.patience_s {
        let judged: Vec<String> = erlang_a_targets(&r.targets)
            .iter()
            .map(|t| t.to_string())
            .collect();
        out.push_str(&format!(
            "Erlang A: the same servers and session, {} within {} s, patience exponential \
             with mean {} s (segments' rates 1/mean averaged by share; a non-exponential \
             patience is taken by its mean)\n",
            judged.join(", "),
            r.service_level_threshold_s,
            fmt_num(p)
        ));
    }
    out.push_str(&format!(
        "rule of thumb (\"thumb\"): Erlang C with one server per agent on AHT ÷ {} (Call \
         Centre Helper's concurrency factor at {} chats per agent, the roster's mean cap), \
         the same service level and session; Δthumb = agents − thumb\n",
        short(r.rule_of_thumb.factor),
        short(r.rule_of_thumb.concurrency)
    ));
    let metric_names: Vec<String> = r
        .intervals
        .iter()
        .find(|(_, p)| !p.achieved.is_empty())
        .map(|(_, p)| p.achieved.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let with_a = r.patience_s.is_some();
    let slots = "sessions"; // not a metric: the required agents' session caps summed
    let mut header = format!(
        "{:<13} {:>7} {:>7} {:>8} {:>8}",
        "interval", "rate/h", "agents", slots, "Erlang C"
    );
    if with_a {
        header.push_str(&format!(" {:>8}", "Erlang A"));
    }
    header.push_str(&format!(" {:>6} {:>7}", "thumb", "Δthumb"));
    header.push_str(&format!(" {:>7} {:>7} {:>7}", "FTE", "roster", "gap"));
    for n in &metric_names {
        header.push_str(&format!("  {n:>22}"));
    }
    header.push_str(&format!("  {:>5} {:>5}\n", "reps", "sims"));
    out.push_str(&header);
    out.push_str(&format!(
        "{}\n",
        "─".repeat(header.trim_end().chars().count())
    ));
    let mut unmet = 0;
    let days = r.spans_days();
    let mut day_shown = None;
    for (k, (i, p)) in r.intervals.iter().enumerate() {
        // Over several days, a line naming each day before its first row.
        let day = r.clock.day(i.start);
        if days && day_shown != Some(day) {
            day_shown = Some(day);
            let date = r
                .clock
                .date(i.start)
                .map_or_else(String::new, |d| format!(" {d}"));
            out.push_str(&format!("day {day}{date}\n"));
        }
        let required = match p.required_agents {
            Some(k) => k.to_string(),
            None => {
                unmet += 1;
                format!(">{}", p.simulated.iter().max().copied().unwrap_or(0))
            }
        };
        let mut row = format!(
            "{:<13} {:>7.1} {:>7} {:>8} {:>8}",
            format!(
                "{}–{}",
                r.clock.time_of_day(i.start),
                r.clock.time_of_day(i.end)
            ),
            i.rate_per_hour,
            required,
            p.required_sessions.map_or("-".into(), |s| s.to_string()),
            p.erlang_c_agents
        );
        if with_a {
            let a = p
                .erlang_a
                .map_or("-".into(), |(agents, _)| agents.to_string());
            row.push_str(&format!(" {a:>8}"));
        }
        let thumb = r
            .rule_of_thumb_agents(k)
            .map_or("-".into(), |a| a.to_string());
        let vs = r
            .vs_rule_of_thumb(k)
            .map_or("-".into(), |d| format!("{d:+}"));
        row.push_str(&format!(" {thumb:>6} {vs:>7}"));
        let one = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.1}"));
        let gap = r.gap(k).map_or("-".into(), |g| format!("{g:+.1}"));
        row.push_str(&format!(
            " {:>7} {:>7} {gap:>7}",
            one(r.fte_required(k)),
            one(r.roster.get(k).map(|c| c.on_floor))
        ));
        for n in &metric_names {
            let cell = p
                .achieved
                .iter()
                .find(|(m, _)| m == n)
                .map_or("-".into(), |(_, s)| {
                    format!("{} ± {}", fmt_num(s.mean), fmt_num(s.ci95_half_width))
                });
            row.push_str(&format!("  {cell:>22}"));
        }
        row.push_str(&format!(
            "  {:>5} {:>5}\n",
            p.replications,
            p.simulated.len()
        ));
        out.push_str(&row);
    }
    let (mut total_required, mut total_c, mut total_a, mut total_thumb) = (0u64, 0u64, 0u64, 0u64);
    for (k, (_, p)) in r.intervals.iter().enumerate() {
        let Some(required) = p.required_agents else {
            continue;
        };
        total_required += u64::from(required);
        total_c += u64::from(p.erlang_c_agents);
        total_a += u64::from(p.erlang_a.map_or(0, |(agents, _)| agents));
        total_thumb += u64::from(r.rule_of_thumb_agents(k).unwrap_or(0));
    }
    out.push_str(&format!(
        "agent-intervals over the {} staffed interval(s): {total_required} simulated vs \
         {total_c} Erlang C{} and {total_thumb} rule of thumb\n",
        r.intervals.len() - unmet,
        if with_a {
            format!(", {total_a} Erlang A")
        } else {
            String::new()
        }
    ));
    out.push_str(&day_line(r));
    if unmet > 0 {
        let mut missed: Vec<&str> = r
            .intervals
            .iter()
            .flat_map(|(_, p)| p.unmet.iter().map(String::as_str))
            .collect();
        missed.sort_unstable();
        missed.dedup();
        out.push_str(&format!(
            "{unmet} interval(s) could not be staffed up to 4 × the Erlang start + 10 agents \
             (at most 1 000 000; shown as >N, figures at N); still missed there: {}\n",
            missed.join("; ")
        ));
    }
    out
}

/// The day summary line: agent-hours required on the floor, FTE-hours to schedule, the
/// roster's agent-hours on the floor and its over/under against the requirement.
fn day_line(r: &StaffingResult) -> String {
    let d = r.day_summary();
    let h = |x: f64| format!("{x:.1}");
    format!(
        "day ({} h, {} staffed interval(s)): {} agent-hours required on the floor, {} \
         FTE-hours at {}% shrinkage; roster {} agent-hours on the floor: {} over, {} under \
         (net {:+.1})\n",
        h(d.hours),
        d.staffed_intervals,
        h(d.agent_hours_required),
        h(d.fte_hours),
        percent(r.shrinkage),
        h(d.roster_agent_hours),
        h(d.over_hours),
        h(d.under_hours),
        d.net_gap_hours()
    )
}

/// One cell of a staffing row: as `staffing.csv` writes it and `staff --json` holds it.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    /// A string (a clock reading, the unmet targets).
    Text(String),
    /// A finite number: the CSV writes its shortest exact decimal
    /// ([`crate::report::csv_number`]), the JSON the same value.
    Float(f64),
    Int(u64),
    /// A signed count (a difference of agents).
    Signed(i64),
    Bool(bool),
    /// No value: an empty CSV cell, JSON null.
    Empty,
}

impl Cell {
    fn num(x: f64) -> Cell {
        if x.is_finite() {
            Cell::Float(x)
        } else {
            Cell::Empty
        }
    }

    fn int(k: impl Into<u64>) -> Cell {
        Cell::Int(k.into())
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Float(x) => crate::report::csv_number(*x),
            Cell::Int(k) => k.to_string(),
            Cell::Signed(k) => k.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

impl serde::Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(t) => s.serialize_str(t),
            // serde_json writes a float's shortest exact digits: the CSV's value.
            Cell::Float(x) => s.serialize_f64(*x),
            Cell::Int(k) => s.serialize_u64(*k),
            Cell::Signed(k) => s.serialize_i64(*k),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Empty => s.serialize_none(),
        }
    }
}

/// The target metrics (and occupancy) shown per interval, in order.
fn shown_metrics(r: &StaffingResult) -> Vec<String> {
    r.intervals
        .iter()
        .find(|(_, p)| !p.achieved.is_empty())
        .map(|(_, p)| p.achieved.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default()
}

/// The rows of `staffing.csv`, header first: what the CSV writes and `--json` prints.
fn staffing_rows(r: &StaffingResult) -> (Vec<String>, Vec<Vec<Cell>>) {
    let metric_names = shown_metrics(r);
    let mut header: Vec<String> = [
        "start_s",
        "end_s",
        "start",
        "end",
        "rate_per_hour",
        "required_agents",
        "required_sessions",
        "targets_met",
        "unmet_targets",
        "erlang_c_agents",
        "erlang_c_servers",
        "erlang_c_session_s",
        "search_start_agents",
        "candidates_simulated",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in &metric_names {
        header.push(crate::report::tabular::mean_column(n));
        header.push(crate::report::tabular::ci95_column(n));
    }
    // Appended after the metric columns: the columns above are a contract.
    header.extend(
        [
            "erlang_a_agents",
            "erlang_a_servers",
            "replications",
            "replications_total",
            "warmup_s",
            "horizon_s",
            // Appended again (shrinkage, FTE and the roster gap): still at the end.
            "shrinkage",
            "fte_required",
            "roster_logged_in",
            "roster_on_floor",
            "roster_gap",
        ]
        .map(String::from),
    );
    // A run over several days: which day (and date, when the scenario gives
    // `run.start_date`) each row's start falls on; `start`/`end` are times of day.
    let days = r.spans_days();
    if days {
        header.extend(["day", "date"].map(String::from));
    }
    // Appended last, after `day,date` too, so that every earlier column keeps its place:
    // the chat rule of thumb beside Erlang C (`RuleOfThumb`).
    header.extend(
        [
            "rule_of_thumb_concurrency",
            "rule_of_thumb_factor",
            "rule_of_thumb_aht_s",
            "rule_of_thumb_agents",
            "required_vs_rule_of_thumb",
        ]
        .map(String::from),
    );
    let mut rows = vec![];
    for (k, (i, p)) in r.intervals.iter().enumerate() {
        let opt = |v: Option<u32>| v.map_or(Cell::Empty, Cell::int);
        let mut row = vec![
            Cell::num(i.start.as_secs_f64()),
            Cell::num(i.end.as_secs_f64()),
            Cell::Text(r.clock.time_of_day(i.start)),
            Cell::Text(r.clock.time_of_day(i.end)),
            Cell::num(i.rate_per_hour),
            opt(p.required_agents),
            opt(p.required_sessions),
            Cell::Bool(p.required_agents.is_some()),
            Cell::Text(p.unmet.join(";")),
            Cell::int(p.erlang_c_agents),
            Cell::int(p.erlang_c_servers),
            Cell::num(p.erlang_session_s),
            Cell::int(p.search_start),
            Cell::int(p.simulated.len() as u64),
        ];
        for n in &metric_names {
            match p.achieved.iter().find(|(m, _)| m == n) {
                Some((_, s)) => {
                    row.push(Cell::num(s.mean));
                    row.push(Cell::num(s.ci95_half_width));
                }
                None => row.extend([Cell::Empty, Cell::Empty]),
            }
        }
        let cover = r.roster.get(k);
        row.extend([
            opt(p.erlang_a.map(|(a, _)| a)),
            opt(p.erlang_a.map(|(_, s)| s)),
            Cell::int(p.replications),
            Cell::int(p.replications_total),
            p.window
                .map_or(Cell::Empty, |w| Cell::num(w.warmup.as_secs_f64())),
            p.window
                .map_or(Cell::Empty, |w| Cell::num(w.horizon.as_secs_f64())),
            Cell::num(r.shrinkage),
            r.fte_required(k).map_or(Cell::Empty, Cell::num),
            cover.map_or(Cell::Empty, |c| Cell::num(c.logged_in)),
            cover.map_or(Cell::Empty, |c| Cell::num(c.on_floor)),
            r.gap(k).map_or(Cell::Empty, Cell::num),
        ]);
        if days {
            row.push(Cell::int(r.clock.day(i.start)));
            row.push(r.clock.date(i.start).map_or(Cell::Empty, Cell::Text));
        }
        let thumb = &r.rule_of_thumb;
        row.extend([
            Cell::num(thumb.concurrency),
            Cell::num(thumb.factor),
            Cell::num(thumb.effective_aht_s(p.erlang_session_s)),
            r.rule_of_thumb_agents(k).map_or(Cell::Empty, Cell::int),
            r.vs_rule_of_thumb(k).map_or(Cell::Empty, Cell::Signed),
        ]);
        rows.push(row);
    }
    (header, rows)
}

/// `staffing.csv`: one row per interval.
pub fn staffing_csv(r: &StaffingResult) -> anyhow::Result<Vec<u8>> {
    let (header, rows) = staffing_rows(r);
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(&header)?;
    for row in rows {
        w.write_record(row.iter().map(Cell::csv))?;
    }
    Ok(w.into_inner()?)
}

/// One interval's row as a JSON object, keys in the CSV's column order.
struct JsonRow<'a> {
    header: &'a [String],
    cells: &'a [Cell],
}

impl serde::Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.cells.len()))?;
        for (key, cell) in self.header.iter().zip(self.cells) {
            map.serialize_entry(key, cell)?;
        }
        map.end()
    }
}

/// The day's totals as `--json` prints them.
#[derive(serde::Serialize)]
struct JsonDay {
    hours: Cell,
    staffed_intervals: usize,
    shrinkage: Cell,
    agent_hours_required: Cell,
    fte_hours: Cell,
    roster_agent_hours: Cell,
    over_agent_hours: Cell,
    under_agent_hours: Cell,
    net_gap_agent_hours: Cell,
}

/// `staff --json`: every interval with the fields of its `staffing.csv` row (the same
/// names and numbers; an empty cell is null), then the day's totals, pretty-printed with a
/// final newline.
pub fn staffing_json(r: &StaffingResult) -> anyhow::Result<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        targets: Vec<String>,
        all_staffed: bool,
        intervals: Vec<JsonRow<'a>>,
        day: JsonDay,
    }
    let (header, rows) = staffing_rows(r);
    let d = r.day_summary();
    let doc = Doc {
        targets: r.targets.iter().map(|t| t.to_string()).collect(),
        all_staffed: r.all_staffed(),
        intervals: rows
            .iter()
            .map(|cells| JsonRow {
                header: &header,
                cells,
            })
            .collect(),
        day: JsonDay {
            hours: Cell::num(d.hours),
            staffed_intervals: d.staffed_intervals,
            shrinkage: Cell::num(r.shrinkage),
            agent_hours_required: Cell::num(d.agent_hours_required),
            fte_hours: Cell::num(d.fte_hours),
            roster_agent_hours: Cell::num(d.roster_agent_hours),
            over_agent_hours: Cell::num(d.over_hours),
            under_agent_hours: Cell::num(d.under_hours),
            net_gap_agent_hours: Cell::num(d.net_gap_hours()),
        },
    };
    let text = serde_json::to_string_pretty(&doc)?;
    let mut bytes = crate::report::text::json_ascii_controls(&text)
        .into_owned()
        .into_bytes();
    bytes.push(b'\n');
    Ok(bytes)
}

/// The clock-time x axis over the staffed intervals.
fn time_axis(r: &StaffingResult) -> ClockAxis {
    ClockAxis::new(
        r.clock,
        r.intervals.first().map(|(i, _)| i.start),
        r.intervals.last().map(|(i, _)| i.end),
    )
}

/// The rule of thumb's line on `staffing.svg`.
const THUMB_PURPLE: RGBColor = RGBColor(140, 60, 170);

/// `staffing.svg`: required agents per interval by simulation, Erlang C, Erlang A and the
/// chat rule of thumb, as steps, in the shared chart frame.
pub fn staffing_svg(r: &StaffingResult) -> String {
    let title = "Agents required per interval";
    render(title, SIZE, |root| {
        let axis = time_axis(r);
        let hour = |t: SimTime| axis.at(t);
        let steps = |pick: &dyn Fn(&RatePlan) -> Option<u32>| {
            chart::steps(
                r.intervals
                    .iter()
                    .map(|(i, p)| (hour(i.start), hour(i.end), pick(p).map(f64::from))),
            )
        };
        let simulated = steps(&|p| p.required_agents);
        let erlang = steps(&|p| Some(p.erlang_c_agents));
        let erlang_a = steps(&|p| p.erlang_a.map(|(agents, _)| agents));
        let thumb = chart::steps(r.intervals.iter().enumerate().map(|(k, (i, _))| {
            (
                hour(i.start),
                hour(i.end),
                r.rule_of_thumb_agents(k).map(f64::from),
            )
        }));
        let top = chart::y_top(&[&simulated, &erlang, &erlang_a, &thumb], 1.3);
        let mut chart = frame(root, title, AXES).build_cartesian_2d(axis.x.clone(), 0.0..top)?;
        axis.mesh(&mut chart, "agents")?;
        let targets: Vec<String> = r.targets.iter().map(|t| t.to_string()).collect();
        let sim_label = format!("simulated ({})", targets.join(", "));
        let thumb_label = format!(
            "rule of thumb (Erlang C on AHT ÷ {})",
            short(r.rule_of_thumb.factor)
        );
        for (runs, label, color) in [
            (&erlang, "Erlang C (max_sessions servers per agent)", ORANGE),
            (&erlang_a, "Erlang A (patience by its mean)", ERLANG_A_GREEN),
            (&thumb, thumb_label.as_str(), THUMB_PURPLE),
            (&simulated, sim_label.as_str(), BLUE),
        ] {
            draw_runs(&mut chart, runs, label, color)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// `staffing_gap.svg`: per interval, the required agents on the floor, the FTE to
/// schedule (with shrinkage) and the roster's agents on the floor, as steps; the gap
/// between the roster and the requirement shaded (green over, red under).
pub fn staffing_gap_svg(r: &StaffingResult) -> String {
    let title = "Roster against the requirement per interval";
    render(title, SIZE, |root| {
        let axis = time_axis(r);
        let hour = |t: SimTime| axis.at(t);
        let steps = |pick: &dyn Fn(usize) -> Option<f64>| {
            chart::steps(
                r.intervals
                    .iter()
                    .enumerate()
                    .map(|(k, (i, _))| (hour(i.start), hour(i.end), pick(k))),
            )
        };
        let required = steps(&|k| r.intervals[k].1.required_agents.map(f64::from));
        let fte = steps(&|k| r.fte_required(k));
        let roster = steps(&|k| r.roster.get(k).map(|c| c.on_floor));
        let top = chart::y_top(&[&required, &fte, &roster], 1.3);
        let mut chart = frame(root, title, AXES).build_cartesian_2d(axis.x.clone(), 0.0..top)?;
        axis.mesh(&mut chart, "agents")?;
        // The gap first, so the curves are drawn over it.
        let mut over = vec![];
        let mut under = vec![];
        for (k, (i, p)) in r.intervals.iter().enumerate() {
            let (Some(agents), Some(gap)) = (p.required_agents, r.gap(k)) else {
                continue;
            };
            let need = f64::from(agents);
            let corners = [(hour(i.start), need), (hour(i.end), need + gap)];
            if gap > 0.0 {
                over.push(corners);
            } else if gap < 0.0 {
                under.push(corners);
            }
        }
        for (boxes, label, color) in [
            (
                over,
                "over-staffed (roster above the requirement)",
                CAPACITY_GREEN,
            ),
            (
                under,
                "under-staffed (roster below the requirement)",
                UNDER_RED,
            ),
        ] {
            if boxes.is_empty() {
                continue;
            }
            let style = color.mix(0.3).filled();
            chart
                .draw_series(boxes.into_iter().map(|c| Rectangle::new(c, style)))?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], style));
        }
        let fte_label = format!("FTE to schedule ({}% shrinkage)", percent(r.shrinkage));
        for (runs, label, color) in [
            (&fte, fte_label.as_str(), ORANGE),
            (
                &roster,
                "roster on the floor (shifts less planned breaks)",
                BLACK,
            ),
            (&required, "required on the floor (simulated)", BLUE),
        ] {
            draw_runs(&mut chart, runs, label, color)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(percent(0.55), "55");
        assert_eq!(percent(0.8125), "81.25");
    }

    /// Two half hours from 08:00: 10 agents needed, then none can be found.
    fn sample() -> StaffingResult {
        use crate::metrics::target::{Confidence, Target};
        use crate::metrics::Stat;
        use crate::plan::staffing::{RosterCover, StaffInterval, Window};
        use crate::time::Millis;
        let plan = |required: Option<u32>| RatePlan {
            rate_per_hour: 300.0,
            required_agents: required,
            required_sessions: required.map(|k| 2 * k),
            erlang_c_agents: 9,
            erlang_c_servers: 18,
            erlang_a: None,
            erlang_session_s: 120.5,
            search_start: 9,
            simulated: vec![9, 10],
            replications: 8,
            replications_total: 16,
            window: Some(Window {
                warmup: Millis::from_secs(600),
                horizon: Millis::from_secs(1800),
            }),
            achieved: vec![(
                crate::metrics::catalogue::Metric::ServiceLevel
                    .name()
                    .into(),
                Stat {
                    mean: 0.85,
                    ci95_half_width: 0.02,
                    per_replication: vec![],
                },
            )],
            unmet: if required.is_some() {
                vec![]
            } else {
                vec!["service_level>=0.8".into()]
            },
        };
        let at = |min: u64| SimTime::from_secs(min * 60);
        StaffingResult {
            intervals: vec![
                (
                    StaffInterval {
                        start: at(0),
                        end: at(30),
                        rate_per_hour: 300.0,
                        aht: None,
                    },
                    plan(Some(10)),
                ),
                (
                    StaffInterval {
                        start: at(30),
                        end: at(60),
                        rate_per_hour: 300.0,
                        aht: None,
                    },
                    plan(None),
                ),
            ],
            targets: vec![Target::parse("service_level>=0.8").unwrap()],
            confidence: Confidence::Conservative,
            clock: crate::clock::Clock::new(8 * 3_600_000, None),
            seed: 1,
            replications: 8,
            max_replications: 256,
            service_level_threshold_s: 60.0,
            holding_model: true,
            patience_s: None,
            shrinkage: 0.2,
            roster: vec![
                RosterCover {
                    logged_in: 10.0,
                    on_floor: 8.5,
                },
                RosterCover {
                    logged_in: 11.0,
                    on_floor: 11.0,
                },
            ],
            rule_of_thumb: crate::plan::staffing::RuleOfThumb::at(3.0),
        }
    }

    #[test]
    fn the_csv_keeps_its_old_columns_and_appends_fte_and_the_gap() {
        let csv = String::from_utf8(staffing_csv(&sample()).unwrap()).unwrap();
        // The old columns, byte for byte as the writer before shrinkage wrote them.
        let old = [
            "start_s,end_s,start,end,rate_per_hour,required_agents,required_sessions,\
             targets_met,unmet_targets,erlang_c_agents,erlang_c_servers,erlang_c_session_s,\
             search_start_agents,candidates_simulated,service_level_mean,service_level_ci95,\
             erlang_a_agents,erlang_a_servers,replications,replications_total,warmup_s,\
             horizon_s",
            "0,1800,08:00,08:30,300,10,20,true,,9,18,120.5,9,2,0.85,0.02,,,8,16,600,1800",
            "1800,3600,08:30,09:00,300,,,false,service_level>=0.8,9,18,120.5,9,2,0.85,0.02,,,\
             8,16,600,1800",
        ];
        // 10 agents at shrinkage 0.2: 12.5 FTE; roster 8.5 on the floor: gap −1.5. The
        // second interval could not be staffed: no FTE, no gap.
        let new = [
            "shrinkage,fte_required,roster_logged_in,roster_on_floor,roster_gap",
            "0.2,12.5,10,8.5,-1.5",
            "0.2,,11,11,",
        ];
        // Then the rule of thumb at concurrency 3 (factor 2.5): EAHT = 120.5 / 2.5 =
        // 48.2 s; λ = 300/h = 1/12 per s, so a = 48.2/12 = 4.0167 Erlangs: 4 agents
        // cannot keep up; 5: Erlang B B5 = 0.200556, C5 = 5·B5/(5 − a(1 − B5)) = 0.560557,
        // SL(60 s) = 1 − 0.560557·exp(−(5/48.2 − 1/12)·60) = 1 − 0.560557·0.294011 =
        // 0.8352 ≥ 0.8 → 5 agents; the simulated 10 are 5 more. Not staffed: no difference.
        let thumb = [
            "rule_of_thumb_concurrency,rule_of_thumb_factor,rule_of_thumb_aht_s,\
             rule_of_thumb_agents,required_vs_rule_of_thumb",
            "3,2.5,48.2,5,5",
            "3,2.5,48.2,5,",
        ];
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        for k in 0..3 {
            assert_eq!(lines[k], format!("{},{},{}", old[k], new[k], thumb[k]));
        }
        let sl5 = crate::metrics::erlang::mmc_service_level(5, 1.0 / 12.0, 1.0 / 48.2, 60.0);
        let sl4 = crate::metrics::erlang::mmc_service_level(4, 1.0 / 12.0, 1.0 / 48.2, 60.0);
        assert!((sl5 - 0.8352).abs() < 1e-4 && sl4 < 0.8, "{sl4} {sl5}");
        // The table: the rule's line, its two columns, and the total.
        let table = staffing_table(&sample());
        assert!(table.contains("AHT ÷ 2.5 (Call Centre Helper's concurrency factor at 3 chats"));
        let row = table
            .lines()
            .find(|l| l.starts_with("08:00–08:30"))
            .unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        // interval, rate/h, agents, sessions, Erlang C, thumb, Δthumb, …
        assert_eq!(
            &cells[..7],
            ["08:00–08:30", "300.0", "10", "20", "9", "5", "+5"]
        );
        assert!(
            table.contains("10 simulated vs 9 Erlang C and 5 rule of thumb"),
            "{table}"
        );
        assert!(staffing_svg(&sample()).contains("rule of thumb (Erlang C on AHT ÷ 2.5)"));
    }

    #[test]
    fn a_run_past_midnight_shows_days_and_dates() {
        // The sample's two half hours from 23:45 on 2026-12-31: 23:45–00:15 starts on
        // day 1, 00:15–00:45 on day 2 (2027-01-01); times of day wrap at 24:00.
        let mut r = sample();
        let date = jiff::civil::date(2026, 12, 31);
        r.clock = crate::clock::Clock::new((23 * 60 + 45) * 60_000, Some(date));
        let csv = String::from_utf8(staffing_csv(&r).unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        // `day,date` after the roster gap; the rule of thumb's five columns after them.
        assert!(
            lines[0].ends_with(",roster_gap,day,date,rule_of_thumb_concurrency,rule_of_thumb_factor,rule_of_thumb_aht_s,rule_of_thumb_agents,required_vs_rule_of_thumb"),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("0,1800,23:45,00:15,"), "{}", lines[1]);
        assert!(
            lines[1].ends_with(",1,2026-12-31,3,2.5,48.2,5,5"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("1800,3600,00:15,00:45,"),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].ends_with(",2,2027-01-01,3,2.5,48.2,5,"),
            "{}",
            lines[2]
        );
        // The table names each day before its first row.
        let table = staffing_table(&r);
        let day1 = table.find("day 1 2026-12-31\n").expect("day 1 line");
        let day2 = table.find("day 2 2027-01-01\n").expect("day 2 line");
        let rows = |from: usize| table[from..].lines().nth(1).unwrap().to_owned();
        assert!(rows(day1).starts_with("23:45–00:15"), "{table}");
        assert!(rows(day2).starts_with("00:15–00:45"), "{table}");
        // Without a start date the day is still shown, the date left empty.
        r.clock = crate::clock::Clock::new((23 * 60 + 45) * 60_000, None);
        let csv = String::from_utf8(staffing_csv(&r).unwrap()).unwrap();
        assert!(csv.lines().nth(2).unwrap().ends_with(",2,,3,2.5,48.2,5,"));
        assert!(staffing_table(&r).contains("\nday 2\n"));
        // Within one day, no day lines.
        r.clock = crate::clock::Clock::new(8 * 3_600_000, None);
        assert!(!staffing_table(&r).contains("\nday 1"));
    }

    #[test]
    fn the_day_summary_and_json_by_hand() {
        let r = sample();
        let d = r.day_summary();
        // Staffed: the first half hour only. 10 × 0.5 = 5 agent-hours, 12.5 × 0.5 = 6.25
        // FTE-hours; the roster (8.5 + 11) × 0.5 = 9.75; under (8.5 − 10 = −1.5) × 0.5.
        assert_eq!(
            (
                d.hours,
                d.staffed_intervals,
                d.agent_hours_required,
                d.fte_hours
            ),
            (1.0, 1, 5.0, 6.25)
        );
        assert_eq!(
            (d.roster_agent_hours, d.over_hours, d.under_hours),
            (9.75, 0.0, 0.75)
        );
        assert!(staffing_table(&r).contains(
            "day (1.0 h, 1 staffed interval(s)): 5.0 agent-hours required on the floor, 6.2 \
             FTE-hours at 20% shrinkage; roster 9.8 agent-hours on the floor: 0.0 over, 0.8 \
             under (net -0.8)"
        ));
        let v: serde_json::Value = serde_json::from_slice(&staffing_json(&r).unwrap()).unwrap();
        let first = &v["intervals"][0];
        assert_eq!(first["fte_required"], 12.5);
        assert_eq!(first["roster_gap"], -1.5);
        assert_eq!(first["targets_met"], true);
        assert_eq!(first["rule_of_thumb_agents"], 5);
        assert_eq!(first["required_vs_rule_of_thumb"], 5);
        assert!(v["intervals"][1]["required_vs_rule_of_thumb"].is_null());
        assert_eq!(first["start"], "08:00");
        assert!(v["intervals"][1]["required_agents"].is_null());
        assert_eq!(v["day"]["fte_hours"], 6.25);
        assert_eq!(v["day"]["under_agent_hours"], 0.75);
        assert_eq!(v["all_staffed"], false);
        // Keys in the CSV's column order.
        let text = String::from_utf8(staffing_json(&r).unwrap()).unwrap();
        assert!(text.find("\"start_s\"").unwrap() < text.find("\"roster_gap\"").unwrap());
        assert!(staffing_gap_svg(&r).starts_with("<svg"));
    }
}
