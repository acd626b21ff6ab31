//! The SQL that differs between the SQLite and PostgreSQL stores, in one place: how a write
//! transaction locks a branch, how decimals are read, and which migrations run.
//!
//! Hand-written SQL uses `$N` placeholders, which both backends accept; generated statements
//! with many parameters take theirs from `placeholder`. Lists of codes may travel as one JSON
//! array parameter (`in_json_list`).

use super::error::DbError;
use super::row::Row;
use branchline_shared::from_scaled;
use rust_decimal::Decimal;

/// Scale of stored quantities and rates (SQLite scaled integers).
pub(crate) const QTY_SCALE: u32 = 4;
/// Scale of stored prices.
pub(crate) const PRICE_SCALE: u32 = 6;
/// Scale of stored amounts, tax and totals (cents).
pub(crate) const AMOUNT_SCALE: u32 = 2;

/// One versioned migration: SQL text applied once, in order.
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

/// The migrations of one backend, from `migrations/<dir>/NNNN_<name>.sql`, in order.
macro_rules! migrations {
    ($dir:literal: $(($version:literal, $file:literal, $name:literal)),+ $(,)?) => {
        &[$(Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!("../../../migrations/", $dir, "/", $file, "_", $name, ".sql")),
        }),+]
    };
}

const SQLITE_MIGRATIONS: &[Migration] = migrations!("sqlite":
    (1, "0001", "init"),
    (2, "0002", "people"),
    (3, "0003", "console"),
    (4, "0004", "sales_month"),
    (5, "0005", "day_close"),
    (6, "0006", "alert"),
    (7, "0007", "commission"),
    (8, "0008", "transfer"),
    (9, "0009", "stock_limit"),
    (10, "0010", "partitions"),
);

const POSTGRES_MIGRATIONS: &[Migration] = migrations!("postgres":
    (1, "0001", "init"),
    (2, "0002", "people"),
    (3, "0003", "console"),
    (4, "0004", "sales_month"),
    (5, "0005", "day_close"),
    (6, "0006", "alert"),
    (7, "0007", "commission"),
    (8, "0008", "transfer"),
    (9, "0009", "stock_limit"),
    (10, "0010", "partitions"),
);

/// Which database backs the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL, `None` when the scheme is neither.
    pub fn from_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    /// Appended to a SELECT that must lock the rows it reads until commit.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// A statement serializing concurrent migrations inside their transaction, if needed.
    pub(crate) fn migration_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(7344101)"),
        }
    }

    pub(crate) fn migrations(self) -> &'static [Migration] {
        match self {
            Dialect::Sqlite => SQLITE_MIGRATIONS,
            Dialect::Postgres => POSTGRES_MIGRATIONS,
        }
    }

    /// The placeholder for parameter `n` (1-based) in generated statements with many
    /// parameters. SQLite gets anonymous `?`: looking up a numbered parameter's name is linear
    /// in SQLite, which makes binding thousands of `$N` quadratic. A statement uses either
    /// these placeholders or literal `$N` throughout, never both.
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// `IN (...)` over the strings of a JSON array bound as parameter `n`.
    pub(crate) fn in_json_list(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("IN (SELECT value FROM json_each(${n}))"),
            Dialect::Postgres => format!("IN (SELECT jsonb_array_elements_text(CAST(${n} AS JSONB)))"),
        }
    }

    /// A table of the strings of a JSON array bound as parameter `n`, as alias `alias` with
    /// each string in column `value`. Lookups driven by this table (one correlated primary-key
    /// probe per string) keep their plan whatever the statistics say; see `plan::Known::load`.
    pub(crate) fn json_list_source(self, n: usize, alias: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each(${n}) AS {alias}"),
            Dialect::Postgres => {
                format!("jsonb_array_elements_text(CAST(${n} AS JSONB)) AS {alias}(value)")
            }
        }
    }

    /// A select-list expression reading decimal column (or aggregate) `column`.
    pub(crate) fn decimal_column(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_owned(),
            Dialect::Postgres => format!("CAST({column} AS TEXT)"),
        }
    }

    /// Reads a decimal column selected with `decimal_column`.
    pub(crate) fn read_decimal(
        self,
        row: &Row,
        index: usize,
        scale: u32,
    ) -> Result<Option<Decimal>, DbError> {
        match self {
            Dialect::Sqlite => Ok(row
                .try_get::<Option<i64>, _>(index)?
                .map(|scaled| from_scaled(scaled, scale))),
            Dialect::Postgres => match row.try_get::<Option<String>, _>(index)? {
                None => Ok(None),
                Some(text) => text
                    .parse::<Decimal>()
                    .map(Some)
                    .map_err(|error| DbError::BadValue {
                        column: format!("#{index}"),
                        expected: "a decimal",
                        found: format!("{text:?} ({error})"),
                    }),
            },
        }
    }
}
