//! The target syntax, `metric op value` on a run-level metric: `check`'s expectations,
//! `staff`'s targets and a scenario's `[targets]` (which is why it sits below the
//! scenario). How a target is judged against a mean and CI is
//! [`crate::metrics::target`]'s business.

use crate::catalogue::Metric;
use std::fmt;

/// How to write an expectation, said by every error about one.
pub const TARGET_FIX: &str = "write NAME>=VALUE, NAME<=VALUE or NAME=VALUE \
    (e.g. service_level>=0.8, abandon_ratio<=0.05)";

/// An expectation that cannot be read: the text and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("bad expectation \"{text}\": {why}; {TARGET_FIX}")]
pub struct TargetError {
    pub text: String,
    pub why: String,
}

/// A metric name that is not one of the valid ones, with the fix: the closest valid name
/// when one is close ([`crate::suggest::closest`]), every valid name otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownMetric {
    pub name: String,
    pub fix: String,
}

/// `Ok` when `name` is one of `valid`; otherwise what is wrong and how to fix it.
pub fn check_name(name: &str, valid: &[String]) -> Result<(), UnknownMetric> {
    if valid.iter().any(|v| v == name) {
        return Ok(());
    }
    let fix = match crate::suggest::closest(name, valid) {
        Some(close) => format!("did you mean {close}? (docs/outputs.md lists every metric)"),
        None => format!("valid metric names: {}", valid.join(", ")),
    };
    Err(UnknownMetric {
        name: name.to_string(),
        fix,
    })
}

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

impl Target {
    /// Parses `name>=v`, `name<=v`, `name>v`, `name<v` (also `≥`, `≤`), or `name=v`,
    /// which takes the metric's better direction (`>=` for a metric whose higher values
    /// are better, [`Metric::more_is_better`], `<=` otherwise). The metric name is not
    /// checked here ([`check_name`] does, naming the valid ones).
    pub fn parse(text: &str) -> Result<Target, TargetError> {
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
    pub fn parse_with(
        text: &str,
        default: impl Fn(&str) -> Direction,
    ) -> Result<Target, TargetError> {
        let bad = |why: &str| TargetError {
            text: text.to_string(),
            why: why.to_string(),
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
