//! Subtotal and total rows (`ReportQuery::subtotals`, docs/formats.md): after the rows of every
//! organization below the asked one that holds rows in its subtree, a subtotal row summing that
//! subtree; last, a total row summing the whole report. Sums are exact (`Decimal`), of the rows
//! as they stand, so a subtotal always equals the sum of the rows above it that it covers.
//!
//! The rows come sorted with `org` first, and a subtree's codes are contiguous in that order (a
//! code's children follow it: `.` sorts before every digit), so one pass over the rows with a
//! stack of the open organizations places every subtotal right after its subtree's rows.

use super::query::{GroupKey, Growth, RowLevel, SalesRow, StockRow};
use crate::store::rollup::delta::SalesSums;
use branchline_shared::org_in_subtree;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A report row that subtotals know how to sum and to make.
pub(super) trait Summable: Sized {
    type Sums: Copy + Default;
    fn org(&self) -> &str;
    fn sums(&self) -> Self::Sums;
    fn add(into: &mut Self::Sums, sums: Self::Sums);
    /// A subtotal or total row of `org` with `sums`, every other column empty.
    fn summed(level: RowLevel, org: Arc<str>, sums: Self::Sums) -> Self;
}

impl Summable for SalesRow {
    type Sums = SalesSums;
    fn org(&self) -> &str {
        &self.key.org
    }
    fn sums(&self) -> SalesSums {
        self.sums
    }
    fn add(into: &mut SalesSums, sums: SalesSums) {
        into.add(sums);
    }
    fn summed(level: RowLevel, org: Arc<str>, sums: SalesSums) -> SalesRow {
        SalesRow {
            key: summed_key(org),
            level,
            sums,
            target: None,
            completion: None,
            growth: Growth::default(),
            rank: 0,
        }
    }
}

impl Summable for StockRow {
    type Sums = Decimal;
    fn org(&self) -> &str {
        &self.key.org
    }
    fn sums(&self) -> Decimal {
        self.on_hand
    }
    fn add(into: &mut Decimal, sums: Decimal) {
        *into += sums;
    }
    fn summed(level: RowLevel, org: Arc<str>, on_hand: Decimal) -> StockRow {
        StockRow {
            key: summed_key(org),
            level,
            on_hand,
        }
    }
}

pub(super) fn summed_key(org: Arc<str>) -> GroupKey {
    GroupKey {
        org,
        branch: Arc::from(""),
        ..GroupKey::default()
    }
}

/// `rows` (of the subtree of `asked`, sorted with `org` first) with a subtotal after each
/// organization's subtree and the total last.
pub(super) fn with_subtotals<R: Summable>(asked: &str, rows: Vec<R>) -> Vec<R> {
    let mut placed = Vec::with_capacity(rows.len() + rows.len().min(1024) + 1);
    // The open organizations below `asked`, each the parent of the next, with their sums.
    let mut open: Vec<(Arc<str>, R::Sums)> = Vec::new();
    let mut total = R::Sums::default();
    for row in rows {
        let org = row.org();
        debug_assert!(org_in_subtree(org, asked), "row of {org} outside {asked}");
        while open.last().is_some_and(|(top, _)| !org_in_subtree(org, top)) {
            close(&mut open, &mut total, &mut placed);
        }
        let deepest = open.last().map_or(asked.len(), |(top, _)| top.len());
        if org.len() > deepest {
            // Open every level from below the deepest open one down to the row's own.
            let mut end = deepest + 1;
            loop {
                let next = org[end..].find('.').map_or(org.len(), |dot| end + dot);
                open.push((Arc::from(&org[..next]), R::Sums::default()));
                if next == org.len() {
                    break;
                }
                end = next + 1;
            }
        }
        let sums = row.sums();
        match open.last_mut() {
            Some((_, open_sums)) => R::add(open_sums, sums),
            None => R::add(&mut total, sums),
        }
        placed.push(row);
    }
    while !open.is_empty() {
        close(&mut open, &mut total, &mut placed);
    }
    placed.push(R::summed(RowLevel::Total, Arc::from(asked), total));
    placed
}

/// Places the deepest open organization's subtotal and adds its sums to its parent's.
fn close<R: Summable>(open: &mut Vec<(Arc<str>, R::Sums)>, total: &mut R::Sums, placed: &mut Vec<R>) {
    let Some((org, sums)) = open.pop() else {
        return;
    };
    match open.last_mut() {
        Some((_, parent)) => R::add(parent, sums),
        None => R::add(total, sums),
    }
    placed.push(R::summed(RowLevel::Subtotal, org, sums));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stock(org: &str, branch: &str, product: &str, on_hand: i64) -> StockRow {
        StockRow {
            key: GroupKey {
                org: Arc::from(org),
                branch: Arc::from(branch),
                product: Some(Arc::from(product)),
                ..GroupKey::default()
            },
            level: RowLevel::Group,
            on_hand: Decimal::new(on_hand, 2),
        }
    }

    fn shape(rows: &[StockRow]) -> Vec<(RowLevel, String, String)> {
        rows.iter()
            .map(|row| (row.level, row.key.org.to_string(), row.on_hand.to_string()))
            .collect()
    }

    #[test]
    fn subtotals_follow_their_subtrees_and_the_total_comes_last() {
        let rows = vec![
            stock("001.002", "SZ", "P1", 100),
            stock("001.002", "SZ", "P2", 250),
            stock("001.002.001", "ML", "P1", 5),
            stock("001.005.001", "X1", "P1", 1),
            stock("001.005.002", "X2", "P1", 2),
            stock("001.10", "TEN", "P1", 7),
        ];
        let placed = with_subtotals("001", rows);
        let group = |org: &str, on_hand: &str| (RowLevel::Group, org.to_owned(), on_hand.to_owned());
        let subtotal = |org: &str, on_hand: &str| (RowLevel::Subtotal, org.to_owned(), on_hand.to_owned());
        assert_eq!(
            shape(&placed),
            vec![
                group("001.002", "1.00"),
                group("001.002", "2.50"),
                group("001.002.001", "0.05"),
                subtotal("001.002.001", "0.05"),
                subtotal("001.002", "3.55"),
                group("001.005.001", "0.01"),
                subtotal("001.005.001", "0.01"),
                group("001.005.002", "0.02"),
                subtotal("001.005.002", "0.02"),
                // 001.005 holds no ledger of its own: a region, subtotalled all the same.
                subtotal("001.005", "0.03"),
                group("001.10", "0.07"),
                subtotal("001.10", "0.07"),
                (RowLevel::Total, "001".to_owned(), "3.65".to_owned()),
            ]
        );
        let subtotal_row = &placed[4];
        assert_eq!(&*subtotal_row.key.branch, "");
        assert_eq!(subtotal_row.key.product, None);
    }

    #[test]
    fn the_asked_organizations_own_rows_and_ungrouped_rows_go_to_the_total_only() {
        let placed = with_subtotals(
            "001.002",
            vec![
                stock("001.002", "SZ", "P1", 1),
                stock("001.002.001", "ML", "P1", 2),
            ],
        );
        assert_eq!(
            shape(&placed),
            vec![
                (RowLevel::Group, "001.002".to_owned(), "0.01".to_owned()),
                (RowLevel::Group, "001.002.001".to_owned(), "0.02".to_owned()),
                (RowLevel::Subtotal, "001.002.001".to_owned(), "0.02".to_owned()),
                (RowLevel::Total, "001.002".to_owned(), "0.03".to_owned()),
            ]
        );
        let empty: Vec<StockRow> = with_subtotals("001", Vec::new());
        assert_eq!(
            shape(&empty),
            vec![(RowLevel::Total, "001".to_owned(), "0".to_owned())]
        );
    }

    /// Organization codes under `001`, up to three levels below, sorted as report rows are.
    fn orgs_and_amounts() -> impl Strategy<Value = Vec<(String, i64)>> {
        let segment = prop_oneof![Just("1"), Just("2"), Just("10"), Just("002")];
        let org = proptest::collection::vec(segment, 0..=3).prop_map(|segments| {
            std::iter::once("001")
                .chain(segments)
                .collect::<Vec<_>>()
                .join(".")
        });
        proptest::collection::vec((org, -1_000_000i64..1_000_000), 0..40).prop_map(|mut rows| {
            rows.sort();
            rows
        })
    }

    proptest! {
        /// Every subtotal equals the sum of the rows of its subtree, comes after all of them and
        /// before any later row outside it; every organization holding rows below the asked one
        /// has exactly one; the total is last and sums every row.
        #[test]
        fn subtotals_equal_the_sums_of_their_rows(rows in orgs_and_amounts()) {
            let rows: Vec<StockRow> = rows
                .iter()
                .enumerate()
                .map(|(index, (org, cents))| stock(org, "B", &format!("P{index:03}"), *cents))
                .collect();
            let groups = rows.clone();
            let placed = with_subtotals("001", rows);
            let (last, before) = placed.split_last().unwrap();
            prop_assert_eq!(last.level, RowLevel::Total);
            prop_assert_eq!(last.on_hand, groups.iter().map(|row| row.on_hand).sum::<Decimal>());
            let placed_groups: Vec<&StockRow> = before.iter().filter(|row| row.level == RowLevel::Group).collect();
            prop_assert_eq!(placed_groups, groups.iter().collect::<Vec<_>>());
            let mut subtotalled: Vec<&str> = Vec::new();
            for (index, row) in before.iter().enumerate() {
                if row.level != RowLevel::Subtotal {
                    continue;
                }
                prop_assert_eq!(row.level, RowLevel::Subtotal);
                let org = &*row.key.org;
                let inside = |candidate: &StockRow| {
                    candidate.level == RowLevel::Group && org_in_subtree(&candidate.key.org, org)
                };
                let sum: Decimal = groups.iter().filter(|row| inside(row)).map(|row| row.on_hand).sum();
                prop_assert_eq!(row.on_hand, sum, "subtotal of {}", org);
                prop_assert!(before[index + 1..].iter().all(|later| !inside(later)), "rows of {} after its subtotal", org);
                let first = before.iter().position(inside).expect("a subtotal has rows");
                prop_assert!(
                    before[first..index].iter().all(|between| org_in_subtree(&between.key.org, org)),
                    "a row outside {} inside its subtree's run", org
                );
                subtotalled.push(org);
            }
            let mut expected: Vec<String> = groups
                .iter()
                .flat_map(|row| {
                    let mut chain = Vec::new();
                    let mut org: &str = &row.key.org;
                    while org != "001" {
                        chain.push(org.to_owned());
                        org = branchline_shared::org_parent(org).unwrap();
                    }
                    chain
                })
                .collect();
            expected.sort();
            expected.dedup();
            subtotalled.sort();
            prop_assert_eq!(subtotalled, expected);
        }
    }
}
