//! Property tests at ledger level: `--line` parsing, and random sequences of documents of every
//! stock-moving type (transfers between two warehouses and stock counts included) against a model
//! of stock and "what remains to reverse" — the ledger accepts exactly what the model accepts, a
//! refusal changes nothing, and stock always equals the confirmed documents.

use branch_node::cli::parse_line_arg;
use branch_node::{Ledger, LedgerError};
use branchline_shared::{BaseKind, BaseRecord, DocLine, DocType, Document, DocumentError, LineValues};
use branchline_tests::ledger::{
    assert_outbox_gapless, assert_stock_matches_documents, confirmed_totals, product_code, seed_ledger,
};
use branchline_tests::process::TempDir;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn line_args_parse_exactly(
        product_idx in 0usize..50,
        qty in 1i64..1_000_000_000,
        qty_scale in 0u32..=4,
        price in 0i64..1_000_000_000_000,
        price_scale in 0u32..=6,
        discount in 0i64..10_000,
        tax_rate in 0i64..10_000,
    ) {
        let (qty, price) = (Decimal::new(qty, qty_scale), Decimal::new(price, price_scale));
        let (discount, tax_rate) = (Decimal::new(discount, 4), Decimal::new(tax_rate, 4));
        let text = format!("{}:{qty}@{price}:{discount}:{tax_rate}", product_code(product_idx));
        let line = parse_line_arg(&text).unwrap();
        prop_assert_eq!(line, DocLine { product: product_code(product_idx), qty, price, discount, tax_rate });
        // One more decimal place than allowed is refused, never rounded.
        let too_precise = format!("P1:{}@1", Decimal::new(1, 5));
        prop_assert!(parse_line_arg(&too_precise).is_err());
    }
}

/// One operator action in a random session.
#[derive(Debug, Clone)]
enum Action {
    /// (type index, product index, scaled quantity ×10⁴, whether it starts in the second
    /// warehouse)
    Add(usize, usize, i64, bool),
    /// Reverse `qty` of the n-th confirmed document modulo their count.
    Red(usize, i64),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0usize..TYPES.len(), 0usize..3, 1i64..200_000, any::<bool>())
            .prop_map(|(t, p, q, second)| Action::Add(t, p, q, second)),
        1 => (0usize..1000, 1i64..200_000).prop_map(|(n, q)| Action::Red(n, q)),
    ]
}

const TYPES: [(DocType, &str); 6] = [
    (DocType::Opening, ""),
    (DocType::PurchaseIn, "S001"),
    (DocType::SalesOut, "C001"),
    (DocType::RetailSale, ""),
    (DocType::Transfer, ""),
    (DocType::StockCount, ""),
];

/// The seeded warehouse and a second one transfers move stock to and from.
const WAREHOUSES: [&str; 2] = ["SZ-W", "SZ-W2"];

fn document(doc_type: DocType, partner: &str, product_idx: usize, qty: i64, warehouse: usize) -> Document {
    let to_warehouse = match doc_type {
        DocType::Transfer => WAREHOUSES[1 - warehouse].to_owned(),
        _ => String::new(),
    };
    Document {
        number: String::new(),
        doc_type,
        date: branchline_shared::parse_date("2026-03-01").unwrap(),
        partner: partner.to_owned(),
        warehouse: WAREHOUSES[warehouse].to_owned(),
        to_warehouse,
        red_of: None,
        lines: vec![DocLine {
            product: product_code(product_idx),
            qty: Decimal::new(qty, 4),
            price: Decimal::new(1234, 2),
            discount: Decimal::ZERO,
            tax_rate: Decimal::new(13, 2),
        }],
        link: None,
    }
}

/// The model: stock per (warehouse, product); confirmed non-red documents with what remains to
/// reverse.
#[derive(Default)]
struct Model {
    stock: HashMap<(usize, usize), i64>,
    /// number, type index, product, remaining, warehouse
    confirmed: Vec<(String, usize, usize, i64, usize)>,
    amount: Decimal,
}

/// What the model expects of one document: the stock changes it makes, or the refusal.
enum Expect {
    Moves(Vec<((usize, usize), i64)>),
    Exceeds,
    Negative,
    RedCount,
}

impl Model {
    fn on_hand(&self, key: (usize, usize)) -> i64 {
        self.stock.get(&key).copied().unwrap_or(0)
    }

    fn expect(
        &self,
        doc_type: DocType,
        product: usize,
        qty: i64,
        warehouse: usize,
        red_of: Option<usize>,
    ) -> Expect {
        if let Some(source) = red_of {
            if doc_type == DocType::StockCount {
                return Expect::RedCount;
            }
            if -qty > self.confirmed[source].3 {
                return Expect::Exceeds;
            }
        }
        let here = (warehouse, product);
        let moves = match doc_type {
            // A count sets on-hand: its difference from the book.
            DocType::StockCount => vec![(here, qty - self.on_hand(here))],
            DocType::Transfer => vec![(here, -qty), ((1 - warehouse, product), qty)],
            _ => vec![(here, qty * doc_type.stock_sign())],
        };
        let negative = moves
            .iter()
            .any(|(key, delta)| *delta < 0 && self.on_hand(*key) + delta < 0);
        if negative && doc_type != DocType::StockCount {
            return Expect::Negative;
        }
        Expect::Moves(moves)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn the_ledger_accepts_exactly_what_the_model_accepts(actions in prop::collection::vec(action(), 1..40)) {
        let dir = TempDir::new("ledger-props").unwrap();
        let ledger: Ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
        ledger.add_base_record(&BaseRecord::new(BaseKind::Warehouse, WAREHOUSES[1], "second")).unwrap();
        let mut model = Model::default();
        for action in actions {
            let (type_idx, product_idx, qty, warehouse, red_of) = match action {
                Action::Add(type_idx, product_idx, qty, second) => (type_idx, product_idx, qty, usize::from(second), None),
                Action::Red(_, _) if model.confirmed.is_empty() => continue,
                Action::Red(n, qty) => {
                    let source_idx = n % model.confirmed.len();
                    let (_, type_idx, product_idx, _, warehouse) = model.confirmed[source_idx];
                    (type_idx, product_idx, -qty, warehouse, Some(source_idx))
                }
            };
            let (doc_type, partner) = TYPES[type_idx];
            let mut doc = document(doc_type, partner, product_idx, qty, warehouse);
            doc.red_of = red_of.map(|source_idx| model.confirmed[source_idx].0.clone());
            let expected = model.expect(doc_type, product_idx, qty, warehouse, red_of);
            let status_before = ledger.status().unwrap();
            let stock_before = ledger.stock(None, None).unwrap();
            match (ledger.add_document(doc.clone(), false), expected) {
                (Ok(outcome), Expect::Moves(moves)) => {
                    for (key, delta) in &moves {
                        model.stock.insert(*key, model.on_hand(*key) + delta);
                    }
                    match red_of {
                        Some(source_idx) => model.confirmed[source_idx].3 += qty,
                        None => model.confirmed.push((outcome.number().to_owned(), type_idx, product_idx, qty, warehouse)),
                    }
                    // A count's amount is its difference's; every other document's its line's.
                    let posted = if doc_type == DocType::StockCount { moves[0].1 } else { qty };
                    model.amount += LineValues::compute(Decimal::new(posted, 4), doc.lines[0].price, Decimal::ZERO, Decimal::ZERO).unwrap().amount;
                }
                (Ok(_), _) => prop_assert!(false, "accepted {doc:?}"),
                (Err(error), expected) => {
                    let foreseen = matches!(
                        (&error, expected),
                        (LedgerError::RedExceedsSource { .. }, Expect::Exceeds)
                            | (LedgerError::StockWouldGoNegative { .. }, Expect::Negative)
                            | (LedgerError::Document(DocumentError::RedStockCount { .. }), Expect::RedCount)
                    );
                    prop_assert!(foreseen, "unexpected refusal {error} of {doc:?}");
                    prop_assert_eq!(ledger.status().unwrap(), status_before);
                    prop_assert_eq!(ledger.stock(None, None).unwrap(), stock_before);
                }
            }
        }
        for ((warehouse, product_idx), on_hand) in &model.stock {
            prop_assert_eq!(ledger.on_hand(WAREHOUSES[*warehouse], &product_code(*product_idx)).unwrap(), Decimal::new(*on_hand, 4));
            prop_assert!(*on_hand >= 0);
        }
        prop_assert_eq!(confirmed_totals(&ledger).unwrap().amount, model.amount);
        assert_stock_matches_documents(ledger.path()).unwrap();
        assert_outbox_gapless(ledger.path()).unwrap();
    }
}
