//! Statements with bound parameters, run on either backend: `query(sql).bind(v)...` then
//! `execute`, `fetch_all`, `fetch_one` or `fetch_optional` on a `&Pool` (one statement on a
//! connection of its own) or a `&mut Conn` (e.g. `&mut *tx`). SQL uses `$N` placeholders,
//! which both backends read (on SQLite `$N` binds the N-th value, as on PostgreSQL), or
//! anonymous `?` throughout on SQLite. `execute_script` runs several statements without parameters.

use super::error::DbError;
use super::pool::{Conn, Driver, Pool, Tx};
use super::row::Row;
use std::borrow::Cow;
use std::sync::Arc;

/// One bound value; `None` binds a NULL of the value's type.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'q> {
    Int(Option<i64>),
    Text(Option<Cow<'q, str>>),
    Blob(Option<Cow<'q, [u8]>>),
    Bool(Option<bool>),
}

/// A value that binds as a statement parameter.
pub(crate) trait Bind<'q> {
    fn into_arg(self) -> Arg<'q>;
}

impl<'q> Bind<'q> for i64 {
    fn into_arg(self) -> Arg<'q> {
        Arg::Int(Some(self))
    }
}
impl<'q> Bind<'q> for &i64 {
    fn into_arg(self) -> Arg<'q> {
        Arg::Int(Some(*self))
    }
}
impl<'q> Bind<'q> for Option<i64> {
    fn into_arg(self) -> Arg<'q> {
        Arg::Int(self)
    }
}
impl<'q> Bind<'q> for bool {
    fn into_arg(self) -> Arg<'q> {
        Arg::Bool(Some(self))
    }
}
impl<'q> Bind<'q> for &'q str {
    fn into_arg(self) -> Arg<'q> {
        Arg::Text(Some(Cow::Borrowed(self)))
    }
}
impl<'q> Bind<'q> for &'q String {
    fn into_arg(self) -> Arg<'q> {
        Arg::Text(Some(Cow::Borrowed(self)))
    }
}
impl<'q> Bind<'q> for &'q &'q str {
    fn into_arg(self) -> Arg<'q> {
        Arg::Text(Some(Cow::Borrowed(self)))
    }
}
impl<'q> Bind<'q> for String {
    fn into_arg(self) -> Arg<'q> {
        Arg::Text(Some(Cow::Owned(self)))
    }
}
impl<'q> Bind<'q> for Option<&'q str> {
    fn into_arg(self) -> Arg<'q> {
        Arg::Text(self.map(Cow::Borrowed))
    }
}
impl<'q> Bind<'q> for Option<String> {
    fn into_arg(self) -> Arg<'q> {
        Arg::Text(self.map(Cow::Owned))
    }
}
impl<'q> Bind<'q> for &'q [u8] {
    fn into_arg(self) -> Arg<'q> {
        Arg::Blob(Some(Cow::Borrowed(self)))
    }
}
impl<'q> Bind<'q> for Vec<u8> {
    fn into_arg(self) -> Arg<'q> {
        Arg::Blob(Some(Cow::Owned(self)))
    }
}

/// Where a statement runs: on a connection of its own from the pool, or on the caller's.
pub(crate) enum On<'c> {
    Pool(&'c Pool),
    Conn(&'c mut Conn),
}

impl<'c> From<&'c Pool> for On<'c> {
    fn from(pool: &'c Pool) -> On<'c> {
        On::Pool(pool)
    }
}
impl<'c> From<&'c mut Conn> for On<'c> {
    fn from(conn: &'c mut Conn) -> On<'c> {
        On::Conn(conn)
    }
}
impl<'c> From<&'c mut Tx> for On<'c> {
    fn from(tx: &'c mut Tx) -> On<'c> {
        On::Conn(tx)
    }
}

/// What an `execute` changed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    rows_affected: u64,
}

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// A statement and its parameters, in order.
#[derive(Debug, Clone)]
pub(crate) struct Query<'q> {
    sql: &'q str,
    args: Vec<Arg<'q>>,
}

pub(crate) fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        args: Vec::new(),
    }
}

/// How many rows a run keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    None,
    First,
    All,
}

impl<'q> Query<'q> {
    pub(crate) fn bind(mut self, value: impl Bind<'q>) -> Query<'q> {
        self.args.push(value.into_arg());
        self
    }

    pub(crate) async fn execute<'c>(self, on: impl Into<On<'c>>) -> Result<Done, DbError> {
        Ok(self.run(on.into(), Keep::None).await?.0)
    }

    pub(crate) async fn fetch_all<'c>(self, on: impl Into<On<'c>>) -> Result<Vec<Row>, DbError> {
        Ok(self.run(on.into(), Keep::All).await?.1)
    }

    pub(crate) async fn fetch_optional<'c>(self, on: impl Into<On<'c>>) -> Result<Option<Row>, DbError> {
        Ok(self.run(on.into(), Keep::First).await?.1.into_iter().next())
    }

    pub(crate) async fn fetch_one<'c>(self, on: impl Into<On<'c>>) -> Result<Row, DbError> {
        self.fetch_optional(on).await?.ok_or(DbError::NoRow)
    }

    async fn run(self, on: On<'_>, keep: Keep) -> Result<(Done, Vec<Row>), DbError> {
        match on {
            On::Pool(pool) => {
                let mut conn = pool.acquire().await?;
                self.run_on(&mut conn, keep).await
            }
            On::Conn(conn) => self.run_on(conn, keep).await,
        }
    }

    async fn run_on(self, conn: &mut Conn, keep: Keep) -> Result<(Done, Vec<Row>), DbError> {
        match conn.driver() {
            Driver::Sqlite(native) => native.run(|connection| self.run_sqlite(connection, keep)),
            Driver::Postgres(connection) => self.run_postgres(connection, keep).await,
        }
    }

    fn run_sqlite(&self, connection: &rusqlite::Connection, keep: Keep) -> Result<(Done, Vec<Row>), DbError> {
        let mut statement = connection.prepare_cached(self.sql)?;
        for index in 1..=statement.parameter_count() {
            let arg = self.sqlite_arg(statement.parameter_name(index), index)?;
            match arg {
                Arg::Int(value) => statement.raw_bind_parameter(index, value)?,
                Arg::Text(value) => statement.raw_bind_parameter(index, value.as_deref())?,
                Arg::Blob(value) => statement.raw_bind_parameter(index, value.as_deref())?,
                Arg::Bool(value) => statement.raw_bind_parameter(index, value)?,
            }
        }
        let columns: Arc<[Box<str>]> = match keep {
            Keep::None => Arc::from([]),
            Keep::First | Keep::All => statement.column_names().into_iter().map(Box::from).collect(),
        };
        let n_columns = statement.column_count();
        let mut found = Vec::new();
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next()? {
            if keep == Keep::None {
                continue;
            }
            let values = (0..n_columns)
                .map(|index| row.get_ref(index).map(rusqlite::types::Value::from))
                .collect::<Result<_, _>>()?;
            found.push(Row::Sqlite {
                columns: columns.clone(),
                values,
            });
            if keep == Keep::First {
                break;
            }
        }
        drop(rows);
        let rows_affected = connection.changes();
        Ok((Done { rows_affected }, found))
    }

    /// The value of SQLite parameter `index` named `name`: `$N` and `?N` bind the N-th value,
    /// an anonymous `?` the next one (its index).
    fn sqlite_arg(&self, name: Option<&str>, index: usize) -> Result<&Arg<'q>, DbError> {
        let position = match name {
            Some(name) => name[1..]
                .parse::<usize>()
                .map_err(|_| DbError::UnnumberedParameter {
                    name: name.to_owned(),
                    sql: self.sql.to_string(),
                })?,
            None => index,
        };
        self.args
            .get(position.wrapping_sub(1))
            .ok_or_else(|| DbError::UnboundParameter {
                position,
                sql: self.sql.to_string(),
            })
    }

    async fn run_postgres(
        &self,
        connection: &mut sqlx::PgConnection,
        keep: Keep,
    ) -> Result<(Done, Vec<Row>), DbError> {
        let mut query = sqlx::query::<sqlx::Postgres>(self.sql);
        for arg in &self.args {
            query = match arg {
                Arg::Int(value) => query.bind(*value),
                Arg::Text(value) => query.bind(value.as_deref()),
                Arg::Blob(value) => query.bind(value.as_deref()),
                Arg::Bool(value) => query.bind(*value),
            };
        }
        match keep {
            Keep::None => {
                let done = query.execute(connection).await?;
                Ok((
                    Done {
                        rows_affected: done.rows_affected(),
                    },
                    Vec::new(),
                ))
            }
            Keep::First => {
                let row = query.fetch_optional(connection).await?;
                Ok((
                    Done { rows_affected: 0 },
                    row.into_iter().map(Row::Postgres).collect(),
                ))
            }
            Keep::All => {
                let rows = query.fetch_all(connection).await?;
                Ok((
                    Done { rows_affected: 0 },
                    rows.into_iter().map(Row::Postgres).collect(),
                ))
            }
        }
    }
}

/// Runs `script` (several statements, no parameters) on `conn`, e.g. a migration.
pub(crate) async fn execute_script(conn: &mut Conn, script: &str) -> Result<(), DbError> {
    match conn.driver() {
        Driver::Sqlite(native) => native.run(|connection| connection.execute_batch(script))?,
        Driver::Postgres(connection) => {
            sqlx::raw_sql(script).execute(connection).await?;
        }
    }
    Ok(())
}
