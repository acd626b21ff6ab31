-- HQ schema v5 (PostgreSQL): packed product roll-ups (see src/store/packed.rs). The product
-- levels hold one row per branch x period x block of 64 products instead of one per product;
-- each product code has a dense integer id, drawn from a sequence (transactions of different
-- branches assign ids at once). After this file, a Rust step (src/store/packed_migrate.rs)
-- repacks the rows of sales_year_product and sales_month_product and drops those tables.

CREATE SEQUENCE product_slot_id MINVALUE 0 START WITH 0;

CREATE TABLE product_slot (
    code TEXT PRIMARY KEY,
    id BIGINT NOT NULL UNIQUE DEFAULT nextval('product_slot_id')
);
ALTER SEQUENCE product_slot_id OWNED BY product_slot.id;

-- key = branch_id << 38 | period << 21 | block, period = year (or year x 12 + month - 1).
-- A full block is about 2 KB: stored inline and uncompressed (PLAIN), with room on the page
-- for the next version of a row the ingestion rewrites (fillfactor), so updates stay HOT.
CREATE TABLE sales_year_block (
    key BIGINT PRIMARY KEY,
    sums BYTEA NOT NULL
) WITH (fillfactor = 50);
ALTER TABLE sales_year_block ALTER COLUMN sums SET STORAGE PLAIN;

CREATE TABLE sales_month_block (
    key BIGINT PRIMARY KEY,
    sums BYTEA NOT NULL
) WITH (fillfactor = 50);
ALTER TABLE sales_month_block ALTER COLUMN sums SET STORAGE PLAIN;

-- Ids for the products already rolled up, in code order.
INSERT INTO product_slot (code, id)
SELECT product, ROW_NUMBER() OVER (ORDER BY product) - 1
FROM (SELECT product FROM sales_year_product UNION SELECT product FROM sales_month_product) p;
SELECT setval('product_slot_id', (SELECT COALESCE(MAX(id) + 1, 0) FROM product_slot), false);
