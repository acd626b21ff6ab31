//! Bundle and template files (docs/formats.md): a one-line JSON header, then a body of JSON
//! lines whose count and SHA-256 the header records. The SHA-256 covers the header's own fields
//! as well as the body, so neither a cut or altered body nor an altered header (another branch,
//! epoch or sequence range) gets through.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The container format version this build writes and reads. Version 2 extended the checksum
/// over the header; files of earlier versions are refused (their header was not protected).
pub const CONTAINER_FORMAT_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerKind {
    /// A branch's outbox entries (`branch-node bundle export`).
    Bundle,
    /// An HQ template (`hq-server admin template export`).
    Template,
}

/// The header line. Bundles fill `epoch`, `first_seq`, `last_seq`; templates fill
/// `template_name`, `template_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerHeader {
    pub format: ContainerKind,
    pub format_version: u32,
    /// The branch code of a bundle, "HQ" for a template.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_version: Option<u64>,
    pub entries: u64,
    /// SHA-256 of the header (this field empty) and the body: see [`encode_container`].
    pub body_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContainerError {
    #[error("not a Branchline bundle or template file (no header line)")]
    NoHeader,
    #[error("unreadable header: {reason}")]
    BadHeader { reason: String },
    #[error("file format version {found} is newer than this build's {supported}")]
    NewerFormat { found: u32, supported: u32 },
    #[error("file format version {found} predates version {supported}, whose checksum covers the header: export the file again")]
    OlderFormat { found: u32, supported: u32 },
    #[error("expected a {expected:?} file, found a {found:?} file")]
    WrongKind {
        expected: ContainerKind,
        found: ContainerKind,
    },
    #[error("header or body checksum mismatch: the file is truncated or altered")]
    ChecksumMismatch,
    #[error(
        "header announces {announced} entries but the body holds {found}: the file is truncated or altered"
    )]
    CountMismatch { announced: u64, found: u64 },
    #[error("body is not UTF-8: the file is altered")]
    NotUtf8,
}

/// Writes a container: the header (with count and checksum filled in) and one line per entry.
pub fn encode_container(mut header: ContainerHeader, entry_lines: &[String]) -> Vec<u8> {
    let mut body = Vec::new();
    for line in entry_lines {
        debug_assert!(!line.contains('\n'));
        body.extend_from_slice(line.as_bytes());
        body.push(b'\n');
    }
    header.format_version = CONTAINER_FORMAT_VERSION;
    header.entries = entry_lines.len() as u64;
    header.body_sha256 = checksum(&header, &body);
    let mut file = serde_json::to_vec(&header).expect("headers always serialize");
    file.push(b'\n');
    file.extend_from_slice(&body);
    file
}

/// SHA-256 over the header as written (checksum field empty) and the body.
fn checksum(header: &ContainerHeader, body: &[u8]) -> String {
    let unsigned = ContainerHeader {
        body_sha256: String::new(),
        ..header.clone()
    };
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(&unsigned).expect("headers always serialize"));
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// Reads and verifies a container of `expected` kind; returns its header and entry lines.
pub fn decode_container(
    bytes: &[u8],
    expected: ContainerKind,
) -> Result<(ContainerHeader, Vec<&str>), ContainerError> {
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(ContainerError::NoHeader)?;
    let (header_bytes, body) = (&bytes[..newline], &bytes[newline + 1..]);
    let header: ContainerHeader =
        serde_json::from_slice(header_bytes).map_err(|error| ContainerError::BadHeader {
            reason: error.to_string(),
        })?;
    if header.format_version > CONTAINER_FORMAT_VERSION {
        return Err(ContainerError::NewerFormat {
            found: header.format_version,
            supported: CONTAINER_FORMAT_VERSION,
        });
    }
    if header.format_version < CONTAINER_FORMAT_VERSION {
        return Err(ContainerError::OlderFormat {
            found: header.format_version,
            supported: CONTAINER_FORMAT_VERSION,
        });
    }
    if header.format != expected {
        return Err(ContainerError::WrongKind {
            expected,
            found: header.format,
        });
    }
    if checksum(&header, body) != header.body_sha256 {
        return Err(ContainerError::ChecksumMismatch);
    }
    let body = std::str::from_utf8(body).map_err(|_| ContainerError::NotUtf8)?;
    let lines: Vec<&str> = body.lines().collect();
    if lines.len() as u64 != header.entries {
        return Err(ContainerError::CountMismatch {
            announced: header.entries,
            found: lines.len() as u64,
        });
    }
    Ok((header, lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let header = ContainerHeader {
            format: ContainerKind::Bundle,
            format_version: 0,
            source: "SZ".into(),
            epoch: Some(1),
            first_seq: Some(1),
            last_seq: Some(3),
            template_name: None,
            template_version: None,
            entries: 0,
            body_sha256: String::new(),
        };
        encode_container(
            header,
            &["{\"a\":1}".into(), "{\"b\":2}".into(), "{\"c\":3}".into()],
        )
    }

    #[test]
    fn an_altered_header_is_refused() {
        let file = String::from_utf8(sample()).unwrap();
        let moved = file.replacen("\"source\":\"SZ\"", "\"source\":\"GZ\"", 1);
        assert_ne!(moved, file);
        assert_eq!(
            decode_container(moved.as_bytes(), ContainerKind::Bundle),
            Err(ContainerError::ChecksumMismatch)
        );
        let older = file.replacen("\"format_version\":2", "\"format_version\":1", 1);
        assert!(matches!(
            decode_container(older.as_bytes(), ContainerKind::Bundle),
            Err(ContainerError::OlderFormat {
                found: 1,
                supported: 2
            })
        ));
    }

    #[test]
    fn round_trips() {
        let file = sample();
        let (header, lines) = decode_container(&file, ContainerKind::Bundle).unwrap();
        assert_eq!(header.entries, 3);
        assert_eq!(lines, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
        assert!(matches!(
            decode_container(&file, ContainerKind::Template),
            Err(ContainerError::WrongKind { .. })
        ));
    }

    proptest! {
        #[test]
        fn any_cut_is_refused(cut in 0usize..1000) {
            let file = sample();
            let cut = cut % file.len();
            prop_assert!(decode_container(&file[..cut], ContainerKind::Bundle).is_err());
        }

        #[test]
        fn any_flipped_byte_is_refused(position in 0usize..1000, bit in 0u8..8) {
            let mut file = sample();
            let position = position % file.len();
            file[position] ^= 1 << bit;
            // The checksum covers the header too: a flip that still parses (another source
            // letter, another epoch digit) is refused like a flip in the body.
            prop_assert!(decode_container(&file, ContainerKind::Bundle).is_err());
        }
    }
}
