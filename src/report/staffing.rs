//! `chatsim staff`'s bytes: the terminal table, `staffing.csv` and `staffing.svg`, from a
//! [`StaffingResult`] (computed by `tools::staff`). Pure functions: no file is opened.

use crate::metrics::target::Confidence;
use crate::plan::staffing::{erlang_a_targets, erlang_service_level, RatePlan, StaffingResult};
use crate::report::chart::{
    self, draw_runs, frame, label_font, legend, render, AXES, ERLANG_A_GREEN, ORANGE, SIZE,
};
use crate::report::fmt_num;
use crate::time::SimTime;
use plotters::prelude::*;

/// A clock reading HH:MM (HH:MM:SS when not on a whole minute).
pub(crate) fn clock(origin_s: f64, t: SimTime) -> String {
    let total = (origin_s * 1000.0).round() as u64 + t.as_millis();
    let secs = total / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 && total.is_multiple_of(1000) {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// A share as a percentage without float noise: 0.55 → "55", 0.8125 → "81.25".
pub(crate) fn percent(share: f64) -> String {
    let text = format!("{:.6}", 100.0 * share);
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
        if r.holding_model {
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
    for (i, p) in &r.intervals {
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
                clock(r.clock_origin_s, i.start),
                clock(r.clock_origin_s, i.end)
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
    let staffed = r
        .intervals
        .iter()
        .filter(|(_, p)| p.required_agents.is_some());
    let (total_required, total_c, total_a) =
        staffed.fold((0u64, 0u64, 0u64), |(a, b, c), (_, p)| {
            (
                a + p.required_agents.unwrap_or(0) as u64,
                b + p.erlang_c_agents as u64,
                c + p.erlang_a.map_or(0, |(agents, _)| agents) as u64,
            )
        });
    out.push_str(&format!(
        "agent-intervals over the {} staffed interval(s): {total_required} simulated vs \
         {total_c} Erlang C{}\n",
        r.intervals.len() - unmet,
        if with_a {
            format!(" and {total_a} Erlang A")
        } else {
            String::new()
        }
    ));
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

/// `staffing.csv`: one row per interval.
pub fn staffing_csv(r: &StaffingResult) -> anyhow::Result<Vec<u8>> {
    let metric_names: Vec<String> = r
        .intervals
        .iter()
        .find(|(_, p)| !p.achieved.is_empty())
        .map(|(_, p)| p.achieved.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let mut w = csv::Writer::from_writer(vec![]);
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
        header.push(format!("{n}_mean"));
        header.push(format!("{n}_ci95"));
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
        ]
        .map(String::from),
    );
    w.write_record(&header)?;
    let num = crate::report::csv_number;
    for (i, p) in &r.intervals {
        let mut row = vec![
            num(i.start.as_secs_f64()),
            num(i.end.as_secs_f64()),
            clock(r.clock_origin_s, i.start),
            clock(r.clock_origin_s, i.end),
            num(i.rate_per_hour),
            p.required_agents.map_or(String::new(), |k| k.to_string()),
            p.required_sessions.map_or(String::new(), |k| k.to_string()),
            p.required_agents.is_some().to_string(),
            p.unmet.join(";"),
            p.erlang_c_agents.to_string(),
            p.erlang_c_servers.to_string(),
            num(p.erlang_session_s),
            p.search_start.to_string(),
            p.simulated.len().to_string(),
        ];
        for n in &metric_names {
            match p.achieved.iter().find(|(m, _)| m == n) {
                Some((_, s)) => {
                    row.push(num(s.mean));
                    row.push(num(s.ci95_half_width));
                }
                None => row.extend([String::new(), String::new()]),
            }
        }
        let (a_agents, a_servers) = p.erlang_a.map_or((String::new(), String::new()), |(a, s)| {
            (a.to_string(), s.to_string())
        });
        let (warmup, horizon) = p.window.map_or((String::new(), String::new()), |w| {
            (num(w.warmup.as_secs_f64()), num(w.horizon.as_secs_f64()))
        });
        row.extend([
            a_agents,
            a_servers,
            p.replications.to_string(),
            p.replications_total.to_string(),
            warmup,
            horizon,
        ]);
        w.write_record(&row)?;
    }
    Ok(w.into_inner()?)
}

/// `staffing.svg`: required agents per interval by simulation, Erlang C and Erlang A, as
/// steps, in the shared chart frame.
pub fn staffing_svg(r: &StaffingResult) -> String {
    let title = "Agents required per interval";
    render(title, SIZE, |root| {
        let hour = |t: SimTime| (r.clock_origin_s + t.as_secs_f64()) / 3600.0;
        let x0 = r.intervals.first().map_or(0.0, |(i, _)| hour(i.start));
        let x1 = r
            .intervals
            .last()
            .map_or(1.0, |(i, _)| hour(i.end))
            .max(x0 + 1e-6);
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
        let top = chart::y_top(&[&simulated, &erlang, &erlang_a], 1.3);
        let mut chart = frame(root, title, AXES).build_cartesian_2d(x0..x1, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("clock hour")
            .y_desc("agents")
            .label_style(label_font())
            .draw()?;
        let targets: Vec<String> = r.targets.iter().map(|t| t.to_string()).collect();
        let sim_label = format!("simulated ({})", targets.join(", "));
        for (runs, label, color) in [
            (&erlang, "Erlang C (max_sessions servers per agent)", ORANGE),
            (&erlang_a, "Erlang A (patience by its mean)", ERLANG_A_GREEN),
            (&simulated, sim_label.as_str(), BLUE),
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
    fn clock_readings() {
        assert_eq!(clock(27_000.0, SimTime::from_secs(1800)), "08:00");
        assert_eq!(clock(0.0, SimTime::from_millis(61_000)), "00:01:01");
        assert_eq!(percent(0.55), "55");
        assert_eq!(percent(0.8125), "81.25");
    }
}
