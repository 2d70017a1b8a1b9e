//! The target syntax, `metric op value` on a run-level metric, or `metric[queue] op value`
//! on one queue's figure (a desk with several queues): `check`'s expectations, `staff`'s
//! targets and a scenario's `[targets]` (which is why it sits below the scenario). How a
//! target is judged against a mean and CI is [`crate::metrics::target`]'s business.

use crate::catalogue::Metric;
use std::fmt;

/// How to write an expectation, said by every error about one.
pub const TARGET_FIX: &str = "write NAME>=VALUE, NAME<=VALUE or NAME=VALUE \
    (e.g. service_level>=0.8, abandon_ratio<=0.05), or NAME[QUEUE]>=VALUE for one queue \
    (e.g. service_level[spanish]>=0.8)";

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

/// A target's name that is not valid: what (`metric "x"`, `queue "x"`) and the fix.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownName {
    pub what: String,
    pub fix: String,
}

impl From<UnknownMetric> for UnknownName {
    fn from(e: UnknownMetric) -> UnknownName {
        UnknownName {
            what: format!("metric \"{}\"", e.name),
            fix: e.fix,
        }
    }
}

/// `Ok` when `target` names a figure `queues` (the scenario's queue names) has: a
/// run-level metric, or with a queue, a per-queue metric of one of the queues of a desk
/// with several. Otherwise what is wrong and how to fix it (the closest name, or the
/// valid ones).
pub fn check_target_names(target: &Target, queues: &[String]) -> Result<(), UnknownName> {
    let Some(queue) = &target.queue else {
        return Ok(check_name(
            &target.metric,
            &crate::catalogue::run_level_names(),
        )?);
    };
    if queues.len() < 2 {
        return Err(UnknownName {
            what: format!("queue \"{queue}\""),
            fix: format!(
                "the desk has one queue, whose figures are the run's: write {}{}{} \
                 without [{queue}]",
                target.metric,
                target.op(),
                target.value
            ),
        });
    }
    check_name(&target.metric, &crate::catalogue::queue_level_names()).map_err(|e| {
        UnknownName {
            fix: format!("{} (of the figures measured per queue)", e.fix),
            ..e.into()
        }
    })?;
    if queues.iter().any(|q| q == queue) {
        return Ok(());
    }
    let fix = match crate::suggest::closest(queue, queues) {
        Some(close) => format!(
            "did you mean [{close}]? the queues are {}",
            queues.join(", ")
        ),
        None => format!("name one of the queues: {}", queues.join(", ")),
    };
    Err(UnknownName {
        what: format!("queue \"{queue}\""),
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
    /// The queue whose figure is held to the target (`metric[queue]`); `None` for the
    /// run's (the whole desk's) figure.
    pub queue: Option<String>,
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
        let (name, queue) = match name.split_once('[') {
            None => (name, None),
            Some((metric, q)) => {
                let Some(q) = q.strip_suffix(']') else {
                    return Err(bad("a queue is written in brackets after the metric, \
                         service_level[spanish]"));
                };
                let q = q.trim();
                if q.is_empty() || q.contains(['[', ']']) {
                    return Err(bad("no queue name between [ and ]"));
                }
                (metric.trim_end(), Some(q.to_string()))
            }
        };
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
            queue,
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
        match &self.queue {
            Some(q) => write!(f, "{}[{q}]{}{}", self.metric, self.op(), self.value),
            None => write!(f, "{}{}{}", self.metric, self.op(), self.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues() -> Vec<String> {
        vec!["english".into(), "spanish".into()]
    }

    #[test]
    fn a_queue_target_names_its_queue_in_brackets_and_writes_back_the_same() {
        let t = Target::parse(" service_level[ spanish ] >= 0.8").unwrap();
        assert_eq!(t.metric, Metric::ServiceLevel.name());
        assert_eq!(t.queue.as_deref(), Some("spanish"));
        assert_eq!(t.direction, Direction::AtLeast);
        assert_eq!(t.to_string(), "service_level[spanish]>=0.8");
        assert_eq!(Target::parse(&t.to_string()).unwrap(), t);
        // A bare `=` takes the metric's better direction, as without a queue.
        let t = Target::parse("abandon_ratio[english]=0.05").unwrap();
        assert_eq!((t.direction, t.op()), (Direction::AtMost, "<="));
        assert_eq!(Target::parse("offered>=3").unwrap().queue, None);
    }

    #[test]
    fn malformed_queue_brackets_say_how_to_write_one() {
        for (text, why) in [
            ("service_level[spanish>=0.8", "in brackets"),
            ("service_level[]>=0.8", "no queue name"),
            ("service_level[ ]>=0.8", "no queue name"),
            ("service_level[a[b]]>=0.8", "no queue name"),
            ("[spanish]>=0.8", "no metric name"),
        ] {
            let e = Target::parse(text).unwrap_err();
            assert!(e.why.contains(why), "{text}: {e}");
            assert!(e.to_string().contains("NAME[QUEUE]>=VALUE"), "{e}");
        }
    }

    #[test]
    fn queue_targets_are_checked_against_the_desk() {
        let ok = |s: &str| check_target_names(&Target::parse(s).unwrap(), &queues());
        assert_eq!(ok("service_level[spanish]>=0.8"), Ok(()));
        assert_eq!(ok("wait_s_p90[english]<=60"), Ok(()));
        assert_eq!(ok("occupancy>=0.5"), Ok(()));
        let e = ok("service_level[spansh]>=0.8").unwrap_err();
        assert_eq!(e.what, "queue \"spansh\"");
        assert!(e.fix.starts_with("did you mean [spanish]?"), "{}", e.fix);
        let e = ok("service_level[billing_overflow]>=0.8").unwrap_err();
        assert!(
            e.fix
                .starts_with("name one of the queues: english, spanish"),
            "{}",
            e.fix
        );
        // Occupancy is the agents' figure, not a queue's.
        let e = ok("occupancy[english]>=0.5").unwrap_err();
        assert_eq!(e.what, "metric \"occupancy\"");
        // A one-queue desk's queue is the run.
        let one = vec!["default".to_string()];
        let e = check_target_names(&Target::parse("service_level[default]>=0.8").unwrap(), &one)
            .unwrap_err();
        assert!(
            e.fix.contains("write service_level>=0.8 without [default]"),
            "{}",
            e.fix
        );
    }
}
