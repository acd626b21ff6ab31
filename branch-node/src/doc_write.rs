//! Writing a new document, as the one-at-a-time `documents` operations and the bulk `import`
//! share it: the rule for a number already in the ledger, and a confirmed document's stored
//! form (its `checksum` column and its outbox body: a reference to its row, or its full JSON).

use crate::doc_store::CHECKSUM_FROM_ROW;
use crate::entry_json::checksum_and_outbox_json;
use crate::error::LedgerError;
use crate::outbox_ref::{line_scales, ref_body};
use branchline_shared::{DocStatus, Document};
use rusqlite::Connection;
use std::borrow::Cow;

/// A number already in the ledger: fine (nothing to do) when content and state match, an error
/// otherwise.
pub(crate) fn check_duplicate(
    number: &str,
    status: DocStatus,
    same_content: bool,
    draft: bool,
) -> Result<(), LedgerError> {
    let wanted = if draft {
        DocStatus::Draft
    } else {
        DocStatus::Confirmed
    };
    if !same_content {
        return Err(LedgerError::DuplicateNumber {
            number: number.to_owned(),
        });
    }
    if status != wanted {
        return Err(LedgerError::DuplicateNumberStatus {
            number: number.to_owned(),
            status: status.as_str(),
        });
    }
    Ok(())
}

/// How a confirmed document is stored: its line scales (`Some` when the rows rebuild it exactly),
/// its `checksum` column and its outbox JSON. A document the rows rebuild needs neither its JSON
/// (the outbox entry is a reference) nor its checksum (`CHECKSUM_FROM_ROW`: computed from the row
/// when read); debug builds still write the JSON to check the reference against it.
pub(crate) fn confirmed_storage(document: &Document) -> (Option<String>, String, String) {
    let scales = line_scales(document);
    let (checksum, outbox_json) = if scales.is_none() || cfg!(debug_assertions) {
        checksum_and_outbox_json(document)
    } else {
        (String::new(), String::new())
    };
    let checksum = if scales.is_some() {
        CHECKSUM_FROM_ROW.to_owned()
    } else {
        checksum
    };
    (scales, checksum, outbox_json)
}

/// The outbox body of confirmed document row `id`, stored as `confirmed_storage` said: a
/// reference to the row when `scales` is present, `outbox_json` otherwise. The row must already
/// be written (debug builds load the reference back and compare it with `outbox_json`).
pub(crate) fn confirmed_body<'a>(
    conn: &Connection,
    id: i64,
    document: &Document,
    scales: Option<&str>,
    outbox_json: &'a str,
) -> Cow<'a, str> {
    let body = match scales {
        Some(scales) => Cow::Owned(ref_body(id, document, scales)),
        None => Cow::Borrowed(outbox_json),
    };
    #[cfg(debug_assertions)]
    crate::outbox_ref::debug_assert_rebuilds(conn, &body, outbox_json);
    #[cfg(not(debug_assertions))]
    let _ = conn;
    body
}
