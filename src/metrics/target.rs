//! A target on a run-level metric, `metric op value`, judged on the metric's mean and
//! 95 % CI: `check`'s expectations, `staff`'s targets, and what the staffing report
//! writes back.

use crate::metrics::catalogue::Metric;
use crate::metrics::Stat;
use std::fmt;

/// Which side of the value a metric must be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `>=` (or `>`): the metric must be at least the value.
    AtLeast,
    /// `<=` (or `<`): the metric must be at most the value.
    AtMost,
}

/// One expectation or staffing target: `metric op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub metric: String,
    pub direction: Direction,
    /// `>` / `<` rather than `>=` / `<=`.
    pub strict: bool,
    pub value: f64,
}

/// How a target is judged from a metric's mean and 95 % CI.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// At the CI's conservative end: mean − half-width for `>=`, mean + half-width for `<=`.
    Conservative,
    /// At the mean alone.
    Mean,
}

impl Target {
    /// Parses `name>=v`, `name<=v`, `name>v`, `name<v` (also `≥`, `≤`), or `name=v`,
    /// which takes the metric's better direction (`>=` for a metric whose higher values
    /// are better, [`Metric::more_is_better`], `<=` otherwise). The metric name is not
    /// checked here (`tools::check::check_metric_name` does, naming the valid ones).
    pub fn parse(text: &str) -> anyhow::Result<Target> {
        Target::parse_with(text, |name| {
            if Metric::parse(name).is_some_and(Metric::more_is_better) {
                Direction::AtLeast
            } else {
                Direction::AtMost
            }
        })
    }

    /// [`Target::parse`] with the direction of a bare `name=v` chosen by `default`
    /// (`staff` takes the direction in which the metric improves with more agents).
    pub fn parse_with(text: &str, default: impl Fn(&str) -> Direction) -> anyhow::Result<Target> {
        let bad = |why: &str| {
            anyhow::anyhow!(
                "bad expectation \"{text}\": {why}; write NAME>=VALUE, NAME<=VALUE or \
                 NAME=VALUE (e.g. service_level>=0.8, abandon_ratio<=0.05)"
            )
        };
        let ops: [(&str, Option<Direction>, bool); 7] = [
            (">=", Some(Direction::AtLeast), false),
            ("<=", Some(Direction::AtMost), false),
            ("≥", Some(Direction::AtLeast), false),
            ("≤", Some(Direction::AtMost), false),
            (">", Some(Direction::AtLeast), true),
            ("<", Some(Direction::AtMost), true),
            ("=", None, false),
        ];
        let Some(at) = text.find(['<', '>', '=', '≥', '≤']) else {
            return Err(bad("no comparison operator"));
        };
        let (name, rest) = text.split_at(at);
        let Some((op, dir, strict)) = ops.iter().find(|(op, _, _)| rest.starts_with(op)) else {
            return Err(bad("no comparison operator"));
        };
        let name = name.trim();
        let value_text = rest[op.len()..].trim();
        if name.is_empty() {
            return Err(bad("no metric name before the operator"));
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad("the metric name may hold only letters, digits and _"));
        }
        let value: f64 = value_text
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(&format!("\"{value_text}\" is not a finite number")))?;
        let direction = dir.unwrap_or_else(|| default(name));
        Ok(Target {
            metric: name.to_string(),
            direction,
            strict: *strict,
            value,
        })
    }

    /// The figure the target is judged on: the CI's conservative end (or the mean).
    pub fn judged_value(&self, stat: &Stat, confidence: Confidence) -> f64 {
        let hw = if stat.ci95_half_width.is_finite() {
            stat.ci95_half_width
        } else {
            0.0
        };
        match (confidence, self.direction) {
            (Confidence::Mean, _) => stat.mean,
            (Confidence::Conservative, Direction::AtLeast) => stat.mean - hw,
            (Confidence::Conservative, Direction::AtMost) => stat.mean + hw,
        }
    }

    /// Whether `stat` meets the target under `confidence` (a NaN mean never does).
    pub fn holds(&self, stat: &Stat, confidence: Confidence) -> bool {
        self.holds_for(self.judged_value(stat, confidence))
    }

    /// Whether the figure `v` meets the target (a NaN never does).
    pub fn holds_for(&self, v: f64) -> bool {
        match (self.direction, self.strict) {
            (Direction::AtLeast, false) => v >= self.value,
            (Direction::AtLeast, true) => v > self.value,
            (Direction::AtMost, false) => v <= self.value,
            (Direction::AtMost, true) => v < self.value,
        }
    }

    /// The operator as written back: `>=`, `<=`, `>`, `<`.
    pub fn op(&self) -> &'static str {
        match (self.direction, self.strict) {
            (Direction::AtLeast, false) => ">=",
            (Direction::AtLeast, true) => ">",
            (Direction::AtMost, false) => "<=",
            (Direction::AtMost, true) => "<",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.metric, self.op(), self.value)
    }
}
