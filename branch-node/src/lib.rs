//! A branch's offline SQLite ledger (账套) and the `branch-node` command line (README).
//!
//! The ledger keeps base data, documents with their draft/confirm/red lifecycle, stock per
//! warehouse and product, and the outbox/inbox the transfer agent moves to and from HQ.
//!
//! Architecture invariant: every change and its outbox entry are one SQLite transaction; the
//! outbox sequence is gapless per epoch.

pub mod base_data;
pub mod bundle_export;
mod bundle_files;
pub mod cli;

mod doc_lines;
pub mod doc_store;
pub mod documents;
pub mod epoch_carry;
pub mod error;
pub mod hq_position;
pub mod import;
pub mod inbox;
pub mod ledger;
pub mod outbox;
mod outbox_ref;
mod posting;
mod render;
mod row_insert;

pub mod schema;
pub mod stock;
mod template_parts;

pub use base_data::{AddOutcome, Origin};
pub use doc_store::StoredDocument;
pub use documents::{DocFilter, DocumentOutcome};
pub use epoch_carry::NewEpochOutcome;
pub use error::LedgerError;
pub use hq_position::{HqHold, HqRewind};
pub use import::{ImportProgress, ImportSummary};
pub use inbox::TemplateOutcome;
pub use ledger::{DocumentChecksum, Ledger, LedgerStatus};
pub use stock::StockRow;
