//! What a bulk write is made of: a table's typed columns and conflict clause (`InsertSpec`), the
//! cells of its rows (`Value`), and the helpers that shape stored numbers and IN lists.

use crate::store::db::dialect::Dialect;
use rust_decimal::Decimal;

/// How a column's values travel and are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Int,
    /// Text, possibly NULL.
    Text,
    /// A decimal stored with this many places (scaled integer on SQLite, NUMERIC on PostgreSQL).
    Decimal(u32),
    /// Bytes (BLOB on SQLite, bytea on PostgreSQL).
    Blob,
}

/// One cell of a row to insert; text may be owned or borrowed from what is being stored.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Int(i64),
    Text(String),
    Str(&'a str),
    NullableStr(Option<&'a str>),
    Decimal(Option<Decimal>),
    Blob(Vec<u8>),
}

/// The fixed part of an INSERT: table, typed columns, and what to do on a key conflict.
pub(crate) struct InsertSpec {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [(&'static str, ColumnKind)],
    /// e.g. `ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name`; empty for none.
    pub(crate) on_conflict: &'static str,
}

/// `value × 10^scale` as stored on SQLite; the fast path of `branchline_shared::to_scaled`.
pub(crate) fn scaled(value: Decimal, scale: u32) -> i64 {
    let shift = scale.checked_sub(value.scale());
    let fast = shift.and_then(|shift| {
        let mantissa = i64::try_from(value.mantissa()).ok()?;
        mantissa.checked_mul(10_i64.checked_pow(shift)?)
    });
    fast.unwrap_or_else(|| branchline_shared::to_scaled(value, scale))
}

/// A JSON array of codes, for `Dialect::in_json_list`.
pub(crate) fn json_list(codes: &[&str]) -> String {
    serde_json::Value::from(codes).to_string()
}

/// Placeholders `first..first+count` for an IN list (see `Dialect::placeholder`).
pub(crate) fn placeholders(dialect: Dialect, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| dialect.placeholder(n))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_matches_shared() {
        for (text, scale) in [
            ("21.5", 6),
            ("-3.25", 4),
            ("0", 2),
            ("17", 4),
            ("0.13", 4),
            ("999999999999.9999", 4),
        ] {
            let value: Decimal = text.parse().unwrap();
            assert_eq!(
                scaled(value, scale),
                branchline_shared::to_scaled(value, scale),
                "{text}"
            );
        }
    }
}
