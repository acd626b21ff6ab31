//! The report roll-ups: packed blocks of per-product sums (`packed`) and the product ids that
//! place a product in them (`packed_store`, `slot_cache`), a batch's roll-up additions
//! (`delta`), and the pending tier they wait in (`pending`) until folded into the blocks (`fold`).

pub mod delta;
pub mod fold;
pub mod packed;
pub(crate) mod packed_store;
pub(crate) mod pending;
pub(crate) mod slot_cache;
