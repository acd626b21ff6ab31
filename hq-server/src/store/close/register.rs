//! The register of daily closes: a day is closed only when the ledger's figures equal what HQ
//! holds (HQ recomputes its own, never taking the branch's word), listed per branch, and
//! reopened, audited, in the transaction that stores a document dated on a closed day.

use super::figures::day_figures;
use crate::store::db::dialect::Dialect;
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::audit::audit;
use crate::store::registry::branches::BranchRef;
use crate::store::{Store, StoreError};
use branchline_shared::{day_differences, DayFigures};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What a close request came to: HQ's own figures, and when the day was recorded closed
/// (`None`: the figures differ and nothing was recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseOutcome {
    pub hq: DayFigures,
    pub closed_at: Option<String>,
}

/// One recorded close, as `admin close list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayClose {
    pub day: String,
    /// `closed` or `reopened`.
    pub state: String,
    pub documents: u64,
    pub lines: u64,
    pub qty: String,
    pub amount: String,
    pub tax: String,
    /// (epoch, seq) of the day's first and last documents' entries; `None` for an empty day.
    pub seq_range: Option<((u64, u64), (u64, u64))>,
    pub closed_at: String,
    pub reopened_at: Option<String>,
}

/// Compares `ledger` with HQ's figures of `branch`'s `day` in one write transaction (the
/// branch row locked, so no batch lands in between) and records the day closed when they are
/// equal.
pub async fn close_day(
    store: &Store,
    branch: &BranchRef,
    day: NaiveDate,
    ledger: &DayFigures,
) -> Result<CloseOutcome, StoreError> {
    let day_text = day.format("%Y-%m-%d").to_string();
    let mut tx = store.begin_write().await?;
    let lock = format!(
        "SELECT id FROM branch WHERE id = $1{}",
        store.dialect().for_update()
    );
    query(&lock).bind(branch.id).fetch_one(&mut tx).await?;
    let hq = day_figures(&mut tx, store.dialect(), branch.id, &day_text).await?;
    if !day_differences(ledger, &hq).is_empty() {
        return Ok(CloseOutcome { hq, closed_at: None });
    }
    let now = now_text();
    let totals = hq.totals();
    let ((first_epoch, first_seq), (last_epoch, last_seq)) = totals.seq_range.unwrap_or_default();
    query(
        "INSERT INTO day_close (branch_id, day, state, documents, lines, qty, amount, tax, \
             first_epoch, first_seq, last_epoch, last_seq, closed_at, reopened_at) \
         VALUES ($1, $2, 'closed', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL) \
         ON CONFLICT (branch_id, day) DO UPDATE SET state = 'closed', documents = excluded.documents, \
             lines = excluded.lines, qty = excluded.qty, amount = excluded.amount, tax = excluded.tax, \
             first_epoch = excluded.first_epoch, first_seq = excluded.first_seq, \
             last_epoch = excluded.last_epoch, last_seq = excluded.last_seq, closed_at = excluded.closed_at",
    )
    .bind(branch.id)
    .bind(&day_text)
    .bind(to_i64(totals.documents)?)
    .bind(to_i64(totals.lines)?)
    .bind(totals.qty.normalize().to_string())
    .bind(format!("{:.2}", totals.amount))
    .bind(format!("{:.2}", totals.tax))
    .bind(to_i64(first_epoch)?)
    .bind(to_i64(first_seq)?)
    .bind(to_i64(last_epoch)?)
    .bind(to_i64(last_seq)?)
    .bind(&now)
    .execute(&mut tx)
    .await?;
    let detail = format!(
        "{} {day_text}: {} documents, {} lines, amount {:.2}",
        branch.code, totals.documents, totals.lines, totals.amount
    );
    audit(&mut tx, branch.actor(), "day close", &detail).await?;
    tx.commit().await?;
    store.after_commit();
    Ok(CloseOutcome {
        hq,
        closed_at: Some(now),
    })
}

/// Every close recorded for `branch`, by day.
pub async fn list(store: &Store, branch: &BranchRef) -> Result<Vec<DayClose>, StoreError> {
    let rows = query(
        "SELECT day, state, documents, lines, qty, amount, tax, first_epoch, first_seq, last_epoch, \
             last_seq, closed_at, reopened_at FROM day_close WHERE branch_id = $1 ORDER BY day",
    )
    .bind(branch.id)
    .fetch_all(store.pool())
    .await?;
    let mut closes = Vec::with_capacity(rows.len());
    for row in rows {
        let documents = get_u64(&row, 2)?;
        let first = (get_u64(&row, 7)?, get_u64(&row, 8)?);
        let last = (get_u64(&row, 9)?, get_u64(&row, 10)?);
        closes.push(DayClose {
            day: row.try_get(0)?,
            state: row.try_get(1)?,
            documents,
            lines: get_u64(&row, 3)?,
            qty: row.try_get(4)?,
            amount: row.try_get(5)?,
            tax: row.try_get(6)?,
            seq_range: (documents > 0).then_some((first, last)),
            closed_at: row.try_get(11)?,
            reopened_at: row.try_get(12)?,
        });
    }
    Ok(closes)
}

/// Reopens each closed day of `branch` on which one of `documents` ((date, number), about to
/// be stored in the caller's transaction) is dated, with an audit event naming the document.
pub(crate) async fn reopen_days<'a>(
    connection: &mut Conn,
    dialect: Dialect,
    branch: &BranchRef,
    documents: impl IntoIterator<Item = (NaiveDate, &'a str)>,
) -> Result<(), DbError> {
    let mut days: BTreeMap<NaiveDate, &str> = BTreeMap::new();
    for (date, number) in documents {
        days.entry(date).or_insert(number);
    }
    let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
        return Ok(());
    };
    let closed = query(&format!(
        "SELECT day FROM day_close WHERE branch_id = $1 AND state = 'closed' AND day >= $2 AND day <= $3{}",
        dialect.for_update()
    ))
    .bind(branch.id)
    .bind(first.format("%Y-%m-%d").to_string())
    .bind(last.format("%Y-%m-%d").to_string())
    .fetch_all(&mut *connection)
    .await?;
    let now = now_text();
    for row in closed {
        let day_text: String = row.try_get(0)?;
        let Some(number) = NaiveDate::parse_from_str(&day_text, "%Y-%m-%d")
            .ok()
            .and_then(|day| days.get(&day))
        else {
            continue;
        };
        query("UPDATE day_close SET state = 'reopened', reopened_at = $3 WHERE branch_id = $1 AND day = $2")
            .bind(branch.id)
            .bind(&day_text)
            .bind(&now)
            .execute(&mut *connection)
            .await?;
        let detail = format!(
            "{} {day_text}: document {number} dated that day arrived after the close",
            branch.code
        );
        audit(connection, branch.actor(), "day reopen", &detail).await?;
    }
    Ok(())
}
