//! Stored values every part of the store shares: the time as stored and BIGINT counters.

use super::error::DbError;
use super::row::Row;

/// The current time as stored: RFC 3339 UTC to the second.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads a non-negative counter column stored as BIGINT; a negative one is refused.
pub(crate) fn get_u64(row: &Row, index: usize) -> Result<u64, DbError> {
    row.try_get_u64(index)
}

/// A u64 counter as stored (BIGINT); one past `i64::MAX` is refused.
pub(crate) fn to_i64(value: u64) -> Result<i64, DbError> {
    i64::try_from(value).map_err(|_| DbError::TooLarge { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_past_bigint_is_refused_not_clamped() {
        assert_eq!(to_i64(0).unwrap(), 0);
        assert_eq!(to_i64(i64::MAX as u64).unwrap(), i64::MAX);
        assert!(matches!(
            to_i64(i64::MAX as u64 + 1),
            Err(DbError::TooLarge { value }) if value == i64::MAX as u64 + 1
        ));
    }
}
