//! What the daily close compares with HQ: every confirmed document dated one business day, with
//! its checksum, line count, sums and the outbox position that carried it.

use crate::doc_store::{load_document, stored_checksum};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use branchline_shared::{DayDocument, DayFigures};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

impl Ledger {
    /// The confirmed documents dated `day`, each with the (epoch, seq) of its outbox entry
    /// ((0, 0) for one the outbox no longer holds).
    pub fn day_figures(&self, day: NaiveDate) -> Result<DayFigures, LedgerError> {
        let tx = self.conn.unchecked_transaction()?;
        let day_text = day.format("%Y-%m-%d").to_string();
        let heads = tx
            .prepare_cached(
                "SELECT id, checksum FROM document WHERE status = 'confirmed' AND date = ?1 ORDER BY number",
            )?
            .query_map([&day_text], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let positions: HashMap<String, (u64, u64)> = tx
            .prepare_cached(
                "SELECT json_extract(o.body, '$.number'), o.epoch, o.seq FROM outbox o
                 WHERE o.is_document = 1 AND json_extract(o.body, '$.number') IN
                     (SELECT number FROM document WHERE status = 'confirmed' AND date = ?1)",
            )?
            .query_map([&day_text], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    (row.get::<_, u64>(1)?, row.get::<_, u64>(2)?),
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut documents = Vec::with_capacity(heads.len());
        for (id, checksum_column) in heads {
            let stored = load_document(&tx, id)?;
            let document = stored.document;
            let totals = document.totals();
            documents.push(DayDocument {
                checksum: stored_checksum(&tx, id, &checksum_column)?,
                doc_type: document.doc_type.as_str().to_owned(),
                lines: document.lines.len() as u64,
                qty: document.lines.iter().map(|line| line.qty).sum::<Decimal>(),
                amount: totals.amount,
                tax: totals.tax,
                position: positions.get(&document.number).copied().unwrap_or((0, 0)),
                number: document.number,
            });
        }
        Ok(DayFigures::new(documents))
    }
}
