-- HQ schema v6 (PostgreSQL): packed on-hand (see src/store/packed.rs). Stock is held like the
-- product sales levels: one row per branch x warehouse x block of 64 products instead of one per
-- product, a slot's quantity being the on-hand and its line count the stock-moving lines.
-- Warehouse codes get their dense ids from the same dictionary as product codes
-- (product_slot: code -> id). After this file, a Rust step (src/store/packed_migrate.rs)
-- repacks the rows of stock_on_hand and drops that table.

-- key = branch_id << 38 | warehouse id << 21 | block; stored like the sales blocks (0005).
CREATE TABLE stock_block (
    key BIGINT PRIMARY KEY,
    sums BYTEA NOT NULL
) WITH (fillfactor = 50);
ALTER TABLE stock_block ALTER COLUMN sums SET STORAGE PLAIN;

-- Ids for the warehouse and product codes of the stock rows that have none yet, in code order.
INSERT INTO product_slot (code)
SELECT code FROM (SELECT warehouse AS code FROM stock_on_hand UNION SELECT product FROM stock_on_hand) c
WHERE NOT EXISTS (SELECT 1 FROM product_slot s WHERE s.code = c.code)
ORDER BY code;
