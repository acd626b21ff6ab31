//! The document history's retention: retiring a year detaches its month partitions
//! (`retire`), and the date before which HQ holds no lines any more (`retired_before`), which
//! ingestion and the reports that read the stored lines check.

pub mod retire;

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;

/// The first date whose documents HQ still holds in full (`YYYY-MM-DD`); `None` before any
/// retirement.
pub(crate) async fn retired_before(connection: &mut Conn) -> Result<Option<String>, DbError> {
    let row = query("SELECT MAX(retired_before) FROM retirement")
        .fetch_one(connection)
        .await?;
    row.try_get(0)
}
