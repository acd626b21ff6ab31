-- Branch x month sales, beside branch x day: a report without product, customer or warehouse
-- reads whole months here (one row per branch and month) and only the edge days from sales_day.
-- Kept in the same ingestion transaction as sales_day; filled from it for what HQ already holds.

CREATE TABLE sales_month (
    branch_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    qty INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    tax INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (branch_id, month)
) STRICT, WITHOUT ROWID;

INSERT INTO sales_month (branch_id, month, qty, amount, tax, total)
SELECT branch_id, substr(day, 1, 7), SUM(qty), SUM(amount), SUM(tax), SUM(total)
FROM sales_day GROUP BY branch_id, substr(day, 1, 7);
