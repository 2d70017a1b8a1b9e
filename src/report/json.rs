//! `summary.json`: the run's fixed external contract (see `docs/outputs.md`).

use crate::metrics::RunSummary;

/// The summary as pretty-printed JSON with a final newline. Metric keys keep report order;
/// undefined per-interval or per-group values are `null`, run-level ones are never.
/// Control and bidirectional characters in names are `\uXXXX` escapes
/// ([`crate::report::text::json_ascii_controls`]): the names round-trip exactly.
pub fn summary_json(summary: &RunSummary) -> Vec<u8> {
    // A non-finite number, which JSON cannot hold, is written as null.
    let text = serde_json::to_string_pretty(summary)
        .expect("a summary has only string keys and plain values");
    let mut bytes = crate::report::text::json_ascii_controls(&text)
        .into_owned()
        .into_bytes();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_summary;

    #[test]
    fn summary_json_snapshot() {
        let mut summary = sample_summary();
        // Keep the snapshot short: the run-level metrics and the top-level fields.
        summary.intervals.truncate(1);
        summary.groups.truncate(1);
        let text = String::from_utf8(summary_json(&summary)).unwrap();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn summary_json_is_valid_json_with_nulls_only_below_run_level() {
        let bytes = summary_json(&sample_summary());
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        for (name, m) in v["metrics"].as_object().unwrap() {
            assert!(m["mean"].is_number(), "{name}");
        }
        let sl = crate::metrics::Metric::ServiceLevel.name();
        assert!(v["intervals"][0]["metrics"][sl]["mean"].is_number());
        assert!(bytes.ends_with(b"}\n"));
    }

    #[test]
    fn hostile_names_round_trip_and_stay_inert() {
        let mut summary = sample_summary();
        let name = "\u{1b}[31m<&\"\u{7}\u{202e}\u{9b}x";
        summary.groups[0].name = name.into();
        let bytes = summary_json(&summary);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(!text
            .chars()
            .any(|c| c != '\n' && crate::report::text::is_unsafe(c)));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["groups"][0]["name"], name);
    }
}
