-- Stock limits (安全库存): a product's minimum and optional maximum on-hand for one warehouse or
-- for every warehouse of the branches of one organization subtree (exactly one of the two set,
-- the other empty). Decimals are canonical text; they are compared in Rust, never in SQL.

CREATE TABLE stock_limit (
    product TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    org TEXT NOT NULL,
    min_qty TEXT NOT NULL,
    max_qty TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (product, warehouse, org),
    CHECK ((warehouse = '') <> (org = ''))
) STRICT, WITHOUT ROWID;
