//! HQ ingestion through the real gRPC server, on SQLite and on PostgreSQL: duplicates, gaps,
//! conflicting resends, quarantine (and retry), epochs, credentials — with pair assertions on
//! what HQ holds against what was sent.

use crate::hq_support::{
    assert_hq_holds, batch, bundle_file, counts, push, record, sales_out, setup_branch, wire,
};
use branchline_proto::v1::{self, HelloRequest};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{BaseKind, Document, EntryBody};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, HqTransferClient};
use tonic::Code;

async fn ingestion_rules(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    let mut client = hq.transfer(&token).await;

    // A branch-local customer, then documents using master and local codes.
    let local_customer = EntryBody::BaseRecord(record(BaseKind::Customer, "LC1"));
    let doc1 = sales_out("SZ-1", "SZ", "C001", "17");
    let doc2 = sales_out("SZ-2", "SZ", "LC1", "2.5");
    let first = vec![
        wire(1, local_customer),
        wire(2, EntryBody::Document(doc1.clone())),
        wire(3, EntryBody::Document(doc2.clone())),
    ];
    let ack = push(&mut client, batch("SZ", 1, first.clone()))
        .await
        .expect("first push");
    assert_eq!(counts(&ack), (3, 0, 0, 3));

    // Resent as is (a lost ack): acknowledged again, not re-applied.
    let ack = push(&mut client, batch("SZ", 1, first.clone()))
        .await
        .expect("resend");
    assert_eq!(counts(&ack), (0, 3, 0, 3));
    assert_hq_holds(hq.db_url(), "SZ", &[&doc1, &doc2]).await;

    // Overlapping batch: 2 and 3 held, 4 and 5 new.
    let doc4 = sales_out("SZ-4", "SZ", "C001", "1");
    let doc5 = sales_out("SZ-5", "SZ", "C001", "4");
    let overlap = vec![
        first[1].clone(),
        first[2].clone(),
        wire(4, EntryBody::Document(doc4.clone())),
        wire(5, EntryBody::Document(doc5.clone())),
    ];
    let ack = push(&mut client, batch("SZ", 1, overlap)).await.expect("overlap");
    assert_eq!(counts(&ack), (2, 2, 0, 5));

    assert_gap_and_conflict_refused(&mut client).await;
    assert_hq_holds(hq.db_url(), "SZ", &[&doc1, &doc2, &doc4, &doc5]).await;

    // Poison does not block: unknown product (6), malformed decimal (7), good document (8).
    let (poisoned, unknown_product, doc8) = poisoned_entries();
    let ack = push(&mut client, batch("SZ", 1, poisoned))
        .await
        .expect("poisoned batch");
    assert_eq!(counts(&ack), (1, 0, 2, 8));
    assert_hq_holds(hq.db_url(), "SZ", &[&doc1, &doc2, &doc4, &doc5, &doc8]).await;

    let quarantined = assert_poison_in_status_and_quarantine(&hq).await;

    // Fix the cause, retry: the document is applied once.
    retry_quarantined(&hq, &quarantined).await;
    assert_hq_holds(
        hq.db_url(),
        "SZ",
        &[&doc1, &doc2, &doc4, &doc5, &unknown_product, &doc8],
    )
    .await;

    // A number HQ holds: same content is a no-op, different content is quarantined.
    assert_number_reuse(&mut client, &doc1).await;

    // Hello and epochs.
    let doc_e2 = hello_and_epochs(&mut client, &first[0]).await;

    let status = hq.status().await.unwrap();
    let sz = status.iter().find(|branch| branch.branch == "SZ").unwrap();
    assert_eq!((sz.epoch, sz.last_seq, sz.quarantined, sz.backlog), (2, 1, 2, 0));
    assert_hq_holds(
        hq.db_url(),
        "SZ",
        &[&doc1, &doc2, &doc4, &doc5, &unknown_product, &doc8, &doc_e2],
    )
    .await;
    hq.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_ingestion_rules_on_sqlite() {
    ingestion_rules(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_ingestion_rules_on_postgres() {
    let Some(store) = HqStoreKind::postgres("hq_ingestion_rules_on_postgres").await else {
        return;
    };
    ingestion_rules(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_credentials_are_checked() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let sz_token = setup_branch(hq.url(), "SZ", "001.001").await;
    let gz_token = hq.add_branch("GZ", "001").await.unwrap();

    let mut anonymous = hq.transfer("not-a-token").await;
    let hello = HelloRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        ..Default::default()
    };
    assert_eq!(
        anonymous.hello(hello.clone()).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let mut admin_as_branch = hq.transfer(hq.admin_token()).await;
    assert_eq!(
        admin_as_branch.hello(hello).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    let mut branch_as_admin = branchline_tests::hq::admin_client(hq.url(), &sz_token).await;
    let denied = branch_as_admin
        .status(v1::StatusRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // GZ cannot upload SZ's bundle; the refusal is audited.
    let bundle = bundle_file(
        "SZ",
        1,
        &[(1, EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "1")))],
    );
    let mut gz = hq.transfer(&gz_token).await;
    let foreign = gz.upload_bundle(v1::BundleUpload { bundle }).await.unwrap_err();
    assert_eq!(foreign.code(), Code::PermissionDenied);
    let mut admin = hq.admin().await;
    let events = admin
        .audit(v1::AuditRequest::default())
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(events
        .iter()
        .any(|event| event.actor == "GZ" && event.action.starts_with("refused")));
    assert!(events
        .iter()
        .any(|event| event.actor == "SZ" && event.action.starts_with("refused")));
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_bundle_and_push_never_double() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    let docs: Vec<Document> = (1..=4)
        .map(|n| sales_out(&format!("SZ-{n}"), "SZ", "C001", "2"))
        .collect();
    let entries: Vec<(u64, EntryBody)> = docs
        .iter()
        .enumerate()
        .map(|(idx, doc)| (idx as u64 + 1, EntryBody::Document(doc.clone())))
        .collect();
    let mut client = hq.transfer(&token).await;
    let network: Vec<_> = entries[..2]
        .iter()
        .map(|(seq, body)| wire(*seq, body.clone()))
        .collect();
    assert_eq!(
        counts(&push(&mut client, batch("SZ", 1, network)).await.unwrap()),
        (2, 0, 0, 2)
    );

    let bundle = bundle_file("SZ", 1, &entries);
    let mut admin = hq.admin().await;
    let ack = admin
        .import_bundle(v1::BundleUpload {
            bundle: bundle.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts(&ack), (2, 2, 0, 4));
    let ack = client
        .upload_bundle(v1::BundleUpload {
            bundle: bundle.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts(&ack), (0, 4, 0, 4));

    let mut altered = bundle;
    let last = altered.len() - 3;
    altered[last] ^= 1;
    let refused = admin
        .import_bundle(v1::BundleUpload { bundle: altered })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("checksum"), "{}", refused.message());
    let held: Vec<&Document> = docs.iter().collect();
    assert_hq_holds(hq.db_url(), "SZ", &held).await;

    // Reconcile answers from what HQ holds.
    assert_reconcile_answers(&mut client, &docs).await;
    hq.shutdown().await.unwrap();
}

/// An entry HQ quarantines is the same entry whichever way it comes: pushed over the network,
/// then found again in a bundle, it is a duplicate, not a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_invalid_entry_by_network_then_bundle_is_a_duplicate() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    let mut client = hq.transfer(&token).await;
    let mut invalid = sales_out("SZ-1", "SZ", "C001", "2");
    invalid.partner.clear();
    let entries = vec![
        (1, EntryBody::Document(invalid)),
        (2, EntryBody::Document(sales_out("SZ-2", "SZ", "C001", "1"))),
    ];
    let network = entries
        .iter()
        .map(|(seq, body)| wire(*seq, body.clone()))
        .collect();
    assert_eq!(
        counts(&push(&mut client, batch("SZ", 1, network)).await.unwrap()),
        (1, 0, 1, 2)
    );
    let ack = client
        .upload_bundle(v1::BundleUpload {
            bundle: bundle_file("SZ", 1, &entries),
        })
        .await
        .expect("the bundle repeats what HQ holds")
        .into_inner();
    assert_eq!(counts(&ack), (0, 2, 0, 2));
    let status = hq.status().await.unwrap();
    assert_eq!((status[0].quarantined, status[0].conflicts), (1, 0));
    hq.shutdown().await.unwrap();
}

/// Reconcile answers from what HQ holds: one sales-out bucket of 2026-01 with `docs`, and each
/// document's checksum.
async fn assert_reconcile_answers(client: &mut HqTransferClient, docs: &[Document]) {
    let summary = client
        .reconcile_summary(v1::ReconcileSummaryRequest {
            protocol_version: PROTOCOL_VERSION,
            epoch: 1,
            branch: "SZ".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summary.buckets.len(), 1);
    assert_eq!(
        (
            summary.buckets[0].doc_type.as_str(),
            summary.buckets[0].month.as_str()
        ),
        ("sales-out", "2026-01")
    );
    assert_eq!(summary.buckets[0].count, 4);
    let documents = client
        .reconcile_documents(v1::ReconcileDocumentsRequest {
            protocol_version: PROTOCOL_VERSION,
            epoch: 1,
            doc_type: "sales-out".into(),
            month: "2026-01".into(),
            branch: "SZ".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .documents;
    assert_eq!(documents.len(), 4);
    assert_eq!(documents[0].checksum, docs[0].content_checksum());
}

/// A batch after a gap (HQ holds up to 5) and a resend of seq 5 with other content are refused
/// with their codes.
async fn assert_gap_and_conflict_refused(client: &mut HqTransferClient) {
    // A gap is refused and changes nothing.
    let gap = push(
        client,
        batch(
            "SZ",
            1,
            vec![wire(7, EntryBody::Document(sales_out("SZ-7", "SZ", "C001", "1")))],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(gap.code(), Code::FailedPrecondition);
    assert_eq!(gap.message(), "gap: HQ holds up to 5, batch starts at 7");

    // Same seq, different content: refused, raised in status, nothing changes.
    let conflict = push(
        client,
        batch(
            "SZ",
            1,
            vec![wire(5, EntryBody::Document(sales_out("SZ-5", "SZ", "C001", "5")))],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(conflict.code(), Code::AlreadyExists, "{conflict:?}");
    assert!(conflict.message().contains("seq 5"), "{}", conflict.message());
}

/// After the poisoned batch: SZ's status counts 2 quarantined entries and 1 conflict, and the
/// quarantine lists both with their reasons.
async fn assert_poison_in_status_and_quarantine(hq: &HqHandle) -> Vec<v1::QuarantinedEntry> {
    let status = hq.status().await.unwrap();
    let sz = status
        .iter()
        .find(|branch| branch.branch == "SZ")
        .expect("SZ in status");
    assert_eq!(
        (sz.epoch, sz.last_seq, sz.quarantined, sz.conflicts),
        (1, 8, 2, 1)
    );
    assert_eq!(sz.org, "001.001");
    assert!(!sz.received_at.is_empty() && !sz.last_contact.is_empty());

    let quarantined = hq.quarantine().await.unwrap();
    assert_eq!(quarantined.len(), 2);
    assert!(
        quarantined[0].reason.contains("unknown product P999"),
        "{}",
        quarantined[0].reason
    );
    assert!(quarantined[1].reason.contains("1e5"), "{}", quarantined[1].reason);
    quarantined
}

/// Retries the unknown product's entry in vain, then after importing the product (applied
/// once); the malformed entry cannot be retried.
async fn retry_quarantined(hq: &HqHandle, quarantined: &[v1::QuarantinedEntry]) {
    let mut admin = hq.admin().await;
    let retry = admin
        .quarantine_retry(v1::QuarantineRetryRequest {
            id: quarantined[0].id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!retry.applied && retry.reason.contains("P999"));
    hq.import(BaseKind::Product, &[record(BaseKind::Product, "P999")])
        .await
        .unwrap();
    let retry = admin
        .quarantine_retry(v1::QuarantineRetryRequest {
            id: quarantined[0].id,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(retry.applied, "{}", retry.reason);
    let again = admin
        .quarantine_retry(v1::QuarantineRetryRequest {
            id: quarantined[0].id,
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    let malformed_retry = admin
        .quarantine_retry(v1::QuarantineRetryRequest {
            id: quarantined[1].id,
        })
        .await
        .unwrap_err();
    assert_eq!(malformed_retry.code(), Code::FailedPrecondition);
}

/// Hello answers the epoch's position; a newer protocol is refused; epoch 2 starts at 0 and
/// closes epoch 1 for hellos and pushes. Returns the document pushed in epoch 2.
async fn hello_and_epochs(client: &mut HqTransferClient, first_entry: &v1::OutboxEntry) -> Document {
    let hello = |epoch, protocol_version| HelloRequest {
        protocol_version,
        epoch,
        last_seq: 10,
        backlog: 7,
        inbox_seq: 0,
        branch: "SZ".into(),
        ..Default::default()
    };
    let answer = client
        .hello(hello(1, PROTOCOL_VERSION))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (answer.branch.as_str(), answer.epoch, answer.applied_seq),
        ("SZ", 1, 10)
    );
    let newer_protocol = client.hello(hello(1, PROTOCOL_VERSION + 1)).await.unwrap_err();
    assert_eq!(newer_protocol.code(), Code::FailedPrecondition);
    assert_eq!(
        newer_protocol.message(),
        "protocol version 2 is not supported: HQ speaks 1"
    );
    assert_eq!(
        client
            .hello(hello(2, PROTOCOL_VERSION))
            .await
            .unwrap()
            .into_inner()
            .applied_seq,
        0
    );
    let doc_e2 = sales_out("SZ-E2-1", "SZ", "C001", "1");
    let ack = push(
        client,
        batch("SZ", 2, vec![wire(1, EntryBody::Document(doc_e2.clone()))]),
    )
    .await
    .unwrap();
    assert_eq!((ack.epoch, ack.acked_seq, ack.applied), (2, 1, 1));
    let old_epoch = client.hello(hello(1, PROTOCOL_VERSION)).await.unwrap_err();
    assert_eq!(old_epoch.code(), Code::FailedPrecondition);
    let old_push = push(client, batch("SZ", 1, vec![first_entry.clone()]))
        .await
        .unwrap_err();
    assert_eq!(old_push.code(), Code::FailedPrecondition);
    doc_e2
}

/// Seqs 6 to 8: a document naming an unknown product, one with a malformed decimal, a good
/// one; returns them with the first and the last document.
fn poisoned_entries() -> (Vec<v1::OutboxEntry>, Document, Document) {
    let mut unknown_product = sales_out("SZ-6", "SZ", "C001", "1");
    unknown_product.lines[0].product = "P999".into();
    let mut malformed = wire(7, EntryBody::Document(sales_out("SZ-X", "SZ", "C001", "1")));
    if let Some(v1::outbox_entry::Body::Document(document)) = &mut malformed.body {
        document.lines[0].qty = "1e5".into();
    }
    let doc8 = sales_out("SZ-8", "SZ", "C001", "3");
    let poisoned = vec![
        wire(6, EntryBody::Document(unknown_product.clone())),
        malformed,
        wire(8, EntryBody::Document(doc8.clone())),
    ];
    (poisoned, unknown_product, doc8)
}

/// A number HQ holds (SZ-1, `doc1`) under new seqs: the same content is a duplicate, other
/// content is quarantined.
async fn assert_number_reuse(client: &mut HqTransferClient, doc1: &Document) {
    let renumbered = vec![
        wire(9, EntryBody::Document(doc1.clone())),
        wire(10, EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "99"))),
    ];
    let ack = push(client, batch("SZ", 1, renumbered))
        .await
        .expect("document number reuse");
    assert_eq!(counts(&ack), (0, 1, 1, 10));
}
