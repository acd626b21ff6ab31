//! Reading the packed product roll-ups (`rollup::packed`) for a report: the blocks of every asked
//! branch in a range of years or months, and its pending sales (`rollup::pending`) in those periods,
//! are decoded in Rust and folded into the report's groups (`groups::Groups`), product ids
//! turned into codes through `product_slot`.
//!
//! Blocks of one scope (a ledger when grouped by org, a month when grouped by month) are summed
//! per product id into a dense array, then handed to the groups in product code order, so the
//! groups of a statement are unique and usually already sorted. On a SQLite file the blocks are
//! read through read-only rusqlite connections, on two threads when the grouping starts with
//! the ledger; PostgreSQL (and in-memory SQLite) blocks come through the pool.

use super::error::ReadError;
use super::groups::{slot, Groups, Key};
use super::query::GroupBy;
use crate::store::db::dialect::{AMOUNT_SCALE, QTY_SCALE};
use crate::store::db::error::DbError;
use crate::store::db::query::query;
use crate::store::db::read_only::open_read_only;
use crate::store::rollup::packed::{SlotSums, BLOCK_SLOTS};
use crate::store::rollup::pending::Part;
use crate::store::rollup::{packed, pending};
use crate::store::Store;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A packed level: its table, and whether its periods are months (else years).
pub(super) struct PackedLevel {
    table: &'static str,
    months: bool,
}

pub(super) const YEAR_BLOCKS: PackedLevel = PackedLevel {
    table: "sales_year_block",
    months: false,
};

pub(super) const MONTH_BLOCKS: PackedLevel = PackedLevel {
    table: "sales_month_block",
    months: true,
};

impl PackedLevel {
    /// The period of a segment bound (`YYYY` or `YYYY-MM`, as `calendar` writes them).
    pub(super) fn period(&self, text: &str) -> Option<i64> {
        if self.months {
            let (year, month) = text.split_once('-')?;
            Some(packed::month_period(year.parse().ok()?, month.parse().ok()?))
        } else {
            Some(packed::year_period(text.parse().ok()?))
        }
    }
}

/// Statements read on SQLite files at once, each over a part of the branches.
const SQLITE_READERS: usize = 2;

/// Every product id's code, and the ids in code order.
struct ProductCodes {
    /// By id; empty for an id never given out (a gap in PostgreSQL's sequence).
    codes: Vec<Box<str>>,
    order: Vec<u32>,
}

impl ProductCodes {
    fn new(pairs: Vec<(i64, String)>) -> ProductCodes {
        let len = pairs.iter().map(|(id, _)| *id as usize + 1).max().unwrap_or(0);
        let mut codes: Vec<Box<str>> = vec![Box::from(""); len];
        let mut order = Vec::with_capacity(pairs.len());
        for (id, code) in pairs {
            codes[id as usize] = code.into_boxed_str();
            order.push(id as u32);
        }
        order.sort_unstable_by(|a, b| codes[*a as usize].cmp(&codes[*b as usize]));
        ProductCodes { codes, order }
    }
}

/// Sums of one product in one scope; i128 so that no sum over many blocks can wrap.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    qty: i128,
    amount: i128,
    tax: i128,
    lines: i64,
}

impl Acc {
    fn add(&mut self, sums: SlotSums) {
        self.qty += i128::from(sums.qty);
        self.amount += i128::from(sums.amount);
        self.tax += i128::from(sums.tax);
        self.lines = self.lines.saturating_add(sums.lines);
    }
}

/// Folds blocks into per-scope dense arrays and hands them to the groups.
struct Folder<'c> {
    codes: &'c ProductCodes,
    by_org: bool,
    by_month: bool,
    /// Product id → text id in the groups + 1 (0 = not interned yet).
    text_of: Vec<u32>,
    /// (ledger or 0, month period or -1) → sums by product id.
    scopes: BTreeMap<(u32, i64), Vec<Acc>>,
    /// Zeroed arrays of flushed scopes, reused rather than allocated and faulted in again.
    spare: Vec<Vec<Acc>>,
}

impl<'c> Folder<'c> {
    fn new(codes: &'c ProductCodes, by: &[GroupBy]) -> Folder<'c> {
        Folder {
            codes,
            by_org: by.contains(&GroupBy::Org),
            by_month: by.contains(&GroupBy::Month),
            text_of: vec![0; codes.codes.len()],
            scopes: BTreeMap::new(),
            spare: Vec::new(),
        }
    }

    /// The sums by product id of `ledger` in `period`, long enough for `product`'s block.
    fn scope(&mut self, ledger: u32, period: i64, product: usize) -> &mut Vec<Acc> {
        let scope = (
            if self.by_org { ledger } else { 0 },
            if self.by_month { period } else { -1 },
        );
        let spare = &mut self.spare;
        let sums = self
            .scopes
            .entry(scope)
            .or_insert_with(|| spare.pop().unwrap_or_default());
        let end = (product / BLOCK_SLOTS + 1) * BLOCK_SLOTS;
        if sums.len() < end {
            sums.resize(end, Acc::default());
        }
        sums
    }

    fn add_block(&mut self, ledger: u32, key: i64, bytes: &[u8]) -> Result<(), ReadError> {
        let (_, period, block) = packed::split_key(key);
        let first = block as usize * BLOCK_SLOTS;
        let sums = self.scope(ledger, period, first);
        packed::for_each_slot(bytes, key, |slot, slot_sums| sums[first + slot].add(slot_sums))?;
        Ok(())
    }

    /// Adds the pending sales (`rollup::pending`) of `branch` (its `ledger`), stored as `bytes`, that
    /// fall in periods `low..=high` of `level`.
    fn add_pending(
        &mut self,
        (ledger, branch): (u32, i64),
        level: &PackedLevel,
        (low, high): (i64, i64),
        bytes: &[u8],
    ) -> Result<(), ReadError> {
        let period_of = |month: i64| {
            if level.months {
                month
            } else {
                packed::year_of_month(month)
            }
        };
        if !self.by_month {
            // One scope for them all, looked up once (an id past every known one, which `flush`
            // refuses, makes it longer).
            let sums = self.scope(ledger, -1, self.codes.codes.len().saturating_sub(1));
            pending::for_each_add(Part::Sales, branch, bytes, |month, product, slot_sums| {
                let product = product as usize;
                if (low..=high).contains(&period_of(month)) {
                    if product >= sums.len() {
                        sums.resize((product / BLOCK_SLOTS + 1) * BLOCK_SLOTS, Acc::default());
                    }
                    sums[product].add(slot_sums);
                }
            })?;
            return Ok(());
        }
        pending::for_each_add(Part::Sales, branch, bytes, |month, product, slot_sums| {
            let period = period_of(month);
            if (low..=high).contains(&period) {
                let product = product as usize;
                self.scope(ledger, period, product)[product].add(slot_sums);
            }
        })?;
        Ok(())
    }

    /// Hands every scope's products with lines to `groups`, in product code order.
    fn flush(&mut self, groups: &mut Groups) -> Result<(), ReadError> {
        let org_slot = slot(GroupBy::Org);
        let (product_slot, month_slot) = (slot(GroupBy::Product), slot(GroupBy::Month));
        for ((ledger, period), sums) in std::mem::take(&mut self.scopes) {
            let mut key: Key = [0; 6];
            key[org_slot] = ledger;
            if self.by_month {
                key[month_slot] = groups.intern(&packed::month_text(period)) + 1;
            }
            let mut handed = 0;
            for id in &self.codes.order {
                let id = *id as usize;
                let Some(acc) = sums.get(id).filter(|acc| acc.lines != 0) else {
                    continue;
                };
                if self.text_of[id] == 0 {
                    self.text_of[id] = groups.intern(&self.codes.codes[id]) + 1;
                }
                key[product_slot] = self.text_of[id];
                let decimal = |value: i128, scale: u32| {
                    Decimal::try_from_i128_with_scale(value, scale).map_err(|_| ReadError::SumOverflow {
                        product: self.codes.codes[id].to_string(),
                    })
                };
                let values = [
                    decimal(acc.qty, QTY_SCALE)?,
                    decimal(acc.amount, AMOUNT_SCALE)?,
                    decimal(acc.tax, AMOUNT_SCALE)?,
                ];
                groups.add_group(key, &values);
                handed += 1;
            }
            if handed != sums.iter().filter(|acc| acc.lines != 0).count() {
                return Err(ReadError::UnknownProduct);
            }
            let mut sums = sums;
            sums.fill(Acc::default());
            self.spare.push(sums);
        }
        Ok(())
    }
}

/// `read_packed` on an SQLite file: read-only connections in blocking tasks, two at once over
/// halves of the branches.
async fn read_packed_sqlite(
    path: PathBuf,
    level: &'static PackedLevel,
    branches: &[i64],
    (low, high): (i64, i64),
    mut groups: Groups,
) -> Result<Groups, ReadError> {
    let mut ranked: Vec<(u32, i64)> = branches
        .iter()
        .map(|branch| (groups.ledger_of(*branch), *branch))
        .collect();
    ranked.sort_unstable();
    // Parts over other branches share no group when the keys start with the ledger; otherwise
    // (a ranking by product over the subtree, say) their equal groups are added up.
    let disjoint = groups.splits_by_branch();
    let path = Arc::new(path);
    let readers: Vec<_> = (0..SQLITE_READERS)
        .map(|part| {
            let part_branches: Vec<(u32, i64)> = ranked
                .iter()
                .enumerate()
                .filter(|(index, _)| index % SQLITE_READERS == part)
                .map(|(_, branch)| *branch)
                .collect();
            let (path, part_groups) = (path.clone(), groups.empty_like());
            tokio::task::spawn_blocking(move || {
                read_sqlite(&path, level, &part_branches, (low, high), part_groups)
            })
        })
        .collect();
    for reader in readers {
        let part = reader.await.map_err(|_| ReadError::TaskFailed)??;
        match disjoint {
            true => groups.append_part(part),
            false => groups.merge_part(part),
        }
    }
    Ok(groups)
}

/// Folds the blocks of `level` for `branches` (store ids) in periods `[low, high]` (segment
/// bounds) into `groups`, which must group by product and by nothing finer than the month.
pub(super) async fn read_packed(
    store: &Store,
    level: &'static PackedLevel,
    branches: Vec<i64>,
    (low, high): (&str, &str),
    mut groups: Groups,
) -> Result<Groups, ReadError> {
    let bad_bound = |text: &str| ReadError::BadPeriod {
        text: text.to_owned(),
    };
    let low = level.period(low).ok_or_else(|| bad_bound(low))?;
    let high = level.period(high).ok_or_else(|| bad_bound(high))?;
    groups.begin_statement();
    if let Some(path) = store.sqlite_file() {
        return read_packed_sqlite(path.to_owned(), level, &branches, (low, high), groups).await;
    }
    // The blocks first, the codes after: a block's products got their ids in the transaction
    // that wrote it, so a later read of `product_slot` knows every id a block holds. A branch's
    // blocks and pending rows (key NULL) come in one statement, so from one snapshot.
    let sql = format!(
        "SELECT key, sums FROM {} WHERE key >= $1 AND key <= $2 \
         UNION ALL SELECT NULL, sales FROM rollup_pending WHERE branch_id = $3",
        level.table
    );
    let mut blocks = Vec::with_capacity(branches.len());
    for branch in branches {
        let Some((first, last)) = packed::key_range(branch, low, high) else {
            continue;
        };
        let rows = query(&sql)
            .bind(first)
            .bind(last)
            .bind(branch)
            .fetch_all(store.pool())
            .await?;
        blocks.push((groups.ledger_of(branch), branch, rows));
    }
    let pairs = query("SELECT id, code FROM product_slot")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<Vec<(i64, String)>, DbError>>()?;
    let codes = ProductCodes::new(pairs);
    let mut folder = Folder::new(&codes, groups.by());
    for (ledger, branch, rows) in blocks {
        for row in rows {
            let bytes: Vec<u8> = row.try_get(1)?;
            match row.try_get::<Option<i64>, _>(0)? {
                Some(key) => folder.add_block(ledger, key, &bytes)?,
                None => folder.add_pending((ledger, branch), level, (low, high), &bytes)?,
            }
        }
        if folder.by_org {
            folder.flush(&mut groups)?;
        }
    }
    folder.flush(&mut groups)?;
    Ok(groups)
}

/// Reads the blocks of `branches` ((ledger, store id), in ledger order) into `groups`.
fn read_sqlite(
    path: &Path,
    level: &PackedLevel,
    branches: &[(u32, i64)],
    (low, high): (i64, i64),
    mut groups: Groups,
) -> Result<Groups, ReadError> {
    let connection = open_read_only(path)?;
    // One snapshot for the codes and the blocks.
    let snapshot = connection.unchecked_transaction()?;
    let pairs = snapshot
        .prepare("SELECT id, code FROM product_slot")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<Vec<(i64, String)>, _>>()?;
    let codes = ProductCodes::new(pairs);
    // Every product of every branch at most (a million groups at 10M lines): one allocation
    // instead of a dozen doublings, each copying everything before it.
    let ledgers = if groups.by().contains(&GroupBy::Org) {
        branches.len()
    } else {
        1
    };
    groups.reserve(codes.order.len() * ledgers);
    let mut statement = snapshot.prepare(&format!(
        "SELECT key, sums FROM {} WHERE key BETWEEN ?1 AND ?2",
        level.table
    ))?;
    let mut pending_rows = snapshot.prepare("SELECT sales FROM rollup_pending WHERE branch_id = ?1")?;
    let mut folder = Folder::new(&codes, groups.by());
    for (ledger, branch) in branches {
        let Some((first, last)) = packed::key_range(*branch, low, high) else {
            continue;
        };
        let mut rows = statement.query([first, last])?;
        while let Some(row) = rows.next()? {
            let key = row
                .get_ref(0)?
                .as_i64()
                .map_err(|source| ReadError::Cell { index: 0, source })?;
            let bytes = row
                .get_ref(1)?
                .as_blob()
                .map_err(|source| ReadError::Cell { index: 1, source })?;
            folder.add_block(*ledger, key, bytes)?;
        }
        let mut rows = pending_rows.query([branch])?;
        while let Some(row) = rows.next()? {
            let bytes = row
                .get_ref(0)?
                .as_blob()
                .map_err(|source| ReadError::Cell { index: 0, source })?;
            folder.add_pending((*ledger, *branch), level, (low, high), bytes)?;
        }
        if folder.by_org {
            folder.flush(&mut groups)?;
        }
    }
    folder.flush(&mut groups)?;
    drop((statement, pending_rows));
    snapshot.finish()?;
    Ok(groups)
}
