//! HQ's figures of one branch's business day: each stored document dated that day, with its
//! checksum, its lines' count and sums, and the outbox position that carried it.

use crate::store::db::dialect::{Dialect, AMOUNT_SCALE, QTY_SCALE};
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use branchline_shared::{DayDocument, DayFigures};

/// The documents of branch `branch_id` dated `day` (`YYYY-MM-DD`), read on `connection`.
pub(crate) async fn day_figures(
    connection: &mut Conn,
    dialect: Dialect,
    branch_id: i64,
    day: &str,
) -> Result<DayFigures, DbError> {
    let sql = format!(
        "SELECT d.number, d.doc_type, d.checksum, d.epoch, d.seq, COUNT(l.line_no), {}, {}, {} \
         FROM document d LEFT JOIN document_line l \
         ON l.branch_id = d.branch_id AND l.number = d.number AND l.doc_date = d.doc_date \
         WHERE d.branch_id = $1 AND d.doc_date = $2 \
         GROUP BY d.number, d.doc_type, d.checksum, d.epoch, d.seq ORDER BY d.number",
        dialect.decimal_column("COALESCE(SUM(l.qty), 0)"),
        dialect.decimal_column("COALESCE(SUM(l.amount), 0)"),
        dialect.decimal_column("COALESCE(SUM(l.tax), 0)"),
    );
    let rows = query(&sql)
        .bind(branch_id)
        .bind(day)
        .fetch_all(connection)
        .await?;
    let mut documents = Vec::with_capacity(rows.len());
    for row in rows {
        let decimal = |index, scale| {
            dialect
                .read_decimal(&row, index, scale)
                .map(Option::unwrap_or_default)
        };
        documents.push(DayDocument {
            number: row.try_get(0)?,
            doc_type: row.try_get(1)?,
            checksum: row.try_get(2)?,
            position: (get_u64(&row, 3)?, get_u64(&row, 4)?),
            lines: get_u64(&row, 5)?,
            qty: decimal(6, QTY_SCALE)?,
            amount: decimal(7, AMOUNT_SCALE)?,
            tax: decimal(8, AMOUNT_SCALE)?,
        });
    }
    Ok(DayFigures::new(documents))
}
