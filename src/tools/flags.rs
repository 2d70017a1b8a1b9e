//! The flags the commands share: which scenario, under which seed, on how many threads
//! ([`ScenarioFlags`]: `run`, `check`, `staff`, `sweep`, `compare`), single-value field
//! overrides ([`SetFlags`]: `run`, `validate`, `check`, `staff`, `compare`; `sweep`'s
//! `--set` takes lists, so it has its own), where the results go ([`OutputFlags`]: `run`,
//! `staff`, `sweep`, `compare`), and the method's timers for the commands that drive the
//! engine directly ([`MethodFlags`]: `replay`, `live`). One definition, so the commands
//! spell, check and explain them the same way.

use crate::pipeline::MAX_THREADS;
use crate::scenario::{parse_override_value, Override};
use clap::Args;
use std::path::PathBuf;

/// The scenario a command runs, its seed and its worker threads.
#[derive(Args, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ScenarioFlags {
    /// The scenario TOML file.
    pub scenario: PathBuf,
    /// Base seed (overrides `run.seed`); replication i is seeded from (seed, i), the same
    /// for every candidate and grid point (common random numbers).
    // Negative numbers are read as values, so `--seed -1` says what is wrong with -1
    // instead of taking it for an unknown flag.
    #[arg(long, allow_negative_numbers = true, value_parser = seed_arg)]
    pub seed: Option<u64>,
    /// Worker threads (0 = one per core; at most one per unit of work, and at most 1024,
    /// are started). The output does not depend on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = threads_arg)]
    pub threads: usize,
}

/// `--set PATH=VALUE`: scenario fields set before the scenario is checked, by the
/// loader's dotted paths (docs/scenario.md, "Overrides").
#[derive(Args, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SetFlags {
    /// Set a scenario field before the checks, e.g. `agents.count=12` or
    /// `thresholds.reply_interval_s=30` (dotted paths as in docs/scenario.md); repeat for
    /// several fields.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl SetFlags {
    /// The overrides, in the order given; `--set` names them in errors.
    pub fn overrides(&self) -> anyhow::Result<Vec<Override>> {
        parse_sets(&self.set, "--set")
    }
}

/// Parses `PATH=VALUE` items of the flag `flag` (`--set`, `--set-a`, …): the value as TOML
/// when it is one (`30`, `0.5`, `true`, `{ dist = "constant", value_s = 5 }`), otherwise
/// as a string (`off`, `07:30`). A path given twice is refused: which one was meant?
/// Whether the path names a field, and the value fits it, is the loader's to say (with
/// the closest field suggested).
pub fn parse_sets(items: &[String], flag: &str) -> anyhow::Result<Vec<Override>> {
    let fix = "write PATH=VALUE, e.g. agents.count=12 or thresholds.reply_interval_s=30 \
               (docs/scenario.md lists the fields)";
    let mut out: Vec<Override> = Vec::with_capacity(items.len());
    for text in items {
        let Some((path, value)) = text.split_once('=') else {
            anyhow::bail!("bad {flag} \"{text}\": no `=`; {fix}");
        };
        let (path, value) = (path.trim(), value.trim());
        if path.is_empty() {
            anyhow::bail!("bad {flag} \"{text}\": no field path before `=`; {fix}");
        }
        if value.is_empty() {
            anyhow::bail!("bad {flag} \"{text}\": no value after `=`; {fix}");
        }
        if out.iter().any(|o| o.path == path) {
            anyhow::bail!("{flag} {path} is given twice; give each field one value");
        }
        out.push(Override {
            path: path.to_string(),
            value: parse_override_value(value),
        });
    }
    Ok(out)
}

/// Where a command writes its files.
#[derive(Args, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OutputFlags {
    /// Write the results (files listed in docs/outputs.md) into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing output directory (only one chatsim wrote).
    #[arg(long)]
    pub force: bool,
}

/// The method's timer settings, for the commands that drive the engine directly
/// (`replay`, `live`); a scenario file holds them for the others.
#[derive(Args, Debug, Clone, PartialEq)]
pub struct MethodFlags {
    /// Remind the agent when a reply is owed for longer than this (S55), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub reply_interval_s: f64,
    /// Disconnect a session whose customer is silent longer than this (S56), in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub message_interval_s: f64,
    /// Send one reminder per owed reply instead of one every reply interval.
    #[arg(long)]
    pub no_repeat_reminders: bool,
    /// At most this many reminders per owed reply (0 turns reminders off).
    #[arg(long, value_name = "N")]
    pub reminder_cap: Option<u32>,
}

impl Default for MethodFlags {
    /// The flags' defaults.
    fn default() -> Self {
        MethodFlags {
            reply_interval_s: 60.0,
            message_interval_s: 300.0,
            no_repeat_reminders: false,
            reminder_cap: None,
        }
    }
}

/// Parses `--seed`: any integer from 0 to 2⁶⁴ − 1, with a message that gives the range.
pub fn seed_arg(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let range = format!("give an integer from 0 to {}", u64::MAX);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match t.parse::<u64>() {
        Ok(n) => Ok(n),
        Err(_) if t.strip_prefix('-').is_some_and(digits) => {
            Err(format!("a seed is never negative; {range}"))
        }
        Err(_) if digits(t) => Err(format!("too large for a seed; {range}")),
        Err(_) => Err(format!("not an integer; {range}")),
    }
}

/// Parses `--threads`: 0 (one per core) or a count, cut to [`MAX_THREADS`] with a note
/// on stderr (the output does not depend on the thread count, so a larger value is not an
/// error, but it is not silently taken either).
pub fn threads_arg(text: &str) -> Result<usize, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let n = t.parse::<usize>().unwrap_or(usize::MAX);
        if n > MAX_THREADS {
            eprintln!(
                "note: --threads {t} is more than the maximum of {MAX_THREADS}; using at most \
                 {MAX_THREADS} worker threads (the results do not depend on it)"
            );
            return Ok(MAX_THREADS);
        }
        return Ok(n);
    }
    Err(format!(
        "not a thread count; give 0 (one per core) or a number from 1 to {MAX_THREADS}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(items: &[&str]) -> anyhow::Result<Vec<Override>> {
        parse_sets(
            &items.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "--set",
        )
    }

    #[test]
    fn sets_parse_paths_and_toml_values() {
        let o = sets(&[
            "agents.count=12",
            " thresholds.message_interval_s = off ",
            "x={ a = 1 }",
        ])
        .unwrap();
        assert_eq!(o[0].path, "agents.count");
        assert_eq!(o[0].value, toml::Value::Integer(12));
        assert_eq!(o[1].path, "thresholds.message_interval_s");
        assert_eq!(o[1].value, toml::Value::String("off".into()));
        assert!(o[2].value.is_table());
    }

    #[test]
    fn bad_sets_say_how_to_write_one() {
        for (bad, why) in [
            ("agents.count", "no `=`"),
            ("=3", "no field path"),
            ("agents.count=", "no value"),
        ] {
            let e = sets(&[bad]).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains("PATH=VALUE"), "{bad}: {e}");
        }
        let e = sets(&["run.seed=1", "run.seed=2"]).unwrap_err().to_string();
        assert!(e.contains("run.seed is given twice"), "{e}");
    }
}

/// Most shards a plan may have (Slurm's largest `MaxArraySize` is 4 000 001, its default
/// 1 001; more shards than this only adds scheduler load).
pub const MAX_SHARDS: u32 = 100_000;

/// `--plan DIR --shards N [--emit slurm|none]`, on `run`, `sweep` and `staff`.
#[derive(Args, Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PlanFlags {
    /// Plan a sharded run into this new directory instead of running: plan.json, and
    /// with --emit slurm the submit scripts (docs/scale-out.md). --out is where the
    /// merge job writes (default DIR/out).
    #[arg(long, value_name = "DIR", requires = "shards")]
    pub plan: Option<PathBuf>,
    /// How many shards the plan splits the units into (1 to 100000).
    #[arg(long, value_name = "N", requires = "plan", value_parser = shards_arg)]
    pub shards: Option<u32>,
    /// Submit scripts written with the plan: slurm (a job array and an afterok merge
    /// job) or none.
    #[arg(long, value_enum, default_value_t = Emit::Slurm, value_name = "ENGINE")]
    pub emit: Emit,
}

/// Parses `--shards`: 1 to [`MAX_SHARDS`].
fn shards_arg(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=u64::from(MAX_SHARDS)).contains(&n) => Ok(n as u32),
        _ => Err(format!("give a number of shards from 1 to {MAX_SHARDS}")),
    }
}

/// Which submit scripts a plan comes with.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Emit {
    /// `submit.sh`: `sbatch --array` of `shard.sbatch`, then `merge.sbatch` after them.
    #[default]
    Slurm,
    /// The plan alone (run the shards with any engine: docs/scale-out.md).
    None,
}
