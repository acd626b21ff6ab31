//! The product ids this process has seen committed (`product_slot`), so that ingestion can
//! prepare a batch's roll-ups before its transaction and look ids up without the database.

use rustc_hash::FxHashMap;
use std::sync::RwLock;

/// Product ids already committed, by code. A `product_slot` row is never updated or deleted, so
/// a committed id holds for the life of the database and every process may keep what it has read;
/// an id assigned by a transaction that has not committed (and may roll back) never enters.
#[derive(Debug, Default)]
pub(crate) struct SlotCache {
    ids: RwLock<FxHashMap<Box<str>, i64>>,
}

impl SlotCache {
    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<Box<str>, i64>> {
        self.ids.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The committed ids of `codes`, in order, or `None` if any has none yet (or none known).
    pub(crate) fn committed_ids<'c>(&self, codes: impl Iterator<Item = &'c str>) -> Option<Vec<i64>> {
        let cached = self.read();
        codes.map(|code| cached.get(code).copied()).collect()
    }

    pub(super) fn remember(&self, found: impl IntoIterator<Item = (Box<str>, i64)>) {
        let mut ids = self.ids.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        ids.extend(found);
    }
}
