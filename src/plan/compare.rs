//! What `chatsim compare` finds, as data: two configurations A and B run with common
//! random numbers, each run-level metric's paired difference B − A, and which scenario
//! fields differ between them. The tool computes it (`tools::compare`), the report writes
//! it (`report::compare`).

use crate::metrics::catalogue::{Better, Metric};
use crate::metrics::Paired;

/// One side of the comparison: the scenario file and the fields set on top of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Side {
    /// The scenario file as given on the command line.
    pub scenario: String,
    /// `PATH=VALUE` of every field set on this side, in the order applied.
    pub set: Vec<String>,
}

impl Side {
    /// The file and its settings, as typed: `default.toml --set agents.count=3`.
    pub fn label(&self) -> String {
        let mut s = self.scenario.clone();
        for o in &self.set {
            s.push_str(" --set ");
            s.push_str(o);
        }
        s
    }
}

/// One scenario field (or a field of every entry of a list) that differs between A and B.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDiff {
    /// The dotted path; list indices are `[*]` when several entries differ in that field.
    pub path: String,
    /// How many fields the path stands for (entries of a list), 1 for a single field.
    pub count: usize,
    /// The first of them, with its real indices, and its value on each side (as TOML;
    /// strings bare; a missing field `-`).
    pub first: String,
    pub a: String,
    pub b: String,
}

/// Which way B moved, when the difference is significant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// B is better (the metric's better direction, from the catalogue).
    Better,
    Worse,
    /// B is higher or lower, for a metric that is neither better nor worse that way (a
    /// load, a count of the simulator's own work).
    Higher,
    Lower,
}

impl Verdict {
    /// The word in the table, CSV and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Higher => "higher",
            Verdict::Lower => "lower",
        }
    }
}

/// One metric compared.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricComparison {
    pub metric: Metric,
    pub paired: Paired,
}

impl MetricComparison {
    /// Which way B moved, `None` when the CI of B − A contains 0.
    pub fn verdict(&self) -> Option<Verdict> {
        if !self.paired.significant() {
            return None;
        }
        let up = self.paired.diff.mean > 0.0;
        Some(match (self.metric.better(), up) {
            (Better::Higher, true) | (Better::Lower, false) => Verdict::Better,
            (Better::Higher, false) | (Better::Lower, true) => Verdict::Worse,
            (Better::Neither, true) => Verdict::Higher,
            (Better::Neither, false) => Verdict::Lower,
        })
    }
}

/// A finished comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub a: Side,
    pub b: Side,
    /// The seed and replication count both sides ran with.
    pub seed: u64,
    pub replications: u32,
    /// Fields of the resolved scenarios that differ, in A's field order.
    pub fields: Vec<FieldDiff>,
    /// Every run-level metric but the wall-clock ones, in the catalogue's order.
    pub metrics: Vec<MetricComparison>,
}

impl Comparison {
    /// The comparison of `metric`, if it was compared.
    pub fn get(&self, metric: Metric) -> Option<&MetricComparison> {
        self.metrics.iter().find(|m| m.metric == metric)
    }
}

/// The fields in which two resolved scenarios (`scenario::to_resolved_toml`: every default
/// written out, every file inlined) differ. Leaves are compared; lists of equal length
/// entry by entry, so a roster whose caps changed shows `agents.roster[*].max_sessions`
/// once, with how many agents it touched, rather than 48 lines. Lists of different
/// lengths differ as a whole (`48 entries` → `50 entries`).
pub fn field_differences(a: &toml::Table, b: &toml::Table) -> Vec<FieldDiff> {
    let mut leaves: Vec<(String, String, String, String)> = vec![];
    walk_tables(a, b, "", "", &mut leaves);
    let mut out: Vec<FieldDiff> = vec![];
    for (pattern, path, va, vb) in leaves {
        match out.iter_mut().find(|d| d.path == pattern) {
            Some(d) => d.count += 1,
            None => out.push(FieldDiff {
                path: pattern,
                count: 1,
                first: path,
                a: va,
                b: vb,
            }),
        }
    }
    // A pattern that matched one field only is shown with its real indices.
    for d in &mut out {
        if d.count == 1 {
            d.path = d.first.clone();
        }
    }
    out
}

/// Collects `(pattern, path, a, b)` for every differing leaf under two tables.
fn walk_tables(
    a: &toml::Table,
    b: &toml::Table,
    pattern: &str,
    path: &str,
    out: &mut Vec<(String, String, String, String)>,
) {
    let join = |base: &str, key: &str| {
        if base.is_empty() {
            key.to_string()
        } else {
            format!("{base}.{key}")
        }
    };
    let keys = a
        .keys()
        .chain(b.keys().filter(|k| !a.contains_key(k.as_str())));
    for key in keys {
        walk(
            a.get(key),
            b.get(key),
            &join(pattern, key),
            &join(path, key),
            out,
        );
    }
}

fn walk(
    a: Option<&toml::Value>,
    b: Option<&toml::Value>,
    pattern: &str,
    path: &str,
    out: &mut Vec<(String, String, String, String)>,
) {
    use toml::Value::{Array, Table};
    match (a, b) {
        (Some(Table(x)), Some(Table(y))) => walk_tables(x, y, pattern, path, out),
        // A table on one side only: each of its fields is missing on the other.
        (Some(Table(x)), None) => walk_tables(x, &toml::Table::new(), pattern, path, out),
        (None, Some(Table(y))) => walk_tables(&toml::Table::new(), y, pattern, path, out),
        (Some(Array(x)), Some(Array(y))) if x.len() == y.len() => {
            for (i, (vx, vy)) in x.iter().zip(y).enumerate() {
                walk(
                    Some(vx),
                    Some(vy),
                    &format!("{pattern}[*]"),
                    &format!("{path}[{i}]"),
                    out,
                );
            }
        }
        (x, y) if x != y => out.push((pattern.into(), path.into(), show(x), show(y))),
        _ => {}
    }
}

/// A value as the table shows it: strings bare, a list by its length, `-` when missing.
fn show(v: Option<&toml::Value>) -> String {
    match v {
        None => "-".into(),
        Some(toml::Value::String(s)) => s.clone(),
        Some(toml::Value::Array(items)) => format!("{} entries", items.len()),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn differing_fields_are_listed_once_per_field_of_a_list() {
        let a = table(
            "[run]\nseed = 1\nreplications = 8\n[agents]\nroster = [\n\
             { id = \"A1\", max_sessions = 3 },\n{ id = \"A2\", max_sessions = 2 },\n\
             { id = \"A3\", max_sessions = 4 },\n]\n",
        );
        let b = table(
            "[run]\nseed = 1\nreplications = 8\n[agents]\nroster = [\n\
             { id = \"A1\", max_sessions = 2 },\n{ id = \"A2\", max_sessions = 2 },\n\
             { id = \"A3\", max_sessions = 2 },\n]\n[thresholds]\nreminder_cap = 2\n",
        );
        let d = field_differences(&a, &b);
        assert_eq!(
            d,
            vec![
                // A1 and A3 changed, A2 did not: two entries, the first shown.
                FieldDiff {
                    path: "agents.roster[*].max_sessions".into(),
                    count: 2,
                    first: "agents.roster[0].max_sessions".into(),
                    a: "3".into(),
                    b: "2".into(),
                },
                // Only in B.
                FieldDiff {
                    path: "thresholds.reminder_cap".into(),
                    count: 1,
                    first: "thresholds.reminder_cap".into(),
                    a: "-".into(),
                    b: "2".into(),
                },
            ]
        );
        assert!(field_differences(&a, &a).is_empty());
        // Lists of different lengths differ as a whole.
        let c = table("[agents]\nroster = [{ id = \"A1\", max_sessions = 3 }]\n");
        let d = field_differences(&a, &c);
        let roster = d.iter().find(|f| f.path == "agents.roster").unwrap();
        assert_eq!(
            (roster.a.as_str(), roster.b.as_str()),
            ("3 entries", "1 entries")
        );
        // One entry of a list is shown with its index.
        let e = table(
            "[run]\nseed = 1\nreplications = 8\n[agents]\nroster = [\n\
             { id = \"A1\", max_sessions = 3 },\n{ id = \"A2\", max_sessions = 5 },\n\
             { id = \"A3\", max_sessions = 4 },\n]\n",
        );
        let d = field_differences(&a, &e);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].path.as_str(), d[0].count),
            ("agents.roster[1].max_sessions", 1)
        );
    }

    #[test]
    fn the_verdict_follows_the_better_direction() {
        // d = 1, 1, 2, 1: mean 1.25, s = 0.5, half-width 3.182 · 0.25 = 0.80, significant.
        let up = Paired::from_pairs(&[5.0, 6.0, 7.0, 8.0], &[6.0, 7.0, 9.0, 9.0]);
        let down = Paired::from_pairs(&[6.0, 7.0, 9.0, 9.0], &[5.0, 6.0, 7.0, 8.0]);
        // d = 1, −1, 0: mean 0.
        let flat = Paired::from_pairs(&[5.0, 6.0, 7.0], &[6.0, 5.0, 7.0]);
        let v = |metric, paired: &Paired| {
            MetricComparison {
                metric,
                paired: paired.clone(),
            }
            .verdict()
        };
        assert_eq!(v(Metric::ServiceLevel, &up), Some(Verdict::Better));
        assert_eq!(v(Metric::ServiceLevel, &down), Some(Verdict::Worse));
        assert_eq!(v(Metric::AbandonRatio, &up), Some(Verdict::Worse));
        assert_eq!(v(Metric::AbandonRatio, &down), Some(Verdict::Better));
        assert_eq!(v(Metric::Offered, &up), Some(Verdict::Higher));
        assert_eq!(v(Metric::Offered, &down), Some(Verdict::Lower));
        assert_eq!(v(Metric::ServiceLevel, &flat), None);
    }
}
