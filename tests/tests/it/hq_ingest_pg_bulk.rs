//! HQ's PostgreSQL bulk writes (`bulk::postgres`: each column one typed array, a batch's tables
//! in one statement) through the real gRPC server on a real cluster: awkward text comes back exactly,
//! and a batch larger than one statement is split and applied whole.

use crate::hq_support::{assert_hq_holds, batch, counts, decimal, push, sales_out, setup_branch, wire};
use branchline_proto::v1;
use branchline_shared::{BaseKind, BaseRecord, DocLink, DocRejection, DocType, Document, EntryBody};
use branchline_tests::hq::{launch_hq, HqStoreKind};

/// Text that array literals, JSON or SQL quoting could mangle: quotes, backslashes, braces,
/// commas, the words NULL and null, outer spaces, control characters, CJK, and the empty string.
const AWKWARD_TEXT: [&str; 17] = [
    r#"say "hi""#,
    r"back\slash",
    r"\\",
    r#"\""#,
    "{braces}",
    "}{",
    "a,b",
    "{a,\"b\",NULL}",
    "NULL",
    "null",
    " padded ",
    "深圳仓库 — 价格",
    "tab\tnew\nline",
    "'single' quotes",
    "(1,2)",
    "",
    " ",
];

/// What HQ's bulk writes store (master records, branch-local records, documents, rejections,
/// quarantined bodies) reads back from PostgreSQL exactly as sent, awkward text, empty strings
/// and NULLs included: each column travels as one typed array, which must keep them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_ingestion_keeps_awkward_text_on_postgres() {
    use sqlx::Connection;
    let Some(store) = HqStoreKind::postgres("hq_ingestion_keeps_awkward_text_on_postgres").await else {
        return;
    };
    let hq = launch_hq(store).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    let records = awkward_records();
    let master: Vec<BaseRecord> = records
        .iter()
        .map(|record| BaseRecord {
            code: format!("M{}", record.code),
            ..record.clone()
        })
        .collect();
    hq.import(BaseKind::Product, &master).await.expect("import");

    let mut entries: Vec<v1::OutboxEntry> = records
        .iter()
        .enumerate()
        .map(|(idx, record)| wire(idx as u64 + 1, EntryBody::BaseRecord(record.clone())))
        .collect();
    let mut seq = entries.len() as u64;
    let mut next = || {
        seq += 1;
        seq
    };
    let sale = sales_out("SZ-1", "SZ", "C001", "2");
    let mut red = sales_out("SZ-2", "SZ", "C001", "-1");
    red.red_of = Some("SZ-1".into());
    for line in &mut red.lines {
        line.qty = -line.qty.abs();
    }
    let mut retail = sales_out("SZ-3", "SZ", "", "1");
    retail.doc_type = DocType::RetailSale;
    retail.lines[0].product = "AW07".into();
    let mut unknown = sales_out("SZ-4", "SZ", "C001", "1");
    unknown.lines[1].product = "P999".into();
    let rejection = DocRejection {
        number: "SZ-R1".into(),
        link: DocLink {
            branch: "GZ".into(),
            number: "GZ-9".into(),
        },
        reason: AWKWARD_TEXT.join("|"),
    };
    for body in [
        EntryBody::Document(sale.clone()),
        EntryBody::Document(red.clone()),
        EntryBody::Document(retail.clone()),
        EntryBody::Document(unknown.clone()),
        EntryBody::Rejection(rejection.clone()),
    ] {
        entries.push(wire(next(), body));
    }
    let mut client = hq.transfer(&token).await;
    let ack = push(&mut client, batch("SZ", 1, entries)).await.expect("push");
    let n_records = records.len() as u32;
    assert_eq!(counts(&ack), (n_records + 4, 0, 1, u64::from(n_records) + 5));
    assert_hq_holds(hq.db_url(), "SZ", &[&sale, &red, &retail]).await;

    let mut db = sqlx::PgConnection::connect(hq.db_url()).await.expect("connect");
    assert_stored_records(&mut db, &records, &master).await;

    assert_stored_documents(&mut db, &rejection.reason, unknown).await;
    db.close().await.ok();
    hq.shutdown().await.expect("clean shutdown");
}

/// A batch larger than one PostgreSQL write statement takes (20,000 rows) is split over several
/// statements in the same transaction, and HQ still holds exactly what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_ingestion_of_a_batch_larger_than_one_statement_on_postgres() {
    let Some(store) =
        HqStoreKind::postgres("hq_ingestion_of_a_batch_larger_than_one_statement_on_postgres").await
    else {
        return;
    };
    let hq = launch_hq(store).await;
    let token = setup_branch(hq.url(), "SZ", "001.001").await;
    // 11,000 documents of 2 lines: 11,000 documents, 22,000 lines and 11,000 entries.
    let documents: Vec<Document> = (1..=11_000)
        .map(|number| {
            sales_out(
                &format!("SZ-{number}"),
                "SZ",
                "C001",
                &format!("{}", number % 7 + 1),
            )
        })
        .collect();
    let entries = documents
        .iter()
        .enumerate()
        .map(|(idx, document)| wire(idx as u64 + 1, EntryBody::Document(document.clone())))
        .collect();
    let mut client = hq.transfer(&token).await;
    let ack = push(&mut client, batch("SZ", 1, entries)).await.expect("push");
    assert_eq!(counts(&ack), (11_000, 0, 0, 11_000));
    let held: Vec<&Document> = documents.iter().collect();
    assert_hq_holds(hq.db_url(), "SZ", &held).await;
    hq.shutdown().await.expect("clean shutdown");
}

/// A branch-local product for each awkward text: its unit that text (its name too, unless
/// blank), every other one with a price.
fn awkward_records() -> Vec<BaseRecord> {
    // A name must not be blank; the unit may be anything, the empty string included.
    let name_of = |text: &str| {
        if text.trim().is_empty() {
            format!("blank [{text}]")
        } else {
            text.to_owned()
        }
    };
    AWKWARD_TEXT
        .iter()
        .enumerate()
        .map(|(idx, text)| {
            let mut record = BaseRecord::new(BaseKind::Product, &format!("AW{idx:02}"), &name_of(text));
            record.unit = (*text).to_owned();
            record.price = (idx % 2 == 0).then(|| decimal(&format!("{idx}.25")));
            record
        })
        .collect()
}

/// The branch-local and master records read back from PostgreSQL exactly as sent.
async fn assert_stored_records(db: &mut sqlx::PgConnection, records: &[BaseRecord], master: &[BaseRecord]) {
    let expected_records = |records: &[BaseRecord]| -> Vec<(String, String, String, Option<String>)> {
        records
            .iter()
            .map(|record| {
                (
                    record.code.clone(),
                    record.name.clone(),
                    record.unit.clone(),
                    record.price.map(|price| format!("{price:.6}")),
                )
            })
            .collect()
    };
    let stored_local: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT code, name, unit, CAST(price AS TEXT) FROM branch_record WHERE code LIKE 'AW%' ORDER BY code",
    )
    .fetch_all(&mut *db)
    .await
    .unwrap();
    assert_eq!(stored_local, expected_records(records));
    let stored_master: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT code, name, unit, CAST(price AS TEXT) FROM master_record WHERE code LIKE 'MAW%' ORDER BY code",
    )
    .fetch_all(&mut *db)
    .await
    .unwrap();
    assert_eq!(stored_master, expected_records(master));
}

/// The applied documents, the rejection's reason and the quarantined document (`unknown`)
/// read back from PostgreSQL exactly as sent.
async fn assert_stored_documents(db: &mut sqlx::PgConnection, rejection_reason: &str, unknown: Document) {
    let documents: Vec<(String, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT number, partner, red_of, link_branch FROM document ORDER BY number")
            .fetch_all(&mut *db)
            .await
            .unwrap();
    let document = |number: &str, partner: &str, red_of: Option<&str>| {
        (
            number.to_owned(),
            partner.to_owned(),
            red_of.map(str::to_owned),
            None,
        )
    };
    assert_eq!(
        documents,
        [
            document("SZ-1", "C001", None),
            document("SZ-2", "C001", Some("SZ-1")),
            document("SZ-3", "", None),
        ]
    );
    let reasons: Vec<(String,)> = sqlx::query_as("SELECT reason FROM rejection")
        .fetch_all(&mut *db)
        .await
        .unwrap();
    assert_eq!(reasons, [(rejection_reason.to_owned(),)]);
    let quarantined: Vec<(String, String)> = sqlx::query_as("SELECT summary, body FROM quarantine")
        .fetch_all(&mut *db)
        .await
        .unwrap();
    assert_eq!(
        quarantined,
        [(
            EntryBody::Document(unknown.clone()).summary(),
            EntryBody::Document(unknown).to_json()
        )]
    );
}
