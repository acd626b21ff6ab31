//! Adding a batch's product sales and on-hand additions (`pending::PendingAdds`) to the packed
//! roll-ups (`packed.rs`), inside the ingestion transaction, which holds the branch's lock (see
//! `delta`): the additions are kept as one pending row of the branch, and the batch that would
//! make the branch's `Store::rollup_fold_batches`-th row folds every pending row and its own
//! additions into the blocks instead, then deletes the rows. A fold reads each touched block,
//! merges it with its additions slot by slot (`packed::merged`) and writes it back; the year
//! level is summed from the months. When ingestion pauses, HQ folds every branch's pending rows
//! (`fold_when_idle`).

use super::packed;
use super::packed::{PackError, SlotAdd, SlotSums};
use super::packed_store;
use super::pending::{EncodedRow, Part, PendingAdds};
use crate::store::bulk::insert::Inserts;
use crate::store::bulk::rows::{ColumnKind, InsertSpec, Value};
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::{Store, StoreError};
use std::future::Future;
use std::time::Duration;

/// Queues `adds`, the additions of one batch of `branch_id`, as a pending row (`encoded`, if
/// already), or folds them with the branch's pending rows into the blocks (see the module
/// comment).
pub(super) async fn add_batch(
    connection: &mut Conn,
    store: &Store,
    branch_id: i64,
    mut adds: PendingAdds,
    encoded: Option<EncodedRow>,
    inserts: &mut Inserts<'_>,
) -> Result<(), StoreError> {
    if adds.is_empty() {
        return Ok(());
    }
    let held: i64 = query("SELECT COUNT(*) FROM rollup_pending WHERE branch_id = $1")
        .bind(branch_id)
        .fetch_one(&mut *connection)
        .await?
        .try_get(0)?;
    if held + 1 < i64::from(store.rollup_fold_batches()) {
        // Rows are numbered 0, 1, ... from the last fold, which deleted them all.
        let EncodedRow { sales, stock } = encoded.unwrap_or_else(|| adds.encode());
        let cells = vec![
            Value::Int(branch_id),
            Value::Int(held),
            Value::Blob(sales),
            Value::Blob(stock),
        ];
        inserts.add(&PENDING_INSERT, cells);
        return Ok(());
    }
    if held > 0 {
        take_pending(connection, branch_id, &mut adds).await?;
    }
    // Counted when planned: the ingestion transaction it belongs to rarely rolls back.
    store.counters().folded();
    fold(connection, branch_id, &adds, inserts).await
}

/// Adds the pending rows of `branch_id` to `adds` and deletes them.
async fn take_pending(
    connection: &mut Conn,
    branch_id: i64,
    adds: &mut PendingAdds,
) -> Result<(), StoreError> {
    let rows = query("SELECT sales, stock FROM rollup_pending WHERE branch_id = $1")
        .bind(branch_id)
        .fetch_all(&mut *connection)
        .await?;
    for row in rows {
        adds.decode_into(Part::Sales, branch_id, &row.try_get::<Vec<u8>, _>(0)?)?;
        adds.decode_into(Part::Stock, branch_id, &row.try_get::<Vec<u8>, _>(1)?)?;
    }
    query("DELETE FROM rollup_pending WHERE branch_id = $1")
        .bind(branch_id)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Folds the pending rows of every branch that has some into the blocks, one transaction per
/// branch (holding its lock, as ingestion does); answers how many branches were folded.
pub async fn fold_pending(store: &Store) -> Result<usize, StoreError> {
    let branches = query("SELECT DISTINCT branch_id FROM rollup_pending ORDER BY branch_id")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<Vec<i64>, _>>()?;
    let lock = format!(
        "SELECT id FROM branch WHERE id = $1{}",
        store.dialect().for_update()
    );
    for branch_id in &branches {
        let mut tx = store.begin_write().await?;
        query(&lock).bind(branch_id).execute(&mut *tx).await?;
        let mut adds = PendingAdds::default();
        take_pending(&mut tx, *branch_id, &mut adds).await?;
        let mut inserts = Inserts::default();
        fold(&mut tx, *branch_id, &adds, &mut inserts).await?;
        inserts.write(&mut tx).await?;
        tx.commit().await?;
        store.after_commit();
        store.counters().folded();
    }
    Ok(branches.len())
}

/// Until `shutdown`: whenever nothing committed for a whole `idle` (ticks of that length),
/// folds every branch's pending rows (`fold_pending`), so that reports between bursts of
/// ingestion read the blocks alone. A fold that fails is logged and tried again after the next
/// idle tick.
pub async fn fold_when_idle(store: Store, idle: Duration, shutdown: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval(idle);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut seen = store.commits();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticks.tick() => {}
        }
        let commits = store.commits();
        if commits == seen {
            match fold_pending(&store).await {
                Ok(0) => {}
                Ok(folded) => tracing::info!(branches = folded, "folded pending roll-ups while idle"),
                Err(error) => tracing::warn!(%error, "folding pending roll-ups failed"),
            }
        }
        // The folds' own commits are not ingestion.
        seen = store.commits();
    }
}

/// Adds `adds` to the blocks of `branch_id`: every touched block is read, merged and queued back.
async fn fold(
    connection: &mut Conn,
    branch_id: i64,
    adds: &PendingAdds,
    inserts: &mut Inserts<'_>,
) -> Result<(), StoreError> {
    let (mut year, mut month, mut stock) = <(LevelDelta, LevelDelta, LevelDelta)>::default();
    for (period, product, sums) in &adds.sales {
        let (block, _) = packed::block_of(*product);
        let year_period = packed::year_of_month(*period);
        year.add(packed::block_key(branch_id, year_period, block)?, *product, *sums);
        month.add(packed::block_key(branch_id, *period, block)?, *product, *sums);
    }
    for (warehouse, product, sums) in &adds.stock {
        let (block, _) = packed::block_of(*product);
        stock.add(packed::stock_key(branch_id, *warehouse, block)?, *product, *sums);
    }
    let mut levels = [
        (&YEAR_BLOCK_UPSERT, year),
        (&MONTH_BLOCK_UPSERT, month),
        (&STOCK_BLOCK_UPSERT, stock),
    ];
    let mut wanted = Vec::with_capacity(levels.len());
    for (spec, delta) in &mut levels {
        delta.coalesce()?;
        wanted.push((spec.table, delta.keys()));
    }
    let stored = packed_store::read_blocks(connection, &wanted).await?;
    for (((spec, delta), stored), (_, keys)) in levels.into_iter().zip(stored).zip(&wanted) {
        let mut cells = Vec::with_capacity(keys.len() * 2);
        for adds in delta.0.chunk_by(|left, right| left.key == right.key) {
            let key = adds[0].key;
            let bytes = packed::merged(stored.get(&key).map(Vec::as_slice), key, adds)?;
            cells.extend([Value::Int(key), Value::Blob(bytes)]);
        }
        inserts.add(spec, cells);
    }
    Ok(())
}

/// One packed level's additions, slot by slot (`coalesce` groups them into blocks).
#[derive(Debug, Default)]
struct LevelDelta(Vec<SlotAdd>);

impl LevelDelta {
    fn add(&mut self, key: i64, product: i64, sums: SlotSums) {
        let (_, slot) = packed::block_of(product);
        self.0.push(SlotAdd {
            key,
            slot,
            product,
            sums,
        });
    }

    /// Sorts the additions by block and slot and sums those to the same slot.
    fn coalesce(&mut self) -> Result<(), PackError> {
        self.0.sort_unstable_by_key(|add| (add.key, add.slot));
        let mut coalesced: Vec<SlotAdd> = Vec::with_capacity(self.0.len());
        for add in self.0.drain(..) {
            match coalesced.last_mut() {
                Some(last) if (last.key, last.slot) == (add.key, add.slot) => {
                    last.sums = last.sums.checked_add(add.sums, add.product)?;
                }
                _ => coalesced.push(add),
            }
        }
        self.0 = coalesced;
        Ok(())
    }

    /// The distinct block keys, ascending (after `coalesce`).
    fn keys(&self) -> Vec<i64> {
        let mut keys: Vec<i64> = self.0.iter().map(|add| add.key).collect();
        keys.dedup();
        keys
    }
}

/// A packed block written back whole (read, added to and re-encoded in `fold`).
const YEAR_BLOCK_UPSERT: InsertSpec = InsertSpec {
    table: "sales_year_block",
    columns: &[("key", ColumnKind::Int), ("sums", ColumnKind::Blob)],
    on_conflict: "ON CONFLICT (key) DO UPDATE SET sums = excluded.sums",
};

const MONTH_BLOCK_UPSERT: InsertSpec = InsertSpec {
    table: "sales_month_block",
    ..YEAR_BLOCK_UPSERT
};

const STOCK_BLOCK_UPSERT: InsertSpec = InsertSpec {
    table: "stock_block",
    ..YEAR_BLOCK_UPSERT
};

/// One pending row: a batch's additions not yet folded.
const PENDING_INSERT: InsertSpec = InsertSpec {
    table: "rollup_pending",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("seq", ColumnKind::Int),
        ("sales", ColumnKind::Blob),
        ("stock", ColumnKind::Blob),
    ],
    on_conflict: "",
};
