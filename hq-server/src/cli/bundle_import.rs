//! `hq-server admin bundle import FILE...`: a branch's bundle files brought by hand, checked
//! whole first (a cut or altered file stops the command before anything is sent), then uploaded
//! one by one in sequence order, by each header's epoch and sequence range rather than by name.

use super::client::{refused, Client};
use anyhow::Context;
use branchline_proto::v1::BundleUpload;
use branchline_shared::{decode_container, ContainerKind};
use std::path::PathBuf;

/// Where a bundle file belongs in the order of upload.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct BundleOrder {
    source: String,
    epoch: u64,
    first_seq: u64,
    last_seq: u64,
}

/// Reads and verifies one bundle file's header and checksum.
fn bundle_order(file: &PathBuf) -> anyhow::Result<BundleOrder> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (header, _lines) =
        decode_container(&bytes, ContainerKind::Bundle).with_context(|| file.display().to_string())?;
    Ok(BundleOrder {
        source: header.source,
        epoch: header.epoch.unwrap_or(0),
        first_seq: header.first_seq.unwrap_or(0),
        last_seq: header.last_seq.unwrap_or(0),
    })
}

/// Uploads `files` in sequence order, printing one line per file.
pub(super) async fn import_bundles(client: &mut Client, files: &[PathBuf]) -> anyhow::Result<()> {
    let mut ordered = Vec::with_capacity(files.len());
    for file in files {
        ordered.push((bundle_order(file)?, file));
    }
    ordered.sort();
    for (_, file) in ordered {
        let bundle = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let ack = client
            .import_bundle(BundleUpload { bundle })
            .await
            .map_err(|status| anyhow::anyhow!("{}: {}", file.display(), refused(status)))?
            .into_inner();
        println!(
            "{}: epoch {}: {} applied, {} duplicates, {} quarantined; HQ holds up to seq {}",
            file.display(),
            ack.epoch,
            ack.applied,
            ack.duplicates,
            ack.quarantined,
            ack.acked_seq
        );
    }
    Ok(())
}
