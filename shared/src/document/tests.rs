//! Documents' context-free rules, checksums and red copies.

use super::*;

fn sample() -> Document {
    Document {
        number: "SZ-1".into(),
        doc_type: DocType::SalesOut,
        date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        partner: "C001".into(),
        warehouse: "SZ-W".into(),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: "P001".into(),
            qty: "17".parse().unwrap(),
            price: "21.50".parse().unwrap(),
            discount: "0.04".parse().unwrap(),
            tax_rate: "0.13".parse().unwrap(),
        }],
        link: None,
    }
}

#[test]
fn validates_and_totals() {
    let doc = sample();
    doc.validate().unwrap();
    assert_eq!(doc.totals().total.to_string(), "396.49");
}

#[test]
fn red_copy_is_valid_and_cancels() {
    let doc = sample();
    let red = doc.red_copy("SZ-2", doc.date);
    red.validate().unwrap();
    assert_eq!(red.totals().total, -doc.totals().total);
}

#[test]
fn refusals_name_the_culprit() {
    let mut doc = sample();
    doc.lines[0].qty = Decimal::ZERO;
    assert_eq!(
        doc.validate().unwrap_err().to_string(),
        "document SZ-1 line 1: quantity 0 must be positive"
    );
    let mut doc = sample();
    doc.partner.clear();
    assert!(doc
        .validate()
        .unwrap_err()
        .to_string()
        .contains("needs a partner"));
}

#[test]
fn checksum_ignores_trailing_zeros_only() {
    let doc = sample();
    let mut same = sample();
    same.lines[0].price = "21.5".parse().unwrap();
    assert_eq!(doc.content_checksum(), same.content_checksum());
    let mut other = sample();
    other.lines[0].qty = "18".parse().unwrap();
    assert_ne!(doc.content_checksum(), other.content_checksum());
}

fn transfer() -> Document {
    Document {
        number: "SZ-T1".into(),
        doc_type: DocType::Transfer,
        partner: String::new(),
        to_warehouse: "SZ-W2".into(),
        ..sample()
    }
}

#[test]
fn a_transfer_moves_out_of_its_warehouse_into_another() {
    let doc = transfer();
    doc.validate().unwrap();
    assert_eq!(doc.stock_moves(), vec![("SZ-W", -1), ("SZ-W2", 1)]);
    let red = doc.red_copy("SZ-T2", doc.date);
    red.validate().unwrap();
    assert_eq!(red.to_warehouse, "SZ-W2");
    assert_eq!(sample().stock_moves(), vec![("SZ-W", -1)]);
}

#[test]
fn a_transfer_is_refused_without_another_warehouse_or_with_a_partner() {
    let refusal = |change: &dyn Fn(&mut Document)| {
        let mut doc = transfer();
        change(&mut doc);
        doc.validate().unwrap_err().to_string()
    };
    assert_eq!(
        refusal(&|doc| doc.to_warehouse.clear()),
        "document SZ-T1: a transfer needs to_warehouse, the warehouse the stock goes to"
    );
    assert_eq!(
        refusal(&|doc| doc.to_warehouse = "SZ-W".into()),
        "document SZ-T1: a transfer's to_warehouse is its warehouse SZ-W; name another one"
    );
    assert_eq!(
        refusal(&|doc| doc.partner = "C001".into()),
        "document SZ-T1: transfer documents take no partner"
    );
    assert!(refusal(&|doc| doc.to_warehouse = "W 2".into()).contains("to_warehouse"));
    let mut sale = sample();
    sale.to_warehouse = "SZ-W2".into();
    assert_eq!(
        sale.validate().unwrap_err().to_string(),
        "document SZ-1: only a transfer names to_warehouse, not a sales-out"
    );
}

#[test]
fn a_stock_count_takes_any_quantity_and_no_red() {
    let mut count = Document {
        number: "SZ-C1".into(),
        doc_type: DocType::StockCount,
        partner: String::new(),
        ..sample()
    };
    for qty in ["0", "-3", "12.5"] {
        count.lines[0].qty = qty.parse().unwrap();
        count.validate().unwrap();
    }
    assert_eq!(count.stock_moves(), vec![("SZ-W", 1)]);
    let red = count.red_copy("SZ-C2", count.date);
    assert_eq!(
        red.validate().unwrap_err().to_string(),
        "document SZ-C2: a stock count cannot be red; count again instead"
    );
}

#[test]
fn the_new_fields_leave_earlier_documents_checksums_alone() {
    let doc = sample();
    assert!(!doc.canonical_json().contains("to_warehouse"));
    assert!(transfer()
        .canonical_json()
        .contains(r#""warehouse":"SZ-W","to_warehouse":"SZ-W2","#));
    assert_eq!(
        crate::doc_json_write::document_canonical_json(&transfer()),
        transfer().canonical_json()
    );
}
