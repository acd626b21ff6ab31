//! The messages alert rules owe their webhooks: queued with the change that caused them, sent
//! by whichever replica claims one first, in order for each rule and branch (a clear never
//! overtakes its start), retried with backoff until delivered or abandoned; each attempt audited.

use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};

/// Whether a message says a condition started or cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Start,
    Clear,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Start => "start",
            Kind::Clear => "clear",
        }
    }

    fn parse(text: &str) -> Result<Kind, StoreError> {
        match text {
            "start" => Ok(Kind::Start),
            "clear" => Ok(Kind::Clear),
            other => Err(StoreError::CorruptValue {
                what: "alert message kind",
                reason: format!("{other:?}"),
            }),
        }
    }
}

/// A message waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub rule: String,
    pub kind: Kind,
    /// The event as JSON (`crate::alert::event::Event`).
    pub facts: String,
    pub created_at: String,
    pub attempts: u64,
    /// The branch's organization: its audit events belong to that scope.
    pub org: String,
}

/// Queues a message of `rule` for branch `branch_id` (its `facts` as JSON) inside the
/// transaction that recorded the change, due at once.
pub(super) async fn queue(
    connection: &mut Conn,
    rule: &str,
    branch_id: i64,
    kind: Kind,
    facts: &str,
) -> Result<(), StoreError> {
    let now = now_text();
    query(
        "INSERT INTO alert_message (rule, branch_id, kind, facts, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(rule)
    .bind(branch_id)
    .bind(kind.name())
    .bind(facts)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Up to `limit` messages due at `now` and claimed by no replica, each the oldest pending one
/// of its rule and branch, oldest first.
pub async fn due(store: &Store, now: &str, limit: u32) -> Result<Vec<Message>, StoreError> {
    let rows = query(
        "SELECT m.id, m.rule, m.kind, m.facts, m.created_at, m.attempts, b.org \
         FROM alert_message m JOIN branch b ON b.id = m.branch_id \
         WHERE m.state = 'pending' AND m.next_attempt_at <= $1 \
           AND (m.claimed_until IS NULL OR m.claimed_until < $1) \
           AND NOT EXISTS (SELECT 1 FROM alert_message p WHERE p.state = 'pending' \
                           AND p.rule = m.rule AND p.branch_id = m.branch_id AND p.id < m.id) \
         ORDER BY m.id LIMIT $2",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        due.push(Message {
            id: row.try_get(0)?,
            rule: row.try_get(1)?,
            kind: Kind::parse(&row.try_get::<String, _>(2)?)?,
            facts: row.try_get(3)?,
            created_at: row.try_get(4)?,
            attempts: get_u64(&row, 5)?,
            org: row.try_get(6)?,
        });
    }
    Ok(due)
}

/// Claims message `id` for this replica until `until`; false when another replica has it.
pub async fn claim(store: &Store, id: i64, now: &str, until: &str) -> Result<bool, StoreError> {
    let claimed = query(
        "UPDATE alert_message SET claimed_until = $3 WHERE id = $1 AND state = 'pending' \
         AND (claimed_until IS NULL OR claimed_until < $2)",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(store.pool())
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// How one attempt to send a claimed message ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered,
    /// Failed with `error`; tried again at `retry_at`.
    Retry {
        error: String,
        retry_at: String,
    },
    /// Failed with `error`, and the give-up time has passed.
    Abandon {
        error: String,
    },
}

/// Records the attempt's `outcome` on `message` and audits it (`detail` names the rule, the
/// branch and the webhook).
pub async fn settle(
    store: &Store,
    message: &Message,
    outcome: &Outcome,
    detail: &str,
) -> Result<(), StoreError> {
    let attempts = to_i64(message.attempts + 1)?;
    let now = now_text();
    let mut tx = store.begin_write().await?;
    let (state, error, next, action) = match outcome {
        Outcome::Delivered => ("delivered", None, now.as_str(), "alert delivered"),
        Outcome::Retry { error, retry_at } => (
            "pending",
            Some(error.as_str()),
            retry_at.as_str(),
            "alert delivery failed",
        ),
        Outcome::Abandon { error } => ("abandoned", Some(error.as_str()), now.as_str(), "alert abandoned"),
    };
    query(
        "UPDATE alert_message SET state = $2, attempts = $3, last_error = $4, next_attempt_at = $5, \
         claimed_until = NULL, delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE NULL END \
         WHERE id = $1",
    )
    .bind(message.id)
    .bind(state)
    .bind(attempts)
    .bind(error)
    .bind(next)
    .bind(now.as_str())
    .execute(&mut *tx)
    .await?;
    let detail = match error {
        Some(error) => format!("{detail} (attempt {attempts}): {error}"),
        None => format!("{detail} (attempt {attempts})"),
    };
    audit(&mut tx, Actor::new("hq", Some(&message.org)), action, &detail).await?;
    tx.commit().await?;
    store.after_commit();
    Ok(())
}

/// Messages not yet delivered, of every rule (for `/metrics`).
pub async fn pending_count(store: &Store) -> Result<u64, StoreError> {
    let row = query("SELECT COUNT(*) FROM alert_message WHERE state = 'pending'")
        .fetch_one(store.pool())
        .await?;
    Ok(get_u64(&row, 0)?)
}
