//! The `lines` column of a `document` row: all lines of a document in one JSON array,
//! `[["P0001",qty,price,discount,tax_rate],..]`, each decimal a scaled integer (schema.rs).
//!
//! One column instead of one `doc_line` row per line makes writing a document one row insert;
//! the `doc_line` view unpacks the array with `json_each` for SQL readers.

use crate::error::LedgerError;
use crate::schema::{MONEY_SCALE, PRICE_SCALE, QTY_SCALE, RATE_SCALE};
use branchline_shared::{from_scaled, to_scaled, DocLine};

/// A line's decimals as the stored scaled integers, with its amount and tax (scale 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScaledLine {
    /// qty, price, discount, tax_rate.
    pub(crate) stored: [i64; 4],
    pub(crate) amount: i64,
    pub(crate) tax: i64,
}

/// The largest mantissa magnitude `rust_decimal` holds (2^96 - 1): below it a product is exact.
const EXACT_MAX: i128 = (1 << 96) - 1;

impl ScaledLine {
    /// The stored integers of `line`, and its amount and tax exactly as `DocLine::values`
    /// computes them: in integers when no intermediate value could have been rounded by
    /// `rust_decimal`, through `DocLine::values` otherwise.
    pub(crate) fn new(line: &DocLine) -> ScaledLine {
        let stored = [
            to_scaled(line.qty, QTY_SCALE),
            to_scaled(line.price, PRICE_SCALE),
            to_scaled(line.discount, RATE_SCALE),
            to_scaled(line.tax_rate, RATE_SCALE),
        ];
        let fits_stored = line.qty.scale() <= QTY_SCALE
            && line.price.scale() <= PRICE_SCALE
            && line.discount.scale() <= RATE_SCALE
            && line.tax_rate.scale() <= RATE_SCALE;
        let money = if fits_stored {
            integer_amount_and_tax(stored)
        } else {
            None
        };
        let (amount, tax) = money.unwrap_or_else(|| {
            let values = line.values();
            (
                to_scaled(values.amount, MONEY_SCALE),
                to_scaled(values.tax, MONEY_SCALE),
            )
        });
        ScaledLine { stored, amount, tax }
    }
}

/// `amount = round2(qty × price × (1 − discount))`, `tax = round2(amount × tax_rate)` (docs/documents.md)
/// on the stored integers; `None` when `rust_decimal` could have rounded a product (its mantissa
/// would pass 96 bits) or the amount is out of range, so the caller computes it the decimal way.
fn integer_amount_and_tax([qty, price, discount, tax_rate]: [i64; 4]) -> Option<(i64, i64)> {
    const ONE_RATE: i128 = 10_i128.pow(RATE_SCALE);
    let gross = i128::from(qty) * i128::from(price);
    let net = gross.checked_mul(ONE_RATE - i128::from(discount))?;
    if gross.abs() > EXACT_MAX || net.abs() > EXACT_MAX {
        return None;
    }
    let amount = round_half_away(net, QTY_SCALE + PRICE_SCALE + RATE_SCALE - MONEY_SCALE);
    if amount.abs() >= 10_i128.pow(12 + MONEY_SCALE) {
        return None;
    }
    let tax = round_half_away(amount * i128::from(tax_rate), RATE_SCALE);
    Some((i64::try_from(amount).ok()?, i64::try_from(tax).ok()?))
}

/// `value / 10^places`, rounded half away from zero.
fn round_half_away(value: i128, places: u32) -> i128 {
    let unit = 10_i128.pow(places);
    let rounded = (value.abs() + unit / 2) / unit;
    if value < 0 {
        -rounded
    } else {
        rounded
    }
}

/// The `lines` column of `lines`, whose stored integers are `scaled` (same order).
pub(crate) fn encode_lines(lines: &[DocLine], scaled: &[ScaledLine]) -> String {
    debug_assert_eq!(lines.len(), scaled.len());
    let mut out = String::with_capacity(48 * lines.len() + 2);
    out.push('[');
    for (line_idx, (line, scaled)) in lines.iter().zip(scaled).enumerate() {
        if line_idx > 0 {
            out.push(',');
        }
        out.push('[');
        push_json_str(&mut out, &line.product);
        for value in scaled.stored {
            out.push(',');
            push_i64(&mut out, value);
        }
        out.push(']');
    }
    out.push(']');
    out
}

/// Reads the `lines` column of document `number`; decimals come back normalized.
pub(crate) fn decode_lines(number: &str, text: &str) -> Result<Vec<DocLine>, LedgerError> {
    let stored: Vec<(String, i64, i64, i64, i64)> =
        serde_json::from_str(text).map_err(|error| LedgerError::StoredData {
            what: format!("lines of document {number}"),
            reason: error.to_string(),
        })?;
    Ok(stored
        .into_iter()
        .map(|(product, qty, price, discount, tax_rate)| DocLine {
            product,
            qty: from_scaled(qty, QTY_SCALE).normalize(),
            price: from_scaled(price, PRICE_SCALE).normalize(),
            discount: from_scaled(discount, RATE_SCALE).normalize(),
            tax_rate: from_scaled(tax_rate, RATE_SCALE).normalize(),
        })
        .collect())
}

/// Appends `text` as a JSON string.
fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(u32::from(c) >> 4) as usize]));
                out.push(char::from(HEX[(u32::from(c) & 0xf) as usize]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `value` in decimal (without `core::fmt`, which costs more than the digits).
fn push_i64(out: &mut String, value: i64) {
    let mut digits = [0u8; 20];
    let mut magnitude = value.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn line(product: &str, qty: Decimal, price: Decimal) -> DocLine {
        DocLine {
            product: product.to_owned(),
            qty,
            price,
            discount: Decimal::new(4, 2),
            tax_rate: Decimal::new(13, 2),
        }
    }

    #[test]
    fn integers_are_written_as_core_fmt_writes_them() {
        for value in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            123_456_789,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = String::new();
            push_i64(&mut out, value);
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn strings_are_valid_json_that_reads_back_the_same() {
        for text in ["P0001", "a\"b", "back\\slash", "tab\there", "\u{1}\u{1f}", "漢字"] {
            let mut out = String::new();
            push_json_str(&mut out, text);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn lines_round_trip_normalized() {
        let lines = vec![
            line("P0001", Decimal::new(1500, 2), Decimal::new(2150, 2)),
            line("P\"2", Decimal::new(-3, 0), Decimal::new(123_456_789, 6)),
        ];
        let scaled: Vec<ScaledLine> = lines.iter().map(ScaledLine::new).collect();
        let text = encode_lines(&lines, &scaled);
        assert_eq!(
            text,
            r#"[["P0001",150000,21500000,400,1300],["P\"2",-30000,123456789,400,1300]]"#
        );
        let back = decode_lines("SZ-1", &text).unwrap();
        let expected: Vec<DocLine> = lines
            .iter()
            .map(|l| DocLine {
                product: l.product.clone(),
                qty: l.qty.normalize(),
                price: l.price.normalize(),
                discount: l.discount.normalize(),
                tax_rate: l.tax_rate.normalize(),
            })
            .collect();
        assert_eq!(back, expected);
    }

    fn decimal(mantissa: i64, scale: u32) -> Decimal {
        Decimal::new(mantissa, scale)
    }

    /// A decimal of at most `max_int_digits` integer digits and `scale` places, from any `raw`.
    fn bounded(raw: i64, scale: u32, max_int_digits: u32) -> Decimal {
        decimal(raw % 10_i64.pow(max_int_digits + scale), scale)
    }

    proptest::proptest! {
        /// The ranges `parse_decimal` accepts: quantity and price 12 integer digits with 4 and
        /// 6 places, rates in [0, 1) with 4 places.
        #[test]
        fn amount_and_tax_match_line_values(
            qty in (proptest::num::i64::ANY, 0u32..=4),
            price in (0i64..i64::MAX, 0u32..=6),
            discount in (0i64..i64::MAX, 0u32..=4),
            tax_rate in (0i64..i64::MAX, 0u32..=4),
        ) {
            let line = DocLine {
                product: "P1".to_owned(),
                qty: bounded(qty.0, qty.1, 12),
                price: bounded(price.0, price.1, 12),
                discount: bounded(discount.0, discount.1, 0),
                tax_rate: bounded(tax_rate.0, tax_rate.1, 0),
            };
            let values = line.values();
            let scaled = ScaledLine::new(&line);
            proptest::prop_assert_eq!(scaled.amount, to_scaled(values.amount, MONEY_SCALE));
            proptest::prop_assert_eq!(scaled.tax, to_scaled(values.tax, MONEY_SCALE));
        }
    }

    #[test]
    fn amounts_at_the_edges_match_line_values() {
        for (qty, price, discount, tax_rate) in [
            ((17, 0), (2150, 2), (4, 2), (13, 2)),
            ((5, 3), (5, 3), (0, 0), (5, 1)),
            ((-5, 3), (5, 3), (0, 0), (5, 1)),
            ((1_000_000_000, 0), (999_999_999_999_999, 6), (0, 0), (13, 2)),
            ((9_999_999_999_999, 4), (999_999_999_999, 6), (1, 4), (9999, 4)),
            ((1, 4), (1, 6), (9999, 4), (9999, 4)),
        ] {
            let line = DocLine {
                product: "P1".to_owned(),
                qty: decimal(qty.0, qty.1),
                price: decimal(price.0, price.1),
                discount: decimal(discount.0, discount.1),
                tax_rate: decimal(tax_rate.0, tax_rate.1),
            };
            let values = line.values();
            let scaled = ScaledLine::new(&line);
            assert_eq!(
                (scaled.amount, scaled.tax),
                (
                    to_scaled(values.amount, MONEY_SCALE),
                    to_scaled(values.tax, MONEY_SCALE)
                ),
                "{line:?}"
            );
        }
    }

    #[test]
    fn a_damaged_column_names_the_document() {
        let error = decode_lines("SZ-9", "[[\"P1\",1]]").unwrap_err();
        assert!(error.to_string().contains("SZ-9"), "{error}");
    }
}
