//! The watched `inbox_dir`: a template file dropped there is imported into the ledger and a
//! bundle file (`branch-node bundle export`) is uploaded to HQ, then the file is moved to
//! `done/`, or to `rejected/` with a `<name>.reason` file beside it. A bundle that cannot reach
//! HQ (down, or the agent's own credential refused) stays where it is and is tried again, and so
//! does a bundle that starts past what HQ holds (its predecessor has not been dropped yet):
//! bundles are taken in sequence order, by their headers, not their names. A file is taken
//! only once it has settled (size and mtime unchanged across two looks `settle_ms` apart);
//! `*.part` and hidden files are ignored until renamed. notify wakes the scan early; a periodic
//! rescan covers missed events.

use crate::client::{ClientError, Hq};
use crate::ledger_access::{open_shared, run_blocking, LedgerAccessError};
use crate::shutdown::StopSignal;
use branchline_proto::v1::BundleUpload;
use branchline_shared::{decode_container, ContainerError, ContainerHeader, ContainerKind};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("inbox folder {dir}: {source}")]
    Folder { dir: PathBuf, source: std::io::Error },
    #[error("cannot watch inbox folder {dir}: {reason}")]
    Watcher { dir: PathBuf, reason: String },
    #[error("bundle {file} not uploaded yet: {source}")]
    UploadLater { file: PathBuf, source: ClientError },
    #[error("bundle {file} waits for the bundles before it: {message}")]
    WaitsForEarlier { file: PathBuf, message: String },
    #[error("cannot move {file} to {to}: {source}")]
    Move {
        file: PathBuf,
        to: PathBuf,
        source: std::io::Error,
    },
}

/// What happened to one dropped file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Imported {
        file: PathBuf,
        moved_to: PathBuf,
        summary: String,
    },
    Rejected {
        file: PathBuf,
        moved_to: PathBuf,
        reason: String,
    },
}

/// The size and mtime seen at the previous look.
type Look = (u64, Option<SystemTime>);

/// Remembers looks between scans so that a file still being written is left alone.
#[derive(Debug, Default)]
pub struct SettleTracker {
    looks: HashMap<PathBuf, Look>,
}

impl SettleTracker {
    /// Files that look the same as at the previous scan (the caller scans every `settle_ms`).
    pub fn settled_files(&mut self, dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
        let mut seen: HashMap<PathBuf, Look> = HashMap::new();
        let mut settled = Vec::new();
        for item in std::fs::read_dir(dir)? {
            let item = item?;
            let path = item.path();
            let metadata = match item.metadata() {
                Ok(metadata) if metadata.is_file() => metadata,
                _ => continue,
            };
            if !is_candidate(&path) {
                continue;
            }
            let look = (metadata.len(), metadata.modified().ok());
            if self.looks.get(&path) == Some(&look) {
                settled.push(path.clone());
            }
            seen.insert(path, look);
        }
        self.looks = seen;
        settled.sort();
        Ok(settled)
    }

    pub fn forget(&mut self, path: &Path) {
        self.looks.remove(path);
    }
}

fn is_candidate(path: &Path) -> bool {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
    !(name.is_empty() || name.starts_with('.') || name.ends_with(".part") || name.ends_with(".reason"))
}

/// Creates `dir`, `dir/done` and `dir/rejected`.
pub fn prepare_folders(dir: &Path) -> Result<(), WatchError> {
    for folder in [dir.to_owned(), dir.join("done"), dir.join("rejected")] {
        std::fs::create_dir_all(&folder).map_err(|source| WatchError::Folder { dir: folder, source })?;
    }
    Ok(())
}

/// A destination in `folder` that does not overwrite an earlier file of the same name.
fn free_destination(folder: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let candidate = folder.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let mut renamed = name.to_os_string();
    renamed.push(format!(".{stamp}"));
    folder.join(renamed)
}

/// Imports (template) or uploads (bundle) one settled file and moves it aside.
pub async fn import_file(
    ledger_path: &Path,
    hq: &Hq,
    dir: &Path,
    file: &Path,
) -> Result<FileOutcome, WatchError> {
    let name = file.file_name().unwrap_or_default().to_owned();
    let imported: Result<String, String> = match std::fs::read(file) {
        Err(error) => Err(format!("cannot read {}: {error}", file.display())),
        Ok(bytes) => match decode_container(&bytes, ContainerKind::Bundle) {
            Ok(_) => upload_bundle(hq, file, bytes).await?,
            Err(ContainerError::WrongKind { .. }) => import_template(ledger_path, dir, file, bytes).await?,
            Err(error) => Err(format!("{}: {error}", file.display())),
        },
    };
    match imported {
        Ok(summary) => {
            let moved_to = free_destination(&dir.join("done"), &name);
            move_file(file, &moved_to)?;
            tracing::info!(file = %file.display(), to = %moved_to.display(), %summary, "dropped file taken");
            Ok(FileOutcome::Imported {
                file: file.to_owned(),
                moved_to,
                summary,
            })
        }
        Err(reason) => {
            let moved_to = free_destination(&dir.join("rejected"), &name);
            move_file(file, &moved_to)?;
            let mut reason_name = moved_to.file_name().unwrap_or_default().to_os_string();
            reason_name.push(".reason");
            let reason_path = moved_to.with_file_name(&reason_name);
            // Written aside and renamed, so whoever sees the reason file sees all of it.
            reason_name.push(".part");
            let partial_path = moved_to.with_file_name(reason_name);
            std::fs::write(&partial_path, format!("{reason}\n"))
                .and_then(|()| std::fs::rename(&partial_path, &reason_path))
                .map_err(|source| WatchError::Move {
                    file: file.to_owned(),
                    to: reason_path.clone(),
                    source,
                })?;
            tracing::warn!(file = %file.display(), to = %moved_to.display(), %reason, "dropped file rejected");
            Ok(FileOutcome::Rejected {
                file: file.to_owned(),
                moved_to,
                reason,
            })
        }
    }
}

/// Applies a template file to the ledger: `Err(reason)` when the file is refused.
async fn import_template(
    ledger_path: &Path,
    dir: &Path,
    file: &Path,
    bytes: Vec<u8>,
) -> Result<Result<String, String>, WatchError> {
    let ledger = open_shared(ledger_path)
        .await
        .map_err(|error| folder_error_from_ledger(dir, error))?;
    Ok(run_blocking(&ledger, move |ledger| {
        ledger.import_template_file(&bytes).map_err(Box::new)
    })
    .await
    .map(|outcome| format!("{outcome:?}"))
    .map_err(|error| match error {
        LedgerAccessError::Ledger { source, .. } => format!("{}: {source}", file.display()),
        other => other.to_string(),
    }))
}

/// Sends an intact bundle file to HQ: `Err(reason)` when HQ refuses the file itself; an error
/// of the link or of the agent's own credential leaves the file for a later try.
async fn upload_bundle(hq: &Hq, file: &Path, bundle: Vec<u8>) -> Result<Result<String, String>, WatchError> {
    let mut client = hq.client.clone();
    let upload = client.upload_bundle(BundleUpload { bundle });
    match hq.unary("upload_bundle", upload).await {
        Ok(ack) => Ok(Ok(format!(
            "uploaded: {} applied, {} already held, {} quarantined; HQ holds up to seq {} of epoch {}",
            ack.applied, ack.duplicates, ack.quarantined, ack.acked_seq, ack.epoch
        ))),
        Err(error) if error.is_transient() || matches!(error, ClientError::Unauthenticated { .. }) => {
            Err(WatchError::UploadLater {
                file: file.to_owned(),
                source: error,
            })
        }
        Err(ClientError::Refused {
            code: tonic::Code::FailedPrecondition,
            message,
            ..
        }) if message.starts_with(HQ_GAP_PREFIX) => Err(WatchError::WaitsForEarlier {
            file: file.to_owned(),
            message,
        }),
        Err(error) => Ok(Err(format!("{}: {error}", file.display()))),
    }
}

/// How HQ's refusal of a bundle that starts past what it holds begins ("gap: HQ holds up to N,
/// batch starts at M").
const HQ_GAP_PREFIX: &str = "gap:";

/// A bundle's source, epoch and first sequence number.
type BundlePosition = (String, u64, u64);

/// Orders settled files for taking: templates and unreadable files first, by name, then bundles
/// by source, epoch and first sequence number, read from their header lines.
fn in_taking_order(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut keyed: Vec<(Option<BundlePosition>, PathBuf)> = files
        .into_iter()
        .map(|file| (bundle_position(&file), file))
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, file)| file).collect()
}

/// A bundle file's (source, epoch, first seq) from its header line; `None` for anything else.
fn bundle_position(file: &Path) -> Option<BundlePosition> {
    use std::io::BufRead;
    let mut header_line = String::new();
    std::io::BufReader::new(std::fs::File::open(file).ok()?)
        .read_line(&mut header_line)
        .ok()?;
    let header: ContainerHeader = serde_json::from_str(&header_line).ok()?;
    (header.format == ContainerKind::Bundle).then_some((
        header.source,
        header.epoch.unwrap_or(0),
        header.first_seq.unwrap_or(0),
    ))
}

/// A ledger that cannot be opened is the agent's problem, not the file's: leave the file in place.
fn folder_error_from_ledger(dir: &Path, error: LedgerAccessError) -> WatchError {
    WatchError::Folder {
        dir: dir.to_owned(),
        source: std::io::Error::other(error.to_string()),
    }
}

fn move_file(file: &Path, to: &Path) -> Result<(), WatchError> {
    std::fs::rename(file, to).map_err(|source| WatchError::Move {
        file: file.to_owned(),
        to: to.to_owned(),
        source,
    })
}

/// Watches `dir` until `stop` fires, importing or uploading each settled file. `on_outcome` sees every
/// outcome (the runner records them in the agent state).
pub async fn watch_inbox(
    ledger_path: PathBuf,
    hq: Hq,
    dir: PathBuf,
    settle: Duration,
    mut stop: StopSignal,
    mut on_outcome: impl FnMut(&Result<FileOutcome, WatchError>) + Send,
) -> Result<(), WatchError> {
    use notify::Watcher;
    prepare_folders(&dir)?;
    let (wake_sender, mut wake) = tokio::sync::mpsc::channel::<()>(1);
    let mut watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        let _ = wake_sender.try_send(());
    })
    .map_err(|error| WatchError::Watcher {
        dir: dir.clone(),
        reason: error.to_string(),
    })?;
    watcher
        .watch(&dir, notify::RecursiveMode::NonRecursive)
        .map_err(|error| WatchError::Watcher {
            dir: dir.clone(),
            reason: error.to_string(),
        })?;
    tracing::info!(dir = %dir.display(), "watching inbox folder");
    let mut tracker = SettleTracker::default();
    loop {
        let settled = tracker.settled_files(&dir).map_err(|source| WatchError::Folder {
            dir: dir.clone(),
            source,
        })?;
        for file in in_taking_order(settled) {
            if stop.is_stopping() {
                return Ok(());
            }
            let outcome = import_file(&ledger_path, &hq, &dir, &file).await;
            tracker.forget(&file);
            on_outcome(&outcome);
        }
        // A pending file needs a second look after `settle`; otherwise wait for an event,
        // with a slow periodic rescan in case an event was missed.
        let idle = if tracker.looks.is_empty() {
            settle * 10
        } else {
            settle
        };
        tokio::select! {
            _ = stop.stopped() => return Ok(()),
            _ = wake.recv() => {
                // Let the writer go on for a settle period before looking again.
                tokio::time::sleep(settle).await;
            }
            _ = tokio::time::sleep(idle) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_and_part_files_are_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let mut tracker = SettleTracker::default();
        std::fs::write(dir.path().join("a.tpl"), "one").unwrap();
        std::fs::write(dir.path().join("b.tpl.part"), "x").unwrap();
        assert!(tracker.settled_files(dir.path()).unwrap().is_empty());
        std::fs::write(dir.path().join("a.tpl"), "one two").unwrap();
        assert!(tracker.settled_files(dir.path()).unwrap().is_empty());
        let settled = tracker.settled_files(dir.path()).unwrap();
        assert_eq!(settled, [dir.path().join("a.tpl")]);
    }
}
