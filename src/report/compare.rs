//! `chatsim compare`'s bytes: the terminal table, `compare.csv` and `compare.json`, from
//! a [`Comparison`] (computed by `tools::compare`). Pure functions: no file is opened.

use crate::metrics::{Metric, Ordered, Stat};
use crate::plan::compare::{Comparison, MetricComparison, Side};
use crate::report::{csv_number, fmt_num};
use serde::Serialize;

/// Most differing fields the table lists (the JSON has them all).
const MAX_FIELDS_SHOWN: usize = 20;

/// The terminal table: what is compared (the sides, the fields that differ, the seed),
/// then one line per metric of `shown` (every compared metric when empty) with A's and
/// B's means, B − A with its paired 95 % CI, the relative change, n and, when the CI
/// excludes 0, `*` and whether B is better or worse.
pub fn compare_table(c: &Comparison, shown: &[Metric]) -> String {
    let mut out = format!("A  {}\nB  {}\n", c.a.label(), c.b.label());
    if c.fields.is_empty() {
        out.push_str(
            "A and B are the same scenario once resolved: with common random numbers every \
             difference is exactly 0\n",
        );
    } else {
        let fields: usize = c.fields.iter().map(|f| f.count).sum();
        out.push_str(&format!(
            "B differs from A in {fields} field{} of the resolved scenario:\n",
            if fields == 1 { "" } else { "s" }
        ));
        for f in c.fields.iter().take(MAX_FIELDS_SHOWN) {
            if f.count > 1 {
                out.push_str(&format!(
                    "  {}: {} entries differ, e.g. {} {} → {}\n",
                    f.path, f.count, f.first, f.a, f.b
                ));
            } else {
                out.push_str(&format!("  {}: {} → {}\n", f.path, f.a, f.b));
            }
        }
        if c.fields.len() > MAX_FIELDS_SHOWN {
            out.push_str(&format!(
                "  … and {} more (compare.json lists every one)\n",
                c.fields.len() - MAX_FIELDS_SHOWN
            ));
        }
    }
    out.push_str(&format!(
        "Common random numbers: seed {}, {} replications; replication i of A and of B share\n\
         their random streams. B − A: the mean of the per-replication differences and its\n\
         paired 95% CI (Student t over the n replications defined on both sides);\n\
         * = the CI excludes 0, and whether B is better or worse.\n\n",
        c.seed, c.replications
    ));
    let rows: Vec<&MetricComparison> = c
        .metrics
        .iter()
        .filter(|m| m.paired.n > 0 && (shown.is_empty() || shown.contains(&m.metric)))
        .collect();
    let width = rows
        .iter()
        .map(|m| m.metric.name().len())
        .max()
        .unwrap_or(6)
        .max(6);
    out.push_str(&format!(
        "{:<width$}  {:>10}  {:>10}  {:>11}  {:>12}  {:>8}  {:>3}\n",
        "metric", "A", "B", "B − A", "± 95% CI", "change", "n"
    ));
    for m in rows {
        let p = &m.paired;
        let mark = match m.verdict() {
            Some(v) => format!("  * {}", v.word()),
            None => String::new(),
        };
        let line = format!(
            "{:<width$}  {:>10}  {:>10}  {:>11}  {:>12}  {:>8}  {:>3}{mark}",
            m.metric.name(),
            fmt_num(p.a.mean),
            fmt_num(p.b.mean),
            signed(p.diff.mean),
            format!("± {}", fmt_num(p.diff.ci95_half_width)),
            percent(p.relative_change()),
            p.n,
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let undefined: Vec<&str> = c
        .metrics
        .iter()
        .filter(|m| m.paired.n == 0 && (shown.is_empty() || shown.contains(&m.metric)))
        .map(|m| m.metric.name())
        .collect();
    if !undefined.is_empty() {
        out.push_str(&format!(
            "not defined in any replication on both sides: {}\n",
            undefined.join(", ")
        ));
    }
    if c.replications < 2 {
        out.push_str(
            "note: with one replication there is no CI and nothing is judged significant; \
             use --replications 2 or more\n",
        );
    }
    out
}

/// A difference with its sign (`+0.0427`, `-3.000`, `0`).
fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", fmt_num(x))
    } else {
        fmt_num(x)
    }
}

/// A relative change as a signed percentage, `n/a` when A's mean is 0.
fn percent(r: f64) -> String {
    if r == 0.0 {
        "0.0%".into()
    } else if r.is_finite() {
        format!("{:+.1}%", r * 100.0)
    } else {
        "n/a".into()
    }
}

/// `compare.csv`: one row per compared metric, in the catalogue's order: `metric`, `n`
/// (replications defined on both sides), `a_mean`, `a_ci95`, `b_mean`, `b_ci95`,
/// `diff_mean`, `diff_ci95` (paired), `diff_lo`, `diff_hi`, `relative_change`,
/// `unpaired_diff_ci95`, `significant`, `b_is` (`better`, `worse`, `higher`, `lower`, or
/// empty when not significant). A figure with no value is an empty cell.
pub fn compare_csv(c: &Comparison) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record([
        "metric",
        "n",
        "a_mean",
        "a_ci95",
        "b_mean",
        "b_ci95",
        "diff_mean",
        "diff_ci95",
        "diff_lo",
        "diff_hi",
        "relative_change",
        "unpaired_diff_ci95",
        "significant",
        "b_is",
    ])?;
    for m in &c.metrics {
        let p = &m.paired;
        let (d, hw) = (p.diff.mean, p.diff.ci95_half_width);
        w.write_record([
            m.metric.name().to_string(),
            p.n.to_string(),
            csv_number(p.a.mean),
            csv_number(p.a.ci95_half_width),
            csv_number(p.b.mean),
            csv_number(p.b.ci95_half_width),
            csv_number(d),
            csv_number(hw),
            csv_number(d - hw),
            csv_number(d + hw),
            csv_number(p.relative_change()),
            csv_number(p.unpaired_ci95_half_width),
            p.significant().to_string(),
            m.verdict().map_or("", |v| v.word()).to_string(),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// `compare.json` (and `compare --json`): the sides, seed and replications, the differing
/// fields, and per metric (the catalogue's order, keyed by name) `n`, `a` and `b` (mean
/// and ci95_half_width over the n replications), `difference` (mean, paired
/// ci95_half_width, per_replication: B_i − A_i, `null` where either is undefined),
/// `relative_change`, `unpaired_ci95_half_width`, `significant` and `b_is`. A figure with
/// no value is `null`. Pretty-printed, a final newline; nothing from the wall clock, so
/// the bytes are a pure function of the inputs.
pub fn compare_json(c: &Comparison) -> Vec<u8> {
    #[derive(Serialize)]
    struct SideJson<'a> {
        scenario: &'a str,
        set: &'a [String],
    }
    #[derive(Serialize)]
    struct FieldJson<'a> {
        path: &'a str,
        count: usize,
        first: &'a str,
        a: &'a str,
        b: &'a str,
    }
    #[derive(Serialize)]
    struct MetricJson {
        n: usize,
        a: Stat,
        b: Stat,
        difference: Stat,
        relative_change: f64,
        unpaired_ci95_half_width: f64,
        significant: bool,
        b_is: Option<&'static str>,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        chatsim_version: &'static str,
        a: SideJson<'a>,
        b: SideJson<'a>,
        seed: u64,
        replications: u32,
        fields: Vec<FieldJson<'a>>,
        metrics: Ordered<MetricJson>,
    }
    fn side(s: &Side) -> SideJson<'_> {
        SideJson {
            scenario: &s.scenario,
            set: &s.set,
        }
    }
    let doc = Doc {
        chatsim_version: env!("CARGO_PKG_VERSION"),
        a: side(&c.a),
        b: side(&c.b),
        seed: c.seed,
        replications: c.replications,
        fields: c
            .fields
            .iter()
            .map(|f| FieldJson {
                path: &f.path,
                count: f.count,
                first: &f.first,
                a: &f.a,
                b: &f.b,
            })
            .collect(),
        metrics: Ordered(
            c.metrics
                .iter()
                .map(|m| {
                    let p = &m.paired;
                    let json = MetricJson {
                        n: p.n,
                        a: p.a.clone(),
                        b: p.b.clone(),
                        difference: p.diff.clone(),
                        relative_change: p.relative_change(),
                        unpaired_ci95_half_width: p.unpaired_ci95_half_width,
                        significant: p.significant(),
                        b_is: m.verdict().map(|v| v.word()),
                    };
                    (m.metric, json)
                })
                .collect(),
        ),
    };
    // A non-finite number, which JSON cannot hold, is written as null.
    let text = serde_json::to_string_pretty(&doc).expect("string keys and plain values");
    let mut bytes = crate::report::text::json_ascii_controls(&text)
        .into_owned()
        .into_bytes();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Paired;
    use crate::plan::compare::FieldDiff;

    /// Two metrics worked by hand: service level rises by 0.1 in every one of three
    /// replications (significant, better), abandon ratio moves by +0.01, −0.01, 0 (mean 0,
    /// not significant); reminders are undefined on A in every replication.
    fn sample() -> Comparison {
        let nan = f64::NAN;
        let m = |metric, a: &[f64], b: &[f64]| MetricComparison {
            metric,
            paired: Paired::from_pairs(a, b),
        };
        Comparison {
            a: Side {
                scenario: "desk.toml".into(),
                set: vec![],
            },
            b: Side {
                scenario: "desk.toml".into(),
                set: vec!["agents.count=3".into()],
            },
            seed: 7,
            replications: 3,
            fields: vec![
                FieldDiff {
                    path: "agents.roster".into(),
                    count: 1,
                    first: "agents.roster".into(),
                    a: "2 entries".into(),
                    b: "3 entries".into(),
                },
                FieldDiff {
                    path: "agents.roster[*].speed_factor".into(),
                    count: 2,
                    first: "agents.roster[0].speed_factor".into(),
                    a: "1".into(),
                    b: "1.2".into(),
                },
            ],
            metrics: vec![
                m(
                    Metric::ServiceLevel,
                    &[0.5, 0.25, 0.75],
                    &[0.625, 0.375, 0.875],
                ),
                m(
                    Metric::AbandonRatio,
                    &[0.25, 0.5, 0.125],
                    &[0.5, 0.25, 0.125],
                ),
                m(Metric::Reminders, &[nan, nan, nan], &[1.0, 2.0, 3.0]),
            ],
        }
    }

    #[test]
    fn the_table_marks_what_is_significant() {
        let t = compare_table(&sample(), &[]);
        assert!(
            t.starts_with("A  desk.toml\nB  desk.toml --set agents.count=3\n"),
            "{t}"
        );
        assert!(t.contains("B differs from A in 3 fields of"), "{t}");
        assert!(
            t.contains("\n  agents.roster: 2 entries → 3 entries\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "\n  agents.roster[*].speed_factor: 2 entries differ, e.g. \
                 agents.roster[0].speed_factor 1 → 1.2\n"
            ),
            "{t}"
        );
        assert!(t.contains("seed 7, 3 replications"), "{t}");
        let line = |name: &str| {
            t.lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} line in\n{t}"))
                .split_whitespace()
                .collect::<Vec<_>>()
        };
        // service_level: A 0.5, B 0.625, +0.125 ± 0 (every replication +0.125), +25 %.
        assert_eq!(
            line(Metric::ServiceLevel.name()),
            [
                Metric::ServiceLevel.name(),
                "0.5000",
                "0.6250",
                "+0.1250",
                "±",
                "0",
                "+25.0%",
                "3",
                "*",
                "better"
            ]
        );
        // abandon_ratio: d = 0.25, −0.25, 0: mean 0, not significant, no mark.
        let ab = line(Metric::AbandonRatio.name());
        assert_eq!(
            &ab[..4],
            [Metric::AbandonRatio.name(), "0.2917", "0.2917", "0"]
        );
        assert!(!ab.contains(&"*"), "{ab:?}");
        assert!(
            t.contains("not defined in any replication on both sides: reminders"),
            "{t}"
        );
        // --metric shows only the metrics asked for.
        let only = compare_table(&sample(), &[Metric::AbandonRatio]);
        assert!(
            !only.contains("service_level ") && only.contains("abandon_ratio "),
            "{only}"
        );
        assert!(!only.contains("not defined"), "{only}");
    }

    #[test]
    fn csv_and_json_carry_the_same_figures() {
        let c = sample();
        let csv = String::from_utf8(compare_csv(&c).unwrap()).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "metric,n,a_mean,a_ci95,b_mean,b_ci95,diff_mean,diff_ci95,diff_lo,diff_hi,\
             relative_change,unpaired_diff_ci95,significant,b_is"
        );
        assert!(rows[1].starts_with("service_level,3,0.5,"), "{}", rows[1]);
        // B − A = 0.125 in every replication: half-width 0, CI 0.125 … 0.125, +25 %.
        assert!(rows[1].contains(",0.625,"), "{}", rows[1]);
        assert!(
            rows[1].contains(",0.125,0,0.125,0.125,0.25,"),
            "{}",
            rows[1]
        );
        assert!(rows[1].ends_with(",true,better"), "{}", rows[1]);
        assert!(rows[2].ends_with(",false,"), "{}", rows[2]);
        // Undefined on A: n 0 and empty cells.
        assert!(
            rows[3].starts_with("reminders,0,,,,,,,,,,,false,"),
            "{}",
            rows[3]
        );

        let v: serde_json::Value = serde_json::from_slice(&compare_json(&c)).unwrap();
        assert_eq!(v["seed"], 7);
        assert_eq!(v["b"]["set"][0], "agents.count=3");
        assert_eq!(v["fields"][0]["path"], "agents.roster");
        let sl = &v["metrics"][Metric::ServiceLevel.name()];
        assert_eq!(sl["n"], 3);
        assert_eq!(sl["a"]["mean"], 0.5);
        assert!(sl["a"].get("per_replication").is_none());
        assert_eq!(sl["difference"]["mean"], 0.125);
        assert_eq!(sl["difference"]["per_replication"][2], 0.125);
        assert_eq!(
            (sl["significant"].clone(), sl["b_is"].clone()),
            (true.into(), "better".into())
        );
        let rem = &v["metrics"][Metric::Reminders.name()];
        assert!(rem["difference"]["mean"].is_null() && rem["b_is"].is_null());
        assert!(rem["difference"]["per_replication"][0].is_null());
        // The catalogue's order, not the alphabet's.
        let keys: Vec<&String> = v["metrics"].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3);
        let text = String::from_utf8(compare_json(&c)).unwrap();
        let at = |m: Metric| text.find(&format!("\"{m}\"")).unwrap();
        assert!(at(Metric::ServiceLevel) < at(Metric::AbandonRatio));
    }
}
