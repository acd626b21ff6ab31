//! What arrives from branches: exactly-once ingestion of outbox batches (`batch`), `Hello` (`hello`),
//! the validation of entries (`plan`) and their multi-row writes (`writes`), the entries HQ could not apply
//! (`quarantine`), resends checked against what HQ holds (`resend`) and the counts and checksums a ledger is reconciled against (`reconcile`).

pub mod batch;
pub mod hello;
pub mod plan;
pub mod quarantine;
pub mod reconcile;
mod resend;
pub(crate) mod writes;
