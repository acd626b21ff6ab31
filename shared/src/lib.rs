//! Branchline's domain model and rules (docs/documents.md): codes, exact decimals, line arithmetic,
//! documents, base data, outbox/inbox entries and the bundle/template file format.
//!
//! Architecture invariant: this crate does no I/O. Everything here is a pure function of its
//! inputs, so the branch ledger, HQ and the transfer agent all apply the same rules.

pub mod arith;
pub mod base;
pub mod code;
pub mod commission;
pub mod container;
pub mod day_close;
pub mod decimal;
pub mod doc_input;
mod doc_json_scan;
pub mod doc_json_write;
pub mod document;
pub mod echo;
pub mod entry;
pub mod password;
pub mod stock_limit;
pub mod template_part;

pub use arith::{round2, LineValues};
pub use base::{BaseError, BaseKind, BaseRecord};
pub use code::{
    org_in_subtree, org_parent, validate_branch_code, validate_org_code, validate_record_code, CodeError,
};
pub use commission::{
    commission, override_amount, parse_override_rate, Band, BandAmount, BandMode, Bands, Commission,
    CommissionError, OverrideBase,
};
pub use container::{decode_container, encode_container, ContainerError, ContainerHeader, ContainerKind};
pub use day_close::{day_differences, DayDifference, DayDifferenceKind, DayDocument, DayFigures, DayTotals};
pub use decimal::{
    format_amount, format_plain, from_scaled, parse_decimal, to_scaled, DecimalError, DecimalKind,
};
pub use doc_input::{parse_date, parse_document_json, parse_line_decimals, DocInputError};
pub use doc_json_write::{document_canonical_json, document_entry_json_and_checksum};
pub use document::{
    date_in_range, DocLine, DocLink, DocStatus, DocType, Document, DocumentError, DATE_MAX, DATE_MIN,
    DOC_LINES_MAX, OPENING_LINES_MAX,
};
pub use echo::{echo_prefix, echo_prefix_max, ECHO_CHARS_MAX};
pub use entry::{DocRejection, EntryBody, InboxBody, InboxEntry, OutboxEntry};
pub use stock_limit::{
    check_min_max, check_on_hand, resolve_limits, LimitCheck, LimitScope, OwnedWarehouse, StockLimitError,
    StockLimitRule, WarehouseLimit,
};
pub use template_part::{split_template, Template, TemplatePart, TemplatePartError};
