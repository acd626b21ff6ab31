//! What reconcile compares with HQ: every confirmed document's number, type, month and content
//! checksum.

use crate::doc_store::{parse_stored_doc_type, stored_checksum};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use serde::Serialize;

/// One confirmed document as reconcile compares it with HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentChecksum {
    pub number: String,
    pub doc_type: branchline_shared::DocType,
    /// `YYYY-MM` of the document date.
    pub month: String,
    /// `Document::content_checksum()`.
    pub checksum: String,
}

impl Ledger {
    /// Every confirmed document with its month and content checksum, ordered by number.
    pub fn document_checksums(&self) -> Result<Vec<DocumentChecksum>, LedgerError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT number, doc_type, substr(date, 1, 7), checksum, id FROM document
             WHERE status = 'confirmed' ORDER BY number",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        let mut checksums = Vec::new();
        for row in rows {
            let (number, doc_type, month, column, id) = row?;
            checksums.push(DocumentChecksum {
                doc_type: parse_stored_doc_type(&doc_type)?,
                number,
                month,
                checksum: stored_checksum(&self.conn, id, &column)?,
            });
        }
        Ok(checksums)
    }
}
