//! Outbox and inbox entries: what travels between a ledger and HQ, and its content hash.

use crate::base::BaseRecord;
use crate::document::{DocLink, Document};
use crate::template_part::{Template, TemplatePart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A routed draft the receiving branch refused (`branch-node doc reject`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRejection {
    /// The receiving branch's draft number.
    pub number: String,
    /// The document it was routed from.
    pub link: DocLink,
    pub reason: String,
}

/// What an outbox entry carries: a confirmed document, a local base-data change or a rejection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum EntryBody {
    Document(Document),
    BaseRecord(BaseRecord),
    Rejection(DocRejection),
}

impl EntryBody {
    /// Canonical JSON, as stored in the outbox and hashed for conflict detection.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("entries always serialize")
    }

    /// SHA-256 of the canonical JSON: equal content, equal hash.
    pub fn content_hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_json().as_bytes()).into()
    }

    /// A short description for status and quarantine listings.
    pub fn summary(&self) -> String {
        match self {
            EntryBody::Document(document) => format!("document {} ({})", document.number, document.doc_type),
            EntryBody::BaseRecord(record) => format!("{} {}", record.kind, record.code),
            EntryBody::Rejection(rejection) => format!("rejection of {}", rejection.number),
        }
    }
}

/// One outbox entry with its gapless sequence number within the ledger epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: u64,
    pub body: EntryBody,
}

/// What an inbox entry carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum InboxBody {
    Template(Template),
    /// One part of a template too large for one message.
    TemplatePart(TemplatePart),
    /// Arrives as a draft at the receiving branch, linked to the sender's document.
    RoutedDocument(Document),
}

/// One inbox entry with its sequence number in the branch's inbox at HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub seq: u64,
    pub body: InboxBody,
}
