//! The append-only audit log: who did or was refused what, and the organization the event
//! belongs to, so that an account sees the events of its scope (README "People and scopes").

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text};
use crate::store::{Store, StoreError};

/// Who an audit event names, and the organization whose scope it belongs to (`None`: the whole
/// group's, e.g. the bootstrap token's actions or a caller HQ does not know).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub org: Option<&'a str>,
}

impl<'a> Actor<'a> {
    /// A caller HQ could not identify.
    pub const UNKNOWN: Actor<'static> = Actor {
        name: "unknown",
        org: None,
    };

    pub fn new(name: &'a str, org: Option<&'a str>) -> Actor<'a> {
        Actor { name, org }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("audit --since {text:?}: not an RFC 3339 time such as 2026-01-05T00:00:00Z")]
pub struct BadSince {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub org: Option<String>,
}

/// Appends to the audit log inside the caller's transaction.
pub(crate) async fn audit(
    connection: &mut Conn,
    actor: Actor<'_>,
    action: &str,
    detail: &str,
) -> Result<(), DbError> {
    query("INSERT INTO audit (at, actor, action, detail, org) VALUES ($1, $2, $3, $4, $5)")
        .bind(now_text())
        .bind(actor.name)
        .bind(action)
        .bind(detail)
        .bind(actor.org)
        .execute(connection)
        .await?;
    Ok(())
}

/// Appends to the audit log in its own transaction (refusals, alerts).
pub async fn record_audit(
    store: &Store,
    actor: Actor<'_>,
    action: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let mut connection = store.pool().acquire().await?;
    audit(&mut connection, actor, action, detail).await?;
    Ok(())
}

/// An audit query's `since`: an RFC 3339 time, in the stored form (UTC, whole seconds), so that
/// comparing texts compares instants.
pub fn audit_since(text: &str) -> Result<String, BadSince> {
    let at = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| BadSince {
        text: text.to_owned(),
    })?;
    Ok(at
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Which events an audit query shows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// At or after this time (stored form, see [`audit_since`]).
    pub since: Option<&'a str>,
    /// Events of this organization subtree only; `None` for all.
    pub subtree: Option<&'a str>,
    /// With a subtree: also the events that belong to no organization (the whole group's).
    pub group_events: bool,
}

/// Audit events the filter shows, oldest first, at most `limit`.
pub async fn audit_events(
    store: &Store,
    filter: &AuditFilter<'_>,
    limit: u32,
) -> Result<Vec<AuditEvent>, StoreError> {
    let rows = query(
        "SELECT id, at, actor, action, detail, org FROM audit WHERE at >= $1 \
         AND ($2 = '' OR org = $2 OR org LIKE $2 || '.%' OR ($3 AND org IS NULL)) ORDER BY id LIMIT $4",
    )
    .bind(filter.since.unwrap_or(""))
    .bind(filter.subtree.unwrap_or(""))
    .bind(filter.group_events)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        events.push(AuditEvent {
            id: get_u64(&row, 0)?,
            at: row.try_get(1)?,
            actor: row.try_get(2)?,
            action: row.try_get(3)?,
            detail: row.try_get(4)?,
            org: row.try_get(5)?,
        });
    }
    Ok(events)
}
