//! House rules over the workspace's own source, checked on every `.rs` file (walked from the
//! repository root, `target/` and hidden directories skipped): the file opens with a `//!` line
//! saying what it owns, and it stays within 500 lines (past that it holds two concepts).

use std::path::{Path, PathBuf};

/// The most lines one source file may have.
const FILE_LINES_MAX: usize = 500;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace root")
        .to_owned()
}

/// Every `.rs` file under `dir`, skipping `target/` and hidden directories.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if !name.starts_with('.') && name != "target" {
                rust_files(&entry.path(), files)?;
            }
        } else if file_type.is_file() && name.ends_with(".rs") {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// Each source file, relative to the workspace root, with its text.
fn sources() -> anyhow::Result<Vec<(String, String)>> {
    let root = workspace_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files)?;
    files.sort();
    assert!(!files.is_empty(), "no .rs file under {}", root.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            Ok((path.strip_prefix(&root)?.display().to_string(), text))
        })
        .collect()
}

#[test]
fn every_rust_file_opens_with_a_line_saying_what_it_owns() -> anyhow::Result<()> {
    let offending: Vec<String> = sources()?
        .into_iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(file, text)| format!("{file}: first line {:?}", text.lines().next().unwrap_or("")))
        .collect();
    assert!(
        offending.is_empty(),
        "{} files do not open with a `//!` line saying what they own:\n{}",
        offending.len(),
        offending.join("\n")
    );
    Ok(())
}

#[test]
fn no_rust_file_passes_500_lines() -> anyhow::Result<()> {
    let offending: Vec<String> = sources()?
        .into_iter()
        .map(|(file, text)| (file, text.lines().count()))
        .filter(|(_, n_lines)| *n_lines > FILE_LINES_MAX)
        .map(|(file, n_lines)| format!("{file}: {n_lines} lines"))
        .collect();
    assert!(
        offending.is_empty(),
        "{} files pass {FILE_LINES_MAX} lines (split each by concept):\n{}",
        offending.len(),
        offending.join("\n")
    );
    Ok(())
}
