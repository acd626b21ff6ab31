//! A report's grouped sums, kept compact (a million groups well under a second): grouping texts
//! interned once, branch ids mapped to their ledger once, sums kept as decimals; rows of one or
//! more statements are folded in (`read`), then handed back sorted in `GroupKey` order.

use super::error::ReadError;
use super::query::{GroupBy, GroupKey};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// FxHash (`rustc-hash`): the keys are short texts and small integers from our own database.
type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Grouping slots in `GroupKey` field order: ledger (org, branch), product, customer,
/// warehouse, day, month. 0 = not grouped; otherwise a ledger rank or a text id + 1.
pub(super) type Key = [u32; 6];

pub(super) fn slot(grouping: GroupBy) -> usize {
    match grouping {
        GroupBy::Org => 0,
        GroupBy::Product => 1,
        GroupBy::Customer => 2,
        GroupBy::Warehouse => 3,
        GroupBy::Day => 4,
        GroupBy::Month => 5,
    }
}

/// The grouped sums of one report, from one or more statements over the same groupings.
#[derive(Default)]
pub(super) struct Groups {
    /// Grouping columns, as selected first in every statement.
    by: Vec<GroupBy>,
    /// Scale of each sum column (SQLite scaled integers), selected after the groupings.
    scales: Vec<u32>,
    /// The asked organization: the `org` of rows not grouped by org.
    org: Arc<str>,
    /// Branch store id → 1-based rank in (org, code) order.
    ledger_rank: FxMap<i64, u32>,
    /// (org, code) by rank - 1.
    ledgers: Vec<(Arc<str>, Arc<str>)>,
    text_ids: FxMap<Box<str>, u32>,
    texts: Vec<Arc<str>>,
    /// The text interned last (`intern`'s guess of the next one).
    last_text: u32,
    keys: Vec<Key>,
    /// `scales.len()` sums per key.
    sums: Vec<Decimal>,
    /// Key → group, built when a second statement must merge into the first.
    index: Option<FxMap<Key, u32>>,
    statements: usize,
}

impl Groups {
    /// Groups by `by` (every column selected in that order), for the ledgers `branches`
    /// (store id → (org, code)), with sums of the given scales.
    pub(super) fn new(
        org: &str,
        by: &[GroupBy],
        branches: &HashMap<i64, (String, String)>,
        scales: &[u32],
    ) -> Groups {
        let mut ledgers: Vec<(i64, &(String, String))> =
            branches.iter().map(|(id, names)| (*id, names)).collect();
        ledgers.sort_by(|a, b| a.1.cmp(b.1));
        Groups {
            by: by.to_vec(),
            scales: scales.to_vec(),
            org: Arc::from(org),
            ledger_rank: ledgers
                .iter()
                .enumerate()
                .map(|(rank, (id, _))| (*id, rank as u32 + 1))
                .collect(),
            ledgers: ledgers
                .iter()
                .map(|(_, (org, code))| (Arc::from(org.as_str()), Arc::from(code.as_str())))
                .collect(),
            ..Groups::default()
        }
    }

    pub(super) fn intern(&mut self, text: &str) -> u32 {
        // Each ledger's rows repeat the texts of the ledger before in the same order, so the
        // text after the last one found is usually the one asked for.
        let next = self.last_text as usize + 1;
        if self.texts.get(next).is_some_and(|known| &**known == text) {
            self.last_text = next as u32;
            return next as u32;
        }
        if let Some(id) = self.text_ids.get(text) {
            self.last_text = *id;
            return *id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(Arc::from(text));
        self.text_ids.insert(Box::from(text), id);
        self.last_text = id;
        id
    }

    /// Empty groups of the same shape, to be read separately and appended.
    pub(super) fn empty_like(&self) -> Groups {
        Groups {
            by: self.by.clone(),
            scales: self.scales.clone(),
            org: self.org.clone(),
            ledger_rank: self.ledger_rank.clone(),
            ledgers: self.ledgers.clone(),
            statements: self.statements,
            ..Groups::default()
        }
    }

    /// Whether a statement may be read in parts split by branch and the parts appended: the
    /// keys start with the ledger, so parts over other branches never share a group.
    pub(super) fn splits_by_branch(&self) -> bool {
        self.keys.is_empty() && self.by.contains(&GroupBy::Org)
    }

    /// Appends groups read over other branches (`splits_by_branch`). When an earlier statement
    /// came back empty the merge index already exists, and the appended keys join it so that
    /// later statements merge into them.
    pub(super) fn append_disjoint(&mut self, other: Groups) {
        let ids: Vec<u32> = other.texts.iter().map(|text| self.intern(text)).collect();
        for mut key in other.keys {
            for value in key[1..].iter_mut().filter(|value| **value != 0) {
                *value = ids[*value as usize - 1] + 1;
            }
            if let Some(index) = &mut self.index {
                index.insert(key, self.keys.len() as u32);
            }
            self.keys.push(key);
        }
        self.sums.extend(other.sums);
    }

    /// Like `append_disjoint`; when nothing is held yet, the part itself becomes the groups (a
    /// part of a million-group report is tens of megabytes, not worth copying).
    pub(super) fn append_part(&mut self, part: Groups) {
        if self.keys.is_empty() && self.texts.is_empty() && self.index.is_none() {
            *self = part;
        } else {
            self.append_disjoint(part);
        }
    }

    /// Adds groups read over other branches that may share keys with these (the keys do not
    /// start with the ledger): a shared group's sums are added.
    pub(super) fn merge_part(&mut self, part: Groups) {
        if self.keys.is_empty() && self.texts.is_empty() && self.index.is_none() {
            *self = part;
            return;
        }
        if self.index.is_none() {
            self.index = Some(
                self.keys
                    .iter()
                    .enumerate()
                    .map(|(group, key)| (*key, group as u32))
                    .collect(),
            );
        }
        let ids: Vec<u32> = part.texts.iter().map(|text| self.intern(text)).collect();
        let width = part.scales.len();
        for (group, mut key) in part.keys.into_iter().enumerate() {
            for value in key[1..].iter_mut().filter(|value| **value != 0) {
                *value = ids[*value as usize - 1] + 1;
            }
            self.add_group(key, &part.sums[group * width..(group + 1) * width]);
        }
    }

    /// Starts reading the rows of another statement; a statement's rows are unique (it groups
    /// by every column), so only the second and later ones merge into what is there.
    pub(super) fn begin_statement(&mut self) {
        self.statements += 1;
        if self.statements == 2 {
            self.index = Some(
                self.keys
                    .iter()
                    .enumerate()
                    .map(|(group, key)| (*key, group as u32))
                    .collect(),
            );
        }
    }

    /// Makes room for `more` groups.
    pub(super) fn reserve(&mut self, more: usize) {
        self.keys.reserve(more);
        self.sums.reserve(more * self.scales.len());
    }

    /// The grouping columns, in the order of the keys.
    pub(super) fn by(&self) -> &[GroupBy] {
        &self.by
    }

    /// The key slot value of a branch's ledger (0 for a branch outside the report).
    pub(super) fn ledger_of(&self, branch: i64) -> u32 {
        self.ledger_rank.get(&branch).copied().unwrap_or(0)
    }

    /// Adds one group of the current statement (whose groups are unique) with its sums, one
    /// per scale; merged into an earlier statement's group with the same key.
    pub(super) fn add_group(&mut self, key: Key, sums: &[Decimal]) {
        debug_assert_eq!(sums.len(), self.scales.len());
        let width = self.scales.len();
        if let Some(index) = &mut self.index {
            if let Some(group) = index.get(&key) {
                let group = *group as usize;
                for (stored, sum) in self.sums[group * width..(group + 1) * width].iter_mut().zip(sums) {
                    *stored += *sum;
                }
                return;
            }
            index.insert(key, self.keys.len() as u32);
        }
        self.keys.push(key);
        self.sums.extend_from_slice(sums);
    }

    pub(super) fn add_row(&mut self, row: &impl Cells) -> Result<(), ReadError> {
        let mut key = Key::default();
        for column in 0..self.by.len() {
            let grouping = self.by[column];
            key[slot(grouping)] = match grouping {
                GroupBy::Org => self.ledger_rank.get(&row.int(column)?).copied().unwrap_or(0),
                _ => self.intern(row.text(column)?) + 1,
            };
        }
        let first_sum = self.by.len();
        let width = self.scales.len();
        let group = match &mut self.index {
            Some(index) => match index.get(&key) {
                Some(group) => Some(*group as usize),
                None => {
                    index.insert(key, self.keys.len() as u32);
                    None
                }
            },
            None => None,
        };
        match group {
            Some(group) => {
                for (offset, scale) in self.scales.iter().enumerate() {
                    self.sums[group * width + offset] += row.decimal(first_sum + offset, *scale)?;
                }
            }
            None => {
                self.keys.push(key);
                for (offset, scale) in self.scales.iter().enumerate() {
                    self.sums.push(row.decimal(first_sum + offset, *scale)?);
                }
            }
        }
        Ok(())
    }

    /// Every group's key with its texts replaced by their `rank` (so keys compare as the texts
    /// do) and its group number, sorted: placed by ledger in one pass, then each ledger's keys
    /// sorted, which the statements usually deliver in order already.
    fn ranked_in_order(&self, rank: &[u32]) -> Vec<(Key, u32)> {
        let mut starts = vec![0usize; self.ledgers.len() + 2];
        for key in &self.keys {
            starts[key[0] as usize + 1] += 1;
        }
        for ledger in 1..starts.len() {
            starts[ledger] += starts[ledger - 1];
        }
        let mut ranked = vec![([0; 6], 0); self.keys.len()];
        let mut next = starts.clone();
        for (group, key) in self.keys.iter().enumerate() {
            let mut ranked_key = *key;
            for value in ranked_key[1..].iter_mut().filter(|value| **value != 0) {
                *value = rank[*value as usize - 1];
            }
            let at = &mut next[key[0] as usize];
            ranked[*at] = (ranked_key, group as u32);
            *at += 1;
        }
        for ledger in starts.windows(2) {
            let part = &mut ranked[ledger[0]..ledger[1]];
            if !part.is_sorted() {
                part.sort_unstable();
            }
        }
        ranked
    }

    /// The groups in `GroupKey` order, each made into a row from its key and sums (one per
    /// scale). Large reports build their rows on `BUILDERS` threads, each filling its own part
    /// of the result: a million rows are a few hundred megabytes of fresh memory.
    pub(super) fn into_sorted<R: Send>(
        self,
        make_row: impl Fn(GroupKey, &[Decimal]) -> R + Sync + Send,
    ) -> Vec<R> {
        let mut order: Vec<u32> = (0..self.texts.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.texts[*a as usize].cmp(&self.texts[*b as usize]));
        // rank[id] = 1-based position of text `id` in text order
        let mut rank = vec![0u32; self.texts.len()];
        for (position, id) in order.iter().enumerate() {
            rank[*id as usize] = position as u32 + 1;
        }
        let ranked = self.ranked_in_order(&rank);
        let width = self.scales.len();
        // Each builder clones texts of its own (`Shared`): clones of one `Arc` from two threads
        // fight over its counter's cache line, and every ledger repeats the same products.
        let row = |shared: &Shared, (key, group): &(Key, u32)| {
            let text = |value: u32| (value != 0).then(|| shared.texts[value as usize - 1].clone());
            let (org, branch) = match key[0] {
                0 => (shared.org.clone(), shared.empty.clone()),
                ledger => shared.ledgers[ledger as usize - 1].clone(),
            };
            let group = *group as usize;
            let key = GroupKey {
                org,
                branch,
                product: text(key[1]),
                customer: text(key[2]),
                warehouse: text(key[3]),
                day: text(key[4]),
                month: text(key[5]),
            };
            make_row(key, &self.sums[group * width..(group + 1) * width])
        };
        let shared = |deep: bool| {
            let copy = |text: &Arc<str>| if deep { Arc::from(&**text) } else { text.clone() };
            Shared {
                texts: order.iter().map(|id| copy(&self.texts[*id as usize])).collect(),
                ledgers: self
                    .ledgers
                    .iter()
                    .map(|(org, branch)| (copy(org), copy(branch)))
                    .collect(),
                org: copy(&self.org),
                empty: Arc::from(""),
            }
        };
        if ranked.len() < PARALLEL_ROWS {
            let shared = shared(false);
            return ranked.iter().map(|group| row(&shared, group)).collect();
        }
        // Each builder fills its own part of the result in place (rayon's indexed collect); at
        // least `part` groups per builder keep the deep copies of the texts to `BUILDERS`.
        let part = ranked.len().div_ceil(BUILDERS);
        let mut rows: Vec<R> = Vec::new();
        ranked
            .par_iter()
            .with_min_len(part)
            .map_init(|| shared(true), |shared, group| row(shared, group))
            .collect_into_vec(&mut rows);
        rows
    }
}

/// The texts a row builder clones into its rows: in text order, and the ledgers' names.
struct Shared {
    texts: Vec<Arc<str>>,
    ledgers: Vec<(Arc<str>, Arc<str>)>,
    org: Arc<str>,
    empty: Arc<str>,
}

/// Threads that build the rows of a large report, and the row count from which they do.
const BUILDERS: usize = 2;
const PARALLEL_ROWS: usize = 50_000;

/// The cells of one result row.
pub(super) trait Cells {
    fn int(&self, index: usize) -> Result<i64, ReadError>;
    fn text(&self, index: usize) -> Result<&str, ReadError>;
    /// A sum selected with `Dialect::decimal_column`; NULL reads as zero.
    fn decimal(&self, index: usize, scale: u32) -> Result<Decimal, ReadError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Groups over three ledgers whose keys come in no particular order, more than
    /// `PARALLEL_ROWS` of them, so the rows are sorted by ledger and built on several threads.
    #[test]
    fn large_reports_come_back_in_key_order() {
        let branches: HashMap<i64, (String, String)> = [(7, "001.003"), (8, "001.001"), (9, "001.002")]
            .into_iter()
            .map(|(id, org)| (id, (org.to_owned(), format!("B{id}"))))
            .collect();
        let mut groups = Groups::new("001", &[GroupBy::Org, GroupBy::Product], &branches, &[2]);
        let n = PARALLEL_ROWS + 1_001;
        for index in 0..n {
            // A permutation of 0..n that is not sorted within a ledger.
            let scrambled = (index * 7_919) % n;
            let product = groups.intern(&format!("P{:06}", scrambled / 3)) + 1;
            let ledger = *groups
                .ledger_rank
                .get(&(7 + (scrambled % 3) as i64))
                .expect("known");
            groups.keys.push([ledger, product, 0, 0, 0, 0]);
            groups.sums.push(Decimal::from(scrambled));
        }
        let rows = groups.into_sorted(|key, sums| (key, sums[0]));
        assert_eq!(rows.len(), n);
        assert!(
            rows.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "rows out of key order"
        );
        for (key, sum) in &rows {
            let product: usize = key.product.as_deref().expect("grouped by product")[1..]
                .parse()
                .unwrap();
            let ledger = usize::try_from(key.branch[1..].parse::<i64>().unwrap() - 7).unwrap();
            assert_eq!(*sum, Decimal::from(product * 3 + ledger), "sum of {key:?}");
        }
        assert_eq!(&*rows[0].0.org, "001.001");
    }
}
