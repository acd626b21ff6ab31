//! Property tests at ledger level: `--line` parsing, and random sequences of documents against
//! a model of stock and "what remains to reverse" — the ledger accepts exactly what the model
//! accepts, a refusal changes nothing, and stock always equals the confirmed documents.

use branch_node::cli::parse_line_arg;
use branch_node::{Ledger, LedgerError};
use branchline_shared::{DocLine, DocType, Document, LineValues};
use branchline_tests::ledger::{
    assert_outbox_gapless, assert_stock_matches_documents, confirmed_totals, product_code, seed_ledger,
    seed_warehouse,
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
    /// (type index, product index, scaled quantity ×10⁴)
    Add(usize, usize, i64),
    /// Reverse `qty` of the n-th confirmed document modulo their count.
    Red(usize, i64),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (0usize..4, 0usize..3, 1i64..200_000).prop_map(|(t, p, q)| Action::Add(t, p, q)),
        1 => (0usize..1000, 1i64..200_000).prop_map(|(n, q)| Action::Red(n, q)),
    ]
}

const TYPES: [(DocType, &str); 4] = [
    (DocType::Opening, ""),
    (DocType::PurchaseIn, "S001"),
    (DocType::SalesOut, "C001"),
    (DocType::RetailSale, ""),
];

fn document(doc_type: DocType, partner: &str, product_idx: usize, qty: i64) -> Document {
    Document {
        number: String::new(),
        doc_type,
        date: branchline_shared::parse_date("2026-03-01").unwrap(),
        partner: partner.to_owned(),
        warehouse: seed_warehouse("SZ"),
        to_warehouse: String::new(),
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn the_ledger_accepts_exactly_what_the_model_accepts(actions in prop::collection::vec(action(), 1..40)) {
        let dir = TempDir::new("ledger-props").unwrap();
        let ledger: Ledger = seed_ledger(&dir.join("sz.db"), "SZ").unwrap();
        // Model: stock per product; confirmed non-red documents with what remains to reverse.
        let mut stock: HashMap<usize, i64> = HashMap::new();
        let mut confirmed: Vec<(String, usize, usize, i64)> = Vec::new(); // number, type idx, product, remaining
        let mut expected_amount = Decimal::ZERO;
        for action in actions {
            let (type_idx, product_idx, qty, red_of) = match action {
                Action::Add(type_idx, product_idx, qty) => (type_idx, product_idx, qty, None),
                Action::Red(_, _) if confirmed.is_empty() => continue,
                Action::Red(n, qty) => {
                    let source_idx = n % confirmed.len();
                    let (_, type_idx, product_idx, _) = confirmed[source_idx];
                    (type_idx, product_idx, -qty, Some(source_idx))
                }
            };
            let (doc_type, partner) = TYPES[type_idx];
            let mut doc = document(doc_type, partner, product_idx, qty);
            doc.red_of = red_of.map(|source_idx| confirmed[source_idx].0.clone());
            let delta = qty * doc_type.stock_sign();
            let on_hand = stock.get(&product_idx).copied().unwrap_or(0);
            let exceeds_source = red_of.is_some_and(|source_idx| -qty > confirmed[source_idx].3);
            let goes_negative = delta < 0 && on_hand + delta < 0;
            let status_before = ledger.status().unwrap();
            let stock_before = ledger.stock(None, None).unwrap();
            match ledger.add_document(doc.clone(), false) {
                Ok(outcome) => {
                    prop_assert!(!exceeds_source && !goes_negative, "accepted {doc:?}");
                    stock.insert(product_idx, on_hand + delta);
                    match red_of {
                        Some(source_idx) => confirmed[source_idx].3 += qty,
                        None => confirmed.push((outcome.number().to_owned(), type_idx, product_idx, qty)),
                    }
                    expected_amount += LineValues::compute(doc.lines[0].qty, doc.lines[0].price, Decimal::ZERO, Decimal::ZERO).unwrap().amount;
                }
                Err(error) => {
                    let expected = match error {
                        LedgerError::RedExceedsSource { .. } => exceeds_source,
                        LedgerError::StockWouldGoNegative { .. } => goes_negative && !exceeds_source,
                        _ => false,
                    };
                    prop_assert!(expected, "unexpected refusal {error} of {doc:?}");
                    prop_assert_eq!(ledger.status().unwrap(), status_before);
                    prop_assert_eq!(ledger.stock(None, None).unwrap(), stock_before);
                }
            }
        }
        for (product_idx, on_hand) in &stock {
            prop_assert_eq!(ledger.on_hand("SZ-W", &product_code(*product_idx)).unwrap(), Decimal::new(*on_hand, 4));
            prop_assert!(*on_hand >= 0);
        }
        prop_assert_eq!(confirmed_totals(&ledger).unwrap().amount, expected_amount);
        assert_stock_matches_documents(ledger.path()).unwrap();
        assert_outbox_gapless(ledger.path()).unwrap();
    }
}
