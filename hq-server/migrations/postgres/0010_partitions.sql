-- Document headers and lines partitioned by the month of their date (docs/operations.md,
-- "History by month"): a report over a date range and a year's retention touch only that range's
-- partitions. Partition document_YYYY_MM holds the documents dated in that month, and
-- document_line_YYYY_MM their lines; HQ attaches a month's pair before it stores the first
-- document of that month. There is no default partition: a month's partition could not be
-- attached over rows already in it.
--
-- document_key is the register of every document HQ holds, whole (not partitioned): its
-- (branch_id, number) key is what exactly-once storage rests on (a partitioned table's unique key
-- must include the partition column), and reconcile reads it.
--
-- The dates are ISO text compared byte by byte (COLLATE "C"), so that a date bound prunes
-- partitions whatever the database's own collation.

CREATE TABLE document_key (
    branch_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    doc_date TEXT NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (branch_id, number)
);

INSERT INTO document_key (branch_id, number, doc_type, doc_date, checksum)
SELECT branch_id, number, doc_type, doc_date, checksum FROM document;

ALTER TABLE document RENAME TO document_whole;
ALTER TABLE document_whole RENAME CONSTRAINT document_pkey TO document_whole_pkey;
ALTER TABLE document_line RENAME TO document_line_whole;
ALTER TABLE document_line_whole RENAME CONSTRAINT document_line_pkey TO document_line_whole_pkey;

CREATE TABLE document (
    branch_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    doc_type TEXT NOT NULL,
    doc_date TEXT COLLATE "C" NOT NULL,
    partner TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    red_of TEXT,
    link_branch TEXT,
    link_number TEXT,
    amount NUMERIC(20,2) NOT NULL,
    tax NUMERIC(20,2) NOT NULL,
    total NUMERIC(20,2) NOT NULL,
    checksum TEXT NOT NULL,
    received_at TEXT NOT NULL,
    to_warehouse TEXT,
    PRIMARY KEY (branch_id, number, doc_date)
) PARTITION BY RANGE (doc_date);

CREATE TABLE document_line (
    branch_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    line_no BIGINT NOT NULL,
    product TEXT NOT NULL,
    qty NUMERIC(16,4) NOT NULL,
    price NUMERIC(18,6) NOT NULL,
    discount NUMERIC(5,4) NOT NULL,
    tax_rate NUMERIC(5,4) NOT NULL,
    amount NUMERIC(18,2) NOT NULL,
    tax NUMERIC(18,2) NOT NULL,
    total NUMERIC(18,2) NOT NULL,
    doc_date TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (branch_id, number, line_no, doc_date)
) PARTITION BY RANGE (doc_date);

-- One pair of partitions per month the store already holds, named and bounded as
-- store::db::partitions names and bounds them.
DO $$
DECLARE
    month TEXT;
    year_no INT;
    month_no INT;
    high TEXT;
BEGIN
    FOR month IN SELECT DISTINCT substr(doc_date, 1, 7) FROM document_whole LOOP
        year_no := CAST(substr(month, 1, 4) AS INT);
        month_no := CAST(substr(month, 6, 2) AS INT);
        -- After the last storable month, MAXVALUE: a five-digit year sorts before it as text.
        high := CASE WHEN month_no = 12 AND year_no = 9999 THEN 'MAXVALUE'
                     WHEN month_no = 12 THEN quote_literal(lpad(CAST(year_no + 1 AS TEXT), 4, '0') || '-01-01')
                     ELSE quote_literal(substr(month, 1, 5) || lpad(CAST(month_no + 1 AS TEXT), 2, '0') || '-01') END;
        EXECUTE format('CREATE TABLE %I PARTITION OF document FOR VALUES FROM (%L) TO (%s)',
                       'document_' || replace(month, '-', '_'), month || '-01', high);
        EXECUTE format('CREATE TABLE %I PARTITION OF document_line FOR VALUES FROM (%L) TO (%s)',
                       'document_line_' || replace(month, '-', '_'), month || '-01', high);
    END LOOP;
END $$;

INSERT INTO document (branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, red_of,
                      link_branch, link_number, amount, tax, total, checksum, received_at, to_warehouse)
SELECT branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, red_of,
       link_branch, link_number, amount, tax, total, checksum, received_at, to_warehouse
FROM document_whole;

INSERT INTO document_line (branch_id, number, line_no, product, qty, price, discount, tax_rate,
                           amount, tax, total, doc_date)
SELECT l.branch_id, l.number, l.line_no, l.product, l.qty, l.price, l.discount, l.tax_rate,
       l.amount, l.tax, l.total, d.doc_date
FROM document_line_whole l JOIN document_whole d ON d.branch_id = l.branch_id AND d.number = l.number;

DROP TABLE document_line_whole;
DROP TABLE document_whole;

-- Each retirement (`hq-server retire-year`): every document dated before retired_before was
-- detached with its month's partitions; documents dated before the latest are refused since.
CREATE TABLE retirement (
    retired_before TEXT PRIMARY KEY,
    retired_at TEXT NOT NULL,
    documents BIGINT NOT NULL,
    lines BIGINT NOT NULL
);
