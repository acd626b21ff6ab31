//! Multi-row writes without per-row round trips: what a write is made of (`rows`), how it is
//! sent (`insert`), and one writer per backend: PostgreSQL typed column arrays (`postgres`)
//! and SQLite prepared statements on the transaction's rusqlite connection (`sqlite`).

pub(crate) mod insert;
mod postgres;
pub(crate) mod rows;
mod sqlite;
