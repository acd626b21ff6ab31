//! Reconcile: after Hello (which checks that HQ answers for this ledger's branch), compares what
//! HQ holds for this branch with the ledger — count and checksum per (document type, month),
//! then per document in the buckets that differ — and lists every drift: a document missing,
//! extra or different on either side.

use crate::client::{ClientError, Hq};
use crate::greeting::{greet, GreetingError};
use crate::ledger_access::{open_shared, run_blocking, LedgerAccessError};
use branchline_proto::v1::{ReconcileDocumentsRequest, ReconcileSummaryRequest};
use branchline_proto::PROTOCOL_VERSION;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Ledger(#[from] LedgerAccessError),
    #[error(transparent)]
    Hq(#[from] ClientError),
    #[error(transparent)]
    Greeting(#[from] GreetingError),
}

/// One document's checksum on one side, with its bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSum {
    pub number: String,
    pub doc_type: String,
    pub month: String,
    pub checksum: String,
}

/// (document type, month).
pub type BucketKey = (String, String);

/// Count and checksum of one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSum {
    pub count: u64,
    pub checksum: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DriftKind {
    MissingAtHq,
    ExtraAtHq,
    Different,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Drift {
    pub doc_type: String,
    pub month: String,
    pub number: String,
    pub kind: DriftKind,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let label = match self.kind {
            DriftKind::MissingAtHq => "missing at HQ",
            DriftKind::ExtraAtHq => "extra at HQ",
            DriftKind::Different => "different",
        };
        write!(
            formatter,
            "{label}: {} ({} {})",
            self.number, self.doc_type, self.month
        )
    }
}

/// What reconcile found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub ledger_documents: u64,
    pub hq_documents: u64,
    pub buckets_compared: u64,
    pub drifts: Vec<Drift>,
    /// Outbox entries not yet acknowledged: documents among them show as missing at HQ.
    pub backlog: u64,
}

/// The bucket checksum both sides compute: hex SHA-256 over the sorted per-document checksums
/// joined with '\n'.
pub fn bucket_checksum<'a>(checksums: impl IntoIterator<Item = &'a str>) -> String {
    let mut sorted: Vec<&str> = checksums.into_iter().collect();
    sorted.sort_unstable();
    hex::encode(Sha256::digest(sorted.join("\n").as_bytes()))
}

/// Groups the ledger's documents into buckets.
pub fn summarize(documents: &[DocumentSum]) -> BTreeMap<BucketKey, BucketSum> {
    let mut grouped: BTreeMap<BucketKey, Vec<&str>> = BTreeMap::new();
    for document in documents {
        grouped
            .entry((document.doc_type.clone(), document.month.clone()))
            .or_default()
            .push(&document.checksum);
    }
    grouped
        .into_iter()
        .map(|(key, checksums)| {
            let sum = BucketSum {
                count: checksums.len() as u64,
                checksum: bucket_checksum(checksums.iter().copied()),
            };
            (key, sum)
        })
        .collect()
}

/// Buckets whose count or checksum differ, including buckets only one side has.
pub fn differing_buckets(
    ledger: &BTreeMap<BucketKey, BucketSum>,
    hq: &BTreeMap<BucketKey, BucketSum>,
) -> Vec<BucketKey> {
    let keys: BTreeSet<&BucketKey> = ledger.keys().chain(hq.keys()).collect();
    keys.into_iter()
        .filter(|key| ledger.get(*key) != hq.get(*key))
        .cloned()
        .collect()
}

/// Per-document drift within one bucket; `ledger` and `hq` map number → checksum.
pub fn compare_bucket(
    key: &BucketKey,
    ledger: &BTreeMap<String, String>,
    hq: &BTreeMap<String, String>,
) -> Vec<Drift> {
    let drift = |number: &str, kind| Drift {
        doc_type: key.0.clone(),
        month: key.1.clone(),
        number: number.to_owned(),
        kind,
    };
    let mut drifts = Vec::new();
    for (number, checksum) in ledger {
        match hq.get(number) {
            None => drifts.push(drift(number, DriftKind::MissingAtHq)),
            Some(hq_checksum) if hq_checksum != checksum => drifts.push(drift(number, DriftKind::Different)),
            Some(_) => {}
        }
    }
    for number in hq.keys().filter(|number| !ledger.contains_key(*number)) {
        drifts.push(drift(number, DriftKind::ExtraAtHq));
    }
    drifts
}

/// Reads the ledger's document checksums (blocking).
fn ledger_documents(ledger: &branch_node::Ledger) -> Result<Vec<DocumentSum>, Box<branch_node::LedgerError>> {
    Ok(ledger
        .document_checksums()
        .map_err(Box::new)?
        .into_iter()
        .map(|document| DocumentSum {
            number: document.number,
            doc_type: document.doc_type.as_str().to_owned(),
            month: document.month,
            checksum: document.checksum,
        })
        .collect())
}

/// Runs reconcile against HQ.
pub async fn reconcile(ledger_path: &Path, hq: &Hq) -> Result<ReconcileReport, ReconcileError> {
    let ledger = open_shared(ledger_path).await?;
    let status = run_blocking(&ledger, |ledger| ledger.status().map_err(Box::new)).await?;
    match greet(hq, ledger_path, &status).await {
        Ok(_) => {}
        // HQ checks the ledger's branch before its epoch, so a ledger of an older epoch than HQ's
        // (a restored copy) passed the branch check and may still compare what it holds.
        Err(GreetingError::Hq(ClientError::Refused {
            code: tonic::Code::FailedPrecondition,
            ..
        })) => {}
        Err(error) => return Err(error.into()),
    }
    let documents = run_blocking(&ledger, ledger_documents).await?;
    let ledger_buckets = summarize(&documents);
    let mut client = hq.client.clone();
    let summary = hq
        .unary(
            "reconcile summary",
            client.reconcile_summary(ReconcileSummaryRequest {
                protocol_version: PROTOCOL_VERSION,
                epoch: status.epoch,
                branch: status.branch.clone(),
            }),
        )
        .await?;
    let hq_buckets: BTreeMap<BucketKey, BucketSum> = summary
        .buckets
        .into_iter()
        .map(|bucket| {
            let sum = BucketSum {
                count: bucket.count,
                checksum: bucket.checksum,
            };
            ((bucket.doc_type, bucket.month), sum)
        })
        .collect();
    let mut report = ReconcileReport {
        ledger_documents: documents.len() as u64,
        hq_documents: hq_buckets.values().map(|bucket| bucket.count).sum(),
        buckets_compared: ledger_buckets
            .keys()
            .chain(hq_buckets.keys())
            .collect::<BTreeSet<_>>()
            .len() as u64,
        drifts: Vec::new(),
        backlog: status.backlog,
    };
    for key in differing_buckets(&ledger_buckets, &hq_buckets) {
        let hq_documents = hq
            .unary(
                "reconcile documents",
                client.reconcile_documents(ReconcileDocumentsRequest {
                    protocol_version: PROTOCOL_VERSION,
                    epoch: status.epoch,
                    doc_type: key.0.clone(),
                    month: key.1.clone(),
                    branch: status.branch.clone(),
                }),
            )
            .await?;
        let hq_map: BTreeMap<String, String> = hq_documents
            .documents
            .into_iter()
            .map(|document| (document.number, document.checksum))
            .collect();
        let ledger_map: BTreeMap<String, String> = documents
            .iter()
            .filter(|document| document.doc_type == key.0 && document.month == key.1)
            .map(|document| (document.number.clone(), document.checksum.clone()))
            .collect();
        report.drifts.extend(compare_bucket(&key, &ledger_map, &hq_map));
    }
    report.drifts.sort();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(number: &str, doc_type: &str, month: &str, checksum: &str) -> DocumentSum {
        DocumentSum {
            number: number.into(),
            doc_type: doc_type.into(),
            month: month.into(),
            checksum: checksum.into(),
        }
    }

    #[test]
    fn bucket_checksum_is_order_free() {
        assert_eq!(bucket_checksum(["b", "a"]), bucket_checksum(["a", "b"]));
        assert_eq!(bucket_checksum(["a", "b"]), hex::encode(Sha256::digest(b"a\nb")));
        assert_ne!(bucket_checksum(["a", "b"]), bucket_checksum(["a", "c"]));
    }

    #[test]
    fn finds_every_kind_of_drift() {
        let ledger_docs = vec![
            doc("SZ-1", "sales-out", "2026-01", "aa"),
            doc("SZ-2", "sales-out", "2026-01", "bb"),
            doc("SZ-3", "purchase-in", "2026-02", "cc"),
        ];
        let hq_docs = vec![
            doc("SZ-1", "sales-out", "2026-01", "aa"),
            doc("SZ-2", "sales-out", "2026-01", "XX"),
            doc("SZ-9", "opening", "2026-01", "dd"),
        ];
        let ledger = summarize(&ledger_docs);
        let hq = summarize(&hq_docs);
        let keys = differing_buckets(&ledger, &hq);
        assert_eq!(keys.len(), 3);
        let as_map = |docs: &[DocumentSum], key: &BucketKey| -> BTreeMap<String, String> {
            docs.iter()
                .filter(|d| d.doc_type == key.0 && d.month == key.1)
                .map(|d| (d.number.clone(), d.checksum.clone()))
                .collect()
        };
        let mut drifts: Vec<String> = keys
            .iter()
            .flat_map(|key| compare_bucket(key, &as_map(&ledger_docs, key), &as_map(&hq_docs, key)))
            .map(|drift| drift.to_string())
            .collect();
        drifts.sort();
        assert_eq!(
            drifts,
            [
                "different: SZ-2 (sales-out 2026-01)",
                "extra at HQ: SZ-9 (opening 2026-01)",
                "missing at HQ: SZ-3 (purchase-in 2026-02)",
            ]
        );
        assert!(differing_buckets(&ledger, &ledger).is_empty());
    }
}
