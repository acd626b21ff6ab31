//! The database under the store: what differs between SQLite and PostgreSQL (`dialect`), the
//! URL and location checks (`url`), opening the pool (`open`) and the read-only connections of
//! report readers (`read_only`), migrations (`migrate`), background WAL checkpoints
//! (`checkpoint`) and the stored forms of times and counters (`value`).

pub mod checkpoint;
pub mod dialect;
mod migrate;
mod open;
pub(crate) mod read_only;
pub mod url;
pub(crate) mod value;
