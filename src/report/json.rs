//! `summary.json`: the run's fixed external contract (see `docs/outputs.md`).
//!
//! Written to its file as it is serialized ([`write_summary_json`]): a summary lists up
//! to 768 intervals of every figure, a few megabytes of text that `run --out` need not
//! hold beside the workbook and the page.

use crate::metrics::RunSummary;
use crate::report::text::json_unsafe;
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};
use std::io;

/// The summary as pretty-printed JSON with a final newline, in memory (`run --json`
/// prints it): the bytes [`write_summary_json`] writes.
pub fn summary_json(summary: &RunSummary) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_summary_json(summary, &mut bytes).expect("writing to memory cannot fail");
    bytes
}

/// Writes the summary as pretty-printed JSON with a final newline. The serializer makes
/// many small writes: give it a buffered writer (a file through `io::BufWriter`). Metric
/// keys keep report order; undefined per-interval or per-group values are `null`,
/// run-level ones are never. Control and bidirectional characters in names are `\uXXXX` escapes (as
/// [`crate::report::text::json_ascii_controls`] writes them): the names round-trip
/// exactly.
pub fn write_summary_json<W: io::Write>(summary: &RunSummary, mut out: W) -> io::Result<()> {
    // A non-finite number, which JSON cannot hold, is written as null.
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Inert(PrettyFormatter::new()));
    summary.serialize(&mut ser)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// serde_json's pretty layout, with the characters JSON leaves raw in strings but a
/// terminal would obey (DEL, C1 controls, bidirectional marks) written as `\uXXXX`.
struct Inert<'a>(PrettyFormatter<'a>);

impl Formatter for Inert<'_> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // serde_json has already split off what it escapes itself (C0 controls, quotes,
        // backslashes); what is left to escape here is DEL or not ASCII.
        if fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| json_unsafe(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            // All of them are in the Basic Multilingual Plane: one \uXXXX each.
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    // The layout: PrettyFormatter's.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
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
    fn streamed_bytes_are_the_whole_texts_with_its_escapes() {
        let mut summary = sample_summary();
        summary.groups[0].name = "a\u{7f}\u{9b}\u{202e}\u{2066}b\u{1b}北\u{85}".into();
        let text = serde_json::to_string_pretty(&summary).unwrap();
        let expected = format!("{}\n", crate::report::text::json_ascii_controls(&text));
        assert_ne!(expected, format!("{text}\n"), "the name needs escapes");
        assert_eq!(String::from_utf8(summary_json(&summary)).unwrap(), expected);
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
