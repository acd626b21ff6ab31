-- Branch x month sales, beside branch x day: a report without product, customer or warehouse
-- reads whole months here (one row per branch and month) and only the edge days from sales_day.
-- Kept in the same ingestion transaction as sales_day; filled from it for what HQ already holds.

CREATE TABLE sales_month (
    branch_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    qty NUMERIC(24,4) NOT NULL,
    amount NUMERIC(24,2) NOT NULL,
    tax NUMERIC(24,2) NOT NULL,
    total NUMERIC(24,2) NOT NULL,
    PRIMARY KEY (branch_id, month)
) WITH (fillfactor = 60);

INSERT INTO sales_month (branch_id, month, qty, amount, tax, total)
SELECT branch_id, substr(day, 1, 7), SUM(qty), SUM(amount), SUM(tax), SUM(total)
FROM sales_day GROUP BY branch_id, substr(day, 1, 7);
