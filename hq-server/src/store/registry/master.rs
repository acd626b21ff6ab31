//! HQ master data: importing records of one kind (products, customers, suppliers, warehouses),
//! created or updated in one transaction; products and warehouses get their roll-up ids at once.

use super::branches::RegistryError;
use super::counterpart_check::check_warehouse_import;
use crate::store::bulk::insert::insert_rows;
use crate::store::bulk::rows::{json_list, ColumnKind, InsertSpec, Value};
use crate::store::db::dialect::PRICE_SCALE;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text};
use crate::store::registry::audit::{audit, Actor};
use crate::store::rollup::packed_store;
use crate::store::Store;
use branchline_shared::{BaseKind, BaseRecord};
use std::collections::HashSet;

/// Creates or updates HQ master records of one kind, in one transaction.
/// Returns (created, updated).
pub async fn import_master(
    store: &Store,
    by: &str,
    kind: BaseKind,
    records: &[BaseRecord],
) -> Result<(u64, u64), RegistryError> {
    let codes = distinct_codes(kind, records)?;
    let mut tx = store.begin_write().await?;
    if kind == BaseKind::Warehouse {
        check_warehouse_import(&mut tx, records).await?;
    }
    let code_list: Vec<&str> = codes.into_iter().collect();
    let sql = format!(
        "SELECT COUNT(*) FROM master_record WHERE kind = $1 AND code {}",
        store.dialect().in_json_list(2)
    );
    let existing = get_u64(
        &query(&sql)
            .bind(kind.as_str())
            .bind(json_list(&code_list))
            .fetch_one(&mut *tx)
            .await?,
        0,
    )?;
    let now = now_text();
    let rows = records
        .iter()
        .map(|record| {
            vec![
                Value::Text(record.kind.as_str().to_owned()),
                Value::Text(record.code.clone()),
                Value::Text(record.name.clone()),
                Value::Text(record.unit.clone()),
                Value::Decimal(record.price),
                Value::Text(record.branch.clone()),
                Value::Text(now.clone()),
            ]
        })
        .collect();
    let spec = InsertSpec {
        table: "master_record",
        columns: &[
            ("kind", ColumnKind::Text),
            ("code", ColumnKind::Text),
            ("name", ColumnKind::Text),
            ("unit", ColumnKind::Text),
            ("price", ColumnKind::Decimal(PRICE_SCALE)),
            ("branch", ColumnKind::Text),
            ("updated_at", ColumnKind::Text),
        ],
        on_conflict: "ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name, unit = excluded.unit, \
                      price = excluded.price, branch = excluded.branch, updated_at = excluded.updated_at",
    };
    insert_rows(&mut tx, &spec, rows).await?;
    if matches!(kind, BaseKind::Product | BaseKind::Warehouse) {
        // Their report roll-up ids now, not in the transaction of the first document that
        // names them (and the documents after it can then be prepared ahead: `rollup`).
        let mut slot_codes = code_list;
        slot_codes.sort_unstable();
        packed_store::product_ids(&mut tx, store.slot_cache(), &slot_codes).await?;
    }
    let total = records.len() as u64;
    audit(
        &mut tx,
        Actor::new(by, None),
        "import",
        &format!("{total} {kind} records"),
    )
    .await?;
    tx.commit().await?;
    Ok((total - existing, existing))
}

/// The codes of `records`, each a valid record of `kind` with a code of its own.
fn distinct_codes(kind: BaseKind, records: &[BaseRecord]) -> Result<HashSet<&str>, RegistryError> {
    let mut codes = HashSet::new();
    for record in records {
        record.validate()?;
        if record.kind != kind {
            return Err(RegistryError::WrongKind {
                kind,
                code: record.code.clone(),
                found: record.kind,
            });
        }
        if !codes.insert(record.code.as_str()) {
            return Err(RegistryError::DuplicateCode {
                kind,
                code: record.code.clone(),
            });
        }
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Importing products and warehouses gives them their ids, in code order; other kinds none.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn imported_products_and_warehouses_get_ids() {
        use branchline_shared::{BaseKind, BaseRecord};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("hq.db").display()), 2)
            .await
            .unwrap();
        for (kind, codes) in [
            (BaseKind::Product, ["P2", "P1"]),
            (BaseKind::Warehouse, ["W1", "W0"]),
            (BaseKind::Customer, ["C1", "C2"]),
        ] {
            let records: Vec<BaseRecord> = codes
                .iter()
                .map(|code| BaseRecord::new(kind, code, "x"))
                .collect();
            import_master(&store, "admin", kind, &records).await.unwrap();
        }
        let slots: Vec<(String, i64)> = query("SELECT code, id FROM product_slot ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|row| (row.try_get(0).unwrap(), row.try_get(1).unwrap()))
            .collect();
        let expected = [("P1", 0), ("P2", 1), ("W0", 2), ("W1", 3)].map(|(code, id)| (code.to_owned(), id));
        assert_eq!(slots, expected);
        store.close().await;
    }
}
