//! Checking credentials on a call: `authorization: Bearer <token>` metadata, the admin token,
//! and a client certificate naming its branch. Tokens themselves (made, hashed, stored) are the
//! store's `credential` module; tokens are never logged.

use crate::service::refusal_audit::RefusalLog;
use crate::store::registry::branches::branch_by_token_hash;
use crate::store::registry::token::token_sha256;
use crate::store::StoreError;
use sha2::{Digest, Sha256};

/// The bearer token of a request, if it carries one.
pub fn bearer_token(metadata: &tonic::metadata::MetadataMap) -> Option<&str> {
    bearer_value(metadata.get("authorization")?.to_str().ok()?)
}

/// The token of an `authorization` header value `Bearer <token>`.
pub fn bearer_value(value: &str) -> Option<&str> {
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
/// names branch `code`: one of its subjectAltName DNS names is the code or, for a certificate
/// with no subjectAltName DNS name at all, its subject common name (CN) is (RFC 6125 6.4.4: a
/// CN is not consulted once a certificate carries DNS names). Both compare case-insensitively.
pub fn certificate_names_branch(certificate_der: &[u8], code: &str) -> bool {
    san_names_branch(certificate_der, code) || common_name_is_branch(certificate_der, code)
}

fn san_names_branch(certificate_der: &[u8], code: &str) -> bool {
    let der = rustls_pki_types::CertificateDer::from(certificate_der);
    let Ok(certificate) = webpki::EndEntityCert::try_from(&der) else {
        return false;
    };
    let Ok(name) = rustls_pki_types::ServerName::try_from(code.to_ascii_lowercase()) else {
        return false;
    };
    certificate.verify_is_valid_for_subject_name(&name).is_ok()
}

fn common_name_is_branch(certificate_der: &[u8], code: &str) -> bool {
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(certificate_der) else {
        return false;
    };
    let has_dns_names = certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .is_some_and(|san| {
            san.value
                .general_names
                .iter()
                .any(|name| matches!(name, x509_parser::extensions::GeneralName::DNSName(_)))
        });
    if has_dns_names {
        return false;
    }
    let mut common_names = certificate.subject().iter_common_name();
    common_names.any(|name| name.as_str().is_ok_and(|name| name.eq_ignore_ascii_case(code)))
}

/// Why a call that needs the admin credential was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminRefusal {
    /// No token, or one HQ does not know.
    #[error("missing or unknown admin credential")]
    Unauthenticated,
    /// A branch's token: a valid credential without the right to this call.
    #[error("branch {branch} may not call the {service} service")]
    PermissionDenied { branch: String, service: &'static str },
}

impl AdminRefusal {
    /// The refusal's status: the one mapping for every service that needs the admin credential.
    pub fn to_status(&self) -> tonic::Status {
        match self {
            AdminRefusal::Unauthenticated => tonic::Status::unauthenticated(self.to_string()),
            AdminRefusal::PermissionDenied { .. } => tonic::Status::permission_denied(self.to_string()),
        }
    }
}

/// The SHA-256 digest of the admin token, which is what a call's token is compared with.
pub fn admin_token_digest(admin_token: &str) -> [u8; 32] {
    Sha256::digest(admin_token.as_bytes()).into()
}

/// Which service a call needing the admin credential is for: how the audit log and a refusal
/// name it.
#[derive(Debug, Clone, Copy)]
pub struct AdminCall {
    /// The audit log's name for the call ("admin call", "report call").
    pub audit_name: &'static str,
    /// The service a branch token may not call ("admin", "report").
    pub service: &'static str,
}

/// Checks that a request carries the admin token (compared by SHA-256 digest); every refusal is
/// written to the audit log under the call's audit name.
pub async fn authenticate_admin<T>(
    refusals: &RefusalLog,
    admin_token_sha256: &[u8; 32],
    request: &tonic::Request<T>,
    admin_call: AdminCall,
) -> Result<Result<(), AdminRefusal>, StoreError> {
    let call = admin_call.audit_name;
    let unauthenticated = "refused: unauthenticated";
    let Some(token) = bearer_token(request.metadata()) else {
        refusals.record("unknown", unauthenticated, call, call).await;
        return Ok(Err(AdminRefusal::Unauthenticated));
    };
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if digests_equal(&digest, admin_token_sha256) {
        return Ok(Ok(()));
    }
    match branch_by_token_hash(refusals.store(), &token_sha256(token)).await? {
        Some(branch) => {
            refusals
                .record(&branch.code, "refused: permission denied", call, call)
                .await;
            Ok(Err(AdminRefusal::PermissionDenied {
                branch: branch.code,
                service: admin_call.service,
            }))
        }
        None => {
            refusals.record("unknown", unauthenticated, call, call).await;
            Ok(Err(AdminRefusal::Unauthenticated))
        }
    }
}
