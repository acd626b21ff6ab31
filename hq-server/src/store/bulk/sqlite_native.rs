//! Bulk writes on SQLite through rusqlite, on the very connection (and so inside the very
//! transaction) that sqlx holds: prepared single-row statements bound straight from the rows,
//! without sqlx's `Any` argument conversion, its worker-thread round trips or multi-row VALUES.
//!
//! sqlx's `Any` connection does not expose its `sqlite3` handle, so every SQLite connection the
//! process opens gets the SQL function `branchline_db_handle()` (registered once through
//! `sqlite3_auto_extension`), which answers the handle of the connection that runs it. Selecting
//! it on a connection sqlx holds for us gives that connection's handle; rusqlite then borrows it
//! (`Connection::from_handle`, which never closes it) for one synchronous call.
//!
//! Why this is sound: sqlx opens SQLite connections in multi-thread mode (`SQLITE_OPEN_NOMUTEX`),
//! where a connection may move between threads as long as two threads never use it at once.
//! The caller holds the sqlx connection mutably, sqlx's worker for it is idle between commands,
//! and the rusqlite work runs to completion without an `.await`, so nothing else can touch the
//! connection meanwhile (not even a cancelled future's rollback). Every statement rusqlite
//! prepares is finalized before the borrowed handle is given back.

use super::rows::{scaled, ColumnKind, InsertSpec, Value};
use rusqlite::ffi;
use sqlx::AnyConnection;
use std::os::raw::{c_char, c_int};
use std::sync::Once;

#[derive(Debug, thiserror::Error)]
pub(crate) enum NativeError {
    #[error("sqlite function branchline_db_handle could not be registered (code {code})")]
    Register { code: c_int },
    #[error("sqlite returned no connection handle")]
    NoHandle,
    #[error("sqlite insert into {table} failed: {source}")]
    Insert {
        table: &'static str,
        source: rusqlite::Error,
    },
    #[error("sqlite {what} failed: {source}")]
    Query {
        what: &'static str,
        source: rusqlite::Error,
    },
}

impl From<NativeError> for sqlx::Error {
    fn from(error: NativeError) -> sqlx::Error {
        sqlx::Error::Protocol(error.to_string())
    }
}

const HANDLE_FUNCTION: &std::ffi::CStr = c"branchline_db_handle";

/// Registers `branchline_db_handle()` for every SQLite connection opened from now on.
/// Call before the first connection is opened; later calls do nothing.
pub(crate) fn register_handle_function() -> Result<(), NativeError> {
    static REGISTER: Once = Once::new();
    let mut code = ffi::SQLITE_OK;
    REGISTER.call_once(|| {
        // SAFETY: `register_on_connection` has the signature SQLite expects of an extension's
        // entry point and only registers a function on the connection it is given.
        code = unsafe { ffi::sqlite3_auto_extension(Some(register_on_connection)) };
    });
    if code == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(NativeError::Register { code })
    }
}

unsafe extern "C" fn register_on_connection(
    db: *mut ffi::sqlite3,
    _error_message: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening; the name is a NUL-terminated constant.
    // DIRECTONLY keeps the function out of triggers and views.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            HANDLE_FUNCTION.as_ptr(),
            0,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DIRECTONLY,
            std::ptr::null_mut(),
            Some(answer_handle),
            None,
            None,
            None,
        )
    }
}

unsafe extern "C" fn answer_handle(
    context: *mut ffi::sqlite3_context,
    _n_args: c_int,
    _args: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with a valid context of the connection running the function.
    unsafe {
        let db = ffi::sqlite3_context_db_handle(context);
        ffi::sqlite3_result_int64(context, db as usize as i64);
    }
}

/// The sqlite3 handle of the connection one transaction holds, once it has been looked up, so
/// that the transaction's later native calls need no round trip to sqlx's worker to find it.
/// Use one `NativeHandle` with one connection only; create it where that connection is.
#[derive(Debug, Default)]
pub(crate) struct NativeHandle(Option<usize>);

impl NativeHandle {
    /// Takes the answer of `branchline_db_handle()` selected on the connection this handle
    /// goes with (e.g. alongside another column of a statement the transaction runs anyway).
    pub(crate) fn remember(&mut self, selected: i64) {
        self.0 = usize::try_from(selected).ok().filter(|handle| *handle != 0);
    }
}

/// Runs `work` on the sqlite3 handle of `connection` (an SQLite connection sqlx holds, usually
/// inside a transaction), looking the handle up only if `handle` does not hold it yet; `handle`
/// must belong to `connection` (see `NativeHandle`). `work` must not keep anything it prepares
/// past its return.
pub(crate) async fn with_native_handle<T>(
    connection: &mut AnyConnection,
    handle: &mut NativeHandle,
    work: impl FnOnce(&rusqlite::Connection) -> Result<T, NativeError>,
) -> Result<T, sqlx::Error> {
    if handle.0.is_none() {
        let selected: i64 = sqlx::query_scalar("SELECT branchline_db_handle()")
            .fetch_one(&mut *connection)
            .await?;
        handle.remember(selected);
    }
    let db = handle.0.ok_or(NativeError::NoHandle)? as *mut ffi::sqlite3;
    // SAFETY: `db` is the live handle of `connection`, which we borrow mutably until we return,
    // and sqlx does not use it until then (see the module comment). `from_handle` does not take
    // ownership: dropping the wrapper finalizes its statements and leaves the handle open.
    let native = unsafe { rusqlite::Connection::from_handle(db) }.map_err(|_| NativeError::NoHandle)?;
    let result = work(&native);
    drop(native);
    Ok(result?)
}

/// The single-row INSERT of `spec`, with numbered parameters `?1..?n`.
fn insert_sql(spec: &InsertSpec) -> String {
    let names: Vec<&str> = spec.columns.iter().map(|(name, _)| *name).collect();
    let params: Vec<String> = (1..=spec.columns.len()).map(|n| format!("?{n}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) {}",
        spec.table,
        names.join(", "),
        params.join(", "),
        spec.on_conflict
    )
}

/// Inserts `cells` (row after row, one value per column of `spec`) with one prepared statement.
pub(crate) fn insert_cells(
    native: &rusqlite::Connection,
    spec: &InsertSpec,
    cells: &[Value<'_>],
) -> Result<(), NativeError> {
    let failed = |source| NativeError::Insert {
        table: spec.table,
        source,
    };
    let n_columns = spec.columns.len();
    debug_assert_eq!(cells.len() % n_columns, 0);
    if cells.is_empty() {
        return Ok(());
    }
    let mut statement = native.prepare(&insert_sql(spec)).map_err(failed)?;
    for row in cells.chunks_exact(n_columns) {
        for (index, (value, (_, kind))) in row.iter().zip(spec.columns).enumerate() {
            let index = index + 1;
            match (value, kind) {
                (Value::Int(value), _) => statement.raw_bind_parameter(index, value),
                (Value::Text(value), _) => statement.raw_bind_parameter(index, value.as_str()),
                (Value::Str(value), _) => statement.raw_bind_parameter(index, *value),
                (Value::NullableStr(value), _) => statement.raw_bind_parameter(index, *value),
                (Value::Decimal(value), ColumnKind::Decimal(scale)) => {
                    statement.raw_bind_parameter(index, value.map(|value| scaled(value, *scale)))
                }
                (Value::Decimal(_), _) => unreachable!("decimal value in a non-decimal column"),
                (Value::Blob(bytes), _) => statement.raw_bind_parameter(index, bytes.as_slice()),
            }
            .map_err(failed)?;
        }
        statement.raw_execute().map_err(failed)?;
    }
    Ok(())
}
