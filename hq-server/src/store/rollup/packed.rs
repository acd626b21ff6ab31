//! Packed product roll-ups: the sales of up to `BLOCK_SLOTS` products of one branch
//! and one period (a year or a month) in one row, and likewise the on-hand of up to
//! `BLOCK_SLOTS` products of one branch and one warehouse (qty only; `lines` counts the
//! stock-moving lines). Every product and warehouse code gets a dense HQ-wide integer id on
//! first sight (`product_slot`); id / `BLOCK_SLOTS` names the block and id % `BLOCK_SLOTS` the
//! slot inside it.
//!
//! A row's key is one integer (`block_key`: branch id, period, block; `stock_key`: branch id,
//! warehouse id, block), so SQLite keeps it as the rowid and PostgreSQL as a BIGINT primary key.
//! Its sums are one BLOB/bytea:
//!
//! ```text
//! u64 LE  bitmap of the slots present (bit s = slot s)
//! then, for each present slot in ascending order, four i64 LE:
//!         qty (× 10^QTY_SCALE), amount (× 10^AMOUNT_SCALE), tax (× 10^AMOUNT_SCALE), lines
//! ```
//!
//! `lines` counts the stored lines folded into the slot (1 for a group carried over from the
//! schema before version 4, whose rows had no count), so a product whose sums net to zero after
//! a red document is still a group, as the direct aggregation over the lines sees it. A slot is
//! present exactly when `lines` is not zero. `total` is not stored: it is amount + tax (docs/documents.md).
//! Sums never wrap: an addition that would overflow is refused with `PackError::Overflow`.

/// Products per block. Fixed for the life of a store: changing it means repacking every row.
pub(crate) const BLOCK_SLOTS: usize = 64;

/// How a row key splits into branch id, a middle field and block number: the bits given to
/// the middle and to the block; the branch id takes the rest, below the sign bit.
struct KeyLayout {
    middle_bits: u32,
    block_bits: u32,
}

impl KeyLayout {
    fn key(&self, branch: i64, middle: i64, block: i64) -> Result<i64, PackError> {
        let fits = |value: i64, bits: u32| (0..1_i64 << bits).contains(&value);
        let branch_bits = 63 - self.middle_bits - self.block_bits;
        if !(fits(branch, branch_bits) && fits(middle, self.middle_bits) && fits(block, self.block_bits)) {
            return Err(PackError::KeyRange {
                branch,
                period: middle,
                product: block * BLOCK_SLOTS as i64,
            });
        }
        Ok((branch << (self.middle_bits + self.block_bits)) | (middle << self.block_bits) | block)
    }

    fn split(&self, key: i64) -> (i64, i64, i64) {
        let mask = |bits: u32| (1_i64 << bits) - 1;
        (
            key >> (self.middle_bits + self.block_bits),
            (key >> self.block_bits) & mask(self.middle_bits),
            key & mask(self.block_bits),
        )
    }

    /// The inclusive key range of `branch` with middles `low..=high`.
    fn range(&self, branch: i64, low: i64, high: i64) -> Option<(i64, i64)> {
        let (low, high) = (low.max(0), high.min((1 << self.middle_bits) - 1));
        if low > high {
            return None;
        }
        let first = self.key(branch, low, 0).ok()?;
        let last = self.key(branch, high, (1 << self.block_bits) - 1).ok()?;
        Some((first, last))
    }
}

/// Sales levels: the middle is the period; 25 bits of branch id.
const SALES_KEYS: KeyLayout = KeyLayout {
    middle_bits: 17,
    block_bits: 21,
};

/// On-hand (`stock_block`): the middle is the warehouse's id. Warehouse and product ids come
/// from one dictionary (`product_slot`), so both fields hold up to 16.7 million codes alike; 21
/// bits of branch id.
const STOCK_KEYS: KeyLayout = KeyLayout {
    middle_bits: 24,
    block_bits: 18,
};

/// Bytes of one present slot: four i64.
const SLOT_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("sales roll-up {what} of product slot {product} would overflow a 64-bit scaled integer")]
    Overflow { what: &'static str, product: i64 },
    #[error("stored roll-up block {key} is corrupt: {reason}")]
    Corrupt { key: i64, reason: String },
    #[error("stored pending roll-up additions of branch {branch} are corrupt: {reason}")]
    CorruptPending { branch: i64, reason: String },
    #[error("roll-up key out of range: branch {branch}, period {period}, product slot {product}")]
    KeyRange { branch: i64, period: i64, product: i64 },
}

/// The scaled sums of one product in one block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SlotSums {
    pub(crate) qty: i64,
    pub(crate) amount: i64,
    pub(crate) tax: i64,
    pub(crate) lines: i64,
}

impl SlotSums {
    pub(crate) fn is_present(&self) -> bool {
        self.lines != 0
    }

    /// `self + other`, refusing overflow; `product` names the slot in the error.
    pub(crate) fn checked_add(self, other: SlotSums, product: i64) -> Result<SlotSums, PackError> {
        let add = |left: i64, right: i64, what: &'static str| {
            left.checked_add(right)
                .ok_or(PackError::Overflow { what, product })
        };
        Ok(SlotSums {
            qty: add(self.qty, other.qty, "quantity")?,
            amount: add(self.amount, other.amount, "amount")?,
            tax: add(self.tax, other.tax, "tax")?,
            lines: add(self.lines, other.lines, "line count")?,
        })
    }
}

/// One block's slots, decoded (the tests' model of a block).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    pub(crate) slots: [SlotSums; BLOCK_SLOTS],
}

#[cfg(test)]
impl Default for Block {
    fn default() -> Block {
        Block {
            slots: [SlotSums::default(); BLOCK_SLOTS],
        }
    }
}

#[cfg(test)]
impl Block {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let present = self.slots.iter().filter(|sums| sums.is_present()).count();
        let mut bytes = Vec::with_capacity(8 + present * SLOT_BYTES);
        bytes.extend_from_slice(&[0; 8]);
        let mut bitmap = 0;
        for (slot, sums) in self.slots.iter().enumerate() {
            push_slot(&mut bytes, &mut bitmap, slot, *sums);
        }
        bytes[..8].copy_from_slice(&bitmap.to_le_bytes());
        bytes
    }
}

/// One addition to one slot of the block `key`: the id the slot holds (named in an overflow
/// error) and the sums to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SlotAdd {
    pub(crate) key: i64,
    pub(crate) slot: usize,
    pub(crate) product: i64,
    pub(crate) sums: SlotSums,
}

/// A stored block (`None`: no row yet) with `adds` (its slots ascending, each once) added,
/// encoded; merged slot by slot without building the whole block.
pub(crate) fn merged(stored: Option<&[u8]>, key: i64, adds: &[SlotAdd]) -> Result<Vec<u8>, PackError> {
    debug_assert!(adds.windows(2).all(|pair| pair[0].slot < pair[1].slot));
    let mut bytes = Vec::with_capacity(stored.map_or(8, <[u8]>::len) + adds.len() * SLOT_BYTES);
    bytes.extend_from_slice(&[0; 8]);
    let mut bitmap = 0;
    let mut adds = adds.iter().peekable();
    let mut overflow = None;
    if let Some(stored) = stored {
        for_each_slot(stored, key, |slot, sums| {
            while let Some(add) = adds.next_if(|add| add.slot < slot) {
                push_slot(&mut bytes, &mut bitmap, add.slot, add.sums);
            }
            let sums = match adds.next_if(|add| add.slot == slot) {
                Some(add) => sums.checked_add(add.sums, add.product).unwrap_or_else(|error| {
                    overflow.get_or_insert(error);
                    sums
                }),
                None => sums,
            };
            push_slot(&mut bytes, &mut bitmap, slot, sums);
        })?;
    }
    if let Some(error) = overflow {
        return Err(error);
    }
    for add in adds {
        push_slot(&mut bytes, &mut bitmap, add.slot, add.sums);
    }
    bytes[..8].copy_from_slice(&bitmap.to_le_bytes());
    Ok(bytes)
}

/// Appends a slot's sums to an encoding under way, if the slot is present.
fn push_slot(bytes: &mut Vec<u8>, bitmap: &mut u64, slot: usize, sums: SlotSums) {
    if sums.is_present() {
        *bitmap |= 1 << slot;
        for value in [sums.qty, sums.amount, sums.tax, sums.lines] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// Calls `visit(slot, sums)` for every present slot of a stored block, in slot order, without
/// building the block (the report path).
pub(crate) fn for_each_slot(
    bytes: &[u8],
    key: i64,
    mut visit: impl FnMut(usize, SlotSums),
) -> Result<(), PackError> {
    let corrupt = |reason: String| PackError::Corrupt { key, reason };
    let (head, body) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| corrupt(format!("{} bytes, shorter than its bitmap", bytes.len())))?;
    let bitmap = u64::from_le_bytes(*head);
    let present = bitmap.count_ones() as usize;
    if bitmap.checked_shr(BLOCK_SLOTS as u32).unwrap_or(0) != 0 {
        return Err(corrupt(format!(
            "bitmap {bitmap:#x} names slots past {BLOCK_SLOTS}"
        )));
    }
    if body.len() != present * SLOT_BYTES {
        return Err(corrupt(format!(
            "{} bytes of sums for {present} slots",
            body.len()
        )));
    }
    let mut rest = bitmap;
    for chunk in body.chunks_exact(SLOT_BYTES) {
        let slot = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        let field =
            |index: usize| i64::from_le_bytes(chunk[index * 8..index * 8 + 8].try_into().expect("8 bytes"));
        let sums = SlotSums {
            qty: field(0),
            amount: field(1),
            tax: field(2),
            lines: field(3),
        };
        if !sums.is_present() {
            return Err(corrupt(format!("slot {slot} is listed with no lines")));
        }
        visit(slot, sums);
    }
    Ok(())
}

/// The block holding product `id`, and its slot there.
pub(crate) fn block_of(id: i64) -> (i64, usize) {
    (id / BLOCK_SLOTS as i64, (id % BLOCK_SLOTS as i64) as usize)
}

/// The period of a year-level row.
pub(crate) fn year_period(year: i32) -> i64 {
    i64::from(year)
}

/// The year-level period a month-level period falls in.
pub(crate) fn year_of_month(month_period: i64) -> i64 {
    month_period.div_euclid(12)
}

/// The period of a month-level row: months counted from year 0.
pub(crate) fn month_period(year: i32, month: u32) -> i64 {
    i64::from(year) * 12 + i64::from(month) - 1
}

/// `YYYY-MM` of a month period.
pub(crate) fn month_text(period: i64) -> String {
    format!("{:04}-{:02}", period.div_euclid(12), period.rem_euclid(12) + 1)
}

/// The row key of (branch, period, block) of a sales level.
pub(crate) fn block_key(branch: i64, period: i64, block: i64) -> Result<i64, PackError> {
    SALES_KEYS.key(branch, period, block)
}

/// (branch, period, block) of a sales level's row key.
pub(crate) fn split_key(key: i64) -> (i64, i64, i64) {
    SALES_KEYS.split(key)
}

/// The inclusive key range of every block of `branch` in periods `low..=high`, clamped to the
/// periods a key can hold; `None` when nothing can match.
pub(crate) fn key_range(branch: i64, low: i64, high: i64) -> Option<(i64, i64)> {
    SALES_KEYS.range(branch, low, high)
}

/// The on-hand row key of (branch, warehouse id, block).
pub(crate) fn stock_key(branch: i64, warehouse: i64, block: i64) -> Result<i64, PackError> {
    STOCK_KEYS.key(branch, warehouse, block)
}

/// (branch, warehouse id, block) of an on-hand row key.
pub(crate) fn split_stock_key(key: i64) -> (i64, i64, i64) {
    STOCK_KEYS.split(key)
}

/// The inclusive key range of every on-hand block of `branch`, or of its one `warehouse`.
pub(crate) fn stock_key_range(branch: i64, warehouse: Option<i64>) -> Option<(i64, i64)> {
    match warehouse {
        Some(warehouse) => STOCK_KEYS.range(branch, warehouse, warehouse),
        None => STOCK_KEYS.range(branch, 0, i64::MAX),
    }
}

/// The bits of an on-hand row key that hold its block: `key & mask` is the block.
pub(crate) fn stock_key_block_mask() -> i64 {
    (1 << STOCK_KEYS.block_bits) - 1
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sums(qty: i64, amount: i64, tax: i64, lines: i64) -> SlotSums {
        SlotSums {
            qty,
            amount,
            tax,
            lines,
        }
    }

    fn decode(bytes: &[u8], key: i64) -> Result<Block, PackError> {
        let mut block = Block::default();
        for_each_slot(bytes, key, |slot, sums| block.slots[slot] = sums)?;
        Ok(block)
    }

    fn add(key: i64, slot: usize, sums: SlotSums) -> SlotAdd {
        SlotAdd {
            key,
            slot,
            product: 64 + slot as i64,
            sums,
        }
    }

    #[test]
    fn blocks_round_trip() {
        let mut block = Block::default();
        block.slots[0] = sums(1, 2, 3, 1);
        block.slots[5] = sums(-40_000, -123_456, -7, 2);
        // A group whose sums net to zero is still present.
        block.slots[BLOCK_SLOTS - 1] = sums(0, 0, 0, 3);
        block.slots[9] = sums(i64::MAX, i64::MIN, 0, i64::MAX);
        let bytes = block.encode();
        assert_eq!(bytes.len(), 8 + 4 * SLOT_BYTES);
        assert_eq!(decode(&bytes, 1).unwrap(), block);
        let mut seen = Vec::new();
        for_each_slot(&bytes, 1, |slot, sums| seen.push((slot, sums))).unwrap();
        let slots: Vec<usize> = seen.iter().map(|(slot, _)| *slot).collect();
        assert_eq!(slots, [0, 5, 9, BLOCK_SLOTS - 1]);
        assert_eq!(decode(&Block::default().encode(), 1).unwrap(), Block::default());
    }

    #[test]
    fn merging_sums_slots_and_refuses_overflow() {
        let mut stored = Block::default();
        stored.slots[3] = sums(10, 20, 30, 1);
        stored.slots[9] = sums(5, 5, 5, 2);
        let stored = stored.encode();
        let adds = [
            add(1, 0, sums(7, 7, 7, 1)),
            add(1, 3, sums(-10, -20, -30, 1)),
            add(1, 4, sums(1, 1, 1, 1)),
            add(1, 63, sums(2, 2, 2, 1)),
        ];
        let merged_block = decode(&merged(Some(&stored), 1, &adds).unwrap(), 1).unwrap();
        let mut expected = Block::default();
        expected.slots[0] = sums(7, 7, 7, 1);
        expected.slots[3] = sums(0, 0, 0, 2);
        expected.slots[4] = sums(1, 1, 1, 1);
        expected.slots[9] = sums(5, 5, 5, 2);
        expected.slots[63] = sums(2, 2, 2, 1);
        assert_eq!(merged_block, expected);
        // No stored row yet: the additions alone.
        assert_eq!(merged(None, 1, &adds[2..3]).unwrap(), {
            let mut only = Block::default();
            only.slots[4] = sums(1, 1, 1, 1);
            only.encode()
        });

        let error = merged(Some(&stored), 1, &[add(1, 9, sums(0, i64::MAX, 0, 1))]).unwrap_err();
        assert!(
            matches!(
                error,
                PackError::Overflow {
                    what: "amount",
                    product: 73
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "sales roll-up amount of product slot 73 would overflow a 64-bit scaled integer"
        );
        let low = sums(i64::MIN, 0, 0, 1);
        assert!(low.checked_add(sums(-1, 0, 0, 1), 7).is_err());
    }

    #[test]
    fn corrupt_blocks_are_refused() {
        let mut block = Block::default();
        block.slots[1] = sums(1, 1, 1, 1);
        let bytes = block.encode();
        for bad in [
            &bytes[..4],
            &bytes[..bytes.len() - 1],
            &[bytes.as_slice(), &[0; 32]].concat(),
        ] {
            assert!(matches!(decode(bad, 9), Err(PackError::Corrupt { key: 9, .. })));
            assert!(matches!(
                merged(Some(bad), 9, &[]),
                Err(PackError::Corrupt { key: 9, .. })
            ));
        }
        let mut no_lines = bytes.clone();
        no_lines[8 + 24..].fill(0);
        assert!(decode(&no_lines, 9).is_err());
    }

    #[test]
    fn keys_order_by_branch_period_block() {
        let key = block_key(50, month_period(2025, 12), 312).unwrap();
        assert_eq!(split_key(key), (50, 2025 * 12 + 11, 312));
        assert!(block_key(50, 2025, 1).unwrap() < block_key(50, 2026, 0).unwrap());
        assert!(block_key(50, 9999, 0).unwrap() < block_key(51, 0, 0).unwrap());
        let (first, last) = key_range(7, 2025, 2025).unwrap();
        assert!(first <= block_key(7, 2025, 0).unwrap() && block_key(7, 2025, 999).unwrap() <= last);
        assert!(last < block_key(7, 2026, 0).unwrap());
        assert!(matches!(
            block_key(1 << 25, 0, 0),
            Err(PackError::KeyRange { .. })
        ));
        assert!(block_key(-1, 0, 0).is_err());
        let key = stock_key(50, 70_000, 20_000).unwrap();
        assert_eq!(split_stock_key(key), (50, 70_000, 20_000));
        let (first, last) = stock_key_range(50, None).unwrap();
        assert!(first <= key && key <= last && last < stock_key(51, 0, 0).unwrap());
        assert!(stock_key(1 << 21, 0, 0).is_err());
        assert_eq!(block_of(130), (2, 2));
        assert_eq!(month_text(month_period(2026, 1)), "2026-01");
    }
}
