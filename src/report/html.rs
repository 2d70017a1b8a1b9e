//! `report.html`: one self-contained page (inline CSS and SVG, no external asset, no
//! script) that answers a planner in its first screen. In order:
//!
//! 1. the scenario's name and description (`[scenario]`);
//! 2. the verdict: each target of `[targets]` met or missed, with its estimate and 95 %
//!    CI, judged at the CI's conservative end as `chatsim check` judges it;
//! 3. the intervals that miss a target, highlighted (`tr.missed`, `td.miss`);
//! 4. the plots, over clock time, with the targets drawn on them: the SVGs of the plot
//!    files, drawn once by [`crate::report::plots::all_plots`] and inlined here;
//! 5. every figure, grouped as the catalogue groups them ([`Section`]: customers,
//!    conversations, agents, the engine's cost), with units, shares in percent.

use crate::catalogue::{Level, Section, Unit};
use crate::clock::Clock;
use crate::metrics::{Metric, MetricSet, RunSummary, Stat};
use crate::report::plots::Plot;
use crate::report::verdict::{PerInterval, TargetVerdict, Verdict};
use crate::report::{decimals_for, duration, interval_label, show_value, window_label};
use crate::scenario::Scenario;
use crate::target::Direction;
use std::fmt::Write;

/// Text as HTML: markup escaped, control and bidirectional characters shown as escapes
/// (`report::text`).
fn escape(s: &str) -> String {
    crate::report::text::markup(s)
}

/// A figure of `m` as shown: shares in percent (the unit goes in the column heading).
fn shown(m: Metric, x: f64) -> f64 {
    if m.unit() == Unit::Share {
        x * 100.0
    } else {
        x
    }
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{:.*}", decimals_for(x), x)
    } else {
        "–".to_string()
    }
}

/// Mean ± half-width of `m`, both in its shown unit, to the mean's precision.
fn mean_ci(m: Metric, s: &Stat) -> String {
    let mean = shown(m, s.mean);
    if !mean.is_finite() {
        return "–".to_string();
    }
    let hw = if s.ci95_half_width.is_finite() {
        shown(m, s.ci95_half_width)
    } else {
        0.0
    };
    let d = decimals_for(mean);
    format!("{mean:.d$} ± {hw:.d$}")
}

/// The unit as a column heading shows it: `%` for shares.
fn unit_text(m: Metric) -> &'static str {
    match m.unit() {
        Unit::Share => "%",
        u => u.text(),
    }
}

/// A column heading: the metric's label and unit, its published name as a tooltip.
fn heading(m: Metric) -> String {
    format!(
        "<th title=\"{}\">{} ({})</th>",
        escape(m.name()),
        escape(m.label()),
        escape(unit_text(m))
    )
}

const STYLE: &str =
    "body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1200px; }\n\
     table { border-collapse: collapse; margin: 1em 0; }\n\
     th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }\n\
     th { background: #f0f0f0; font-weight: normal; }\n\
     td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n\
     .overall { font-size: 1.3em; font-weight: bold; }\n\
     .met .verdict, .overall.met { color: #176b2c; }\n\
     .missed .verdict, .overall.missed { color: #b00020; }\n\
     td.verdict { font-weight: bold; text-transform: uppercase; }\n\
     tr.missed td:first-child { font-weight: bold; }\n\
     td.miss { background: #ffd7d7; color: #8a0016; font-weight: bold; }\n\
     figure { margin: 1em 0; }\n\
     .meta, .note { color: #555; }\n\
     code { background: #f4f4f4; padding: 0 0.2em; }\n";

/// The whole report as UTF-8 HTML bytes: `plots` are the run's plot files, shown in their
/// order.
pub fn report_html(summary: &RunSummary, sc: &Scenario, plots: &[Plot]) -> Vec<u8> {
    let clock = sc.run.clock;
    let verdict = Verdict::of(summary, &sc.targets);
    let mut out = String::new();
    let title = sc
        .about
        .name
        .clone()
        .unwrap_or_else(|| format!("chatsim report — seed {}", summary.seed));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    about(&mut out, summary, sc, &title);
    verdict_section(&mut out, summary, &verdict);
    missed_intervals(&mut out, summary, clock, &verdict);
    queue_section(&mut out, summary, &verdict);
    out.push_str("<section id=\"plots\">\n<h2>Plots</h2>\n");
    for p in plots {
        let _ = writeln!(
            out,
            "<figure class=\"plot\" id=\"{}\">\n{}\n</figure>",
            escape(p.file.trim_end_matches(".svg")),
            p.svg.trim()
        );
    }
    out.push_str("</section>\n");
    tables(&mut out, summary, clock, &verdict);
    out.push_str("</body>\n</html>\n");
    out.into_bytes()
}

/// Part 1: the name, the description (its blank lines separate paragraphs) and the run.
fn about(out: &mut String, summary: &RunSummary, sc: &Scenario, title: &str) {
    out.push_str("<header id=\"about\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(title));
    if let Some(d) = &sc.about.description {
        for paragraph in d.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            let words: Vec<&str> = paragraph.split_whitespace().collect();
            let _ = writeln!(
                out,
                "<p class=\"description\">{}</p>",
                escape(&words.join(" "))
            );
        }
    }
    let clock = sc.run.clock;
    let window = window_label(
        &clock,
        summary.warmup_s,
        summary.warmup_s + summary.horizon_s,
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">Measured {window} in intervals of {} · {} replication(s), seed {} · \
         service-level threshold {} s · chatsim {} · wall-clock {:.2} s</p>",
        duration(summary.interval_s),
        summary.replications,
        summary.seed,
        summary.service_level_threshold_s,
        escape(&summary.chatsim_version),
        summary.wall_secs
    );
    out.push_str("</header>\n");
}

/// A target in words: `service level at least 80 %`.
fn target_words(t: &TargetVerdict) -> String {
    let side = match (t.target.direction, t.target.strict) {
        (Direction::AtLeast, false) => "at least",
        (Direction::AtLeast, true) => "more than",
        (Direction::AtMost, false) => "at most",
        (Direction::AtMost, true) => "less than",
    };
    let of = t
        .target
        .queue
        .as_ref()
        .map_or(String::new(), |q| format!(" of queue {q}"));
    match t.metric {
        Some(m) => format!("{}{of} {side} {}", m.label(), show_value(m, t.target.value)),
        None => t.target.to_string(),
    }
}

/// The queues of a desk with several: one row per queue, every per-queue figure as
/// mean ± CI; a cell whose queue target is missed is highlighted (`td.miss`). A chat
/// counts in the queue it was offered to, wherever it was served.
fn queue_section(out: &mut String, summary: &RunSummary, verdict: &Verdict) {
    if summary.queues.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"queues\">\n<h2>Queues</h2>\n<p>Each chat counts in the queue it \
         was offered to, even when an agent of another skill served it \
         (<code>queues.csv</code>; per interval: <code>queue_intervals.csv</code>).</p>\n\
         <table>\n<tr><th>queue</th>",
    );
    let columns = Level::Queue.metrics();
    for m in columns {
        out.push_str(&heading(*m));
    }
    out.push_str("</tr>\n");
    for q in &summary.queues {
        let _ = write!(
            out,
            "<tr data-queue=\"{}\"><td>{}</td>",
            escape(&q.name),
            escape(&q.name)
        );
        for m in columns {
            let missed = verdict.targets.iter().any(|t| {
                !t.met && t.metric == Some(*m) && t.target.queue.as_ref() == Some(&q.name)
            });
            let class = if missed { "n miss" } else { "n" };
            let cell = cell_of(&q.metrics, *m);
            let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}

/// Part 2: the verdict.
fn verdict_section(out: &mut String, summary: &RunSummary, verdict: &Verdict) {
    out.push_str("<section id=\"verdict\">\n<h2>Verdict</h2>\n");
    let n = verdict.targets.len();
    if n == 0 {
        out.push_str(
            "<p class=\"overall none\">No targets: add <code>[targets] expect = \
             [\"service_level&gt;=0.8\", …]</code> to the scenario (docs/scenario.md) for a \
             verdict here and in <code>chatsim check</code>.</p>\n</section>\n",
        );
        return;
    }
    let met = verdict.met();
    let (class, text) = if met == n {
        ("met", format!("All {n} targets met."))
    } else {
        ("missed", format!("{} of {n} targets missed.", n - met))
    };
    let _ = writeln!(out, "<p class=\"overall {class}\">{text}</p>");
    out.push_str(
        "<table>\n<tr><th>target</th><th>verdict</th><th>estimate (mean ± 95 % CI)</th>\
         <th>95 % CI</th><th>judged at</th><th>per interval</th></tr>\n",
    );
    for t in &verdict.targets {
        let class = if t.met { "met" } else { "missed" };
        let (estimate, ci, judged) = match (t.metric, t.stat) {
            (Some(m), Some(s)) => {
                let unit = unit_text(m);
                let hw = if s.ci95_half_width.is_finite() {
                    s.ci95_half_width
                } else {
                    0.0
                };
                (
                    format!("{} {unit}", mean_ci(m, s)),
                    format!(
                        "{} … {} {unit}",
                        number(shown(m, s.mean - hw)),
                        number(shown(m, s.mean + hw))
                    ),
                    format!("{} {unit}", number(shown(m, t.judged))),
                )
            }
            _ => ("not measured".into(), "–".into(), "–".into()),
        };
        let per_interval = match &t.per_interval {
            PerInterval::Judged { judged, missed } if missed.is_empty() => {
                format!("no interval misses it ({judged} judged)")
            }
            PerInterval::Judged { judged, missed } => format!(
                "<a href=\"#missed-intervals\">{} of {judged} intervals miss it</a>",
                missed.len()
            ),
            PerInterval::RunLevelOnly(why) => format!("judged at run level only: {why}"),
        };
        let _ = writeln!(
            out,
            "<tr class=\"target {class}\" data-target=\"{}\"><td><code>{}</code><br>{}</td>\
             <td class=\"verdict\">{class}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{per_interval}</td></tr>",
            escape(&t.target.to_string()),
            escape(&t.target.to_string()),
            escape(&target_words(t)),
            escape(&estimate),
            escape(&ci),
            escape(&judged),
        );
    }
    out.push_str("</table>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">A target is met when it holds at the conservative end of its 95 % \
         confidence interval over the {} replication(s) — mean − half-width for “at least”, \
         mean + half-width for “at most” — as <code>chatsim check</code> judges it{}.</p>",
        summary.replications,
        if summary.replications < 2 {
            "; with one replication there is no CI and the mean alone is judged"
        } else {
            ""
        }
    );
    out.push_str("</section>\n");
}

/// Part 3, the intervals that miss a target: one row per such interval, one column per
/// target judged per interval, the missing cells highlighted.
fn missed_intervals(out: &mut String, summary: &RunSummary, clock: Clock, verdict: &Verdict) {
    out.push_str("<section id=\"missed-intervals\">\n<h2>Intervals that miss a target</h2>\n");
    let judged: Vec<(&TargetVerdict, &[usize])> = verdict.per_interval().collect();
    let only_run: Vec<String> = verdict
        .targets
        .iter()
        .filter_map(|t| match t.per_interval {
            PerInterval::RunLevelOnly(why) => Some(format!(
                "<code>{}</code> ({why})",
                escape(&t.target.to_string())
            )),
            PerInterval::Judged { .. } => None,
        })
        .collect();
    if !only_run.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">Judged at run level only: {}.</p>",
            only_run.join("; ")
        );
    }
    let rows = verdict.missed_intervals();
    if judged.is_empty() {
        out.push_str("<p>No target is judged per interval.</p>\n</section>\n");
        return;
    }
    if rows.is_empty() {
        out.push_str("<p class=\"overall met\">No interval misses a target.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p>{} of {} intervals miss at least one target. Each interval is judged like the \
         run, on its own mean and 95 % CI; an interval where a figure is undefined (nobody \
         arrived) is not judged.</p>",
        rows.len(),
        summary.intervals.len()
    );
    let days = summary.spans_days();
    out.push_str("<table class=\"missed-intervals\">\n<tr><th>interval</th>");
    for (t, _) in &judged {
        let _ = write!(
            out,
            "<th>{}<br><code>{}</code></th>",
            escape(&target_words(t)),
            escape(&t.target.to_string())
        );
    }
    out.push_str("</tr>\n");
    for k in rows {
        let i = &summary.intervals[k];
        let _ = write!(
            out,
            "<tr class=\"missed\" data-interval=\"{}\"><td>{}</td>",
            i.index,
            escape(&interval_label(&clock, i.start_s, i.end_s, days))
        );
        for (t, missed) in &judged {
            let cell = match (t.metric, t.metric.and_then(|m| i.metrics.get(m))) {
                (Some(m), Some(s)) => format!("{} {}", mean_ci(m, s), unit_text(m)),
                _ => "–".to_string(),
            };
            let class = if missed.contains(&k) { "n miss" } else { "n" };
            let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}

/// Part 5, every figure by section: the run's figures (pooled percentiles with them),
/// then the section's per-interval figures, and for the agents the per-group table.
fn tables(out: &mut String, summary: &RunSummary, clock: Clock, verdict: &Verdict) {
    out.push_str(
        "<section id=\"tables\">\n<h2>All figures</h2>\n<p class=\"note\">Every figure is the \
         mean over replications ± the half-width of its 95 % Student-t confidence interval \
         (± 0 with one replication); shares in percent. docs/outputs.md defines each metric; \
         per-agent figures are in agents.csv and report.xlsx.</p>\n",
    );
    if let Some(note) = super::merged_note(summary) {
        let _ = writeln!(out, "<p class=\"note\">{note}</p>");
    }
    let days = summary.spans_days();
    for section in Section::ALL {
        let id = match section {
            Section::Customers => "customers",
            Section::Conversations => "conversations",
            Section::Agents => "agents",
            Section::EngineCost => "engine-cost",
        };
        let _ = writeln!(
            out,
            "<section id=\"{id}\">\n<h3>{}</h3>",
            escape(section.title())
        );
        out.push_str(
            "<table>\n<tr><th>figure</th><th>metric</th><th>unit</th><th>mean</th>\
             <th>± 95 % CI</th></tr>\n",
        );
        for (m, s) in summary
            .metrics
            .iter()
            .filter(|(m, _)| m.section() == section)
        {
            let hw = if s.ci95_half_width.is_finite() {
                shown(m, s.ci95_half_width)
            } else {
                f64::NAN
            };
            // A wall-clock row is marked: the one part of the page that differs between
            // two runs of the same scenario and seed.
            let row = if m.is_wall_clock() {
                "<tr class=\"wall-clock\">"
            } else {
                "<tr>"
            };
            let _ = writeln!(
                out,
                "{row}<td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td></tr>",
                escape(m.label()),
                escape(m.name()),
                escape(unit_text(m)),
                number(shown(m, s.mean)),
                number(hw)
            );
        }
        for (m, v) in summary
            .pooled
            .iter()
            .filter(|(m, _)| m.section() == section)
        {
            let _ = writeln!(
                out,
                "<tr><td>{} (pooled over replications)</td><td><code>{}</code></td><td>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">–</td></tr>",
                escape(m.label()),
                escape(m.name()),
                escape(unit_text(m)),
                number(shown(m, *v))
            );
        }
        out.push_str("</table>\n");
        let columns: Vec<Metric> = Level::Interval
            .metrics()
            .iter()
            .copied()
            .filter(|m| m.section() == section)
            .collect();
        if !columns.is_empty() && !summary.intervals.is_empty() {
            let _ = writeln!(out, "<h4>{} per interval</h4>", escape(section.title()));
            interval_table(out, summary, clock, days, &columns, verdict);
        }
        if section == Section::Agents && !summary.groups.is_empty() {
            out.push_str("<h4>Per agent group</h4>\n");
            group_table(out, summary);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

/// One row per interval, `columns` as mean ± CI; a cell whose interval misses a target
/// on that metric is highlighted as in the missed-intervals table.
fn interval_table(
    out: &mut String,
    summary: &RunSummary,
    clock: Clock,
    days: bool,
    columns: &[Metric],
    verdict: &Verdict,
) {
    out.push_str("<table>\n<tr><th>interval</th>");
    for m in columns {
        out.push_str(&heading(*m));
    }
    out.push_str("</tr>\n");
    let misses_on = |m: Metric, k: usize| {
        verdict
            .per_interval()
            .any(|(t, missed)| t.metric == Some(m) && missed.contains(&k))
    };
    for (k, i) in summary.intervals.iter().enumerate() {
        let _ = write!(
            out,
            "<tr data-interval=\"{}\"><td>{}</td>",
            i.index,
            escape(&interval_label(&clock, i.start_s, i.end_s, days))
        );
        for m in columns {
            let cell = i
                .metrics
                .get(*m)
                .map_or("–".to_string(), |s| mean_ci(*m, s));
            let class = if misses_on(*m, k) { "n miss" } else { "n" };
            let _ = write!(out, "<td class=\"{class}\">{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// One row per agent group (`name (N agents)`), every group figure as mean ± CI.
fn group_table(out: &mut String, summary: &RunSummary) {
    out.push_str("<table>\n<tr><th>group</th>");
    let columns = Level::Group.metrics();
    for m in columns {
        out.push_str(&heading(*m));
    }
    out.push_str("</tr>\n");
    for g in &summary.groups {
        let _ = write!(
            out,
            "<tr><td>{}</td>",
            escape(&format!("{} ({} agents)", g.name, g.agents))
        );
        for m in columns {
            let cell = cell_of(&g.metrics, *m);
            let _ = write!(out, "<td class=\"n\">{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn cell_of(metrics: &MetricSet, m: Metric) -> String {
    metrics.get(m).map_or("–".to_string(), |s| mean_ci(m, s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::collector::tests::test_scenario;
    use crate::metrics::target::Target;
    use crate::report::plots::all_plots;
    use crate::report::tests::sample_summary;

    fn page(summary: &RunSummary, sc: &Scenario) -> String {
        let plots = all_plots(summary, sc.run.clock, &sc.targets);
        String::from_utf8(report_html(summary, sc, &plots)).unwrap()
    }

    fn scenario() -> Scenario {
        test_scenario(&[(0, 2), (1, 1)], &["north", "south"])
    }

    #[test]
    fn report_is_self_contained() {
        let html = page(&sample_summary(), &scenario());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(html.matches("<svg").count(), 4);
        for external in ["src=", "@import", "url(", "<script"] {
            assert!(!html.contains(external), "external reference {external}");
        }
        // The only links are to the page's own sections.
        assert_eq!(
            html.matches("href=").count(),
            html.matches("href=\"#").count()
        );
        assert!(html.contains(Metric::ServiceLevel.name()));
        assert!(html.contains(">north (1 agents)<"));
        assert!(html.contains("No targets"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn the_page_opens_with_the_name_then_the_verdict_then_the_missed_intervals() {
        let mut sc = scenario();
        sc.about.name = Some("Night desk".into());
        sc.about.description = Some("Two agents.\n\nA second\nparagraph.".into());
        sc.targets = vec![
            Target::parse("service_level>=-1").unwrap(),
            Target::parse("abandon_ratio<=0").unwrap(),
        ];
        let html = page(&sample_summary(), &sc);
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("no {needle}"));
        assert!(html.contains("<h1>Night desk</h1>"));
        assert!(html.contains("<p class=\"description\">A second paragraph.</p>"));
        assert!(at("<h1>") < at("id=\"verdict\""));
        assert!(at("id=\"verdict\"") < at("id=\"missed-intervals\""));
        assert!(at("id=\"missed-intervals\"") < at("id=\"plots\""));
        assert!(at("id=\"plots\"") < at("id=\"customers\""));
        assert!(at("id=\"customers\"") < at("id=\"conversations\""));
        assert!(at("id=\"conversations\"") < at("id=\"agents\""));
        assert!(at("id=\"agents\"") < at("id=\"engine-cost\""));
        assert!(html.contains("<tr class=\"target met\" data-target=\"service_level&gt;=-1\">"));
        // The sample's abandon ratio is above 0: missed, and so are the intervals with an
        // abandonment.
        assert!(html.contains("<tr class=\"target missed\" data-target=\"abandon_ratio&lt;=0\">"));
        assert!(html.contains("1 of 2 targets missed."));
        assert!(html.contains("<tr class=\"missed\" data-interval=\"2\">"));
        assert!(html.contains("class=\"n miss\""));
        // Shares are shown in percent, the unit in the heading.
        assert!(html.contains("service level (%)"));
    }

    #[test]
    fn names_are_escaped() {
        let mut s = sample_summary();
        s.groups[0].name = "<b>&".into();
        let mut sc = scenario();
        sc.about.name = Some("<i>desk</i>".into());
        let html = page(&s, &sc);
        assert!(html.contains("&lt;b&gt;&amp;") && !html.contains("<b>&"));
        assert!(html.contains("&lt;i&gt;desk") && !html.contains("<i>desk"));
    }

    #[test]
    fn control_and_bidi_characters_never_reach_the_page_raw() {
        let mut s = sample_summary();
        s.groups[0].name = "\u{1b}[31mred\u{7}\u{202e}x".into();
        let html = page(&s, &scenario());
        let raw = html
            .chars()
            .filter(|&c| c != '\n' && crate::report::text::is_unsafe(c))
            .count();
        assert_eq!(raw, 0);
        assert!(html.contains("\\u{1b}[31mred\\u{7}\\u{202e}x"), "{html}");
    }
}
