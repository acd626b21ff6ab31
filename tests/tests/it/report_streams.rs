//! The report tests' data: the group (three ledgers under a small organization tree) and its
//! master data, the four-product and the wide catalog, random streams of confirmed documents
//! (red documents, routed trades) pushed through the real gRPC server in random batches with
//! resends, and a one-line sale.

use crate::hq_support::{batch, push, record, wire};
use branchline_shared::{parse_date, BaseKind, DocLine, DocLink, DocType, Document, EntryBody};
use branchline_tests::hq::HqHandle;
use rust_decimal::Decimal;

pub(crate) const BRANCHES: [(&str, &str); 3] =
    [("SZ", "001.001.001"), ("GZ", "001.001.002"), ("ZH", "001.002")];
pub(crate) const PRODUCTS: [&str; 4] = ["P001", "P002", "P003", "P004"];
const CUSTOMERS: [&str; 3] = ["C001", "C002", "C-GZ"];

/// A small deterministic generator (xorshift64*), seeded by proptest.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Org 001 > 001.001 (a region without a ledger) > SZ, GZ; 001.002 > ZH; master data.
pub(crate) async fn setup_group(hq: &HqHandle) -> Vec<String> {
    hq.add_org("001", "group").await.unwrap();
    hq.add_org("001.001", "south region").await.unwrap();
    hq.add_org("001.002", "zhuhai").await.unwrap();
    hq.add_org("001.001.001", "shenzhen").await.unwrap();
    hq.add_org("001.001.002", "guangzhou").await.unwrap();
    let mut tokens = Vec::new();
    for (code, org) in BRANCHES {
        tokens.push(hq.add_branch(code, org).await.unwrap());
    }
    let products: Vec<_> = PRODUCTS
        .iter()
        .map(|code| record(BaseKind::Product, code))
        .collect();
    hq.import(BaseKind::Product, &products).await.unwrap();
    let customers: Vec<_> = CUSTOMERS
        .iter()
        .map(|code| record(BaseKind::Customer, code))
        .collect();
    hq.import(BaseKind::Customer, &customers).await.unwrap();
    let suppliers = [
        record(BaseKind::Supplier, "V001"),
        record(BaseKind::Supplier, "S-SZ"),
    ];
    hq.import(BaseKind::Supplier, &suppliers).await.unwrap();
    // Each branch's main warehouse and a second one its transfers move stock to and from.
    let warehouses: Vec<_> = BRANCHES
        .iter()
        .flat_map(|(code, _)| [format!("{code}-W"), format!("{code}-W2")])
        .map(|code| record(BaseKind::Warehouse, &code))
        .collect();
    hq.import(BaseKind::Warehouse, &warehouses).await.unwrap();
    tokens
}

pub(crate) fn decimal(mantissa: u64, scale: u32) -> Decimal {
    Decimal::new(mantissa as i64, scale)
}

/// The products a case's documents use: the four master products, or (wide) 150 master products
/// and three of the branch's own, so that product ids cross the packed roll-ups' blocks.
pub(crate) fn catalog(code: &str, wide: bool) -> Vec<String> {
    if !wide {
        return PRODUCTS.iter().map(|product| product.to_string()).collect();
    }
    (1..=WIDE_PRODUCTS)
        .map(|idx| format!("P{idx:03}"))
        .chain((1..=3).map(|idx| format!("{code}-L{idx}")))
        .collect()
}

/// Master products of the wide catalog.
const WIDE_PRODUCTS: usize = 150;

/// Imports the wide catalog's master products beyond the four of `setup_group`.
pub(crate) async fn import_wide_products(hq: &HqHandle) {
    let products: Vec<_> = (PRODUCTS.len() + 1..=WIDE_PRODUCTS)
        .map(|idx| record(BaseKind::Product, &format!("P{idx:03}")))
        .collect();
    hq.import(BaseKind::Product, &products).await.unwrap();
}

/// The branch's own product records of the wide catalog, sent before its documents.
pub(crate) fn local_products(code: &str) -> Vec<EntryBody> {
    (1..=3)
        .map(|idx| {
            let mut product = record(BaseKind::Product, &format!("{code}-L{idx}"));
            product.branch = code.to_owned();
            EntryBody::BaseRecord(product)
        })
        .collect()
}

/// A random stream of confirmed documents of every type for branch `code` over `products`, days from
/// 2025-11-20 to 2026-02-08.
pub(crate) fn random_documents(
    rng: &mut Rng,
    code: &str,
    n_docs: usize,
    products: &[String],
) -> Vec<Document> {
    let start = parse_date("2025-11-20").unwrap();
    let mut documents: Vec<Document> = Vec::new();
    for doc_idx in 0..n_docs {
        let date = start + chrono::Days::new(rng.below(81));
        let number = format!("{code}-{}", doc_idx + 1);
        // Some red documents reverse an earlier one.
        if !documents.is_empty() && rng.below(6) == 0 {
            let source = &documents[rng.below(documents.len() as u64) as usize];
            if source.red_of.is_none() && !matches!(source.doc_type, DocType::Opening | DocType::StockCount) {
                let red = source.red_copy(&number, date.max(source.date));
                documents.push(red);
                continue;
            }
        }
        let doc_type = [
            DocType::SalesOut,
            DocType::SalesOut,
            DocType::RetailSale,
            DocType::PurchaseIn,
            DocType::Opening,
            DocType::SalesOrder,
            DocType::Transfer,
            DocType::StockCount,
        ][rng.below(8) as usize];
        let partner = match doc_type {
            DocType::Opening | DocType::Transfer | DocType::StockCount => String::new(),
            DocType::PurchaseIn => ["V001", "S-SZ"][rng.below(2) as usize].to_owned(),
            DocType::RetailSale if rng.below(2) == 0 => String::new(),
            _ => CUSTOMERS[rng.below(3) as usize].to_owned(),
        };
        // A trade routed from another branch arrives linked to its source document.
        let link = (doc_type == DocType::PurchaseIn && partner == "S-SZ" && code != "SZ").then(|| DocLink {
            branch: "SZ".to_owned(),
            number: format!("SZ-{}", rng.below(20) + 1),
        });
        let n_lines = 1 + rng.below(3) as usize;
        // A confirmed count's quantities are its differences: gains and losses.
        let sign = |rng: &mut Rng| match doc_type {
            DocType::StockCount if rng.below(2) == 0 => -1,
            _ => 1,
        };
        let lines = (0..n_lines)
            .map(|_| DocLine {
                product: products[rng.below(products.len() as u64) as usize].clone(),
                qty: decimal(1 + rng.below(5000), rng.below(3) as u32) * Decimal::from(sign(rng)),
                price: decimal(1 + rng.below(2_000_000), 2 + rng.below(3) as u32),
                discount: [Decimal::ZERO, decimal(4, 2), decimal(125, 4)][rng.below(3) as usize],
                tax_rate: [Decimal::ZERO, decimal(6, 2), decimal(13, 2)][rng.below(3) as usize],
            })
            .collect();
        let document = Document {
            number,
            doc_type,
            date,
            partner,
            warehouse: format!("{code}-W"),
            to_warehouse: String::new(),
            red_of: None,
            lines,
            link,
        };
        let document = match doc_type {
            // Half of the transfers go out of the second warehouse into the main one.
            DocType::Transfer if rng.below(2) == 0 => Document {
                to_warehouse: document.warehouse,
                warehouse: format!("{code}-W2"),
                ..document
            },
            DocType::Transfer => Document {
                to_warehouse: format!("{code}-W2"),
                ..document
            },
            _ => document,
        };
        document.validate().expect("generated documents are valid");
        documents.push(document);
    }
    documents
}

/// Pushes `bodies` as seq 1.. in random batches, resending some batches.
pub(crate) async fn push_stream(
    hq: &HqHandle,
    branch: &str,
    token: &str,
    bodies: Vec<EntryBody>,
    rng: &mut Rng,
) {
    let mut client = hq.transfer(token).await;
    let entries: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .map(|(idx, body)| wire(idx as u64 + 1, body))
        .collect();
    let mut sent = Vec::new();
    let mut rest = entries.as_slice();
    while !rest.is_empty() {
        let size = (1 + rng.below(8) as usize).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        let ack = push(&mut client, batch(branch, 1, chunk.to_vec()))
            .await
            .expect("push");
        assert_eq!(ack.acked_seq, chunk.last().unwrap().seq);
        sent.push(chunk.to_vec());
        rest = tail;
        if rng.below(3) == 0 {
            let again = sent[rng.below(sent.len() as u64) as usize].clone();
            let n_again = again.len() as u32;
            let ack = push(&mut client, batch(branch, 1, again)).await.expect("resend");
            assert_eq!(
                (ack.applied, ack.duplicates),
                (0, n_again),
                "a resent batch is not re-applied"
            );
        }
    }
}

/// Pushes each branch a random stream (after its own products, in the wide catalog) and
/// answers everything the branches sent, documents only.
pub(crate) async fn push_random_streams(
    hq: &HqHandle,
    tokens: &[String],
    rng: &mut Rng,
    n_docs: usize,
    wide: bool,
) -> Vec<Document> {
    if wide {
        import_wide_products(hq).await;
    }
    let mut sent = Vec::new();
    for ((code, _), token) in BRANCHES.iter().zip(tokens) {
        let documents = random_documents(rng, code, n_docs, &catalog(code, wide));
        let mut bodies = if wide { local_products(code) } else { Vec::new() };
        bodies.extend(documents.iter().cloned().map(EntryBody::Document));
        push_stream(hq, code, token, bodies, rng).await;
        sent.extend(documents);
    }
    sent
}

/// A one-line sale of 3 × 19.99 at SZ.
pub(crate) fn sale(number: &str, day: &str, product: &str) -> Document {
    Document {
        number: number.to_owned(),
        doc_type: DocType::SalesOut,
        date: parse_date(day).unwrap(),
        partner: "C001".to_owned(),
        warehouse: "SZ-W".to_owned(),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: product.to_owned(),
            qty: decimal(3, 0),
            price: decimal(1999, 2),
            discount: Decimal::ZERO,
            tax_rate: decimal(13, 2),
        }],
        link: None,
    }
}
