//! Where the packed product roll-ups (`packed.rs`) meet the database during ingestion: product
//! ids assigned on first sight, and the touched blocks read back before they are added to.
//! On SQLite both run through rusqlite on the transaction's own connection (`sqlite_native`);
//! on PostgreSQL each is one statement.

use super::dialect::Dialect;
use super::sqlite_native::{with_native, NativeError};
use rusqlite::OptionalExtension;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// The ids of `codes` (sorted, distinct), in the same order; codes seen for the first time get
/// the next free ids.
///
/// SQLite has one writer at a time, so the next id is one past the largest. On PostgreSQL
/// transactions of different branches run at once: ids come from the sequence behind
/// `product_slot.id` (a rolled-back transaction leaves a gap, which only costs an emptier
/// block), new codes are inserted in code order so that two transactions never wait on each
/// other's codes in opposite orders, and a code another transaction inserted meanwhile is read
/// again once it has committed.
pub(crate) async fn product_ids(
    connection: &mut AnyConnection,
    dialect: Dialect,
    codes: &[&str],
) -> Result<Vec<i64>, sqlx::Error> {
    match dialect {
        Dialect::Sqlite => {
            let ids = with_native(connection, |native| sqlite_product_ids(native, codes)).await?;
            Ok(ids)
        }
        Dialect::Postgres => postgres_product_ids(connection, codes).await,
    }
}

fn sqlite_product_ids(native: &rusqlite::Connection, codes: &[&str]) -> Result<Vec<i64>, NativeError> {
    let failed = |source| NativeError::Query {
        what: "product id lookup",
        source,
    };
    let mut lookup = native
        .prepare("SELECT id FROM product_slot WHERE code = ?1")
        .map_err(failed)?;
    let mut insert = native
        .prepare("INSERT INTO product_slot (code, id) VALUES (?1, ?2)")
        .map_err(failed)?;
    let mut next_id: Option<i64> = None;
    let mut ids = Vec::with_capacity(codes.len());
    for code in codes {
        let found: Option<i64> = lookup
            .query_row([code], |row| row.get(0))
            .optional()
            .map_err(failed)?;
        let id = match found {
            Some(id) => id,
            None => {
                let id = match next_id {
                    Some(id) => id,
                    None => native
                        .query_row("SELECT COALESCE(MAX(id) + 1, 0) FROM product_slot", [], |row| {
                            row.get(0)
                        })
                        .map_err(failed)?,
                };
                insert.execute(rusqlite::params![code, id]).map_err(failed)?;
                next_id = Some(id + 1);
                id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

async fn postgres_product_ids(
    connection: &mut AnyConnection,
    codes: &[&str],
) -> Result<Vec<i64>, sqlx::Error> {
    const ASSIGN: &str =
        "WITH w AS (SELECT value FROM jsonb_array_elements_text(CAST($1 AS JSONB)) AS l(value)), \
         fresh AS (INSERT INTO product_slot (code) \
           SELECT value FROM w WHERE NOT EXISTS (SELECT 1 FROM product_slot p WHERE p.code = w.value) \
           ORDER BY value ON CONFLICT (code) DO NOTHING RETURNING code, id) \
         SELECT code, id FROM fresh \
         UNION ALL SELECT w.value, (SELECT p.id FROM product_slot p WHERE p.code = w.value) FROM w";
    const LOOKUP: &str = "SELECT w.value, (SELECT p.id FROM product_slot p WHERE p.code = w.value) \
         FROM jsonb_array_elements_text(CAST($1 AS JSONB)) AS w(value)";
    let mut found: HashMap<String, i64> = HashMap::with_capacity(codes.len());
    // Known codes first (nearly always all of them): one primary-key probe per code.
    // Then the new ones are inserted; and any a concurrent transaction inserted and committed
    // meanwhile (skipped by ON CONFLICT, not yet visible to that statement) are read again.
    for sql in [LOOKUP, ASSIGN, LOOKUP] {
        let missing: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|code| !found.contains_key(*code))
            .collect();
        if missing.is_empty() {
            break;
        }
        let list = super::rows::json_list(&missing);
        for row in sqlx::query(sql).bind(&list).fetch_all(&mut *connection).await? {
            if let Some(id) = row.try_get::<Option<i64>, _>(1)? {
                found.insert(row.try_get(0)?, id);
            }
        }
    }
    codes
        .iter()
        .map(|code| {
            found
                .get(*code)
                .copied()
                .ok_or_else(|| sqlx::Error::Protocol(format!("product {code:?} got no roll-up id")))
        })
        .collect()
}

/// The stored blocks of `table` under `keys`, by key (missing keys have no row yet).
pub(crate) async fn read_blocks(
    connection: &mut AnyConnection,
    dialect: Dialect,
    table: &'static str,
    keys: &[i64],
) -> Result<HashMap<i64, Vec<u8>>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    match dialect {
        Dialect::Sqlite => {
            let blocks = with_native(connection, |native| {
                let failed = |source| NativeError::Query {
                    what: "roll-up block read",
                    source,
                };
                let mut statement = native
                    .prepare(&format!("SELECT sums FROM {table} WHERE key = ?1"))
                    .map_err(failed)?;
                let mut blocks = HashMap::with_capacity(keys.len());
                for key in keys {
                    let bytes: Option<Vec<u8>> = statement
                        .query_row([key], |row| row.get(0))
                        .optional()
                        .map_err(failed)?;
                    if let Some(bytes) = bytes {
                        blocks.insert(*key, bytes);
                    }
                }
                Ok(blocks)
            })
            .await?;
            Ok(blocks)
        }
        Dialect::Postgres => {
            // One primary-key probe per wanted key, driven by the list (see `plan::Known::load`).
            let sql = format!(
                "SELECT k.key, (SELECT t.sums FROM {table} t WHERE t.key = k.key) \
                 FROM (SELECT CAST(value AS BIGINT) AS key \
                       FROM jsonb_array_elements_text(CAST($1 AS JSONB)) AS l(value)) k"
            );
            let list = serde_json::Value::from(keys).to_string();
            let mut blocks = HashMap::with_capacity(keys.len());
            for row in sqlx::query(&sql).bind(list).fetch_all(&mut *connection).await? {
                if let Some(bytes) = row.try_get::<Option<Vec<u8>>, _>(1)? {
                    blocks.insert(row.try_get(0)?, bytes);
                }
            }
            Ok(blocks)
        }
    }
}
