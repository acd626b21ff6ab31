//! Branch credentials: fresh tokens and their SHA-256 digests (all HQ stores of a token),
//! rotation (a new token, the old one stops working at once) and revocation, both audited. A
//! revoked branch keeps a random marker that no token hashes to, so the column stays unique.

use super::branches::BranchRef;
use super::token::{new_token, token_sha256};
use crate::store::db::error::DbError;
use crate::store::db::query::query;
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};

/// How a revoked branch's token column begins: no SHA-256 digest in hex does.
pub const REVOKED_MARKER_PREFIX: &str = "revoked:";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("branch {code} is not registered")]
    UnknownBranch { code: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for CredentialError {
    fn from(error: DbError) -> CredentialError {
        CredentialError::Store(error.into())
    }
}

/// Gives branch `code` a new token and returns it; the previous token is refused from the
/// next call on (every call looks the token up in the store).
pub async fn rotate_token(store: &Store, by: &str, code: &str) -> Result<String, CredentialError> {
    let token = new_token();
    replace_token_hash(store, by, code, &token_sha256(&token), "branch token rotate").await?;
    Ok(token)
}

/// Revokes branch `code`'s token; the branch is refused until its token is rotated.
pub async fn revoke_token(store: &Store, by: &str, code: &str) -> Result<(), CredentialError> {
    let marker = format!("{REVOKED_MARKER_PREFIX}{}", new_token());
    replace_token_hash(store, by, code, &marker, "branch revoke").await
}

async fn replace_token_hash(
    store: &Store,
    by: &str,
    code: &str,
    token_sha256: &str,
    action: &str,
) -> Result<(), CredentialError> {
    let mut tx = store.pool().begin().await?;
    let org: Option<String> = query("UPDATE branch SET token_sha256 = $1 WHERE code = $2 RETURNING org")
        .bind(token_sha256)
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    let Some(org) = org else {
        return Err(CredentialError::UnknownBranch {
            code: code.to_owned(),
        });
    };
    audit(&mut tx, Actor::new(by, Some(&org)), action, code).await?;
    tx.commit().await?;
    Ok(())
}

/// Every branch that holds a live token: (hex SHA-256 of its token, the branch), at most `limit`
/// rows. A revoked branch's marker is not a digest and is left out.
pub async fn live_token_digests(store: &Store, limit: usize) -> Result<Vec<(String, BranchRef)>, StoreError> {
    let rows = query(
        "SELECT token_sha256, id, code, org FROM branch WHERE token_sha256 NOT LIKE 'revoked:%' LIMIT $1",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(store.pool())
    .await?;
    let mut digests = Vec::with_capacity(rows.len());
    for row in rows {
        let branch = BranchRef {
            id: row.try_get(1)?,
            code: row.try_get(2)?,
            org: row.try_get(3)?,
        };
        digests.push((row.try_get(0)?, branch));
    }
    Ok(digests)
}
