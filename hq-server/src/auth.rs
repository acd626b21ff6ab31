//! Credentials: `authorization: Bearer <token>` metadata, branch tokens (random, shown once,
//! stored as SHA-256) and the admin token. Tokens are never logged.

use sha2::{Digest, Sha256};

/// A fresh branch token: 32 random bytes, hex.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Hex SHA-256 of a token, as stored.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The bearer token of a request, if it carries one.
pub fn bearer_token(metadata: &tonic::metadata::MetadataMap) -> Option<&str> {
    let value = metadata.get("authorization")?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim()).filter(|token| !token.is_empty())
}

/// Compares two digests without an early exit on the first difference.
pub fn digests_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether a client certificate (DER, already verified against the client CA by the TLS layer)
/// names branch `code` as a subjectAltName DNS name (case-insensitive).
pub fn certificate_names_branch(certificate_der: &[u8], code: &str) -> bool {
    let der = rustls_pki_types::CertificateDer::from(certificate_der);
    let Ok(certificate) = webpki::EndEntityCert::try_from(&der) else {
        return false;
    };
    let Ok(name) = rustls_pki_types::ServerName::try_from(code.to_ascii_lowercase()) else {
        return false;
    };
    certificate.verify_is_valid_for_subject_name(&name).is_ok()
}

/// Why a call that needs the admin credential was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRefusal {
    /// No token, or one HQ does not know.
    Unauthenticated,
    /// A branch's token: a valid credential without the right to this call.
    PermissionDenied { branch: String },
}

/// Checks that a request carries the admin token (compared by SHA-256 digest); every refusal is
/// written to the audit log naming `call` ("admin call", "report call").
pub async fn authenticate_admin<T>(
    store: &crate::store::Store,
    admin_token_sha256: &[u8; 32],
    request: &tonic::Request<T>,
    call: &str,
) -> Result<Result<(), AdminRefusal>, crate::store::StoreError> {
    use crate::store::registry::{branch_by_token_hash, record_audit};
    let Some(token) = bearer_token(request.metadata()) else {
        record_audit(store, "unknown", "refused: unauthenticated", call).await?;
        return Ok(Err(AdminRefusal::Unauthenticated));
    };
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if digests_equal(&digest, admin_token_sha256) {
        return Ok(Ok(()));
    }
    match branch_by_token_hash(store, &token_sha256(token)).await? {
        Some(branch) => {
            record_audit(store, &branch.code, "refused: permission denied", call).await?;
            Ok(Err(AdminRefusal::PermissionDenied { branch: branch.code }))
        }
        None => {
            record_audit(store, "unknown", "refused: unauthenticated", call).await?;
            Ok(Err(AdminRefusal::Unauthenticated))
        }
    }
}
