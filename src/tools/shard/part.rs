//! Part files: one shard's results, `DIR/parts/part-NNNNN.jsonl`, JSON Lines.
//!
//! ```text
//! {"chatsim_part":1,"chatsim":"0.1.0","plan":"<sha256>","command":"run","shard":2,"shards":7,"units":[4,6]}
//! {"unit":4,"wall_secs":0.31,"data":{…}}
//! {"unit":5,"wall_secs":0.29,"data":{…}}
//! {"end":true,"units":2,"sha256":"<sha256 of every byte above>"}
//! ```
//!
//! The data hold per-replication values, never means: finite floats as JSON numbers in
//! shortest round-trip form (read back bit for bit: serde_json's `float_roundtrip`),
//! NaN and infinities as the strings `"NaN"`, `"inf"`, `"-inf"`, histograms as their
//! `[value, count]` buckets (adding them back is integer addition). A part is written to
//! a temporary file and renamed, so a reader sees it whole or not at all; the trailer's
//! count and checksum catch one cut short or altered anyway (a copy, a full disk).

use super::plan::{short, Loaded, FORMAT_VERSION};
use crate::metrics::histogram::HISTOGRAM_SIGFIG;
use crate::metrics::{RepDetail, RepFigures, Stat};
use crate::plan::staffing::{RatePlan, Window};
use crate::time::Millis;
use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The file name of shard `i`'s part.
pub fn part_name(i: u32) -> String {
    format!("part-{i:05}.jsonl")
}

/// The file name of shard `i`'s failure note.
pub fn failed_name(i: u32) -> String {
    format!("part-{i:05}.failed")
}

/// One unit's record.
pub struct UnitRecord {
    pub unit: u64,
    pub wall_secs: f64,
    pub data: Value,
}

/// A part read back and checked: its shard (its units are visited by [`visit_units`]).
pub struct Part {
    pub path: PathBuf,
    pub shard: u32,
}

/// The header line of shard `shard`'s part.
fn header(plan: &Loaded, shard: u32) -> Value {
    let r = plan.plan.range(shard);
    json!({
        "chatsim_part": FORMAT_VERSION,
        "chatsim": env!("CARGO_PKG_VERSION"),
        "plan": plan.hash,
        "command": plan.plan.work.command(),
        "shard": shard,
        "shards": plan.plan.shards,
        "units": [r.start, r.end],
    })
}

/// Writes shard `shard`'s part as its units come: the header, each unit's line when the
/// unit is done, then the trailer (count, and the checksum of every byte above). Memory
/// holds one unit at a time, however many units and intervals the shard has. The lines
/// go to a temporary file beside the part, renamed over it by [`PartWriter::finish`],
/// so a reader sees the part whole or not at all; dropped unfinished (an error, Ctrl-C),
/// the writer removes its temporary file.
pub struct PartWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<Hashing<BufWriter<File>>>,
    units: u64,
}

impl PartWriter {
    pub fn create(plan: &Loaded, shard: u32, path: &Path) -> anyhow::Result<PartWriter> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(temporary_name(path));
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut w = PartWriter {
            path: path.to_path_buf(),
            tmp,
            out: Some(Hashing::new(BufWriter::new(file))),
            units: 0,
        };
        w.line(&header(plan, shard))?;
        Ok(w)
    }

    /// Appends unit `u` (units come in unit order).
    pub fn unit(&mut self, u: &UnitRecord) -> anyhow::Result<()> {
        self.units += 1;
        self.line(&json!({"unit": u.unit, "wall_secs": float(u.wall_secs), "data": u.data}))
    }

    fn line(&mut self, v: &Value) -> anyhow::Result<()> {
        let out = self.out.as_mut().expect("open until finished");
        serde_json::to_writer(&mut *out, v)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .with_context(|| format!("writing {}", self.tmp.display()))
    }

    /// Writes the trailer, flushes the part to disk and renames it into place.
    pub fn finish(mut self) -> anyhow::Result<()> {
        let out = self.out.take().expect("open until finished");
        let sha256 = format!("{:x}", out.hash.clone().finalize());
        let mut file = out.inner;
        let trailer = json!({"end": true, "units": self.units, "sha256": sha256});
        (|| {
            serde_json::to_writer(&mut file, &trailer)?;
            file.write_all(b"\n")?;
            let file = file.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&self.tmp, &self.path)
        })()
        .with_context(|| format!("writing {}", self.path.display()))
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        // Unfinished or renamed: either way the temporary file is ours to remove.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// `.NAME.tmp-PID`: hidden (a reader of parts skips it) and this process's own.
fn temporary_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    format!(".{name}.tmp-{}", std::process::id())
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
        }
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Why a part cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error("{0}: not a chatsim part (its first line is not a part header); remove it")]
    NotAPart(PathBuf),
    #[error(
        "{path}: a part of another plan (plan sha256 {theirs}…, this plan's is {ours}…); \
         remove it, or merge it with its own plan"
    )]
    Foreign {
        path: PathBuf,
        theirs: String,
        ours: String,
    },
    #[error("{path}: truncated (no complete trailer line); run shard {shard} again")]
    Truncated { path: PathBuf, shard: u32 },
    #[error("{path}: corrupt ({why}); run shard {shard} again")]
    Corrupt {
        path: PathBuf,
        shard: u32,
        why: String,
    },
}

/// Reads and checks the part at `path` against `plan`: header (format, plan hash, shard
/// index and unit range), one record per unit in order, trailer (count, checksum). The
/// file is read line by line: memory holds one unit at a time.
pub fn read_part(plan: &Loaded, path: &Path) -> Result<Part, PartError> {
    scan(plan, path, &mut |_| Ok(()))
}

/// Reads and checks the part at `path` as [`read_part`] does, handing each unit record to
/// `visit` as it is read, in unit order. The checks that need the whole file (trailer,
/// count, checksum) come at its end: on an error, `visit` may have seen units of a part
/// that turns out bad, so its caller must not have acted on them yet (the merge writes
/// its results only after every part is through).
pub fn visit_units(
    plan: &Loaded,
    path: &Path,
    visit: &mut dyn FnMut(UnitRecord) -> anyhow::Result<()>,
) -> anyhow::Result<Part> {
    let mut failed = None;
    let part = scan(plan, path, &mut |u| {
        if failed.is_none() {
            failed = visit(u).err();
        }
        Ok(())
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(part),
    }
}

/// The one reader of parts; `visit` sees each well-formed unit record. Errors are
/// reported in the order of the checks, whichever line shows one first: a truncated
/// file, then its checksum, its count of units, and last the first bad unit record.
fn scan(
    plan: &Loaded,
    path: &Path,
    visit: &mut dyn FnMut(UnitRecord) -> Result<(), PartError>,
) -> Result<Part, PartError> {
    let unreadable = |e: std::io::Error| PartError::Corrupt {
        path: path.to_path_buf(),
        shard: u32::MAX,
        why: format!("cannot read it: {e}"),
    };
    let mut reader = BufReader::new(File::open(path).map_err(unreadable)?);
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first).map_err(unreadable)?;
    let header: Value = Some(&first)
        .filter(|l| l.last() == Some(&b'\n'))
        .and_then(|l| serde_json::from_slice(l).ok())
        .filter(|h: &Value| h.get("chatsim_part").is_some())
        .ok_or_else(|| PartError::NotAPart(path.to_path_buf()))?;
    let theirs = header["plan"].as_str().unwrap_or("").to_string();
    if theirs != plan.hash || header["chatsim_part"] != json!(FORMAT_VERSION) {
        return Err(PartError::Foreign {
            path: path.to_path_buf(),
            theirs: short(&theirs).to_string(),
            ours: short(&plan.hash).to_string(),
        });
    }
    let corrupt = |shard: u32, why: String| PartError::Corrupt {
        path: path.to_path_buf(),
        shard,
        why,
    };
    let shard = header["shard"]
        .as_u64()
        .and_then(|s| u32::try_from(s).ok())
        .filter(|&s| s < plan.plan.shards)
        .ok_or_else(|| corrupt(u32::MAX, "no valid shard index in its header".into()))?;
    let range = plan.plan.range(shard);
    if header["units"] != json!([range.start, range.end]) {
        return Err(corrupt(
            shard,
            format!(
                "its header gives units {}, the plan gives shard {shard} units [{}, {})",
                header["units"], range.start, range.end
            ),
        ));
    }
    let unreadable = |e: std::io::Error| corrupt(shard, format!("cannot read it: {e}"));
    // Every line but the last is the body (checksummed, units); the last is the trailer.
    // One line is held back until the next shows it was not the last.
    let mut hash = Sha256::new();
    hash.update(&first);
    let (mut lines, mut bad_unit) = (0u64, None);
    let mut held: Option<Vec<u8>> = None;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).map_err(unreadable)? == 0 {
            break;
        }
        let Some(body) = held.replace(line) else {
            continue;
        };
        hash.update(&body);
        let text = body.strip_suffix(b"\n").unwrap_or(&body);
        if text.is_empty() {
            continue;
        }
        let want = range.start + lines;
        lines += 1;
        if bad_unit.is_some() || want >= range.end {
            continue;
        }
        match unit_record(text, want) {
            Ok(u) => visit(u)?,
            Err(why) => bad_unit = Some(why),
        }
    }
    // The trailer: the last line after the header, complete (ends with a newline).
    let truncated = || PartError::Truncated {
        path: path.to_path_buf(),
        shard,
    };
    let last = held.ok_or_else(truncated)?;
    if last.last() != Some(&b'\n') {
        return Err(truncated());
    }
    let trailer: Value = serde_json::from_slice(&last).map_err(|_| truncated())?;
    if trailer.get("end") != Some(&Value::Bool(true)) {
        return Err(truncated());
    }
    if trailer["sha256"].as_str() != Some(format!("{:x}", hash.finalize()).as_str()) {
        return Err(corrupt(
            shard,
            "its checksum does not match its content".into(),
        ));
    }
    let count = range.end - range.start;
    if trailer["units"].as_u64() != Some(lines) || lines != count {
        return Err(corrupt(
            shard,
            format!("{lines} unit records, the plan gives shard {shard} {count}"),
        ));
    }
    if let Some(why) = bad_unit {
        return Err(corrupt(shard, why));
    }
    Ok(Part {
        path: path.to_path_buf(),
        shard,
    })
}

/// Unit `want`'s record from its line, or why the line is not one.
fn unit_record(line: &[u8], want: u64) -> Result<UnitRecord, String> {
    let mut v: Value = serde_json::from_slice(line).map_err(|e| format!("unit {want}: {e}"))?;
    match (v["unit"].as_u64(), unfloat(&v["wall_secs"])) {
        (Some(u), Some(wall_secs)) if u == want => Ok(UnitRecord {
            unit: u,
            wall_secs,
            data: v["data"].take(),
        }),
        _ => Err(format!("the record of unit {want} is not valid")),
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file in the same directory,
/// flushed to disk, then renamed over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(temporary_name(path));
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("writing {}", path.display()))
}

/// A float, losslessly: a number when finite, else `"NaN"`, `"inf"` or `"-inf"`.
pub fn float(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("NaN")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

/// [`float`] read back.
pub fn unfloat(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// The key of a `run` unit's every interval's rows, when the summary merges intervals
/// (an [`IntervalSpool`](crate::metrics::spool::IntervalSpool) block, flat, in order).
pub const EVERY_INTERVAL: &str = "every_interval";

/// Floats, losslessly ([`float`]).
pub fn floats(xs: &[f64]) -> Value {
    Value::Array(xs.iter().map(|&x| float(x)).collect())
}

/// [`floats`] read back.
pub fn unfloats(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(unfloat).collect()
}

fn rows(rs: &[Vec<f64>]) -> Value {
    Value::Array(rs.iter().map(|r| floats(r)).collect())
}

fn unrows(v: &Value) -> Option<Vec<Vec<f64>>> {
    v.as_array()?.iter().map(unfloats).collect()
}

/// A histogram as its non-empty buckets `[value, count]` (each bucket's highest value:
/// recording it again lands in the same bucket).
fn histogram(h: &Histogram<u64>) -> Value {
    Value::Array(
        h.iter_recorded()
            .map(|v| json!([v.value_iterated_to(), v.count_at_value()]))
            .collect(),
    )
}

fn unhistogram(v: &Value) -> Option<Histogram<u64>> {
    let mut h = Histogram::new(HISTOGRAM_SIGFIG).ok()?;
    for b in v.as_array()? {
        let (value, count) = (b.get(0)?.as_u64()?, b.get(1)?.as_u64()?);
        if count == 0 || b.as_array()?.len() != 2 {
            return None;
        }
        h.record_n(value, count).ok()?;
    }
    Some(h)
}

/// A replication's figures as a part's data. A desk with several queues adds `queues`
/// (and, with the detail, `queue_intervals`); a one-queue desk's data is as before.
pub fn figures(f: &RepFigures) -> Value {
    let mut v = json!({"run": floats(&f.run)});
    if !f.queues.is_empty() {
        v["queues"] = rows(&f.queues);
    }
    if let Some(d) = &f.detail {
        v["intervals"] = rows(&d.intervals);
        v["groups"] = rows(&d.groups);
        v["agents"] = rows(&d.agents);
        if !d.queue_intervals.is_empty() {
            v["queue_intervals"] = rows(&d.queue_intervals);
        }
        v["wait_histogram"] = histogram(&d.waits);
        v["reply_histogram"] = histogram(&d.replies);
        v["wait_max"] = json!(d.wait_max);
    }
    v
}

/// [`figures`] read back.
pub fn unfigures(v: &Value) -> Option<RepFigures> {
    let detail = match v.get("intervals") {
        None => None,
        Some(intervals) => Some(RepDetail {
            intervals: unrows(intervals)?,
            groups: unrows(v.get("groups")?)?,
            agents: unrows(v.get("agents")?)?,
            queue_intervals: match v.get("queue_intervals") {
                Some(rows) => unrows(rows)?,
                None => vec![],
            },
            waits: unhistogram(v.get("wait_histogram")?)?,
            replies: unhistogram(v.get("reply_histogram")?)?,
            wait_max: v.get("wait_max")?.as_u64()?,
        }),
    };
    Some(RepFigures {
        run: unfloats(v.get("run")?)?,
        queues: match v.get("queues") {
            Some(rows) => unrows(rows)?,
            None => vec![],
        },
        detail,
    })
}

fn stat(s: &Stat) -> Value {
    json!({"mean": float(s.mean), "ci95_half_width": float(s.ci95_half_width),
           "per_replication": floats(&s.per_replication)})
}

fn unstat(v: &Value) -> Option<Stat> {
    Some(Stat {
        mean: unfloat(v.get("mean")?)?,
        ci95_half_width: unfloat(v.get("ci95_half_width")?)?,
        per_replication: unfloats(v.get("per_replication")?)?,
    })
}

/// A rate's staffing as a part's data.
pub fn rate_plan(p: &RatePlan) -> Value {
    json!({
        "rate_per_hour": float(p.rate_per_hour),
        "required_agents": p.required_agents,
        "required_sessions": p.required_sessions,
        "erlang_c_agents": p.erlang_c_agents,
        "erlang_c_servers": p.erlang_c_servers,
        "erlang_a": p.erlang_a.map(|(a, s)| [a, s]),
        "erlang_session_s": float(p.erlang_session_s),
        "search_start": p.search_start,
        "simulated": p.simulated,
        "replications": p.replications,
        "replications_total": p.replications_total,
        "window": p.window.map(|w| [w.warmup.as_millis(), w.horizon.as_millis()]),
        "achieved": p.achieved.iter().map(|(m, s)| json!([m, stat(s)])).collect::<Vec<_>>(),
        "unmet": p.unmet,
    })
}

/// [`rate_plan`] read back.
pub fn unrate_plan(v: &Value) -> Option<RatePlan> {
    let u32_of = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
    let opt_u32 = |v: &Value| match v {
        Value::Null => Some(None),
        v => u32_of(v).map(Some),
    };
    let pair = |v: &Value| -> Option<Option<(u64, u64)>> {
        match v {
            Value::Null => Some(None),
            v => Some(Some((v.get(0)?.as_u64()?, v.get(1)?.as_u64()?))),
        }
    };
    let erlang_a = pair(v.get("erlang_a")?)?
        .map(|(a, s)| Some((u32::try_from(a).ok()?, u32::try_from(s).ok()?)));
    let erlang_a = match erlang_a {
        None => None,
        Some(Some(p)) => Some(p),
        Some(None) => return None,
    };
    Some(RatePlan {
        rate_per_hour: unfloat(v.get("rate_per_hour")?)?,
        required_agents: opt_u32(v.get("required_agents")?)?,
        required_sessions: opt_u32(v.get("required_sessions")?)?,
        erlang_c_agents: u32_of(v.get("erlang_c_agents")?)?,
        erlang_c_servers: u32_of(v.get("erlang_c_servers")?)?,
        erlang_a,
        erlang_session_s: unfloat(v.get("erlang_session_s")?)?,
        search_start: u32_of(v.get("search_start")?)?,
        simulated: v
            .get("simulated")?
            .as_array()?
            .iter()
            .map(u32_of)
            .collect::<Option<_>>()?,
        replications: u32_of(v.get("replications")?)?,
        replications_total: u32_of(v.get("replications_total")?)?,
        window: pair(v.get("window")?)?.map(|(w, h)| Window {
            warmup: Millis::from_millis(w),
            horizon: Millis::from_millis(h),
        }),
        achieved: v
            .get("achieved")?
            .as_array()?
            .iter()
            .map(|a| Some((a.get(0)?.as_str()?.to_string(), unstat(a.get(1)?)?)))
            .collect::<Option<_>>()?,
        unmet: v
            .get("unmet")?
            .as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect::<Option<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_bit_for_bit() {
        let xs = [
            0.1 + 0.2,
            1.0 / 3.0,
            -0.0,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            123_456.789_012_345_68,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let text = serde_json::to_string(&floats(&xs)).unwrap();
        let back = unfloats(&serde_json::from_str(&text).unwrap()).unwrap();
        for (a, b) in xs.iter().zip(&back) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{a} {b}"
            );
        }
    }

    #[test]
    fn histograms_round_trip_by_buckets() {
        let mut h = Histogram::<u64>::new(HISTOGRAM_SIGFIG).unwrap();
        for v in [0, 1, 2047, 2048, 2049, 123_456, 123_457, 9_999_999] {
            h.record(v).unwrap();
        }
        h.record_n(5000, 7).unwrap();
        let back = unhistogram(&histogram(&h)).unwrap();
        assert_eq!(back.len(), h.len());
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(back.value_at_quantile(q), h.value_at_quantile(q), "{q}");
        }
        let buckets = |h: &Histogram<u64>| {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect::<Vec<_>>()
        };
        assert_eq!(buckets(&back), buckets(&h));
        assert_eq!(back.max(), h.max());
    }
}
