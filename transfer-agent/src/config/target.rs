//! Where and how to reach HQ: its address, the branch's token (explicit, in the file, in a
//! token file or in the environment) and the PEM files of an https:// HQ.

use super::error::ConfigError;
use super::TOKEN_ENV;
use std::path::{Path, PathBuf};

/// Where and how to reach HQ; the token is kept out of `Debug` output.
#[derive(Clone)]
pub struct HqTarget {
    pub url: String,
    pub token: String,
    pub tls: TlsFiles,
}

/// PEM files for an https:// HQ: the CA to trust and, for mutual TLS, the branch's certificate.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl std::fmt::Debug for HqTarget {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HqTarget")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl HqTarget {
    pub fn new(url: &str, token: String) -> Result<HqTarget, ConfigError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::BadHqAddress { hq: url.to_owned() });
        }
        Ok(HqTarget {
            url: url.to_owned(),
            token,
            tls: TlsFiles::default(),
        })
    }

    /// Adds TLS files; they need an https:// address, and `cert` and `key` go together.
    pub fn with_tls(mut self, tls: TlsFiles) -> Result<HqTarget, ConfigError> {
        if !self.url.starts_with("https://") {
            let field = match (&tls.ca, &tls.cert, &tls.key) {
                (Some(_), _, _) => Some("ca"),
                (None, Some(_), _) => Some("cert"),
                (None, None, Some(_)) => Some("key"),
                (None, None, None) => None,
            };
            if let Some(field) = field {
                return Err(ConfigError::TlsWithoutHttps {
                    field,
                    hq: self.url.clone(),
                });
            }
        }
        if tls.cert.is_some() != tls.key.is_some() {
            return Err(ConfigError::CertWithoutKey);
        }
        self.tls = tls;
        Ok(self)
    }
}

/// Picks the token: the explicit one, else the file's `token`/`token_file`, else the environment.
pub fn resolve_token(
    explicit: Option<&str>,
    in_file: Option<&str>,
    token_file: Option<&Path>,
) -> Result<String, ConfigError> {
    if let Some(token) = explicit.filter(|token| !token.is_empty()) {
        return Ok(token.to_owned());
    }
    match (in_file, token_file) {
        (Some(_), Some(_)) => return Err(ConfigError::TwoTokens),
        (Some(token), None) if !token.is_empty() => return Ok(token.to_owned()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFileUnreadable {
                path: path.to_owned(),
                source,
            })?;
            let token = text.trim();
            if token.is_empty() {
                return Err(ConfigError::TokenFileEmpty {
                    path: path.to_owned(),
                });
            }
            return Ok(token.to_owned());
        }
        _ => {}
    }
    match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        _ => Err(ConfigError::MissingToken),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_files_need_https_and_go_together() {
        let files = |ca: bool, cert: bool, key: bool| TlsFiles {
            ca: ca.then(|| PathBuf::from("ca.pem")),
            cert: cert.then(|| PathBuf::from("sz.pem")),
            key: key.then(|| PathBuf::from("sz-key.pem")),
        };
        let https = || HqTarget::new("https://hq:1", "t".into()).unwrap();
        let http = || HqTarget::new("http://hq:1", "t".into()).unwrap();
        assert!(https().with_tls(files(true, true, true)).is_ok());
        assert!(https().with_tls(files(false, false, false)).is_ok());
        assert!(http().with_tls(files(false, false, false)).is_ok());
        let error = http()
            .with_tls(files(true, false, false))
            .unwrap_err()
            .to_string();
        assert!(error.contains("`ca`") && error.contains("https://"), "{error}");
        assert!(matches!(
            https().with_tls(files(true, true, false)),
            Err(ConfigError::CertWithoutKey)
        ));
    }

    #[test]
    fn token_debug_is_redacted() {
        let target = HqTarget::new("http://127.0.0.1:1", "very-secret".into()).unwrap();
        assert!(!format!("{target:?}").contains("very-secret"));
        assert!(HqTarget::new("127.0.0.1:1", "x".into()).is_err());
    }
}
