//! `hq-server admin bundle import FILE...`: a branch's bundle files brought by hand, read, checked
//! whole and put in sequence order (`bundle_files`), then uploaded one by one.

use super::client::{refused, Client};
use crate::bundle_files::{in_upload_order, BundleFile, OrderedBundle};
use anyhow::Context;
use branchline_proto::v1::BundleUpload;
use std::path::PathBuf;

/// Uploads `files` in sequence order, printing one line per file.
pub(super) async fn import_bundles(client: &mut Client, files: &[PathBuf]) -> anyhow::Result<()> {
    let mut read = Vec::with_capacity(files.len());
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        read.push(BundleFile {
            name: file.display().to_string(),
            bytes,
        });
    }
    for OrderedBundle { file, .. } in in_upload_order(read)? {
        let ack = client
            .import_bundle(BundleUpload { bundle: file.bytes })
            .await
            .map_err(|status| anyhow::anyhow!("{}: {}", file.name, refused(status)))?
            .into_inner();
        println!(
            "{}: epoch {}: {} applied, {} duplicates, {} quarantined; HQ holds up to seq {}",
            file.name, ack.epoch, ack.applied, ack.duplicates, ack.quarantined, ack.acked_seq
        );
    }
    Ok(())
}
