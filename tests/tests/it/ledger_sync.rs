//! The ledger's sync side through the library: outbox reads and acknowledgements, epochs,
//! inbox application (templates, routed drafts), template and bundle files, and refusing
//! files that are not healthy ledgers.

use crate::ledger_rules::{d, date, doc};
use branch_node::{Ledger, LedgerError, Origin};
use branchline_shared::{
    decode_container, encode_container, BaseKind, BaseRecord, ContainerHeader, ContainerKind, DocLink,
    DocStatus, DocType, EntryBody, InboxBody, InboxEntry, OutboxEntry, Template,
};
use branchline_tests::ledger::{
    assert_outbox_gapless, seed_ledger, snapshot, SEED_CUSTOMERS, SEED_PRODUCTS, SEED_SUPPLIERS,
};
use branchline_tests::process::TempDir;

const SEEDED_ENTRIES: u64 = 1 + (SEED_PRODUCTS + SEED_CUSTOMERS + SEED_SUPPLIERS) as u64;

#[test]
fn outbox_reads_are_bounded_and_acks_never_go_back() {
    let dir = TempDir::new("ledger-outbox").unwrap();
    let ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
    let status = ledger.status().unwrap();
    assert_eq!(
        (status.epoch, status.last_seq, status.acked_seq),
        (1, SEEDED_ENTRIES, 0)
    );
    assert_eq!(status.backlog_documents, 0);

    let batch = ledger.outbox_after(0, 10, 1 << 20).unwrap();
    assert_eq!(
        batch.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    let one = ledger.outbox_after(3, 10, 1).unwrap();
    assert_eq!(one.len(), 1, "at least one entry even past the byte limit");
    assert_eq!(one[0].seq, 4);
    assert!(ledger
        .outbox_after(SEEDED_ENTRIES, 10, 1 << 20)
        .unwrap()
        .is_empty());

    ledger.record_ack(1, 20).unwrap();
    ledger.record_ack(1, 5).unwrap();
    assert_eq!(
        ledger.status().unwrap().acked_seq,
        20,
        "an older ack never lowers the mark"
    );
    assert!(matches!(
        ledger.record_ack(1, SEEDED_ENTRIES + 1),
        Err(LedgerError::AckBeyondLast { .. })
    ));
    assert!(matches!(
        ledger.record_ack(7, 1),
        Err(LedgerError::UnknownEpoch { .. })
    ));
    let status = ledger.status().unwrap();
    assert_eq!(status.backlog, SEEDED_ENTRIES - 20);
}

#[test]
fn a_new_epoch_restarts_numbering() {
    let dir = TempDir::new("ledger-epoch").unwrap();
    let ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
    ledger
        .add_document(doc(DocType::Opening, "", "P0001", "10"), false)
        .unwrap();
    // Nothing was acknowledged: every entry of epoch 1 is carried into epoch 2, and the
    // document the ledger numbered in epoch 1 gets a number of epoch 2.
    let started = ledger.new_epoch().unwrap();
    assert_eq!(started.epoch, 2);
    assert_eq!(started.carried, SEEDED_ENTRIES + 1);
    assert_eq!(
        started.renumbered,
        vec![("SZ-000001".to_owned(), "SZ-E2-000001".to_owned())]
    );
    let status = ledger.status().unwrap();
    assert_eq!(
        (status.epoch, status.last_seq, status.acked_seq, status.backlog),
        (2, started.carried, 0, started.carried)
    );
    let outcome = ledger
        .add_document(doc(DocType::Opening, "", "P0001", "1"), false)
        .unwrap();
    assert_eq!(outcome.number(), "SZ-E2-000002");
    let entries = ledger.outbox_after(0, 1000, 1 << 24).unwrap();
    assert_eq!(entries.len() as u64, started.carried + 1);
    assert_eq!(entries[0].seq, 1);
    assert_outbox_gapless(ledger.path()).unwrap();
}

fn routed(number: &str, qty: &str) -> branchline_shared::Document {
    let mut document = doc(DocType::PurchaseIn, "S001", "P0001", qty);
    document.number = number.to_owned();
    document.link = Some(DocLink {
        branch: "GZ".to_owned(),
        number: number.to_owned(),
    });
    document
}

fn template(version: u64, records: Vec<BaseRecord>) -> Template {
    Template {
        name: "master".to_owned(),
        version,
        records,
        stock_limits: None,
    }
}

#[test]
fn inbox_applies_templates_and_routed_drafts_once() {
    let dir = TempDir::new("ledger-inbox").unwrap();
    let ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
    let last_seq = ledger.status().unwrap().last_seq;
    let mut hq_product = BaseRecord::new(BaseKind::Product, "HQ-P1", "from hq");
    hq_product.price = Some(d("9.90"));
    let collides = BaseRecord::new(BaseKind::Product, "P0001", "hq's P0001");
    let entries = vec![
        InboxEntry {
            seq: 1,
            body: InboxBody::Template(template(2, vec![hq_product.clone(), collides])),
        },
        InboxEntry {
            seq: 2,
            body: InboxBody::RoutedDocument(routed("GZ-000007", "6")),
        },
    ];
    assert_eq!(ledger.apply_inbox(&entries).unwrap(), 2);
    assert_eq!(ledger.status().unwrap().inbox_seq, 2);
    assert_eq!(
        ledger.status().unwrap().last_seq,
        last_seq,
        "templates and routed drafts are not pushed back"
    );
    let products = ledger.base_records(BaseKind::Product).unwrap();
    assert!(products.contains(&(hq_product.clone(), Origin::Hq)));
    let p0001 = products
        .iter()
        .find(|(record, _)| record.code == "P0001")
        .unwrap();
    assert_eq!(p0001.1, Origin::Local, "branch-local records are untouched");

    // The routed document is a draft numbered here, keeping its link.
    let drafts = ledger
        .documents(branch_node::DocFilter {
            doc_type: None,
            status: Some(DocStatus::Draft),
        })
        .unwrap();
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0].document;
    assert!(draft.number.starts_with("SZ-"));
    assert_eq!(draft.link.as_ref().unwrap().number, "GZ-000007");

    // Re-applying the same entries (a lost ack) and an older template change nothing.
    let before = snapshot(ledger.path()).unwrap();
    assert_eq!(ledger.apply_inbox(&entries).unwrap(), 2);
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
    let mut older = hq_product.clone();
    older.name = "older".to_owned();
    let outcome = ledger
        .import_template_file(&template_file(&template(1, vec![older])))
        .unwrap();
    assert!(!outcome.applied);
    assert_eq!(snapshot(ledger.path()).unwrap(), before);

    // Confirming takes the goods into stock and sends the linked document.
    let seq = ledger.confirm_document(&draft.number).unwrap();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), d("6"));
    let entry = ledger.outbox_after(seq - 1, 1, 1 << 20).unwrap().remove(0);
    let EntryBody::Document(sent) = entry.body else {
        panic!("expected a document")
    };
    assert_eq!(sent.link, draft.link);
}

#[test]
fn a_rejected_routed_draft_tells_hq() {
    let dir = TempDir::new("ledger-reject").unwrap();
    let ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
    let entry = InboxEntry {
        seq: 5,
        body: InboxBody::RoutedDocument(routed("GZ-000009", "2")),
    };
    ledger.apply_inbox(&[entry]).unwrap();
    let number = ledger.documents(Default::default()).unwrap()[0]
        .document
        .number
        .clone();
    let seq = ledger.reject_document(&number, "wrong goods").unwrap();
    let OutboxEntry { body, .. } = ledger.outbox_after(seq - 1, 1, 1 << 20).unwrap().remove(0);
    let EntryBody::Rejection(rejection) = body else {
        panic!("expected a rejection")
    };
    assert_eq!(
        (rejection.number.as_str(), rejection.reason.as_str()),
        (number.as_str(), "wrong goods")
    );
    assert_eq!(rejection.link.number, "GZ-000009");
    assert_eq!(ledger.document(&number).unwrap().status, DocStatus::Rejected);
    assert!(matches!(
        ledger.confirm_document(&number),
        Err(LedgerError::NotDraft { .. })
    ));
}

fn template_file(template: &Template) -> Vec<u8> {
    let header = ContainerHeader {
        format: ContainerKind::Template,
        format_version: 0,
        source: "HQ".to_owned(),
        epoch: None,
        first_seq: None,
        last_seq: None,
        template_name: Some(template.name.clone()),
        template_version: Some(template.version),
        entries: 0,
        body_sha256: String::new(),
    };
    encode_container(header, &[serde_json::to_string(template).unwrap()])
}

#[test]
fn template_files_apply_and_altered_ones_are_refused() {
    let dir = TempDir::new("ledger-template").unwrap();
    let ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
    let file = template_file(&template(
        3,
        vec![BaseRecord::new(BaseKind::Customer, "HQ-C1", "hq customer")],
    ));
    let before = snapshot(ledger.path()).unwrap();
    let mut altered = file.clone();
    let last = altered.len() - 3;
    altered[last] ^= 0x01;
    assert!(matches!(
        ledger.import_template_file(&altered),
        Err(LedgerError::Container { .. })
    ));
    assert!(ledger.import_template_file(&file[..file.len() - 5]).is_err());
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
    let outcome = ledger.import_template_file(&file).unwrap();
    assert!(outcome.applied);
    assert_eq!(outcome.upserted, 1);
    assert_eq!(
        ledger.status().unwrap().inbox_seq,
        0,
        "a file does not move the inbox position"
    );
}

#[test]
fn bundles_hold_the_unacknowledged_outbox() {
    let dir = TempDir::new("ledger-bundle").unwrap();
    let ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
    ledger
        .add_document(doc(DocType::Opening, "", "P0002", "3"), false)
        .unwrap();
    ledger.record_ack(1, 60).unwrap();
    let bytes = ledger.export_bundle().unwrap();
    let (header, lines) = decode_container(&bytes, ContainerKind::Bundle).unwrap();
    let status = ledger.status().unwrap();
    assert_eq!(header.source, "SZ");
    assert_eq!(
        (header.epoch, header.first_seq, header.last_seq),
        (Some(1), Some(61), Some(status.last_seq))
    );
    assert_eq!(lines.len() as u64, status.backlog);
    let entries: Vec<OutboxEntry> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(entries, ledger.outbox_after(60, 1000, 1 << 30).unwrap());
}

#[test]
fn only_healthy_ledger_files_open() {
    let dir = TempDir::new("ledger-open").unwrap();
    let missing = dir.join("missing.db");
    assert!(matches!(
        Ledger::open(&missing),
        Err(LedgerError::NotFound { .. })
    ));
    assert!(!missing.exists(), "open never creates a file");

    let text = dir.join("text.db");
    std::fs::write(
        &text,
        "this is not a database, just some text that is long enough to look like a header",
    )
    .unwrap();
    assert!(
        matches!(Ledger::open(&text), Err(LedgerError::NotALedger { .. })),
        "{:?}",
        Ledger::open(&text).err()
    );

    let other = dir.join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        Ledger::open(&other),
        Err(LedgerError::WrongApplication { .. })
    ));

    let newer = dir.join("newer.db");
    drop(seed_ledger(&newer, "SZ").unwrap());
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let error = Ledger::open(&newer).err().unwrap();
    assert!(
        matches!(error, LedgerError::NewerSchema { found: 99, .. }),
        "{error}"
    );

    let corrupt = dir.join("corrupt.db");
    drop(seed_ledger(&corrupt, "SZ").unwrap());
    checkpoint(&corrupt);
    let mut bytes = std::fs::read(&corrupt).unwrap();
    let page_size = 4096;
    assert!(bytes.len() > 3 * page_size);
    for byte in &mut bytes[page_size + 16..2 * page_size] {
        *byte = 0xA5;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    let error = Ledger::open(&corrupt).err().expect("a corrupt ledger is refused");
    assert!(matches!(error, LedgerError::Corrupt { .. }), "{error}");

    assert!(matches!(
        Ledger::create(&other, "SZ", "x", false),
        Err(LedgerError::AlreadyExists { .. })
    ));
    assert!(matches!(
        Ledger::create(&dir.join("bad.db"), "sz", "x", false),
        Err(LedgerError::Code(_))
    ));
    let _ = date();
}

/// Moves the WAL into the main file so the file alone holds everything.
fn checkpoint(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
}
