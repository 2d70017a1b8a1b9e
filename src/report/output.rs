//! The output directory, written crash-safe: everything goes into a temporary directory
//! beside the target (`.{name}.tmp-{pid}`, same parent so the final rename cannot cross a
//! file system) and is renamed into place only once complete. A crash leaves the old
//! results untouched and, at worst, a hidden temporary directory.
//!
//! Replacing (`--force`) is: rename the old directory aside (`.{name}.old-{pid}`), rename
//! the new one in, then delete the old one — at every instant one complete result exists.
//!
//! Nothing is deleted that chatsim did not write: every output directory gets a manifest,
//! [`MANIFEST`], listing its files, and `--force` replaces only a directory whose every
//! file is listed in its manifest (or, for directories written before manifests, whose
//! every file has a name chatsim writes, [`is_chatsim_file_name`]); never one holding the
//! current directory or an input of the run ([`protect_input`]).
//!
//! Every check is made by [`check_target`] before any work, and again, under one lock,
//! when the results are written. An interrupt (the cancel flag) is honoured up to the last
//! instant before the results are renamed into place.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use thiserror::Error;

/// The manifest chatsim writes into every output directory: a comment line, then the
/// relative path of every file it wrote, one per line.
pub const MANIFEST: &str = ".chatsim-output";

const MANIFEST_HEADER: &str =
    "# Written by chatsim: these files are its output; `--force` may replace this directory.";

/// The names of files chatsim writes, for output directories written before manifests
/// existed (such as a committed report): a directory with no manifest whose every entry
/// is one of these files may be replaced by `--force`.
pub const KNOWN_FILE_NAMES: &[&str] = &[
    "summary.json",
    "intervals.csv",
    "agents.csv",
    "groups.csv",
    "scenario.resolved.toml",
    "seed.txt",
    "report.html",
    "report.xlsx",
    "staffing.csv",
    "staffing.svg",
    "sweep.csv",
];

/// Name shapes (prefix, suffix) of the plots and heat maps chatsim writes.
const KNOWN_FILE_SHAPES: &[(&str, &str)] = &[("plot_", ".svg"), ("heatmap_", ".svg")];

/// Whether chatsim writes files of this name (see [`KNOWN_FILE_NAMES`]).
pub fn is_chatsim_file_name(name: &str) -> bool {
    KNOWN_FILE_NAMES.contains(&name)
        || KNOWN_FILE_SHAPES.iter().any(|(prefix, suffix)| {
            name.len() > prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
                && !name.contains('/')
        })
}

/// Why the output directory could not be written.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The target exists and `force` was not given.
    #[error("output directory {} already exists; use --force to replace it", .path.display())]
    Exists { path: PathBuf },
    /// The target is a file (or other non-directory).
    #[error("output path {} is a file, not a directory; choose another output path or remove the file", .path.display())]
    NotADirectory { path: PathBuf },
    /// The target is a symbolic link (to a directory, a file, or nothing).
    #[error(
        "output path {} is a symbolic link to {}{}; give the real directory's path, or remove the link",
        .path.display(), .to.display(), if *.dangling { ", which does not exist" } else { "" }
    )]
    Symlink {
        path: PathBuf,
        to: PathBuf,
        dangling: bool,
    },
    /// The target path ends in `/`, `..` or nothing.
    #[error("output path {} has no directory name; give a path such as results/run1", .path.display())]
    NoName { path: PathBuf },
    /// An ancestor of the target is a file.
    #[error("cannot create output directory {}: {} is not a directory", .path.display(), .blocker.display())]
    ParentNotADirectory { path: PathBuf, blocker: PathBuf },
    /// Nothing may be created where the target would go (read-only, no permission, a
    /// pseudo file system).
    #[error(
        "cannot write output directory {}: cannot create anything in {}: {error}; choose another output path, or make {} writable",
        .path.display(), .dir.display(), .dir.display()
    )]
    Unwritable {
        path: PathBuf,
        dir: PathBuf,
        error: io::Error,
    },
    /// `--force` would delete the current directory or an input of the run.
    #[error(
        "refusing to replace output directory {}: it holds {what} {}; --force never deletes that, so choose another output path",
        .path.display(), .holds.display()
    )]
    Protected {
        path: PathBuf,
        what: &'static str,
        holds: PathBuf,
    },
    /// `--force` would delete files chatsim did not write.
    #[error(
        "refusing to replace output directory {}: it holds files chatsim did not write ({}); --force replaces only chatsim's own results (docs/outputs.md), so move those files out or choose another output path",
        .path.display(), .strangers.join(", ")
    )]
    NotChatsims {
        path: PathBuf,
        strangers: Vec<String>,
    },
    /// The target of a single output file exists and `force` was not given.
    #[error("output file {} already exists; use --force to replace it", .path.display())]
    FileExists { path: PathBuf },
    /// The target of a single output file is a directory.
    #[error("output file {} is a directory; give a file name, such as {}/day.csv", .path.display(), .path.display())]
    FileIsADirectory { path: PathBuf },
    /// The target of a single output file is an input of the run.
    #[error("refusing to replace {}: it is an input of this run; choose another output file", .path.display())]
    FileIsInput { path: PathBuf },
    /// A file name would escape the output directory.
    #[error("output file name {name:?} is not a plain relative path inside the output directory")]
    BadFileName { name: String },
    /// The cancel flag was set (SIGINT/SIGTERM): nothing was written.
    #[error("interrupted before the results were written")]
    Interrupted,
    /// Standard output could not be written (other than a closed pipe).
    #[error("cannot write to standard output: {0}")]
    Stdout(io::Error),
    /// A file-system call failed. The OS error is in the message itself, not a `source`,
    /// so that an error chain (`{err:#}`) does not print it twice.
    #[error("cannot {action} {}: {error}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    /// The new results are in place but the old directory could not be deleted.
    #[error(
        "the new results are in {}, but the old ones, moved to {}, could not be removed: {error}; delete that directory by hand",
        .target.display(), .old.display()
    )]
    OldNotRemoved {
        target: PathBuf,
        old: PathBuf,
        error: io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |error| OutputError::Io {
        action,
        path,
        error,
    }
}

// ----- process-wide state: the lock, the commit, the protected inputs ---------------------

/// Held while an output directory is being probed or written: the interrupt handler takes
/// it before ending the process, so it never ends one half-way (a temporary directory
/// left, a probe not removed).
static OUTPUT_LOCK: Mutex<()> = Mutex::new(());
/// Set once a result has been renamed into place.
static COMMITTED: AtomicBool = AtomicBool::new(false);
/// Inputs of this run (canonical paths) that `--force` must never delete.
static INPUTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Waits for any output directory being written to be complete (or cleaned up), and
/// keeps others from starting while the guard lives.
pub fn output_lock() -> MutexGuard<'static, ()> {
    OUTPUT_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether this process has put a result in place.
pub fn committed() -> bool {
    COMMITTED.load(Ordering::SeqCst)
}

/// Prints `text` on standard output (made safe for a terminal by
/// [`text::terminal`](super::text::terminal)): the one way results reach stdout. Once
/// `cancel` is set, nothing more is printed unless a result was already put in place
/// ([`OutputError::Interrupted`]). A closed stdout (`chatsim … | head -1`) ends the
/// process quietly, as SIGPIPE would where it could not be restored.
pub fn print_out(text: &str, cancel: &AtomicBool) -> Result<(), OutputError> {
    use std::io::Write;
    if cancel.load(Ordering::SeqCst) && !committed() {
        return Err(OutputError::Interrupted);
    }
    let mut out = io::stdout().lock();
    match out
        .write_all(super::text::terminal(text).as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(141),
        Err(e) => Err(OutputError::Stdout(e)),
    }
}

/// Records `path` as an input of this run: `--force` will refuse to replace a directory
/// holding it. Paths that do not exist are ignored.
pub fn protect_input(path: &Path) {
    if let Ok(canonical) = fs::canonicalize(path) {
        let mut inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
        if !inputs.contains(&canonical) {
            inputs.push(canonical);
        }
    }
}

fn protected_inputs() -> Vec<PathBuf> {
    INPUTS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

// ----- checks ------------------------------------------------------------------------------

/// The target's parent (`.` for a bare name) and its final name.
fn split(target: &Path) -> Result<(PathBuf, String), OutputError> {
    let name = match target.components().next_back() {
        Some(Component::Normal(n)) => n.to_string_lossy().into_owned(),
        _ => {
            return Err(OutputError::NoName {
                path: target.to_path_buf(),
            })
        }
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// Checks, before a run, that its results could be written to `target`:
///
/// - it is not a symbolic link, a file, or (without `force`) an existing directory;
/// - with `force`, an existing directory is chatsim's to replace: it holds neither the
///   current directory nor an input of the run, and only files chatsim wrote;
/// - its nearest existing ancestor is a directory in which entries may be created (probed
///   by creating and removing a hidden directory there; missing parents are created when
///   the results are written).
///
/// Cheap: call it before simulating. [`write_outputs`] checks it all again.
pub fn check_target(target: &Path, force: bool) -> Result<(), OutputError> {
    let _lock = output_lock();
    check_target_locked(target, force)
}

fn check_target_locked(target: &Path, force: bool) -> Result<(), OutputError> {
    let (parent, name) = split(target)?;
    match fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => {
            let to = fs::read_link(target).unwrap_or_default();
            return Err(OutputError::Symlink {
                path: target.to_path_buf(),
                dangling: fs::metadata(target).is_err(),
                to,
            });
        }
        Ok(m) if !m.is_dir() => {
            return Err(OutputError::NotADirectory {
                path: target.to_path_buf(),
            })
        }
        Ok(_) if !force => {
            return Err(OutputError::Exists {
                path: target.to_path_buf(),
            })
        }
        Ok(_) => check_replaceable(target, &name)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        // E.g. "not a directory" when an ancestor is a file: reported below.
        Err(_) => {}
    }
    let ancestor = nearest_existing_ancestor(target, &parent)?;
    probe(target, &ancestor, &name)
}

/// The nearest existing ancestor of `target` (starting at its parent), which must be a
/// directory.
fn nearest_existing_ancestor(target: &Path, parent: &Path) -> Result<PathBuf, OutputError> {
    let mut ancestor = parent.to_path_buf();
    loop {
        match fs::metadata(&ancestor) {
            Ok(m) if m.is_dir() => return Ok(ancestor),
            Ok(_) => {
                return Err(OutputError::ParentNotADirectory {
                    path: target.to_path_buf(),
                    blocker: ancestor,
                })
            }
            Err(error) => match ancestor.parent() {
                Some(p) if !p.as_os_str().is_empty() => ancestor = p.to_path_buf(),
                _ if ancestor.is_relative() && ancestor != Path::new(".") => {
                    ancestor = PathBuf::from(".")
                }
                _ => return Err(io_err("look up", &ancestor)(error)),
            },
        }
    }
}

/// Creates and removes a hidden directory in `dir`: can entries be made there?
fn probe(target: &Path, dir: &Path, name: &str) -> Result<(), OutputError> {
    let probe = dir.join(format!(".{name}.probe-{}", std::process::id()));
    match fs::create_dir(&probe) {
        Ok(()) => {
            let _ = fs::remove_dir(&probe);
            Ok(())
        }
        Err(error) => Err(OutputError::Unwritable {
            path: target.to_path_buf(),
            dir: dir.to_path_buf(),
            error,
        }),
    }
}

/// Whether `--force` may replace the existing directory `target`.
fn check_replaceable(target: &Path, name: &str) -> Result<(), OutputError> {
    let canonical = fs::canonicalize(target).map_err(io_err("look up", target))?;
    let protected = |holds: PathBuf, what: &'static str| OutputError::Protected {
        path: target.to_path_buf(),
        what,
        holds,
    };
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = fs::canonicalize(&cwd).unwrap_or(cwd);
        if cwd.starts_with(&canonical) {
            return Err(protected(cwd, "the current directory"));
        }
    }
    for input in protected_inputs() {
        if input.starts_with(&canonical) {
            return Err(protected(input, "an input of this run,"));
        }
    }
    let strangers = strangers(target)?;
    if !strangers.is_empty() {
        return Err(OutputError::NotChatsims {
            path: target.to_path_buf(),
            strangers,
        });
    }
    // The old files are deleted once the new ones are in: that needs write access here.
    probe(target, target, name)
}

/// At most this many entries not chatsim's are named in a refusal.
const STRANGERS_SHOWN: usize = 5;

/// The entries of `dir` chatsim did not write (relative paths, at most
/// [`STRANGERS_SHOWN`] and an ellipsis): with a manifest, every entry not listed in it;
/// without, every entry that is not a plain file with a name chatsim writes.
fn strangers(dir: &Path) -> Result<Vec<String>, OutputError> {
    let manifest = dir.join(MANIFEST);
    let listed: Option<Vec<String>> = match fs::symlink_metadata(&manifest) {
        Ok(m) if m.is_file() => {
            let text = fs::read_to_string(&manifest).map_err(io_err("read", &manifest))?;
            Some(
                text.lines()
                    .map(str::trim_end)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from)
                    .collect(),
            )
        }
        _ => None,
    };
    let mut found = vec![];
    walk(dir, "", listed.as_deref(), &mut found)?;
    Ok(found)
}

fn walk(
    dir: &Path,
    prefix: &str,
    listed: Option<&[String]>,
    found: &mut Vec<String>,
) -> Result<(), OutputError> {
    let entries = fs::read_dir(dir).map_err(io_err("list", dir))?;
    let mut names: Vec<(String, fs::FileType)> = vec![];
    for entry in entries {
        let entry = entry.map_err(io_err("list", dir))?;
        let ty = entry.file_type().map_err(io_err("list", dir))?;
        names.push((entry.file_name().to_string_lossy().into_owned(), ty));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, ty) in names {
        if found.len() > STRANGERS_SHOWN {
            break;
        }
        let rel = format!("{prefix}{name}");
        let ours = match listed {
            _ if rel == MANIFEST && ty.is_file() => true,
            Some(list) if ty.is_file() => list.contains(&rel),
            Some(list) if ty.is_dir() => {
                let sub = format!("{rel}/");
                if list.iter().any(|l| l.starts_with(&sub)) {
                    walk(&dir.join(&name), &sub, listed, found)?;
                    true
                } else {
                    false
                }
            }
            None => ty.is_file() && is_chatsim_file_name(&rel),
            _ => false,
        };
        if !ours {
            found.push(if ty.is_dir() { format!("{rel}/") } else { rel });
        }
    }
    if found.len() > STRANGERS_SHOWN {
        found.truncate(STRANGERS_SHOWN);
        found.push("…".to_string());
    }
    Ok(())
}

/// A file name as a safe relative path (no root, no `..`, not empty, no control
/// character: it is listed on a line of the manifest).
fn relative(name: &str) -> Result<&Path, OutputError> {
    let p = Path::new(name);
    let plain = !name.is_empty()
        && !name.chars().any(char::is_control)
        && name != MANIFEST
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(p)
    } else {
        Err(OutputError::BadFileName {
            name: name.to_string(),
        })
    }
}

/// The bytes a file is written with: SVG and HTML documents with any control or
/// bidirectional character shown as an escape, JSON with them as `\uXXXX` (the last guard
/// of `report::text`, whichever writer made the file; a no-op on the writers' own output).
fn guarded<'a>(name: &str, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
    use crate::report::text;
    use std::borrow::Cow;
    let Ok(s) = std::str::from_utf8(bytes) else {
        return Cow::Borrowed(bytes);
    };
    let fixed = if name.ends_with(".svg") || name.ends_with(".html") {
        text::markup_document(s)
    } else if name.ends_with(".json") {
        text::json_ascii_controls(s)
    } else {
        return Cow::Borrowed(bytes);
    };
    match fixed {
        Cow::Borrowed(_) => Cow::Borrowed(bytes),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// What writes a streamed file's bytes into it as it goes (`Send`: the workbook's writer
/// asks for it).
pub type WriteFn<'a> = dyn Fn(&mut (dyn io::Write + Send)) -> io::Result<()> + 'a;

/// What makes a file's bytes when the file is written.
pub type MakeFn<'a> = dyn Fn() -> io::Result<Vec<u8>> + 'a;

/// A file of an output directory: its bytes, a function that makes them when the file is
/// written, or one that writes them to the file as it goes. The documents of a run
/// (summary, page, workbook) are made one at a time as they are written, never all held
/// together: a run's output costs the largest of them, not their sum.
pub enum Body<'a> {
    Bytes(Vec<u8>),
    /// Made when written, dropped once written (and checked, as bytes are, by
    /// [`guarded`]).
    Later(Box<MakeFn<'a>>),
    /// Written as it goes: a long run's `intervals.csv`, `summary.json`, the workbook.
    Stream(Box<WriteFn<'a>>),
}

impl Body<'_> {
    /// The bytes, made or streamed into memory.
    pub fn into_bytes(self) -> io::Result<Vec<u8>> {
        match self {
            Body::Bytes(bytes) => Ok(bytes),
            Body::Later(make) => make(),
            Body::Stream(write) => {
                let mut bytes = Vec::new();
                write(&mut bytes)?;
                Ok(bytes)
            }
        }
    }
}

/// What [`write_all`] writes: borrowed bytes, bytes made then, or a stream.
enum Entry<'a> {
    Bytes(&'a [u8]),
    Later(&'a MakeFn<'a>),
    Stream(&'a WriteFn<'a>),
}

fn write_all(dir: &Path, files: &[(&str, Entry)], cancel: &AtomicBool) -> Result<(), OutputError> {
    let mut manifest = format!("{MANIFEST_HEADER}\n");
    for (name, body) in files {
        let name = *name;
        if cancel.load(Ordering::SeqCst) {
            return Err(OutputError::Interrupted);
        }
        let path = dir.join(relative(name)?);
        if let Some(sub) = path.parent().filter(|p| *p != dir) {
            fs::create_dir_all(sub).map_err(io_err("create directory", sub))?;
        }
        match body {
            Entry::Bytes(bytes) => {
                fs::write(&path, guarded(name, bytes)).map_err(io_err("write", &path))?
            }
            Entry::Later(make) => {
                let bytes = make().map_err(io_err("write", &path))?;
                fs::write(&path, guarded(name, &bytes)).map_err(io_err("write", &path))?
            }
            Entry::Stream(write) => {
                let file = fs::File::create(&path).map_err(io_err("write", &path))?;
                let mut out = io::BufWriter::new(file);
                write(&mut out)
                    .and_then(|()| io::Write::flush(&mut out))
                    .map_err(io_err("write", &path))?;
            }
        }
        manifest.push_str(name);
        manifest.push('\n');
    }
    let path = dir.join(MANIFEST);
    fs::write(&path, manifest).map_err(io_err("write", &path))
}

/// Creates the missing ancestors of `dir`, returning those it created, outermost first.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let mut missing = vec![];
    let mut d = dir;
    while !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) => d = p,
            None => break,
        }
    }
    missing.reverse();
    for (i, m) in missing.iter().enumerate() {
        if let Err(e) = fs::create_dir(m) {
            if e.kind() != io::ErrorKind::AlreadyExists {
                remove_created(&missing[..i]);
                return Err(io_err("create directory", m)(e));
            }
        }
    }
    Ok(missing)
}

/// Removes directories [`create_parents`] made, innermost first, if still empty.
fn remove_created(created: &[PathBuf]) {
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// Writes `files` (name relative to the directory, bytes) as the directory `target`,
/// with its [`MANIFEST`].
///
/// Without `force` an existing target is an error and is never touched; with `force`
/// the old directory is replaced only once the new one is complete, and only if it is
/// chatsim's (see [`check_target`]). A missing parent is created. A target that is a file
/// or a symbolic link is an error either way. When `cancel` is set (SIGINT/SIGTERM, for
/// the binary) before the results are renamed into place, everything written is removed
/// and the result is [`OutputError::Interrupted`].
pub fn write_outputs(
    target: &Path,
    force: bool,
    files: &[(String, Vec<u8>)],
    cancel: &AtomicBool,
) -> Result<(), OutputError> {
    let entries: Vec<(&str, Entry)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), Entry::Bytes(bytes)))
        .collect();
    write_entries(target, force, &entries, cancel)
}

/// [`write_outputs`] of files some of which are made or streamed as they are written
/// ([`Body::Later`], [`Body::Stream`]): each is written straight into the temporary
/// directory, with the same guarantees.
pub fn write_output_bodies(
    target: &Path,
    force: bool,
    files: &[(String, Body)],
    cancel: &AtomicBool,
) -> Result<(), OutputError> {
    let entries: Vec<(&str, Entry)> = files
        .iter()
        .map(|(name, body)| {
            let entry = match body {
                Body::Bytes(bytes) => Entry::Bytes(bytes),
                Body::Later(make) => Entry::Later(make.as_ref()),
                Body::Stream(write) => Entry::Stream(write.as_ref()),
            };
            (name.as_str(), entry)
        })
        .collect();
    write_entries(target, force, &entries, cancel)
}

fn write_entries(
    target: &Path,
    force: bool,
    files: &[(&str, Entry)],
    cancel: &AtomicBool,
) -> Result<(), OutputError> {
    let _lock = output_lock();
    if cancel.load(Ordering::SeqCst) {
        return Err(OutputError::Interrupted);
    }
    check_target_locked(target, force)?;
    let (parent, name) = split(target)?;
    let created = create_parents(&parent)?;
    let fail = |tmp: Option<&Path>, e: OutputError| -> Result<(), OutputError> {
        if let Some(tmp) = tmp {
            let _ = fs::remove_dir_all(tmp);
        }
        remove_created(&created);
        Err(e)
    };
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    if fs::symlink_metadata(&tmp).is_ok() {
        // Left by an earlier process with our pid that crashed: ours to clear.
        if let Err(e) = fs::remove_dir_all(&tmp) {
            return fail(None, io_err("remove stale temporary directory", &tmp)(e));
        }
    }
    if let Err(e) = fs::create_dir(&tmp) {
        return fail(None, io_err("create temporary directory", &tmp)(e));
    }
    if let Err(e) = write_all(&tmp, files, cancel) {
        return fail(Some(&tmp), e);
    }
    // The last instant an interrupt can still stop the results from appearing.
    if cancel.load(Ordering::SeqCst) {
        return fail(Some(&tmp), OutputError::Interrupted);
    }

    let existing = fs::symlink_metadata(target).ok();
    match existing {
        None => {
            if let Err(e) = fs::rename(&tmp, target) {
                return fail(
                    Some(&tmp),
                    OutputError::Io {
                        action: "move results into",
                        path: target.to_path_buf(),
                        error: e,
                    },
                );
            }
            COMMITTED.store(true, Ordering::SeqCst);
            Ok(())
        }
        // Appeared while we wrote: still never touched.
        Some(_) => {
            if let Err(e) = check_target_locked(target, force) {
                return fail(Some(&tmp), e);
            }
            let old = parent.join(format!(".{name}.old-{pid}"));
            if fs::symlink_metadata(&old).is_ok() {
                if let Err(e) = fs::remove_dir_all(&old) {
                    return fail(Some(&tmp), io_err("remove stale directory", &old)(e));
                }
            }
            if let Err(e) = fs::rename(target, &old) {
                return fail(
                    Some(&tmp),
                    OutputError::Io {
                        action: "move the old results aside from",
                        path: target.to_path_buf(),
                        error: e,
                    },
                );
            }
            if let Err(e) = fs::rename(&tmp, target) {
                // Put the old results back; the new ones stay in the temporary directory.
                let _ = fs::rename(&old, target);
                return fail(
                    Some(&tmp),
                    OutputError::Io {
                        action: "move results into",
                        path: target.to_path_buf(),
                        error: e,
                    },
                );
            }
            COMMITTED.store(true, Ordering::SeqCst);
            fs::remove_dir_all(&old).map_err(|error| OutputError::OldNotRemoved {
                target: target.to_path_buf(),
                old: old.clone(),
                error,
            })
        }
    }
}

/// Writes one file, `target`, whole or not at all: the bytes go to a hidden temporary
/// file beside it (`.{name}.tmp-{pid}`) that is renamed over it once complete (a crash
/// leaves any old file untouched). For a single output named on the command line (`run
/// --event-log FILE`). An existing file is replaced only with `force`, and never when it
/// is an input of the run ([`protect_input`]); a directory or a symbolic link is an
/// error. A missing parent directory is created. When `cancel` is set before the rename,
/// nothing is left behind and the result is [`OutputError::Interrupted`].
pub fn write_file(
    target: &Path,
    force: bool,
    bytes: &[u8],
    cancel: &AtomicBool,
) -> Result<(), OutputError> {
    let _lock = output_lock();
    if cancel.load(Ordering::SeqCst) {
        return Err(OutputError::Interrupted);
    }
    let (parent, name) = split(target)?;
    match fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(OutputError::Symlink {
                path: target.to_path_buf(),
                dangling: fs::metadata(target).is_err(),
                to: fs::read_link(target).unwrap_or_default(),
            })
        }
        Ok(m) if m.is_dir() => {
            return Err(OutputError::FileIsADirectory {
                path: target.to_path_buf(),
            })
        }
        Ok(_) if !force => {
            return Err(OutputError::FileExists {
                path: target.to_path_buf(),
            })
        }
        Ok(_) => {
            let canonical = fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
            if protected_inputs().contains(&canonical) {
                return Err(OutputError::FileIsInput {
                    path: target.to_path_buf(),
                });
            }
        }
        Err(_) => {}
    }
    let created = create_parents(&parent)?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let fail = |e: OutputError| {
        let _ = fs::remove_file(&tmp);
        remove_created(&created);
        Err(e)
    };
    if let Err(e) = fs::write(&tmp, bytes) {
        return fail(io_err("write", &tmp)(e));
    }
    if cancel.load(Ordering::SeqCst) {
        return fail(OutputError::Interrupted);
    }
    if let Err(e) = fs::rename(&tmp, target) {
        return fail(io_err("move the finished file to", target)(e));
    }
    COMMITTED.store(true, Ordering::SeqCst);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cancel flag nothing sets.
    static NEVER: AtomicBool = AtomicBool::new(false);

    fn files(tag: &str) -> Vec<(String, Vec<u8>)> {
        vec![
            (
                "summary.json".to_string(),
                format!("{{\"tag\":\"{tag}\"}}\n").into_bytes(),
            ),
            ("plots/a.svg".to_string(), b"<svg/>".to_vec()),
        ]
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_a_new_directory_and_leaves_no_temporary() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("deep/er/run1");
        write_outputs(&target, false, &files("a"), &NEVER).unwrap();
        assert_eq!(
            fs::read(target.join("summary.json")).unwrap(),
            b"{\"tag\":\"a\"}\n"
        );
        assert_eq!(fs::read(target.join("plots/a.svg")).unwrap(), b"<svg/>");
        assert_eq!(entries(&root.path().join("deep/er")), vec!["run1"]);
    }

    #[test]
    fn never_clobbers_without_force() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        write_outputs(&target, false, &files("old"), &NEVER).unwrap();
        let err = write_outputs(&target, false, &files("new"), &NEVER).unwrap_err();
        assert!(matches!(err, OutputError::Exists { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("use --force to replace it") && msg.contains("run"),
            "{msg}"
        );
        assert!(check_target(&target, false).is_err());
        assert_eq!(
            fs::read(target.join("summary.json")).unwrap(),
            b"{\"tag\":\"old\"}\n"
        );
        assert_eq!(entries(root.path()), vec!["run"]);
    }

    #[test]
    fn force_replaces_completely() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        let mut old = files("old");
        old.push(("seed.txt".to_string(), b"1\n".to_vec()));
        write_outputs(&target, false, &old, &NEVER).unwrap();
        assert_eq!(
            fs::read_to_string(target.join(MANIFEST)).unwrap(),
            format!("{MANIFEST_HEADER}\nsummary.json\nplots/a.svg\nseed.txt\n")
        );
        check_target(&target, true).unwrap();
        write_outputs(&target, true, &files("new"), &NEVER).unwrap();
        assert_eq!(
            fs::read(target.join("summary.json")).unwrap(),
            b"{\"tag\":\"new\"}\n"
        );
        assert!(
            !target.join("seed.txt").exists(),
            "the old directory is replaced, not merged"
        );
        assert_eq!(entries(root.path()), vec!["run"]);
    }

    #[test]
    fn force_never_deletes_files_chatsim_did_not_write() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        write_outputs(&target, false, &files("old"), &NEVER).unwrap();
        fs::write(target.join("notes.txt"), b"mine").unwrap();
        fs::create_dir(target.join("data")).unwrap();
        fs::write(target.join("plots/extra.svg"), b"mine too").unwrap();
        for attempt in [
            check_target(&target, true),
            write_outputs(&target, true, &files("new"), &NEVER),
        ] {
            let err = attempt.unwrap_err();
            assert!(matches!(err, OutputError::NotChatsims { .. }), "{err}");
            let msg = err.to_string();
            for want in [
                "data/",
                "notes.txt",
                "plots/extra.svg",
                "choose another output path",
            ] {
                assert!(msg.contains(want), "{want}: {msg}");
            }
        }
        assert_eq!(fs::read(target.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(
            fs::read(target.join("summary.json")).unwrap(),
            b"{\"tag\":\"old\"}\n"
        );
        assert_eq!(entries(root.path()), vec!["run"]);
    }

    #[test]
    fn a_directory_without_manifest_is_replaced_only_if_all_its_files_are_chatsims() {
        let root = tempfile::tempdir().unwrap();
        // A report written before manifests existed (e.g. the committed reports/default).
        let legacy = root.path().join("legacy");
        fs::create_dir(&legacy).unwrap();
        for name in [
            "summary.json",
            "plot_service_level.svg",
            "report.html",
            "sweep.csv",
        ] {
            fs::write(legacy.join(name), b"x").unwrap();
        }
        write_outputs(&legacy, true, &files("new"), &NEVER).unwrap();
        assert!(legacy.join(MANIFEST).is_file());
        assert!(!legacy.join("report.html").exists());
        // An empty directory holds nothing to lose.
        let empty = root.path().join("empty");
        fs::create_dir(&empty).unwrap();
        check_target(&empty, true).unwrap();
        // Anything else is somebody's.
        for (what, make) in [
            ("a stranger file", "scenario.toml"),
            ("a subdirectory", "plots/"),
            ("a hidden file", ".keep"),
        ] {
            let dir = root.path().join("mixed");
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir(&dir).unwrap();
            fs::write(dir.join("summary.json"), b"x").unwrap();
            match make.strip_suffix('/') {
                Some(sub) => fs::create_dir(dir.join(sub)).unwrap(),
                None => fs::write(dir.join(make), b"x").unwrap(),
            }
            let err = check_target(&dir, true).unwrap_err();
            assert!(
                matches!(err, OutputError::NotChatsims { .. }),
                "{what}: {err}"
            );
        }
    }

    #[test]
    fn force_never_replaces_a_directory_holding_an_input() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("desk");
        write_outputs(&target, false, &files("old"), &NEVER).unwrap();
        // An input inside the target (the resolved scenario of an earlier run, say).
        protect_input(&target.join("summary.json"));
        let err = check_target(&target, true).unwrap_err();
        assert!(matches!(err, OutputError::Protected { .. }), "{err}");
        assert!(err.to_string().contains("an input of this run"), "{err}");
        // The parent of the target holds it too.
        let err = check_target(root.path(), true).unwrap_err();
        assert!(matches!(err, OutputError::Protected { .. }), "{err}");
    }

    #[test]
    fn symlinks_are_refused_before_any_work() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        write_outputs(&real, false, &files("old"), &NEVER).unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let dangling = root.path().join("dangling");
        std::os::unix::fs::symlink(root.path().join("nowhere"), &dangling).unwrap();
        for (path, is_dangling) in [(&link, false), (&dangling, true)] {
            for force in [false, true] {
                let err = check_target(path, force).unwrap_err();
                match &err {
                    OutputError::Symlink { dangling, .. } => assert_eq!(*dangling, is_dangling),
                    _ => panic!("{err}"),
                }
                let msg = err.to_string();
                assert!(msg.contains("is a symbolic link to"), "{msg}");
                assert!(write_outputs(path, force, &files("new"), &NEVER).is_err());
            }
        }
        assert_eq!(
            fs::read(real.join("summary.json")).unwrap(),
            b"{\"tag\":\"old\"}\n"
        );
        assert_eq!(entries(root.path()), vec!["dangling", "link", "real"]);
    }

    #[test]
    fn an_uncreatable_place_is_refused_before_any_work() {
        // Nobody, root included, may create a directory in /proc; a missing parent below
        // it is refused too (it used to be found only when writing, after the run).
        if !Path::new("/proc/self").exists() {
            return;
        }
        for target in ["/proc/chatsim-out", "/proc/chatsim-missing/deeper/out"] {
            let err = check_target(Path::new(target), false).unwrap_err();
            assert!(
                matches!(err, OutputError::Unwritable { .. }),
                "{target}: {err}"
            );
            assert!(
                err.to_string().contains("choose another output path"),
                "{err}"
            );
        }
    }

    #[test]
    fn an_interrupt_writes_nothing_and_removes_created_parents() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("a/b/run");
        let cancel = AtomicBool::new(true);
        let err = write_outputs(&target, false, &files("x"), &cancel).unwrap_err();
        assert!(matches!(err, OutputError::Interrupted));
        assert!(entries(root.path()).is_empty());
        // A failure half-way also removes the parents it created.
        let cancel = AtomicBool::new(false);
        let bad = vec![
            ("summary.json".to_string(), vec![]),
            ("../escape".to_string(), vec![]),
        ];
        assert!(write_outputs(&target, false, &bad, &cancel).is_err());
        assert!(
            entries(root.path()).is_empty(),
            "{:?}",
            entries(root.path())
        );
    }

    #[test]
    fn svg_html_and_json_files_are_guarded_whichever_writer_made_them() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        let hostile = "\u{1b}[31m\u{7}\u{202e}";
        let files = vec![
            (
                "a.svg".to_string(),
                format!("<svg><text>{hostile}</text></svg>").into_bytes(),
            ),
            (
                "a.html".to_string(),
                format!("<p>{hostile}</p>").into_bytes(),
            ),
            ("a.json".to_string(), serde_json::to_vec(&hostile).unwrap()),
            ("a.csv".to_string(), hostile.as_bytes().to_vec()),
        ];
        write_outputs(&target, false, &files, &NEVER).unwrap();
        let read = |n: &str| fs::read_to_string(target.join(n)).unwrap();
        assert_eq!(
            read("a.svg"),
            "<svg><text>\\u{1b}[31m\\u{7}\\u{202e}</text></svg>"
        );
        assert_eq!(read("a.html"), "<p>\\u{1b}[31m\\u{7}\\u{202e}</p>");
        let json: String = serde_json::from_str(&read("a.json")).unwrap();
        assert_eq!(json, hostile);
        assert!(!read("a.json").contains('\u{202e}'));
        assert_eq!(read("a.csv"), hostile, "CSV keeps the exact text");
    }

    #[test]
    fn chatsim_file_names() {
        for ours in [
            "summary.json",
            "plot_x.svg",
            "heatmap_service_level.svg",
            "staffing.svg",
        ] {
            assert!(is_chatsim_file_name(ours), "{ours}");
        }
        for theirs in [
            "plot_.svg",
            "notes.txt",
            "default.toml",
            "a/summary.json",
            "heatmap_x.csv",
        ] {
            assert!(!is_chatsim_file_name(theirs), "{theirs}");
        }
    }

    #[test]
    fn a_file_target_is_an_error_even_with_force() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("results");
        fs::write(&target, b"keep me").unwrap();
        for force in [false, true] {
            let err = check_target(&target, force).unwrap_err();
            assert!(matches!(err, OutputError::NotADirectory { .. }), "{err}");
            assert!(write_outputs(&target, force, &files("x"), &NEVER).is_err());
        }
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert_eq!(entries(root.path()), vec!["results"]);
    }

    #[test]
    fn a_file_in_the_way_of_the_parent_is_reported() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("blocker"), b"").unwrap();
        let err = check_target(&root.path().join("blocker/sub/run"), false).unwrap_err();
        assert!(
            matches!(err, OutputError::ParentNotADirectory { .. }),
            "{err}"
        );
    }

    #[test]
    fn bad_file_names_are_refused_and_cleaned_up() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        for bad in ["../escape.txt", "/abs.txt", "", "a\nb", MANIFEST] {
            let err =
                write_outputs(&target, false, &[(bad.to_string(), vec![])], &NEVER).unwrap_err();
            assert!(
                matches!(err, OutputError::BadFileName { .. }),
                "{bad}: {err}"
            );
        }
        assert!(
            entries(root.path()).is_empty(),
            "{:?}",
            entries(root.path())
        );
    }

    #[test]
    fn a_target_without_a_name_is_refused() {
        assert!(matches!(
            check_target(Path::new("/"), false),
            Err(OutputError::NoName { .. })
        ));
        assert!(matches!(
            check_target(Path::new("a/.."), false),
            Err(OutputError::NoName { .. })
        ));
    }
}
