//! The store's database URL: `sqlite://PATH` (a file on disk) or `postgres://...`, checked
//! before anything is opened (the URL's shape, then the file and its directory, or one
//! connection attempt to PostgreSQL), and shown in messages with any password masked. A store
//! that cannot be used is refused at once, naming the path or URL and the cause, with nothing
//! created or changed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DbUrlError {
    #[error(
        "database URL {url:?} names no file: expected sqlite://PATH, e.g. sqlite:///var/lib/branchline/hq.db"
    )]
    EmptySqlitePath { url: String },
    #[error(
        "database URL {url:?} is an in-memory database, which is never written to disk: expected sqlite://PATH"
    )]
    InMemory { url: String },
    #[error("unsupported database URL {url:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedScheme { url: String },
    #[error("store {path}: directory {dir} does not exist")]
    MissingDirectory { path: PathBuf, dir: PathBuf },
    #[error("store {path}: {dir} is not a directory")]
    NotADirectory { path: PathBuf, dir: PathBuf },
    #[error("store {path}: directory {dir} is not writable")]
    ReadOnlyDirectory { path: PathBuf, dir: PathBuf },
    #[error("store {path} is read-only")]
    ReadOnlyFile { path: PathBuf },
    #[error("store {path} is not an SQLite database")]
    NotADatabase { path: PathBuf },
    #[error("store {path}: cannot read it: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("cannot connect to {url}: {reason}")]
    Unreachable { url: String, reason: String },
}

/// How long the first connection to PostgreSQL may take before start-up gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks `url` (`parse_db_url`) and what it points at, creating nothing: an SQLite file's
/// directory must exist and be writable, and an existing file must be a writable SQLite
/// database; PostgreSQL must accept one connection within [`CONNECT_TIMEOUT`].
pub async fn check_store_location(url: &str) -> Result<(), DbUrlError> {
    match parse_db_url(url)? {
        DbLocation::SqliteFile(path) => check_sqlite_file(&path),
        DbLocation::Postgres => check_postgres(url).await,
    }
}

fn check_sqlite_file(path: &Path) -> Result<(), DbUrlError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let at = || path.to_owned();
    match std::fs::metadata(&dir) {
        Err(_) => return Err(DbUrlError::MissingDirectory { path: at(), dir }),
        Ok(metadata) if !metadata.is_dir() => return Err(DbUrlError::NotADirectory { path: at(), dir }),
        Ok(_) => {}
    }
    let writable = |target: &Path| rustix::fs::access(target, rustix::fs::Access::WRITE_OK).is_ok();
    if !path.exists() {
        return if writable(&dir) {
            Ok(())
        } else {
            Err(DbUrlError::ReadOnlyDirectory { path: at(), dir })
        };
    }
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|file| file.take(16).read_to_end(&mut head))
        .map_err(|error| DbUrlError::Unreadable {
            path: at(),
            reason: error.to_string(),
        })?;
    if !head.is_empty() && head.as_slice() != b"SQLite format 3\0" {
        return Err(DbUrlError::NotADatabase { path: at() });
    }
    if !writable(path) {
        return Err(DbUrlError::ReadOnlyFile { path: at() });
    }
    // The write-ahead log and its index are created beside the file.
    if !writable(&dir) {
        return Err(DbUrlError::ReadOnlyDirectory { path: at(), dir });
    }
    Ok(())
}

async fn check_postgres(url: &str) -> Result<(), DbUrlError> {
    use sqlx::Connection;
    let unreachable = |reason: String| DbUrlError::Unreachable {
        url: redacted(url),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, sqlx::PgConnection::connect(url)).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(error)) => Err(unreachable(connect_reason(&error))),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
    }
}

/// The cause of a failed connection in one line, without the URL (which may hold a password).
fn connect_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(database) => database.message().to_owned(),
        other => other.to_string(),
    }
    .replace('\n', " ")
}

/// Where a valid database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbLocation {
    /// A file, relative to the working directory unless absolute.
    SqliteFile(PathBuf),
    Postgres,
}

/// Checks `url`: `sqlite://PATH` with a non-empty PATH that is not `:memory:` and no
/// `mode=memory`, or `postgres://...` / `postgresql://...`. Nothing else is accepted, so a
/// store is never silently kept in memory and lost at exit.
pub fn parse_db_url(url: &str) -> Result<DbLocation, DbUrlError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DbLocation::Postgres);
    }
    let shown = redacted(url);
    let Some(rest) = url.strip_prefix("sqlite://") else {
        if url.starts_with("sqlite:") && url.contains(":memory:") {
            return Err(DbUrlError::InMemory { url: shown });
        }
        return Err(DbUrlError::UnsupportedScheme { url: shown });
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory_mode = query.split('&').any(|pair| pair == "mode=memory");
    if path.contains(":memory:") || in_memory_mode {
        return Err(DbUrlError::InMemory { url: shown });
    }
    if path.is_empty() {
        return Err(DbUrlError::EmptySqlitePath { url: shown });
    }
    Ok(DbLocation::SqliteFile(PathBuf::from(path)))
}

/// `url` with the password of its user part replaced by `***`, for messages and logs.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_on_disk_and_postgres_are_accepted() {
        assert_eq!(
            parse_db_url("sqlite:///var/lib/hq.db?mode=rwc").unwrap(),
            DbLocation::SqliteFile("/var/lib/hq.db".into())
        );
        assert_eq!(
            parse_db_url("sqlite://hq.db").unwrap(),
            DbLocation::SqliteFile("hq.db".into())
        );
        assert_eq!(parse_db_url("postgresql://h/db").unwrap(), DbLocation::Postgres);
        for url in ["sqlite://", "sqlite://?mode=rwc"] {
            assert!(
                matches!(parse_db_url(url), Err(DbUrlError::EmptySqlitePath { .. })),
                "{url}"
            );
        }
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://x.db?cache=shared&mode=memory",
        ] {
            assert!(
                matches!(parse_db_url(url), Err(DbUrlError::InMemory { .. })),
                "{url}"
            );
        }
        for url in ["sqlite:hq.db", "hq.db", "mysql://h/db", ""] {
            assert!(
                matches!(parse_db_url(url), Err(DbUrlError::UnsupportedScheme { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redacted("postgres://u:pw@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redacted("postgres://u:p@w@h/db"), "postgres://u:***@h/db");
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redacted("mysql://u:pw@h/db"), "mysql://u:***@h/db");
        assert_eq!(redacted("sqlite:///tmp/hq.db"), "sqlite:///tmp/hq.db");
    }
}
