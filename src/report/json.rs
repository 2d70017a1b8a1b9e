//! `summary.json`: the run's fixed external contract (see `docs/outputs.md`).

use crate::metrics::RunSummary;

/// The summary as pretty-printed JSON with a final newline. Metric keys keep report order;
/// undefined per-interval or per-group values are `null`, run-level ones are never.
pub fn summary_json(summary: &RunSummary) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(summary)
        .expect("a summary has only string keys and plain values");
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
        assert!(v["intervals"][0]["metrics"]["service_level"]["mean"].is_number());
        assert!(bytes.ends_with(b"}\n"));
    }
}
