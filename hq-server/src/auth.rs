//! Checking credentials on a call: `authorization: Bearer <token>` metadata, the admin token's
//! digest, and a client certificate naming its branch. Tokens themselves (made, hashed, stored) are the
//! store's `credential` module; tokens are never logged.

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

/// The SHA-256 digest of the admin token, which is what a call's token is compared with.
pub fn admin_token_digest(admin_token: &str) -> [u8; 32] {
    Sha256::digest(admin_token.as_bytes()).into()
}
