//! `[tls]` of HQ's config: the PEM files of HQ's certificate, its key and the client CA, read
//! once at start for the gRPC server and the console.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("tls.{field}: cannot read {path}: {source}")]
pub struct TlsFileError {
    field: &'static str,
    path: String,
    source: std::io::Error,
}

/// `[tls]`: PEM files. With `client_ca`, every branch must present a client certificate signed
/// by that CA that names its branch code as a subjectAltName DNS name or, failing that, as its
/// subject CN (mutual TLS).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
    #[serde(default)]
    pub client_ca: Option<std::path::PathBuf>,
}

/// The PEM contents of a [`TlsConfig`], read once at start.
#[derive(Clone)]
pub struct TlsPem {
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
    pub client_ca: Option<Vec<u8>>,
}

impl TlsConfig {
    pub fn read(&self) -> Result<TlsPem, TlsFileError> {
        let read = |field: &'static str, path: &Path| {
            std::fs::read(path).map_err(|source| TlsFileError {
                field,
                path: path.display().to_string(),
                source,
            })
        };
        Ok(TlsPem {
            cert: read("cert", &self.cert)?,
            key: read("key", &self.key)?,
            client_ca: self
                .client_ca
                .as_deref()
                .map(|path| read("client_ca", path))
                .transpose()?,
        })
    }
}
