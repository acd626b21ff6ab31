//! `branch-node bundle export`'s files on disk: the backlog's bundles written each atomically
//! (a temp file beside the target, synced, then renamed), one file at `--out`, or numbered files
//! in sequence order when the backlog takes several bundles.

use crate::bundle_export::{BundleBound, BundleFile};
use crate::ledger::Ledger;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes the bundles of `ledger`'s backlog: one file at `file`, or when the backlog takes
/// several, `file` numbered in sequence order; prints one line per file.
pub(crate) fn export_bundle_files(
    ledger: &Ledger,
    file: &Path,
    bound: BundleBound,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut written: Vec<(PathBuf, BundleFile)> = Vec::new();
    ledger.export_bundles(bound, |mut bundle| {
        let path = numbered_path(file, written.len() + 1);
        write_atomically(&path, &bundle.bytes)?;
        bundle.bytes = Vec::new();
        written.push((path, bundle));
        Ok::<(), anyhow::Error>(())
    })?;
    if let [(only, _)] = written.as_mut_slice() {
        std::fs::rename(&*only, file).with_context(|| format!("renaming into {}", file.display()))?;
        *only = file.to_owned();
    }
    for (path, bundle) in &written {
        writeln!(
            out,
            "exported {} entries (epoch {}, seq {}..{}) to {}",
            bundle.entries,
            bundle.epoch,
            bundle.first_seq,
            bundle.last_seq,
            path.display()
        )?;
    }
    Ok(())
}

/// `sz.bundle` numbered 3: `sz.0003.bundle` (`sz` alone: `sz.0003`).
fn numbered_path(file: &Path, number: usize) -> PathBuf {
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    let name = match file.extension() {
        Some(extension) => format!("{stem}.{number:04}.{}", extension.to_string_lossy()),
        None => format!("{stem}.{number:04}"),
    };
    file.with_file_name(name)
}

/// Writes `bytes` to a temp file beside `path`, syncs it, then renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let file_name = path.file_name().context("--out needs a file name")?;
    let temp_path = path.with_file_name(format!(".{}.partial", file_name.to_string_lossy()));
    let mut file =
        std::fs::File::create(&temp_path).with_context(|| format!("creating {}", temp_path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temp_path.display()))?;
    std::fs::rename(&temp_path, path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}
