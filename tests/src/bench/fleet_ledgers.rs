//! `bench fleet`'s branch ledgers: one template ledger built through `branch-node`'s library (a
//! seeded ledger and one documents import), then copied once per branch with the branch's
//! identity written into the copy (its code, its warehouse, its documents' numbers, and the
//! outbox bodies that name them), so that a thousand backlogs cost a thousand file copies rather
//! than a thousand imports. Every copy holds the same documents, so one set of totals checks
//! every branch at HQ.

use crate::agent::{ledger_totals, normalized};
use crate::ledger::{seed_ledger, write_documents_jsonl, JsonlSummary};
use anyhow::{ensure, Context, Result};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The template's branch code; no product, customer or supplier code contains it.
const TEMPLATE_BRANCH: &str = "TPLFLEET";
const LINES_PER_DOC: usize = 5;

/// The template ledger and what each copy of it holds.
pub(crate) struct Template {
    path: PathBuf,
    pub(crate) totals: JsonlSummary,
}

impl Template {
    /// A seeded ledger with `n_docs` confirmed documents of 5 lines each (the first one an
    /// opening of every product), all unacknowledged, in `dir`.
    pub(crate) fn build(dir: &Path, n_docs: usize) -> Result<Template> {
        let path = dir.join("template.db");
        let ledger = seed_ledger(&path, TEMPLATE_BRANCH)?;
        let jsonl = dir.join("template.jsonl");
        write_documents_jsonl(&jsonl, TEMPLATE_BRANCH, n_docs, LINES_PER_DOC, 7)?;
        let text = std::fs::read(&jsonl).context("reading the template's documents")?;
        ledger
            .import_documents(&text, &mut |_| {})
            .context("importing the template's documents")?;
        drop(ledger);
        std::fs::remove_file(&jsonl)?;
        let totals = ledger_totals(&path)?;
        Ok(Template { path, totals })
    }

    /// A ledger with nothing to send (no base data, no documents), in `dir`.
    pub(crate) fn build_empty(dir: &Path) -> Result<Template> {
        let path = dir.join("empty.db");
        drop(branch_node::Ledger::create(
            &path,
            TEMPLATE_BRANCH,
            "template",
            false,
        )?);
        Ok(Template {
            path,
            totals: JsonlSummary::default(),
        })
    }

    /// A copy of the template at `path` that belongs to `branch`.
    pub(crate) fn copy_for(&self, branch: &str, path: &Path) -> Result<()> {
        std::fs::copy(&self.path, path)
            .with_context(|| format!("copying the template to {}", path.display()))?;
        let mut db = rusqlite::Connection::open(path)?;
        let tx = db.transaction()?;
        let quoted_from = format!("\"{TEMPLATE_BRANCH}");
        let quoted_to = format!("\"{branch}");
        let prefix_from = format!("{TEMPLATE_BRANCH}-");
        let prefix_to = format!("{branch}-");
        tx.execute(
            "UPDATE ledger_info SET branch = ?1, name = 'branch ' || ?1",
            [branch],
        )?;
        tx.execute(
            "UPDATE base_record SET code = replace(code, ?1, ?2),
                 branch = CASE branch WHEN ?3 THEN ?4 ELSE branch END",
            [&prefix_from, &prefix_to, TEMPLATE_BRANCH, branch],
        )?;
        tx.execute(
            "UPDATE document SET number = replace(number, ?1, ?2), warehouse = replace(warehouse, ?1, ?2)",
            [&prefix_from, &prefix_to],
        )?;
        tx.execute(
            "UPDATE stock SET warehouse = replace(warehouse, ?1, ?2)",
            [&prefix_from, &prefix_to],
        )?;
        // Every mention in an outbox body is a JSON string starting with the code: the
        // warehouse record's code and branch, a document reference's number.
        tx.execute(
            "UPDATE outbox SET body = replace(body, ?1, ?2)",
            [&quoted_from, &quoted_to],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Branch code → what HQ's store holds of it, for every branch at once (one grouped read per
/// table, where `agent::hq_totals` reads one branch).
pub(crate) async fn hq_totals_by_branch(db_url: &str) -> Result<BTreeMap<String, JsonlSummary>> {
    use hq_server::store::db::url::{parse_db_url, DbLocation};
    let (documents, lines) = match parse_db_url(db_url)? {
        DbLocation::Postgres => postgres_totals(db_url).await?,
        DbLocation::SqliteFile(path) => sqlite_totals(&path)?,
    };
    let mut totals: BTreeMap<String, JsonlSummary> = BTreeMap::new();
    for (branch, count, amount, tax) in documents {
        let entry = totals.entry(branch).or_default();
        entry.documents = count;
        entry.amount = amount;
        entry.tax = tax;
    }
    for (branch, count, qty) in lines {
        let entry = totals.entry(branch).or_default();
        entry.lines = count;
        entry.qty = qty;
    }
    Ok(totals
        .into_iter()
        .map(|(branch, summary)| (branch, normalized(summary)))
        .collect())
}

type DocumentSums = Vec<(String, u64, Decimal, Decimal)>;
type LineSums = Vec<(String, u64, Decimal)>;

const DOCUMENT_SUMS: &str = "SELECT b.code, count(*), COALESCE(sum(d.amount), 0), COALESCE(sum(d.tax), 0)
     FROM document d JOIN branch b ON b.id = d.branch_id GROUP BY b.code";
const LINE_SUMS: &str = "SELECT b.code, count(*), COALESCE(sum(l.qty), 0)
     FROM document_line l JOIN branch b ON b.id = l.branch_id GROUP BY b.code";

/// SQLite keeps scaled integers: qty ×10⁴, money in cents.
fn sqlite_totals(path: &Path) -> Result<(DocumentSums, LineSums)> {
    let db = rusqlite::Connection::open(path).context("opening the HQ store")?;
    let documents = db
        .prepare(DOCUMENT_SUMS)?
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)? as u64,
                Decimal::new(row.get(2)?, 2),
                Decimal::new(row.get(3)?, 2),
            ))
        })?
        .collect::<Result<_, _>>()?;
    let lines = db
        .prepare(LINE_SUMS)?
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)? as u64,
                Decimal::new(row.get(2)?, 4),
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok((documents, lines))
}

/// PostgreSQL keeps NUMERIC, read as text.
async fn postgres_totals(db_url: &str) -> Result<(DocumentSums, LineSums)> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(db_url)
        .await
        .context("opening the HQ store")?;
    let as_text = |sql: &str| {
        sql.replace("count(*)", "count(*)::BIGINT")
            .replace(", 0)", ", 0)::TEXT")
    };
    let documents: Vec<(String, i64, String, String)> =
        sqlx::query_as(&as_text(DOCUMENT_SUMS)).fetch_all(&mut db).await?;
    let lines: Vec<(String, i64, String)> = sqlx::query_as(&as_text(LINE_SUMS)).fetch_all(&mut db).await?;
    db.close().await?;
    let decimal = |text: &str| -> Result<Decimal> { text.parse().context("NUMERIC from HQ") };
    let documents = documents
        .iter()
        .map(|(branch, count, amount, tax)| {
            Ok((branch.clone(), *count as u64, decimal(amount)?, decimal(tax)?))
        })
        .collect::<Result<_>>()?;
    let lines = lines
        .iter()
        .map(|(branch, count, qty)| Ok((branch.clone(), *count as u64, decimal(qty)?)))
        .collect::<Result<_>>()?;
    Ok((documents, lines))
}

/// Checks that HQ holds exactly `expected` of every branch in `branches`: nothing lost, nothing
/// doubled.
pub(crate) fn check_every_branch(
    held: &BTreeMap<String, JsonlSummary>,
    branches: &[String],
    expected: &JsonlSummary,
) -> Result<()> {
    for branch in branches {
        let at_hq = held.get(branch).copied().unwrap_or_default();
        ensure!(
            at_hq == *expected,
            "HQ holds {at_hq:?} of branch {branch}, the branch {expected:?}"
        );
    }
    Ok(())
}
