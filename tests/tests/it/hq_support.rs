//! Shared fixtures for the HQ tests: master data, documents and wire batches, and a one-batch push.

use branchline_proto::v1;
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{
    parse_date, BaseKind, BaseRecord, DocLine, DocType, Document, EntryBody, OutboxEntry,
};
use branchline_tests::hq::{self, HqHandle, HqTransferClient};
use hq_server::store::ingest::reconcile;
use hq_server::store::Store;
use rust_decimal::Decimal;

pub(crate) fn decimal(text: &str) -> Decimal {
    text.parse().expect("decimal literal")
}

pub(crate) fn record(kind: BaseKind, code: &str) -> BaseRecord {
    BaseRecord::new(kind, code, &format!("{kind} {code}"))
}

/// Org 001 > 001.001, branch `code` under it, master products P001 and P002, customer C001,
/// supplier V001 and warehouse `<code>-W`. Returns the branch's token.
pub(crate) async fn setup_branch(hq_url: &str, code: &str, org: &str) -> String {
    // The root may already exist from another branch's setup.
    let _ = hq::add_org(hq_url, "001", "group").await;
    hq::add_org(hq_url, org, &format!("org of {code}"))
        .await
        .expect("org add");
    let token = hq::add_branch(hq_url, code, org).await.expect("branch add");
    let products: Vec<BaseRecord> = ["P001", "P002"]
        .iter()
        .map(|c| record(BaseKind::Product, c))
        .collect();
    hq::import(hq_url, BaseKind::Product, &products)
        .await
        .expect("import products");
    hq::import(hq_url, BaseKind::Customer, &[record(BaseKind::Customer, "C001")])
        .await
        .expect("import customers");
    hq::import(hq_url, BaseKind::Supplier, &[record(BaseKind::Supplier, "V001")])
        .await
        .expect("import suppliers");
    let mut warehouse = record(BaseKind::Warehouse, &format!("{code}-W"));
    warehouse.branch = code.to_owned();
    hq::import(hq_url, BaseKind::Warehouse, &[warehouse])
        .await
        .expect("import warehouses");
    token
}

/// Pair assertion: HQ's store (at `db_url`) holds exactly `documents` for `branch` — count,
/// lines, and the sums of quantity, amount and tax.
pub(crate) async fn assert_hq_holds(db_url: &str, branch: &str, documents: &[&Document]) {
    let store = Store::open(db_url, 2).await.expect("open store");
    let totals = reconcile::totals(&store, &hq::branch_ref(&store, branch).await.unwrap())
        .await
        .unwrap();
    let qty: Decimal = documents
        .iter()
        .flat_map(|doc| doc.lines.iter())
        .map(|line| line.qty)
        .sum();
    let amount: Decimal = documents.iter().map(|doc| doc.totals().amount).sum();
    let tax: Decimal = documents.iter().map(|doc| doc.totals().tax).sum();
    assert_eq!(totals.documents, documents.len() as u64, "document count at HQ");
    assert_eq!(
        totals.lines,
        documents.iter().map(|doc| doc.lines.len() as u64).sum::<u64>()
    );
    assert_eq!(
        (totals.qty, totals.amount, totals.tax),
        (qty, amount, tax),
        "sums at HQ"
    );
    store.close().await;
}

/// A sales-out of `qty` × P001 at 21.50 (4% discount, 13% tax) to `partner`.
pub(crate) fn sales_out(number: &str, branch: &str, partner: &str, qty: &str) -> Document {
    Document {
        number: number.to_owned(),
        doc_type: DocType::SalesOut,
        date: parse_date("2026-01-05").expect("date"),
        partner: partner.to_owned(),
        warehouse: format!("{branch}-W"),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![
            DocLine {
                product: "P001".into(),
                qty: decimal(qty),
                price: decimal("21.50"),
                discount: decimal("0.04"),
                tax_rate: decimal("0.13"),
            },
            DocLine {
                product: "P002".into(),
                qty: decimal("1"),
                price: decimal("3"),
                discount: Decimal::ZERO,
                tax_rate: decimal("0.13"),
            },
        ],
        link: None,
    }
}

pub(crate) fn wire(seq: u64, body: EntryBody) -> v1::OutboxEntry {
    (&OutboxEntry { seq, body }).into()
}

/// A batch of `branch`'s ledger (the branch must be the pushing credential's).
pub(crate) fn batch(branch: &str, epoch: u64, entries: Vec<v1::OutboxEntry>) -> v1::PushBatch {
    v1::PushBatch {
        protocol_version: PROTOCOL_VERSION,
        epoch,
        backlog: 0,
        entries,
        branch: branch.to_owned(),
        backlog_documents: 0,
    }
}

/// Pushes one batch on a fresh stream and returns HQ's ack or refusal.
pub(crate) async fn push(
    client: &mut HqTransferClient,
    batch: v1::PushBatch,
) -> Result<v1::PushAck, tonic::Status> {
    let mut acks = client.push(tokio_stream::iter(vec![batch])).await?.into_inner();
    match acks.message().await? {
        Some(ack) => Ok(ack),
        None => Err(tonic::Status::internal("push stream ended without an ack")),
    }
}

/// Pushes `documents` as branch `code`'s entries 1.. in one batch, none quarantined.
pub(crate) async fn push_documents(hq: &HqHandle, token: &str, code: &str, documents: Vec<Document>) {
    let mut client = hq.transfer(token).await;
    let entries = documents
        .into_iter()
        .enumerate()
        .map(|(idx, document)| wire(idx as u64 + 1, EntryBody::Document(document)))
        .collect();
    let ack = push(&mut client, batch(code, 1, entries)).await.expect("push");
    assert_eq!(ack.quarantined, 0, "{code}");
}

/// (applied, duplicates, quarantined, acked_seq) of an ack.
pub(crate) fn counts(ack: &v1::PushAck) -> (u32, u32, u32, u64) {
    (ack.applied, ack.duplicates, ack.quarantined, ack.acked_seq)
}

/// A bundle file as `branch-node bundle export` writes it.
pub(crate) fn bundle_file(source: &str, epoch: u64, entries: &[(u64, EntryBody)]) -> Vec<u8> {
    use branchline_shared::{encode_container, ContainerHeader, ContainerKind, OutboxEntry};
    let lines: Vec<String> = entries
        .iter()
        .map(|(seq, body)| {
            serde_json::to_string(&OutboxEntry {
                seq: *seq,
                body: body.clone(),
            })
            .unwrap()
        })
        .collect();
    let header = ContainerHeader {
        format: ContainerKind::Bundle,
        format_version: 0,
        source: source.to_owned(),
        epoch: Some(epoch),
        first_seq: entries.first().map(|(seq, _)| *seq),
        last_seq: entries.last().map(|(seq, _)| *seq),
        template_name: None,
        template_version: None,
        entries: 0,
        body_sha256: String::new(),
    };
    encode_container(header, &lines)
}
