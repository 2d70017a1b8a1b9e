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

/// The file of module `path` under `root` (`a/b.rs` or `a/b/mod.rs`; `lib.rs` for the
/// crate itself), if there is one.
fn module_file(root: &Path, path: &[String]) -> Option<PathBuf> {
    if path.is_empty() {
        return Some(root.join("lib.rs"));
    }
    let dir: PathBuf = path.iter().collect();
    [
        root.join(&dir).with_extension("rs"),
        root.join(&dir).join("mod.rs"),
    ]
    .into_iter()
    .find(|f| f.is_file())
}

/// The module path of `file` under `root`: `tools/shard/mod.rs` is `[tools, shard]`.
fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut path: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        path.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        path.pop();
    }
    path
}

/// A path's segments from the start of `s` (`a::b::c`, stopping before a `{` group),
/// and the group's text if one follows (`a::{b, c::d}` gives `[a]` and `b, c::d`).
fn path_at(s: &str) -> (Vec<String>, Option<&str>) {
    let mut segments = vec![];
    let mut rest = s;
    loop {
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segments.push(rest[..len].to_string());
        match rest[len..].strip_prefix("::") {
            Some(next) => rest = next.trim_start(),
            None => return (segments, None),
        }
    }
    let group = rest.strip_prefix('{').map(|g| {
        let mut depth = 0;
        let end = g
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '{' => 1,
                    '}' => -1,
                    _ => 0,
                };
                depth < 0
            })
            .map_or(g.len(), |(i, _)| i);
        &g[..end]
    });
    (segments, group)
}

/// The paths named after `crate::`, `super::` (any number) or `self::` on a code line,
/// made absolute from `here` (the file's module path); a `{…}` group gives each of its
/// members.
fn named_paths(line: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![];
    for (at, _) in line.char_indices() {
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // inside a word or a longer path
        }
        let mut base = here.to_vec();
        let mut rest = &line[at..];
        if let Some(r) = rest.strip_prefix("crate::") {
            base.clear();
            rest = r;
        } else if rest.starts_with("super::") || rest.starts_with("self::") {
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            rest = rest.strip_prefix("self::").unwrap_or(rest);
        } else {
            continue;
        }
        let (prefix, group) = path_at(rest);
        base.extend(prefix);
        match group {
            Some(members) => {
                for m in members.split(',') {
                    let mut p = base.clone();
                    p.extend(path_at(m.trim()).0);
                    out.push(p);
                }
            }
            None => out.push(base),
        }
    }
    out
}

/// File-to-file imports inside one crate (`root` = its `src`), the module that declares a
/// file and the file itself counting as one: an edge between a file and its own ancestor
/// module's file is left out (a parent re-exports its children, and they use its items).
/// An inline test module is left out.
fn file_edges(root: &Path) -> std::collections::BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = vec![];
    rust_files(root, &mut files);
    let mut graph = std::collections::BTreeMap::new();
    for f in files {
        let here = module_path(root, &f);
        let ancestors: Vec<PathBuf> = (0..here.len())
            .filter_map(|k| module_file(root, &here[..k]))
            .collect();
        let text = std::fs::read_to_string(&f).unwrap();
        let mut to = BTreeSet::new();
        let lines: Vec<&str> = code_lines(&text).collect();
        // The inline test module, `#[cfg(test)]` then `mod tests {`, ends the code read.
        let end = lines
            .windows(2)
            .position(|w| {
                w[0].trim() == "#[cfg(test)]"
                    && w[1].trim_end().ends_with('{')
                    && w[1].contains("mod ")
            })
            .unwrap_or(lines.len());
        for line in &lines[..end] {
            for path in named_paths(line, &here) {
                // The longest prefix of the path that is a module with a file.
                let target = (0..=path.len())
                    .rev()
                    .find_map(|k| module_file(root, &path[..k]));
                let Some(t) = target else { continue };
                let descends = module_path(root, &t).starts_with(&here);
                if t != f && !ancestors.contains(&t) && !descends {
                    to.insert(t);
                }
            }
        }
        graph.insert(f, to);
    }
    graph
}

/// The import circles of `graph`: its strongly connected parts of more than one file.
fn circles<N: Ord + Clone>(graph: &std::collections::BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    // Two files are in one circle when each reaches the other.
    let reach = |from: &N| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for m in graph.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: std::collections::BTreeMap<N, BTreeSet<N>> =
        graph.keys().map(|n| (n.clone(), reach(n))).collect();
    let mut out: Vec<Vec<N>> = vec![];
    for (n, r) in &reaches {
        if out.iter().any(|c| c.contains(n)) {
            continue;
        }
        let circle: Vec<N> = reaches
            .iter()
            .filter(|(m, mr)| *m == n || (r.contains(*m) && mr.contains(n)))
            .map(|(m, _)| m.clone())
            .collect();
        if circle.len() > 1 {
            out.push(circle);
        }
    }
    out
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    for root in [base.join("src"), base.join("crates/chatsim-engine/src")] {
        let graph = file_edges(&root);
        let found = circles(&graph);
        let shown: Vec<String> = found
            .iter()
            .map(|c| {
                c.iter()
                    .map(|f| f.strip_prefix(base).unwrap().display().to_string())
                    .collect::<Vec<_>>()
                    .join(" <-> ")
            })
            .collect();
        assert!(
            found.is_empty(),
            "import circles (move what both use to a lower file, or the call up a floor):\n{}",
            shown.join("\n")
        );
    }
}

#[test]
fn the_circle_check_sees_circles_and_the_edges_it_reads() {
    // It can fail: a -> b -> c -> a is one circle, d -> a none.
    let g: std::collections::BTreeMap<&str, BTreeSet<&str>> = [
        ("a", ["b"].into()),
        ("b", ["c"].into()),
        ("c", ["a"].into()),
        ("d", ["a"].into()),
    ]
    .into();
    assert_eq!(circles(&g), vec![vec!["a", "b", "c"]]);
    // The paths a line names, made absolute from the file's module.
    let here = ["tools".to_string(), "run".to_string()];
    let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        named_paths("use super::flags::{OutputFlags, PlanFlags};", &here),
        vec![
            p(&["tools", "flags", "OutputFlags"]),
            p(&["tools", "flags", "PlanFlags"])
        ]
    );
    assert_eq!(
        named_paths(
            "let x = crate::report::text::clip(s, 3); super::super::cli::go()",
            &here
        ),
        vec![p(&["report", "text", "clip"]), p(&["cli", "go"])]
    );
    assert_eq!(
        named_paths("use super::{interrupt_point, Limits};", &here),
        vec![p(&["tools", "interrupt_point"]), p(&["tools", "Limits"])]
    );
    // And it reads this code base: the shard module uses the run command's file.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = file_edges(&root);
    assert!(graph[&root.join("tools/shard/mod.rs")].contains(&root.join("tools/run.rs")));
}
