//! Beyond one machine: plan, shard, merge (docs/scale-out.md).
//!
//! `chatsim run|sweep|staff … --plan DIR --shards N` checks every input as the command
//! would, pins the inputs by content hash and writes `DIR/plan.json` with submit scripts
//! ([`emit`]). `chatsim shard DIR` runs one shard's units (replications of `run`, grid
//! points of `sweep`, distinct rates of `staff`) into a part file ([`part`]); `chatsim
//! merge DIR` reads every part back and finishes with the single-machine command's own
//! summary and report code, so the sharded and the local results are the same bytes;
//! `chatsim status DIR` tells which shards are done, failed or missing. Every random
//! stream is seeded from (seed, replication, stream, index), never from a shard.

mod emit;
mod fingerprint;
mod part;
mod plan;

pub use emit::array_spec;
pub use fingerprint::fingerprint;
pub use plan::{shard_range, Plan};

use super::flags::{threads_arg, Emit, PlanFlags};
use super::run::RunArgs;
use super::staff::{self, StaffArgs};
use super::sweep::{self, SweepArgs};
use crate::metrics::spool::IntervalSpool;
use crate::metrics::Summarizer;
use crate::pipeline;
use crate::report::output::print_out;
use crate::sim::SimError;
use anyhow::Context;
use clap::Args;
use part::{read_part, visit_units, Part, PartError, PartWriter, UnitRecord};
use plan::{file_sha256, Input, Loaded};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

/// The command a plan runs, with its options.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", content = "args", rename_all = "lowercase")]
pub enum Planned {
    Run(RunArgs),
    Sweep(SweepArgs),
    Staff(StaffArgs),
}

impl Planned {
    /// The command's name.
    pub fn command(&self) -> &'static str {
        match self {
            Planned::Run(_) => "run",
            Planned::Sweep(_) => "sweep",
            Planned::Staff(_) => "staff",
        }
    }

    fn plan_flags(&self) -> &PlanFlags {
        match self {
            Planned::Run(a) => &a.plan,
            Planned::Sweep(a) => &a.plan,
            Planned::Staff(a) => &a.plan,
        }
    }

    fn scenario(&self) -> &Path {
        match self {
            Planned::Run(a) => &a.input.scenario,
            Planned::Sweep(a) => &a.input.scenario,
            Planned::Staff(a) => &a.input.scenario,
        }
    }

    /// The options as a shard or the merge takes them: `threads` workers, output to
    /// `out` (with `force`), no plan flags.
    fn with_run_options(&self, threads: usize, out: Option<PathBuf>, force: bool) -> Planned {
        let mut p = self.clone();
        let (input, output, plan) = match &mut p {
            Planned::Run(a) => (&mut a.input, &mut a.output, &mut a.plan),
            Planned::Sweep(a) => (&mut a.input, &mut a.output, &mut a.plan),
            Planned::Staff(a) => (&mut a.input, &mut a.output, &mut a.plan),
        };
        input.threads = threads;
        output.out = out;
        output.force = force;
        *plan = PlanFlags::default();
        p
    }

    /// Files whose content the results depend on: the scenario, the files it names, and
    /// for a sweep the files its axes name.
    fn inputs(&self) -> anyhow::Result<Vec<Input>> {
        let scenario = self.scenario();
        let mut files = vec![scenario.to_path_buf()];
        files.extend(crate::scenario::named_files(scenario));
        if let Planned::Sweep(a) = self {
            let dir = scenario.parent().unwrap_or(Path::new(""));
            for axis in &a.set {
                if let Ok(axis) = sweep::parse_axis(axis) {
                    for v in &axis.values {
                        crate::scenario::walk_named_files(v, dir, &mut files);
                    }
                }
            }
        }
        files
            .into_iter()
            .map(|path| {
                Ok(Input {
                    sha256: file_sha256(&path)?,
                    path,
                })
            })
            .collect()
    }
}

/// Absolute form of `p` (relative to the current directory), without touching the disk.
fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("resolving {}", p.display()))
}

/// Writes the plan of `work` (its inputs already checked by the command) over `units`
/// units: `plan.json`, `parts/`, `logs/` and the submit scripts, in a new directory.
/// `chatsim run … --plan DIR`: the plan of a sharded run, whose units are the
/// replications.
pub fn plan_run(args: &RunArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let sc = super::run::scenario_of(args)?;
    if args.event_log.is_some() {
        anyhow::bail!(
            "--event-log writes one replication's chat log on this machine; \
             it is not sharded\nfix: run without --plan to write the log"
        );
    }
    let units = u64::from(sc.run.replications);
    write_plan(Planned::Run(args.clone()), units, cancel)
}

/// `chatsim sweep … --plan DIR`: the plan of a sharded sweep, whose units are the grid
/// points.
pub fn plan_sweep(args: &SweepArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let units = sweep::setup(args)?.points.len() as u64;
    write_plan(Planned::Sweep(args.clone()), units, cancel)
}

/// `chatsim staff … --plan DIR`: the plan of a sharded staffing, whose units are the
/// distinct rates. A per-queue staffing searches its skill groups together: not split.
pub fn plan_staff(args: &StaffArgs, cancel: &'static AtomicBool) -> anyhow::Result<ExitCode> {
    let setup = staff::setup(args, cancel)?;
    if setup.targets.iter().any(|t| t.queue.is_some()) {
        anyhow::bail!(
            "--plan cannot split a per-queue staffing (its skill groups are searched \
             together); drop --plan, or the [queue] part of the targets"
        );
    }
    let units = staff::staff_loads(&setup.sc).len() as u64;
    write_plan(Planned::Staff(args.clone()), units, cancel)
}

fn write_plan(work: Planned, units: u64, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let flags = work.plan_flags().clone();
    let given = flags.plan.as_deref().expect("called with --plan");
    let dir = absolute(given)?;
    let shards = flags.shards.expect("clap requires --shards with --plan");
    let out = match &output_of(&work).out {
        Some(o) => absolute(o)?,
        None => dir.join("out"),
    };
    let force = output_of(&work).force;
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!(
            "the plan directory {} is not empty; give a new directory (a plan is never \
             written over)",
            given.display()
        );
    }
    let mut work = work.with_run_options(0, None, force);
    let scenario = absolute(work.scenario())?;
    match &mut work {
        Planned::Run(a) => a.input.scenario = scenario,
        Planned::Sweep(a) => a.input.scenario = scenario,
        Planned::Staff(a) => a.input.scenario = scenario,
    }
    let inputs = work.inputs()?;
    let plan = Plan::new(work, inputs, units, shards, out);
    for sub in ["parts", "logs"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.join(sub).display()))?;
    }
    let bytes = plan.to_bytes();
    part::write_atomically(&dir.join("plan.json"), &bytes)?;
    let loaded = Loaded {
        dir: dir.clone(),
        hash: plan::sha256_hex(&bytes),
        plan,
    };
    let mut how = format!(
        "run a shard: chatsim shard {d} --index I   (I from 0 to {last}, or from \
         SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, \
         CHATSIM_SHARD_INDEX)\nthen merge: chatsim merge {d} --out {o}\n",
        d = dir.display(),
        last = shards - 1,
        o = loaded.plan.out.display()
    );
    if flags.emit == Emit::Slurm {
        let exe = std::env::current_exe().context("finding this chatsim binary")?;
        for (name, text, exec) in emit::slurm_scripts(&loaded, &exe) {
            let path = dir.join(name);
            part::write_atomically(&path, text.as_bytes())?;
            if exec {
                set_executable(&path)?;
            }
        }
        how = format!(
            "submit to Slurm: sh {}/submit.sh   (the shards as a job array, the merge after \
             them)\nor {how}",
            dir.display()
        );
    }
    let r0 = loaded.plan.range(0);
    print_out(
        &format!(
            "plan written to {}: chatsim {} over {units} units ({}) in {shards} shards of \
             {}{} units\n{how}",
            dir.display(),
            loaded.plan.work.command(),
            unit_kind(&loaded.plan.work),
            r0.end - r0.start,
            if units.is_multiple_of(u64::from(shards)) {
                String::new()
            } else {
                format!(" or {}", r0.end - r0.start + 1)
            },
        ),
        cancel,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn unit_kind(w: &Planned) -> &'static str {
    match w {
        Planned::Run(_) => "replications",
        Planned::Sweep(_) => "grid points",
        Planned::Staff(_) => "distinct interval loads (rate and AHT)",
    }
}

fn output_of(w: &Planned) -> &super::flags::OutputFlags {
    match w {
        Planned::Run(a) => &a.output,
        Planned::Sweep(a) => &a.output,
        Planned::Staff(a) => &a.output,
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Where a shard index may come from, first found wins after `--index`.
pub const INDEX_VARIABLES: &[&str] = &[
    "CHATSIM_SHARD_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// Options of `chatsim shard`.
#[derive(Args, Debug, Clone)]
pub struct ShardArgs {
    /// The plan directory (from `--plan DIR`).
    pub dir: PathBuf,
    /// The shard to run, from 0; without it, from the environment: CHATSIM_SHARD_INDEX,
    /// SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or
    /// AWS_BATCH_JOB_ARRAY_INDEX, the first set.
    #[arg(long, value_name = "I")]
    pub index: Option<String>,
    /// Worker threads (0 = one per core). The part does not depend on it.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = threads_arg)]
    pub threads: usize,
}

/// The shard index: `--index`, else the first index variable set.
fn shard_index(given: Option<&str>, shards: u32) -> anyhow::Result<u32> {
    let (source, text) = match given {
        Some(t) => ("--index".to_string(), t.to_string()),
        None => INDEX_VARIABLES
            .iter()
            .find_map(|v| std::env::var(v).ok().map(|t| (format!("${v}"), t)))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no shard index: give --index I (0 to {}) or set one of {}",
                    shards - 1,
                    INDEX_VARIABLES.join(", ")
                )
            })?,
    };
    match text.trim().parse::<u32>() {
        Ok(i) if i < shards => Ok(i),
        _ => anyhow::bail!(
            "{source} is \"{text}\": the plan has shards 0 to {}; give one of those",
            shards - 1
        ),
    }
}

/// Runs `chatsim shard`: one shard's units into its part, unless a complete part of
/// this plan is there already (then nothing is run: a retried or requeued task is a
/// no-op).
pub fn shard(args: &ShardArgs, cancel: &'static AtomicBool) -> anyhow::Result<ExitCode> {
    let loaded = plan::read(&args.dir)?;
    let index = shard_index(args.index.as_deref(), loaded.plan.shards)?;
    let parts = loaded.dir.join("parts");
    let path = parts.join(part::part_name(index));
    if path.exists() {
        match read_part(&loaded, &path) {
            Ok(_) => {
                print_out(
                    &format!(
                        "shard {index} of {}: already done ({}); nothing to run\n",
                        loaded.plan.shards,
                        path.display()
                    ),
                    cancel,
                )?;
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => eprintln!("note: {e}; running the shard again"),
        }
    }
    let started = Instant::now();
    let outcome = (|| {
        loaded.plan.check_inputs()?;
        loaded.plan.check_fingerprint()?;
        std::fs::create_dir_all(&parts).with_context(|| format!("creating {}", parts.display()))?;
        let mut writer = PartWriter::create(&loaded, index, &path)?;
        run_units(&loaded, index, args.threads, cancel, &mut |u| {
            writer.unit(&u)
        })?;
        writer.finish()
    })();
    let failed = parts.join(part::failed_name(index));
    match outcome {
        Ok(()) => {
            let _ = std::fs::remove_file(&failed);
            let r = loaded.plan.range(index);
            print_out(
                &format!(
                    "shard {index} of {}: units {}..{} done in {:.1} s → {}\n",
                    loaded.plan.shards,
                    r.start,
                    r.end,
                    started.elapsed().as_secs_f64(),
                    path.display()
                ),
                cancel,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let interrupted = e
                .chain()
                .any(|c| matches!(c.downcast_ref(), Some(SimError::Interrupted)));
            if !interrupted {
                // For `chatsim status`; a part written later wins over it.
                let _ = std::fs::write(&failed, format!("{e:#}\n"));
            }
            Err(e.context(format!("shard {index} of {}", args.dir.display())))
        }
    }
}

/// Runs shard `index`'s units with the planned command's own unit functions, handing
/// each unit's record to `emit` in unit order as soon as it is ready (a replication's
/// interval rows are read back from the scratch spool one replication at a time).
fn run_units(
    loaded: &Loaded,
    index: u32,
    threads: usize,
    cancel: &'static AtomicBool,
    emit: &mut dyn FnMut(UnitRecord) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let r = loaded.plan.range(index);
    let work = loaded.plan.work.with_run_options(threads, None, false);
    match &work {
        Planned::Run(a) => {
            let sc = super::run::scenario_of(a)?;
            let reps = u32::try_from(r.start)?..u32::try_from(r.end)?;
            // A run whose summary merges intervals writes every one to intervals.csv: each
            // replication's rows go through a scratch spool into its unit's data.
            let spool = match crate::metrics::collector::summary_merge(&sc) {
                1 => None,
                _ => Some(IntervalSpool::new(&sc, &loaded.dir).with_context(|| {
                    format!("cannot create a scratch file in {}", loaded.dir.display())
                })?),
            };
            pipeline::replications_figures(
                &sc,
                reps,
                threads,
                cancel,
                spool.as_ref(),
                |rep, f, wall| -> anyhow::Result<()> {
                    let mut data = part::figures(&f);
                    if let Some(spool) = &spool {
                        let rows = spool
                            .read_block(rep)
                            .context("reading back the spooled interval rows")?;
                        data[part::EVERY_INTERVAL] = part::floats(&rows);
                    }
                    emit(UnitRecord {
                        unit: u64::from(rep),
                        wall_secs: wall,
                        data,
                    })
                },
            )?;
        }
        Planned::Sweep(a) => {
            let setup = sweep::setup(a)?;
            let units: Vec<u64> = r.clone().collect();
            pipeline::in_order_streamed(
                threads,
                &units,
                |&unit| -> anyhow::Result<_> {
                    let t = Instant::now();
                    let sc = setup.scenario(unit as usize)?;
                    let f = sweep::point_figures(&sc, cancel)?;
                    Ok((unit, f, t.elapsed().as_secs_f64()))
                },
                |done| -> anyhow::Result<()> {
                    let (unit, figures, wall) = done?;
                    let reps: Vec<_> = figures.iter().map(|(f, _)| part::figures(f)).collect();
                    emit(UnitRecord {
                        unit,
                        wall_secs: wall,
                        data: serde_json::json!({ "replications": reps }),
                    })
                },
            )?;
        }
        Planned::Staff(a) => {
            let setup = staff::setup(a, cancel)?;
            let loads = staff::staff_loads(&setup.sc);
            let t = Instant::now();
            let plans = staff::staff_load_plans(
                &setup.sc,
                &setup.targets,
                &setup.settings,
                &loads[r.start as usize..r.end as usize],
            )?;
            // The searches run in parallel: their wall time is shared out evenly.
            let wall = t.elapsed().as_secs_f64() / plans.len().max(1) as f64;
            for (unit, p) in r.clone().zip(&plans) {
                emit(UnitRecord {
                    unit,
                    wall_secs: wall,
                    data: part::rate_plan(p),
                })?;
            }
        }
    }
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(SimError::Interrupted.into());
    }
    Ok(())
}

/// Options of `chatsim merge`.
#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// The plan directory (from `--plan DIR`).
    pub dir: PathBuf,
    /// Where the results go (default: the plan's, DIR/out unless --out was given with
    /// --plan): exactly the files the single-machine command writes.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing output directory (only one chatsim wrote).
    #[arg(long)]
    pub force: bool,
}

/// What each shard's part is.
enum PartState {
    Done(Part),
    Bad(PartError),
    Failed(String),
    Missing,
}

/// Every shard's part, read and checked; parts that name the same shard are an error.
fn survey(loaded: &Loaded) -> anyhow::Result<Vec<PartState>> {
    let parts = loaded.dir.join("parts");
    let mut found: Vec<Option<Result<Part, PartError>>> =
        (0..loaded.plan.shards).map(|_| None).collect();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&parts)
        .with_context(|| format!("reading {}", parts.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map_or_else(Default::default, |n| n.to_string_lossy());
            name.ends_with(".jsonl") && !name.starts_with('.')
        })
        .collect();
    names.sort();
    let mut states = vec![];
    for path in names {
        let r = read_part(loaded, &path);
        let shard = match &r {
            Ok(p) => Some(p.shard),
            Err(PartError::Truncated { shard, .. } | PartError::Corrupt { shard, .. })
                if *shard < loaded.plan.shards =>
            {
                Some(*shard)
            }
            Err(_) => None,
        };
        let Some(shard) = shard else {
            // A foreign or unreadable file: an error of the merge, whatever its name.
            states.push(r.err().expect("a part without a shard is an error"));
            continue;
        };
        if let Some(first) = &found[shard as usize] {
            let first = match first {
                Ok(p) => p.path.clone(),
                Err(_) => parts.join(part::part_name(shard)),
            };
            anyhow::bail!(
                "{} and {} are both parts of shard {shard}; keep one (remove the other, or \
                 both and run shard {shard} again)",
                first.display(),
                path.display()
            );
        }
        found[shard as usize] = Some(r);
    }
    if let Some(e) = states.into_iter().next() {
        return Err(e.into());
    }
    Ok(found
        .into_iter()
        .enumerate()
        .map(|(i, f)| match f {
            Some(Ok(p)) => PartState::Done(p),
            Some(Err(e)) => PartState::Bad(e),
            None => match std::fs::read_to_string(parts.join(part::failed_name(i as u32))) {
                Ok(why) => PartState::Failed(why.trim().to_string()),
                Err(_) => PartState::Missing,
            },
        })
        .collect())
}

/// The commands that run `shards` again.
fn resubmit(loaded: &Loaded, shards: &[u32]) -> String {
    let spec = array_spec(shards);
    let dir = emit::sh_quote(&loaded.dir);
    let slurm = if loaded.dir.join("submit.sh").exists() {
        format!(
            "  Slurm: sbatch --array={spec} {dir}/shard.sbatch   (or, with the merge after \
             them: ARRAY={spec} sh {dir}/submit.sh)\n"
        )
    } else {
        String::new()
    };
    format!(
        "{slurm}  by hand: for i in {}; do chatsim shard {dir} --index $i; done\n",
        shards
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// Runs `chatsim merge`: every part read and checked, then the single-machine command's
/// summary and report over the units in unit order.
pub fn merge(args: &MergeArgs, cancel: &'static AtomicBool) -> anyhow::Result<ExitCode> {
    let loaded = plan::read(&args.dir)?;
    let states = survey(&loaded)?;
    let mut parts = Vec::with_capacity(states.len());
    let mut missing = vec![];
    for (i, s) in states.into_iter().enumerate() {
        match s {
            PartState::Done(p) => parts.push(p),
            PartState::Bad(e) => return Err(e.into()),
            PartState::Failed(_) | PartState::Missing => missing.push(i as u32),
        }
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "no part for shard{} {} of {} ({}); run {} again, then merge:\n{}",
            if missing.len() == 1 { "" } else { "s" },
            array_spec(&missing),
            loaded.plan.shards,
            loaded
                .dir
                .join("parts")
                .join(part::part_name(missing[0]))
                .display(),
            if missing.len() == 1 { "it" } else { "them" },
            resubmit(&loaded, &missing).trim_end()
        );
    }
    loaded.plan.check_inputs()?;
    loaded.plan.check_fingerprint()?;
    let out = match &args.out {
        Some(o) => o.clone(),
        None => loaded.plan.out.clone(),
    };
    let work = loaded.plan.work.with_run_options(0, Some(out), args.force);
    let bad = |p: &Part, unit: u64| {
        anyhow::anyhow!(
            "{}: the data of unit {unit} do not fit the plan's {} (another scenario or \
             chatsim?); run shard {} again",
            p.path.display(),
            loaded.plan.work.command(),
            p.shard
        )
    };
    // Every unit of every part, in unit order, read again one at a time (the survey read
    // them to check the parts; holding them all would take memory in proportion to the
    // units and, for a long run, to its intervals).
    let each_unit = |f: &mut dyn FnMut(&Part, UnitRecord) -> anyhow::Result<()>| {
        parts
            .iter()
            .try_for_each(|p| visit_units(&loaded, &p.path, &mut |u| f(p, u)).map(|_| ()))
    };
    match &work {
        Planned::Run(a) => {
            let sc = super::run::scenario_of(a)?;
            let mut summary = Summarizer::new(&sc);
            // Every interval's rows, from the parts, for intervals.csv (as `run` spools them).
            let spool = match &a.output.out {
                Some(out) => super::run::spool_beside(&sc, out)?,
                None => None,
            };
            if let Some(spool) = &spool {
                summary = summary.with_spool(Arc::clone(spool));
            }
            let mut wall = 0.0;
            each_unit(&mut |p, u| {
                let f = part::unfigures(&u.data)
                    .filter(|f| summary.fits(f))
                    .ok_or_else(|| bad(p, u.unit))?;
                if let Some(spool) = &spool {
                    let rows = u
                        .data
                        .get(part::EVERY_INTERVAL)
                        .and_then(part::unfloats)
                        .filter(|rows| rows.len() == spool.block_len())
                        .ok_or_else(|| bad(p, u.unit))?;
                    let rep = u32::try_from(u.unit).map_err(|_| bad(p, u.unit))?;
                    spool
                        .write_block(rep, &rows)
                        .context("writing the interval rows to a scratch file")?;
                }
                summary.push_figures(&f);
                wall += u.wall_secs;
                Ok(())
            })?;
            let summary = summary.finish(sc.run.seed, wall);
            super::run::report(a, &sc, &summary, cancel)
        }
        Planned::Sweep(a) => {
            let setup = sweep::setup(a)?;
            let mut summaries = Vec::with_capacity(setup.points.len());
            each_unit(&mut |p, u| {
                if summaries.len() >= setup.points.len() {
                    return Err(bad(p, u.unit));
                }
                let sc = &setup.scenario(summaries.len())?;
                let figures = u.data["replications"]
                    .as_array()
                    .and_then(|reps| reps.iter().map(part::unfigures).collect::<Option<Vec<_>>>())
                    .filter(|f| {
                        let s = Summarizer::run_level(sc);
                        f.len() == sc.run.replications as usize && f.iter().all(|f| s.fits(f))
                    })
                    .ok_or_else(|| bad(p, u.unit))?;
                summaries.push(sweep::point_summary(sc, &figures, u.wall_secs));
                Ok(())
            })?;
            let seed = setup.base.run.seed;
            let result = sweep::result(setup, summaries);
            sweep::report(a, seed, &result, cancel)
        }
        Planned::Staff(a) => {
            let setup = staff::setup(a, cancel)?;
            let loads = staff::staff_loads(&setup.sc);
            let mut plans = Vec::with_capacity(loads.len());
            each_unit(&mut |p, u| {
                let load = loads.get(plans.len()).ok_or_else(|| bad(p, u.unit))?;
                let plan = part::unrate_plan(&u.data)
                    .filter(|plan| plan.rate_per_hour.to_bits() == load.rate_per_hour.to_bits())
                    .ok_or_else(|| bad(p, u.unit))?;
                plans.push(plan);
                Ok(())
            })?;
            let intervals = staff::assign_plans(&setup.sc, &loads, &plans);
            staff::report(
                a,
                &setup.sc,
                setup.targets,
                &setup.settings,
                intervals,
                cancel,
            )
        }
    }
}

/// Options of `chatsim status`.
#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    /// The plan directory (from `--plan DIR`).
    pub dir: PathBuf,
}

/// Runs `chatsim status`: the shards done, failed (with why) and missing, and the
/// command that runs only those again. Exit 0 when every shard is done, 1 otherwise.
pub fn status(args: &StatusArgs, cancel: &AtomicBool) -> anyhow::Result<ExitCode> {
    let loaded = plan::read(&args.dir)?;
    let states = survey(&loaded)?;
    let (mut done, mut failed, mut missing) = (vec![], vec![], vec![]);
    let mut notes = String::new();
    for (i, s) in states.iter().enumerate() {
        let i = i as u32;
        match s {
            PartState::Done(_) => done.push(i),
            PartState::Failed(why) => {
                failed.push(i);
                notes += &format!("  shard {i} failed: {}\n", why.lines().next().unwrap_or(""));
            }
            PartState::Bad(e) => {
                failed.push(i);
                notes += &format!("  shard {i}: {e}\n");
            }
            PartState::Missing => missing.push(i),
        }
    }
    let list = |v: &[u32]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            format!("{} ({})", array_spec(v), v.len())
        }
    };
    let mut text = format!(
        "plan {}: chatsim {}, {} units in {} shards (plan sha256 {}…)\n\
         done:    {}\nfailed:  {}\nmissing: {}\n{notes}",
        loaded.dir.display(),
        loaded.plan.work.command(),
        loaded.plan.units,
        loaded.plan.shards,
        plan::short(&loaded.hash),
        list(&done),
        list(&failed),
        list(&missing),
    );
    let mut again: Vec<u32> = failed.iter().chain(&missing).copied().collect();
    again.sort_unstable();
    if again.is_empty() {
        text += &format!(
            "every shard is done; merge: chatsim merge {} --out {}\n",
            emit::sh_quote(&loaded.dir),
            emit::sh_quote(&loaded.plan.out)
        );
    } else {
        text += &format!("run again:\n{}", resubmit(&loaded, &again));
    }
    print_out(&text, cancel)?;
    Ok(if again.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
