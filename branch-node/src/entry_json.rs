//! A document's content checksum and its outbox entry JSON, both written in one pass without
//! serde (`document_entry_json_and_checksum`); debug builds check them against the serde forms.

use branchline_shared::{document_entry_json_and_checksum, Document, EntryBody};

/// `Document::content_checksum()` and the outbox JSON (`EntryBody::Document(..).to_json()`) of
/// `document`.
pub(crate) fn checksum_and_outbox_json(document: &Document) -> (String, String) {
    let (outbox_json, checksum) = document_entry_json_and_checksum(document);
    debug_assert_eq!(checksum, document.content_checksum());
    debug_assert_eq!(outbox_json, EntryBody::Document(document.clone()).to_json());
    (checksum, outbox_json)
}
