//! Bundle files brought by hand (README "HQ administrator's guide": `admin bundle import`, and
//! the console's upload): every file checked whole first (header and checksum), so a cut or
//! altered one stops the import before anything is sent, then put in the order HQ applies them,
//! by each header's branch, epoch and sequence range rather than by name.

use branchline_shared::{decode_container, ContainerError, ContainerKind};

/// One bundle file: the name it came under (a path, an uploaded file's name) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A file that is not a whole bundle.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {source}")]
pub struct BadBundleFile {
    pub name: String,
    #[source]
    pub source: ContainerError,
}

/// What a bundle file's header says it holds, which is where it belongs in the order of upload.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BundleRange {
    /// The branch whose outbox it is.
    pub source: String,
    pub epoch: u64,
    pub first_seq: u64,
    pub last_seq: u64,
}

/// A checked bundle file and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedBundle {
    pub range: BundleRange,
    pub file: BundleFile,
}

fn bundle_range(file: &BundleFile) -> Result<BundleRange, BadBundleFile> {
    let (header, _lines) =
        decode_container(&file.bytes, ContainerKind::Bundle).map_err(|source| BadBundleFile {
            name: file.name.clone(),
            source,
        })?;
    Ok(BundleRange {
        source: header.source,
        epoch: header.epoch.unwrap_or(0),
        first_seq: header.first_seq.unwrap_or(0),
        last_seq: header.last_seq.unwrap_or(0),
    })
}

/// `files` in the order to upload them, once every one is a whole bundle; the first that is
/// not is refused, naming it.
pub fn in_upload_order(files: Vec<BundleFile>) -> Result<Vec<OrderedBundle>, BadBundleFile> {
    let mut ordered = Vec::with_capacity(files.len());
    for file in files {
        ordered.push(OrderedBundle {
            range: bundle_range(&file)?,
            file,
        });
    }
    ordered.sort_by(|left, right| left.range.cmp(&right.range));
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use branchline_shared::{encode_container, ContainerHeader};

    fn bundle(name: &str, epoch: u64, first_seq: u64, last_seq: u64) -> BundleFile {
        let header = ContainerHeader {
            format: ContainerKind::Bundle,
            format_version: 0,
            source: "SZ".to_owned(),
            epoch: Some(epoch),
            first_seq: Some(first_seq),
            last_seq: Some(last_seq),
            template_name: None,
            template_version: None,
            entries: 0,
            body_sha256: String::new(),
        };
        BundleFile {
            name: name.to_owned(),
            bytes: encode_container(header, &[]),
        }
    }

    #[test]
    fn files_go_in_epoch_and_sequence_order_whatever_their_names() {
        let files = vec![
            bundle("a.bundle", 2, 1, 5),
            bundle("b.bundle", 1, 11, 20),
            bundle("c.bundle", 1, 1, 10),
        ];
        let names: Vec<String> = in_upload_order(files)
            .unwrap()
            .into_iter()
            .map(|ordered| ordered.file.name)
            .collect();
        assert_eq!(names, ["c.bundle", "b.bundle", "a.bundle"]);
    }

    #[test]
    fn a_cut_file_refuses_them_all_naming_it() {
        let mut cut = bundle("cut.bundle", 1, 1, 10);
        cut.bytes.truncate(cut.bytes.len() / 2);
        let refused = in_upload_order(vec![bundle("ok.bundle", 1, 11, 20), cut]).unwrap_err();
        assert_eq!(refused.name, "cut.bundle");
        assert!(refused.to_string().starts_with("cut.bundle: "), "{refused}");
    }
}
