//! Read-only access to a SQLite store's file for report readers, beside the pool: which file
//! it is, and a rusqlite connection that opens it read-only.

use super::dialect::Dialect;
use crate::store::Store;
use std::path::{Path, PathBuf};

/// The file of a SQLite store, read natively; `None` for PostgreSQL and in-memory SQLite.
pub(crate) fn sqlite_file(store: &Store) -> Option<PathBuf> {
    if store.dialect() != Dialect::Sqlite {
        return None;
    }
    use sqlx::ConnectOptions;
    let options = store.pool().connect_options();
    let sqlite = sqlx::sqlite::SqliteConnectOptions::from_url(&options.database_url).ok()?;
    // In-memory databases have no file (their name is `:memory:` or a shared-cache URI).
    let path = sqlite.get_filename();
    path.is_file().then(|| path.to_owned())
}

/// A read-only rusqlite connection to the store's file for a report reader thread.
pub(crate) fn open_read_only(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    // Reading through a memory map saves copying every page of a large roll-up.
    connection.pragma_update(None, "mmap_size", 1_i64 << 30)?;
    Ok(connection)
}
