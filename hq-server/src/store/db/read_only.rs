//! Read-only access to a SQLite store's file for report readers, beside the pool: a rusqlite
//! connection that opens it read-only.

use std::path::Path;

/// A read-only rusqlite connection to the store's file for a report reader thread.
pub(crate) fn open_read_only(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let connection = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    // Reading through a memory map saves copying every page of a large roll-up. The whole file
    // (SQLite clamps the size to its compiled maximum, 2 GB): the roll-ups a report reads sit
    // anywhere in it.
    connection.pragma_update(None, "mmap_size", 1_i64 << 40)?;
    Ok(connection)
}
