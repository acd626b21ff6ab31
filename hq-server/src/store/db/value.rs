//! Stored values every part of the store shares: the time as stored and BIGINT counters.

use sqlx::any::AnyRow;
use sqlx::Row;

/// The current time as stored: RFC 3339 UTC to the second.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads a non-negative counter column stored as BIGINT.
pub(crate) fn get_u64(row: &AnyRow, index: usize) -> Result<u64, sqlx::Error> {
    let value: i64 = row.try_get(index)?;
    Ok(u64::try_from(value).unwrap_or(0))
}

/// A u64 counter as stored (BIGINT).
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
