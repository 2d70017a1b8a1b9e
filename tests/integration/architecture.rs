//! The house rules of docs/architecture.md, checked on the source: every top-level module
//! of `chatsim` uses only modules on a lower floor (so there is no import circle and no
//! back edge), and the engine crate has no clock, randomness, I/O or dependency on the rest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The floor of each top-level module: a module may use `crate::<m>` only for modules on
/// a strictly lower floor. Modules on one floor may not use each other.
const FLOORS: &[(&str, u32)] = &[
    ("engine", 0),
    ("time", 0),
    ("math", 1),
    ("csv_line", 1),
    ("clock", 1),
    ("suggest", 1),
    ("catalogue", 1),
    ("dist", 2),
    ("target", 2),
    ("scenario", 3),
    ("sim", 4),
    ("metrics", 5),
    ("plan", 6),
    ("report", 7),
    ("pipeline", 7),
    ("tools", 8),
    ("bench", 8),
    ("cli", 9),
];

fn floor(module: &str) -> Option<u32> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|&(_, f)| f)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc links to a higher module are words, not
/// dependencies).
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// Every `(from, to)` edge: a file under `src/<from>` (or `src/<from>.rs`) naming
/// `crate::<to>`.
fn edges() -> BTreeSet<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&root, &mut files);
    let mut edges = BTreeSet::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let from = first.trim_end_matches(".rs").to_string();
        if from == "lib" || from == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for line in code_lines(&text) {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let to: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if to != from && !to.is_empty() {
                    edges.insert((from.clone(), to, rel.display().to_string()));
                }
            }
        }
    }
    edges
}

#[test]
fn every_module_uses_only_lower_floors() {
    let mut wrong = vec![];
    for (from, to, file) in edges() {
        let (Some(a), Some(b)) = (floor(&from), floor(&to)) else {
            wrong.push(format!(
                "{file}: {from} -> {to}: a module not in FLOORS (add it to docs/architecture.md and here)"
            ));
            continue;
        };
        if b >= a {
            wrong.push(format!("{file}: {from} (floor {a}) uses {to} (floor {b})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "edges against docs/architecture.md:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_rule_catches_an_upward_edge() {
    // The check itself must be able to fail: the floors put sim below metrics, so an edge
    // sim -> metrics is refused, and metrics -> sim allowed.
    assert!(floor("metrics").unwrap() > floor("sim").unwrap());
    assert!(floor("cli").unwrap() > floor("tools").unwrap());
    assert_eq!(
        floor("report"),
        floor("pipeline"),
        "neither may use the other"
    );
    assert!(edges().iter().any(|(f, t, _)| f == "metrics" && t == "sim"));
}

#[test]
fn the_engine_crate_has_no_clock_randomness_io_or_upward_dependency() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/chatsim-engine");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    for line in deps.lines().filter(|l| l.contains('=')) {
        let name = line.split('=').next().unwrap().trim();
        assert!(
            ["serde", "serde_json", "thiserror"].contains(&name),
            "the engine crate depends on {name}: it must stay free of the simulator, \
             clocks, randomness and I/O"
        );
    }
    let mut files = vec![];
    rust_files(&root.join("src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in code_lines(&text).enumerate() {
            for banned in [
                "std::time",
                "Instant::",
                "SystemTime",
                "std::fs",
                "std::io",
                "std::net",
                "std::thread",
                "rand::",
                "chatsim::",
            ] {
                assert!(
                    !line.contains(banned),
                    "{}: code line {} uses {banned}: the engine takes `now` and returns \
                     events, nothing else",
                    f.display(),
                    i + 1
                );
            }
        }
    }
}
