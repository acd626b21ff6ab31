//! Document operations an operator performs: add (draft or confirmed), confirm, red, reject a
//! routed draft, show and list. Confirming writes the outbox entry in the same transaction.

use crate::doc_store::{
    find_head, free_number, insert_document, load_document, rewrite_lines, set_status, DocHead,
    StoredDocument,
};
use crate::doc_write::{check_duplicate, confirmed_body, confirmed_storage};
use crate::entry_json::checksum_and_outbox_json;
use crate::epoch::current_epoch;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::outbox::OutboxWriter;
use crate::posting::Posting;
use crate::schema::write_tx;
use crate::stock_count::{counted_lines, entered_checksum, is_counted, record_counted};
use branchline_shared::{DocLine, DocRejection, DocStatus, DocType, Document, EntryBody};
use chrono::NaiveDate;
use rusqlite::Connection;

/// What adding a document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentOutcome {
    /// Confirmed, with its outbox sequence number.
    Confirmed { number: String, seq: u64 },
    /// Stored as a draft (no stock, no outbox).
    Draft { number: String },
    /// The same number with the same content was already there; nothing changed.
    AlreadyPresent { number: String },
}

impl DocumentOutcome {
    pub fn number(&self) -> &str {
        match self {
            DocumentOutcome::Confirmed { number, .. }
            | DocumentOutcome::Draft { number }
            | DocumentOutcome::AlreadyPresent { number } => number,
        }
    }
}

/// Which documents `documents` lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocFilter {
    pub doc_type: Option<DocType>,
    pub status: Option<DocStatus>,
}

impl Ledger {
    /// Adds a document, confirmed unless `draft`. An empty number asks the ledger for one.
    /// The same number with the same content is a no-op; with different content, an error.
    pub fn add_document(&self, document: Document, draft: bool) -> Result<DocumentOutcome, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let outcome = self.add_numbered(&tx, document, draft)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Confirms a draft (审核): checks codes, red rules and stock, moves stock, writes the outbox
    /// entry. Returns the entry's sequence number.
    pub fn confirm_document(&self, number: &str) -> Result<u64, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let (id, stored) = load_draft(&tx, number)?;
        stored.document.validate()?;
        let mut posting = Posting::with_present_codes(&tx, self.allow_negative_stock, &self.present_codes);
        let document = if is_counted(&stored.document) {
            let posted = posting.post_count(&stored.document)?;
            rewrite_lines(&tx, id, &posted, &checksum_and_outbox_json(&posted).0)?;
            record_counted(&tx, id, &stored.document)?;
            posted
        } else {
            posting.post(&stored.document)?;
            stored.document
        };
        posting.write_stock()?;
        set_status(&tx, id, DocStatus::Confirmed, None)?;
        let mut outbox = OutboxWriter::start(&tx)?;
        let seq = outbox.append(&tx, &EntryBody::Document(document))?;
        outbox.finish(&tx)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Reverses what remains of confirmed document `number` with a confirmed red document
    /// (红字), numbered `red_number` or by the ledger, dated `date`.
    pub fn red_document(
        &self,
        number: &str,
        red_number: Option<&str>,
        date: NaiveDate,
    ) -> Result<DocumentOutcome, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let source = load_document(&tx, require_head(&tx, number)?.id)?;
        let red = source.document.red_copy(red_number.unwrap_or_default(), date);
        if red_number.is_some() {
            // An explicitly empty number is refused, not replaced by the ledger's.
            red.validate()?;
        }
        let outcome = self.add_numbered(&tx, red, false)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Refuses a routed draft: marks it rejected and tells HQ through the outbox.
    /// Returns the rejection's outbox sequence number.
    pub fn reject_document(&self, number: &str, reason: &str) -> Result<u64, LedgerError> {
        if reason.trim().is_empty() {
            return Err(LedgerError::EmptyRejectReason {
                number: number.to_owned(),
            });
        }
        let tx = write_tx(&self.conn)?;
        let (id, stored) = load_draft(&tx, number)?;
        let Some(link) = stored.document.link else {
            return Err(LedgerError::NotRouted {
                number: number.to_owned(),
            });
        };
        set_status(&tx, id, DocStatus::Rejected, Some(reason))?;
        let mut outbox = OutboxWriter::start(&tx)?;
        let rejection = DocRejection {
            number: number.to_owned(),
            link,
            reason: reason.to_owned(),
        };
        let seq = outbox.append(&tx, &EntryBody::Rejection(rejection))?;
        outbox.finish(&tx)?;
        tx.commit()?;
        Ok(seq)
    }

    /// One document with its status.
    pub fn document(&self, number: &str) -> Result<StoredDocument, LedgerError> {
        load_document(&self.conn, require_head(&self.conn, number)?.id)
    }

    /// What confirmed stock count `number` counted, line by line (its stored lines are the
    /// differences it posted); `None` for any other document.
    pub fn counted(&self, number: &str) -> Result<Option<Vec<DocLine>>, LedgerError> {
        counted_lines(&self.conn, require_head(&self.conn, number)?.id, number)
    }

    /// Documents matching `filter`, in the order they were entered.
    pub fn documents(&self, filter: DocFilter) -> Result<Vec<StoredDocument>, LedgerError> {
        let tx = self.conn.unchecked_transaction()?;
        let mut statement = tx.prepare_cached(
            "SELECT id FROM document WHERE (?1 IS NULL OR doc_type = ?1) AND (?2 IS NULL OR status = ?2)
             ORDER BY id",
        )?;
        let ids = statement
            .query_map(
                (
                    filter.doc_type.map(DocType::as_str),
                    filter.status.map(DocStatus::as_str),
                ),
                |row| row.get::<_, i64>(0),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        ids.into_iter().map(|id| load_document(&tx, id)).collect()
    }

    /// Adds `document` inside `tx`, numbering it when its number is empty. The epoch row is
    /// read once and written once, with the new number counter and the outbox position.
    fn add_numbered(
        &self,
        tx: &Connection,
        document: Document,
        draft: bool,
    ) -> Result<DocumentOutcome, LedgerError> {
        let epoch = current_epoch(tx)?;
        let mut outbox = OutboxWriter::from_epoch(tx, &epoch)?;
        let mut document = document;
        let fresh_number = document.number.is_empty();
        if fresh_number {
            let (number, next_counter) = free_number(tx, &self.branch, &epoch)?;
            document.number = number;
            outbox.set_next_number(next_counter);
        }
        let outcome = self.add_in_tx(tx, document, draft, fresh_number, &mut outbox)?;
        outbox.finish(tx)?;
        Ok(outcome)
    }

    /// `fresh_number`: the ledger has just found the number free, so it is not looked up again.
    fn add_in_tx(
        &self,
        tx: &Connection,
        document: Document,
        draft: bool,
        fresh_number: bool,
        outbox: &mut OutboxWriter,
    ) -> Result<DocumentOutcome, LedgerError> {
        document.validate()?;
        let number = document.number.clone();
        if !fresh_number {
            if let Some(head) = find_head(tx, &number)? {
                let same_content = entered_checksum(tx, &head)? == checksum_and_outbox_json(&document).0;
                check_duplicate(&number, head.status, same_content, draft)?;
                return Ok(DocumentOutcome::AlreadyPresent { number });
            }
        }
        let mut posting = Posting::with_present_codes(tx, self.allow_negative_stock, &self.present_codes);
        if draft {
            posting.check_references(&document)?;
            let (checksum, _) = checksum_and_outbox_json(&document);
            insert_document(tx, &document, DocStatus::Draft, &checksum)?;
            return Ok(DocumentOutcome::Draft { number });
        }
        let counted = is_counted(&document).then(|| document.clone());
        let document = match &counted {
            Some(counted) => posting.post_count(counted)?,
            None => {
                posting.post(&document)?;
                document
            }
        };
        posting.write_stock()?;
        let (scales, checksum, outbox_json) = confirmed_storage(&document);
        let id = insert_document(tx, &document, DocStatus::Confirmed, &checksum)?;
        if let Some(counted) = &counted {
            record_counted(tx, id, counted)?;
        }
        let body = confirmed_body(tx, id, &document, scales.as_deref(), &outbox_json);
        let seq = outbox.append_json(tx, true, &body)?;
        Ok(DocumentOutcome::Confirmed { number, seq })
    }
}

/// The head of document `number`, which must exist.
fn require_head(conn: &Connection, number: &str) -> Result<DocHead, LedgerError> {
    find_head(conn, number)?.ok_or_else(|| LedgerError::DocumentNotFound {
        number: number.to_owned(),
    })
}

/// Document `number` with its row id; it must be a draft.
fn load_draft(conn: &Connection, number: &str) -> Result<(i64, StoredDocument), LedgerError> {
    let head = require_head(conn, number)?;
    if head.status != DocStatus::Draft {
        return Err(LedgerError::NotDraft {
            number: number.to_owned(),
            status: head.status.as_str(),
        });
    }
    Ok((head.id, load_document(conn, head.id)?))
}
