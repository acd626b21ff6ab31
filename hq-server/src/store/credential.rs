//! Branch credentials after registration: rotation (a new token, the old one stops working at
//! once) and revocation, both audited. HQ keeps only the SHA-256 of a live token; a revoked
//! branch keeps a random marker that no token hashes to, so the column stays unique.

use super::registry::audit;
use super::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("branch {code} is not registered")]
    UnknownBranch { code: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CredentialError {
    fn from(error: sqlx::Error) -> CredentialError {
        CredentialError::Store(error.into())
    }
}

/// Gives branch `code` a new token and returns it; the previous token is refused from the
/// next call on (every call looks the token up in the store).
pub async fn rotate_token(store: &Store, code: &str) -> Result<String, CredentialError> {
    let token = crate::auth::new_token();
    replace_token_hash(
        store,
        code,
        &crate::auth::token_sha256(&token),
        "branch token rotate",
    )
    .await?;
    Ok(token)
}

/// Revokes branch `code`'s token; the branch is refused until its token is rotated.
pub async fn revoke_token(store: &Store, code: &str) -> Result<(), CredentialError> {
    let marker = format!("revoked:{}", crate::auth::new_token());
    replace_token_hash(store, code, &marker, "branch revoke").await
}

async fn replace_token_hash(
    store: &Store,
    code: &str,
    token_sha256: &str,
    action: &str,
) -> Result<(), CredentialError> {
    let mut tx = store.pool().begin().await?;
    let updated = sqlx::query("UPDATE branch SET token_sha256 = $1 WHERE code = $2")
        .bind(token_sha256)
        .bind(code)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(CredentialError::UnknownBranch {
            code: code.to_owned(),
        });
    }
    audit(&mut tx, "admin", action, code).await?;
    tx.commit().await?;
    Ok(())
}
