//! `chatsim completions SHELL` and `chatsim manpage`: what a shell and `man` need to know
//! of the command line. Both are generated from the parser itself (the
//! [`clap::Command`] the caller passes in, `cli`'s), so they can never disagree with it:
//! `clap_complete` writes the completion script, `clap_mangen` the roff pages.

use crate::report::output::{check_target, print_out, write_outputs};
use anyhow::Context;
use clap::Args;
use clap_complete::Shell;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Options of `chatsim completions`.
#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    chatsim completions bash > ~/.local/share/bash-completion/completions/chatsim\n  \
    chatsim completions zsh > ~/.zfunc/_chatsim      # with fpath+=(~/.zfunc) in ~/.zshrc\n  \
    chatsim completions fish > ~/.config/fish/completions/chatsim.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Options of `chatsim manpage`.
#[derive(Args, Debug, Clone)]
#[command(after_help = "Examples:\n  \
    chatsim manpage | man -l -            # read chatsim(1) now\n  \
    chatsim manpage --out man/man1        # chatsim.1, chatsim-run.1, ...\n  \
    MANPATH=$PWD/man: man chatsim-sweep   # read a page from there")]
pub struct ManpageArgs {
    /// Write chatsim.1 and one page per command (chatsim-run.1, chatsim-check.1, …) into
    /// this directory (a new one; with --force one chatsim wrote). Without it, chatsim.1
    /// is printed on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an existing output directory (only one chatsim wrote).
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// The completion script of `cmd` for `shell`.
pub fn completion_script(mut cmd: clap::Command, shell: Shell) -> String {
    let name = cmd.get_name().to_owned();
    let mut bytes = vec![];
    clap_complete::generate(shell, &mut cmd, name, &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The man pages of `cmd`: its own first (`chatsim.1`), then one per subcommand in
/// definition order (`chatsim-run.1`, …), each as (file name, roff bytes).
pub fn man_pages(cmd: clap::Command) -> Vec<(String, Vec<u8>)> {
    let mut cmd = cmd.disable_help_subcommand(true);
    // Built, so that each subcommand knows its full name (`chatsim-run`).
    cmd.build();
    let mut pages = vec![man_page(cmd.clone())];
    pages.extend(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| man_page(s.clone())),
    );
    pages
}

fn man_page(cmd: clap::Command) -> (String, Vec<u8>) {
    let man = clap_mangen::Man::new(cmd);
    let mut bytes = vec![];
    man.render(&mut bytes)
        .expect("rendering into memory cannot fail");
    (man.get_filename(), bytes)
}

/// Runs `chatsim completions`: the script on stdout.
pub fn completions(
    cmd: clap::Command,
    args: &CompletionsArgs,
    cancel: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    print_out(&completion_script(cmd, args.shell), cancel)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `chatsim manpage`: every page into `--out`, or `chatsim.1` on stdout.
pub fn manpage(
    cmd: clap::Command,
    args: &ManpageArgs,
    cancel: &AtomicBool,
) -> anyhow::Result<ExitCode> {
    let pages = man_pages(cmd);
    match &args.out {
        Some(out) => {
            check_target(out, args.force)?;
            write_outputs(out, args.force, &pages, cancel)
                .with_context(|| format!("writing the man pages to {}", out.display()))?;
            let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
            print_out(
                &format!(
                    "{} man pages written to {}: {}\n",
                    pages.len(),
                    out.display(),
                    names.join(", ")
                ),
                cancel,
            )?;
        }
        None => print_out(&String::from_utf8_lossy(&pages[0].1), cancel)?,
    }
    Ok(ExitCode::SUCCESS)
}
