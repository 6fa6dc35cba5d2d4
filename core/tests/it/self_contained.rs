//! The repository must be self-contained: a plain clone builds and tests without any
//! folder beside it. This walks every file of the repository (outside build output) and
//! fails on a reference to the `shared` reading folder, on a Rust `include_*!` whose path
//! leaves the repository, and on a Cargo `path = ".."` dependency outside it.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// Directories that are build output or tool state, not repository content.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "target",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    "node_modules",
];

fn repo_root() -> PathBuf {
    let core = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = core.parent().expect("core/ has a parent").to_path_buf();
    assert!(root.join("Cargo.toml").is_file(), "{}", root.display());
    root
}

/// Every UTF-8 text file under `dir` (binary files cannot hold a path we would follow).
fn text_files(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type().unwrap();
        if SKIPPED_DIRS.contains(&name.as_ref()) {
            continue;
        }
        if kind.is_dir() {
            text_files(&path, out);
        } else if kind.is_file()
            && let Ok(text) = fs::read_to_string(&path)
        {
            out.push((path, text));
        }
    }
}

/// `a/b/../c` -> `a/c` without touching the file system (the target may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The string literal right after `start` (whitespace allowed before the quote).
fn literal_after(text: &str, start: usize) -> Option<&str> {
    let rest = text[start..].trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// Paths named by `include_str!` / `include_bytes!` / `include!` in Rust source.
fn rust_includes(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for mac in ["include_str!(", "include_bytes!(", "include!("] {
        for (at, _) in text.match_indices(mac) {
            if let Some(p) = literal_after(text, at + mac.len()) {
                found.push(p);
            }
        }
    }
    found
}

/// Paths of `path = "..."` entries in a Cargo manifest.
fn cargo_paths(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("path") {
        let before = text[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            continue;
        }
        let rest = text[at + 4..].trim_start();
        if let Some(rest) = rest.strip_prefix('=')
            && let Some(p) = literal_after(rest, 0)
        {
            found.push(p);
        }
    }
    found
}

fn problems_in(root: &Path, files: &[(PathBuf, String)]) -> Vec<String> {
    // Built at run time so that this file does not name them itself.
    let needles = [
        format!("..{}shared", '/'),
        format!("/work{}shared", '/'),
        format!("shared{}fixtures", '/'),
        format!("shared{}spec", '/'),
    ];
    let mut problems = Vec::new();
    for (path, text) in files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        for needle in &needles {
            if text.contains(needle.as_str()) {
                problems.push(format!("{rel}: refers to `{needle}`"));
            }
        }
        let dir = path.parent().unwrap();
        let targets: Vec<&str> = match path.extension().and_then(|e| e.to_str()) {
            Some("rs") => rust_includes(text),
            Some("toml") => cargo_paths(text),
            _ => Vec::new(),
        };
        for target in targets {
            let resolved = normalize(&dir.join(target));
            if !resolved.starts_with(root) {
                problems.push(format!(
                    "{rel}: `{target}` leaves the repository ({})",
                    resolved.display()
                ));
            }
        }
    }
    problems
}

#[test]
fn no_file_refers_to_anything_outside_the_repository() {
    let root = normalize(&repo_root());
    let mut files = Vec::new();
    text_files(&root, &mut files);
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with("core/src/topology/mod.rs")),
        "the walk did not reach the sources"
    );
    let problems = problems_in(&root, &files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_catches_escaping_paths() {
    let root = PathBuf::from("/repo");
    let file = |p: &str, t: &str| (root.join(p), t.to_string());
    let files = vec![
        file(
            "core/src/a.rs",
            &format!("include_str!(\n  \"../../..{}shared/x.json\")", '/'),
        ),
        file(
            "core/tests/b.rs",
            "include_bytes!(\"../../../outside.bin\")",
        ),
        file("core/tests/ok.rs", "include_str!(\"../fixtures/x.json\")"),
        file("cli/Cargo.toml", "dep = { path = \"../../elsewhere\" }"),
        file("cli/Cargo.toml", "dep = { path = \"../lua\" }"),
    ];
    let problems = problems_in(&root, &files);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems.iter().any(|p| p.starts_with("core/tests/b.rs")));
    assert!(problems.iter().any(|p| p.contains("elsewhere")));
    assert!(!problems.iter().any(|p| p.starts_with("core/tests/ok.rs")));
}
