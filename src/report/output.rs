//! The output directory, written crash-safe: everything goes into a temporary directory
//! beside the target (`.{name}.tmp-{pid}`, same parent so the final rename cannot cross a
//! file system) and is renamed into place only once complete. A crash leaves the old
//! results untouched and, at worst, a hidden temporary directory.
//!
//! Replacing (`--force`) is: rename the old directory aside (`.{name}.old-{pid}`), rename
//! the new one in, then delete the old one — at every instant one complete result exists.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use thiserror::Error;

/// Why the output directory could not be written.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The target exists and `force` was not given.
    #[error("output directory {} already exists; use --force to replace it", .path.display())]
    Exists { path: PathBuf },
    /// The target is a file (or other non-directory).
    #[error("output path {} is a file, not a directory; choose another output path or remove the file", .path.display())]
    NotADirectory { path: PathBuf },
    /// The target path ends in `/`, `..` or nothing.
    #[error("output path {} has no directory name; give a path such as results/run1", .path.display())]
    NoName { path: PathBuf },
    /// An ancestor of the target is a file.
    #[error("cannot create output directory {}: {} is not a directory", .path.display(), .blocker.display())]
    ParentNotADirectory { path: PathBuf, blocker: PathBuf },
    /// A file name would escape the output directory.
    #[error("output file name {name:?} is not a plain relative path inside the output directory")]
    BadFileName { name: String },
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

/// Checks, before a run, that its results could be written to `target`: it must not be
/// a file, must not exist unless `force`, and its nearest existing ancestor must be a
/// directory in which we may create entries (probed by creating and removing a hidden
/// directory when the parent exists). Cheap: call it before simulating.
pub fn check_target(target: &Path, force: bool) -> Result<(), OutputError> {
    let (parent, name) = split(target)?;
    match fs::metadata(target) {
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
        _ => {}
    }
    // The nearest existing ancestor must be a directory.
    let mut ancestor = parent.as_path();
    loop {
        match fs::metadata(ancestor) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(OutputError::ParentNotADirectory {
                    path: target.to_path_buf(),
                    blocker: ancestor.to_path_buf(),
                })
            }
            Err(_) => match ancestor.parent() {
                Some(p) if !p.as_os_str().is_empty() => ancestor = p,
                _ => break,
            },
        }
    }
    if ancestor == parent {
        let probe = parent.join(format!(".{name}.probe-{}", std::process::id()));
        fs::create_dir(&probe).map_err(io_err("create a directory in", &parent))?;
        let _ = fs::remove_dir(&probe);
    }
    Ok(())
}

/// A file name as a safe relative path (no root, no `..`, not empty).
fn relative(name: &str) -> Result<&Path, OutputError> {
    let p = Path::new(name);
    let plain = !name.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if plain {
        Ok(p)
    } else {
        Err(OutputError::BadFileName {
            name: name.to_string(),
        })
    }
}

fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), OutputError> {
    for (name, bytes) in files {
        let path = dir.join(relative(name)?);
        if let Some(sub) = path.parent().filter(|p| *p != dir) {
            fs::create_dir_all(sub).map_err(io_err("create directory", sub))?;
        }
        fs::write(&path, bytes).map_err(io_err("write", &path))?;
    }
    Ok(())
}

/// Writes `files` (name relative to the directory, bytes) as the directory `target`.
///
/// Without `force` an existing target is an error and is never touched; with `force`
/// the old directory is replaced only once the new one is complete. A missing parent is
/// created. A target that is a file is an error either way.
pub fn write_outputs(
    target: &Path,
    force: bool,
    files: &[(String, Vec<u8>)],
) -> Result<(), OutputError> {
    check_target(target, force)?;
    let (parent, name) = split(target)?;
    fs::create_dir_all(&parent).map_err(io_err("create directory", &parent))?;
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    if tmp.exists() {
        // Left by an earlier process with our pid that crashed: ours to clear.
        fs::remove_dir_all(&tmp).map_err(io_err("remove stale temporary directory", &tmp))?;
    }
    fs::create_dir(&tmp).map_err(io_err("create temporary directory", &tmp))?;
    if let Err(e) = write_all(&tmp, files) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }

    let existing = fs::symlink_metadata(target).ok();
    match existing {
        None => {
            if let Err(e) = fs::rename(&tmp, target) {
                let _ = fs::remove_dir_all(&tmp);
                return Err(OutputError::Io {
                    action: "move results into",
                    path: target.to_path_buf(),
                    error: e,
                });
            }
            Ok(())
        }
        Some(m) if !m.is_dir() => {
            let _ = fs::remove_dir_all(&tmp);
            Err(OutputError::NotADirectory {
                path: target.to_path_buf(),
            })
        }
        Some(_) if !force => {
            // Appeared while we wrote: still never touched.
            let _ = fs::remove_dir_all(&tmp);
            Err(OutputError::Exists {
                path: target.to_path_buf(),
            })
        }
        Some(_) => {
            let old = parent.join(format!(".{name}.old-{pid}"));
            if old.exists() {
                fs::remove_dir_all(&old).map_err(io_err("remove stale directory", &old))?;
            }
            if let Err(e) = fs::rename(target, &old) {
                let _ = fs::remove_dir_all(&tmp);
                return Err(OutputError::Io {
                    action: "move the old results aside from",
                    path: target.to_path_buf(),
                    error: e,
                });
            }
            if let Err(e) = fs::rename(&tmp, target) {
                // Put the old results back; the new ones stay in the temporary directory.
                let _ = fs::rename(&old, target);
                let _ = fs::remove_dir_all(&tmp);
                return Err(OutputError::Io {
                    action: "move results into",
                    path: target.to_path_buf(),
                    error: e,
                });
            }
            fs::remove_dir_all(&old).map_err(|error| OutputError::OldNotRemoved {
                target: target.to_path_buf(),
                old: old.clone(),
                error,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        write_outputs(&target, false, &files("a")).unwrap();
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
        write_outputs(&target, false, &files("old")).unwrap();
        let err = write_outputs(&target, false, &files("new")).unwrap_err();
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
        write_outputs(&target, false, &files("old")).unwrap();
        fs::write(target.join("stale.txt"), b"x").unwrap();
        check_target(&target, true).unwrap();
        write_outputs(&target, true, &files("new")).unwrap();
        assert_eq!(
            fs::read(target.join("summary.json")).unwrap(),
            b"{\"tag\":\"new\"}\n"
        );
        assert!(
            !target.join("stale.txt").exists(),
            "the old directory is replaced, not merged"
        );
        assert_eq!(entries(root.path()), vec!["run"]);
    }

    #[test]
    fn a_file_target_is_an_error_even_with_force() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("results");
        fs::write(&target, b"keep me").unwrap();
        for force in [false, true] {
            let err = check_target(&target, force).unwrap_err();
            assert!(matches!(err, OutputError::NotADirectory { .. }), "{err}");
            assert!(write_outputs(&target, force, &files("x")).is_err());
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
        for bad in ["../escape.txt", "/abs.txt", ""] {
            let err = write_outputs(&target, false, &[(bad.to_string(), vec![])]).unwrap_err();
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
