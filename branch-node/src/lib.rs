//! A branch's offline SQLite ledger (账套) and the `branch-node` command line (README).
//!
//! The ledger keeps base data, documents with their draft/confirm/red lifecycle, stock per
//! warehouse and product, and the outbox/inbox the transfer agent moves to and from HQ.
//!
//! Architecture invariant: every change and its outbox entry are one SQLite transaction; the
//! outbox sequence is gapless per epoch.
//!
//! Exposes `Ledger` and the types its operations take and return (re-exported below), plus
//! `cli`, `schema`, `bundle_export` and `hq_position` for the binary, the transfer agent and
//! the tests; every other module is private. Files depend one way (ARCHITECTURE.md's code map).

pub mod agent_files;
mod base_data;
mod base_store;
mod bundle_export;
mod bundle_files;
pub mod cli;
mod day_figures;
mod doc_checksums;
mod doc_lines;
mod doc_store;
mod doc_write;
mod documents;
mod entry_json;
mod epoch;
mod epoch_carry;
mod error;
mod hq_position;
mod import;
mod inbox;
mod ledger;
mod ledger_status;
mod outbox;
mod outbox_ref;
mod posting;
mod render;
mod row_insert;
pub mod schema;
mod stock;
mod stock_count;
mod template_parts;
mod workbench;

pub use base_data::AddOutcome;
pub use base_store::Origin;
pub use bundle_export::{BundleBound, BundleFile};
pub use doc_checksums::DocumentChecksum;
pub use doc_store::StoredDocument;
pub use documents::{DocFilter, DocumentOutcome};
pub use epoch_carry::NewEpochOutcome;
pub use error::LedgerError;
pub use hq_position::{status_notes, HqHold, HqRewind};
pub use import::{ImportProgress, ImportSummary};
pub use inbox::TemplateOutcome;
pub use ledger::Ledger;
pub use ledger_status::LedgerStatus;
pub use stock::StockRow;
