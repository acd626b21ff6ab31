//! The pending tier of the packed roll-ups: what a batch adds to its branch's product sales and
//! on-hand, kept as one `rollup_pending` row written in the batch's own transaction, until the
//! branch has `Store::rollup_fold_batches` of them and they are folded into the blocks
//! (`fold.rs`). Reports read a branch's blocks and its pending rows in one snapshot and add both
//! (`report::packed_read`, `report::stock_read`).
//!
//! Why: uniform products make every batch touch nearly every block of its branch, so adding each
//! batch to the blocks rewrites about the whole roll-up; folding K batches at once rewrites it
//! once for all K. A row holds product and warehouse ids (`product_slot`) and scaled sums in two
//! BLOB/bytea columns, `sales` and `stock`, so that a report reads only the one it needs. Each
//! is LEB128 varints (signed values zigzag-encoded):
//!
//! ```text
//! u8      format (1)
//! varint  number of additions
//! sales:  month period, product id Δ, qty, amount, tax, lines    (per addition)
//! stock:  warehouse id, product id Δ, qty, lines
//! ```
//!
//! Product ids are written as the difference from the previous addition's; additions are
//! sorted by product (`sort_by_product`), so that takes a byte or two and a report adding a row
//! to its per-product sums walks them in order.

use super::packed::{PackError, SlotSums};
use prost::encoding::{decode_varint, encode_varint};

const FORMAT: u8 = 1;

/// One addition: (month period or warehouse id, product id, sums).
pub(crate) type PendingAdd = (i64, i64, SlotSums);

/// What one or more batches add to a branch's product sales by month and to its on-hand.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct PendingAdds {
    /// (month period, product id, sums); the year level is folded from these.
    pub(crate) sales: Vec<PendingAdd>,
    /// (warehouse id, product id, sums: quantity and stock-moving lines only).
    pub(crate) stock: Vec<PendingAdd>,
}

/// The two columns of a stored row.
#[derive(Debug, Clone)]
pub(crate) struct EncodedRow {
    pub(crate) sales: Vec<u8>,
    pub(crate) stock: Vec<u8>,
}

/// Which column: the sales carry four signed fields, the stock two (qty, lines).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part {
    Sales,
    Stock,
}

impl Part {
    fn fields(self, sums: &SlotSums) -> [i64; 4] {
        match self {
            Part::Sales => [sums.qty, sums.amount, sums.tax, sums.lines],
            Part::Stock => [sums.qty, sums.lines, 0, 0],
        }
    }

    fn width(self) -> usize {
        match self {
            Part::Sales => 4,
            Part::Stock => 2,
        }
    }

    fn sums(self, fields: [i64; 4]) -> SlotSums {
        match self {
            Part::Sales => SlotSums {
                qty: fields[0],
                amount: fields[1],
                tax: fields[2],
                lines: fields[3],
            },
            Part::Stock => SlotSums {
                qty: fields[0],
                lines: fields[1],
                ..SlotSums::default()
            },
        }
    }
}

impl PendingAdds {
    pub(crate) fn is_empty(&self) -> bool {
        self.sales.is_empty() && self.stock.is_empty()
    }

    pub(crate) fn part_mut(&mut self, part: Part) -> &mut Vec<PendingAdd> {
        match part {
            Part::Sales => &mut self.sales,
            Part::Stock => &mut self.stock,
        }
    }

    /// Sorts each part by product id, then month period or warehouse id.
    pub(crate) fn sort_by_product(&mut self) {
        for adds in [&mut self.sales, &mut self.stock] {
            adds.sort_unstable_by_key(|(middle, product, _)| (*product, *middle));
        }
    }

    /// The stored row.
    pub(crate) fn encode(&self) -> EncodedRow {
        EncodedRow {
            sales: encode_part(Part::Sales, &self.sales),
            stock: encode_part(Part::Stock, &self.stock),
        }
    }

    /// Appends the additions of `part` stored as `bytes` for `branch` (named in an error).
    pub(crate) fn decode_into(&mut self, part: Part, branch: i64, bytes: &[u8]) -> Result<(), PackError> {
        let adds = self.part_mut(part);
        for_each_add(part, branch, bytes, |middle, product, sums| {
            adds.push((middle, product, sums))
        })
    }
}

/// Calls `visit(month period or warehouse id, product id, sums)` for every addition of `part`
/// stored as `bytes` for `branch` (named in an error), without collecting them (the report path).
pub(crate) fn for_each_add(
    part: Part,
    branch: i64,
    bytes: &[u8],
    mut visit: impl FnMut(i64, i64, SlotSums),
) -> Result<(), PackError> {
    let mut reader = Reader { bytes, branch };
    let format = reader.bytes.first().copied();
    if format != Some(FORMAT) {
        return Err(reader.corrupt(format!("format {format:?}, expected {FORMAT}")));
    }
    reader.bytes = &reader.bytes[1..];
    let mut product = 0_i64;
    for _ in 0..reader.count()? {
        let middle = reader.id()?;
        product = product.wrapping_add(reader.signed()?);
        if product < 0 {
            return Err(reader.corrupt(format!("product id {product}")));
        }
        let mut fields = [0; 4];
        for field in &mut fields[..part.width()] {
            *field = reader.signed()?;
        }
        visit(middle, product, part.sums(fields));
    }
    if !reader.bytes.is_empty() {
        return Err(reader.corrupt(format!("{} bytes past the additions", reader.bytes.len())));
    }
    Ok(())
}

fn encode_part(part: Part, adds: &[PendingAdd]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + 10 + adds.len() * (4 + 3 * part.width()));
    bytes.push(FORMAT);
    encode_varint(adds.len() as u64, &mut bytes);
    let mut previous = 0;
    for (middle, product, sums) in adds {
        encode_varint(*middle as u64, &mut bytes);
        encode_varint(zigzag(product.wrapping_sub(previous)), &mut bytes);
        previous = *product;
        for field in &part.fields(sums)[..part.width()] {
            encode_varint(zigzag(*field), &mut bytes);
        }
    }
    bytes
}

/// The unread part of a stored row.
struct Reader<'b> {
    bytes: &'b [u8],
    branch: i64,
}

impl Reader<'_> {
    fn corrupt(&self, reason: String) -> PackError {
        PackError::CorruptPending {
            branch: self.branch,
            reason,
        }
    }

    fn varint(&mut self) -> Result<u64, PackError> {
        decode_varint(&mut self.bytes).map_err(|error| self.corrupt(error.to_string()))
    }

    fn id(&mut self) -> Result<i64, PackError> {
        let value = self.varint()?;
        i64::try_from(value).map_err(|_| self.corrupt(format!("id {value} out of range")))
    }

    /// A count of additions, each at least two bytes.
    fn count(&mut self) -> Result<usize, PackError> {
        let value = self.varint()?;
        usize::try_from(value)
            .ok()
            .filter(|count| *count <= self.bytes.len() / 2 + 1)
            .ok_or_else(|| {
                self.corrupt(format!(
                    "{value} additions in a row of {} more bytes",
                    self.bytes.len()
                ))
            })
    }

    fn signed(&mut self) -> Result<i64, PackError> {
        self.varint().map(unzigzag)
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::super::packed::tests::sums;
    use super::*;

    fn decoded(row: &EncodedRow) -> PendingAdds {
        let mut adds = PendingAdds::default();
        adds.decode_into(Part::Sales, 1, &row.sales).unwrap();
        adds.decode_into(Part::Stock, 1, &row.stock).unwrap();
        adds
    }

    #[test]
    fn rows_decode_to_what_was_encoded() {
        let adds = PendingAdds {
            sales: vec![
                (24_300, 0, sums(1_000, -25_000, 3_250, 1)),
                (0, i64::MAX, sums(i64::MIN, i64::MAX, -1, -2)),
            ],
            stock: vec![(7, 63, sums(-4_000, 0, 0, 3))],
        };
        assert_eq!(decoded(&adds.encode()), adds);
        assert_eq!(decoded(&PendingAdds::default().encode()), PendingAdds::default());
        let mut twice = decoded(&adds.encode());
        twice.decode_into(Part::Sales, 1, &adds.encode().sales).unwrap();
        assert_eq!(twice.sales.len(), 4, "a second row is appended");
    }

    #[test]
    fn corrupt_rows_are_refused_naming_the_branch() {
        let row = PendingAdds {
            sales: vec![(24_300, 5, sums(1, 2, 3, 1))],
            stock: vec![],
        }
        .encode()
        .sales;
        let mut wrong_format = row.clone();
        wrong_format[0] = 9;
        let mut huge_count = vec![FORMAT];
        encode_varint(u64::MAX >> 1, &mut huge_count);
        // One addition whose product id difference, -1, makes it negative.
        let negative_id = [FORMAT, 1, 0, 1, 0, 0, 0, 2];
        let cases: [(&[u8], &str); 6] = [
            (&[], "format None"),
            (&wrong_format, "format Some(9)"),
            (&row[..row.len() - 1], "invalid varint"),
            (&negative_id, "product id -1"),
            (&[row.as_slice(), &[0]].concat(), "1 bytes past"),
            (&huge_count, "additions in a row of 0 more bytes"),
        ];
        for (bytes, expected) in cases {
            let error = PendingAdds::default()
                .decode_into(Part::Sales, 42, bytes)
                .unwrap_err()
                .to_string();
            assert!(error.contains("branch 42") && error.contains(expected), "{error}");
        }
    }
}
