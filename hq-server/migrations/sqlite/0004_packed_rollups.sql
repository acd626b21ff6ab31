-- HQ schema v4 (SQLite): packed product roll-ups (see src/store/packed.rs). The product levels
-- hold one row per branch x period x block of 64 products instead of one per product; each
-- product code has a dense integer id. After this file, a Rust step (src/store/packed_migrate.rs)
-- repacks the rows of sales_year_product and sales_month_product and drops those tables.

CREATE TABLE product_slot (
    code TEXT PRIMARY KEY,
    id INTEGER NOT NULL UNIQUE
) STRICT, WITHOUT ROWID;

-- key = branch_id << 38 | period << 21 | block, period = year (or year x 12 + month - 1), so
-- the key is the rowid (no separate index) and a block of up to ~2 KB stays in its leaf page.
CREATE TABLE sales_year_block (
    key INTEGER PRIMARY KEY,
    sums BLOB NOT NULL
) STRICT;

CREATE TABLE sales_month_block (
    key INTEGER PRIMARY KEY,
    sums BLOB NOT NULL
) STRICT;

-- Ids for the products already rolled up, in code order.
INSERT INTO product_slot (code, id)
SELECT product, ROW_NUMBER() OVER (ORDER BY product) - 1
FROM (SELECT product FROM sales_year_product UNION SELECT product FROM sales_month_product);
