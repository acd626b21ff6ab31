//! The database under the store. Its driver layer: each backend through its own driver behind
//! one interface — rusqlite on a small pool of its own for SQLite files (`sqlite`), sqlx's
//! `PgPool` for PostgreSQL — as `pool` (`Pool`, `Conn`, `Tx`), `query` and `row`, failing with
//! `error::DbError`; a native path takes the rusqlite connection or the `PgConnection` of a
//! transaction through `Conn::driver`. Beside it: what differs between SQLite and PostgreSQL
//! (`dialect`), the URL and location checks (`url`), opening the store (`open`) and the
//! read-only connections of report readers (`read_only`), a PostgreSQL hot standby opened for
//! reports and its replay lag (`standby`), migrations (`migrate`), background WAL checkpoints
//! (`checkpoint`) and the stored forms of times and counters (`value`).

pub mod checkpoint;
pub mod dialect;
pub mod error;
mod migrate;
mod open;
pub(crate) mod partitions;
pub(crate) mod pool;
pub(crate) mod query;
pub(crate) mod read_only;
pub(crate) mod row;
mod sqlite;
pub mod standby;
pub mod url;
pub(crate) mod value;

#[cfg(test)]
mod tests;
