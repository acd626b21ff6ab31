//! Local base data (基础资料) an operator adds and lists: products, customers, suppliers and
//! warehouses. Records the branch adds itself are `local` and go to the outbox; records a
//! template brings are `hq`-owned and do not (see `inbox`). Their rows: `base_store`.

use crate::base_store::{load_base_record, load_base_records, upsert_base_record, Origin};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::outbox::OutboxWriter;
use crate::schema::write_tx;
use branchline_shared::{BaseKind, BaseRecord, EntryBody};

/// What `add_base_record` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// Stored, with this outbox sequence number.
    Added { seq: u64 },
    /// An identical record already existed; nothing changed.
    AlreadyPresent,
}

impl Ledger {
    /// Adds a branch-local record and its outbox entry in one transaction. An identical
    /// existing record is a no-op; a different one with the same code is refused.
    /// Warehouses get this ledger's branch code when none is given.
    pub fn add_base_record(&self, record: &BaseRecord) -> Result<AddOutcome, LedgerError> {
        let mut record = record.clone();
        if record.kind == BaseKind::Warehouse && record.branch.is_empty() {
            record.branch = self.branch.clone();
        }
        record.validate()?;
        let tx = write_tx(&self.conn)?;
        if let Some((existing, _origin)) = load_base_record(&tx, record.kind, &record.code)? {
            if existing == record {
                return Ok(AddOutcome::AlreadyPresent);
            }
            return Err(LedgerError::BaseRecordConflict {
                kind: record.kind,
                code: record.code,
            });
        }
        upsert_base_record(&tx, &record, Origin::Local)?;
        let mut outbox = OutboxWriter::start(&tx)?;
        let seq = outbox.append(&tx, &EntryBody::BaseRecord(record))?;
        outbox.finish(&tx)?;
        tx.commit()?;
        Ok(AddOutcome::Added { seq })
    }

    /// Every record of `kind`, ordered by code, with its origin.
    pub fn base_records(&self, kind: BaseKind) -> Result<Vec<(BaseRecord, Origin)>, LedgerError> {
        load_base_records(&self.conn, kind)
    }
}
