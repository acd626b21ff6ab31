//! Bulk document import (`doc import FILE.jsonl`): the whole file is one transaction.
//!
//! A parsing thread parses and validates each line while the writer posts the documents in file
//! order (codes, red rules, stock) and writes them with their outbox entries, all inside one
//! write transaction. Any bad line rolls the whole file back with an error naming the line;
//! re-importing an identical document is a no-op.

use crate::doc_store::{find_head, insert_document_head, DocumentRow, CHECKSUM_FROM_ROW};
use crate::doc_write::{check_duplicate, confirmed_body, confirmed_storage};
use crate::entry_json::checksum_and_outbox_json;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::outbox::OutboxWriter;
use crate::posting::Posting;
use crate::schema::write_tx;
use crate::stock_count::{entered_checksum, is_counted, record_counted};
use branchline_shared::{parse_document_json, DocStatus, Document};
use serde::Serialize;
use std::borrow::Cow;

/// The most documents one import file may hold.
pub(crate) const IMPORT_DOCUMENTS_MAX: usize = 5_000_000;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Documents newly confirmed.
    pub imported: u64,
    /// Their lines.
    pub lines: u64,
    /// Documents already in the ledger with the same content (skipped).
    pub already_present: u64,
}

/// Where an import stands, for a progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub documents_done: usize,
    pub documents_total: usize,
}

/// Documents handed from the parsing thread to the writer at a time.
const CHUNK_DOCUMENTS: usize = 256;
/// Chunks in flight between the two threads.
const CHUNKS_IN_FLIGHT: usize = 8;

/// Written documents, handed back to the parsing thread to be freed there: freeing memory
/// another thread allocated costs the writer (the critical thread) glibc's arena locks.
type Recycled = Vec<(i64, PreparedDocument)>;

/// A parsed, validated document with what the writer needs precomputed.
struct PreparedDocument {
    line: usize,
    document: Document,
    row: DocumentRow,
    /// The `checksum` column: `CHECKSUM_FROM_ROW` when `scales` is present.
    checksum: String,
    /// The full entry JSON, written when `scales` is `None` (empty otherwise, except in debug
    /// builds, which check the reference against it).
    outbox_json: String,
    /// Present when the outbox entry can be a reference to the document's rows (`outbox_ref`).
    scales: Option<String>,
}

impl Ledger {
    /// Imports a documents JSONL file (README) as confirmed documents, all or nothing.
    ///
    /// One thread parses, validates and serializes while this one posts and writes, inside one
    /// write transaction; any bad line rolls everything back and names the line.
    pub fn import_documents(
        &self,
        jsonl: &[u8],
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary, LedgerError> {
        let text = utf8(jsonl)?;
        // Windows editors start a UTF-8 file with a byte-order mark; it is not part of line 1.
        let text = text
            .strip_prefix(branchline_shared::doc_input::BYTE_ORDER_MARK)
            .unwrap_or(text);
        let documents_total = text.lines().filter(|line| !line.trim().is_empty()).count();
        if documents_total > IMPORT_DOCUMENTS_MAX {
            return Err(LedgerError::ImportTooLarge {
                line: nth_document_line(text, IMPORT_DOCUMENTS_MAX + 1),
                max: IMPORT_DOCUMENTS_MAX,
            });
        }
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
            let (recycle, recycled) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
            scope.spawn(move || prepare_documents(text, sender, recycled));
            self.write_documents(receiver, recycle, documents_total, progress)
        })
    }

    fn write_documents(
        &self,
        receiver: std::sync::mpsc::Receiver<Result<Vec<PreparedDocument>, LedgerError>>,
        recycle: std::sync::mpsc::SyncSender<Recycled>,
        documents_total: usize,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let mut posting = Posting::new(&tx, self.allow_negative_stock);
        let mut outbox = OutboxWriter::start(&tx)?;
        let mut summary = ImportSummary::default();
        let mut documents_done = 0;
        // Posted documents whose outbox entries are not written yet (row id first).
        let mut pending: Vec<(i64, PreparedDocument)> = Vec::with_capacity(CHUNK_DOCUMENTS);
        for chunk in receiver {
            progress(ImportProgress {
                documents_done,
                documents_total,
            });
            for prepared in chunk? {
                documents_done += 1;
                let line = prepared.line;
                if is_counted(&prepared.document) {
                    match import_count(&tx, &mut posting, prepared).map_err(|error| error.at_line(line))? {
                        Some(posted) => {
                            summary.imported += 1;
                            summary.lines += posted.1.document.lines.len() as u64;
                            pending.push(posted);
                        }
                        None => summary.already_present += 1,
                    }
                    continue;
                }
                // Insert first: the unique number refuses a duplicate without a lookup per document.
                let head = insert_document_head(
                    &tx,
                    &prepared.document,
                    &prepared.row,
                    DocStatus::Confirmed,
                    &prepared.checksum,
                );
                let id = match head {
                    Ok(id) => id,
                    Err(error) if is_unique_violation(&error) => {
                        let head = find_head(&tx, &prepared.document.number)?.ok_or(error)?;
                        let same_content = entered_checksum(&tx, &head)? == prepared.content_checksum();
                        check_duplicate(&prepared.document.number, head.status, same_content, false)
                            .map_err(|error| error.at_line(line))?;
                        summary.already_present += 1;
                        continue;
                    }
                    Err(error) => return Err(error),
                };
                posting
                    .post(&prepared.document)
                    .map_err(|error| error.at_line(line))?;
                summary.imported += 1;
                summary.lines += prepared.document.lines.len() as u64;
                pending.push((id, prepared));
            }
            write_pending(&tx, &mut outbox, &pending)?;
            let written = std::mem::replace(&mut pending, Vec::with_capacity(CHUNK_DOCUMENTS));
            // When the parsing thread is gone or behind, this thread frees them after all.
            let _ = recycle.try_send(written);
        }
        posting.write_stock()?;
        outbox.finish(&tx)?;
        tx.commit()?;
        progress(ImportProgress {
            documents_done,
            documents_total,
        });
        Ok(summary)
    }
}

/// A stock count in an import: `None` when the same count is already there; otherwise it is
/// posted (its differences from the book at this point of the file) and written, its counted
/// lines kept, and returned with its row id for its outbox entry.
fn import_count(
    tx: &rusqlite::Connection,
    posting: &mut Posting<'_>,
    counted: PreparedDocument,
) -> Result<Option<(i64, PreparedDocument)>, LedgerError> {
    let number = &counted.document.number;
    if let Some(head) = find_head(tx, number)? {
        let same_content = entered_checksum(tx, &head)? == counted.content_checksum();
        check_duplicate(number, head.status, same_content, false)?;
        return Ok(None);
    }
    let posted = prepare_document(counted.line, posting.post_count(&counted.document)?);
    let id = insert_document_head(
        tx,
        &posted.document,
        &posted.row,
        DocStatus::Confirmed,
        &posted.checksum,
    )?;
    record_counted(tx, id, &counted.document)?;
    Ok(Some((id, posted)))
}

impl PreparedDocument {
    fn content_checksum(&self) -> String {
        if self.checksum == CHECKSUM_FROM_ROW {
            checksum_and_outbox_json(&self.document).0
        } else {
            self.checksum.clone()
        }
    }
}

/// Writes the outbox entries of the posted documents in `pending`, in order.
fn write_pending(
    conn: &rusqlite::Connection,
    outbox: &mut OutboxWriter,
    pending: &[(i64, PreparedDocument)],
) -> Result<(), LedgerError> {
    if pending.is_empty() {
        return Ok(());
    }
    let bodies: Vec<Cow<'_, str>> = pending
        .iter()
        .map(|(id, prepared)| {
            confirmed_body(
                conn,
                *id,
                &prepared.document,
                prepared.scales.as_deref(),
                &prepared.outbox_json,
            )
        })
        .collect();
    outbox.append_json_many(conn, true, &bodies)?;
    Ok(())
}

/// The parsing thread: parses and validates each non-blank line, computes its checksum and
/// outbox JSON, and sends chunks; stops at the first bad line (sending its error) or when
/// the writer hangs up. Frees the documents the writer hands back, until it hangs up.
fn prepare_documents(
    text: &str,
    sender: std::sync::mpsc::SyncSender<Result<Vec<PreparedDocument>, LedgerError>>,
    recycled: std::sync::mpsc::Receiver<Recycled>,
) {
    send_documents(text, &sender, &recycled);
    drop(sender);
    for written in recycled {
        drop(written);
    }
}

fn send_documents(
    text: &str,
    sender: &std::sync::mpsc::SyncSender<Result<Vec<PreparedDocument>, LedgerError>>,
    recycled: &std::sync::mpsc::Receiver<Recycled>,
) {
    let mut chunk = Vec::with_capacity(CHUNK_DOCUMENTS);
    for (line_idx, line_text) in text.lines().enumerate() {
        if line_text.trim().is_empty() {
            continue;
        }
        let line = line_idx + 1;
        let document = match parse_document_json(line_text) {
            Ok(document) => document,
            Err(source) => {
                let _ = sender.send(Err(LedgerError::ImportParse { line, source }));
                return;
            }
        };
        chunk.push(prepare_document(line, document));
        if chunk.len() == CHUNK_DOCUMENTS {
            while let Ok(written) = recycled.try_recv() {
                drop(written);
            }
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_DOCUMENTS));
            if sender.send(Ok(full)).is_err() {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(Ok(chunk));
    }
}

/// Computes the row values, checksum and outbox JSON of a parsed document.
fn prepare_document(line: usize, document: Document) -> PreparedDocument {
    let (scales, checksum, outbox_json) = confirmed_storage(&document);
    PreparedDocument {
        line,
        row: DocumentRow::new(&document),
        scales,
        document,
        checksum,
        outbox_json,
    }
}

fn is_unique_violation(error: &LedgerError) -> bool {
    matches!(
        error,
        LedgerError::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

fn utf8(jsonl: &[u8]) -> Result<&str, LedgerError> {
    std::str::from_utf8(jsonl).map_err(|error| {
        let line = jsonl[..error.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        LedgerError::ImportParse {
            line,
            source: branchline_shared::DocInputError::Json {
                reason: "not UTF-8".to_owned(),
            },
        }
    })
}

/// The 1-based file line of the n-th (1-based) non-blank line.
fn nth_document_line(text: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .nth(n - 1)
        .map_or(0, |(line_idx, _)| line_idx + 1)
}
