//! Multi-row writes without per-row round trips: what a write is made of (`rows`), how it is
//! sent (`insert`), and one writer per backend: PostgreSQL column arrays (`pg_arrays`) and
//! SQLite statements through rusqlite on the transaction's own connection (`sqlite_native`).

pub(crate) mod insert;
mod pg_arrays;
pub(crate) mod rows;
pub(crate) mod sqlite_native;
