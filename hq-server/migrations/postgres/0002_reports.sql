-- HQ schema v2 (PostgreSQL): report roll-ups, maintained in the transaction that ingests documents
-- (see src/store/rollup.rs), and monthly sales targets. Decimals are NUMERIC.
-- Sales roll-ups count confirmed sales-outs and retail sales, red documents with their sign.

-- Coarse levels: branch x day; branch x month x product; branch x year x product.
CREATE TABLE sales_day (
    branch_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    qty NUMERIC(24,4) NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    tax NUMERIC(24,2) NOT NULL,
    total NUMERIC(24,2) NOT NULL,
    PRIMARY KEY (branch_id, day)
);

CREATE TABLE sales_month_product (
    branch_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    product TEXT NOT NULL,
    qty NUMERIC(24,4) NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    tax NUMERIC(24,2) NOT NULL,
    total NUMERIC(24,2) NOT NULL,
    PRIMARY KEY (branch_id, month, product)
);

CREATE TABLE sales_year_product (
    branch_id BIGINT NOT NULL,
    year TEXT NOT NULL,
    product TEXT NOT NULL,
    qty NUMERIC(24,4) NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    tax NUMERIC(24,2) NOT NULL,
    total NUMERIC(24,2) NOT NULL,
    PRIMARY KEY (branch_id, year, product)
);

-- On-hand: opening and purchase-in add, sales-out and retail-sale remove.
CREATE TABLE stock_on_hand (
    branch_id BIGINT NOT NULL,
    warehouse TEXT NOT NULL,
    product TEXT NOT NULL,
    on_hand NUMERIC(24,4) NOT NULL,
    PRIMARY KEY (branch_id, warehouse, product)
);

CREATE TABLE sales_target (
    org TEXT NOT NULL,
    month TEXT NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org, month)
);

-- Back-fill from documents ingested before this migration.
INSERT INTO sales_day (branch_id, day, qty, amount, tax, total)
SELECT l.branch_id, d.doc_date, SUM(l.qty), SUM(l.amount), SUM(l.tax), SUM(l.total)
FROM document_line l JOIN document d ON d.branch_id = l.branch_id AND d.number = l.number
WHERE d.doc_type IN ('sales-out', 'retail-sale')
GROUP BY l.branch_id, d.doc_date;

INSERT INTO sales_month_product (branch_id, month, product, qty, amount, tax, total)
SELECT l.branch_id, substr(d.doc_date, 1, 7), l.product, SUM(l.qty), SUM(l.amount), SUM(l.tax), SUM(l.total)
FROM document_line l JOIN document d ON d.branch_id = l.branch_id AND d.number = l.number
WHERE d.doc_type IN ('sales-out', 'retail-sale')
GROUP BY l.branch_id, substr(d.doc_date, 1, 7), l.product;

INSERT INTO sales_year_product (branch_id, year, product, qty, amount, tax, total)
SELECT l.branch_id, substr(d.doc_date, 1, 4), l.product, SUM(l.qty), SUM(l.amount), SUM(l.tax), SUM(l.total)
FROM document_line l JOIN document d ON d.branch_id = l.branch_id AND d.number = l.number
WHERE d.doc_type IN ('sales-out', 'retail-sale')
GROUP BY l.branch_id, substr(d.doc_date, 1, 4), l.product;

INSERT INTO stock_on_hand (branch_id, warehouse, product, on_hand)
SELECT l.branch_id, d.warehouse, l.product,
       SUM(CASE WHEN d.doc_type IN ('opening', 'purchase-in') THEN l.qty ELSE -l.qty END)
FROM document_line l JOIN document d ON d.branch_id = l.branch_id AND d.number = l.number
WHERE d.doc_type IN ('opening', 'purchase-in', 'sales-out', 'retail-sale')
GROUP BY l.branch_id, d.warehouse, l.product;
