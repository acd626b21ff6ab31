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

/// An audit query's filter that is not one: the field (as the command line's flag) and why.
#[derive(Debug, thiserror::Error)]
#[error("audit --{field} {text:?}: {reason}")]
pub struct BadAuditFilter {
    pub field: &'static str,
    /// A short prefix of what was given.
    pub text: String,
    pub reason: &'static str,
}

impl BadAuditFilter {
    pub fn new(field: &'static str, text: &str, reason: &'static str) -> BadAuditFilter {
        BadAuditFilter {
            field,
            text: branchline_shared::echo_prefix(text),
            reason,
        }
    }
}

/// Longest `actor` or `kind` filter, in characters (an action is a few words).
const FILTER_WORDS_CHARS_MAX: usize = 64;

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

/// An audit query's `since` or `until` (`field`): an RFC 3339 time, in the stored form (UTC,
/// whole seconds), so that comparing texts compares instants.
pub fn audit_time(field: &'static str, text: &str) -> Result<String, BadAuditFilter> {
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|_| BadAuditFilter::new(field, text, "not an RFC 3339 time such as 2026-01-05T00:00:00Z"))?;
    Ok(at
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// An audit query's `actor`: an account name, "admin", "unknown" or a branch code.
pub fn audit_actor(text: &str) -> Result<&str, BadAuditFilter> {
    let valid = !text.is_empty()
        && text.len() <= FILTER_WORDS_CHARS_MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(text)
    } else {
        Err(BadAuditFilter::new(
            "actor",
            text,
            "not an account name or branch code (letters, digits, '.', '_', '-')",
        ))
    }
}

/// An audit query's `kind`: an action or its first words, without surrounding spaces.
pub fn audit_kind(text: &str) -> Result<&str, BadAuditFilter> {
    let valid = !text.is_empty()
        && text.chars().count() <= FILTER_WORDS_CHARS_MAX
        && text.trim() == text
        && !text.chars().any(char::is_control);
    if valid {
        Ok(text)
    } else {
        Err(BadAuditFilter::new(
            "kind",
            text,
            "not an action such as \"user add\" or its first words such as \"refused\"",
        ))
    }
}

/// Which events an audit query shows, and in which order.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// At or after this time (stored form, see [`audit_time`]).
    pub since: Option<&'a str>,
    /// At or before this time (stored form).
    pub until: Option<&'a str>,
    /// Events of this organization subtree only; `None` for all.
    pub subtree: Option<&'a str>,
    /// With a subtree: also the events that belong to no organization (the whole group's).
    pub group_events: bool,
    /// Events of exactly this organization (a branch's), within the subtree.
    pub org: Option<&'a str>,
    /// Events whose actor is this one, in any case.
    pub actor: Option<&'a str>,
    /// Events whose action is this one or starts with these words (followed by a space or ':').
    pub kind: Option<&'a str>,
    /// Newest first (the limit then keeps the newest); oldest first otherwise.
    pub newest_first: bool,
}

/// Audit events the filter shows, in its order, at most `limit`.
pub async fn audit_events(
    store: &Store,
    filter: &AuditFilter<'_>,
    limit: u32,
) -> Result<Vec<AuditEvent>, StoreError> {
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT id, at, actor, action, detail, org FROM audit WHERE at >= $1 AND ($5 = '' OR at <= $5) \
         AND ($2 = '' OR org = $2 OR org LIKE $2 || '.%' OR ($3 AND org IS NULL)) \
         AND ($6 = '' OR org = $6) AND ($7 = '' OR lower(actor) = lower($7)) \
         AND ($8 = '' OR action = $8 OR substr(action, 1, length($8) + 1) IN ($8 || ' ', $8 || ':')) \
         ORDER BY id {order} LIMIT $4"
    );
    let rows = query(&sql)
        .bind(filter.since.unwrap_or(""))
        .bind(filter.subtree.unwrap_or(""))
        .bind(filter.group_events)
        .bind(i64::from(limit))
        .bind(filter.until.unwrap_or(""))
        .bind(filter.org.unwrap_or(""))
        .bind(filter.actor.unwrap_or(""))
        .bind(filter.kind.unwrap_or(""))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_named() {
        assert_eq!(
            audit_time("until", "2026-01-05T08:00:00+08:00").unwrap(),
            "2026-01-05T00:00:00Z"
        );
        let error = audit_time("until", "2026-01-05").unwrap_err().to_string();
        assert!(error.starts_with("audit --until \"2026-01-05\": "), "{error}");
        assert!(audit_actor("sz-manager").is_ok() && audit_actor("SZ").is_ok());
        for actor in ["", "sz manager", "深圳"] {
            assert!(audit_actor(actor).unwrap_err().to_string().contains("--actor"));
        }
        assert!(audit_kind("refused: permission denied").is_ok());
        for kind in ["", " user", "user ", "a\nb"] {
            assert!(audit_kind(kind).unwrap_err().to_string().contains("--kind"));
        }
        assert!(audit_kind(&"x".repeat(FILTER_WORDS_CHARS_MAX + 1)).is_err());
    }
}
