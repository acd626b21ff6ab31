//! The errors of the database layer, whichever driver answered.

/// A failed database call.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A stored value of the wrong type or out of the range the reader expects.
    #[error("column {column} holds {found}, not {expected}")]
    BadValue {
        column: String,
        expected: &'static str,
        found: String,
    },
    #[error("{value} does not fit a BIGINT column")]
    TooLarge { value: u64 },
    #[error("a value of another kind than column {table}.{column}")]
    WrongKind {
        table: &'static str,
        column: &'static str,
    },
    #[error("the statement answered no row")]
    NoRow,
    #[error("no database connection became free within {seconds} s")]
    PoolTimedOut { seconds: u64 },
    #[error("the store is closed")]
    PoolClosed,
    /// A write on a read snapshot, or a second reader while one holds its connection.
    #[error("the report's read snapshot is in use or read-only")]
    SnapshotBusy,
    #[error("the task opening a transaction failed")]
    TaskFailed,
    #[error("parameter {name} of {sql:?} is not numbered ($N)")]
    UnnumberedParameter { name: String, sql: String },
    #[error("parameter {position} of {sql:?} is not bound")]
    UnboundParameter { position: usize, sql: String },
    #[error("product {product:?} got no roll-up id")]
    NoRollupId { product: String },
    #[error("a roll-up block read answered for table {index}, which it did not ask about")]
    UnaskedBlockTable { index: i64 },
}
