//! Where the packed product roll-ups (`packed.rs`) meet the database during ingestion: product
//! ids assigned on first sight, and the touched blocks read back before they are added to.
//! On SQLite both run through rusqlite on the transaction's own connection;
//! on PostgreSQL each is one statement.

use super::slot_cache::SlotCache;
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::pool::Driver;
use crate::store::db::query::query;
use rusqlite::OptionalExtension;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// The ids of `codes` (sorted, distinct), in the same order; codes seen for the first time get
/// the next free ids. Call at most once per transaction: what the database answers before this
/// call's own inserts is taken as committed and kept in `cache`.
///
/// SQLite has one writer at a time, so the next id is one past the largest. On PostgreSQL
/// transactions of different branches run at once: ids come from the sequence behind
/// `product_slot.id` (a rolled-back transaction leaves a gap, which only costs an emptier
/// block), new codes are inserted in code order so that two transactions never wait on each
/// other's codes in opposite orders, and a code another transaction inserted meanwhile is read
/// again once it has committed.
pub(crate) async fn product_ids(
    connection: &mut Conn,
    cache: &SlotCache,
    codes: &[&str],
) -> Result<Vec<i64>, DbError> {
    let mut ids: Vec<Option<i64>> = {
        let cached = cache.read();
        codes.iter().map(|code| cached.get(*code).copied()).collect()
    };
    let missing: Vec<&str> = codes
        .iter()
        .zip(&ids)
        .filter(|(_, id)| id.is_none())
        .map(|(code, _)| *code)
        .collect();
    if missing.is_empty() {
        return Ok(ids.into_iter().flatten().collect());
    }
    let found = match connection.driver() {
        Driver::Sqlite(native) => native.run(|native| sqlite_product_ids(native, &missing))?,
        Driver::Postgres(_) => postgres_product_ids(connection, &missing).await?,
    };
    cache.remember(
        missing
            .iter()
            .zip(&found)
            .filter(|(_, slot)| slot.committed)
            .map(|(code, slot)| (Box::from(*code), slot.id)),
    );
    let mut found = found.into_iter();
    for id in ids.iter_mut().filter(|id| id.is_none()) {
        *id = found.next().map(|slot| slot.id);
    }
    Ok(ids.into_iter().flatten().collect())
}

/// A product's id, and whether it was committed before the transaction asked.
struct FoundSlot {
    id: i64,
    committed: bool,
}

fn sqlite_product_ids(native: &rusqlite::Connection, codes: &[&str]) -> Result<Vec<FoundSlot>, DbError> {
    let mut lookup = native.prepare_cached("SELECT id FROM product_slot WHERE code = ?1")?;
    let mut insert = native.prepare_cached("INSERT INTO product_slot (code, id) VALUES (?1, ?2)")?;
    let mut next_id: Option<i64> = None;
    let mut ids = Vec::with_capacity(codes.len());
    for code in codes {
        let found: Option<i64> = lookup.query_row([code], |row| row.get(0)).optional()?;
        let slot = match found {
            Some(id) => FoundSlot { id, committed: true },
            None => {
                let id = match next_id {
                    Some(id) => id,
                    None => {
                        native.query_row("SELECT COALESCE(MAX(id) + 1, 0) FROM product_slot", [], |row| {
                            row.get(0)
                        })?
                    }
                };
                insert.execute(rusqlite::params![code, id])?;
                next_id = Some(id + 1);
                FoundSlot { id, committed: false }
            }
        };
        ids.push(slot);
    }
    Ok(ids)
}

async fn postgres_product_ids(connection: &mut Conn, codes: &[&str]) -> Result<Vec<FoundSlot>, DbError> {
    const ASSIGN: &str =
        "WITH w AS (SELECT value FROM jsonb_array_elements_text(CAST($1 AS JSONB)) AS l(value)), \
         fresh AS (INSERT INTO product_slot (code) \
           SELECT value FROM w WHERE NOT EXISTS (SELECT 1 FROM product_slot p WHERE p.code = w.value) \
           ORDER BY value ON CONFLICT (code) DO NOTHING RETURNING code, id) \
         SELECT code, id FROM fresh \
         UNION ALL SELECT w.value, (SELECT p.id FROM product_slot p WHERE p.code = w.value) FROM w";
    const LOOKUP: &str = "SELECT w.value, (SELECT p.id FROM product_slot p WHERE p.code = w.value) \
         FROM jsonb_array_elements_text(CAST($1 AS JSONB)) AS w(value)";
    let mut found: HashMap<String, FoundSlot> = HashMap::with_capacity(codes.len());
    // Known codes first (nearly always all of them): one primary-key probe per code.
    // Then the new ones are inserted; and any a concurrent transaction inserted and committed
    // meanwhile (skipped by ON CONFLICT, not yet visible to that statement) are read again.
    for (sql, committed) in [(LOOKUP, true), (ASSIGN, false), (LOOKUP, false)] {
        let missing: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|code| !found.contains_key(*code))
            .collect();
        if missing.is_empty() {
            break;
        }
        let list = crate::store::bulk::rows::json_list(&missing);
        for row in query(sql).bind(&list).fetch_all(&mut *connection).await? {
            if let Some(id) = row.try_get::<Option<i64>, _>(1)? {
                found.insert(row.try_get(0)?, FoundSlot { id, committed });
            }
        }
    }
    codes
        .iter()
        .map(|code| {
            found.remove(*code).ok_or_else(|| DbError::NoRollupId {
                product: (*code).to_owned(),
            })
        })
        .collect()
}

/// The stored blocks of each `(table, keys)` (keys ascending), by key (missing keys have no row
/// yet), in the order asked: one native borrow on SQLite, reading runs of near keys by range
/// rather than key by key; one statement on PostgreSQL.
pub(crate) async fn read_blocks(
    connection: &mut Conn,
    wanted: &[(&'static str, Vec<i64>)],
) -> Result<Vec<FxHashMap<i64, Vec<u8>>>, DbError> {
    let mut found: Vec<FxHashMap<i64, Vec<u8>>> = wanted.iter().map(|_| FxHashMap::default()).collect();
    if wanted.iter().all(|(_, keys)| keys.is_empty()) {
        return Ok(found);
    }
    match connection.driver() {
        Driver::Sqlite(native) => native.run(|native| sqlite_read_blocks(native, wanted, &mut found))?,
        Driver::Postgres(_) => {
            // One primary-key probe per wanted key, driven by the list (see `plan::Known::load`),
            // each row tagged with the index of its table.
            let selects: Vec<String> = wanted
                .iter()
                .enumerate()
                .map(|(index, (table, _))| {
                    format!(
                        "SELECT CAST({index} AS BIGINT), k.key, (SELECT t.sums FROM {table} t WHERE t.key = k.key) \
                         FROM (SELECT CAST(value AS BIGINT) AS key \
                               FROM jsonb_array_elements_text(CAST(${} AS JSONB)) AS l(value)) k",
                        index + 1
                    )
                })
                .collect();
            let sql = selects.join(" UNION ALL ");
            let mut statement = query(&sql);
            for (_, keys) in wanted {
                statement = statement.bind(serde_json::Value::from(keys.as_slice()).to_string());
            }
            for row in statement.fetch_all(&mut *connection).await? {
                let index: i64 = row.try_get(0)?;
                let blocks = usize::try_from(index)
                    .ok()
                    .and_then(|index| found.get_mut(index))
                    .ok_or(DbError::UnaskedBlockTable { index })?;
                if let Some(bytes) = row.try_get::<Option<Vec<u8>>, _>(2)? {
                    blocks.insert(row.try_get(1)?, bytes);
                }
            }
        }
    }
    Ok(found)
}

/// `read_blocks` on SQLite: runs of near keys by range rather than key by key.
fn sqlite_read_blocks(
    native: &rusqlite::Connection,
    wanted: &[(&'static str, Vec<i64>)],
    found: &mut [FxHashMap<i64, Vec<u8>>],
) -> Result<(), DbError> {
    for ((table, keys), blocks) in wanted.iter().zip(found) {
        let mut statement = native.prepare_cached(&format!(
            "SELECT key, sums FROM {table} WHERE key BETWEEN ?1 AND ?2"
        ))?;
        for (first, last) in key_runs(keys) {
            let mut rows = statement.query([first, last])?;
            while let Some(row) = rows.next()? {
                let key: i64 = row.get(0)?;
                if keys.binary_search(&key).is_ok() {
                    blocks.insert(key, row.get(1)?);
                }
            }
        }
    }
    Ok(())
}

/// Keys at most this far apart are read by one range scan, which passes over the rows between.
const RUN_GAP: i64 = 8;

/// `keys` (ascending) as inclusive ranges, each covering keys at most `RUN_GAP` apart.
fn key_runs(keys: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for key in keys {
        match runs.last_mut() {
            Some((_, last)) if *key - *last <= RUN_GAP => *last = *key,
            _ => runs.push((*key, *key)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn near_keys_are_read_in_runs() {
        assert_eq!(key_runs(&[]), []);
        assert_eq!(key_runs(&[5]), [(5, 5)]);
        let far = 3 + RUN_GAP + 1;
        assert_eq!(
            key_runs(&[1, 2, 3, far, far + RUN_GAP, 1 << 40]),
            [(1, 3), (far, far + RUN_GAP), (1 << 40, 1 << 40)]
        );
    }

    fn cached(cache: &SlotCache, code: &str) -> Option<i64> {
        cache.read().get(code).copied()
    }

    /// The ids of `codes` in a transaction of `store`, as ingestion asks for them.
    async fn ids_in(tx: &mut Conn, store: &Store, codes: &[&str]) -> Vec<i64> {
        product_ids(tx, store.slot_cache(), codes).await.unwrap()
    }

    /// Only ids read back as committed are kept: an id assigned in a transaction that rolls
    /// back is neither kept nor handed out again from the cache.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_committed_ids_enter_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hq.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        let cache = store.slot_cache();

        let mut tx = store.begin_write().await.unwrap();
        let ids = ids_in(&mut tx, &store, &["P-ROLLED-BACK"]).await;
        assert_eq!(ids, [0]);
        tx.rollback().await.unwrap();
        assert_eq!(cached(cache, "P-ROLLED-BACK"), None);

        let mut tx = store.begin_write().await.unwrap();
        let ids = ids_in(&mut tx, &store, &["P-KEPT"]).await;
        assert_eq!(ids, [0], "the rolled-back id is free again");
        assert_eq!(cached(cache, "P-KEPT"), None, "not committed yet");
        tx.commit().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let ids = ids_in(&mut tx, &store, &["P-KEPT", "P-ROLLED-BACK"]).await;
        assert_eq!(ids, [0, 1]);
        tx.commit().await.unwrap();
        assert_eq!(cached(cache, "P-KEPT"), Some(0), "read back committed");
        assert_eq!(cached(cache, "P-ROLLED-BACK"), None, "assigned by the last call");

        // A fresh process (store) agrees with what the first one cached.
        store.close().await;
        let reopened = Store::open(&url, 2).await.unwrap();
        let mut tx = reopened.begin_write().await.unwrap();
        let ids = ids_in(&mut tx, &reopened, &["P-KEPT", "P-ROLLED-BACK"]).await;
        assert_eq!(ids, [0, 1]);
        tx.rollback().await.unwrap();
        reopened.close().await;
    }
}
