//! HQ-side validation and application of outbox entries: which codes and document numbers HQ
//! knows (loaded once per batch), what each entry becomes (applied, duplicate or quarantined),
//! and what the writes (`writes`) will store. Used by ingestion and by quarantine retry.

use crate::store::bulk::rows::json_list;
use crate::store::db::dialect::Dialect;
use crate::store::db::error::DbError;
use crate::store::db::partitions::Month;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use branchline_shared::{BaseKind, BaseRecord, DocLine, DocRejection, Document, EntryBody, LineValues};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What one entry became at HQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Applied,
    /// A document HQ already holds under the same number with the same content.
    Duplicate,
    Quarantined {
        reason: String,
    },
}

impl Outcome {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Quarantined { .. } => "quarantined",
        }
    }
}

/// The tag of `Known::load`'s row carrying the retired date.
const RETIRED_TAG: i64 = -2;

/// `Known::load`'s row of the retired date: none before any retirement.
const RETIRED_SELECT: &str = "SELECT CAST(-2 AS BIGINT), MAX(retired_before), NULL FROM retirement \
                              HAVING MAX(retired_before) IS NOT NULL";

/// The codes and document numbers HQ knows for one branch, as far as a batch needs them.
/// Codes borrow the batch's entries.
#[derive(Debug, Default)]
pub(crate) struct Known<'a> {
    codes: HashMap<BaseKind, HashSet<&'a str>>,
    /// Document number → content checksum.
    documents: HashMap<&'a str, String>,
    /// The first date HQ holds documents of, after a retirement (`history`): a new document
    /// dated before it is quarantined.
    retired_before: Option<String>,
}

impl<'a> Known<'a> {
    /// Loads what HQ holds (master data, this branch's local records, its documents) for the
    /// codes and numbers `bodies` mention.
    pub(crate) async fn load(
        connection: &mut Conn,
        dialect: Dialect,
        branch_id: i64,
        bodies: &[&'a EntryBody],
    ) -> Result<Known<'a>, DbError> {
        let (wanted, numbers) = wanted_by(bodies);
        if wanted.is_empty() && numbers.is_empty() {
            return Ok(Known::default());
        }
        // One statement (one round trip) that answers only the exceptions, so that a batch of
        // known codes and new documents reads back nothing: per kind, the wanted codes HQ does
        // NOT hold, tagged with the kind's index; then the wanted numbers it DOES hold (tag -1).
        let kinds: Vec<(BaseKind, Vec<&str>)> = wanted
            .iter()
            .map(|(kind, codes)| (*kind, codes.iter().copied().collect()))
            .collect();
        let number_list: Vec<&str> = numbers.iter().copied().collect();
        let mut selects = Vec::with_capacity(kinds.len() + 1);
        for kind_idx in 0..kinds.len() {
            let (kind_param, list_param) = (2 + 2 * kind_idx, 3 + 2 * kind_idx);
            selects.push(format!(
                "SELECT CAST({kind_idx} AS BIGINT), w.value, NULL FROM {} WHERE NOT \
                 (EXISTS (SELECT 1 FROM master_record WHERE kind = ${kind_param} AND code = w.value) \
                 OR EXISTS (SELECT 1 FROM branch_record WHERE branch_id = $1 AND kind = ${kind_param} \
                 AND code = w.value))",
                dialect.json_list_source(list_param, "w")
            ));
        }
        // One primary-key probe per wanted number: a correlated scalar subquery is never turned
        // into a join, so the plan (and the cost) follows the batch, not the stored documents
        // or their statistics.
        selects.push(format!(
            "SELECT CAST(-1 AS BIGINT), held.number, held.checksum FROM (SELECT w.value AS number, \
             (SELECT checksum FROM document_key WHERE branch_id = $1 AND number = w.value) AS checksum \
             FROM {}) held WHERE held.checksum IS NOT NULL",
            dialect.json_list_source(2 + 2 * kinds.len(), "w")
        ));
        // And the date before which HQ retired the history, if it did (`history`).
        selects.push(RETIRED_SELECT.to_owned());
        let sql = selects.join(" UNION ALL ");
        let mut statement = query(&sql).bind(branch_id);
        for (kind, codes) in &kinds {
            statement = statement.bind(kind.as_str()).bind(json_list(codes));
        }
        let rows = statement
            .bind(json_list(&number_list))
            .fetch_all(&mut *connection)
            .await?;
        let mut known = Known {
            codes: wanted,
            documents: HashMap::default(),
            retired_before: None,
        };
        for row in rows {
            let tag: i64 = row.try_get(0)?;
            let text: String = row.try_get(1)?;
            if tag == RETIRED_TAG {
                known.retired_before = Some(text);
                continue;
            }
            match usize::try_from(tag).ok().and_then(|kind_idx| kinds.get(kind_idx)) {
                Some((kind, _)) => {
                    if let Some(codes) = known.codes.get_mut(kind) {
                        codes.remove(text.as_str());
                    }
                }
                None => {
                    // Keyed by the batch's own string, which outlives the plan.
                    if let Some(number) = numbers.get(text.as_str()) {
                        known.documents.insert(number, row.try_get(2)?);
                    }
                }
            }
        }
        Ok(known)
    }

    /// Whether `document` is dated in a retired year.
    fn retired(&self, document: &Document) -> bool {
        self.retired_before
            .as_deref()
            .is_some_and(|before| document.date.format("%Y-%m-%d").to_string().as_str() < before)
    }

    fn knows(&self, kind: BaseKind, code: &str) -> bool {
        self.codes.get(&kind).is_some_and(|codes| codes.contains(code))
    }
}

/// The codes (by kind) and the document numbers `bodies` mention.
fn wanted_by<'a>(bodies: &[&'a EntryBody]) -> (HashMap<BaseKind, HashSet<&'a str>>, HashSet<&'a str>) {
    let mut wanted: HashMap<BaseKind, HashSet<&'a str>> = HashMap::default();
    let mut numbers: HashSet<&'a str> = HashSet::default();
    for body in bodies {
        if let EntryBody::Document(document) = body {
            numbers.insert(&document.number);
            let kinds = wanted.entry(BaseKind::Product).or_default();
            kinds.extend(document.lines.iter().map(|line| line.product.as_str()));
            let warehouses = wanted.entry(BaseKind::Warehouse).or_default();
            warehouses.insert(&document.warehouse);
            if !document.to_warehouse.is_empty() {
                warehouses.insert(&document.to_warehouse);
            }
            if !document.partner.is_empty() {
                wanted
                    .entry(partner_kind(document))
                    .or_default()
                    .insert(&document.partner);
            }
        }
    }
    (wanted, numbers)
}

fn partner_kind(document: &Document) -> BaseKind {
    if document.doc_type.partner_is_supplier() {
        BaseKind::Supplier
    } else {
        BaseKind::Customer
    }
}

/// What HQ derives from a document alone: its reconcile checksum and its lines' values.
#[derive(Debug, Clone)]
pub struct DocumentFacts {
    pub checksum: String,
    pub line_values: Vec<LineValues>,
}

impl DocumentFacts {
    pub fn of(document: &Document) -> DocumentFacts {
        DocumentFacts {
            checksum: document.content_checksum(),
            line_values: document.lines.iter().map(DocLine::values).collect(),
        }
    }
}

/// A document to store (borrowed from the batch), with where it came from, its reconcile
/// checksum and its lines' values.
#[derive(Debug)]
pub(crate) struct PlannedDocument<'a> {
    pub(crate) seq: u64,
    pub(crate) document: &'a Document,
    pub(crate) facts: Cow<'a, DocumentFacts>,
}

/// The writes an entry list turns into.
#[derive(Debug, Default)]
pub(crate) struct Plan<'a> {
    pub(crate) documents: Vec<PlannedDocument<'a>>,
    /// Branch-local base records, the last change of each code wins.
    pub(crate) records: BTreeMap<(BaseKind, String), BaseRecord>,
    pub(crate) rejections: Vec<(u64, DocRejection)>,
}

impl<'a> Plan<'a> {
    /// (date, number) of each document the plan stores: what may reopen a closed day.
    pub(crate) fn day_documents(&self) -> impl Iterator<Item = (chrono::NaiveDate, &str)> + '_ {
        self.documents
            .iter()
            .map(|planned| (planned.document.date, planned.document.number.as_str()))
    }

    /// The months of the documents the plan stores: the partitions its writes need.
    pub(crate) fn months(&self) -> std::collections::BTreeSet<Month> {
        self.documents
            .iter()
            .map(|planned| Month::of(planned.document.date))
            .collect()
    }

    /// Decides what entry `seq` becomes and records its writes; later entries see its effects.
    /// `facts` are the document's when the caller already has them.
    pub(crate) fn add(
        &mut self,
        known: &mut Known<'a>,
        seq: u64,
        body: &'a EntryBody,
        facts: Option<&'a DocumentFacts>,
    ) -> Outcome {
        match body {
            EntryBody::Document(document) => {
                if let Err(reason) = check_document(known, document) {
                    return Outcome::Quarantined { reason };
                }
                let facts = facts.map_or_else(|| Cow::Owned(DocumentFacts::of(document)), Cow::Borrowed);
                match known.documents.get(document.number.as_str()) {
                    Some(held) if *held == facts.checksum => Outcome::Duplicate,
                    Some(_) => Outcome::Quarantined {
                        reason: format!(
                            "document {} is already held at HQ with different content",
                            document.number
                        ),
                    },
                    None if known.retired(document) => Outcome::Quarantined {
                        reason: format!(
                            "document {} is dated {}, before {}: HQ retired the years before that \
                             (hq-server retire-year)",
                            document.number,
                            document.date,
                            known.retired_before.as_deref().unwrap_or_default()
                        ),
                    },
                    None => {
                        known.documents.insert(&document.number, facts.checksum.clone());
                        self.documents.push(PlannedDocument { seq, document, facts });
                        Outcome::Applied
                    }
                }
            }
            EntryBody::BaseRecord(record) => {
                known.codes.entry(record.kind).or_default().insert(&record.code);
                self.records
                    .insert((record.kind, record.code.clone()), record.clone());
                Outcome::Applied
            }
            EntryBody::Rejection(rejection) => {
                self.rejections.push((seq, rejection.clone()));
                Outcome::Applied
            }
        }
    }
}

/// Whether every code the document names is known at HQ or locally to the branch.
fn check_document(known: &Known, document: &Document) -> Result<(), String> {
    let number = &document.number;
    for (field, warehouse) in [
        ("warehouse", &document.warehouse),
        ("to_warehouse", &document.to_warehouse),
    ] {
        if !warehouse.is_empty() && !known.knows(BaseKind::Warehouse, warehouse) {
            return Err(format!("document {number}: unknown {field} {warehouse}"));
        }
    }
    if !document.partner.is_empty() {
        let kind = partner_kind(document);
        if !known.knows(kind, &document.partner) {
            return Err(format!("document {number}: unknown {kind} {}", document.partner));
        }
    }
    for (line_idx, line) in document.lines.iter().enumerate() {
        if !known.knows(BaseKind::Product, &line.product) {
            return Err(format!(
                "document {number} line {}: unknown product {}",
                line_idx + 1,
                line.product
            ));
        }
    }
    Ok(())
}
