//! The ledger's one error type: every refusal names its culprit (file, code, document, line).

use branchline_shared::{
    BaseError, BaseKind, CodeError, ContainerError, DocInputError, DocType, DocumentError, TemplatePartError,
};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger {path} does not exist (create it with `branch-node init`)")]
    NotFound { path: PathBuf },
    #[error("ledger {path} is a directory, not a ledger file")]
    IsADirectory { path: PathBuf },
    #[error("ledger {path} is read-only: this command writes to it (check the file's permissions)")]
    ReadOnly { path: PathBuf },
    #[error(
        "ledger {path} stayed locked by another writer (a `doc import`, the transfer agent or the workbench) \
         past the wait; nothing was changed: try again when it is done"
    )]
    Busy { path: PathBuf },
    #[error("ledger {path} already exists")]
    AlreadyExists { path: PathBuf },
    #[error("{path} is not a Branchline ledger: {reason}")]
    NotALedger { path: PathBuf, reason: String },
    #[error("{path} is not a Branchline ledger (application_id {found:#x})")]
    WrongApplication { path: PathBuf, found: i64 },
    #[error(
        "ledger {path} has schema version {found}, newer than this build's {supported}: upgrade branch-node"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("ledger {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("ledger name is empty")]
    EmptyLedgerName,
    #[error("ledger {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },

    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    BaseRecord(#[from] BaseError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("{kind} {code} already exists with different content")]
    BaseRecordConflict { kind: BaseKind, code: String },

    #[error("document {number}: unknown {kind} {code}")]
    UnknownCode {
        number: String,
        kind: BaseKind,
        code: String,
    },
    #[error("unknown {kind} {code} in the filter")]
    UnknownFilterCode { kind: BaseKind, code: String },
    #[error("document {number}: the reject reason is empty")]
    EmptyRejectReason { number: String },
    #[error("document {number} not found")]
    DocumentNotFound { number: String },
    #[error("document number {number} already exists with different content")]
    DuplicateNumber { number: String },
    #[error("document number {number} already exists as a {status} document")]
    DuplicateNumberStatus { number: String, status: &'static str },
    #[error("document {number} is {status}, not a draft")]
    NotDraft { number: String, status: &'static str },
    #[error("document {number} is a local draft, not a routed one; only routed drafts can be rejected")]
    NotRouted { number: String },
    #[error(
        "document {number}: stock of product {product} in warehouse {warehouse} would go negative \
         (on hand {on_hand}, wanted {wanted})"
    )]
    StockWouldGoNegative {
        number: String,
        warehouse: String,
        product: String,
        on_hand: String,
        wanted: String,
    },
    #[error("document {number} line {line}: counted quantity {qty} is negative")]
    NegativeCount {
        number: String,
        line: usize,
        qty: String,
    },
    #[error("document {number} line {line}: product {product} is counted again (first on line {first})")]
    CountedTwice {
        number: String,
        product: String,
        first: usize,
        line: usize,
    },
    #[error("document {number}: red_of {source_number} does not exist")]
    RedSourceNotFound { number: String, source_number: String },
    #[error(
        "document {number}: red_of {source_number} is {status}; only confirmed documents can be reversed"
    )]
    RedSourceNotConfirmed {
        number: String,
        source_number: String,
        status: &'static str,
    },
    #[error("document {number}: red_of {source_number} is itself a red document")]
    RedOfRed { number: String, source_number: String },
    #[error("document {number}: a {doc_type} cannot reverse {source_number}, which is a {source_type}")]
    RedTypeMismatch {
        number: String,
        doc_type: DocType,
        source_number: String,
        source_type: DocType,
    },
    #[error("document {number}: {field} {found:?} differs from {expected:?} of red_of {source_number}")]
    RedHeaderMismatch {
        number: String,
        source_number: String,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error("document {number}: date {date} is before {source_date}, the date of red_of {source_number}")]
    RedBeforeSource {
        number: String,
        date: chrono::NaiveDate,
        source_number: String,
        source_date: chrono::NaiveDate,
    },
    #[error(
        "document {number} line {line}: {field} {found} differs from {expected} in the line of red_of \
         {source_number}; a red line copies its source line's price, discount and tax_rate"
    )]
    RedLineMismatch {
        number: String,
        line: usize,
        field: &'static str,
        found: String,
        expected: String,
        source_number: String,
    },
    #[error(
        "document {number}: reverses {wanted} of product {product} but only {remaining} of it remains \
         unreversed in {source_number}"
    )]
    RedExceedsSource {
        number: String,
        source_number: String,
        product: String,
        remaining: String,
        wanted: String,
    },

    #[error("line {line}: {source}")]
    ImportParse { line: usize, source: DocInputError },
    #[error("line {line}: {source}")]
    ImportLine { line: usize, source: Box<LedgerError> },
    #[error("line {line}: more than {max} documents in one file")]
    ImportTooLarge { line: usize, max: usize },

    #[error(transparent)]
    Container {
        #[from]
        source: ContainerError,
    },
    #[error("template body: {reason}")]
    TemplateBody { reason: String },
    #[error(transparent)]
    TemplatePart(#[from] TemplatePartError),
    #[error("template {name} record {kind} {code}: {source}")]
    TemplateRecord {
        name: String,
        kind: BaseKind,
        code: String,
        source: BaseError,
    },

    #[error("acknowledged seq {acked_seq} is beyond the last seq {last_seq} of epoch {epoch}")]
    AckBeyondLast {
        epoch: u64,
        acked_seq: u64,
        last_seq: u64,
    },
    #[error("epoch {epoch} does not exist in this ledger (current epoch {current})")]
    UnknownEpoch { epoch: u64, current: u64 },
    #[error(
        "nothing can be confirmed in epoch {epoch}: HQ holds this epoch up to seq {hq_applied_seq}, more than \
         the ledger ({reason}), so the next entry would reuse a number HQ already holds; run `branch-node \
         epoch new` first"
    )]
    EpochHeldByHq {
        epoch: u64,
        hq_applied_seq: u64,
        reason: String,
    },
    #[error(
        "HQ holds seq {hq_applied_seq} of epoch {epoch}, more than the ledger's acknowledged seq {acked_seq}: \
         only a lower position is recorded this way"
    )]
    RewindNotLower {
        epoch: u64,
        hq_applied_seq: u64,
        acked_seq: u64,
    },
    #[error("stored {what} is unreadable: {reason}")]
    StoredData { what: String, reason: String },

    /// Catch-all for SQLite failures; add a dedicated variant when a cause deserves its own message.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl LedgerError {
    /// Wraps an error with the 1-based line of the import file it came from.
    pub(crate) fn at_line(self, line: usize) -> LedgerError {
        LedgerError::ImportLine {
            line,
            source: Box::new(self),
        }
    }
}
