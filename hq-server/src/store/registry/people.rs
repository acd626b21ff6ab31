//! People at HQ in the store: accounts (name, role, organization, password hash, disabled,
//! login lock-out), their personal tokens (SHA-256 digests, as branch tokens; a login's and the
//! API tokens `user token` issues) and the audit events of every change, each naming the person
//! who made it. Password hashes come from `people::password`; the store never sees a password.

use super::audit::{audit, Actor};
use super::token::{new_token, token_sha256};
use crate::people::names::{validate_name, NameError};
use crate::people::role::Role;
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::row::Row;
use crate::store::db::value::{get_u64, now_text};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("organization {org} does not exist")]
    UnknownOrg { org: String },
    #[error("account {name} already exists")]
    Exists { name: String },
    #[error("account name {name} is a branch's code: the audit log could not tell them apart")]
    NameOfBranch { name: String },
    #[error("no account named {name}")]
    UnknownPerson { name: String },
    #[error("account {name} is disabled")]
    Disabled { name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for PeopleError {
    fn from(error: DbError) -> PeopleError {
        PeopleError::Store(error.into())
    }
}

/// An account as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub role: Role,
    pub org: String,
    pub disabled: bool,
    pub password_hash: Option<String>,
    /// Failed logins since the last success or lock-out.
    pub failed_logins: u64,
    /// RFC 3339 UTC; logins are refused before it.
    pub locked_until: Option<String>,
    pub live_tokens: u64,
    pub created_at: String,
}

/// How a personal token came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `hq-server login` (revoked by `logout`).
    Login,
    /// `user token NAME`, for scripts.
    Api,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Login => "login",
            TokenKind::Api => "api",
        }
    }
}

const PERSON_COLUMNS: &str =
    "p.name, p.role, p.org, p.disabled_at IS NOT NULL, p.password_hash, p.failed_logins, \
     p.locked_until, (SELECT COUNT(*) FROM person_token t WHERE t.person = p.name AND t.revoked_at IS NULL), \
     p.created_at";

fn person_from_row(row: &Row) -> Result<Person, StoreError> {
    let role: String = row.try_get(1)?;
    Ok(Person {
        name: row.try_get(0)?,
        role: Role::parse(&role).map_err(|error| StoreError::CorruptValue {
            what: "account role",
            reason: error.to_string(),
        })?,
        org: row.try_get(2)?,
        disabled: row.try_get(3)?,
        password_hash: row.try_get(4)?,
        failed_logins: get_u64(row, 5)?,
        locked_until: row.try_get(6)?,
        live_tokens: get_u64(row, 7)?,
        created_at: row.try_get(8)?,
    })
}

/// Adds account `name` with `role` over `org`'s subtree, without a password.
pub async fn add_person(
    store: &Store,
    by: &str,
    name: &str,
    role: Role,
    org: &str,
) -> Result<(), PeopleError> {
    validate_name(name)?;
    let mut tx = store.begin_write().await?;
    let org_exists = query("SELECT 1 FROM org WHERE code = $1")
        .bind(org)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !org_exists {
        return Err(PeopleError::UnknownOrg {
            org: branchline_shared::echo_prefix(org),
        });
    }
    let taken = query("SELECT 1 FROM person WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if taken {
        return Err(PeopleError::Exists {
            name: name.to_owned(),
        });
    }
    let branch_named = query("SELECT 1 FROM branch WHERE lower(code) = lower($1)")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if branch_named {
        return Err(PeopleError::NameOfBranch {
            name: name.to_owned(),
        });
    }
    query("INSERT INTO person (name, role, org, created_at) VALUES ($1, $2, $3, $4)")
        .bind(name)
        .bind(role.as_str())
        .bind(org)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    let detail = format!("{name} {role} over {org}");
    audit(&mut tx, Actor::new(by, Some(org)), "user add", &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// The accounts whose organization lies in `subtree` (every account for `None`), by name.
pub async fn people(store: &Store, subtree: Option<&str>) -> Result<Vec<Person>, StoreError> {
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM person p WHERE ($1 = '' OR p.org = $1 OR p.org LIKE $1 || '.%') ORDER BY p.name"
    );
    let rows = query(&sql)
        .bind(subtree.unwrap_or(""))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(person_from_row).collect()
}

/// Account `name`, if there is one.
pub async fn person(store: &Store, name: &str) -> Result<Option<Person>, StoreError> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM person p WHERE p.name = $1");
    let row = query(&sql).bind(name).fetch_optional(store.pool()).await?;
    row.as_ref().map(person_from_row).transpose()
}

/// The live account whose personal token has digest `token_sha256`: not revoked, not disabled.
pub async fn person_by_token_hash(store: &Store, token_sha256: &str) -> Result<Option<Person>, StoreError> {
    let sql = format!(
        "SELECT {PERSON_COLUMNS} FROM person_token k JOIN person p ON p.name = k.person \
         WHERE k.token_sha256 = $1 AND k.revoked_at IS NULL AND p.disabled_at IS NULL"
    );
    let row = query(&sql)
        .bind(token_sha256)
        .fetch_optional(store.pool())
        .await?;
    row.as_ref().map(person_from_row).transpose()
}

/// Every live personal token: (hex SHA-256, account name), at most `limit` rows.
pub async fn live_token_digests(store: &Store, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
    let rows = query(
        "SELECT k.token_sha256, k.person FROM person_token k JOIN person p ON p.name = k.person \
         WHERE k.revoked_at IS NULL AND p.disabled_at IS NULL LIMIT $1",
    )
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(store.pool())
    .await?;
    let mut digests = Vec::with_capacity(rows.len());
    for row in rows {
        digests.push((row.try_get(0)?, row.try_get(1)?));
    }
    Ok(digests)
}

/// The organization of account `name`, locked for the change the caller makes.
async fn org_of(tx: &mut Conn, name: &str) -> Result<String, PeopleError> {
    let row = query("SELECT org FROM person WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(PeopleError::UnknownPerson {
            name: name.to_owned(),
        }),
    }
}

/// Disables account `name`: its tokens are refused from now on and it cannot log in.
pub async fn disable_person(store: &Store, by: &str, name: &str) -> Result<(), PeopleError> {
    let mut tx = store.begin_write().await?;
    let org = org_of(&mut tx, name).await?;
    let now = now_text();
    query("UPDATE person SET disabled_at = COALESCE(disabled_at, $2) WHERE name = $1")
        .bind(name)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    revoke_all(&mut tx, name, &now).await?;
    audit(&mut tx, Actor::new(by, Some(&org)), "user disable", name).await?;
    tx.commit().await?;
    Ok(())
}

/// Enables account `name` again and lifts its lock-out; the tokens its disabling revoked stay
/// revoked (it logs in anew).
pub async fn enable_person(store: &Store, by: &str, name: &str) -> Result<(), PeopleError> {
    let mut tx = store.begin_write().await?;
    let org = org_of(&mut tx, name).await?;
    query("UPDATE person SET disabled_at = NULL, failed_logins = 0, locked_until = NULL WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, Actor::new(by, Some(&org)), "user enable", name).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores account `name`'s new password hash and lifts its lock-out.
pub async fn set_password_hash(store: &Store, by: &str, name: &str, hash: &str) -> Result<(), PeopleError> {
    let mut tx = store.begin_write().await?;
    let org = org_of(&mut tx, name).await?;
    query("UPDATE person SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE name = $1")
        .bind(name)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, Actor::new(by, Some(&org)), "user password", name).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_token(tx: &mut Conn, name: &str, kind: TokenKind) -> Result<String, DbError> {
    let token = new_token();
    query("INSERT INTO person_token (token_sha256, person, kind, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token_sha256(&token))
        .bind(name)
        .bind(kind.as_str())
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    Ok(token)
}

/// Issues a personal API token for account `name` and returns it (shown once).
pub async fn issue_token(store: &Store, by: &str, name: &str) -> Result<String, PeopleError> {
    let mut tx = store.begin_write().await?;
    let row = query("SELECT org, disabled_at IS NOT NULL FROM person WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| PeopleError::UnknownPerson {
            name: name.to_owned(),
        })?;
    let (org, disabled): (String, bool) = (row.try_get(0)?, row.try_get(1)?);
    if disabled {
        return Err(PeopleError::Disabled {
            name: name.to_owned(),
        });
    }
    let token = insert_token(&mut tx, name, TokenKind::Api).await?;
    audit(&mut tx, Actor::new(by, Some(&org)), "user token", name).await?;
    tx.commit().await?;
    Ok(token)
}

async fn revoke_all(tx: &mut Conn, name: &str, now: &str) -> Result<u64, DbError> {
    query("UPDATE person_token SET revoked_at = $2 WHERE person = $1 AND revoked_at IS NULL")
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map(|done| done.rows_affected())
}

/// Revokes every token of account `name`; returns how many were live.
pub async fn revoke_tokens(store: &Store, by: &str, name: &str) -> Result<u64, PeopleError> {
    let mut tx = store.begin_write().await?;
    let org = org_of(&mut tx, name).await?;
    let revoked = revoke_all(&mut tx, name, &now_text()).await?;
    let detail = format!("{name}: {revoked} tokens");
    audit(&mut tx, Actor::new(by, Some(&org)), "user token revoke", &detail).await?;
    tx.commit().await?;
    Ok(revoked)
}

/// Revokes the one token with digest `token_sha256` of account `name` (a logout).
pub async fn revoke_token(
    store: &Store,
    name: &str,
    org: &str,
    token_sha256: &str,
) -> Result<(), PeopleError> {
    let mut tx = store.begin_write().await?;
    query("UPDATE person_token SET revoked_at = $2 WHERE token_sha256 = $1 AND revoked_at IS NULL")
        .bind(token_sha256)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, Actor::new(name, Some(org)), "logout", name).await?;
    tx.commit().await?;
    Ok(())
}

/// A successful login of `person`: resets its failure count and returns a fresh login token.
pub async fn login_succeeded(store: &Store, person: &Person, address: &str) -> Result<String, PeopleError> {
    let mut tx = store.begin_write().await?;
    query("UPDATE person SET failed_logins = 0, locked_until = NULL WHERE name = $1")
        .bind(&person.name)
        .execute(&mut *tx)
        .await?;
    let token = insert_token(&mut tx, &person.name, TokenKind::Login).await?;
    let detail = format!("{} from {address}", person.name);
    audit(
        &mut tx,
        Actor::new(&person.name, Some(&person.org)),
        "login",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// A failed login of `person`: counts it and, at the `failures_max`-th in a row, locks the
/// account until `lock_until` (RFC 3339) and starts the count again. Returns the lock's end
/// when this failure locked the account.
pub async fn login_failed(
    store: &Store,
    person: &Person,
    address: &str,
    failures_max: u32,
    lock_until: &str,
) -> Result<Option<String>, PeopleError> {
    let mut tx = store.begin_write().await?;
    let failures: i64 =
        query("UPDATE person SET failed_logins = failed_logins + 1 WHERE name = $1 RETURNING failed_logins")
            .bind(&person.name)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    let actor = Actor::new(&person.name, Some(&person.org));
    let detail = format!(
        "{} from {address}: failure {failures} of {failures_max}",
        person.name
    );
    audit(&mut tx, actor, "login failed", &detail).await?;
    let locked = failures >= i64::from(failures_max);
    if locked {
        query("UPDATE person SET failed_logins = 0, locked_until = $2 WHERE name = $1")
            .bind(&person.name)
            .bind(lock_until)
            .execute(&mut *tx)
            .await?;
        let detail = format!("{} locked until {lock_until}", person.name);
        audit(&mut tx, actor, "user locked", &detail).await?;
    }
    tx.commit().await?;
    Ok(locked.then(|| lock_until.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::registry::branches::add_org;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn accounts_tokens_and_lock_out() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hq.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        add_org(&store, "admin", "001", "group").await.unwrap();
        add_org(&store, "admin", "001.002", "sz").await.unwrap();
        add_person(&store, "admin", "chen", Role::Viewer, "001.002")
            .await
            .unwrap();
        assert!(matches!(
            add_person(&store, "admin", "chen", Role::Admin, "001").await,
            Err(PeopleError::Exists { .. })
        ));
        assert!(matches!(
            add_person(&store, "admin", "wang", Role::Admin, "009").await,
            Err(PeopleError::UnknownOrg { .. })
        ));
        // An account may not share a name with a branch, whatever the case.
        query(
            "INSERT INTO branch (code, name, org, mode, customer, supplier, warehouse, token_sha256, created_at) \
             VALUES ('SZ', 'sz', '001.002', 'independent-sales', 'C', 'S', 'W', 'x', 'now')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert!(matches!(
            add_person(&store, "admin", "sz", Role::Viewer, "001.002").await,
            Err(PeopleError::NameOfBranch { .. })
        ));
        let token = issue_token(&store, "admin", "chen").await.unwrap();
        let found = person_by_token_hash(&store, &token_sha256(&token))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.name.as_str(), found.role, found.live_tokens),
            ("chen", Role::Viewer, 1)
        );
        assert_eq!(people(&store, Some("001.002")).await.unwrap().len(), 1);
        assert!(people(&store, Some("001.003")).await.unwrap().is_empty());

        let chen = person(&store, "chen").await.unwrap().unwrap();
        assert_eq!(
            login_failed(&store, &chen, "a", 2, "2099-01-01T00:00:00Z")
                .await
                .unwrap(),
            None
        );
        let locked = login_failed(&store, &chen, "a", 2, "2099-01-01T00:00:00Z")
            .await
            .unwrap();
        assert_eq!(locked.as_deref(), Some("2099-01-01T00:00:00Z"));
        let chen = person(&store, "chen").await.unwrap().unwrap();
        assert_eq!(
            (chen.failed_logins, chen.locked_until.as_deref()),
            (0, Some("2099-01-01T00:00:00Z"))
        );

        disable_person(&store, "admin", "chen").await.unwrap();
        assert_eq!(
            person_by_token_hash(&store, &token_sha256(&token)).await.unwrap(),
            None
        );
        assert!(matches!(
            issue_token(&store, "admin", "chen").await,
            Err(PeopleError::Disabled { .. })
        ));
        enable_person(&store, "admin", "chen").await.unwrap();
        assert!(!person(&store, "chen").await.unwrap().unwrap().disabled);
        let stale = person_by_token_hash(&store, &token_sha256(&token)).await.unwrap();
        assert_eq!(stale, None, "a revoked token stays revoked");
        issue_token(&store, "admin", "chen").await.unwrap();
        store.close().await;
    }
}
