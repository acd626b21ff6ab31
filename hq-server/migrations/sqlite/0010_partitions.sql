-- The register of every document HQ holds (document_key) and each line's document date, as on
-- PostgreSQL, where the lines and documents are partitioned by month (docs/operations.md,
-- "History by month"). SQLite keeps one table of each: the same statements read both stores.

CREATE TABLE document_key (
    branch_id INTEGER NOT NULL,
    number TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (branch_id, number)
) STRICT, WITHOUT ROWID;

INSERT INTO document_key (branch_id, number, doc_type, doc_date, checksum)
SELECT branch_id, number, doc_type, doc_date, checksum FROM document;

ALTER TABLE document_line ADD COLUMN doc_date TEXT NOT NULL DEFAULT '';

UPDATE document_line SET doc_date = (
    SELECT d.doc_date FROM document d
    WHERE d.branch_id = document_line.branch_id AND d.number = document_line.number
);

-- Retirements (`hq-server retire-year`, PostgreSQL only): always empty on SQLite, read alike.
CREATE TABLE retirement (
    retired_before TEXT PRIMARY KEY,
    retired_at TEXT NOT NULL,
    documents INTEGER NOT NULL,
    lines INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
