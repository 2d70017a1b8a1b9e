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

use super::plan::{sha256_hex, short, Loaded, FORMAT_VERSION};
use crate::metrics::collector::HISTOGRAM_SIGFIG;
use crate::metrics::{RepDetail, RepFigures, Stat};
use crate::plan::staffing::{RatePlan, Window};
use crate::time::Millis;
use anyhow::Context;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
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

/// A part read back and checked.
pub struct Part {
    pub path: PathBuf,
    pub shard: u32,
    pub units: Vec<UnitRecord>,
}

/// The bytes of shard `shard`'s part holding `units` (in unit order).
pub fn part_bytes(plan: &Loaded, shard: u32, units: &[UnitRecord]) -> Vec<u8> {
    let r = plan.plan.range(shard);
    let mut out = Vec::new();
    let header = json!({
        "chatsim_part": FORMAT_VERSION,
        "chatsim": env!("CARGO_PKG_VERSION"),
        "plan": plan.hash,
        "command": plan.plan.work.command(),
        "shard": shard,
        "shards": plan.plan.shards,
        "units": [r.start, r.end],
    });
    line(&mut out, &header);
    for u in units {
        line(
            &mut out,
            &json!({"unit": u.unit, "wall_secs": float(u.wall_secs), "data": u.data}),
        );
    }
    let trailer = json!({"end": true, "units": units.len(), "sha256": sha256_hex(&out)});
    line(&mut out, &trailer);
    out
}

fn line(out: &mut Vec<u8>, v: &Value) {
    serde_json::to_writer(&mut *out, v).expect("a JSON value serializes");
    out.push(b'\n');
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
/// index and unit range), one record per unit in order, trailer (count, checksum).
pub fn read_part(plan: &Loaded, path: &Path) -> Result<Part, PartError> {
    let bytes = std::fs::read(path).map_err(|e| PartError::Corrupt {
        path: path.to_path_buf(),
        shard: u32::MAX,
        why: format!("cannot read it: {e}"),
    })?;
    let first_end = bytes.iter().position(|&b| b == b'\n');
    let header: Value = first_end
        .and_then(|n| serde_json::from_slice(&bytes[..n]).ok())
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
    // The trailer: the last line, complete (ends with a newline).
    let truncated = || PartError::Truncated {
        path: path.to_path_buf(),
        shard,
    };
    if bytes.last() != Some(&b'\n') {
        return Err(truncated());
    }
    let body_end = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |n| n + 1);
    let trailer: Value = serde_json::from_slice(&bytes[body_end..]).map_err(|_| truncated())?;
    if trailer.get("end") != Some(&Value::Bool(true)) {
        return Err(truncated());
    }
    if trailer["sha256"].as_str() != Some(sha256_hex(&bytes[..body_end]).as_str()) {
        return Err(corrupt(
            shard,
            "its checksum does not match its content".into(),
        ));
    }
    let lines: Vec<&[u8]> = bytes[first_end.unwrap_or(0) + 1..body_end]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let count = range.end - range.start;
    if trailer["units"].as_u64() != Some(lines.len() as u64) || lines.len() as u64 != count {
        return Err(corrupt(
            shard,
            format!(
                "{} unit records, the plan gives shard {shard} {count}",
                lines.len()
            ),
        ));
    }
    let mut units = Vec::with_capacity(lines.len());
    for (l, want) in lines.iter().zip(range) {
        let mut v: Value =
            serde_json::from_slice(l).map_err(|e| corrupt(shard, format!("unit {want}: {e}")))?;
        let unit = v["unit"].as_u64();
        let wall = unfloat(&v["wall_secs"]);
        match (unit, wall) {
            (Some(u), Some(wall_secs)) if u == want => units.push(UnitRecord {
                unit: u,
                wall_secs,
                data: v["data"].take(),
            }),
            _ => {
                return Err(corrupt(
                    shard,
                    format!("the record of unit {want} is not valid"),
                ))
            }
        }
    }
    Ok(Part {
        path: path.to_path_buf(),
        shard,
        units,
    })
}

/// Writes `bytes` to `path` whole or not at all: a temporary file in the same directory,
/// flushed to disk, then renamed over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
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
