//! The plan of a sharded run: what `chatsim run|sweep|staff … --plan DIR --shards N`
//! writes to `DIR/plan.json` and every shard and the merge read back. It pins the
//! command's options, the inputs by content hash, the numeric fingerprint of the binary
//! that made it, and the split of the units into shards; its own SHA-256 tags every part.

use super::fingerprint::fingerprint;
use super::Planned;
use crate::tools::flags::MAX_SHARDS;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// `format` of a plan file.
pub const PLAN_FORMAT: &str = "chatsim-plan";
/// Version of the plan and part formats.
pub const FORMAT_VERSION: u32 = 1;
/// One input file, pinned by its content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub path: PathBuf,
    pub sha256: String,
}

/// `DIR/plan.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format: String,
    pub version: u32,
    /// The chatsim version that made the plan; shards and the merge must be the same.
    pub chatsim: String,
    /// The command and its options (absolute scenario path; no output, no plan flags).
    pub work: Planned,
    pub inputs: Vec<Input>,
    /// Units of work: replications (`run`), grid points (`sweep`), distinct rates (`staff`).
    pub units: u64,
    pub shards: u32,
    /// Shard i's units, `[start, end)`: contiguous, in unit order.
    pub ranges: Vec<[u64; 2]>,
    /// The numeric fingerprint of the planning binary on the planning host.
    pub fingerprint: String,
    /// Where the submit script's merge job writes the results.
    pub out: PathBuf,
}

/// Shard `i` of `shards` over `units` units: contiguous ranges whose sizes differ by at
/// most one, in unit order (shard 0 holds the first units).
pub fn shard_range(units: u64, shards: u32, i: u32) -> Range<u64> {
    let n = u128::from(shards);
    let at = |k: u32| (u128::from(units) * u128::from(k) / n) as u64;
    at(i)..at(i + 1)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Hex SHA-256 of a file's content.
pub fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}

impl Plan {
    /// A new plan of `work` over `units` units in `shards` shards.
    pub fn new(work: Planned, inputs: Vec<Input>, units: u64, shards: u32, out: PathBuf) -> Plan {
        Plan {
            format: PLAN_FORMAT.to_string(),
            version: FORMAT_VERSION,
            chatsim: env!("CARGO_PKG_VERSION").to_string(),
            work,
            inputs,
            units,
            shards,
            ranges: (0..shards)
                .map(|i| {
                    let r = shard_range(units, shards, i);
                    [r.start, r.end]
                })
                .collect(),
            fingerprint: fingerprint(),
            out,
        }
    }

    /// The plan file's bytes (pretty JSON, one final newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).expect("a plan serializes");
        b.push(b'\n');
        b
    }

    /// Shard `i`'s units.
    pub fn range(&self, i: u32) -> Range<u64> {
        let [a, b] = self.ranges[i as usize];
        a..b
    }

    /// Fails unless every input still has its planned content.
    pub fn check_inputs(&self) -> anyhow::Result<()> {
        for input in &self.inputs {
            let now = file_sha256(&input.path).with_context(|| {
                format!(
                    "the plan's input {} cannot be read here; shards and the merge need \
                     the plan's inputs at the same path (a shared file system)",
                    input.path.display()
                )
            })?;
            if now != input.sha256 {
                anyhow::bail!(
                    "the plan's input {} has changed since the plan was made (sha256 {} \
                     then, {} now); make a new plan for the new inputs",
                    input.path.display(),
                    short(&input.sha256),
                    short(&now)
                );
            }
        }
        Ok(())
    }

    /// Fails unless this binary computes the planned numeric fingerprint.
    pub fn check_fingerprint(&self) -> anyhow::Result<()> {
        let here = fingerprint();
        if here != self.fingerprint {
            anyhow::bail!(
                "numeric fingerprint {here} on this host differs from the plan's {}: this \
                 binary or its maths library gives other results than the planning one, \
                 so its part could not be merged exactly; run every shard with the same \
                 (static) chatsim binary (docs/scale-out.md)",
                self.fingerprint
            );
        }
        Ok(())
    }
}

/// The first 12 hex digits of a hash, for messages.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// A plan read from a directory, with its hash.
pub struct Loaded {
    pub dir: PathBuf,
    pub plan: Plan,
    /// SHA-256 of `plan.json`'s bytes: the tag of every part.
    pub hash: String,
}

/// Reads and checks `DIR/plan.json`: its format, the chatsim version and the shard ranges.
pub fn read(dir: &Path) -> anyhow::Result<Loaded> {
    let path = dir.join("plan.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        anyhow::anyhow!(
            "no plan at {} ({e}); make one with `chatsim run|sweep|staff … --plan {} \
             --shards N`",
            path.display(),
            dir.display()
        )
    })?;
    let plan: Plan = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a chatsim plan ({e}); make a new plan with --plan",
            path.display()
        )
    })?;
    if plan.format != PLAN_FORMAT || plan.version != FORMAT_VERSION {
        anyhow::bail!(
            "{}: format {} version {}, this chatsim reads {PLAN_FORMAT} version \
             {FORMAT_VERSION}; make a new plan",
            path.display(),
            plan.format,
            plan.version
        );
    }
    if plan.chatsim != env!("CARGO_PKG_VERSION") {
        anyhow::bail!(
            "{} was made by chatsim {}, this is chatsim {}: run the shards and the merge \
             with the binary that made the plan",
            path.display(),
            plan.chatsim,
            env!("CARGO_PKG_VERSION")
        );
    }
    let edited = || {
        anyhow::anyhow!(
            "{}: the shards' unit ranges do not split {} units into {} shards; the file \
             was edited, make a new plan",
            path.display(),
            plan.units,
            plan.shards
        )
    };
    // The count is checked before the ranges are worked out for it: an edited count of
    // four billion would otherwise ask for 64 GB of ranges before any message.
    if plan.shards == 0 || plan.shards > MAX_SHARDS {
        return Err(edited());
    }
    let fresh = Plan::new(
        plan.work.clone(),
        vec![],
        plan.units,
        plan.shards,
        PathBuf::new(),
    );
    if plan.ranges != fresh.ranges {
        return Err(edited());
    }
    Ok(Loaded {
        // Absolute, so that the commands printed for it work from any directory.
        dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
        hash: sha256_hex(&bytes),
        plan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_contiguous_balanced_and_cover_every_unit() {
        // 10 units in 3 shards: 10·1/3 = 3, 10·2/3 = 6 → [0,3) [3,6) [6,10).
        let r: Vec<_> = (0..3).map(|i| shard_range(10, 3, i)).collect();
        assert_eq!(r, vec![0..3, 3..6, 6..10]);
        // More shards than units: some are empty, none overlaps.
        let r: Vec<_> = (0..7).map(|i| shard_range(4, 7, i)).collect();
        assert_eq!(r, vec![0..0, 0..1, 1..1, 1..2, 2..2, 2..3, 3..4]);
        for (units, shards) in [(1u64, 1u32), (50, 7), (10_000, 1000), (3, 100_000)] {
            let mut next = 0;
            for i in 0..shards {
                let r = shard_range(units, shards, i);
                assert_eq!(r.start, next);
                assert!(r.end - r.start <= units / u64::from(shards) + 1);
                next = r.end;
            }
            assert_eq!(next, units);
        }
    }
}
