//! `bench hq-ingest`'s same-run baselines: the rows HQ would write for the same documents, written
//! straight into the same schema: batched prepared inserts on SQLite, COPY on PostgreSQL.

use super::hq_ingest_table::{Figure, Sizes};
use branchline_shared::{to_scaled, Document};
use std::time::Instant;

/// Batched prepared inserts of the same document and line rows, one transaction per batch.
pub(super) fn sqlite_baseline(
    path: &std::path::Path,
    documents: &[Document],
    sizes: &Sizes,
) -> anyhow::Result<Figure> {
    let mut connection = rusqlite::Connection::open(path)?;
    connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    let started = Instant::now();
    for chunk in documents.chunks(sizes.batch_docs) {
        let tx = connection.transaction()?;
        {
            let mut insert_document = tx.prepare_cached(
                "INSERT INTO document (branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, \
                 red_of, link_branch, link_number, amount, tax, total, checksum, received_at) \
                 VALUES (1, ?1, 1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, NULL, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut insert_line = tx.prepare_cached(
                "INSERT INTO document_line (branch_id, number, line_no, product, qty, price, discount, tax_rate, \
                 amount, tax, total, doc_date) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '2026-01-05')",
            )?;
            for (idx, document) in chunk.iter().enumerate() {
                let totals = document.totals();
                insert_document.execute(rusqlite::params![
                    document.number,
                    idx as i64,
                    document.doc_type.as_str(),
                    "2026-01-05",
                    document.partner,
                    document.warehouse,
                    to_scaled(totals.amount, 2),
                    to_scaled(totals.tax, 2),
                    to_scaled(totals.total, 2),
                    "",
                    "2026-01-05T00:00:00Z",
                ])?;
                for (line_idx, line) in document.lines.iter().enumerate() {
                    let values = line.values();
                    insert_line.execute(rusqlite::params![
                        document.number,
                        line_idx as i64 + 1,
                        line.product,
                        to_scaled(line.qty, 4),
                        to_scaled(line.price, 6),
                        to_scaled(line.discount, 4),
                        to_scaled(line.tax_rate, 4),
                        to_scaled(values.amount, 2),
                        to_scaled(values.tax, 2),
                        to_scaled(values.total, 2),
                    ])?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(Figure {
        round: 0,
        store: "SQLite",
        rollups: None,
        method: "baseline: batched prepared INSERTs (rusqlite)".into(),
        lines: documents.len() * sizes.lines,
        elapsed: started.elapsed(),
        cpu_seconds: None,
    })
}

/// COPY of the same document and line rows, one transaction per batch.
pub(super) async fn postgres_copy_baseline(
    url: &str,
    documents: &[Document],
    sizes: &Sizes,
) -> anyhow::Result<Figure> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    // Rendering the text rows is not timed: the baseline is the store's own best speed.
    let rendered: Vec<(String, String)> = documents.chunks(sizes.batch_docs).map(render_copy_rows).collect();
    // The month partitions HQ attaches before it stores the month's first document.
    for table in ["document", "document_line"] {
        sqlx::query(&format!(
            "CREATE TABLE IF NOT EXISTS {table}_2026_01 PARTITION OF {table} \
             FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')"
        ))
        .execute(&mut connection)
        .await?;
    }
    let started = Instant::now();
    for (document_rows, line_rows) in rendered {
        let mut tx = connection.begin().await?;
        let mut copy = tx
            .copy_in_raw(
                "COPY document (branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, red_of, \
                 link_branch, link_number, amount, tax, total, checksum, received_at) FROM STDIN",
            )
            .await?;
        copy.send(document_rows.into_bytes()).await?;
        copy.finish().await?;
        let mut copy = tx
            .copy_in_raw(
                "COPY document_line (branch_id, number, line_no, product, qty, price, discount, tax_rate, amount, \
                 tax, total, doc_date) FROM STDIN",
            )
            .await?;
        copy.send(line_rows.into_bytes()).await?;
        copy.finish().await?;
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    connection.close().await?;
    Ok(Figure {
        round: 0,
        store: "PostgreSQL",
        rollups: None,
        method: "baseline: COPY (text format)".into(),
        lines: documents.len() * sizes.lines,
        elapsed,
        cpu_seconds: None,
    })
}

fn render_copy_rows(chunk: &[Document]) -> (String, String) {
    let mut document_rows = String::new();
    let mut line_rows = String::new();
    for (idx, document) in chunk.iter().enumerate() {
        let totals = document.totals();
        document_rows.push_str(&format!(
            "1\t{}\t1\t{idx}\t{}\t2026-01-05\t{}\t{}\t\\N\t\\N\t\\N\t{}\t{}\t{}\t\t2026-01-05T00:00:00Z\n",
            document.number,
            document.doc_type.as_str(),
            document.partner,
            document.warehouse,
            totals.amount,
            totals.tax,
            totals.total,
        ));
        for (line_idx, line) in document.lines.iter().enumerate() {
            let values = line.values();
            line_rows.push_str(&format!(
                "1\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t2026-01-05\n",
                document.number,
                line_idx + 1,
                line.product,
                line.qty,
                line.price,
                line.discount,
                line.tax_rate,
                values.amount,
                values.tax,
                values.total,
            ));
        }
    }
    (document_rows, line_rows)
}
