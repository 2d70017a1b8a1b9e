//! Submit scripts written next to a plan (`--emit`): for Slurm, a job array of the shards
//! and a merge job that runs once every shard succeeded (`afterok`).

use super::plan::Loaded;
use std::fmt::Write as _;
use std::path::Path;

/// A path quoted for sh.
pub fn sh_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Ranges of indices as Slurm's `--array` writes them: `2,5-7,9`.
pub fn array_spec(indices: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        let mut end = start;
        while i + 1 < indices.len() && indices[i + 1] == end + 1 {
            i += 1;
            end = indices[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            let _ = write!(out, "{start}");
        } else {
            let _ = write!(out, "{start}-{end}");
        }
        i += 1;
    }
    out
}

/// The Slurm scripts of a plan: `(file name, content, executable)`.
pub fn slurm_scripts(plan: &Loaded, chatsim: &Path) -> Vec<(&'static str, String, bool)> {
    let dir = sh_quote(&plan.dir);
    let bin = sh_quote(chatsim);
    let out = sh_quote(&plan.plan.out);
    let n = plan.plan.shards;
    let shard = format!(
        "#!/bin/sh\n\
         # One shard of the chatsim plan in this directory: Slurm runs it once per array index.\n\
         #SBATCH --job-name=chatsim-shard\n\
         #SBATCH --output={logs}/shard-%a.out\n\
         #SBATCH --cpus-per-task=1\n\
         CHATSIM=${{CHATSIM:-}}; [ -n \"$CHATSIM\" ] || CHATSIM={bin}\n\
         exec \"$CHATSIM\" shard {dir} --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
        logs = plan.dir.join("logs").display(),
    );
    let merge = format!(
        "#!/bin/sh\n\
         # The merge of the chatsim plan in this directory: the files the single-machine\n\
         # command writes, into {out}.\n\
         #SBATCH --job-name=chatsim-merge\n\
         #SBATCH --output={logs}/merge.out\n\
         CHATSIM=${{CHATSIM:-}}; [ -n \"$CHATSIM\" ] || CHATSIM={bin}\n\
         exec \"$CHATSIM\" merge {dir} --out {out} --force\n",
        logs = plan.dir.join("logs").display(),
    );
    let submit = format!(
        "#!/bin/sh\n\
         # Submits the {n} shards of this chatsim plan as a Slurm job array, and the merge\n\
         # as a job that starts when every shard has succeeded. ARRAY=2,5-7 sh submit.sh\n\
         # submits only those shards (what `chatsim status` prints) and the merge again.\n\
         # Extra arguments go to both sbatch calls (e.g. --partition=batch).\n\
         set -eu\n\
         jid=$(sbatch --parsable --array=\"${{ARRAY:-0-{last}}}\" \"$@\" {dir}/shard.sbatch)\n\
         jid=${{jid%%;*}}\n\
         mid=$(sbatch --parsable --dependency=afterok:\"$jid\" --kill-on-invalid-dep=yes \"$@\" {dir}/merge.sbatch)\n\
         echo \"shards: job $jid, merge: job ${{mid%%;*}} (after every shard succeeded)\"\n",
        last = n - 1,
    );
    vec![
        ("shard.sbatch", shard, true),
        ("merge.sbatch", merge, true),
        ("submit.sh", submit, true),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_specs_join_runs() {
        assert_eq!(array_spec(&[]), "");
        assert_eq!(array_spec(&[17]), "17");
        assert_eq!(array_spec(&[0, 1, 2, 3]), "0-3");
        assert_eq!(
            array_spec(&[17, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260]),
            "17,250-260"
        );
        assert_eq!(array_spec(&[1, 3, 4, 6]), "1,3-4,6");
    }

    #[test]
    fn paths_are_quoted_for_sh() {
        assert_eq!(sh_quote(Path::new("/a b/c")), "'/a b/c'");
        assert_eq!(sh_quote(Path::new("/it's")), r"'/it'\''s'");
    }
}
